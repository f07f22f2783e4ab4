import Foundation

/// The store on a PostgreSQL server (docs/scaling.md): the same tables, loading rules and KPI
/// aggregates as `SQLiteStore`, for sites that outgrow one file on one machine.
///
/// Chosen by a `postgres://` or `postgresql://` store URL. Every file loads in one transaction that
/// holds a transaction-level advisory lock, so concurrent ingests (several nightly jobs, several
/// processes) serialise their writes and each row lands exactly once; grouped counts, sums, sums of
/// squares, handle-time quantiles (`percentile_cont`, Hyndman–Fan type 7) and the repeat-contact
/// search for FCR run inside the server, and only one row per group comes back.
package final class PostgresStore: ContactStore {
    /// The schema version this build writes; a database of a newer one is refused, an older one migrated.
    static let schemaVersion = 7
    /// Advisory lock keys (pg_advisory_*): one for schema changes, one serialising file loads, one per run.
    static let migrationLock: Int64 = 0x436F_6E74_0001
    static let ingestLock: Int64 = 0x436F_6E74_0002
    static let runLock: Int64 = 0x436F_6E74_0003

    package let url: String
    package let siteTimeZone: String
    let connection: PostgresConnection
    /// Where rejected rows go: `quarantine/` in the working directory, or `CONTACTQA_QUARANTINE`.
    package let quarantineDirectory: String
    /// The number of shard servers `contacts` and `legs` are partitioned over (0: one server).
    package let shardCount: Int

    package static func isURL(_ store: String) -> Bool {
        store.hasPrefix("postgres://") || store.hasPrefix("postgresql://")
    }

    /// Connects, creates or migrates the schema, and fixes or checks the site timezone.
    package init(url: String, createWithTimeZone timeZone: String? = nil) throws {
        self.url = url
        if let timeZone, ZoneClock(identifier: timeZone) == nil { throw SQLiteStore.OpenError.unknownTimeZone(timeZone) }
        connection = try PostgresConnection(url: url)
        quarantineDirectory = ProcessInfo.processInfo.environment["CONTACTQA_QUARANTINE"] ?? "quarantine"
        try connection.execute("BEGIN")
        var stored: String?
        var shards = 0
        do {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(PostgresStore.migrationLock)])
            let hasMeta = try connection.execute("SELECT to_regclass('meta') IS NOT NULL").rows.first?.first == "t"
            var version = 0
            if hasMeta {
                let rows = try connection.execute("SELECT key, value FROM meta WHERE key IN ('schema_version', 'site_timezone', 'shards', 'shard_of')").rows
                for row in rows {
                    if row[0] == "schema_version" { version = Int(row[1] ?? "") ?? 0 }
                    if row[0] == "site_timezone" { stored = row[1] }
                    if row[0] == "shards" { shards = Int(row[1] ?? "") ?? 0 }
                    if row[0] == "shard_of" {
                        throw PostgresError(message: "\(url) is a shard of the store at \(row[1] ?? "?"): give that URL as the store", isConfiguration: true)
                    }
                }
            }
            if version > PostgresStore.schemaVersion {
                throw PostgresError(message: "\(url) holds ContactQA schema version \(version), newer than this build's \(PostgresStore.schemaVersion); upgrade before using it",
                                    isConfiguration: true)
            }
            if version < 1 {
                guard timeZone != nil || hasMeta else {
                    throw PostgresError(message: "\(url) holds no ContactQA store yet; creating one needs the site timezone: pass --timezone (e.g. Europe/London)",
                                        isConfiguration: true)
                }
                try connection.script(PostgresStore.migrationStep(PostgresStore.schemaV1, shards: shards))
            }
            if version < 2 { try connection.script(PostgresStore.migrationStep(PostgresStore.schemaV2, shards: shards)) }
            if version < 3 { try connection.script(PostgresStore.migrationStep(PostgresStore.schemaV3, shards: shards)) }
            if version < 4 { try connection.script(PostgresStore.migrationStep(PostgresStore.schemaV4, shards: shards)) }
            if version < 6 {
                try connection.script(PostgresStore.migrationStep(SQLiteStore.analyticsMigration.replacingOccurrences(of: "CREATE TABLE ", with: "CREATE TABLE IF NOT EXISTS ")
                    .replacingOccurrences(of: " INTEGER", with: " BIGINT").replacingOccurrences(of: " REAL", with: " DOUBLE PRECISION"), shards: shards))
            }
            if version < 5, shards == 0 {
                try connection.script("ALTER TABLE contacts ADD COLUMN IF NOT EXISTS next_inbound_at BIGINT")
                try connection.script(SQLiteStore.customerIndexWithDirection)
                try connection.script(SQLiteStore.nextInboundRefresh(customers: nil, isNot: "IS DISTINCT FROM"))
            }
            // Room on each page for a contact's next version: the load's pass over the next inbound
            // contacts (and a re-delivery) then updates in place, without new index entries (HOT). On
            // 200,000 contacts the pass went from 3.4 s to 2.4 s. Applies to pages written from now on.
            if version < 7, shards == 0 { try connection.script("ALTER TABLE contacts SET (fillfactor = 85)") }
            try connection.execute("""
                INSERT INTO meta (key, value) VALUES ('schema_version', $1)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, [String(PostgresStore.schemaVersion)])
            if stored == nil {
                try connection.execute("INSERT INTO meta (key, value) VALUES ('site_timezone', $1)", [timeZone ?? "UTC"])
                stored = timeZone ?? "UTC"
            }
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
        if let timeZone, let stored, timeZone != stored {
            throw SQLiteStore.OpenError.timeZoneMismatch(stored: stored, requested: timeZone)
        }
        siteTimeZone = stored ?? "UTC"
        shardCount = shards
    }

    /// The tables of SQLiteStore's migrations v1, v2 and v4 in PostgreSQL's types: instants are UTC
    /// milliseconds (bigint), flags 0/1, durations double precision.
    static let schemaV1 = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ingest_log (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, file TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,
            status TEXT NOT NULL, started_at TEXT NOT NULL,
            rows_read BIGINT NOT NULL, inserted BIGINT NOT NULL, updated BIGINT NOT NULL,
            unchanged BIGINT NOT NULL, stale BIGINT NOT NULL, pending BIGINT NOT NULL DEFAULT 0, duplicates BIGINT NOT NULL,
            rejected BIGINT NOT NULL, duration_ms BIGINT NOT NULL, message TEXT);
        CREATE INDEX IF NOT EXISTS ingest_log_sha ON ingest_log(sha256);
        CREATE TABLE IF NOT EXISTS contacts (
            source TEXT NOT NULL, interaction_id TEXT NOT NULL,
            channel TEXT NOT NULL, direction TEXT NOT NULL DEFAULT 'inbound',
            queue TEXT, customer_key TEXT, contact_reason TEXT,
            arrived_at BIGINT NOT NULL, wait_s DOUBLE PRECISION,
            abandoned BIGINT NOT NULL DEFAULT 0, transferred BIGINT NOT NULL DEFAULT 0,
            escalated BIGINT NOT NULL DEFAULT 0, resolved BIGINT,
            csat BIGINT, csat_min BIGINT, csat_max BIGINT, nps BIGINT,
            monitoring_notice BIGINT, version BIGINT, ingest_id BIGINT NOT NULL,
            leg_count BIGINT NOT NULL DEFAULT 0, closing_agent_id TEXT, closing_team TEXT,
            PRIMARY KEY (source, interaction_id));
        CREATE INDEX IF NOT EXISTS contacts_arrived ON contacts(arrived_at);
        CREATE INDEX IF NOT EXISTS contacts_customer ON contacts(customer_key, arrived_at) WHERE customer_key IS NOT NULL;
        CREATE TABLE IF NOT EXISTS legs (
            source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg BIGINT NOT NULL,
            queue TEXT, team TEXT, agent_id TEXT, answered_at BIGINT, ended_at BIGINT,
            talk_s DOUBLE PRECISION, hold_s DOUBLE PRECISION, acw_s DOUBLE PRECISION, recording_ref TEXT, ingest_id BIGINT NOT NULL,
            leg_ref TEXT, version BIGINT,
            PRIMARY KEY (source, interaction_id, leg));
        CREATE UNIQUE INDEX IF NOT EXISTS legs_ref ON legs(source, interaction_id, leg_ref) WHERE leg_ref IS NOT NULL;
        CREATE TABLE IF NOT EXISTS pending_surveys (
            source TEXT NOT NULL, interaction_id TEXT NOT NULL,
            fields TEXT NOT NULL, csat BIGINT, csat_min BIGINT, csat_max BIGINT, nps BIGINT, resolved BIGINT,
            ingest_id BIGINT NOT NULL,
            PRIMARY KEY (source, interaction_id));
        """

    /// Version 2: the tables of SQLite's v3, v5 and v6 — roster, recorded samples, scorecards,
    /// evaluations and action plans — so sampling, quality, trends, coaching and `run` work here too.
    /// Acknowledgements, disputes and re-evaluations: SQLite's migration v9, written once, made
    /// idempotent for PostgreSQL (a store whose version was reset re-runs every step).
    static let schemaV4 = SQLiteStore.feedbackMigration
        .replacingOccurrences(of: "CREATE TABLE ", with: "CREATE TABLE IF NOT EXISTS ")
        .replacingOccurrences(of: "ADD COLUMN ", with: "ADD COLUMN IF NOT EXISTS ")
        .replacingOccurrences(of: "CREATE INDEX ", with: "CREATE INDEX IF NOT EXISTS ")

    /// How a leg ended (SQLite's migration v8).
    static let schemaV3 = "ALTER TABLE legs ADD COLUMN IF NOT EXISTS disconnect_reason TEXT;"

    static let schemaV2 = """
        CREATE TABLE IF NOT EXISTS roster (
            agent_id TEXT PRIMARY KEY, display_name TEXT, team TEXT, start_date TEXT, acknowledged_on TEXT, ingest_id BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS samples (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL, plan_name TEXT NOT NULL,
            period_from TEXT NOT NULL, period_to TEXT NOT NULL, timezone TEXT NOT NULL,
            plan_fingerprint TEXT NOT NULL, seed TEXT NOT NULL, frame_fingerprint TEXT NOT NULL,
            manifest TEXT NOT NULL, superseded_by BIGINT);
        CREATE INDEX IF NOT EXISTS samples_period ON samples(plan_name, period_from, period_to);
        CREATE TABLE IF NOT EXISTS sample_units (
            sample_id BIGINT NOT NULL, source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg BIGINT NOT NULL,
            cell TEXT NOT NULL, u_bits BIGINT NOT NULL, inclusion_probability DOUBLE PRECISION NOT NULL,
            selected BIGINT NOT NULL, reason TEXT NOT NULL,
            PRIMARY KEY (sample_id, source, interaction_id, leg));
        CREATE INDEX IF NOT EXISTS sample_units_leg ON sample_units(source, interaction_id, leg);
        CREATE TABLE IF NOT EXISTS scorecards (id TEXT NOT NULL, version BIGINT NOT NULL, fingerprint TEXT NOT NULL, definition TEXT NOT NULL,
            PRIMARY KEY (id, version));
        CREATE TABLE IF NOT EXISTS evaluations (
            evaluation_id TEXT PRIMARY KEY, source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg BIGINT NOT NULL,
            agent_id TEXT, evaluator_id TEXT NOT NULL, evaluated_at TEXT NOT NULL, scorecard_id TEXT NOT NULL,
            scorecard_version BIGINT NOT NULL, calibration_session TEXT, score DOUBLE PRECISION, critical_failed BIGINT NOT NULL,
            fingerprint TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS evaluations_leg ON evaluations(source, interaction_id, leg);
        CREATE TABLE IF NOT EXISTS evaluation_answers (evaluation_id TEXT NOT NULL, criterion_id TEXT NOT NULL, rating DOUBLE PRECISION,
            comment TEXT, PRIMARY KEY (evaluation_id, criterion_id));
        CREATE TABLE IF NOT EXISTS action_plans (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, agent_id TEXT NOT NULL, criterion_id TEXT NOT NULL, action TEXT NOT NULL,
            agreed_on TEXT NOT NULL, review_by TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'agreed', reviewed_on TEXT, note TEXT);
        """

    // MARK: Loading

    package func load(_ entry: IngestLogEntry, _ body: (inout any StoreWriter) throws -> (LoadDecision, IngestLogEntry)) throws -> IngestLogEntry {
        var result = entry
        var decision = LoadDecision.rollback
        try connection.execute("BEGIN")
        do {
            // One file's writes at a time across every process on this database: concurrent ingests
            // queue here, and no two transactions ever number the same contact's legs at once.
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(PostgresStore.ingestLock)])
            // Into a store with no contacts every customer is the file's: one pass over them all after the rows.
            let backfill = try connection.execute("SELECT NOT EXISTS (SELECT 1 FROM contacts)").rows.first?.first == "t"
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS touched (source TEXT NOT NULL, interaction_id TEXT NOT NULL, refresh BIGINT NOT NULL, PRIMARY KEY (source, interaction_id))")
            try connection.execute("DELETE FROM touched")
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS fcr_customers (customer_key TEXT PRIMARY KEY)")
            try connection.execute("DELETE FROM fcr_customers")
            let id = try PostgresSession(connection: connection).insertLog(entry)
            var writer: any StoreWriter = PostgresWriter(connection: connection, ingestID: id, sharded: shardCount > 0, backfill: backfill)
            (decision, result) = try body(&writer)
            result.id = id
            if decision == .commit {
                // Importers finish their writer; anything still queued here would go uncounted.
                guard try writer.finish().isEmpty else { throw PostgresError(message: "internal error: rows of \(entry.file) were left queued") }
                let flags = writer as! PostgresWriter
                if flags.referencedLegs { try numberReferencedLegs() }
                try refreshLegSummaries()
                if flags.abandonedFromLegs {
                    try connection.execute("""
                        UPDATE contacts SET abandoned = (leg_count = 0)::int
                        WHERE (source, interaction_id) IN (SELECT source, interaction_id FROM touched) AND abandoned IS DISTINCT FROM (leg_count = 0)::int
                        """)
                }
                try attachPendingSurveys()
                if shardCount > 0 {
                    try refreshNextInboundOnShards(all: backfill, analyse: result.inserted + result.updated > 10_000)
                } else {
                    try connection.script(SQLiteStore.nextInboundRefresh(customers: backfill ? nil : "fcr_customers", isNot: "IS DISTINCT FROM"))
                }
                // A large backfill dropped the contacts' secondary indexes (`PostgresWriter.flush`): built
                // once now, after the rows and after the next-inbound pass, which rewrites most contacts
                // (PostgreSQL writes each updated row anew, and every new version would enter every index).
                for index in flags.droppedIndexes { try connection.execute(index) }
                try PostgresSession(connection: connection).updateLog(result)
                try connection.execute("COMMIT")
                // A large load changes the tables' statistics: refresh them now (a sample of 30,000 rows,
                // well under a second) rather than leave the KPI queries that follow to autovacuum's timing.
                // (On a sharded store each shard did it inside the load, above: the coordinator's statistics of
                // its foreign partitions would sample every shard through the network, 5 s at 200,000 contacts.)
                if result.inserted + result.updated > 10_000, shardCount == 0 { try connection.execute("ANALYZE contacts, legs") }
            } else {
                try connection.execute("ROLLBACK")
                result = result.discardingWrites()
                result.id = try PostgresSession(connection: connection).insertLog(result)
            }
        } catch {
            _ = try? connection.execute("ROLLBACK")
            // A shard that stopped answering aborts the whole file (its writes on every shard roll back
            // with the coordinator's transaction): say which one, rather than the bare lost connection.
            if shardCount > 0, let down = (try? shardStatus())?.first(where: { !$0.reachable }) {
                throw PostgresError(message: "shard \(down.index) of the store (\(down.server)) cannot be reached: \(down.error ?? "no answer"); "
                                    + "nothing of \(entry.file) was loaded and the store is as it was. Load it again once the shard is back "
                                    + "(contactqa store status lists the shards)")
            }
            throw error
        }
        return result
    }

    /// As SQLiteStore: referenced legs numbered 1, 2, … by answer time, through negative numbers.
    private func numberReferencedLegs() throws {
        try connection.script("""
            UPDATE legs SET leg = -x.n
            FROM (SELECT l.source, l.interaction_id, l.leg_ref,
                         ROW_NUMBER() OVER (PARTITION BY l.source, l.interaction_id ORDER BY l.answered_at IS NULL, l.answered_at, l.leg_ref) AS n
                  FROM legs l JOIN touched t ON t.source = l.source AND t.interaction_id = l.interaction_id
                  WHERE l.leg_ref IS NOT NULL) AS x
            WHERE legs.source = x.source AND legs.interaction_id = x.interaction_id AND legs.leg_ref = x.leg_ref;
            UPDATE legs SET leg = -leg
            WHERE leg < 0 AND (source, interaction_id) IN (SELECT source, interaction_id FROM touched);
            """)
    }

    private func refreshLegSummaries() throws {
        try connection.execute("""
            UPDATE contacts SET leg_count = x.n, closing_agent_id = x.agent_id, closing_team = x.team
            FROM (SELECT t.source, t.interaction_id,
                         (SELECT COUNT(*) FROM legs l WHERE l.source = t.source AND l.interaction_id = t.interaction_id) AS n,
                         (SELECT agent_id FROM legs l WHERE l.source = t.source AND l.interaction_id = t.interaction_id ORDER BY leg DESC LIMIT 1) AS agent_id,
                         (SELECT team FROM legs l WHERE l.source = t.source AND l.interaction_id = t.interaction_id ORDER BY leg DESC LIMIT 1) AS team
                  FROM touched t WHERE t.refresh = 1) AS x
            WHERE contacts.source = x.source AND contacts.interaction_id = x.interaction_id
              AND (contacts.leg_count IS DISTINCT FROM x.n OR contacts.closing_agent_id IS DISTINCT FROM x.agent_id
                   OR contacts.closing_team IS DISTINCT FROM x.team)
            """)
    }

    private func attachPendingSurveys() throws {
        let columns = ["csat", "csat_min", "csat_max", "nps", "resolved"]
        let assignments = columns.map { "\($0) = CASE WHEN strpos(p.fields, ',\($0),') > 0 THEN p.\($0) ELSE contacts.\($0) END" }
        try connection.script("""
            UPDATE contacts SET \(assignments.joined(separator: ", "))
            FROM pending_surveys p
            WHERE contacts.source = p.source AND contacts.interaction_id = p.interaction_id;
            DELETE FROM pending_surveys
            WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.source = pending_surveys.source AND c.interaction_id = pending_surveys.interaction_id);
            """)
    }

    // MARK: Run lock

    /// Holds the run lock of this database (a session advisory lock) for as long as this connection
    /// lives; false when another run holds it. A killed run's lock ends with its connection.
    func tryLockRun() throws -> Bool {
        try connection.execute("SELECT pg_try_advisory_lock($1)", [String(PostgresStore.runLock)]).rows.first?.first == "t"
    }


    // MARK: Aggregates

    package func contactAggregates(_ query: AggregateQuery) throws -> [ContactAggregate] {
        if shardCount > 0 { return try shardedContactAggregates(query) }
        let sql = PostgresStore.contactAggregateSQL(query, shift: SQLiteStore.waitShift("$1", "$2"))
        return try connection.execute(sql, [String(query.fromUTC), String(query.toUTC)]).rows.compactMap { row in
            PostgresStore.contactAggregate(row, query)
        }
    }

    /// The grouped contact sums of a period; `shift` is the SQL of the waits' shift.
    static func contactAggregateSQL(_ query: AggregateQuery, shift: String) -> String {
        let keys = query.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: true, query) }
        let p = query.parameters
        let thresholds = Channel.allCases.map { "WHEN '\($0.rawValue)' THEN \(p.serviceLevelThreshold(for: $0))" }.joined(separator: " ")
        let satisfied = p.csatTopBoxes.map { "csat_max - \($0 - 1)" } ?? "CASE WHEN csat_max - csat_min + 1 >= 4 THEN csat_max - 1 ELSE csat_max END"
        let (fcrJudged, fcrResolved) = SQLiteStore.fcrExpressions(p)
        // (A CASE rather than NULLIF: postgres_fdw does not send NULLIF to a shard, and one such
        // expression keeps the whole grouped statement on the coordinator.)
        let normalised = "(csat - csat_min)::double precision / CASE WHEN csat_max = csat_min THEN NULL ELSE csat_max - csat_min END"
        let sql = """
            SELECT \(keys.map { $0 + ", " }.joined())
                COUNT(*), COUNT(*) FILTER (WHERE abandoned = 0), COUNT(*) FILTER (WHERE abandoned = 1),
                COUNT(*) FILTER (WHERE abandoned = 1 AND wait_s IS NOT NULL AND wait_s < \(p.shortAbandonSeconds)),
                COUNT(*) FILTER (WHERE abandoned = 0 AND wait_s IS NOT NULL AND wait_s <= CASE channel \(thresholds) ELSE 20 END),
                COUNT(*) FILTER (WHERE abandoned = 0 AND (transferred = 1 OR leg_count > 1)), COUNT(*) FILTER (WHERE abandoned = 0 AND escalated = 1),
                COUNT(*) FILTER (WHERE abandoned = 0 AND wait_s IS NOT NULL),
                COALESCE(SUM(wait_s) FILTER (WHERE abandoned = 0), 0), COALESCE(SUM((wait_s - k.shift) * (wait_s - k.shift)) FILTER (WHERE abandoned = 0), 0),
                COUNT(csat), COUNT(*) FILTER (WHERE csat >= \(satisfied)),
                COALESCE(SUM(\(normalised)), 0), COALESCE(SUM(\(normalised) * \(normalised)), 0),
                COUNT(nps), COUNT(*) FILTER (WHERE nps >= 9), COUNT(*) FILTER (WHERE nps <= 6),
                COUNT(*) FILTER (WHERE \(fcrJudged)), COUNT(*) FILTER (WHERE \(fcrJudged) AND \(fcrResolved)), MAX(k.shift)
            FROM contacts c \(SQLiteStore.rosterJoin(query, contactLevel: true)), (\(shift) AS shift) k
            WHERE direction = 'inbound' AND arrived_at >= $1 AND arrived_at < $2
            \(keys.isEmpty ? "" : "GROUP BY " + (1...keys.count).map(String.init).joined(separator: ", "))
            """
        return sql
    }

    /// One group's sums from a row of `contactAggregateSQL`; nil for a group with no contact offered.
    static func contactAggregate(_ row: [String?], _ query: AggregateQuery) -> ContactAggregate? {
        let k = query.groupBy.count
        let int = { (i: Int) in Int(row[k + i] ?? "") ?? 0 }
        let double = { (i: Int) in Double(row[k + i] ?? "") ?? 0 }
        var a = ContactAggregate(key: PostgresStore.groupKey(row, query.groupBy))
        a.offered = int(0)
        if a.offered == 0 { return nil }
        a.handled = int(1)
        a.abandoned = int(2)
        a.shortAbandoned = int(3)
        a.serviceLevelMet = int(4)
        a.transferred = int(5)
        a.escalated = int(6)
        a.wait = Moments(n: int(7), sum: double(8), sumOfSquares: double(9), shift: double(19))
        a.csatResponses = int(10)
        a.csatSatisfied = int(11)
        a.csatNormalised = Moments(n: a.csatResponses, sum: double(12), sumOfSquares: double(13))
        a.npsResponses = int(14)
        a.promoters = int(15)
        a.detractors = int(16)
        a.fcrJudged = int(17)
        a.fcrResolved = int(18)
        return a
    }

    /// Quantiles are computed on the server (`legAggregates`): no values are shipped.
    package func legRollup(_ query: AggregateQuery) throws -> LegRollup? {
        shardCount > 0 ? try shardedLegRollup(query) : nil
    }

    /// Count, sum and sum of squares of handle time per group, and its median and p90 by
    /// `percentile_cont` (linear interpolation between order statistics at (n − 1)p: Hyndman–Fan
    /// type 7, as `quantileType7`): one row per group leaves the server.
    package func legAggregates(_ query: AggregateQuery) throws -> [LegAggregate] {
        if shardCount > 0 { return try shardedLegAggregates(query) }
        let keys = query.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: false, query) }
        let sql = """
            SELECT \((0..<keys.count).map { "k\($0), " }.joined())COUNT(*), SUM(h), SUM((h - m) * (h - m)),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY h), percentile_cont(0.9) WITHIN GROUP (ORDER BY h), MIN(m)
            FROM (SELECT *, MIN(h) OVER (\(keys.isEmpty ? "" : "PARTITION BY " + (0..<keys.count).map { "k\($0)" }.joined(separator: ", "))) AS m
                  FROM (SELECT \(keys.enumerated().map { "\($1) AS k\($0), " }.joined())
                         COALESCE(l.talk_s, 0) + COALESCE(l.hold_s, 0) + COALESCE(l.acw_s, 0) AS h
                  FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id \(SQLiteStore.rosterJoin(query, contactLevel: false))
                  WHERE c.direction = 'inbound' AND c.abandoned = 0 AND c.arrived_at >= $1 AND c.arrived_at < $2
                    AND NOT (l.talk_s IS NULL AND l.hold_s IS NULL AND l.acw_s IS NULL)) AS x) AS shifted
            \(keys.isEmpty ? "" : "GROUP BY " + (1...keys.count).map(String.init).joined(separator: ", "))
            """
        return try connection.execute(sql, [String(query.fromUTC), String(query.toUTC)]).rows.compactMap { row in
            let k = keys.count
            guard let n = Int(row[k] ?? ""), n > 0 else { return nil }
            var a = LegAggregate(key: PostgresStore.groupKey(row, query.groupBy))
            // The shift is the group's shortest handle time: the first value the SQLite store's ordered stream adds.
            a.handle = Moments(n: n, sum: Double(row[k + 1] ?? "") ?? 0, sumOfSquares: Double(row[k + 2] ?? "") ?? 0, shift: Double(row[k + 5] ?? "") ?? 0)
            a.quantiles = (Double(row[k + 3] ?? "") ?? 0, Double(row[k + 4] ?? "") ?? 0)
            return a
        }
    }

    static func groupKey(_ row: [String?], _ dimensions: [GroupDimension]) -> [GroupValue?] {
        dimensions.enumerated().map { i, dimension in
            guard let text = row[i] else { return nil }
            if dimension.isTime, let n = Int64(text) { return .integer(n) }
            return .text(text)
        }
    }
}

