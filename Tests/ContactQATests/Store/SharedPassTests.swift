@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Logging
import Testing

/// A night's reports of one period, grouped several ways, are computed from one read of the contacts
/// and one of the legs: every grouping's result must be the one it gives alone, bit for bit, and what
/// a run computes ahead must be what its reports then read.
@Suite("Groupings computed together")
struct SharedPassTests {
    static let weekGroupings: [[GroupDimension]] = [[], [.channel], [.team], [.agent], [.dow, .hour], [.day]]
    static let rollupGrains: [[GroupDimension]] = [[.week, .team, .queue, .channel, .reason], [.week, .team, .agent]]

    static func legBits(_ rows: [LegAggregate]) -> Data {
        var w = CacheWriter()
        for row in rows { row.encode(&w) }
        return w.data
    }

    /// The shared reads against each grouping's own, for waits whose sums depend on their order.
    @Test func eachGroupingIsWhatItIsAlone() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        try store.queue.write { db in
            try db.execute(sql: "UPDATE contacts SET wait_s = wait_s * 1.1 + (unicode(substr(interaction_id, -1)) % 7) / 3.0")
            try db.execute(sql: "UPDATE legs SET team = NULL WHERE interaction_id IN (SELECT interaction_id FROM legs LIMIT 40)")
        }
        let clock = AggregatesAtOnceTests.week.clock
        let span = Period(from: LocalDate(iso: "2026-10-19")!, to: LocalDate(iso: "2026-11-22")!, clock: clock)
        var followUp = KPIParameters(fcrMatch: .customerAndReason, csatTopBoxes: 1)
        followUp.followUpBeforeUTC = AggregatesAtOnceTests.week.toUTC + 2 * 86_400_000
        var groups = 0, pairs = 0
        for parameters in [KPIParameters(), followUp] {
            for period in [AggregatesAtOnceTests.week, span] {
                for groupings in [SharedPassTests.weekGroupings, SharedPassTests.rollupGrains] {
                    let queries = groupings.map {
                        AggregateQuery(fromUTC: period.fromUTC, toUTC: period.toUTC, clock: clock, groupBy: $0, parameters: parameters)
                    }
                    let together = try store.queue.read { db in try SQLiteStore.addContacts(db, queries) }
                    var counted = [[HandleTimesCountedTests.Pair]](repeating: [], count: queries.count)
                    let sorted = try store.queue.read { db in
                        try SQLiteStore.sortHandleTimes(db, queries, scanContacts: false) { i, key, h, n in counted[i].append((key, h, n)) }
                    }
                    #expect(sorted)
                    for (i, query) in queries.enumerated() {
                        let alone = try store.contactAggregatesBySQL(query)
                        #expect(ContactSumsInSwiftTests.bits(together[i]) == ContactSumsInSwiftTests.bits(alone), "\(query.groupBy)")
                        #expect(HandleTimesCountedTests.same(counted[i], try HandleTimesCountedTests.bySQL(store, query, scan: false)), "\(query.groupBy)")
                        groups += alone.count
                        pairs += counted[i].count
                    }
                }
            }
        }
        #expect(groups > 2_000 && pairs > 5_000, "\(groups) groups, \(pairs) pairs")
    }

    /// Computed ahead, then read by the reports: the same results as computed by each report, every
    /// one read once, and nothing computed ahead again once kept.
    @Test func theReportsReadWhatWasComputedAhead() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        let clock = AggregatesAtOnceTests.week.clock
        let week = AggregatesAtOnceTests.week
        let span = Period(from: LocalDate(iso: "2026-10-26")!, to: week.to, clock: clock)
        let reports = SharedPassTests.weekGroupings.map {
            AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: clock, groupBy: $0, parameters: KPIParameters())
        }
        let rollups = SharedPassTests.rollupGrains.map {
            AggregateQuery(fromUTC: span.fromUTC, toUTC: span.toUTC, clock: clock, groupBy: $0, parameters: KPIParameters())
        }
        // Each report alone first (nothing kept, nothing computed ahead).
        let alone = try reports.map { try store.reportAggregates($0) }
        let aloneRollups = try rollups.map { try store.rollupAggregates($0) }
        #expect(store.preparedRead == 0)

        try store.prepareAggregateCache()
        try store.prepareReports(reports)
        try store.prepareRollups(rollups)
        #expect(store.preparedWaiting == 2 * (reports.count + rollups.count))
        try checkRead(store, reports: reports, alone: alone, rollups: rollups, aloneRollups: aloneRollups)

        // The roll-ups' legs week by week, as for a span too large to read at once: the same again.
        try store.queue.write { db in try db.execute(sql: "UPDATE aggregate_cache_state SET dirty = 1") }
        try store.prepareAggregateCache()
        try store.prepareReports(reports)
        let largestWeek = try store.queue.read { db in
            try SQLiteStore.weeks(of: rollups[0]).map { try SQLiteStore.contacts(db, from: $0.fromUTC, to: $0.toUTC) }.max() ?? 0
        }
        try store.prepareRollups(rollups, runContacts: largestWeek)
        #expect(store.preparedWaiting == 2 * (reports.count + rollups.count))
        try checkRead(store, reports: reports, alone: alone, rollups: rollups, aloneRollups: aloneRollups)

        // Kept now: nothing is computed ahead again.
        try store.prepareReports(reports)
        try store.prepareRollups(rollups)
        #expect(store.preparedWaiting == 0)
        // A change to the contacts: computed ahead again, for the new generation only.
        try store.queue.write { db in try db.execute(sql: "UPDATE contacts SET csat = NULL WHERE interaction_id IN (SELECT interaction_id FROM contacts LIMIT 3)") }
        try store.prepareAggregateCache()
        try store.prepareReports(reports)
        #expect(store.preparedWaiting == 2 * reports.count)
    }

    private func checkRead(_ store: SQLiteStore, reports: [AggregateQuery], alone: [(contacts: [ContactAggregate], legs: [LegAggregate], legTotal: LegAggregate?)],
                           rollups: [AggregateQuery], aloneRollups: [(contacts: [ContactAggregate], legs: LegRollup?)]) throws {
        let before = store.preparedRead
        for (query, expected) in zip(reports, alone) {
            let read = try store.reportAggregates(query)
            #expect(ContactSumsInSwiftTests.bits(read.contacts) == ContactSumsInSwiftTests.bits(expected.contacts), "\(query.groupBy)")
            #expect(SharedPassTests.legBits(read.legs) == SharedPassTests.legBits(expected.legs), "\(query.groupBy)")
            #expect(read.legTotal == expected.legTotal && read.legTotal?.handle.n ?? 0 > 0, "\(query.groupBy)")
        }
        for (query, expected) in zip(rollups, aloneRollups) {
            let read = try store.rollupAggregates(query)
            #expect(ContactSumsInSwiftTests.bits(read.contacts) == ContactSumsInSwiftTests.bits(expected.contacts), "\(query.groupBy)")
            #expect(SharedPassTests.legBits(read.legs?.legs ?? []) == SharedPassTests.legBits(expected.legs?.legs ?? []), "\(query.groupBy)")
            #expect(read.legs?.weekHandleTimes == expected.legs?.weekHandleTimes && read.legs?.weekHandleTimes.count == 4)
        }
        #expect(store.preparedWaiting == 0 && store.preparedRead - before == 2 * (reports.count + rollups.count))
    }

    /// A run's reports read everything its store computed ahead, and a night with nothing new computes
    /// nothing ahead (its reports are kept).
    @Test func aRunReadsEverythingItComputedAhead() throws {
        let dir = TemporaryDirectory()
        try SyntheticExport(rows: 4_000, seed: 31).write(to: dir.path + "/contacts.csv")
        try """
            name: shared
            timezone: Europe/London
            store: store.sqlite
            inputs:
              - {source: canonical, path: contacts.csv}
            privacy: {key_file: \(fixture("keys/demo.key"))}
            report: {out: "reports/{week}", formats: [html, md, csv, json]}
            """.write(toFile: dir.path + "/pipeline.yaml", atomically: true, encoding: .utf8)
        var run = PipelineRun(pipeline: try Pipeline.load(file: dir.path + "/pipeline.yaml"), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        run.week = ISOWeek("2026-W46")
        run.asOf = LocalDate(iso: "2026-11-25")
        let first = try run.execute()
        #expect(first.preparedRead == 2 * (SharedPassTests.weekGroupings.count + SharedPassTests.rollupGrains.count) && first.preparedUnread == 0)
        let again = try run.execute()
        #expect(again.preparedRead == 0 && again.preparedUnread == 0)
    }
}
