import Foundation

/// A reporting period: local dates, both inclusive, in one zone.
package struct Period: Sendable, Equatable {
    package var from: LocalDate
    package var to: LocalDate
    package var clock: ZoneClock

    package init(from: LocalDate, to: LocalDate, clock: ZoneClock) {
        self.from = from
        self.to = to
        self.clock = clock
    }

    package init(week: ISOWeek, clock: ZoneClock) {
        self.init(from: week.monday, to: week.sunday, clock: clock)
    }

    /// First instant of the period, UTC milliseconds.
    var fromUTC: Int64 { clock.startOfDay(from) * 1000 }
    /// First instant after the period, UTC milliseconds.
    var toUTC: Int64 { clock.startOfDay(to.adding(days: 1)) * 1000 }

    package static func == (a: Period, b: Period) -> Bool {
        a.from == b.from && a.to == b.to && a.clock.identifier == b.clock.identifier
    }
}

/// KPIs of one group of a report.
struct KPIGroup: Sendable, Equatable {
    /// One value per grouping dimension; nil is the unassigned group.
    package var key: [GroupValue?]
    package var kpis: KPISet
}

/// The result of `contactqa kpis`: KPIs per group and in total, with the parameters used.
package struct KPIReport: Sendable {
    package var period: Period
    /// The as-of date decides whether FCR for the period is still provisional.
    package var asOf: LocalDate
    package var parameters: KPIParameters
    package var groupBy: [GroupDimension]
    var groups: [KPIGroup]
    package var total: KPISet

    /// Provisional until the as-of date is past the period's end + the FCR window (DESIGN.md §3).
    package var provisional: Bool { isProvisional(lastDay: period.to) }

    /// Whether FCR of contacts up to `lastDay` can still change on the as-of date.
    func isProvisional(lastDay: LocalDate) -> Bool {
        parameters.fcrMethod == .repeatContact && asOf.dayNumber <= lastDay.dayNumber + parameters.fcrWindowDays
    }

    /// A group is provisional when its own last day is: an early week of a long period can be final already.
    func isProvisional(_ group: KPIGroup) -> Bool {
        for (dimension, value) in zip(groupBy, group.key) {
            guard case .integer(let n)? = value else { continue }
            switch dimension {
            case .week: return isProvisional(lastDay: min(period.to, LocalDate(dayNumber: Int(n) + 3)))
            case .day: return isProvisional(lastDay: LocalDate(dayNumber: Int(n)))
            default: continue
            }
        }
        return provisional
    }

    /// How a key value reads: ISO week, ISO date, hour 0–23, weekday 1–7 (Monday = 1), or the text.
    func display(_ value: GroupValue?, _ dimension: GroupDimension) -> String? {
        guard let value else { return nil }
        switch (dimension, value) {
        case (.week, .integer(let thursday)): return ISOWeek(containing: LocalDate(dayNumber: Int(thursday))).description
        case (.day, .integer(let day)): return LocalDate(dayNumber: Int(day)).description
        case (_, .integer(let n)): return String(n)
        case (_, .text(let s)): return s
        }
    }
}

/// Computes KPIs from the store's grouped aggregates (DESIGN.md §3, §8).
package struct KPIEngine {
    package let store: any ContactStore

    package init(store: any ContactStore) { self.store = store }

    /// - Parameters:
    ///   - asOf: today's date in the reporting zone (decides the provisional flags).
    /// - Throws: `ParameterError` for parameters out of range; errors of the store.
    package func report(period: Period, groupBy: [GroupDimension], parameters: KPIParameters,
                       asOf: LocalDate) throws -> KPIReport {
        try parameters.validate()
        if Set(groupBy).count != groupBy.count { throw ParameterError("a grouping cannot be used twice: \(groupBy.map(\.rawValue).joined(separator: ","))") }
        let query = AggregateQuery(fromUTC: period.fromUTC, toUTC: period.toUTC, clock: period.clock, groupBy: groupBy, parameters: parameters)
        var groups: [KPIGroup] = []
        let total: KPISet
        let (contactRows, legRows, legTotal) = try store.reportAggregates(query)
        if groupBy.isEmpty {
            total = KPISet(contacts: contactRows.first, legs: legTotal)
        } else {
            // Every contact and leg falls in exactly one group (null included), so the total is the sum
            // of the groups: one pass over the data instead of two.
            let contacts = Dictionary(contactRows.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            let legs = Dictionary(legRows.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            let keys = Set(contacts.keys).union(legs.keys).sorted(by: KPIEngine.keyOrder)
            groups = keys.map { KPIGroup(key: $0, kpis: KPISet(contacts: contacts[$0], legs: legs[$0])) }
            total = KPISet(contacts: contactRows.reduce(into: ContactAggregate(key: [])) { $0.add($1) }, legs: legTotal)
        }
        return KPIReport(period: period, asOf: asOf, parameters: parameters,
                         groupBy: groupBy, groups: groups, total: total)
    }

    /// Keys sort value by value, the unassigned (nil) value last.
    static func keyOrder(_ a: [GroupValue?], _ b: [GroupValue?]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            switch (x, y) {
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?): return x < y
            }
        }
        return false
    }
}