/// Writes rows with statements prepared once per connection, inside a file's transaction: the same
/// rules as SQLiteStore's writer (upsert by key, older versions ignored, duplicates counted).
private struct PostgresWriter: RowWriting {
    let connection: PostgresConnection
    let ingestID: Int64
    /// The store's contacts and legs are partitioned over shards by customer (PostgresStore+Shards):
    /// a contact's key is unique on its shard only, so a row whose customer changed moves, with its
    /// legs, instead of being updated in place, and every leg carries its contact's customer.
    let sharded: Bool
    var abandonedFromLegs = false
    var referencedLegs = false
    /// A load into a store without contacts, on one server.
    let backfill: Bool
    /// New contacts batched so far.
    private var batchedRows = 0
    /// What `dropSecondaryIndexesOfALargeBackfill` dropped, to be built again before the load commits.
    private(set) var droppedIndexes: [String] = []

    init(connection: PostgresConnection, ingestID: Int64, sharded: Bool, backfill: Bool) {
        self.connection = connection
        self.ingestID = ingestID
        self.sharded = sharded
        self.backfill = backfill && !sharded
    }

    /// Once a backfill has batched 10,000 new contacts, the contacts' secondary indexes are dropped
    /// (unique ones stay: conflicts are found through them) and the rest of the file goes in without
    /// updating them row by row; the load builds them again at its end (a 1M-contact backfill: 47.2–48.6 s
    /// → 38.2–39.3 s). Inside the file's transaction, so a failed file leaves them as they were. A
    /// small file keeps them: it gains nothing, and its store stays as it always was.
    private mutating func dropSecondaryIndexesOfALargeBackfill() throws {
        guard backfill, droppedIndexes.isEmpty, batchedRows >= 10_000 else { return }
        let indexes = try connection.execute("""
            SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
            WHERE x.indrelid = 'contacts'::regclass AND NOT x.indisunique AND NOT x.indisprimary ORDER BY c.relname
            """).rows
        for index in indexes { try connection.execute("DROP INDEX \(index[0] ?? "")") }
        droppedIndexes = indexes.compactMap { $0[1] }
    }

