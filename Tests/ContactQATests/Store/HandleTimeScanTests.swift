@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// Handle times of a period that holds most of the store are read by scanning every contact instead
/// of through the arrival index. The statement only counts, so both plans must give the same rows;
/// the choice must follow the period's share of the store.
@Suite("Handle times by scan or by index")
struct HandleTimeScanTests {
    @Test func bothPlansCountTheSameAndTheChoiceFollowsThePeriod() throws {
        let dir = TemporaryDirectory()
        let store = try AggregateCacheTests.loadedStore(dir)  // four weeks from 2026-10-26
        let clock = ZoneClock(identifier: store.siteTimeZone)!
        let first = Period(week: ISOWeek("2026-W44")!, clock: clock), last = Period(week: ISOWeek("2026-W47")!, clock: clock)
        let month = (from: first.fromUTC, to: last.toUTC)
        let week = (from: first.fromUTC, to: first.toUTC)
        let day = (from: first.fromUTC, to: first.fromUTC + 86_400_000)
        let choice = { (period: (from: Int64, to: Int64)) in
            try store.queue.read { try SQLiteStore.periodHoldsMostContacts($0, from: period.from, to: period.to) }
        }
        #expect(try choice(month))
        #expect(try !choice(week))
        #expect(try !choice(day))
        #expect(try choice((from: month.from - 86_400_000 * 7, to: month.to + 86_400_000 * 7)))  // beyond the store's ends

        for period in [month, week] {
            for groupBy in [[], [GroupDimension.week], [.week, .agent], [.team], [.queue, .channel]] {
                let query = AggregateQuery(fromUTC: period.from, toUTC: period.to, clock: clock, groupBy: groupBy, parameters: KPIParameters())
                let arguments: [(any DatabaseValueConvertible)?] = [period.from, period.to]
                let scanned = SQLiteStore.handleTimeSQL(query, scanContacts: true)
                let indexed = SQLiteStore.handleTimeSQL(query)
                #expect(try store.rows("EXPLAIN QUERY PLAN " + scanned, arguments).contains { "\($0)".contains("SCAN c") })
                #expect(try store.rows("EXPLAIN QUERY PLAN " + indexed, arguments).contains { "\($0)".contains("contacts_arrived") })
                let rows = try store.rows(indexed, arguments)
                #expect(!rows.isEmpty)
                #expect(try store.rows(scanned, arguments) == rows, "\(groupBy)")
                // What the engine reads (through whichever plan it chose) is the same.
                var read: [String] = []
                try store.forEachHandleTime(query, on: store.queue) { key, handle, count in read.append("\(key) \(handle) \(count)") }
                #expect(read.count == rows.count)
            }
        }
    }

    /// The report's consistency checks take the same choice; they count and list ids, so both plans
    /// must find the same, on a store where every check has something to find.
    @Test func consistencyChecksFindTheSameEitherWay() throws {
        let dir = TemporaryDirectory()
        let store = try AggregateCacheTests.loadedStore(dir)  // four weeks from 2026-10-26
        let clock = ZoneClock(identifier: store.siteTimeZone)!
        try store.queue.write { db in
            try db.execute(sql: """
                UPDATE legs SET answered_at = 1, ended_at = 2000 WHERE interaction_id LIKE '%5' OR interaction_id LIKE '%7';
                UPDATE legs SET agent_id = NULL WHERE interaction_id LIKE '%7';
                UPDATE contacts SET leg_count = 0 WHERE abandoned = 0 AND direction = 'inbound' AND interaction_id LIKE '%3';
                UPDATE contacts SET resolved = 1 WHERE next_inbound_at IS NOT NULL;
                """)
        }
        let month = Period(from: LocalDate(iso: "2026-10-26")!, to: LocalDate(iso: "2026-11-22")!, clock: clock)
        let week = Period(week: ISOWeek("2026-W45")!, clock: clock)
        #expect(try store.readsEveryContact(from: month.fromUTC, to: month.toUTC) && !store.readsEveryContact(from: week.fromUTC, to: week.toUTC))
        for period in [month, week] {
            let scanned = try store.consistencyChecks(period, windowDays: 7, readsEveryContact: true)
            let indexed = try store.consistencyChecks(period, windowDays: 7, readsEveryContact: false)
            #expect(scanned.map { "\($0.name) \($0.count) \($0.examples)" } == indexed.map { "\($0.name) \($0.count) \($0.examples)" })
            #expect(scanned.filter { $0.count > 0 }.count == 4, "\(scanned.map { ($0.name, $0.count) })")
        }
    }
}
