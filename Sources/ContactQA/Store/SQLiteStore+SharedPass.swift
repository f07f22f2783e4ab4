import Foundation
import GRDB

/// A night's reports read one period grouped several ways: the week's KPI files in total, by channel,
/// team and agent, its pattern by weekday and hour and by day; the weekly report's two roll-ups over
/// the weeks it shows. Alone, each grouping is a read of the period's contacts and one of its legs.
/// `prepareReports` and `prepareRollups` compute several groupings from one read of each (the two
/// reads at once, on the two connections) and hold the results until the reports ask for them
/// (`cachedAggregate`), which then keeps them for later nights as if it had computed them itself.
///
/// The results are the same to the bit as each grouping's own: a group's contacts are added in
/// arrival order either way, and its legs' values are counted exactly.
extension SQLiteStore {
    /// The statement a kept or prepared result is filed under, one per kind of result.
    static func contactsEntry(_ query: AggregateQuery) -> String {
        "contacts\n" + contactAggregateSQL(query) + "\n\(query.fromUTC) \(query.toUTC)"
    }

    static func legsEntry(_ query: AggregateQuery) -> String {
        "legs\n" + handleTimeSQL(query) + "\n\(query.fromUTC) \(query.toUTC)"
    }

    static func groupedLegsEntry(_ query: AggregateQuery) -> String {
        "grouped legs\n" + handleTimeSQL(query) + "\n\(query.fromUTC) \(query.toUTC)"
    }

    static func legRollupEntry(_ query: AggregateQuery) -> String {
        "leg roll-up\n" + handleTimeSQL(query) + "\n\(query.fromUTC) \(query.toUTC)"
    }

    /// The period of queries that differ only in their grouping, with every grouping's dimensions
    /// (which decide the joins a shared statement needs).
    static func sharedPeriod(_ queries: [AggregateQuery]) -> AggregateQuery {
        precondition(!queries.isEmpty && queries.allSatisfy { sameApartFromGrouping($0, queries[0]) },
                     "a shared pass reads one period with one set of parameters")
        var shared = queries[0]
        shared.groupBy = GroupDimension.allCases.filter { dimension in queries.contains { $0.groupBy.contains(dimension) } }
        return shared
    }

    static func sameApartFromGrouping(_ a: AggregateQuery, _ b: AggregateQuery) -> Bool {
        a.fromUTC == b.fromUTC && a.toUTC == b.toUTC && a.clock.identifier == b.clock.identifier && a.parameters == b.parameters
    }

    /// Each key set's columns in a statement that selects them one after the other, from column 0.
    static func columnRanges(_ keySets: [[String]]) -> [Range<Int32>] {
        var start: Int32 = 0
        return keySets.map { keys in
            defer { start += Int32(keys.count) }
            return start..<(start + Int32(keys.count))
        }
    }

    /// Computes the reports of `queries` — one period, one set of parameters, several groupings — from
    /// one read of the contacts and one of the legs, where each report would read both. Does nothing
    /// outside a run that keeps its aggregates, for groupings already kept, or when the period's legs
    /// are too many to sort in memory (each report then runs alone, as before).
    package func prepareReports(_ queries: [AggregateQuery]) throws {
        try prepare(queries, legsEntry: { $0.groupBy.isEmpty ? SQLiteStore.legsEntry($0) : SQLiteStore.groupedLegsEntry($0) }) { db, missing in
            let contacts = try SQLiteStore.contacts(db, from: missing[0].fromUTC, to: missing[0].toUTC)
            guard contacts <= SQLiteStore.legsSorted(groupings: missing.count) else { return nil }
            var rows = [LegRows](repeating: LegRows(), count: missing.count)
            var grouped = [GroupedLegs](repeating: GroupedLegs(), count: missing.count)
            let scan = try SQLiteStore.periodHoldsMostContacts(db, from: missing[0].fromUTC, to: missing[0].toUTC)
            let sorted = try SQLiteStore.sortHandleTimes(db, missing, scanContacts: scan, expected: contacts) { i, key, h, n in
                if missing[i].groupBy.isEmpty { rows[i].add(key, h, n) } else { grouped[i].add(key, h, n) }
            }
            guard sorted else { return nil }
            return missing.indices.map { i -> any Sendable in
                if missing[i].groupBy.isEmpty { return rows[i].rows }
                let result: (groups: [LegAggregate], total: LegAggregate?) = grouped[i].finish()
                return result
            }
        }
    }

    /// `prepareReports` for roll-ups (`legRollup`): groupings that begin with the week, over whole
    /// weeks, whose legs are read and sorted in runs of consecutive weeks that fit (`weekRuns`): the
    /// whole span at once where it fits, since a scan of the store reads faster than the arrival
    /// index week by week.
    package func prepareRollups(_ queries: [AggregateQuery]) throws {
        try prepareRollups(queries, runContacts: nil)
    }

