import Crypto
import Foundation
import GRDB

/// Aggregates kept between runs: a night with nothing new to load reads the grouped sums it computed
/// the night before instead of scanning 13 weeks again.
///
/// An entry is the exact result of one aggregate statement (its SQL text, which carries every
/// parameter, and its arguments), so a hit gives the same numbers to the last bit as running it.
/// Validity: triggers on `contacts`, `legs` and `roster` — every table these statements read — set a
/// `dirty` flag on the first row any write changes. `run` clears the flag before its reports (entries
/// are deleted, the generation goes up); an entry is stored only when the flag stayed clear and the
/// generation unchanged from before the statement ran to after, and read only while the flag is
/// clear. So an entry is never used once any of those rows changed, whoever changed them.
extension SQLiteStore {
    static let aggregateCacheMigration = """
        CREATE TABLE aggregate_cache_state (id INTEGER PRIMARY KEY CHECK (id = 1), dirty INTEGER NOT NULL, generation INTEGER NOT NULL);
        INSERT INTO aggregate_cache_state VALUES (1, 1, 0);
        CREATE TABLE aggregate_cache (key TEXT PRIMARY KEY, generation INTEGER NOT NULL, payload BLOB NOT NULL) WITHOUT ROWID;
        """ + ["contacts", "legs", "roster"].flatMap { table in
            ["INSERT", "UPDATE", "DELETE"].map { event in
                """
                CREATE TRIGGER \(table)_\(event.lowercased())_stales_aggregates AFTER \(event) ON \(table)
                WHEN (SELECT dirty FROM aggregate_cache_state) = 0
                BEGIN UPDATE aggregate_cache_state SET dirty = 1; END;
                """
            }
        }.joined(separator: "\n")

    /// Part of every entry's key: a result computed by another version of ContactQA (or with another
    /// encoding) is never read. Change the number when what a statement's rows are turned into changes.
    static let aggregateCacheFormat = "contactqa \(contactQALibraryVersion), aggregates 2"

    /// Before a run's reports: when anything changed since the entries were computed, they are
    /// deleted and the flag cleared, so this run's aggregates can be kept.
    package func prepareAggregateCache() throws {
        guard !isReadOnly else { return }
        try queue.write { db in
            guard try Int.fetchOne(db, sql: "SELECT dirty FROM aggregate_cache_state") != 0 else { return }
            try db.execute(sql: "DELETE FROM aggregate_cache")
            try db.execute(sql: "UPDATE aggregate_cache_state SET dirty = 0, generation = generation + 1")
        }
        keepsAggregates = true
    }

    /// The kept result of `statement` when it is still valid; else `compute`'s, kept when this store
    /// keeps aggregates (`prepareAggregateCache`) and nothing changed while it ran.
    /// - Parameter connection: the connection that reads the entry, computes, and keeps the result.
    func cachedAggregate<T>(_ statement: String, on connection: DatabaseQueue? = nil, encode: (T, inout CacheWriter) -> Void,
                            decode: (inout CacheReader) throws -> T, compute: () throws -> T) throws -> T {
        let connection = connection ?? queue
        let key = SQLiteStore.aggregateCacheKey(statement)
        let (state, payload) = try connection.read { db -> ((dirty: Int, generation: Int64), Data?) in
            let state = try SQLiteStore.aggregateCacheState(db)
            guard state.dirty == 0 else { return (state, nil) }
            return (state, try Data.fetchOne(db, sql: "SELECT payload FROM aggregate_cache WHERE key = ? AND generation = ?",
                                              arguments: [key, state.generation]))
        }
        if let payload {
            var reader = CacheReader(payload)
            if let value = try? decode(&reader), reader.atEnd { return value }
        }
        // Computed ahead by a shared pass (`prepareReports`) while nothing had changed since, or now.
        let prepared = state.dirty == 0 ? takePrefetched(statement, generation: state.generation) as? T : nil
        let value = try prepared ?? compute()
        guard keepsAggregates, state.dirty == 0 else { return value }
        var writer = CacheWriter()
        encode(value, &writer)
        try connection.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT dirty, generation FROM aggregate_cache_state")
            guard row?[0] as Int? == 0, row?[1] as Int64? == state.generation else { return }
            try db.execute(sql: "INSERT OR REPLACE INTO aggregate_cache (key, generation, payload) VALUES (?, ?, ?)",
                           arguments: [key, state.generation, writer.data])
        }
        return value
    }

    static func aggregateCacheKey(_ statement: String) -> String {
        hexString(SHA256.hash(data: Data("\(SQLiteStore.aggregateCacheFormat)\n\(statement)".utf8)))
    }

    static func aggregateCacheState(_ db: Database) throws -> (dirty: Int, generation: Int64) {
        let row = try Row.fetchOne(db, sql: "SELECT dirty, generation FROM aggregate_cache_state")
        return (dirty: row?[0] as Int? ?? 1, generation: row?[1] as Int64? ?? -1)
    }

    func aggregateCacheState(on connection: DatabaseQueue) throws -> (dirty: Int, generation: Int64) {
        try connection.read { db in try SQLiteStore.aggregateCacheState(db) }
    }

    /// Whether a result of `statement` is kept for `generation`.
    func isKept(_ statement: String, generation: Int64) throws -> Bool {
        try queue.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM aggregate_cache WHERE key = ? AND generation = ?)",
                              arguments: [SQLiteStore.aggregateCacheKey(statement), generation]) ?? false
        }
    }
}

