import Foundation

/// What became of one mapped row in the store.
package enum RowOutcome: Sendable {
    case inserted, updated, unchanged
    /// An older version of a record already stored in a newer one: nothing changed.
    case stale
    /// A survey response for a contact not loaded yet: kept, and attached when the contact arrives.
    case pending
}

extension RowOutcome {
    /// A row's outcome from its contact's and its leg's, the same on every backend: a row with no
    /// contact part (or a stale one, for a referenced leg) is its leg's outcome; an unchanged contact
    /// whose leg changed is an update.
    static func merging(contact: RowOutcome, hasContact: Bool, leg: RowOutcome, referenced: Bool) -> RowOutcome {
        if !hasContact || (referenced && contact == .stale) { return leg }
        let legChanged = referenced ? (leg == .inserted || leg == .updated) : leg != .unchanged
        return contact == .unchanged && legChanged ? .updated : contact
    }
}

/// A record of one file's import (the ingest log).
package struct IngestLogEntry: Sendable, Equatable {
    package enum Status: String, Sendable { case loaded, rejected, failed }

    package var id: Int64?
    package var file: String
    var sha256: String
    package var source: String
    package var status: Status
    var startedAt: String
    var rowsRead = 0
    var inserted = 0
    var updated = 0
    var unchanged = 0
    var stale = 0
    /// Survey responses waiting for their contact.
    var pending = 0
    var duplicates = 0
    package var rejected = 0
    var durationMilliseconds = 0
    package var message: String?

    /// The message of a file refused because another process kept the store busy: not a rejection,
    /// the next run loads it.
    static let busyMessage = "not loaded: another process kept the store busy for longer than the wait (--wait); load it again"

    /// DESIGN.md §2's rule for a whole file: when its rejected share exceeds `threshold`, marks the
    /// entry rejected with the reason and returns true — nothing of the file may load.
    /// - Parameter unit: what the file counts ("rows", "records", "evaluations").
    mutating func exceedsRejectionThreshold(_ threshold: Double, unit: String) -> Bool {
        guard rowsRead > 0, Double(rejected) / Double(rowsRead) > threshold else { return false }
        status = .rejected
        message = "\(rejected) of \(rowsRead) \(unit) rejected, above the threshold of \(percent(threshold)); nothing loaded"
        return true
    }

    /// The entry of a load that was rolled back: what was read and rejected stays, what would have been
    /// written is zero, since nothing was.
    func discardingWrites() -> IngestLogEntry {
        var entry = self
        entry.inserted = 0
        entry.updated = 0
        entry.unchanged = 0
        entry.stale = 0
        entry.duplicates = 0
        return entry
    }

    /// Marks the entry as a file that failed as a whole, with the error and, when known, how long it took.
    mutating func fail(_ error: InputError, since started: Date? = nil) {
        status = .failed
        message = error.description
        if let started { durationMilliseconds = Int(Date().timeIntervalSince(started) * 1000) }
    }

    /// Counts what became of one written row.
    package mutating func count(_ outcome: RowOutcome, duplicate: Bool) {
        if duplicate { duplicates += 1 }
        switch outcome {
        case .inserted: inserted += 1
        case .updated: updated += 1
        case .unchanged: unchanged += 1
        case .stale: stale += 1
        case .pending: pending += 1
        }
    }

    package init(file: String, sha256: String, source: String, status: Status = .loaded, startedAt: String) {
        self.file = file
        self.sha256 = sha256
        self.source = source
        self.status = status
        self.startedAt = startedAt
    }
}

/// Writes the rows of one file inside the file's transaction.
package protocol StoreWriter {
    /// The ingest log id of the file being loaded.
    var ingestID: Int64 { get }
    /// Upserts one row by (source, interaction_id) and leg, following DESIGN.md §2's loading rules.
    /// - Returns: the outcome, and whether the same record already appeared earlier in this file.
    mutating func write(_ row: MappedRow, layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool)
    /// Writes a row now or later: nil when its outcome is deferred (a writer that batches rows),
    /// to come back from `finish`. Importers call this, then `finish` once at the end of the file.
    mutating func enqueue(_ row: MappedRow, layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool)?
    /// Writes what is still queued and returns the outcomes that were deferred.
    mutating func finish() throws -> [(outcome: RowOutcome, duplicate: Bool)]
}

extension StoreWriter {
    mutating func enqueue(_ row: MappedRow, layout: RowLayout) throws -> (outcome: RowOutcome, duplicate: Bool)? {
        try write(row, layout: layout)
    }
    package mutating func finish() throws -> [(outcome: RowOutcome, duplicate: Bool)] { [] }
}

