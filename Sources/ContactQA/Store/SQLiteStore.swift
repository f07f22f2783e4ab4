import Foundation
import GRDB

/// The embedded store: one SQLite file through GRDB, created on first use, migrated on open.
///
/// Instants are stored as UTC milliseconds since the epoch; see docs/architecture.md for the schema.
package final class SQLiteStore: ContactStore {
    package enum OpenError: Error, CustomStringConvertible {
        case needsTimeZone(path: String)
        case unknownTimeZone(String)
        case timeZoneMismatch(stored: String, requested: String)
        case newerSchema(path: String)
        /// The file exists but is not a ContactQA store; `what` says what it is.
        case notAStore(path: String, what: String)

        package var description: String {
            switch self {
            case .notAStore(let path, let what): "\(path) is not a ContactQA store: \(what); nothing was changed"
            case .needsTimeZone(let path):
                "\(path) does not exist yet; creating a store needs the site timezone: pass --timezone (e.g. Europe/London)"
            case .unknownTimeZone(let zone): "unknown time zone \"\(zone)\" (use an IANA name such as Europe/London)"
            case .timeZoneMismatch(let stored, let requested):
                "this store's site timezone is \(stored), fixed at creation; --timezone \(requested) cannot change it"
            case .newerSchema(let path): "\(path) was written by a newer ContactQA; upgrade before using it"
            }
        }
    }

    package let path: String
    package let siteTimeZone: String
    /// `quarantine/` beside the store file.
    package var quarantineDirectory: String {
        ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("quarantine")
    }
    let queue: DatabaseQueue
    /// How `queue` was opened, for the second connection.
    private let openPath: String
    private let configuration: Configuration
    /// A second connection, opened on first use, so that a report's contacts and legs statements run
    /// on two cores at once (`bothAtOnce`).
    private var secondConnection: DatabaseQueue?
    /// Opened read-only (a folder this process cannot write to).
    let isReadOnly: Bool
    /// Whether aggregates computed through this handle are kept for later runs (`prepareAggregateCache`).
    var keepsAggregates = false
    /// Results computed ahead in a shared pass (`prepareReports`, `prepareRollups`) until a report asks
    /// for them, by statement; guarded by `prefetchLock`, since a report's two statements run on two threads.
    var prefetched: [String: (generation: Int64, value: any Sendable)] = [:]
    /// How many results computed ahead a report has read.
    var preparedRead = 0
    let prefetchLock = NSLock()

    /// Opens the store at `path`, creating it (with `timeZone` as the site timezone) when absent.
    ///
    /// A new store is built whole in a temporary file beside `path` and moved into place only when
    /// complete, so a kill during creation leaves no half-store. An existing file must be a ContactQA
    /// store: an empty file, a file that is not SQLite, or a SQLite database without ContactQA's
    /// meta table is refused, never taken over.
    /// - Parameter create: the site timezone for a new store; when the store exists it must match or be nil.
    /// - Parameter wait: how long a statement waits for another process's write to end before it fails
    ///   as busy (`SQLiteStore.isBusy`); a line on standard error says so every 10 seconds.
    package init(path: String, createWithTimeZone timeZone: String? = nil, wait: TimeInterval = SQLiteStore.defaultWait) throws {
        self.path = path
        if let timeZone, ZoneClock(identifier: timeZone) == nil { throw OpenError.unknownTimeZone(timeZone) }
        if !FileManager.default.fileExists(atPath: path) {
            guard let timeZone else { throw OpenError.needsTimeZone(path: path) }
            try SQLiteStore.create(path: path, timeZone: timeZone)
        }
        let openPath = SQLiteStore.readOnlyFolder(path) ? SQLiteStore.immutableURI(path) : path
        try SQLiteStore.checkIsStore(path, openPath: openPath, wait: wait)
        var configuration = Configuration()
        if openPath != path {
            // A folder this process cannot write to (a share mounted read-only, an archive): SQLite
            // could not create the WAL's -shm beside the file, so the store is read as immutable.
            configuration.readonly = true
        } else {
            configuration.busyMode = .callback(SQLiteStore.waiting(on: path, for: wait))
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
                // For profiling (docs/performance.md): each statement's time and text on standard error.
                // The text has placeholders, never the values bound to them.
                if ProcessInfo.processInfo.environment["CONTACTQA_SQL_PROFILE"] != nil {
                    db.trace(options: .profile) { event in
                        if case let .profile(statement, duration) = event {
                            let text = statement.sql.replacingOccurrences(of: "\n", with: " ")
                            FileHandle.standardError.write(Data("sql \(String(format: "%.4f", duration)) s \(text)\n".utf8))
                        }
                    }
                }
            }
        }
        isReadOnly = configuration.readonly
        self.openPath = openPath
        self.configuration = configuration
        queue = try DatabaseQueue(path: openPath, configuration: configuration)
        let migrator = SQLiteStore.migrator
        if try queue.read({ try migrator.hasBeenSuperseded($0) }) { throw OpenError.newerSchema(path: path) }
        // Only a store that needs a migration is written on open: a reader never waits for a writer (WAL).
        if try !queue.read({ try migrator.hasCompletedMigrations($0) }) {
            guard openPath == path else { throw OpenError.notAStore(path: path, what: "it needs an upgrade, which cannot be written in a read-only folder") }
            try migrator.migrate(queue)
        }
        guard let stored = try queue.read({ try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'site_timezone'") }) else {
            throw OpenError.notAStore(path: path, what: "its meta table has no site time zone")
        }
        if let timeZone, timeZone != stored { throw OpenError.timeZoneMismatch(stored: stored, requested: timeZone) }
        siteTimeZone = stored
    }

    /// Five minutes: long enough for a manual load to finish before the nightly job goes on.
    package static let defaultWait: TimeInterval = 300

    /// A SQLite failure in one line for a user — what failed and SQLite's code — without the SQL
    /// statement and its arguments that the error's own description carries; nil for other errors.
    package static func oneLine(_ error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        if error.resultCode.primaryResultCode == .SQLITE_READONLY {
            return "the store cannot be written: its file or its folder is read-only for this user (commands that only read it still work)"
        }
        let message = (error.message ?? "\(error.resultCode)").replacingOccurrences(of: "\n", with: " ")
        return "the store failed: \(message) (SQLite error \(error.resultCode.rawValue))"
    }

    /// Whether `error` is a statement that gave up waiting for another process's write.
    package static func isBusy(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    /// SQLite's busy handler: sleeps 20 ms a try until `wait` has passed, saying every 10 s that it waits.
    private static func waiting(on path: String, for wait: TimeInterval) -> Database.BusyCallback {
        { tries in
            let waited = Double(tries) * 0.02
            guard waited < wait else { return false }
            if tries > 0, tries % 500 == 0 {
                FileHandle.standardError.write(Data("contactqa: waiting for \((path as NSString).lastPathComponent): another process is writing to it (\(Int(waited)) s of \(Int(wait)) s)\n".utf8))
            }
            usleep(20_000)
            return true
        }
    }

    /// Builds a new store in `path.creating-PID` and links it into place; another process creating the
    /// same store at the same moment wins or loses whole.
    private static func create(path: String, timeZone: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let temporary = path + ".creating-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        _ = FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        do {
            let queue = try DatabaseQueue(path: temporary)
            try migrator.migrate(queue)
            try queue.write { try $0.execute(sql: "INSERT INTO meta (key, value) VALUES ('site_timezone', ?)", arguments: [timeZone]) }
            try queue.close()
        }
        // link(2) fails when `path` appeared meanwhile: that store stands, this one is dropped.
        if link(temporary, path) != 0, errno != EEXIST {
            throw OpenError.notAStore(path: path, what: "it could not be created (\(String(cString: strerror(errno))))")
        }
    }

    /// Whether the store's folder is not writable by this process and no write-ahead log is in use:
    /// then the store can only be read, as an immutable file.
    static func readOnlyFolder(_ path: String) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        return access(directory.isEmpty ? "." : directory, W_OK) != 0 && !FileManager.default.fileExists(atPath: path + "-wal")
    }

    /// `file:` URI that opens `path` as immutable: no lock, no -shm, no -wal (SQLite's URI filenames).
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// Refuses a file that is not a ContactQA store, saying what it is, before anything writes to it.
    private static func checkIsStore(_ path: String, openPath: String, wait: TimeInterval) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 {
            throw OpenError.notAStore(path: path, what: "the file is empty (a creation that was interrupted, or a placeholder); remove it to create a new store")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return }  // unreadable: the open below says why
        let magic = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard magic == Data("SQLite format 3\u{0}".utf8) else {
            throw OpenError.notAStore(path: path, what: "it is not a SQLite database")
        }
        var configuration = Configuration()
        // Read-only, so that a foreign database is left exactly as it was; but a write-ahead log left
        // by a killed writer must be recovered first, which only a read-write connection can do.
        configuration.readonly = openPath != path || !FileManager.default.fileExists(atPath: path + "-wal")
        // Another process's write can hold the log's index for a moment: wait as the store's connection does.
        if openPath == path { configuration.busyMode = .callback(SQLiteStore.waiting(on: path, for: wait)) }
        let tables = try DatabaseQueue(path: openPath, configuration: configuration).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        guard tables.contains("meta"), tables.contains("grdb_migrations") else {
            throw OpenError.notAStore(path: path, what: "it is a SQLite database without ContactQA's tables (\(tables.isEmpty ? "no tables" : tables.prefix(5).joined(separator: ", ")))")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: contacts, legs, ingest log") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE ingest_log (
                    id INTEGER PRIMARY KEY, file TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL,
                    status TEXT NOT NULL, started_at TEXT NOT NULL,
                    rows_read INTEGER NOT NULL, inserted INTEGER NOT NULL, updated INTEGER NOT NULL,
                    unchanged INTEGER NOT NULL, stale INTEGER NOT NULL, duplicates INTEGER NOT NULL,
                    rejected INTEGER NOT NULL, duration_ms INTEGER NOT NULL, message TEXT);
                CREATE INDEX ingest_log_sha ON ingest_log(sha256);
                CREATE TABLE contacts (
                    source TEXT NOT NULL, interaction_id TEXT NOT NULL,
                    channel TEXT NOT NULL, direction TEXT NOT NULL DEFAULT 'inbound',
                    queue TEXT, customer_key TEXT, contact_reason TEXT,
                    arrived_at INTEGER NOT NULL, wait_s REAL,
                    abandoned INTEGER NOT NULL DEFAULT 0, transferred INTEGER NOT NULL DEFAULT 0,
                    escalated INTEGER NOT NULL DEFAULT 0, resolved INTEGER,
                    csat INTEGER, csat_min INTEGER, csat_max INTEGER, nps INTEGER,
                    monitoring_notice INTEGER, version INTEGER, ingest_id INTEGER NOT NULL,
                    leg_count INTEGER NOT NULL DEFAULT 0, closing_agent_id TEXT, closing_team TEXT,
                    PRIMARY KEY (source, interaction_id)) WITHOUT ROWID;
                CREATE INDEX contacts_arrived ON contacts(arrived_at);
                CREATE INDEX contacts_customer ON contacts(customer_key, arrived_at) WHERE customer_key IS NOT NULL;
                CREATE TABLE legs (
                    source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL,
                    queue TEXT, team TEXT, agent_id TEXT, answered_at INTEGER, ended_at INTEGER,
                    talk_s REAL, hold_s REAL, acw_s REAL, recording_ref TEXT, ingest_id INTEGER NOT NULL,
                    PRIMARY KEY (source, interaction_id, leg)) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2: survey responses waiting for their contact") { db in
            try db.execute(sql: """
                ALTER TABLE ingest_log ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE pending_surveys (
                    source TEXT NOT NULL, interaction_id TEXT NOT NULL,
                    fields TEXT NOT NULL, csat INTEGER, csat_min INTEGER, csat_max INTEGER, nps INTEGER, resolved INTEGER,
                    ingest_id INTEGER NOT NULL,
                    PRIMARY KEY (source, interaction_id)) WITHOUT ROWID;
                """)
        }
        SQLiteStore.registerSamplingMigration(&migrator)
        migrator.registerMigration("v4: legs that are records of their own (Amazon Connect, Genesys)") { db in
            try db.execute(sql: """
                ALTER TABLE legs ADD COLUMN leg_ref TEXT;
                ALTER TABLE legs ADD COLUMN version INTEGER;
                CREATE UNIQUE INDEX legs_ref ON legs(source, interaction_id, leg_ref) WHERE leg_ref IS NOT NULL;
                """)
        }
        SQLiteStore.registerQualityMigration(&migrator)
        SQLiteStore.registerCoachingMigration(&migrator)
        migrator.registerMigration("v7: sample units found by their leg") { db in
            // QA estimates look up each evaluated leg's sample unit: without this index every lookup
            // scanned all recorded samples (PostgreSQL had it from the start).
            try db.execute(sql: "CREATE INDEX sample_units_leg ON sample_units(source, interaction_id, leg)")
        }
        migrator.registerMigration("v8: how a leg ended") { db in
            try db.execute(sql: "ALTER TABLE legs ADD COLUMN disconnect_reason TEXT")
        }
        migrator.registerMigration("v9: acknowledgements, disputes and re-evaluations") { db in
            try db.execute(sql: SQLiteStore.feedbackMigration)
        }
        migrator.registerMigration("v10: each contact's next inbound contact of its customer") { db in
            try db.execute(sql: "ALTER TABLE contacts ADD COLUMN next_inbound_at INTEGER")
            try db.execute(sql: SQLiteStore.customerIndexWithDirection)
            try db.execute(sql: SQLiteStore.nextInboundRefresh(customers: nil, isNot: "IS NOT"))
        }
        migrator.registerMigration("v11: conversation analytics") { db in
            try db.execute(sql: SQLiteStore.analyticsMigration)
        }
        migrator.registerMigration("v12: aggregates kept between runs") { db in
            try db.execute(sql: SQLiteStore.aggregateCacheMigration)
        }
        return migrator
    }

    // MARK: Loading

    package func load(_ entry: IngestLogEntry, _ body: (inout any StoreWriter) throws -> (LoadDecision, IngestLogEntry)) throws -> IngestLogEntry {
        var result = entry
        try queue.writeWithoutTransaction { db in
            // The contacts a file touched; `refresh` marks those whose leg summary must be recomputed
            // (a new contact with at most its first leg gets it at insert time).
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS touched (source TEXT NOT NULL, interaction_id TEXT NOT NULL, refresh INTEGER NOT NULL, PRIMARY KEY (source, interaction_id)) WITHOUT ROWID")
            try db.execute(sql: "DELETE FROM temp.touched")
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS fcr_customers (customer_key TEXT PRIMARY KEY) WITHOUT ROWID")
            try db.execute(sql: "DELETE FROM temp.fcr_customers")
            // The load's big sorts (the next-inbound pass's, the indexes built after a backfill) may use
            // SQLite's helper threads: what they produce does not depend on the order of equal keys.
            // Reports never do, since their sums would then add rows in another order.
            try db.execute(sql: "PRAGMA threads = \(SQLiteStore.loadSortThreads)")
            defer { try? db.execute(sql: "PRAGMA threads = 0") }
            var decision = LoadDecision.rollback
            do {
                try db.inTransaction {
                    let backfill = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM contacts)") == true
                    let deferred = backfill ? try SQLiteStore.dropSecondaryContactIndexes(db) : []
                    // The load marks the kept aggregates stale itself, once, rather than through a
                    // trigger call for each row it writes (a 1M-contact backfill: 31.7–33.9 s with them,
                    // 26.8 s without); the triggers are back before the transaction ends, and a
                    // rollback restores them.
                    let triggers = try SQLiteStore.suspendStaleTriggers(db)
                    let id = try SQLiteSession(db: db).insertLog(entry)
                    var writer: any StoreWriter = SQLiteWriter(db: db, ingestID: id, backfill: backfill)
                    (decision, result) = try body(&writer)
                    result.id = id
                    guard decision == .commit else { return .rollback }
                    for index in deferred { try db.execute(sql: index) }
                    let flags = writer as! SQLiteWriter
                    if flags.referencedLegs { try SQLiteStore.numberReferencedLegs(db) }
                    try SQLiteStore.refreshLegSummaries(db)
                    if flags.abandonedFromLegs {
                        try db.execute(sql: """
                            UPDATE contacts SET abandoned = (leg_count = 0)
                            WHERE (source, interaction_id) IN (SELECT source, interaction_id FROM temp.touched) AND abandoned IS NOT (leg_count = 0)
                            """)
                    }
                    try SQLiteStore.attachPendingSurveys(db)
                    // Into a store that had no contacts, every customer is the file's: one pass over them all.
                    try db.execute(sql: SQLiteStore.nextInboundRefresh(customers: backfill ? nil : "temp.fcr_customers", isNot: "IS NOT"))
                    try SQLiteSession(db: db).updateLog(result)
                    for trigger in triggers { try db.execute(sql: trigger) }
                    return .commit
                }
            } catch {
                try db.execute(sql: "DELETE FROM temp.touched; DELETE FROM temp.fcr_customers")
                throw error
            }
            try db.execute(sql: "DELETE FROM temp.touched; DELETE FROM temp.fcr_customers")
            if decision == .rollback {
                result = result.discardingWrites()
                result.id = try SQLiteSession(db: db).insertLog(result)
            }
        }
        return result
    }

    /// Helper threads for a load's sorts: one per core beyond the first, at most 3. With two cores (one
    /// helper), the next-inbound pass's sort of 1M contacts takes 1.47–1.69 s instead of 1.96–2.16 s,
    /// and a 1M backfill 12.45, 11.99 s instead of 12.65, 12.33 s (alternating), the same rows.
    static let loadSortThreads = min(max(ProcessInfo.processInfo.activeProcessorCount - 1, 0), 3)

    /// A load into a store without contacts (a backfill) builds the contacts' secondary indexes after the
    /// rows instead of updating them row by row: one sort instead of a random page per row (the customer
    /// index's keys are HMACs, so each insert lands anywhere). Unique indexes stay: conflicts are found
    /// through them. Inside the file's transaction, so a failed file leaves the indexes as they were.
    /// - Returns: the statements that recreate what was dropped, exactly as the schema has them.
    private static func dropSecondaryContactIndexes(_ db: Database) throws -> [String] {
        let indexes = try Row.fetchAll(db, sql: """
            SELECT m.name, m.sql FROM sqlite_master m
            WHERE m.type = 'index' AND m.tbl_name = 'contacts' AND m.sql IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM pragma_index_list('contacts') i WHERE i.name = m.name AND i."unique" = 1)
            ORDER BY m.name
            """)
        for index in indexes { try db.execute(sql: "DROP INDEX \(index["name"] as String)") }
        return indexes.map { $0["sql"] as String }
    }

    /// Drops the triggers on `contacts` and `legs` that mark kept aggregates stale, marks them stale,
    /// and returns the triggers' SQL to create them again.
    private static func suspendStaleTriggers(_ db: Database) throws -> [String] {
        let triggers = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('contacts', 'legs') AND name LIKE '%_stales_aggregates'
            ORDER BY name
            """)
        for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger["name"] as String)") }
        try db.execute(sql: "UPDATE aggregate_cache_state SET dirty = 1")
        return triggers.map { $0["sql"] as String }
    }

    /// Numbers the referenced legs of each touched contact 1, 2, … by answer time (then reference),
    /// in two steps through negative numbers so that no two legs ever share a number on the way.
    private static func numberReferencedLegs(_ db: Database) throws {
        try db.execute(sql: """
            UPDATE legs SET leg = -x.n
            FROM (SELECT l.source, l.interaction_id, l.leg_ref,
                         ROW_NUMBER() OVER (PARTITION BY l.source, l.interaction_id ORDER BY l.answered_at IS NULL, l.answered_at, l.leg_ref) AS n
                  FROM legs l JOIN temp.touched t ON t.source = l.source AND t.interaction_id = l.interaction_id
                  WHERE l.leg_ref IS NOT NULL) AS x
            WHERE legs.source = x.source AND legs.interaction_id = x.interaction_id AND legs.leg_ref = x.leg_ref;
            UPDATE legs SET leg = -leg
            WHERE leg < 0 AND (source, interaction_id) IN (SELECT source, interaction_id FROM temp.touched);
            """)
    }

    /// Recomputes each touched contact's leg count and closing agent and team (its last leg), rewriting only what changed.
    private static func refreshLegSummaries(_ db: Database) throws {
        try db.execute(sql: """
            UPDATE contacts SET leg_count = x.n, closing_agent_id = x.agent_id, closing_team = x.team
            FROM (SELECT t.source, t.interaction_id,
                         (SELECT COUNT(*) FROM legs l WHERE l.source = t.source AND l.interaction_id = t.interaction_id) AS n,
                         (SELECT agent_id FROM legs l WHERE l.source = t.source AND l.interaction_id = t.interaction_id ORDER BY leg DESC LIMIT 1) AS agent_id,
                         (SELECT team FROM legs l WHERE l.source = t.source AND l.interaction_id = t.interaction_id ORDER BY leg DESC LIMIT 1) AS team
                  FROM temp.touched t WHERE t.refresh = 1) AS x
            WHERE contacts.source = x.source AND contacts.interaction_id = x.interaction_id
              AND (contacts.leg_count IS NOT x.n OR contacts.closing_agent_id IS NOT x.agent_id OR contacts.closing_team IS NOT x.team)
            """)
    }



    /// The customer index carries the direction, so that the pass below reads the index alone instead of
    /// looking every contact up in the table (reading the pass over a million contacts: 5.4 s → 1.8 s).
    static let customerIndexWithDirection = """
        DROP INDEX IF EXISTS contacts_customer;
        CREATE INDEX contacts_customer ON contacts(customer_key, arrived_at, direction) WHERE customer_key IS NOT NULL;
        """

    /// Brings `next_inbound_at` up to date: for each contact of the customers a file touched (their keys
    /// now, and the keys an updated contact had before, gathered in `customers`; nil: every customer),
    /// the arrival of that customer's first inbound contact strictly after it, found in one ordered pass
    /// over `(customer_key, arrived_at)`. FCR's repeat test then reads one column instead of probing the
    /// index per contact. Only values that change are written; a contact without a customer has none.
    /// The values are put in key order before they are written, so that the writes walk the table once
    /// instead of jumping to a random page for each (on a backfill of 1M contacts: 14.0 s → 7.8 s).
    /// The file's customers are found from its contacts (`touched`, a CROSS JOIN so that SQLite starts
    /// there): without it, SQLite walked the whole customer index and looked each entry up in `touched`
    /// (a night's 37,499 contacts into a 1M store: 0.38 s for this statement).
    /// Shared by both stores (`isNot`: SQLite's `IS NOT`, PostgreSQL's `IS DISTINCT FROM`).
    static func nextInboundRefresh(customers: String?, isNot: String) -> String {
        let scope = customers.map { table in
            """
            INSERT INTO \(table) (customer_key)
                SELECT DISTINCT c.customer_key FROM touched t CROSS JOIN contacts c
                WHERE c.source = t.source AND c.interaction_id = t.interaction_id AND c.customer_key IS NOT NULL ON CONFLICT DO NOTHING;
            UPDATE contacts SET next_inbound_at = NULL
            WHERE customer_key IS NULL AND next_inbound_at IS NOT NULL AND (source, interaction_id) IN (SELECT source, interaction_id FROM touched);

            """
        } ?? ""
        return scope + """
            UPDATE contacts SET next_inbound_at = x.next_at
            FROM (SELECT c.source, c.interaction_id,
                         MIN(CASE WHEN c.direction = 'inbound' THEN c.arrived_at END)
                             OVER (PARTITION BY c.customer_key ORDER BY c.arrived_at RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_at
                  FROM contacts c
                  WHERE \(customers.map { "c.customer_key IN (SELECT customer_key FROM \($0))" } ?? "c.customer_key IS NOT NULL")
                  ORDER BY c.source, c.interaction_id) AS x
            WHERE contacts.source = x.source AND contacts.interaction_id = x.interaction_id AND contacts.next_inbound_at \(isNot) x.next_at
            """
    }

    /// Survey responses that arrived before their contact now attach to it: only the fields the
    /// response provided are written, and the waiting rows go.
    private static func attachPendingSurveys(_ db: Database) throws {
        // Nothing waiting (every file but a survey export that came early): no statement at all. Asked
        // anyway, SQLite walks every contact to find none waiting (0.7 s of a 1M-contact load).
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM pending_surveys)") == true else { return }
        let columns = ["csat", "csat_min", "csat_max", "nps", "resolved"]
        let assignments = columns.map { "\($0) = CASE WHEN instr(p.fields, ',\($0),') > 0 THEN p.\($0) ELSE contacts.\($0) END" }
        try db.execute(sql: """
            UPDATE contacts SET \(assignments.joined(separator: ", "))
            FROM pending_surveys p
            WHERE contacts.source = p.source AND contacts.interaction_id = p.interaction_id;
            DELETE FROM pending_surveys
            WHERE EXISTS (SELECT 1 FROM contacts c WHERE c.source = pending_surveys.source AND c.interaction_id = pending_surveys.interaction_id);
            """)
    }

    // MARK: Aggregates

    /// Runs `first` on this thread with `queue` and, at the same time, `second` on a thread of its own
    /// with the second connection. Each statement reads its own snapshot, as two calls one after the
    /// other do (WAL: readers never wait for each other, nor for a writer).
    func bothAtOnce<A, B>(_ first: (DatabaseQueue) throws -> A, _ second: @escaping (DatabaseQueue) throws -> B) throws -> (A, B) {
        let connection: DatabaseQueue
        if let secondConnection {
            connection = secondConnection
        } else {
            connection = try DatabaseQueue(path: openPath, configuration: configuration)
            secondConnection = connection
        }
        let box = ResultBox<B>()
        let worker = Worker { box.result = Result { try second(connection) } }
        let a: A
        do {
            a = try first(queue)
        } catch {
            worker.wait()
            throw error
        }
        worker.wait()
        guard let b = box.result else { preconditionFailure("the worker returned without a result") }
        return (a, try b.get())
    }

    package func reportAggregates(_ query: AggregateQuery) throws -> (contacts: [ContactAggregate], legs: [LegAggregate], legTotal: LegAggregate?) {
        if query.groupBy.isEmpty {
            let (contacts, legs) = try bothAtOnce({ try self.contactAggregates(query, on: $0) }, { try self.legAggregates(query, on: $0) })
            return (contacts, [], legs.first)
        }
        let (contacts, legs) = try bothAtOnce({ try self.contactAggregates(query, on: $0) }, { try self.groupedLegAggregates(query, on: $0) })
        return (contacts, legs.groups, legs.total)
    }

    package func rollupAggregates(_ query: AggregateQuery) throws -> (contacts: [ContactAggregate], legs: LegRollup?) {
        let (contacts, legs) = try bothAtOnce({ try self.contactAggregates(query, on: $0) }, { try self.legRollup(query, on: $0) })
        return (contacts, legs)
    }

    package func contactAggregates(_ query: AggregateQuery) throws -> [ContactAggregate] {
        try contactAggregates(query, on: queue)
    }

    /// - Parameter connection: `queue`, or the second connection when the statement runs beside another.
    ///
    /// The sums are added up in Swift from the period's contacts, read in arrival order, one group
    /// per key met (`GroupTable`), instead of by SQLite's `GROUP BY`, which sorts every row by its key
    /// first (1M contacts by week, team, queue, channel and reason: the sort alone took 1.4 s of 3.6).
    /// The numbers are the same to the bit: SQLite's sorter keeps rows with equal keys in the order it
    /// read them, so each group's sums were already added in arrival order (`contactAggregatesBySQL`
    /// is the statement, kept for the test that compares the two).
    func contactAggregates(_ query: AggregateQuery, on connection: DatabaseQueue) throws -> [ContactAggregate] {
        try cachedAggregate(SQLiteStore.contactsEntry(query), on: connection,
                            encode: { rows, w in w.int(rows.count); for row in rows { row.encode(&w) } },
                            decode: { r in try (0..<r.count()).map { _ in try ContactAggregate(decoding: &r) } }) {
            try connection.read { db in try SQLiteStore.addContacts(db, [query])[0] }
        }
    }

    /// The contact sums by the grouped statement itself, SQLite adding them up.
    func contactAggregatesBySQL(_ query: AggregateQuery) throws -> [ContactAggregate] {
        let keys = query.groupBy.count
        return try queue.read { db in
            var result: [ContactAggregate] = []
            let cursor = try Row.fetchCursor(db, sql: SQLiteStore.contactAggregateSQL(query), arguments: [query.fromUTC, query.toUTC, query.fromUTC, query.toUTC])
            while let row = try cursor.next() {
                let k = keys
                var a = ContactAggregate(key: SQLiteStore.groupKey(row, count: k))
                a.offered = row[k] ?? 0
                if a.offered == 0 { continue }
                a.handled = row[k + 1] ?? 0
                a.abandoned = row[k + 2] ?? 0
                a.shortAbandoned = row[k + 3] ?? 0
                a.serviceLevelMet = row[k + 4] ?? 0
                a.transferred = row[k + 5] ?? 0
                a.escalated = row[k + 6] ?? 0
                a.wait = Moments(n: row[k + 7] ?? 0, sum: row[k + 8] ?? 0, sumOfSquares: row[k + 9] ?? 0, shift: row[k + 19] ?? 0)
                a.csatResponses = row[k + 10] ?? 0
                a.csatSatisfied = row[k + 11] ?? 0
                a.csatNormalised = Moments(n: a.csatResponses, sum: row[k + 12] ?? 0, sumOfSquares: row[k + 13] ?? 0)
                a.npsResponses = row[k + 14] ?? 0
                a.promoters = row[k + 15] ?? 0
                a.detractors = row[k + 16] ?? 0
                a.fcrJudged = row[k + 17] ?? 0
                a.fcrResolved = row[k + 18] ?? 0
                result.append(a)
            }
            return result
        }
    }

    /// - Parameter byArrival: read the contacts through the arrival index, named (the rows in arrival order).
    private static func contactSource(_ query: AggregateQuery, byArrival: Bool = false) -> String {
        """
        FROM contacts c \(byArrival ? "INDEXED BY contacts_arrived " : "")\(SQLiteStore.rosterJoin(query, contactLevel: true)), (\(SQLiteStore.waitShift("?", "?")) AS shift) k
        WHERE direction = 'inbound' AND arrived_at >= ? AND arrived_at < ?
        """
    }

    /// The grouped statement: its text is also the key the kept aggregates are filed under (the
    /// same text as before the sums were added up in Swift, so a store's kept results stay valid).
    static func contactAggregateSQL(_ query: AggregateQuery) -> String {
        let keys = query.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: true, query) }
        let p = query.parameters
        let thresholds = Channel.allCases.map { "WHEN '\($0.rawValue)' THEN \(p.serviceLevelThreshold(for: $0))" }.joined(separator: " ")
        let satisfied = SQLiteStore.csatSatisfiedFrom(p)
        let (fcrJudged, fcrResolved) = SQLiteStore.fcrExpressions(p)
        return """
            SELECT \(keys.map { $0 + ", " }.joined())
                COUNT(*), SUM(abandoned = 0), SUM(abandoned = 1),
                SUM(abandoned = 1 AND wait_s IS NOT NULL AND wait_s < \(p.shortAbandonSeconds)),
                SUM(abandoned = 0 AND wait_s IS NOT NULL AND wait_s <= CASE channel \(thresholds) ELSE 20 END),
                SUM(abandoned = 0 AND (transferred = 1 OR leg_count > 1)), SUM(abandoned = 0 AND escalated = 1),
                SUM(abandoned = 0 AND wait_s IS NOT NULL), TOTAL(CASE WHEN abandoned = 0 THEN wait_s END),
                TOTAL(CASE WHEN abandoned = 0 THEN (wait_s - k.shift) * (wait_s - k.shift) END),
                COUNT(csat), SUM(csat >= \(satisfied)),
                TOTAL(CAST(csat - csat_min AS REAL) / (csat_max - csat_min)),
                TOTAL(CAST(csat - csat_min AS REAL) / (csat_max - csat_min) * (csat - csat_min) / (csat_max - csat_min)),
                COUNT(nps), SUM(nps >= 9), SUM(nps <= 6),
                SUM(\(fcrJudged)), SUM(\(fcrJudged) AND \(fcrResolved)), MAX(k.shift)
            \(contactSource(query))
            \(keys.isEmpty ? "" : "GROUP BY " + (1...keys.count).map(String.init).joined(separator: ", "))
            """
    }

    /// Adds up the period's contacts group by group in Swift, reading them in arrival order (the
    /// arrival index, which the grouped statement reads them through too). A group exists only where
    /// a contact is, as with `GROUP BY`; without grouping, an empty period gives no row either.
    ///
    /// The statement hands over the columns; the grouped statement's terms are worked out here with
    /// SQLite's arithmetic (an integer difference, then a division in doubles; a comparison with NULL
    /// counts nowhere; a division by zero is NULL), except FCR's two, which stay SQL. Evaluating the
    /// terms was most of what SQLite spent on a contact.
    ///
    /// Several groupings of one period with the same parameters are added up from one read of the
    /// contacts, each group's sums in the same order as alone: one result per query, in their order.
    static func addContacts(_ db: Database, _ queries: [AggregateQuery]) throws -> [[ContactAggregate]] {
        let query = SQLiteStore.sharedPeriod(queries)
        let p = query.parameters
        let keySets = queries.map { q in q.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: true, q) } }
        let keys = keySets.flatMap { $0 }
        let (fcrJudged, fcrResolved) = SQLiteStore.fcrExpressions(p)
        let columns = ["abandoned", "wait_s", "channel", "transferred", "leg_count", "escalated", "csat", "csat_min", "csat_max", "nps",
                       fcrJudged, "\(fcrJudged) AND \(fcrResolved)", "k.shift"]
        let sql = """
            SELECT \((keys + columns).joined(separator: ", "))
            \(contactSource(query, byArrival: true))
            """
        let thresholds = Channel.allCases.map { (Array($0.rawValue.utf8), p.serviceLevelThreshold(for: $0)) }
        let shortAbandon = p.shortAbandonSeconds
        let k = Int32(keys.count)
        let (abandonedColumn, waitColumn, channelColumn, transferredColumn, legCountColumn, escalatedColumn) = (k, k + 1, k + 2, k + 3, k + 4, k + 5)
        let (csatColumn, csatMinColumn, csatMaxColumn, npsColumn, judgedColumn, resolvedColumn, shiftColumn) = (k + 6, k + 7, k + 8, k + 9, k + 10, k + 11, k + 12)
        func add(_ row: StepRow, to a: inout ContactAggregate) {
            let answered = row.int64(abandonedColumn) == 0
            let wait: Double? = row.isNull(waitColumn) ? nil : row.double(waitColumn)
            a.offered += 1
            if answered {
                a.handled += 1
                if row.int64(transferredColumn) == 1 || row.int64(legCountColumn) > 1 { a.transferred += 1 }
                if row.int64(escalatedColumn) == 1 { a.escalated += 1 }
                if let wait {
                    let threshold = row.withText(channelColumn) { channel in thresholds.first { $0.0.elementsEqual(channel) }?.1 } ?? 20
                    if wait <= threshold { a.serviceLevelMet += 1 }
                    a.wait.n += 1
                    a.wait.sum += wait
                    a.wait.sumOfSquares += (wait - a.wait.shift) * (wait - a.wait.shift)
                }
            } else {
                a.abandoned += 1
                if let wait, wait < shortAbandon { a.shortAbandoned += 1 }
            }
            if !row.isNull(csatColumn) {
                a.csatResponses += 1
                if !row.isNull(csatMaxColumn) {
                    let csat = row.int64(csatColumn), high = row.int64(csatMaxColumn)
                    let low: Int64? = row.isNull(csatMinColumn) ? nil : row.int64(csatMinColumn)
                    // Without a scale minimum the CASE's test is NULL, so its ELSE applies: only the top box.
                    let satisfied = p.csatTopBoxes.map { high - Int64($0 - 1) } ?? (low.map { high - $0 + 1 >= 4 } == true ? high - 1 : high)
                    if csat >= satisfied { a.csatSatisfied += 1 }
                    if let low, high - low != 0 {
                        let normalised = Double(csat - low) / Double(high - low)
                        a.csatNormalised.sum += normalised
                        a.csatNormalised.sumOfSquares += normalised * Double(csat - low) / Double(high - low)
                    }
                }
            }
            if !row.isNull(npsColumn) {
                let nps = row.int64(npsColumn)
                a.npsResponses += 1
                if nps >= 9 { a.promoters += 1 }
                if nps <= 6 { a.detractors += 1 }
            }
            if row.int64(judgedColumn) == 1 { a.fcrJudged += 1 }
            if row.int64(resolvedColumn) == 1 { a.fcrResolved += 1 }
        }
        let columnRanges = SQLiteStore.columnRanges(keySets)
        var tables = [GroupTable](repeating: GroupTable(), count: queries.count)
        var sums = [[ContactAggregate]](repeating: [], count: queries.count)
        var key: [UInt8] = []
        try db.step(sql, [query.fromUTC, query.toUTC, query.fromUTC, query.toUTC]) { row in
            for (i, columns) in columnRanges.enumerated() {
                key.removeAll(keepingCapacity: true)
                for column in columns { row.appendKey(column, to: &key) }
                let group = tables[i].index(of: key)
                if group == sums[i].count {
                    sums[i].append(ContactAggregate(key: []))
                    sums[i][group].wait.shift = row.double(shiftColumn)
                }
                add(row, to: &sums[i][group])
            }
        }
        return tables.indices.map { i in
            tables[i].sortedIndices().map { group in
                var a = sums[i][group]
                a.key = tables[i].key(group)
                a.csatNormalised.n = a.csatResponses
                return a
            }
        }
    }

    /// The shift of the waits' sum of squares (`Moments`): the wait of the period's first answered
    /// contact (ties: the shortest wait), chosen by both stores the same way so their sums agree, found
    /// on the arrival index in one probe.
    static func waitShift(_ from: String, _ to: String) -> String {
        """
        SELECT COALESCE((SELECT wait_s FROM contacts WHERE direction = 'inbound' AND arrived_at >= \(from) AND arrived_at < \(to)
                         AND abandoned = 0 AND wait_s IS NOT NULL ORDER BY arrived_at, wait_s LIMIT 1), 0)
        """
    }

    /// The lowest CSAT rating that counts as satisfied: the top `csat_top_boxes` boxes, by default two
    /// on scales of four or more points and one on smaller scales. `prefix` qualifies the columns.
    static func csatSatisfiedFrom(_ p: KPIParameters, prefix: String = "") -> String {
        p.csatTopBoxes.map { "\(prefix)csat_max - \($0 - 1)" }
            ?? "CASE WHEN \(prefix)csat_max - \(prefix)csat_min + 1 >= 4 THEN \(prefix)csat_max - 1 ELSE \(prefix)csat_max END"
    }

    /// Which handled contacts FCR judges, and which of them count as resolved first time.
    ///
    /// Matched on the customer alone, the repeat test reads the contact's stored next inbound contact
    /// (`next_inbound_at`, kept up to date at every load): no repeat when there is none, or when it came
    /// after the window or after the follow-up cut-off. That is the same test as searching for a later
    /// inbound contact in the window, since the next one is the earliest candidate. Matched on customer
    /// and reason, the search is a correlated `NOT EXISTS` on the `(customer_key, arrived_at)` index, one
    /// range probe per judged contact; the repeat may lie after the period either way.
    static func fcrExpressions(_ p: KPIParameters) -> (judged: String, resolved: String) {
        switch p.fcrMethod {
        case .resolved:
            return ("(c.abandoned = 0 AND c.resolved IS NOT NULL)", "c.resolved = 1")
        case .repeatContact:
            let window = Int64(p.fcrWindowDays) * 86_400_000
            let judged = "(c.abandoned = 0 AND c.customer_key IS NOT NULL)"
            guard p.fcrMatch == .customerAndReason else {
                let cutoff = p.followUpBeforeUTC.map { " OR c.next_inbound_at >= \($0)" } ?? ""
                return (judged, "(c.next_inbound_at IS NULL OR c.next_inbound_at > c.arrived_at + \(window)\(cutoff))")
            }
            let cutoff = p.followUpBeforeUTC.map { " AND r.arrived_at < \($0)" } ?? ""
            return (judged, """
                NOT EXISTS (SELECT 1 FROM contacts r WHERE r.customer_key = c.customer_key AND r.direction = 'inbound'
                    AND r.arrived_at > c.arrived_at AND r.arrived_at <= c.arrived_at + \(window)\(cutoff)
                    AND (r.contact_reason IS NULL OR c.contact_reason IS NULL OR r.contact_reason = c.contact_reason))
                """)
        }
    }

    package func legAggregates(_ query: AggregateQuery) throws -> [LegAggregate] {
        try legAggregates(query, on: queue)
    }

    func legAggregates(_ query: AggregateQuery, on connection: DatabaseQueue) throws -> [LegAggregate] {
        try cachedAggregate(SQLiteStore.legsEntry(query), on: connection,
                            encode: { rows, w in w.int(rows.count); for row in rows { row.encode(&w) } },
                            decode: { r in try (0..<r.count()).map { _ in try LegAggregate(decoding: &r) } }) {
            var rows = LegRows()
            try forEachHandleTime(query, on: connection) { rows.add($0, $1, $2) }
            return rows.rows
        }
    }

    /// One pass in key order: a group's values are held until the group ends, turned into its median
    /// and p90, and dropped; the total gathers every distinct value with its count. So memory grows
    /// with the values of one group and the distinct values of all, not with the groups times their
    /// values (a week by agent at 5M contacts held every agent's values, and merged them all again for
    /// the total). Same numbers as merging the groups: the moments are added in the same order, the
    /// quantiles come from the same multisets.
    package func groupedLegAggregates(_ query: AggregateQuery) throws -> (groups: [LegAggregate], total: LegAggregate?) {
        try groupedLegAggregates(query, on: queue)
    }

    func groupedLegAggregates(_ query: AggregateQuery, on connection: DatabaseQueue) throws -> (groups: [LegAggregate], total: LegAggregate?) {
        try cachedAggregate(SQLiteStore.groupedLegsEntry(query), on: connection,
                            encode: { result, w in
                                w.int(result.groups.count)
                                for group in result.groups { group.encode(&w) }
                                (result.total ?? LegAggregate(key: [])).encode(&w)
                            },
                            decode: { r in
                                let groups = try (0..<r.count()).map { _ in try LegAggregate(decoding: &r) }
                                return (groups, try LegAggregate(decoding: &r))
                            }) {
            var grouped = GroupedLegs()
            try forEachHandleTime(query, on: connection) { grouped.add($0, $1, $2) }
            return grouped.finish()
        }
    }

    package func legRollup(_ query: AggregateQuery) throws -> LegRollup? {
        try legRollup(query, on: queue)
    }

    func legRollup(_ query: AggregateQuery, on connection: DatabaseQueue) throws -> LegRollup {
        try cachedAggregate(SQLiteStore.legRollupEntry(query), on: connection,
                            encode: { rollup, w in
                                w.int(rollup.legs.count)
                                for row in rollup.legs { row.encode(&w) }
                                w.int(rollup.weekHandleTimes.count)
                                for (week, values) in rollup.weekHandleTimes.sorted(by: { KPIEngine.keyOrder([$0.key], [$1.key]) }) {
                                    w.key([week])
                                    w.counted(values)
                                }
                            },
                            decode: { r in
                                var rollup = LegRollup()
                                rollup.legs = try (0..<r.count()).map { _ in try LegAggregate(decoding: &r) }
                                for _ in 0..<(try r.count()) {
                                    let week = try r.key()
                                    guard week.count == 1 else { throw CacheReader.Malformed() }
                                    rollup.weekHandleTimes[week[0]] = try r.counted()
                                }
                                return rollup
                            }) {
            var rollup = RollupLegs()
            try forEachHandleTimeWeekByWeek(query, on: connection) { rollup.add($0, $1, $2) }
            return rollup.finish()
        }
    }

    /// - Parameter scanContacts: read every contact in key order instead of the period's through the
    ///   arrival index (`+` keeps SQLite off the index). Faster when the period holds most of the store
    ///   (measured at 1M contacts: 1.38 s against 2.06 s for all four weeks of a four-week store; for
    ///   one week of it the two were even), and the result is the same either way: it only counts.
    static func handleTimeSQL(_ query: AggregateQuery, scanContacts: Bool = false) -> String {
        let keys = query.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: false, query) }
        let columns = (1...(keys.count + 1)).map(String.init).joined(separator: ", ")
        let arrived = scanContacts ? "+c.arrived_at" : "c.arrived_at"
        return """
            SELECT \(keys.map { $0 + ", " }.joined())
                COALESCE(l.talk_s, 0) + COALESCE(l.hold_s, 0) + COALESCE(l.acw_s, 0) AS handle, COUNT(*)
            FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id \(SQLiteStore.rosterJoin(query, contactLevel: false))
            WHERE c.direction = 'inbound' AND c.abandoned = 0 AND \(arrived) >= ? AND \(arrived) < ?
              AND NOT (l.talk_s IS NULL AND l.hold_s IS NULL AND l.acw_s IS NULL)
            GROUP BY \(columns)
            ORDER BY \(columns)
            """
    }

    /// The legs' handle times group by group in key order, each distinct value ascending with the
    /// number of legs that have it.
    ///
    /// Counted in Swift where the distinct (group, value) pairs stay few (`countHandleTimes`), sorted in
    /// Swift where the period's legs fit (`sortHandleTimes`); else by the grouped statement, which sorts
    /// every leg by key and value in SQLite (on disk beyond its cache). Counts are exact, so all three
    /// give the same pairs and counts whatever order the legs are read in.
    /// - Parameter plan: how the caller already decided to count (`handleTimeCount`); nil to decide here.
    func forEachHandleTime(_ query: AggregateQuery, on connection: DatabaseQueue, plan: HandleTimeCount? = nil,
                           _ body: ([GroupValue?], Double, Int) throws -> Void) throws {
        try connection.read { db in
            let scan = try SQLiteStore.periodHoldsMostContacts(db, from: query.fromUTC, to: query.toUTC)
            let plan = try plan ?? SQLiteStore.handleTimeCount(db, query)
            if plan == .hashed, let counted = try SQLiteStore.countHandleTimes(db, query, scanContacts: scan) {
                var key: [GroupValue?] = []
                var group = -1
                for pair in counted.pairs {
                    if Int(pair.group) != group {
                        group = Int(pair.group)
                        key = counted.keys[group]
                    }
                    try body(key, pair.value, pair.count)
                }
                return
            }
            if plan != .grouped, try SQLiteStore.sortHandleTimes(db, query, scanContacts: scan, body) { return }
            try SQLiteStore.forEachGroupedHandleTime(db, query, scanContacts: scan, body)
        }
    }

    /// `forEachHandleTime` for a grouping that begins with the week: the whole period at once when it
    /// can be counted or sorted in Swift (`handleTimeCount`), else in runs of consecutive weeks whose
    /// legs can (`weekRuns`): a week's groups are all its own and come before the next week's, so the
    /// runs' results one after the other are the whole period's, in its order, while what is held is
    /// one run's. Otherwise the whole period by the grouped statement.
    /// - Parameter runContacts: the most contacts a run may hold; nil for what the sort may hold.
    func forEachHandleTimeWeekByWeek(_ query: AggregateQuery, on connection: DatabaseQueue, runContacts: Int? = nil,
                                     _ body: ([GroupValue?], Double, Int) throws -> Void) throws {
        let limit = runContacts ?? SQLiteStore.legsSorted(groupings: 1)
        let runs = try connection.read { db -> [(part: AggregateQuery, contacts: Int)]? in
            guard query.groupBy.first == .week, try SQLiteStore.handleTimeCount(db, query, contactsSorted: limit) == .grouped else { return nil }
            return try SQLiteStore.weekRuns(db, query, limit: limit)
        }
        guard let runs else { return try forEachHandleTime(query, on: connection, body) }
        for run in runs { try forEachHandleTime(run.part, on: connection, plan: .sorted, body) }
    }

    /// The period's weeks (`weeks(of:)`) joined into runs of consecutive weeks whose contacts together
    /// stay within `limit`, with their contacts; nil when one week alone exceeds it.
    static func weekRuns(_ db: Database, _ query: AggregateQuery, limit: Int) throws -> [(part: AggregateQuery, contacts: Int)]? {
        var runs: [(part: AggregateQuery, contacts: Int)] = []
        for week in weeks(of: query) {
            let n = try contacts(db, from: week.fromUTC, to: week.toUTC)
            guard n <= limit else { return nil }
            if let last = runs.last, last.contacts + n <= limit {
                runs[runs.count - 1].part.toUTC = week.toUTC
                runs[runs.count - 1].contacts += n
            } else {
                runs.append((week, n))
            }
        }
        return runs
    }

    /// The period cut at each local Monday 00:00 of its clock: the parts a week key groups by.
    static func weeks(of query: AggregateQuery) -> [AggregateQuery] {
        var parts: [AggregateQuery] = []
        var from = query.fromUTC
        while from < query.toUTC {
            let day = query.clock.localDate(atUTC: from >= 0 ? from / 1000 : (from - 999) / 1000).dayNumber
            let monday = LocalDate(dayNumber: day - (day + 3) % 7 + 7)
            let to = min(query.toUTC, query.clock.startOfDay(monday) * 1000)
            guard to > from else { return [query] }
            var part = query
            part.fromUTC = from
            part.toUTC = to
            parts.append(part)
            from = to
        }
        return parts
    }

    /// `forEachHandleTime` by the grouped statement.
    static func forEachGroupedHandleTime(_ db: Database, _ query: AggregateQuery, scanContacts: Bool,
                                         _ body: ([GroupValue?], Double, Int) throws -> Void) throws {
        let count = query.groupBy.count
        let cursor = try Row.fetchCursor(db, sql: SQLiteStore.handleTimeSQL(query, scanContacts: scanContacts), arguments: [query.fromUTC, query.toUTC])
        var key: [GroupValue?] = []
        while let row = try cursor.next() {
            let rowKey = SQLiteStore.groupKey(row, count: count)
            if rowKey != key { key = rowKey }  // one key array per group, shared by its rows
            try body(key, row[count], row[count + 1])
        }
    }

    /// How many distinct (group, handle time) pairs `countHandleTimes` holds at most before it gives
    /// way: about 20 MiB with the sort that orders them.
    static let handleTimePairsHeld = 300_000

    /// What `sortHandleTimes` may hold: each leg's value (eight bytes) and its place while the values
    /// are put in order (eight), and its group in each grouping sorted at once (four bytes each).
    static let handleTimeSortBytes = 64 << 20

    /// The most legs `sortHandleTimes` holds for `groupings` groupings at once before it gives way
    /// to the grouped statement: 3.3M for one, 2.8M for two, 1.7M for six. A period with more
    /// contacts than that is left to the grouped statement from the start (a week of five million
    /// contacts a month holds 1.25M).
    static func legsSorted(groupings: Int) -> Int { handleTimeSortBytes / (16 + 4 * groupings) }

    /// How a period's handle times are counted.
    enum HandleTimeCount {
        /// Few groups — weeks, channels or none — whose distinct handle times the times' resolution
        /// bounds (four weeks by week of five million contacts: 111,273 pairs): a hash of the pairs.
        case hashed
        /// Every leg's group and value held and put in order in Swift.
        case sorted
        /// The grouped statement.
        case grouped
    }

    /// - Parameter contactsSorted: the most contacts a period may hold to be sorted; nil for what the sort may hold.
    static func handleTimeCount(_ db: Database, _ query: AggregateQuery, contactsSorted: Int? = nil) throws -> HandleTimeCount {
        if Set(query.groupBy).isSubset(of: [.week, .channel]) { return .hashed }
        return try contacts(db, from: query.fromUTC, to: query.toUTC) <= (contactsSorted ?? legsSorted(groupings: 1)) ? .sorted : .grouped
    }

    private struct HandleTimePair: Hashable {
        var group: Int32
        var value: Double
    }

    private struct TooManyPairs: Error {}

    /// The period's handled legs, one row each: the key columns `keys`, then the leg's handle time
    /// (`scanContacts` as for the grouped statement). What `countHandleTimes` and `sortHandleTimes` read.
    static func handledLegsSQL(_ keys: [String], _ query: AggregateQuery, scanContacts: Bool) -> String {
        let arrived = scanContacts ? "+c.arrived_at" : "c.arrived_at"
        return """
            SELECT \((keys + ["COALESCE(l.talk_s, 0) + COALESCE(l.hold_s, 0) + COALESCE(l.acw_s, 0)"]).joined(separator: ", "))
            FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id \(SQLiteStore.rosterJoin(query, contactLevel: false))
            WHERE c.direction = 'inbound' AND c.abandoned = 0 AND \(arrived) >= ? AND \(arrived) < ?
              AND NOT (l.talk_s IS NULL AND l.hold_s IS NULL AND l.acw_s IS NULL)
            """
    }

    /// Counts the period's handled legs by group and handle time in one pass over the legs and their
    /// contacts, in whatever order they come (`scanContacts` as for the grouped statement), with a
    /// hash of the pairs instead of a sort of the legs. Nil once the pairs outnumber
    /// `limit`: memory stays bounded, and the caller runs the grouped statement instead.
    /// Two values are one pair when they are equal as numbers, as `GROUP BY` takes them.
    static func countHandleTimes(_ db: Database, _ query: AggregateQuery, scanContacts: Bool, limit: Int = handleTimePairsHeld)
        throws -> (keys: [[GroupValue?]], pairs: [(group: Int32, value: Double, count: Int)])? {
        let keys = query.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: false, query) }
        let sql = SQLiteStore.handledLegsSQL(keys, query, scanContacts: scanContacts)
        let k = Int32(keys.count)
        var table = GroupTable()
        var counts: [HandleTimePair: Int] = [:]
        var key: [UInt8] = []
        do {
            try db.step(sql, [query.fromUTC, query.toUTC]) { row in
                key.removeAll(keepingCapacity: true)
                for column in 0..<k { row.appendKey(column, to: &key) }
                let pair = HandleTimePair(group: Int32(table.index(of: key)), value: row.double(k))
                counts[pair, default: 0] += 1
                if counts.count > limit { throw TooManyPairs() }
            }
        } catch is TooManyPairs {
            return nil
        }
        let order = table.sortedIndices()
        var rank = [Int32](repeating: 0, count: order.count)
        for (position, group) in order.enumerated() { rank[group] = Int32(position) }
        let pairs = counts.map { (group: rank[Int($0.key.group)], value: $0.key.value, count: $0.value) }
            .sorted { ($0.group, $0.value) < ($1.group, $1.value) }
        return (order.map(table.key), pairs)
    }

    private struct TooManyLegs: Error {}

    /// The period's handled legs by group and handle time, from one pass over the legs and their
    /// contacts in whatever order they come (`scanContacts` as for the grouped statement): each leg's
    /// group and value are held, then the values are placed group by group in the groups' `GROUP BY`
    /// order and each group's sorted, so what the grouped statement sorts on disk is sorted in memory.
    /// Calls `body` as `forEachHandleTime` does and returns true; returns false without calling it
    /// once the legs outnumber `limit` (nil: `legsSorted(groupings:)`), for the caller to run the
    /// grouped statement instead.
    /// Two values are one pair when they are equal as numbers, as `GROUP BY` takes them.
    static func sortHandleTimes(_ db: Database, _ query: AggregateQuery, scanContacts: Bool, limit: Int? = nil,
                                _ body: ([GroupValue?], Double, Int) throws -> Void) throws -> Bool {
        try sortHandleTimes(db, [query], scanContacts: scanContacts, limit: limit) { _, key, h, n in try body(key, h, n) }
    }

    /// `sortHandleTimes` for several groupings of one period from one read of its legs: the values are
    /// held once and each grouping's group of every leg beside them (four bytes a leg a grouping). Each
    /// grouping's pairs are passed on whole, one grouping after the other, with its index in `queries`.
    /// - Parameters:
    ///   - limit: the most legs held; nil for `legsSorted(groupings:)`.
    ///   - expected: about how many legs will come (room is made for them at once).
    static func sortHandleTimes(_ db: Database, _ queries: [AggregateQuery], scanContacts: Bool, limit: Int? = nil, expected: Int = 0,
                                _ body: (Int, [GroupValue?], Double, Int) throws -> Void) throws -> Bool {
        let limit = limit ?? legsSorted(groupings: queries.count)
        let query = SQLiteStore.sharedPeriod(queries)
        let keySets = queries.map { q in q.groupBy.map { SQLiteStore.keyExpression($0, contactLevel: false, q) } }
        let keys = keySets.flatMap { $0 }
        let sql = SQLiteStore.handledLegsSQL(keys, query, scanContacts: scanContacts)
        let valueColumn = Int32(keys.count)
        let columnRanges = SQLiteStore.columnRanges(keySets)
        var tables = [GroupTable](repeating: GroupTable(), count: queries.count)
        var groups = [[Int32]](repeating: [], count: queries.count)
        var values: [Double] = []
        values.reserveCapacity(min(expected, limit))
        for i in groups.indices { groups[i].reserveCapacity(min(expected, limit)) }
        var key: [UInt8] = []
        do {
            try db.step(sql, [query.fromUTC, query.toUTC]) { row in
                if values.count == limit { throw TooManyLegs() }
                for (i, columns) in columnRanges.enumerated() {
                    key.removeAll(keepingCapacity: true)
                    for column in columns { row.appendKey(column, to: &key) }
                    groups[i].append(Int32(tables[i].index(of: key)))
                }
                values.append(row.double(valueColumn))
            }
        } catch is TooManyLegs {
            return false
        }
        var placed = [Double](repeating: 0, count: values.count)
        for i in queries.indices {
            // Each group's place in GROUP BY order, where its values begin, and the values moved there.
            let order = tables[i].sortedIndices()
            var rank = [Int](repeating: 0, count: order.count)
            for (position, group) in order.enumerated() { rank[group] = position }
            var starts = [Int](repeating: 0, count: order.count + 1)
            for group in groups[i] { starts[rank[Int(group)] + 1] += 1 }
            for position in order.indices { starts[position + 1] += starts[position] }
            var next = starts
            for (group, value) in zip(groups[i], values) {
                let position = rank[Int(group)]
                placed[next[position]] = value
                next[position] += 1
            }
            groups[i] = []
            for (position, group) in order.enumerated() {
                let range = starts[position]..<starts[position + 1]
                placed[range].sort()
                let groupKey = tables[i].key(group)
                var j = range.lowerBound
                while j < range.upperBound {
                    let value = placed[j]
                    var end = j + 1
                    while end < range.upperBound, placed[end] == value { end += 1 }
                    try body(i, groupKey, value, end - j)
                    j = end
                }
            }
        }
        return true
    }

    /// Whether [from, to) spans at least half of the time between the store's first and last contact
    /// (two index lookups): then reading every contact beats finding the period's through the index.
    static func periodHoldsMostContacts(_ db: Database, from: Int64, to: Int64) throws -> Bool {
        guard let row = try Row.fetchOne(db, sql: "SELECT (SELECT MIN(arrived_at) FROM contacts), (SELECT MAX(arrived_at) FROM contacts)"),
              let first = row[0] as Int64?, let last = row[1] as Int64? else { return false }
        let overlap = min(to, last + 1) - max(from, first)
        return overlap > 0 && 2 * overlap >= last + 1 - first
    }

    private static func groupKey(_ row: Row, count: Int) -> [GroupValue?] {
        (0..<count).map { i in
            switch row[i] as DatabaseValue? {
            case let value? where !value.isNull:
                if let n = Int64.fromDatabaseValue(value) { return .integer(n) }
                return String.fromDatabaseValue(value).map(GroupValue.text)
            default: return nil
            }
        }
    }

    /// SQL for a grouping dimension. Time dimensions turn UTC milliseconds into local seconds with a
    /// `CASE` over the zone's offset changes inside the period, so the database groups by local day.
    static func keyExpression(_ dimension: GroupDimension, contactLevel: Bool, _ query: AggregateQuery) -> String {
        let segments = query.clock.offsetSegments(fromUTC: query.fromUTC / 1000 - 86_400, toUTC: query.toUTC / 1000 + 86_400)
        var offset = "\(segments.initial)"
        if !segments.changes.isEmpty {
            var previous = segments.initial
            var cases: [String] = []
            for change in segments.changes {
                cases.append("WHEN c.arrived_at < \(change.at * 1000) THEN \(previous)")
                previous = change.offset
            }
            offset = "CASE \(cases.joined(separator: " ")) ELSE \(previous) END"
        }
        let localSeconds = "(c.arrived_at / 1000 + \(offset))"
        let day = "(\(localSeconds) / 86400)"
        switch dimension {
        case .week: return "(\(day) - ((\(day) + 3) % 7) + 3)"
        case .day: return day
        case .hour: return "((\(localSeconds) % 86400) / 3600)"
        case .dow: return "((\(day) + 3) % 7 + 1)"
        case .agent: return contactLevel ? "c.closing_agent_id" : "l.agent_id"
        // The roster's team through `rosterJoin`, which a query grouping by team adds to its FROM.
        case .team: return contactLevel ? "COALESCE(c.closing_team, rt.team)" : "COALESCE(l.team, rt.team)"
        case .queue: return contactLevel ? "c.queue" : "COALESCE(l.queue, c.queue)"
        case .channel: return "c.channel"
        case .reason: return "c.contact_reason"
        }
    }
}

extension SQLiteStore {
    /// What a grouped query joins for the `team` dimension: the roster's row of the contact's closing
    /// agent or the leg's agent. A join rather than a correlated lookup in the key: SQLite evaluated
    /// the lookup's subquery for every row even where the source had a team (13 weeks of 1M contacts
    /// by team: 11.1 s → 5.0 s).
    static func rosterJoin(_ query: AggregateQuery, contactLevel: Bool) -> String {
        guard query.groupBy.contains(.team) else { return "" }
        return "LEFT JOIN roster rt ON rt.agent_id = \(contactLevel ? "c.closing_agent_id" : "l.agent_id")"
    }

    /// A leg's or contact's team: the source's, else the roster's team of its agent (a Zendesk ticket
    /// or a PBX call log often carries no team). The same SQL on both backends.
    static func team(_ column: String, agent: String) -> String {
        "COALESCE(\(column), (SELECT r.team FROM roster r WHERE r.agent_id = \(agent)))"
    }
}

extension SQLiteStore: SQLStore {
    package var location: String { path }

    package func query(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]] {
        try queue.read { db in try SQLiteSession(db: db).query(sql, arguments) }
    }

    package var dialect: SQLDialect { .sqlite }

    package func readsEveryContact(from: Int64, to: Int64) throws -> Bool {
        try queue.read { db in try SQLiteStore.periodHoldsMostContacts(db, from: from, to: to) }
    }

    package func transaction<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try queue.write { db in try body(SQLiteSession(db: db)) }
    }

    package func scratchTransaction<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.deferred) {
                result = try body(SQLiteSession(db: db))
                return .commit
            }
            return result!
        }
    }

    package func forEachRow(_ sql: String, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws {
        try queue.read { db in try SQLiteSession(db: db).forEachRow(sql, arguments, body) }
    }
}

/// Shared SQL on a GRDB connection.
struct SQLiteSession: SQLSession {
    let db: Database

    func query(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]] {
        var rows: [[FieldValue]] = []
        try db.forEachRow(db.cachedStatement(sql: sql), arguments) { rows.append($0) }
        return rows
    }

    /// The statement's rows one at a time, as SQLite steps (inside whatever transaction `db` is in).
    /// The statement is prepared for this call, so `body` may run the same SQL itself.
    func forEachRow(_ sql: String, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws {
        try db.forEachRow(db.makeStatement(sql: sql), arguments, body)
    }

    /// Statements are prepared once per connection and reused (GRDB's statement cache): a sample's
    /// frame is recorded with one insert per thousand units, but other loops run one statement often.
    func execute(_ sql: String, _ arguments: [FieldValue]) throws -> Int {
        try db.forEachRow(db.cachedStatement(sql: sql), arguments) { _ in }
        return db.changesCount
    }
}

/// Writes rows with cached statements inside a file's transaction.
struct SQLiteWriter: RowWriting {
    let db: Database
    let ingestID: Int64
    /// Each kind of write's statement and the columns it was made for. A file's rows share their columns,
    /// so the SQL is built once per file rather than once per row (comparing the same array storage is
    /// one check); a layout that changes from row to row falls back on GRDB's cache, keyed by the SQL.
    private var made: [Write: (columns: [String], statement: Statement)] = [:]
    var abandonedFromLegs = false
    var referencedLegs = false
    /// The store held no contacts when the file began: the FCR pass then covers every customer, so a
    /// contact inserted with its leg summary needs no entry in `touched`.
    let backfill: Bool

    init(db: Database, ingestID: Int64, backfill: Bool) {
        self.db = db
        self.ingestID = ingestID
        self.backfill = backfill
    }

    private enum Write: Hashable {
        case legIngestID, touch, contactInsert(summarised: Bool), contactStored, contactUpdate, formerCustomer
        case referencedLegInsert, referencedLegUpdate, referencedLegVersion, contactExists, surveyUpdate, surveyPending
        case contactVersion, legInsert, legUpdate
    }

    private mutating func statement(_ write: Write, _ columns: [String] = [], _ sql: () -> String) throws -> Statement {
        if let slot = made[write], slot.columns == columns { return slot.statement }
        let statement = try db.cachedStatement(sql: sql())
        made[write] = (columns, statement)
        return statement
    }

    mutating func storedLegIngestID(_ row: MappedRow, legRef: String) throws -> Int64? {
        let select = try statement(.legIngestID) { "SELECT ingest_id FROM legs WHERE source = ? AND interaction_id = ? AND leg_ref = ?" }
        return try Int64.fetchOne(select, arguments: [row.source, row.interactionID, legRef])
    }

    mutating func touch(_ row: MappedRow, refresh: Bool) throws {
        guard touchIsRead(row, refresh: refresh) else { return }
        let touch = try statement(.touch) {
            """
            INSERT INTO temp.touched (source, interaction_id, refresh) VALUES (?, ?, ?)
            ON CONFLICT DO UPDATE SET refresh = MAX(refresh, excluded.refresh)
            """
        }
        try db.run(touch, [row.source.databaseValue, row.interactionID.databaseValue, (refresh ? 1 : 0).databaseValue])
    }

    /// Inserts or updates a contact. A new contact whose row carries at most its first leg gets its
    /// leg summary (count, closing agent and team) in the same insert, so it needs no refresh later.
    mutating func writeContact(_ row: MappedRow, _ values: [FieldValue], _ layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool, summarised: Bool) {
        let columns = layout.contactColumns
        let simple = row.legRef == nil && (row.leg ?? 1) == 1
        let extra = simple ? ["leg_count", "closing_agent_id", "closing_team"] : []
        let insert = try statement(.contactInsert(summarised: simple), columns) {
            """
            INSERT INTO contacts (source, interaction_id, \((columns + extra).map { $0 + ", " }.joined())ingest_id)
            VALUES (?, ?, \(String(repeating: "?, ", count: columns.count + extra.count))?) ON CONFLICT DO NOTHING
            """
        }
        try db.run(insert) { b in
            b.bind(row.source)
            b.bind(row.interactionID)
            b.bind(values)
            if simple {
                let hasLeg = row.leg != nil && row.legValues.count == layout.legColumns.count
                b.bind(Int64(row.leg == nil ? 0 : 1))
                b.bind(hasLeg ? layout.legAgentIndex.map { row.legValues[$0] } ?? .null : .null)
                b.bind(hasLeg ? layout.legTeamIndex.map { row.legValues[$0] } ?? .null : .null)
            }
            b.bind(ingestID)
        }
        if db.changesCount == 1 { return (.inserted, false, simple) }
        let select = try statement(.contactStored) { "SELECT version, ingest_id, customer_key FROM contacts WHERE source = ? AND interaction_id = ?" }
        let stored = try Row.fetchOne(select, arguments: [row.source, row.interactionID])
        let duplicate = (stored?[1] as Int64?) == ingestID
        if let version = row.version, let storedVersion = stored?[0] as Int64?, version < storedVersion { return (.stale, duplicate, false) }
        let update = try statement(.contactUpdate, columns) {
            """
            UPDATE contacts SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")), ingest_id = ?
            WHERE source = ? AND interaction_id = ? AND (\(columns.map { "\($0) IS NOT ?" }.joined(separator: " OR ")))
            """
        }
        var updateArguments = values.map { $0.databaseValue }
        updateArguments += [ingestID.databaseValue, row.source.databaseValue, row.interactionID.databaseValue]
        updateArguments += values.map { $0.databaseValue }
        try db.run(update, updateArguments)
        guard db.changesCount == 1 else { return (.unchanged, duplicate, false) }
        // The customer the contact had: its other contacts' next inbound contact may have been this one.
        if let key = stored?[2] as String? {
            try db.run(try statement(.formerCustomer) { "INSERT INTO temp.fcr_customers (customer_key) VALUES (?) ON CONFLICT DO NOTHING" }, [key.databaseValue])
        }
        return (.updated, duplicate, false)
    }

    /// A leg that is a record of its own: matched by its reference, newer versions win, numbered after the file.
    mutating func writeReferencedLeg(_ row: MappedRow, legRef: String, _ layout: RowLayout) throws -> RowOutcome {
        let columns = layout.legColumns
        let key: [DatabaseValue] = [row.source.databaseValue, row.interactionID.databaseValue, legRef.databaseValue]
        let values = row.legValues.map { $0.databaseValue }
        let version = row.legVersion?.databaseValue ?? .null
        let insert = try statement(.referencedLegInsert, columns) {
            """
            INSERT INTO legs (source, interaction_id, leg_ref, leg, \(columns.map { $0 + ", " }.joined())version, ingest_id)
            VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(leg), 0) + 1000000 FROM legs WHERE source = ?1 AND interaction_id = ?2),
                    \((0..<columns.count).map { "?\($0 + 4), " }.joined())?\(columns.count + 4), ?\(columns.count + 5))
            ON CONFLICT DO NOTHING
            """
        }
        try db.run(insert, key + values + [version, ingestID.databaseValue])
        if db.changesCount == 1 { return .inserted }
        let update = try statement(.referencedLegUpdate, columns) {
            """
            UPDATE legs SET \(columns.map { "\($0) = ?, " }.joined())version = ?, ingest_id = ?
            WHERE source = ? AND interaction_id = ? AND leg_ref = ? AND (version IS NULL OR ? IS NULL OR version <= ?)
              AND (\((columns + ["version"]).map { "\($0) IS NOT ?" }.joined(separator: " OR ")))
            """
        }
        try db.run(update, values + [version, ingestID.databaseValue] + key + [version, version] + values + [version])
        if db.changesCount == 1 { return .updated }
        let stored = try statement(.referencedLegVersion) { "SELECT version FROM legs WHERE source = ? AND interaction_id = ? AND leg_ref = ?" }
        if let v = try Int64.fetchOne(stored, arguments: StatementArguments(key)), let mine = row.legVersion, mine < v { return .stale }
        return .unchanged
    }

    /// A survey response updates its contact, or waits for it in `pending_surveys`; a repeated
    /// response replaces the earlier one, so it is never counted twice.
    mutating func writeSurvey(_ row: MappedRow, _ layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool) {
        let columns = layout.contactColumns
        let values = (row.contact ?? []).map { $0.databaseValue }
        let key: [DatabaseValue] = [row.source.databaseValue, row.interactionID.databaseValue]
        let exists = try statement(.contactExists) { "SELECT 1 FROM contacts WHERE source = ? AND interaction_id = ?" }
        if try Int.fetchOne(exists, arguments: StatementArguments(key)) != nil {
            let update = try statement(.surveyUpdate, columns) {
                """
                UPDATE contacts SET \(columns.map { "\($0) = ?" }.joined(separator: ", "))
                WHERE source = ? AND interaction_id = ? AND (\(columns.map { "\($0) IS NOT ?" }.joined(separator: " OR ")))
                """
            }
            try db.run(update, values + key + values)
            return (db.changesCount == 1 ? .updated : .unchanged, false)
        }
        let fields = "," + columns.joined(separator: ",") + ","
        let pending = try statement(.surveyPending, columns) {
            """
            INSERT INTO pending_surveys (source, interaction_id, fields, \(columns.joined(separator: ", ")), ingest_id)
            VALUES (?, ?, ?, \(String(repeating: "?, ", count: columns.count))?)
            ON CONFLICT (source, interaction_id) DO UPDATE SET fields = excluded.fields,
                \(columns.map { "\($0) = excluded.\($0), " }.joined())ingest_id = excluded.ingest_id
            """
        }
        try db.run(pending, key + [fields.databaseValue] + values + [ingestID.databaseValue])
        return (.pending, false)
    }

    /// An older version than the stored one changes nothing (DESIGN.md §2).
    mutating func isStale(_ row: MappedRow) throws -> Bool {
        guard let version = row.version else { return false }
        let select = try statement(.contactVersion) { "SELECT version FROM contacts WHERE source = ? AND interaction_id = ?" }
        guard let stored = try Int64.fetchOne(select, arguments: [row.source, row.interactionID]) else { return false }
        return version < stored
    }

    mutating func writeLeg(_ row: MappedRow, leg: Int, _ layout: RowLayout) throws -> RowOutcome {
        let columns = layout.legColumns
        let insert = try statement(.legInsert, columns) {
            """
            INSERT INTO legs (source, interaction_id, leg, \(columns.map { $0 + ", " }.joined())ingest_id)
            VALUES (?, ?, ?, \(String(repeating: "?, ", count: columns.count))?) ON CONFLICT DO NOTHING
            """
        }
        try db.run(insert) { b in
            b.bind(row.source)
            b.bind(row.interactionID)
            b.bind(Int64(leg))
            b.bind(row.legValues)
            b.bind(ingestID)
        }
        if db.changesCount == 1 { return .inserted }
        guard !columns.isEmpty else { return .unchanged }
        let key: [DatabaseValue] = [row.source.databaseValue, row.interactionID.databaseValue, leg.databaseValue]
        let values = row.legValues.map { $0.databaseValue }
        let update = try statement(.legUpdate, columns) {
            """
            UPDATE legs SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")), ingest_id = ?
            WHERE source = ? AND interaction_id = ? AND leg = ? AND (\(columns.map { "\($0) IS NOT ?" }.joined(separator: " OR ")))
            """
        }
        try db.run(update, values + [ingestID.databaseValue] + key + values)
        return db.changesCount == 1 ? .updated : .unchanged
    }
}

extension FieldValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .text(let s): s.databaseValue
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        }
    }
}

/// Not `Sendable`: one connection (GRDB DatabaseQueue) used by one command at a time.
@available(*, unavailable)
extension SQLiteStore: Sendable {}

/// What a worker thread hands back. `@unchecked Sendable`: written by the worker before it ends,
/// read by its caller only after `Worker.wait()`.
private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