extension SQLiteStore {
    package func aggregateQuery(_ sql: String, _ arguments: [FieldValue]) throws -> [[FieldValue]] {
        try cachedAggregate("rows\n" + sql + "\n" + arguments.map { "\($0)" }.joined(separator: " "),
                            encode: { rows, w in
                                w.int(rows.count)
                                for row in rows {
                                    w.int(row.count)
                                    for value in row { w.field(value) }
                                }
                            },
                            decode: { r in try (0..<r.count()).map { _ in try (0..<r.count()).map { _ in try r.field() } } }) {
            try query(sql, arguments)
        }
    }
}

/// Bytes of a kept aggregate: integers and doubles as their 64 bits (exact), strings as length and UTF-8.
struct CacheWriter {
    private(set) var data = Data()

    mutating func int(_ x: Int) { withUnsafeBytes(of: Int64(x).littleEndian) { data.append(contentsOf: $0) } }
    mutating func int64(_ x: Int64) { withUnsafeBytes(of: x.littleEndian) { data.append(contentsOf: $0) } }
    mutating func double(_ x: Double) { int64(Int64(bitPattern: x.bitPattern)) }
    mutating func string(_ s: String) {
        let bytes = Array(s.utf8)
        int(bytes.count)
        data.append(contentsOf: bytes)
    }
    mutating func key(_ key: [GroupValue?]) {
        int(key.count)
        for value in key {
            switch value {
            case nil: int(0)
            case .integer(let n)?: int(1); int64(n)
            case .text(let s)?: int(2); string(s)
            }
        }
    }
    mutating func field(_ value: FieldValue) {
        switch value {
        case .null: int(0)
        case .integer(let n): int(1); int64(n)
        case .real(let x): int(2); double(x)
        case .text(let s): int(3); string(s)
        }
    }
    mutating func moments(_ m: Moments) { int(m.n); double(m.sum); double(m.sumOfSquares); double(m.shift) }
    mutating func counted(_ c: CountedValues) {
        int(c.values.count)
        for i in c.values.indices { double(c.values[i]); int(c.counts[i]) }
    }
}

struct CacheReader {
    struct Malformed: Error {}
    private let data: Data
    private var offset: Int

    init(_ data: Data) {
        self.data = data
        offset = data.startIndex
    }

    var atEnd: Bool { offset == data.endIndex }

    mutating func int64() throws -> Int64 {
        guard data.endIndex - offset >= 8 else { throw Malformed() }
        var x: UInt64 = 0
        for i in (0..<8).reversed() { x = x << 8 | UInt64(data[offset + i]) }
        offset += 8
        return Int64(bitPattern: x)
    }
    mutating func int() throws -> Int { Int(try int64()) }
    mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: try int64())) }
    mutating func string() throws -> String {
        let count = try int()
        guard count >= 0, data.endIndex - offset >= count else { throw Malformed() }
        defer { offset += count }
        return String(decoding: data[offset..<offset + count], as: UTF8.self)
    }
    mutating func key() throws -> [GroupValue?] {
        try (0..<count()).map { _ in
            switch try int() {
            case 0: return nil
            case 1: return .integer(try int64())
            case 2: return .text(try string())
            default: throw Malformed()
            }
        }
    }
    mutating func field() throws -> FieldValue {
        switch try int() {
        case 0: return .null
        case 1: return .integer(try int64())
        case 2: return .real(try double())
        case 3: return .text(try string())
        default: throw Malformed()
        }
    }
    mutating func moments() throws -> Moments {
        Moments(n: try int(), sum: try double(), sumOfSquares: try double(), shift: try double())
    }
    mutating func counted() throws -> CountedValues {
        var c = CountedValues()
        for _ in 0..<(try count()) {
            let value = try double()
            c.append(value, count: try int())
        }
        return c
    }
    /// A count of items to read: never more than the bytes left could hold.
    mutating func count() throws -> Int {
        let n = try int()
        guard n >= 0, n <= data.endIndex - offset else { throw Malformed() }
        return n
    }
}

extension ContactAggregate {
    func encode(_ w: inout CacheWriter) {
        w.key(key)
        for x in [offered, handled, abandoned, shortAbandoned, serviceLevelMet, transferred, escalated, fcrJudged, fcrResolved,
                  csatResponses, csatSatisfied, npsResponses, promoters, detractors] { w.int(x) }
        w.moments(wait)
        w.moments(csatNormalised)
    }

    init(decoding r: inout CacheReader) throws {
        self.init(key: try r.key())
        offered = try r.int(); handled = try r.int(); abandoned = try r.int(); shortAbandoned = try r.int()
        serviceLevelMet = try r.int(); transferred = try r.int(); escalated = try r.int(); fcrJudged = try r.int()
        fcrResolved = try r.int(); csatResponses = try r.int(); csatSatisfied = try r.int(); npsResponses = try r.int()
        promoters = try r.int(); detractors = try r.int()
        wait = try r.moments()
        csatNormalised = try r.moments()
    }
}

extension LegAggregate {
    /// The values, and the median and p90 when a group's values were turned into them.
    func encode(_ w: inout CacheWriter) {
        w.key(key)
        w.moments(handle)
        w.counted(handleTimes)
        w.int(quantiles == nil ? 0 : 1)
        if let quantiles {
            w.double(quantiles.median)
            w.double(quantiles.p90)
        }
    }

    init(decoding r: inout CacheReader) throws {
        self.init(key: try r.key())
        handle = try r.moments()
        handleTimes = try r.counted()
        if try r.int() == 1 { quantiles = (try r.double(), try r.double()) }
    }
}