/// How a file's load ends.
package enum LoadDecision: Sendable {
    case commit
    /// Undo everything the file wrote (too many rejections); the log still records the attempt.
    case rollback
}

/// The one door to stored data. The KPI engine asks it for grouped aggregates instead of rows
/// (DESIGN.md §8), so that a database server can do the heavy work.
package protocol ContactStore: AnyObject {
    /// The IANA zone the site reports in, fixed when the store was created.
    var siteTimeZone: String { get }

    /// Loads one file in one transaction; on `.rollback` or a thrown error the store is as it was
    /// before, and the ingest log still records the attempt.
    func load(_ entry: IngestLogEntry, _ body: (inout any StoreWriter) throws -> (LoadDecision, IngestLogEntry)) throws -> IngestLogEntry

    func ingestLog() throws -> [IngestLogEntry]

    /// Records a file that failed as a whole (nothing of it loaded).
    func logFailure(_ entry: IngestLogEntry) throws

    /// Whether a file with these exact bytes has been loaded before.
    func hasLoaded(sha256: String) throws -> Bool

    /// The local date of the latest arrival, in the site timezone; nil for an empty store.
    func latestArrivalDate() throws -> LocalDate?

    /// Where importers write quarantined rows.
    var quarantineDirectory: String { get }

    /// Contact-level sums per group (DESIGN.md §3).
    func contactAggregates(_ query: AggregateQuery) throws -> [ContactAggregate]

    /// Leg handle-time moments and sorted values per group.
    func legAggregates(_ query: AggregateQuery) throws -> [LegAggregate]

    /// Handle-time moments per group (no values) and every handle time per week (the first grouping
    /// dimension), for a roll-up that gives quantiles in total and by week. Nil when the store computes
    /// quantiles itself and ships one row per group (`legAggregates` then carries them).
    func legRollup(_ query: AggregateQuery) throws -> LegRollup?

    /// The groups' legs with their median and p90 handle time, and the legs of all the groups
    /// together: what a grouped report needs. A store that streams its groups holds one group's
    /// values at a time (and the total's distinct values), not every group's.
    func groupedLegAggregates(_ query: AggregateQuery) throws -> (groups: [LegAggregate], total: LegAggregate?)

    /// What a report of `query` reads: `contactAggregates`, and the legs — grouped, `groupedLegAggregates`;
    /// without a grouping, `legAggregates`' one row as the total — which a store may compute at once.
    func reportAggregates(_ query: AggregateQuery) throws -> (contacts: [ContactAggregate], legs: [LegAggregate], legTotal: LegAggregate?)

    /// What a roll-up reads, `contactAggregates` and `legRollup`, which a store may compute at once.
    func rollupAggregates(_ query: AggregateQuery) throws -> (contacts: [ContactAggregate], legs: LegRollup?)

    /// Reports of one period grouped several ways are about to be asked for (`reportAggregates`): a
    /// store may compute them together. A hint; the reports are the same without it.
    func prepareReports(_ queries: [AggregateQuery]) throws

    /// Roll-ups of one span grouped several ways are about to be asked for (`rollupAggregates`).
    func prepareRollups(_ queries: [AggregateQuery]) throws
}

extension ContactStore {
    /// Nothing ahead: each report computes its own.
    package func prepareReports(_ queries: [AggregateQuery]) throws {}

    package func prepareRollups(_ queries: [AggregateQuery]) throws {}

    /// One after the other.
    package func reportAggregates(_ query: AggregateQuery) throws -> (contacts: [ContactAggregate], legs: [LegAggregate], legTotal: LegAggregate?) {
        let contacts = try contactAggregates(query)
        if query.groupBy.isEmpty { return (contacts, [], try legAggregates(query).first) }
        let (groups, total) = try groupedLegAggregates(query)
        return (contacts, groups, total)
    }

    /// One after the other.
    package func rollupAggregates(_ query: AggregateQuery) throws -> (contacts: [ContactAggregate], legs: LegRollup?) {
        (try contactAggregates(query), try legRollup(query))
    }

    /// From `legAggregates`: the total merges the groups' values, or, when the store computed the
    /// quantiles itself (they do not merge), comes from one more query without the grouping.
    package func groupedLegAggregates(_ query: AggregateQuery) throws -> (groups: [LegAggregate], total: LegAggregate?) {
        let groups = try legAggregates(query)
        guard groups.contains(where: { $0.quantiles != nil }) else { return (groups, LegAggregate(merging: groups)) }
        let total = try legAggregates(AggregateQuery(fromUTC: query.fromUTC, toUTC: query.toUTC, clock: query.clock, groupBy: [],
                                                     parameters: query.parameters)).first
        return (groups, total)
    }
}