    // MARK: Batches

    /// Rows waiting for the next batch statement: new contacts, most of a backfill.
    private var queued: [(row: MappedRow, layout: RowLayout)] = []
    /// Outcomes of rows already written from batches, handed back by `finish`.
    private var deferred: [(outcome: RowOutcome, duplicate: Bool)] = []

    /// PostgreSQL types of the columns a batch casts its text parameters to.
    private static func sqlType(_ column: String) -> String {
        switch column {
        case "wait_s", "talk_s", "hold_s", "acw_s": "double precision"
        case "source", "interaction_id", "channel", "direction", "queue", "customer_key", "contact_reason", "closing_agent_id", "disconnect_reason",
             "closing_team", "team", "agent_id", "recording_ref", "leg_ref": "text"
        default: "bigint"
        }
    }

    /// Rows that may be new contacts wait for a batch; others flush the batch first and are written
    /// at once, so the rows of one contact always reach the database in file order.
    mutating func enqueue(_ row: MappedRow, layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool)? {
        let batchable = row.legRef == nil && row.contact != nil && !layout.attachesToContacts
        if batchable, queued.isEmpty || queued[0].layout == layout {
            queued.append((row, layout))
            if queued.count >= 5_000 { try flush() }
            return nil
        }
        try flush()
        if batchable {
            queued.append((row, layout))
            return nil
        }
        return try write(row, layout: layout)
    }