    /// - Parameter runContacts: the most contacts a run of weeks may hold; nil for what the sort may hold.
    func prepareRollups(_ queries: [AggregateQuery], runContacts: Int?) throws {
        guard queries.allSatisfy({ $0.groupBy.first == .week }) else { return }
        try prepare(queries, legsEntry: SQLiteStore.legRollupEntry) { db, missing in
            var rollups = [RollupLegs](repeating: RollupLegs(), count: missing.count)
            let limit = runContacts ?? SQLiteStore.legsSorted(groupings: missing.count)
            guard let runs = try SQLiteStore.weekRuns(db, missing[0], limit: limit) else { return nil }
            for run in runs {
                let parts = missing.map { query in
                    var part = query
                    part.fromUTC = run.part.fromUTC
                    part.toUTC = run.part.toUTC
                    return part
                }
                let scan = try SQLiteStore.periodHoldsMostContacts(db, from: run.part.fromUTC, to: run.part.toUTC)
                guard try SQLiteStore.sortHandleTimes(db, parts, scanContacts: scan, expected: run.contacts, { i, key, h, n in rollups[i].add(key, h, n) })
                else { return nil }
            }
            return rollups.map { $0.finish() }
        }
    }

    /// What `prepareReports` and `prepareRollups` share: which queries still need computing, the two
    /// reads at once, and the results held for the reports.
    /// - Parameter legs: the legs' results of the queries it is given, in their order; nil when it gave way.
    private func prepare(_ queries: [AggregateQuery], legsEntry: (AggregateQuery) -> String,
                         legs: @escaping (Database, [AggregateQuery]) throws -> [any Sendable]?) throws {
        guard keepsAggregates, queries.count > 1, queries.allSatisfy({ SQLiteStore.sameApartFromGrouping($0, queries[0]) }) else { return }
        let state = try aggregateCacheState(on: queue)
        guard state.dirty == 0 else { return }
        let missing = try queries.filter { query in
            try !isKept(SQLiteStore.contactsEntry(query), generation: state.generation) || !isKept(legsEntry(query), generation: state.generation)
        }
        guard missing.count > 1 else { return }
        let (contacts, legResults) = try bothAtOnce({ connection in try connection.read { db in try SQLiteStore.addContacts(db, missing) } },
                                                    { connection in try connection.read { db in try legs(db, missing) } })
        guard let legResults else { return }
        prefetchLock.withLock {
            prefetched = prefetched.filter { $0.value.generation == state.generation }
            for (i, query) in missing.enumerated() {
                prefetched[SQLiteStore.contactsEntry(query)] = (state.generation, contacts[i])
                prefetched[legsEntry(query)] = (state.generation, legResults[i])
            }
        }
    }

    /// The result prepared for `statement` while the kept aggregates' generation was `generation`,
    /// handed over once.
    func takePrefetched(_ statement: String, generation: Int64) -> (any Sendable)? {
        prefetchLock.withLock {
            guard let entry = prefetched.removeValue(forKey: statement), entry.generation == generation else { return nil }
            preparedRead += 1
            return entry.value
        }
    }

    /// How many prepared results no report has asked for yet.
    var preparedWaiting: Int { prefetchLock.withLock { prefetched.count } }

    static func contacts(_ db: Database, from: Int64, to: Int64) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contacts WHERE arrived_at >= ? AND arrived_at < ?", arguments: [from, to]) ?? 0
    }
}

/// `legAggregates`' rows from the handle times in key order.
struct LegRows {
    var rows: [LegAggregate] = []

    mutating func add(_ key: [GroupValue?], _ h: Double, _ n: Int) {
        if rows.last?.key != key { rows.append(LegAggregate(key: key)) }
        rows[rows.count - 1].add(h, legs: n)
    }
}

/// `groupedLegAggregates`' result from the handle times in key order, one group's values held at a time.
struct GroupedLegs {
    private var groups: [LegAggregate] = []
    private var current: LegAggregate?
    private var total = LegAggregate(key: [])
    private var values: [Double: Int] = [:]

    private mutating func close() {
        guard var group = current else { return }
        group.quantiles = (group.handleTimes.quantileType7(0.5) ?? .nan, group.handleTimes.quantileType7(0.9) ?? .nan)
        group.handleTimes = CountedValues()
        total.handle = total.handle + group.handle
        groups.append(group)
        current = nil
    }

    mutating func add(_ key: [GroupValue?], _ h: Double, _ n: Int) {
        if current?.key != key {
            close()
            current = LegAggregate(key: key)
        }
        current?.add(h, legs: n)
        values[h, default: 0] += n
    }

    mutating func finish() -> (groups: [LegAggregate], total: LegAggregate?) {
        close()
        total.handleTimes = CountedValues(counts: values)
        return (groups, total)
    }
}

/// `legRollup`'s result from the handle times in key order: moments per group, values per week.
struct RollupLegs {
    private var rollup = LegRollup()
    private var weeks: [GroupValue?: [Double: Int]] = [:]

    mutating func add(_ key: [GroupValue?], _ h: Double, _ n: Int) {
        if rollup.legs.last?.key != key { rollup.legs.append(LegAggregate(key: key)) }
        rollup.legs[rollup.legs.count - 1].handle.add(h, count: n)
        weeks[key.first ?? nil, default: [:]][h, default: 0] += n
    }

    func finish() -> LegRollup {
        var result = rollup
        result.weekHandleTimes = weeks.mapValues(CountedValues.init(counts:))
        return result
    }
}