/// SQL that both backends run, for the stages beyond ingest and KPIs (sampling, quality, trends,
/// coaching, retention): `?` placeholders, values and results as `FieldValue`. The statements are
/// written in the SQL both dialects accept — `CASE` rather than boolean sums, `COALESCE(SUM(…), 0)`
/// rather than `TOTAL`, `RETURNING id` rather than the last row id — so one text serves both.
package protocol SQLSession {
    func query(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]]
    /// - Returns: the rows the statement changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [FieldValue]) throws -> Int
    /// The statement's rows one at a time, inside the session's transaction, never the whole result
    /// in memory (SQLite: a cursor; PostgreSQL: a server-side cursor read a few thousand rows at a
    /// time). `body` may run other statements of the same session between rows.
    func forEachRow(_ sql: String, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws
}

/// The few spellings the two backends do not share.
package enum SQLDialect: Sendable {
    case sqlite, postgres

    /// A column type for 64-bit floating-point values.
    var double: String { self == .sqlite ? "REAL" : "DOUBLE PRECISION" }
    /// A table option that keeps a table keyed by its primary key alone.
    var withoutRowID: String { self == .sqlite ? " WITHOUT ROWID" : "" }
    /// The text of one line feed.
    var lineFeed: String { self == .sqlite ? "char(10)" : "chr(10)" }
    /// Orders text by its UTF-8 bytes (SQLite's default BINARY; PostgreSQL's "C" collation).
    var byBytes: String { self == .sqlite ? "" : " COLLATE \"C\"" }
}

extension SQLSession {
    func query(_ sql: String, _ arguments: FieldValue...) throws -> [[FieldValue]] { try query(sql, arguments) }
    @discardableResult
    package func execute(_ sql: String, _ arguments: FieldValue...) throws -> Int { try execute(sql, arguments) }
}

/// A store that runs shared SQL: both `SQLiteStore` and `PostgresStore`.
package protocol SQLStore: ContactStore {
    /// Where the store is, for manifests and messages: a file path or a URL without password.
    var location: String { get }
    /// Which SQL the store speaks, for the statements whose spelling differs.
    var dialect: SQLDialect { get }
    /// Whether a statement over [from, to) should read every contact rather than find the period's
    /// through the arrival index (SQLite: when the period spans most of the store; PostgreSQL's
    /// planner chooses for itself, so never).
    func readsEveryContact(from: Int64, to: Int64) throws -> Bool
    /// A read outside any write transaction.
    func query(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]]
    /// The same, one row at a time (SQLite from a cursor; PostgreSQL in libpq's single-row mode).
    func forEachRow(_ sql: String, _ arguments: [FieldValue], _ body: ([FieldValue]) throws -> Void) throws
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: (any SQLSession) throws -> T) throws -> T
    /// Runs `body` in one transaction that reads the store and writes temporary tables only. SQLite
    /// takes no write lock for it (a deferred transaction), so it neither waits for a running load nor
    /// holds one up; PostgreSQL runs it as `transaction` (readers never wait there).
    func scratchTransaction<T>(_ body: (any SQLSession) throws -> T) throws -> T
    /// `query` for a statement that reads only `contacts`, `legs` and `roster`: SQLite keeps its result
    /// for later runs while none of their rows changes (see `SQLiteStore.cachedAggregate`).
    func aggregateQuery(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]]
}

extension SQLStore {
    func query(_ sql: String, _ arguments: FieldValue...) throws -> [[FieldValue]] { try query(sql, arguments) }
}

extension FieldValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    package init(stringLiteral value: String) { self = .text(value) }
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(floatLiteral value: Double) { self = .real(value) }

    package init(_ value: String?) { self = value.map(FieldValue.text) ?? .null }
    package init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    package init(_ value: Int64?) { self = value.map(FieldValue.integer) ?? .null }
    package init(_ value: Double?) { self = value.map(FieldValue.real) ?? .null }
    package init(_ value: Bool) { self = .integer(value ? 1 : 0) }

    /// The value read as each Swift type (integers and reals convert; text parses nothing).
    package var string: String? {
        switch self {
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .null: nil
        }
    }
    var int: Int? { int64.map { Int($0) } }
    var int64: Int64? {
        switch self {
        case .integer(let i): i
        case .real(let d): Int64(exactly: d.rounded(.towardZero))
        case .text(let s): Int64(s)
        case .null: nil
        }
    }
    var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .real(let d): d
        case .text(let s): Double(s)
        case .null: nil
        }
    }
    var bool: Bool? { int64.map { $0 != 0 } }
}