    mutating func finish() throws -> [(outcome: RowOutcome, duplicate: Bool)] {
        try flush()
        defer { deferred = [] }
        return deferred
    }

    /// Staging tables of this load, by the columns of the layout they hold (dropped at commit).
    private var staging: [[String]: String] = [:]

    /// Every queued contact that is not stored yet (the first row of each, in file order) goes in with
    /// its leg and its touched mark: the batch is copied into a staging table (`COPY`, no statement
    /// text to parse per batch) and one prepared statement inserts from it; the rows it did not insert
    /// — contacts stored before, later rows of the same contact — then take the general path, in order.
    private mutating func flush() throws {
        guard !queued.isEmpty else { return }
        try dropSecondaryIndexesOfALargeBackfill()
        let batch = queued
        queued = []
        batchedRows += batch.count
        let layout = batch[0].layout
        let contactColumns = layout.contactColumns
        let legColumns = layout.legColumns
        let columns: [(name: String, type: String)] = [("ord", "bigint"), ("first", "bigint"), ("refresh", "bigint"),
                                                        ("source", "text"), ("interaction_id", "text")]
            + contactColumns.map { ($0, PostgresWriter.sqlType($0)) }
            + [("leg_count", "bigint"), ("closing_agent_id", "text"), ("closing_team", "text"), ("leg", "bigint")]
            + legColumns.map { ("l_" + $0, PostgresWriter.sqlType($0)) }
        let signature = contactColumns + ["|"] + legColumns
        let table: String
        if let known = staging[signature] {
            table = known
            try connection.script("TRUNCATE \(table)")
        } else {
            table = "staged_rows_\(staging.count + 1)"
            try connection.script("""
                CREATE TEMP TABLE \(table) (\(columns.map { "\($0.name) \($0.type)" }.joined(separator: ", "))) ON COMMIT DROP
                """)
            staging[signature] = table
        }
        // On shards a contact stored under another customer, or legs stored before their contact, are
        // not found by the insert's conflict check (it runs on the new row's shard): those rows take the
        // general path, which moves them.
        var seen = sharded ? try storedKeys(batch.map(\.row)) : Set<String>()
        var rows: [[String?]] = []
        rows.reserveCapacity(batch.count)
        for (i, item) in batch.enumerated() {
            let row = item.row
            let first = seen.insert(row.source + "\u{1F}" + row.interactionID).inserted
            let simple = (row.leg ?? 1) == 1
            let hasLeg = row.leg != nil && row.legValues.count == legColumns.count
            let agent = hasLeg && simple ? layout.legAgentIndex.flatMap { row.legValues[$0].string } : nil
            let team = hasLeg && simple ? layout.legTeamIndex.flatMap { row.legValues[$0].string } : nil
            var values: [String?] = [String(i), first ? "1" : "0", simple ? "0" : "1", row.source, row.interactionID]
            values += (row.contact ?? []).map(\.string)
            values += [simple && row.leg != nil ? "1" : "0", agent, team, row.leg.map(String.init)]
            values += hasLeg ? row.legValues.map(\.string) : Array(repeating: nil, count: legColumns.count)
            rows.append(values)
        }
        try connection.copy("COPY \(table) (\(columns.map(\.name).joined(separator: ", "))) FROM STDIN", rows: rows)
        let contactList = (["source", "interaction_id"] + contactColumns + ["leg_count", "closing_agent_id", "closing_team"]).joined(separator: ", ")
        if sharded {
            let inserted = try insertOnShards(table: table, contactList: contactList, contactColumns: contactColumns, legColumns: legColumns, rows: rows)
            return try takeOutcomes(batch, inserted: inserted)
        }
        // `touchIsRead` for the batch's rows (new contacts without referenced legs), in its SQL.
        let touchesOnlyRefreshed = backfill && !layout.abandonedFromLegs && !abandonedFromLegs
        let sql = """
            WITH c AS (INSERT INTO contacts (\(contactList), ingest_id)
                  SELECT \(contactList), $1::bigint FROM \(table) WHERE first = 1 ORDER BY ord
                  ON CONFLICT DO NOTHING RETURNING source, interaction_id),
            l AS (INSERT INTO legs (source, interaction_id, leg, \(legColumns.map { $0 + ", " }.joined())ingest_id)
                  SELECT v.source, v.interaction_id, v.leg, \(legColumns.map { "v.l_\($0), " }.joined())$1::bigint
                  FROM \(table) v JOIN c ON c.source = v.source AND c.interaction_id = v.interaction_id
                  WHERE v.first = 1 AND v.leg IS NOT NULL ON CONFLICT DO NOTHING),
            t AS (INSERT INTO touched (source, interaction_id, refresh)
                  SELECT v.source, v.interaction_id, v.refresh FROM \(table) v JOIN c ON c.source = v.source AND c.interaction_id = v.interaction_id
                  WHERE v.first = 1\(touchesOnlyRefreshed ? " AND v.refresh = 1" : "")
                  ON CONFLICT (source, interaction_id) DO UPDATE SET refresh = GREATEST(touched.refresh, excluded.refresh))
            SELECT source, interaction_id FROM c
            """
        let inserted = Set(try connection.run(sql, [String(ingestID)]).rows.map { "\($0[0] ?? "")\u{1F}\($0[1] ?? "")" })
        try takeOutcomes(batch, inserted: inserted)
    }

