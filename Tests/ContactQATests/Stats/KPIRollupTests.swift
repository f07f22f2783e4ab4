@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A weekly report reads its week, last week and 13 weeks of trends from two scans rolled up in memory
/// (`KPIRollup`). Every grouping and period the report asks for must come out as `KPIEngine` computes it
/// with a query of its own: counts, rates and quantiles exactly; means and intervals up to the order in
/// which floating-point sums were added (relative 1e-12).
@Suite("KPI roll-up")
struct KPIRollupTests {
    static let clock = ZoneClock(identifier: "Europe/London")!

    /// Numbers equal, doubles within a relative 1e-12; reports the first difference's path.
    static func difference(_ a: JSONValue, _ b: JSONValue, _ path: String = "") -> String? {
        switch (a, b) {
        case (.double(let x), .double(let y)):
            return abs(x - y) <= 1e-12 * max(abs(x), abs(y), 1) ? nil : "\(path): \(x) vs \(y)"
        case (.double(let x), .int(let y)), (.int(let y), .double(let x)):
            return abs(x - Double(y)) <= 1e-12 * max(abs(x), 1) ? nil : "\(path): \(x) vs \(y)"
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return "\(path): \(x.count) vs \(y.count) items" }
            return zip(x, y).enumerated().lazy.compactMap { difference($1.0, $1.1, "\(path)[\($0)]") }.first
        case (.object(let x), .object(let y)):
            guard x.map(\.0) == y.map(\.0) else { return "\(path): keys \(x.map(\.0)) vs \(y.map(\.0))" }
            return zip(x, y).lazy.compactMap { difference($0.1, $1.1, "\(path).\($0.0)") }.first
        default:
            return a == b ? nil : "\(path): \(a) vs \(b)"
        }
    }

    static func json(_ report: KPIReport) -> JSONValue {
        .object([("total", KPIReport.kpisJSON(report.total)),
                 ("groups", .array(report.groups.map { g in
                     .object([("key", .string(g.key.map { "\(String(describing: $0))" }.joined(separator: "|"))),
                              ("kpis", KPIReport.kpisJSON(g.kpis))])
                 }))])
    }

    @Test(arguments: Backend.allCases) func everyGroupingAWeeklyReportUsesMatchesItsOwnQuery(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let file = dir.path + "/contacts.csv"
        // Four weeks from Monday 26 October 2026 (the clocks go back on the 25th), fractional waits and
        // handle times, repeats, CSAT and NPS.
        try SyntheticExport(rows: 4_000, seed: 11).write(to: file)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.log.rejected == 0)
        let week = ISOWeek("2026-W47")!
        let engine = TrendsEngine(store: store)
        let asOf = LocalDate(iso: "2026-11-25")!  // the week's FCR still provisional
        let parameters = KPIParameters()
        let rollups = try engine.rollups(week: week, clock: KPIRollupTests.clock, parameters: parameters, asOf: asOf)
        let span = engine.span(week, clock: KPIRollupTests.clock)
        let thisWeek = Period(week: week, clock: KPIRollupTests.clock)
        let lastWeek = Period(week: ISOWeek("2026-W46")!, clock: KPIRollupTests.clock)
        let before = Period(from: span.from, to: lastWeek.to, clock: KPIRollupTests.clock)
        let cases: [(KPIRollup, Period, [GroupDimension])] = [
            (rollups.contacts, thisWeek, []), (rollups.contacts, lastWeek, []), (rollups.contacts, thisWeek, [.team]),
            (rollups.contacts, thisWeek, [.queue]), (rollups.contacts, thisWeek, [.channel]), (rollups.contacts, span, [.week]),
            (rollups.contacts, span, [.team, .week]), (rollups.contacts, span, [.queue, .week]), (rollups.contacts, span, [.channel, .week]),
            (rollups.contacts, span, [.reason, .week]), (rollups.agents, thisWeek, [.team, .agent]), (rollups.agents, before, [.agent]),
            (rollups.agents, span, [.agent]),
        ]
        var compared = 0
        for (rollup, period, groupBy) in cases {
            var direct = try KPIEngine(store: store).report(period: period, groupBy: groupBy, parameters: parameters, asOf: asOf)
            // The roll-up keeps handle times per week: in total and by week it has the median and p90;
            // by anything else the report does without them (asked for, they come from the store).
            let quantiles = groupBy.isEmpty || groupBy == [.week]
            var rolled = try rollup.report(period: period, groupBy: groupBy, handleTimeQuantiles: quantiles)
            if quantiles {
                #expect(direct.total.ahtMedian != nil && rolled.total.ahtP90 == direct.total.ahtP90)
                #expect(direct.groups.allSatisfy { $0.kpis.ahtMedian != nil } || groupBy.isEmpty)
            } else {
                // (PostgreSQL computes quantiles in the database: its roll-up asks the store for every grouping.)
                if backend == .sqlite { #expect(rolled.groups.allSatisfy { $0.kpis.ahtMedian == nil && $0.kpis.ahtP90 == nil }) }
                #expect(rolled.total.ahtMedian == direct.total.ahtMedian && rolled.total.ahtMedian != nil)
                for i in direct.groups.indices { direct.groups[i].kpis.ahtMedian = nil; direct.groups[i].kpis.ahtP90 = nil }
                for i in rolled.groups.indices { rolled.groups[i].kpis.ahtMedian = nil; rolled.groups[i].kpis.ahtP90 = nil }
                // Asked for, the groups' quantiles come from the store (PostgreSQL may add a sum in
                // another order from one run of a statement to the next: the suite's 1e-12).
                let asked = try rollup.report(period: period, groupBy: groupBy)
                let again = try KPIEngine(store: store).report(period: period, groupBy: groupBy, parameters: parameters, asOf: asOf)
                #expect(asked.groups.allSatisfy { $0.kpis.ahtMedian != nil || $0.kpis.aht.moments.n == 0 })
                #expect(KPIRollupTests.difference(KPIRollupTests.json(asked), KPIRollupTests.json(again)) == nil)
            }
            #expect(rolled.groups.map(\.key) == direct.groups.map(\.key), "\(period.from)–\(period.to) by \(groupBy)")
            let problem = KPIRollupTests.difference(KPIRollupTests.json(rolled), KPIRollupTests.json(direct))
            #expect(problem == nil, "\(period.from)–\(period.to) by \(groupBy): \(problem ?? "")")
            #expect(rolled.provisional == direct.provisional)
            compared += direct.groups.count
        }
        #expect(compared > 300)  // the groupings have real content: 20 teams, 8 queues, 9 reasons, ~200 agents
    }

    @Test func aPeriodThatIsNotWholeWeeksOfTheSpanIsAskedOfTheStore() throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(.sqlite, dir) else { return }
        let file = dir.path + "/contacts.csv"
        try SyntheticExport(rows: 1_000, seed: 3).write(to: file)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        let span = Period(from: LocalDate(iso: "2026-11-09")!, to: LocalDate(iso: "2026-11-22")!, clock: KPIRollupTests.clock)
        let rollup = try KPIRollup(store: store, span: span, dimensions: [.team], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-31")!)
        for period in [Period(from: LocalDate(iso: "2026-11-10")!, to: LocalDate(iso: "2026-11-15")!, clock: KPIRollupTests.clock),  // part of a week
                       Period(from: LocalDate(iso: "2026-11-02")!, to: LocalDate(iso: "2026-11-15")!, clock: KPIRollupTests.clock)] {  // before the span
            let direct = try KPIEngine(store: store).report(period: period, groupBy: [.queue], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-31")!)
            let rolled = try rollup.report(period: period, groupBy: [.queue])  // queue is not in the grain either
            #expect(KPIRollupTests.json(rolled) == KPIRollupTests.json(direct))
            #expect(direct.total.offered > 0)
        }
    }

    /// A grouped report's legs come from one pass that keeps a single group's values at a time: each
    /// group's median and p90, its moments and the total must be what holding every group's values and
    /// merging them gives, bit for bit (the moments added in the same order, the same multisets).
    @Test func groupedLegsInOnePassAreTheMergedGroups() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let file = dir.path + "/contacts.csv"
        try SyntheticExport(rows: 4_000, seed: 5).write(to: file)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        let week = Period(week: ISOWeek("2026-W47")!, clock: KPIRollupTests.clock)
        for groupBy in [[GroupDimension.agent], [.dow, .hour], [.team, .queue], [.channel]] {
            let query = AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: week.clock, groupBy: groupBy, parameters: KPIParameters())
            let held = try store.legAggregates(query)
            let (groups, total) = try store.groupedLegAggregates(query)
            #expect(held.count > 1 && groups.count == held.count, "\(groupBy)")
            for (one, all) in zip(groups, held) {
                #expect(one.key == all.key && one.handle == all.handle)
                #expect(one.handleTimes.total == 0, "a group's values are not kept")
                #expect(one.quantiles?.median == all.handleTimes.quantileType7(0.5) && one.quantiles?.p90 == all.handleTimes.quantileType7(0.9))
            }
            let merged = LegAggregate(merging: held)
            #expect(total?.handle == merged.handle && total?.handleTimes == merged.handleTimes && total?.handleTimes.total ?? 0 > 500)
            // The KPIs read the same either way.
            #expect(KPISet(contacts: nil, legs: groups[0]).ahtMedian == KPISet(contacts: nil, legs: held[0]).ahtMedian)
        }
    }
}
