import Foundation

/// A PostgreSQL store whose `contacts` and `legs` live on several servers (docs/scaling.md).
///
/// The coordinator holds the reference tables (ingest log, meta, roster, samples, scorecards,
/// evaluations, action plans) and, for `contacts` and `legs`, parents partitioned by hash of
/// `customer_key` whose partitions are `postgres_fdw` foreign tables, one per shard: every statement
/// any command sends to the coordinator sees all rows, and a customer's contacts and legs are on one
/// shard, so the repeat search for FCR never crosses servers. Shard `i`'s tables are also reachable by
/// name in the coordinator's schema `contactqa_shard_i` (`contacts`, `legs`, the roster's copy and the
/// `next_inbound` view): the KPI aggregates are sent there one shard at a time, so PostgreSQL pushes the
/// whole grouped statement to the shard and only one row per group travels back.
extension PostgresStore {
    /// The coordinator's schema holding shard `i`'s foreign tables (1-based): the partitions the loader writes.
    static func shardSchema(_ i: Int) -> String { "contactqa_shard_\(i)" }

    /// The same tables of shard `i` for the aggregate statements, planned on the shard's own estimates
    /// (`use_remote_estimate`): without them PostgreSQL pulled all of a shard's legs to join them to the
    /// period's contacts on the coordinator (93,504 legs for a week's 12,857 groups, 0.80 s against
    /// 0.23 s with the join on the shard). The loader's partitions keep local estimates: a remote
    /// `EXPLAIN` before each of its small statements would cost more than it saves.
    static func readSchema(_ i: Int) -> String { "contactqa_read_\(i)" }