    /// The outcomes of a flushed batch, in file order: the first row of each contact the batch inserted
    /// counts as inserted; every other row is written now by the general path.
    private mutating func takeOutcomes(_ batch: [(row: MappedRow, layout: RowLayout)], inserted: Set<String>) throws {
        var firstSeen = Set<String>()
        for item in batch {
            let key = item.row.source + "\u{1F}" + item.row.interactionID
            if firstSeen.insert(key).inserted, inserted.contains(key) {
                deferred.append((.inserted, false))
            } else {
                deferred.append(try write(item.row, layout: item.layout))
            }
        }
    }

    /// The batch's new contacts on a sharded store, where `storedKeys` has already set aside every row
    /// whose contact or legs are stored: no statement may return rows, since postgres_fdw sends a
    /// returning insert to the shards one row at a time (200,000 contacts: 63.8 s, against 14.1 s on
    /// one server) and a plain one in batches of the server's `batch_size`.
    private func insertOnShards(table: String, contactList: String, contactColumns: [String], legColumns: [String],
                                rows: [[String?]]) throws -> Set<String> {
        let expected = rows.filter { $0[1] == "1" }
        let customers = contactColumns.contains("customer_key")
        // Each leg goes to its contact's shard: it carries the contact's customer.
        let legCustomer = customers ? "v.customer_key, " : "NULL, "
        let added = try connection.run("""
            INSERT INTO contacts (\(contactList), ingest_id) SELECT \(contactList), $1::bigint FROM \(table) WHERE first = 1 ORDER BY ord
            """, [String(ingestID)]).affected
        guard added == expected.count else {
            throw PostgresError(message: "internal error: \(added) of \(expected.count) new contacts were written to the shards")
        }
        try connection.run("""
            INSERT INTO legs (source, interaction_id, leg, \(legColumns.map { $0 + ", " }.joined())customer_key, ingest_id)
            SELECT v.source, v.interaction_id, v.leg, \(legColumns.map { "v.l_\($0), " }.joined())\(legCustomer)$1::bigint
            FROM \(table) v WHERE v.first = 1 AND v.leg IS NOT NULL
            """, [String(ingestID)])
        try connection.run("""
            INSERT INTO touched (source, interaction_id, refresh) SELECT v.source, v.interaction_id, v.refresh FROM \(table) v WHERE v.first = 1
            ON CONFLICT (source, interaction_id) DO UPDATE SET refresh = GREATEST(touched.refresh, excluded.refresh)
            """, [])
        if customers {
            try connection.run("""
                INSERT INTO fcr_customers (customer_key) SELECT DISTINCT customer_key FROM \(table) WHERE first = 1 AND customer_key IS NOT NULL
                ON CONFLICT DO NOTHING
                """, [])
        }
        return Set(expected.map { ($0[3] ?? "") + "\u{1F}" + ($0[4] ?? "") })
    }

