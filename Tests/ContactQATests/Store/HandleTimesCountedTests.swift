@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// The SQLite store counts the legs' handle times by group and value in Swift where the pairs stay
/// few, sorts them in Swift where the legs fit, else runs the grouped statement: all three must give
/// the same groups, values and counts in the same order, and the count and the sort must give way
/// once the pairs or the legs outnumber their limits.
@Suite("Handle times counted in Swift")
struct HandleTimesCountedTests {
    typealias Pair = (key: [GroupValue?], value: Double, count: Int)

    static func bySQL(_ store: SQLiteStore, _ query: AggregateQuery, scan: Bool) throws -> [Pair] {
        var pairs: [Pair] = []
        try store.queue.read { db in try SQLiteStore.forEachGroupedHandleTime(db, query, scanContacts: scan) { pairs.append(($0, $1, $2)) } }
        return pairs
    }

    static func same(_ a: [Pair], _ b: [Pair]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value.bitPattern == $1.value.bitPattern && $0.count == $1.count }
    }

    @Test func countedInSwiftIsTheGroupedStatement() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        // A leg without a team (the roster's applies), handle times that are equal as numbers but
        // stored as an integer and as a real, and a leg with every time NULL (not a handled leg).
        try store.queue.write { db in
            try db.execute(sql: "UPDATE legs SET team = NULL WHERE interaction_id IN (SELECT interaction_id FROM legs LIMIT 40)")
            try db.execute(sql: "UPDATE legs SET talk_s = 100, hold_s = NULL, acw_s = NULL WHERE interaction_id IN (SELECT interaction_id FROM legs LIMIT 30 OFFSET 100)")
            try db.execute(sql: "UPDATE legs SET talk_s = 60.0, hold_s = 40.0, acw_s = NULL WHERE interaction_id IN (SELECT interaction_id FROM legs LIMIT 30 OFFSET 200)")
            try db.execute(sql: "UPDATE legs SET talk_s = NULL, hold_s = NULL, acw_s = NULL WHERE interaction_id IN (SELECT interaction_id FROM legs LIMIT 5 OFFSET 300)")
        }
        let clock = AggregatesAtOnceTests.week.clock
        let span = Period(from: LocalDate(iso: "2026-10-19")!, to: LocalDate(iso: "2026-11-22")!, clock: clock)
        let groupings: [[GroupDimension]] = [[], [.agent], [.team], [.channel], [.queue, .reason], [.day], [.dow, .hour],
                                             [.week, .team, .queue, .channel, .reason], [.week, .team, .agent], [.week]]
        var pairs = 0
        for groupBy in groupings {
            for period in [AggregatesAtOnceTests.week, span] {
                let query = AggregateQuery(fromUTC: period.fromUTC, toUTC: period.toUTC, clock: clock, groupBy: groupBy, parameters: KPIParameters())
                for scan in [false, true] {
                    let counted = try store.queue.read { db in try SQLiteStore.countHandleTimes(db, query, scanContacts: scan) }
                    guard let counted else { Issue.record("gave way at \(groupBy)"); continue }
                    let swift = counted.pairs.map { (key: counted.keys[Int($0.group)], value: $0.value, count: $0.count) }
                    let sql = try HandleTimesCountedTests.bySQL(store, query, scan: scan)
                    #expect(HandleTimesCountedTests.same(swift, sql), "\(groupBy) scan \(scan)")
                    var sorted: [Pair] = []
                    let whole = try store.queue.read { db in
                        try SQLiteStore.sortHandleTimes(db, query, scanContacts: scan) { sorted.append(($0, $1, $2)) }
                    }
                    #expect(whole && HandleTimesCountedTests.same(sorted, sql), "sorted \(groupBy) scan \(scan)")
                    pairs += sql.count
                }
                var streamed: [Pair] = []
                try store.forEachHandleTime(query, on: store.queue) { streamed.append(($0, $1, $2)) }
                #expect(HandleTimesCountedTests.same(streamed, try HandleTimesCountedTests.bySQL(store, query, scan: false)))
            }
        }
        #expect(pairs > 10_000)
        // 100 and 60 + 40 are one value: one pair with both counts.
        let query = AggregateQuery(fromUTC: span.fromUTC, toUTC: span.toUTC, clock: clock, groupBy: [], parameters: KPIParameters())
        let hundred = try HandleTimesCountedTests.bySQL(store, query, scan: true).filter { $0.value == 100 }
        #expect(hundred.count == 1 && hundred[0].count >= 60)
    }

    /// A roll-up's legs are counted week by week (each week's pairs held alone): the same pairs as the
    /// grouped statement over the whole span, across the end of summer time in London.
    @Test func weekByWeekIsTheWholeSpan() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        let clock = AggregatesAtOnceTests.week.clock
        let span = Period(from: LocalDate(iso: "2026-10-19")!, to: LocalDate(iso: "2026-11-22")!, clock: clock)
        for groupBy: [GroupDimension] in [[.week], [.week, .team, .queue, .channel, .reason], [.week, .team, .agent]] {
            let query = AggregateQuery(fromUTC: span.fromUTC, toUTC: span.toUTC, clock: clock, groupBy: groupBy, parameters: KPIParameters())
            let weeks = SQLiteStore.weeks(of: query)
            #expect(weeks.count == 5 && weeks.first?.fromUTC == span.fromUTC && weeks.last?.toUTC == span.toUTC)
            #expect(weeks.map(\.toUTC).dropLast() == weeks.map(\.fromUTC).dropFirst())
            #expect(weeks[1].fromUTC == Period(week: ISOWeek("2026-W44")!, clock: clock).fromUTC)
            let whole = try HandleTimesCountedTests.bySQL(store, query, scan: true)
            // The span at once (it fits), in runs of weeks, and week by week (as if it did not fit).
            let largestWeek = try store.queue.read { db in try weeks.map { try SQLiteStore.contacts(db, from: $0.fromUTC, to: $0.toUTC) }.max() ?? 0 }
            let runs = try store.queue.read { db in try SQLiteStore.weekRuns(db, query, limit: largestWeek) }
            // The first week is empty, so it joins the second; each other week is a run of its own.
            #expect(runs?.count == 4 && runs?.map(\.part.fromUTC) == [weeks[0].fromUTC] + weeks.dropFirst(2).map(\.fromUTC)
                    && runs?.last?.part.toUTC == span.toUTC)
            let pairsOfWeeks = try store.queue.read { db in try SQLiteStore.weekRuns(db, query, limit: 2 * largestWeek) }
            #expect((pairsOfWeeks?.count ?? 0) < 5 && pairsOfWeeks?.last?.part.toUTC == span.toUTC)
            #expect(try store.queue.read { db in try SQLiteStore.weekRuns(db, query, limit: largestWeek - 1) } == nil)
            for runContacts in [nil, 2 * largestWeek, largestWeek] {
                var byWeek: [Pair] = []
                try store.forEachHandleTimeWeekByWeek(query, on: store.queue, runContacts: runContacts) { byWeek.append(($0, $1, $2)) }
                #expect(HandleTimesCountedTests.same(byWeek, whole) && whole.count > 500, "\(groupBy) \(String(describing: runContacts))")
            }
            let rollup = try store.legRollup(query)
            #expect(rollup?.weekHandleTimes.count == 4)  // the generated weeks begin on 26 October: the first is empty
        }
    }

    @Test func theCountGivesWayBeyondItsLimit() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        let week = AggregatesAtOnceTests.week
        let query = AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: week.clock, groupBy: [.agent], parameters: KPIParameters())
        let sql = try HandleTimesCountedTests.bySQL(store, query, scan: false)
        let under = try store.queue.read { db in try SQLiteStore.countHandleTimes(db, query, scanContacts: false, limit: sql.count - 1) }
        let at = try store.queue.read { db in try SQLiteStore.countHandleTimes(db, query, scanContacts: false, limit: sql.count) }
        #expect(under == nil && at?.pairs.count == sql.count && sql.count > 100)
    }

    /// The sort gives way once the legs outnumber its limit, before it has passed anything on.
    @Test func theSortGivesWayBeyondItsLimit() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        let week = AggregatesAtOnceTests.week
        let query = AggregateQuery(fromUTC: week.fromUTC, toUTC: week.toUTC, clock: week.clock, groupBy: [.agent], parameters: KPIParameters())
        let legs = try HandleTimesCountedTests.bySQL(store, query, scan: false).reduce(0) { $0 + $1.count }
        var passed = 0
        let under = try store.queue.read { db in
            try SQLiteStore.sortHandleTimes(db, query, scanContacts: false, limit: legs - 1) { _, _, _ in passed += 1 }
        }
        #expect(!under && passed == 0 && legs > 100)
        let at = try store.queue.read { db in
            try SQLiteStore.sortHandleTimes(db, query, scanContacts: false, limit: legs) { _, _, n in passed += n }
        }
        #expect(at && passed == legs)
        // Which way a period is counted: few groups hashed, a small period's legs sorted, the rest grouped.
        try store.queue.read { db in
            #expect(try SQLiteStore.handleTimeCount(db, query) == .sorted)
            var byWeek = query
            byWeek.groupBy = [.week, .channel]
            #expect(try SQLiteStore.handleTimeCount(db, byWeek) == .hashed)
            let contacts = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM contacts WHERE arrived_at >= ? AND arrived_at < ?",
                                            arguments: [query.fromUTC, query.toUTC]) ?? 0
            #expect(contacts > 100 && contacts <= SQLiteStore.legsSorted(groupings: 1))
        }
    }
}