/// KPIs of a span of whole weeks, fetched once grouped by week and a few dimensions and rolled up in
/// memory to any coarser grouping of any run of those weeks.
///
/// A weekly report asks for the same contacts many ways: 13 weeks in total, by team, queue, channel
/// and reason; the week itself by team, queue and channel; last week; agents over the span and before
/// the week. Each of those used to be a scan of its own. Counts and sums merge exactly, so one scan at
/// the finest grain answers them all. Handle-time quantiles need the values themselves: the roll-up
/// keeps them per week only (each distinct value with its count: memory does not grow with the number
/// of legs), so it answers quantiles in total and by week; a grouping by anything else gets its
/// quantiles from the store, unless the caller does without them. Stores that compute quantiles in the
/// database (they do not merge) are asked directly instead.
package struct KPIRollup {
    let span: Period
    /// The week, then `dimensions`.
    let grain: [GroupDimension]
    let parameters: KPIParameters
    let asOf: LocalDate
    private let store: any ContactStore
    private let contacts: [ContactAggregate]
    /// Handle-time moments per group of the grain (no values).
    private let legs: [LegAggregate]
    /// Each week's handle times, by the week's key.
    private let weekHandleTimes: [GroupValue?: CountedValues]
    private let mergeable: Bool

    /// - Parameter span: whole weeks, Monday to Sunday.
    package init(store: any ContactStore, span: Period, dimensions: [GroupDimension], parameters: KPIParameters, asOf: LocalDate) throws {
        try parameters.validate()
        self.store = store
        self.span = span
        grain = [.week] + dimensions.filter { $0 != .week }
        self.parameters = parameters
        self.asOf = asOf
        let query = AggregateQuery(fromUTC: span.fromUTC, toUTC: span.toUTC, clock: span.clock, groupBy: grain, parameters: parameters)
        let (contacts, rollup) = try store.rollupAggregates(query)
        self.contacts = contacts
        if let rollup {
            legs = rollup.legs
            weekHandleTimes = rollup.weekHandleTimes
            mergeable = true
        } else {
            self.legs = try store.legAggregates(query)
            weekHandleTimes = [:]
            mergeable = !self.legs.contains { $0.quantiles != nil }
        }
    }

    /// The report `KPIEngine` gives for `period` grouped by `groupBy`, from the rows in memory when
    /// `period` is whole weeks of the span and `groupBy` lies within the grain; from the store otherwise.
    /// - Parameter handleTimeQuantiles: false when the caller does not read the groups' median and p90
    ///   handle time: a grouping other than by week is then answered from memory with those two left
    ///   out of its groups (the total keeps them).
    package func report(period: Period, groupBy: [GroupDimension], handleTimeQuantiles: Bool = true) throws -> KPIReport {
        let wholeWeeks = period.from.isoWeek.monday == period.from && period.to.isoWeek.sunday == period.to && period.from >= span.from && period.to <= span.to
            && period.clock.identifier == span.clock.identifier
        let positions = groupBy.compactMap { grain.firstIndex(of: $0) }
        let quantilesByWeek = groupBy.isEmpty || groupBy == [.week]
        guard mergeable, wholeWeeks, Set(groupBy).count == groupBy.count, positions.count == groupBy.count,
              quantilesByWeek || !handleTimeQuantiles else {
            return try KPIEngine(store: store).report(period: period, groupBy: groupBy, parameters: parameters, asOf: asOf)
        }
        // A week's key is the day number of its Thursday.
        let first = period.from.dayNumber, last = period.to.dayNumber
        func inPeriod(_ key: [GroupValue?]) -> Bool {
            guard case .integer(let thursday)? = key[0] else { return false }
            return thursday >= first && thursday <= last
        }
        var contactGroups: [[GroupValue?]: ContactAggregate] = [:]
        var total = ContactAggregate(key: [])
        for row in contacts where inPeriod(row.key) {
            let key = positions.map { row.key[$0] }
            contactGroups[key, default: ContactAggregate(key: key)].add(row)
            total.add(row)
        }
        var legParts: [[GroupValue?]: [LegAggregate]] = [:]
        var allLegs: [LegAggregate] = []
        for row in legs where inPeriod(row.key) {
            legParts[positions.map { row.key[$0] }, default: []].append(row)
            allLegs.append(row)
        }
        var legTotal = allLegs.isEmpty ? nil : LegAggregate(merging: allLegs)
        legTotal?.handleTimes = CountedValues(merging: weekHandleTimes.filter { inPeriod([$0.key]) }.map(\.value))
        if groupBy.isEmpty {
            return KPIReport(period: period, asOf: asOf, parameters: parameters, groupBy: [], groups: [],
                             total: KPISet(contacts: total.offered == 0 ? nil : total, legs: legTotal))
        }
        let keys = Set(contactGroups.keys).union(legParts.keys).sorted(by: KPIEngine.keyOrder)
        let groups = keys.map { key in
            var legs = legParts[key].map(LegAggregate.init(merging:))
            legs?.key = key
            if groupBy == [.week] { legs?.handleTimes = weekHandleTimes[key[0]] ?? CountedValues() }
            return KPIGroup(key: key, kpis: KPISet(contacts: contactGroups[key], legs: legs))
        }
        return KPIReport(period: period, asOf: asOf, parameters: parameters, groupBy: groupBy, groups: groups,
                         total: KPISet(contacts: total, legs: legTotal ?? LegAggregate(merging: [])))
    }
}