    private static func placeholders(_ range: ClosedRange<Int>) -> String { range.map { "$\($0)" }.joined(separator: ", ") }

    mutating func storedLegIngestID(_ row: MappedRow, legRef: String) throws -> Int64? {
        try connection.run("SELECT ingest_id FROM legs WHERE source = $1 AND interaction_id = $2 AND leg_ref = $3",
                           [row.source, row.interactionID, legRef]).rows.first?.first.flatMap { $0 }.flatMap { Int64($0) }
    }

    mutating func touch(_ row: MappedRow, refresh: Bool) throws {
        guard touchIsRead(row, refresh: refresh) else { return }
        try connection.run("""
            INSERT INTO touched (source, interaction_id, refresh) VALUES ($1, $2, $3)
            ON CONFLICT (source, interaction_id) DO UPDATE SET refresh = GREATEST(touched.refresh, excluded.refresh)
            """, [row.source, row.interactionID, refresh ? "1" : "0"])
    }

    mutating func writeContact(_ row: MappedRow, _ values: [FieldValue], _ layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool, summarised: Bool) {
        let columns = layout.contactColumns
        let simple = row.legRef == nil && (row.leg ?? 1) == 1
        var extra: [String] = []
        var extraValues: [String?] = []
        if simple {
            let hasLeg = row.leg != nil && row.legValues.count == layout.legColumns.count
            let agent = hasLeg ? layout.legAgentIndex.flatMap { row.legValues[$0].string } : nil
            let team = hasLeg ? layout.legTeamIndex.flatMap { row.legValues[$0].string } : nil
            extra = ["leg_count", "closing_agent_id", "closing_team"]
            extraValues = [row.leg == nil ? "0" : "1", row.leg == nil ? nil : agent, row.leg == nil ? nil : team]
        }
        let all = ["source", "interaction_id"] + columns + extra + ["ingest_id"]
        let storedSQL = "SELECT version, ingest_id, customer_key FROM contacts WHERE source = $1 AND interaction_id = $2"
        // On shards the insert's conflict check sees the new customer's shard only: look first.
        var stored = sharded ? try connection.run(storedSQL, [row.source, row.interactionID]).rows.first : nil
        let customerIndex = columns.firstIndex(of: "customer_key")
        if stored == nil {
            let inserted = try connection.run("""
                INSERT INTO contacts (\(all.joined(separator: ", "))) VALUES (\(PostgresWriter.placeholders(1...all.count))) ON CONFLICT DO NOTHING
                """, [row.source, row.interactionID] + values.map(\.string) + extraValues + [String(ingestID)])
            if inserted.affected == 1 {
                if sharded, let customerIndex, let customer = values[customerIndex].string {
                    try noteCustomer(customer)
                    try moveLegs(row, to: customer, onlyIfElsewhere: true)
                }
                return (.inserted, false, simple)
            }
            stored = try connection.run(storedSQL, [row.source, row.interactionID]).rows.first
        }
        let duplicate = stored?[1].flatMap { Int64($0) } == ingestID
        if let version = row.version, let storedVersion = stored?[0].flatMap({ Int64($0) }), version < storedVersion { return (.stale, duplicate, false) }
        let storedCustomer = stored?[2].flatMap { $0 }
        if sharded, let customerIndex, values[customerIndex].string != storedCustomer {
            // A new customer is a new shard: the contact and its legs move there, with this row's values.
            try moveContact(row, columns: columns, values: values.map(\.string), to: values[customerIndex].string)
            for customer in [storedCustomer, values[customerIndex].string].compactMap({ $0 }) { try noteCustomer(customer) }
            return (.updated, duplicate, false)
        }
        let n = columns.count
        let update = try connection.run("""
            UPDATE contacts SET \(columns.enumerated().map { "\($1) = $\($0 + 1)" }.joined(separator: ", ")), ingest_id = $\(n + 1)
            WHERE source = $\(n + 2) AND interaction_id = $\(n + 3)
              AND (\(columns.enumerated().map { "\($1) IS DISTINCT FROM $\($0 + 1)" }.joined(separator: " OR ")))
            """, values.map(\.string) + [String(ingestID), row.source, row.interactionID])
        guard update.affected == 1 else { return (.unchanged, duplicate, false) }
        // As SQLiteWriter: the customer the contact had, whose next inbound contacts are brought up to date.
        if let storedCustomer { try noteCustomer(storedCustomer) }
        return (.updated, duplicate, false)
    }