    /// A migration step for a coordinator with `shards` shards: the statements that create or change
    /// `contacts` and `legs` (or their indexes) are left out, since those tables live on the shards,
    /// each migrated as a store of its own.
    static func migrationStep(_ sql: String, shards: Int) -> String {
        guard shards > 0 else { return sql }
        let statements = sql.components(separatedBy: ";").filter { statement in
            let text = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return false }
            return text.range(of: #"^(CREATE TABLE IF NOT EXISTS (contacts|legs) |CREATE (UNIQUE )?INDEX (IF NOT EXISTS )?\w+ ON (contacts|legs)\b|ALTER TABLE (contacts|legs)\b|DROP INDEX IF EXISTS contacts_)"#,
                              options: .regularExpression) == nil
        }
        return statements.joined(separator: ";\n") + (statements.isEmpty ? "" : ";")
    }

    /// What a shard holds beyond a store's own schema: each leg's customer (the partition key, so a
    /// contact's legs sit on its shard); per contact, the customer's next inbound contact after it; and
    /// the load's last step, run by the shard itself: a row sent to `load_requests` (never stored: its
    /// trigger returns nothing) brings the next inbound contacts of the given customers (or all) up to
    /// date and, after a large load, refreshes the statistics, inside the file's transaction. A
    /// trigger, not a statement planned on the coordinator: the coordinator sends an `UPDATE … FROM`
    /// of two foreign tables whole only when its estimates favour it, and otherwise pulled every row
    /// and updated them one round trip each (100,000 round trips for a shard of 200,000 contacts' file).
    static let shardAdditions = """
        ALTER TABLE legs ADD COLUMN IF NOT EXISTS customer_key TEXT;
        CREATE OR REPLACE VIEW next_inbound AS
            SELECT c.source, c.interaction_id, c.customer_key,
                   MIN(CASE WHEN c.direction = 'inbound' THEN c.arrived_at END)
                       OVER (PARTITION BY c.customer_key ORDER BY c.arrived_at RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_at
            FROM contacts c WHERE c.customer_key IS NOT NULL;
        CREATE TABLE IF NOT EXISTS load_requests (customers TEXT[], refresh_statistics BOOLEAN NOT NULL);
        CREATE OR REPLACE FUNCTION contactqa_after_load() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
        BEGIN
            IF NEW.customers IS NULL THEN
                UPDATE contacts c SET next_inbound_at = n.next_at FROM next_inbound n
                WHERE c.source = n.source AND c.interaction_id = n.interaction_id AND c.next_inbound_at IS DISTINCT FROM n.next_at;
            ELSE
                UPDATE contacts c SET next_inbound_at = n.next_at FROM next_inbound n
                WHERE c.source = n.source AND c.interaction_id = n.interaction_id AND c.next_inbound_at IS DISTINCT FROM n.next_at
                  AND n.customer_key = ANY(NEW.customers);
            END IF;
            IF NEW.refresh_statistics THEN ANALYZE contacts, legs; END IF;
            RETURN NULL;
        END $$;
        DROP TRIGGER IF EXISTS after_load ON load_requests;
        CREATE TRIGGER after_load BEFORE INSERT ON load_requests FOR EACH ROW EXECUTE FUNCTION contactqa_after_load();
        """

    /// Creates a sharded store: the store's schema on every shard (which must hold no contacts and
    /// belong to no other store), then on the coordinator (which must hold no store) `postgres_fdw`,
    /// one foreign server and user mapping per shard, and `contacts` and `legs` partitioned by hash of
    /// `customer_key` over the shards' tables. Passwords come from PGPASSWORD or a pgpass file, as for
    /// any connection; the one libpq used for a shard goes into its user mapping (readable by
    /// superusers only), since the coordinator's server connects to the shard itself.
    package static func createSharded(url: String, shards: [String], timeZone: String) throws -> PostgresStore {
        guard ZoneClock(identifier: timeZone) != nil else { throw SQLiteStore.OpenError.unknownTimeZone(timeZone) }
        guard !shards.isEmpty else { throw PostgresError(message: "a sharded store needs at least one --shard", isConfiguration: true) }
        let all = [url] + shards
        if let repeated = all.first(where: { u in all.filter { $0 == u }.count > 1 }) {
            throw PostgresError(message: "\(repeated) is given twice: the coordinator and every shard must be different databases", isConfiguration: true)
        }
        let coordinator = try PostgresConnection(url: url)
        if try coordinator.execute("SELECT to_regclass('meta') IS NOT NULL OR to_regclass('contacts') IS NOT NULL").rows.first?.first == "t" {
            throw PostgresError(message: "\(url) already holds a ContactQA store: shards are given when a store is created, on an empty database",
                                isConfiguration: true)
        }
        var endpoints: [(host: String, port: String, database: String, user: String, password: String?)] = []
        for shard in shards {
            let store = try PostgresStore(url: shard, createWithTimeZone: timeZone)
            let owner = try store.connection.execute("SELECT value FROM meta WHERE key = 'shard_of'").rows.first?.first ?? nil
            if let owner, owner != url {
                throw PostgresError(message: "\(shard) is already a shard of the store at \(owner)", isConfiguration: true)
            }
            if try store.connection.execute("SELECT EXISTS (SELECT 1 FROM contacts)").rows.first?.first == "t" {
                throw PostgresError(message: "\(shard) holds contacts already: a shard must start empty", isConfiguration: true)
            }
            try store.connection.script(shardAdditions)
            try store.connection.execute("INSERT INTO meta (key, value) VALUES ('shard_of', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [url])
            endpoints.append(store.connection.endpoint)
        }
        let literal = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        var ddl = """
            CREATE EXTENSION IF NOT EXISTS postgres_fdw;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta (key, value) VALUES ('shards', '\(shards.count)');

            """
        for (i, e) in endpoints.enumerated() {
            let server = "contactqa_shard_\(i + 1)"
            // fetch_size: rows per round trip when a scan does travel; batch_size: rows per INSERT sent to a
            // shard; async_capable: the shards of one statement scan at the same time; fdw_tuple_cost:
            // a row fetched from a shard is costed at 20 times a row read locally (the default costs
            // them the same), so a grouped statement is sent whole to the shard rather than its rows
            // pulled back (at the default, the week's handle times by agent were grouped here).
            ddl += """
                CREATE SERVER \(server) FOREIGN DATA WRAPPER postgres_fdw
                    OPTIONS (host \(literal(e.host)), port \(literal(e.port)), dbname \(literal(e.database)),
                             fetch_size '10000', batch_size '500', async_capable 'true', fdw_tuple_cost '0.2');
                CREATE USER MAPPING FOR CURRENT_USER SERVER \(server)
                    OPTIONS (user \(literal(e.user))\(e.password.map { ", password \(literal($0))" } ?? ""));
                CREATE SCHEMA \(readSchema(i + 1));
                IMPORT FOREIGN SCHEMA public LIMIT TO (contacts, legs, roster) FROM SERVER \(server) INTO \(readSchema(i + 1));
                ALTER FOREIGN TABLE \(readSchema(i + 1)).contacts OPTIONS (ADD use_remote_estimate 'true');
                ALTER FOREIGN TABLE \(readSchema(i + 1)).legs OPTIONS (ADD use_remote_estimate 'true');
                ALTER FOREIGN TABLE \(readSchema(i + 1)).roster OPTIONS (ADD use_remote_estimate 'true');
                CREATE SCHEMA \(shardSchema(i + 1));
                IMPORT FOREIGN SCHEMA public LIMIT TO (contacts, legs, roster, next_inbound, load_requests) FROM SERVER \(server) INTO \(shardSchema(i + 1))
                    OPTIONS (import_default 'true');

                """
        }
        ddl += """
            CREATE TABLE contacts (LIKE \(shardSchema(1)).contacts INCLUDING DEFAULTS) PARTITION BY HASH (customer_key);
            CREATE TABLE legs (LIKE \(shardSchema(1)).legs INCLUDING DEFAULTS) PARTITION BY HASH (customer_key);

            """
        for i in 1...shards.count {
            let bounds = "FOR VALUES WITH (MODULUS \(shards.count), REMAINDER \(i - 1))"
            ddl += """
                ALTER TABLE contacts ATTACH PARTITION \(shardSchema(i)).contacts \(bounds);
                ALTER TABLE legs ATTACH PARTITION \(shardSchema(i)).legs \(bounds);

                """
        }
        try coordinator.execute("BEGIN")
        do {
            try coordinator.execute("SELECT pg_advisory_xact_lock($1)", [String(PostgresStore.migrationLock)])
            try coordinator.script(ddl)
            try coordinator.execute("COMMIT")
        } catch {
            _ = try? coordinator.execute("ROLLBACK")
            throw error
        }
        let store = try PostgresStore(url: url, createWithTimeZone: timeZone)
        try store.connection.script(rosterReplication(shards: shards.count))
        return store
    }

    /// The roster is small and read by the KPI statements grouped by team: every shard keeps a copy,
    /// written in the same transaction as the coordinator's row, so a shard joins it locally.
    static func rosterReplication(shards: Int) -> String {
        let deletes = (1...shards).map { "DELETE FROM \(shardSchema($0)).roster WHERE agent_id = OLD.agent_id;" }.joined(separator: " ")
        let inserts = (1...shards).map { "INSERT INTO \(shardSchema($0)).roster SELECT NEW.*;" }.joined(separator: " ")
        return """
            CREATE OR REPLACE FUNCTION contactqa_roster_to_shards() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN \(deletes) END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN \(inserts) END IF;
                RETURN NULL;
            END $$;
            DROP TRIGGER IF EXISTS roster_to_shards ON roster;
            CREATE TRIGGER roster_to_shards AFTER INSERT OR UPDATE OR DELETE ON roster FOR EACH ROW EXECUTE FUNCTION contactqa_roster_to_shards();
            """
    }

    /// A statement over `contacts`, `legs` and `roster` rewritten to read shard `i`'s tables only.
    ///
    /// `COALESCE(a, b)` of two columns or a column and a constant becomes the `CASE` that means the
    /// same: postgres_fdw (PostgreSQL 15) does not send a grouping expression holding `COALESCE` to the
    /// shard, so grouping by team or queue, or by a leg's handle time, otherwise pulled every row to
    /// the coordinator to group it there.
    static func onShard(_ sql: String, _ i: Int) -> String {
        sql.replacingOccurrences(of: #"\b(FROM|JOIN) (contacts|legs|roster) "#, with: "$1 \(readSchema(i)).$2 ", options: .regularExpression)
            .replacingOccurrences(of: #"COALESCE\(([a-z_]+\.[a-z_]+), ([a-z_]+\.[a-z_]+|[0-9]+)\)"#,
                                  with: "(CASE WHEN $1 IS NULL THEN $2 ELSE $1 END)", options: .regularExpression)
    }

    /// Texts as a PostgreSQL array literal (`{"a","b"}`), for one `= ANY($1::text[])` parameter.
    static func textArray(_ values: some Sequence<String>) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    // MARK: Loading

    /// The load's last step on every shard: each contact's next inbound contact of its customer, for
    /// the customers the file touched (`fcr_customers`), or for all after a load into an empty store or
    /// of very many customers; then, after a large file (`analyse`), the shard's statistics, so that
    /// what follows is planned on them. Each shard runs both itself, in the file's transaction.
    func refreshNextInboundOnShards(all: Bool, analyse: Bool) throws {
        var customers: [String]? = nil
        if !all {
            let touched = try connection.execute("SELECT customer_key FROM fcr_customers").rows.compactMap { $0[0] }
            if touched.isEmpty && !analyse { return }
            if touched.count <= 50_000 { customers = touched }
        }
        for i in 1...shardCount {
            let schema = PostgresStore.shardSchema(i)
            guard try connection.execute("SELECT to_regclass($1) IS NOT NULL", ["\(schema).load_requests"]).rows.first?.first == "t" else {
                // A store created before shards ran this step themselves: the same update, planned here.
                try connection.execute("""
                    UPDATE \(schema).contacts c SET next_inbound_at = n.next_at FROM \(schema).next_inbound n
                    WHERE c.source = n.source AND c.interaction_id = n.interaction_id AND c.next_inbound_at IS DISTINCT FROM n.next_at
                    \(customers == nil ? "" : "AND n.customer_key = ANY($1::text[])")
                    """, customers.map { [PostgresStore.textArray($0)] } ?? [])
                continue
            }
            try connection.execute("INSERT INTO \(schema).load_requests (customers, refresh_statistics) VALUES ($1::text[], $2)",
                                   [customers.map(PostgresStore.textArray), analyse ? "t" : "f"])
        }
    }

    // MARK: Aggregates, one statement per shard

    /// The period's contact sums: each shard runs the whole grouped statement (PostgreSQL pushes an
    /// aggregate over one foreign table to its server) and the partial sums are added here. The waits'
    /// shift is the period's first handled wait, found first so that every shard squares about it.
    func shardedContactAggregates(_ query: AggregateQuery) throws -> [ContactAggregate] {
        var first: (at: Int64, wait: Double)?
        for i in 1...shardCount {
            let row = try connection.execute("""
                SELECT arrived_at, wait_s FROM \(PostgresStore.readSchema(i)).contacts
                WHERE direction = 'inbound' AND arrived_at >= $1 AND arrived_at < $2 AND abandoned = 0 AND wait_s IS NOT NULL
                ORDER BY arrived_at, wait_s LIMIT 1
                """, [String(query.fromUTC), String(query.toUTC)]).rows.first
            if let at = row?[0].flatMap({ Int64($0) }), let wait = row?[1].flatMap({ Double($0) }),
               first.map({ (at, wait) < ($0.at, $0.wait) }) ?? true {
                first = (at, wait)
            }
        }
        let sql = PostgresStore.contactAggregateSQL(query, shift: "SELECT $3::double precision")
        var groups: [[GroupValue?]: ContactAggregate] = [:]
        for i in 1...shardCount {
            for row in try connection.execute(PostgresStore.onShard(sql, i), [String(query.fromUTC), String(query.toUTC), String(first?.wait ?? 0)]).rows {
                guard let part = PostgresStore.contactAggregate(row, query) else { continue }
                groups[part.key, default: ContactAggregate(key: part.key)].add(part)
            }
        }
        return groups.values.sorted { KPIEngine.keyOrder($0.key, $1.key) }
    }

    /// Each group's handle times as distinct values with their counts, from every shard (the grouped
    /// count runs inside each), merged here: the same values the SQLite store streams.
    private func shardedHandleTimes(_ query: AggregateQuery) throws -> [(key: [GroupValue?], values: [Double: Int])] {
        let sql = PostgresSession.numbered(SQLiteStore.handleTimeSQL(query))
        var groups: [[GroupValue?]: [Double: Int]] = [:]
        let k = query.groupBy.count
        for i in 1...shardCount {
            for row in try connection.execute(PostgresStore.onShard(sql, i), [String(query.fromUTC), String(query.toUTC)]).rows {
                guard let h = row[k].flatMap({ Double($0) }), let n = row[k + 1].flatMap({ Int($0) }) else { continue }
                groups[PostgresStore.groupKey(row, query.groupBy), default: [:]][h, default: 0] += n
            }
        }
        return groups.map { ($0.key, $0.value) }.sorted { PostgresStore.sqlOrder($0.key, $1.key) }
    }

    /// The order of `ORDER BY` over group keys in the SQLite store (nulls first, numbers before text,
    /// text by its UTF-8 bytes): groups merged in the same order add their sums in the same order.
    static func sqlOrder(_ a: [GroupValue?], _ b: [GroupValue?]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            switch (x, y) {
            case (nil, _): return true
            case (_, nil): return false
            case (.text(let x)?, .text(let y)?): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
            case (let x?, let y?): return x < y
            }
        }
        return false
    }

    func shardedLegAggregates(_ query: AggregateQuery) throws -> [LegAggregate] {
        try shardedHandleTimes(query).map { group in
            var a = LegAggregate(key: group.key)
            for (h, n) in group.values.sorted(by: { $0.key < $1.key }) { a.add(h, legs: n) }
            return a
        }
    }

    func shardedLegRollup(_ query: AggregateQuery) throws -> LegRollup {
        var rollup = LegRollup()
        var weeks: [GroupValue?: [Double: Int]] = [:]
        for group in try shardedHandleTimes(query) {
            var a = LegAggregate(key: group.key)
            for (h, n) in group.values.sorted(by: { $0.key < $1.key }) {
                a.handle.add(h, count: n)
                weeks[group.key.first ?? nil, default: [:]][h, default: 0] += n
            }
            rollup.legs.append(a)
        }
        rollup.weekHandleTimes = weeks.mapValues(CountedValues.init(counts:))
        return rollup
    }

    // MARK: Status

    /// One shard as `store status` shows it.
    package struct ShardStatus: Sendable {
        package var index: Int
        package var server: String
        package var reachable: Bool
        package var contacts: Int?
        package var legs: Int?
        package var error: String?
    }

    /// Every shard with its address (host:port/database), whether the coordinator reaches it, and its rows.
    package func shardStatus() throws -> [ShardStatus] {
        guard shardCount > 0 else { return [] }
        let servers = try connection.execute("""
            SELECT s.srvname, s.srvoptions FROM pg_foreign_server s WHERE s.srvname LIKE 'contactqa\\_shard\\_%' ORDER BY length(s.srvname), s.srvname
            """).rows
        return servers.enumerated().map { i, row in
            let options = (row[1] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",")
            let option = { (name: String) in options.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) } ?? "?" }
            var status = ShardStatus(index: i + 1, server: "\(option("host")):\(option("port"))/\(option("dbname"))", reachable: false)
            do {
                let counts = try connection.execute("""
                    SELECT (SELECT COUNT(*) FROM \(PostgresStore.shardSchema(i + 1)).contacts), (SELECT COUNT(*) FROM \(PostgresStore.shardSchema(i + 1)).legs)
                    """).rows.first
                status.contacts = counts?[0].flatMap { Int($0) }
                status.legs = counts?[1].flatMap { Int($0) }
                status.reachable = true
            } catch {
                status.error = "\(error)".components(separatedBy: "\n").first
            }
            return status
        }
    }
}