    /// A customer whose contacts' next inbound contact the load brings up to date.
    private func noteCustomer(_ key: String) throws {
        try connection.run("INSERT INTO fcr_customers (customer_key) VALUES ($1) ON CONFLICT DO NOTHING", [key])
    }

    // MARK: Shards

    /// Keys of `rows` that are stored as contacts or have legs stored (any shard): one statement, which
    /// each shard answers from its primary keys.
    private func storedKeys(_ rows: [MappedRow]) throws -> Set<String> {
        let sources = PostgresStore.textArray(Set(rows.map(\.source)))
        let ids = PostgresStore.textArray(rows.map(\.interactionID))
        let found = try connection.run("""
            SELECT source, interaction_id FROM contacts WHERE source = ANY($1::text[]) AND interaction_id = ANY($2::text[])
            UNION SELECT source, interaction_id FROM legs WHERE source = ANY($1::text[]) AND interaction_id = ANY($2::text[])
            """, [sources, ids])
        return Set(found.rows.map { ($0[0] ?? "") + "\u{1F}" + ($0[1] ?? "") })
    }

    /// Moves the stored contact of `row` to the shard of `customer`: deleted where it is and inserted
    /// with `columns` set to `values` (its next inbound contact recomputed after the file), its legs with it.
    private func moveContact(_ row: MappedRow, columns: [String], values: [String?], to customer: String?) throws {
        let n = columns.count
        try move("contacts", of: row, setting: columns.enumerated().map { "\($1) = $\($0 + 1)" }.joined(separator: ", ")
                 + ", ingest_id = $\(n + 1), next_inbound_at = NULL", values + [String(ingestID)])
        try moveLegs(row, to: customer, onlyIfElsewhere: false)
    }

    /// Moves the legs of `row`'s contact to the shard of `customer` (legs that arrived before their
    /// contact sit with no customer until it comes).
    private func moveLegs(_ row: MappedRow, to customer: String?, onlyIfElsewhere: Bool) throws {
        if onlyIfElsewhere {
            let elsewhere = try connection.run("""
                SELECT 1 FROM legs WHERE source = $1 AND interaction_id = $2 AND customer_key IS DISTINCT FROM $3 LIMIT 1
                """, [row.source, row.interactionID, customer])
            if elsewhere.rows.isEmpty { return }
        }
        try move("legs", of: row, setting: "customer_key = $1", [customer])
    }

    /// Deletes the rows of `table` (contacts or legs) of `row`'s contact, changes them (`setting`, with
    /// `values` as $1, $2, …) and inserts them again: through the partitioned parent, so each lands on
    /// the shard of its (new) customer.
    private func move(_ table: String, of row: MappedRow, setting assignments: String, _ values: [String?]) throws {
        try connection.script("""
            CREATE TEMP TABLE IF NOT EXISTS moving_\(table) (LIKE \(table));
            DELETE FROM moving_\(table);
            """)
        try connection.run("""
            WITH d AS (DELETE FROM \(table) WHERE source = $1 AND interaction_id = $2 RETURNING *)
            INSERT INTO moving_\(table) SELECT * FROM d
            """, [row.source, row.interactionID])
        try connection.run("UPDATE moving_\(table) SET \(assignments)", values)
        try connection.run("INSERT INTO \(table) SELECT * FROM moving_\(table)", [])
    }

    /// The customer column and value of a leg insert whose contact is `$1, $2`: on shards, the
    /// contact's customer, so the leg lands on its contact's shard.
    private var legCustomer: (column: String, value: String) {
        sharded ? ("customer_key, ", "(SELECT customer_key FROM contacts WHERE source = $1 AND interaction_id = $2), ") : ("", "")
    }

    mutating func writeReferencedLeg(_ row: MappedRow, legRef: String, _ layout: RowLayout) throws -> RowOutcome {
        let columns = layout.legColumns
        let n = columns.count
        let values = row.legValues.map(\.string)
        let version = row.legVersion.map { String($0) }
        let inserted = try connection.run("""
            INSERT INTO legs (source, interaction_id, leg_ref, leg, \(columns.map { $0 + ", " }.joined())\(legCustomer.column)version, ingest_id)
            VALUES ($1, $2, $3, (SELECT COALESCE(MAX(leg), 0) + 1000000 FROM legs WHERE source = $1 AND interaction_id = $2),
                    \((0..<n).map { "$\($0 + 4), " }.joined())\(legCustomer.value)$\(n + 4)::bigint, $\(n + 5))
            ON CONFLICT DO NOTHING
            """, [row.source, row.interactionID, legRef] + values + [version, String(ingestID)])
        if inserted.affected == 1 { return .inserted }
        let update = try connection.run("""
            UPDATE legs SET \(columns.enumerated().map { "\($1) = $\($0 + 1), " }.joined())version = $\(n + 1)::bigint, ingest_id = $\(n + 2)
            WHERE source = $\(n + 3) AND interaction_id = $\(n + 4) AND leg_ref = $\(n + 5)
              AND (version IS NULL OR $\(n + 1)::bigint IS NULL OR version <= $\(n + 1)::bigint)
              AND (\((columns.enumerated().map { "\($1) IS DISTINCT FROM $\($0 + 1)" } + ["version IS DISTINCT FROM $\(n + 1)::bigint"]).joined(separator: " OR ")))
            """, values + [version, String(ingestID), row.source, row.interactionID, legRef])
        if update.affected == 1 { return .updated }
        let stored = try connection.run("SELECT version FROM legs WHERE source = $1 AND interaction_id = $2 AND leg_ref = $3",
                                        [row.source, row.interactionID, legRef]).rows.first?.first.flatMap { $0 }.flatMap { Int64($0) }
        if let stored, let mine = row.legVersion, mine < stored { return .stale }
        return .unchanged
    }

    mutating func writeSurvey(_ row: MappedRow, _ layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool) {
        let columns = layout.contactColumns
        let n = columns.count
        let values = (row.contact ?? []).map(\.string)
        let exists = try connection.run("SELECT 1 FROM contacts WHERE source = $1 AND interaction_id = $2", [row.source, row.interactionID])
        if !exists.rows.isEmpty {
            let update = try connection.run("""
                UPDATE contacts SET \(columns.enumerated().map { "\($1) = $\($0 + 1)" }.joined(separator: ", "))
                WHERE source = $\(n + 1) AND interaction_id = $\(n + 2)
                  AND (\(columns.enumerated().map { "\($1) IS DISTINCT FROM $\($0 + 1)" }.joined(separator: " OR ")))
                """, values + [row.source, row.interactionID])
            return (update.affected == 1 ? .updated : .unchanged, false)
        }
        let fields = "," + columns.joined(separator: ",") + ","
        try connection.run("""
            INSERT INTO pending_surveys (source, interaction_id, fields, \(columns.joined(separator: ", ")), ingest_id)
            VALUES (\(PostgresWriter.placeholders(1...(n + 4))))
            ON CONFLICT (source, interaction_id) DO UPDATE SET fields = excluded.fields,
                \(columns.map { "\($0) = excluded.\($0), " }.joined())ingest_id = excluded.ingest_id
            """, [row.source, row.interactionID, fields] + values + [String(ingestID)])
        return (.pending, false)
    }

    mutating func isStale(_ row: MappedRow) throws -> Bool {
        guard let version = row.version else { return false }
        let stored = try connection.run("SELECT version FROM contacts WHERE source = $1 AND interaction_id = $2",
                                        [row.source, row.interactionID]).rows.first?.first.flatMap { $0 }.flatMap { Int64($0) }
        guard let stored else { return false }
        return version < stored
    }

    mutating func writeLeg(_ row: MappedRow, leg: Int, _ layout: RowLayout) throws -> RowOutcome {
        let columns = layout.legColumns
        let n = columns.count
        let values = row.legValues.map(\.string)
        let inserted = try connection.run("""
            INSERT INTO legs (source, interaction_id, leg, \(columns.map { $0 + ", " }.joined())\(legCustomer.column)ingest_id)
            VALUES (\(PostgresWriter.placeholders(1...(n + 3))), \(legCustomer.value)$\(n + 4)) ON CONFLICT DO NOTHING
            """, [row.source, row.interactionID, String(leg)] + values + [String(ingestID)])
        if inserted.affected == 1 { return .inserted }
        guard !columns.isEmpty else { return .unchanged }
        let update = try connection.run("""
            UPDATE legs SET \(columns.enumerated().map { "\($1) = $\($0 + 1)" }.joined(separator: ", ")), ingest_id = $\(n + 1)
            WHERE source = $\(n + 2) AND interaction_id = $\(n + 3) AND leg = $\(n + 4)
              AND (\(columns.enumerated().map { "\($1) IS DISTINCT FROM $\($0 + 1)" }.joined(separator: " OR ")))
            """, values + [String(ingestID), row.source, row.interactionID, String(leg)])
        return update.affected == 1 ? .updated : .unchanged
    }
}

// MARK: - Shared SQL

extension PostgresStore: SQLStore {
    package var location: String { url }
    package var dialect: SQLDialect { .postgres }
    package func readsEveryContact(from: Int64, to: Int64) throws -> Bool { false }

    package func query(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]] {
        try PostgresSession(connection: connection).query(sql, arguments)
    }

    package func aggregateQuery(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]] { try query(sql, arguments) }

    package func forEachRow(_ sql: String, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws {
        try connection.stream(PostgresSession.numbered(sql), arguments.map(\.string)) { row, types in try body(PostgresSession.typed(row, types)) }
    }

    package func scratchTransaction<T>(_ body: (any SQLSession) throws -> T) throws -> T { try transaction(body) }

    package func transaction<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try connection.execute("BEGIN")
        do {
            let result = try body(PostgresSession(connection: connection))
            try connection.execute("COMMIT")
            return result
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

/// Shared SQL on the libpq connection: `?` placeholders become `$1, $2, …`, results typed by their OIDs.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection

    /// `?` outside quoted strings and identifiers, numbered.
    static func numbered(_ sql: String) -> String {
        var out = ""
        var n = 0
        var quote: Character?
        for c in sql {
            if let q = quote {
                if c == q { quote = nil }
                out.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }

    func query(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]] {
        let result = try connection.run(PostgresSession.numbered(sql), arguments.map(\.string))
        return result.rows.map { PostgresSession.typed($0, result.types) }
    }

    /// A row's text values as typed values, by their columns' type OIDs.
    static func typed(_ row: [String?], _ types: [UInt32]) -> [FieldValue] {
        zip(row, types).map { text, type in
            guard let text else { return .null }
            switch type {
            case 16: return .integer(text == "t" ? 1 : 0)  // bool
            case 20, 21, 23, 26: return Int64(text).map(FieldValue.integer) ?? .text(text)  // int8, int2, int4, oid
            case 700, 701: return Double(text).map(FieldValue.real) ?? .text(text)  // float4, float8
            case 1700:  // numeric: SUM over bigint, AVG
                if !text.contains("."), let i = Int64(text) { return .integer(i) }
                return Double(text).map(FieldValue.real) ?? .text(text)
            default: return .text(text)
            }
        }
    }

    func execute(_ sql: String, _ arguments: [FieldValue]) throws -> Int {
        try connection.run(PostgresSession.numbered(sql), arguments.map(\.string)).affected
    }

    /// Through a server-side cursor, `batch` rows per fetch: between fetches the connection is free, so
    /// `body` can write (single-row mode would hold the connection until the last row). A cursor lives
    /// in a transaction only, which a session always is.
    func forEachRow(_ sql: String, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws {
        try forEachRow(sql, arguments, batch: 5_000, body)
    }

    func forEachRow(_ sql: String, _ arguments: [FieldValue], batch: Int, _ body: ([FieldValue]) throws -> Void) throws {
        let cursor = connection.newCursorName()
        _ = try connection.execute("DECLARE \(cursor) NO SCROLL CURSOR FOR " + PostgresSession.numbered(sql), arguments.map(\.string))
        while true {
            let fetched = try connection.execute("FETCH FORWARD \(batch) FROM \(cursor)")
            for row in fetched.rows { try body(PostgresSession.typed(row, fetched.types)) }
            if fetched.rows.count < batch { break }
        }
        _ = try connection.execute("CLOSE \(cursor)")
    }
}

/// Not `Sendable`: one libpq connection, used by one thread at a time.
@available(*, unavailable)
extension PostgresStore: Sendable {}
