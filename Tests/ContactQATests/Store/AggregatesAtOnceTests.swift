@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// A report's contacts and legs statements run at once on the SQLite store, the legs' on a second
/// connection and a thread of its own: they must give what they give one after the other, and a
/// failure on either side must reach the caller.
@Suite("Contacts and legs at once")
struct AggregatesAtOnceTests {
    static func loadedStore(_ dir: TemporaryDirectory) throws -> SQLiteStore {
        let store = try makeStore(dir)
        let file = dir.path + "/contacts.csv"
        try SyntheticExport(rows: 3_000, seed: 9).write(to: file)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        return store
    }

    static let week = Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!)

    static func query(_ groupBy: [GroupDimension], period: Period = week) -> AggregateQuery {
        AggregateQuery(fromUTC: period.fromUTC, toUTC: period.toUTC, clock: period.clock, groupBy: groupBy, parameters: KPIParameters())
    }

    @Test func atOnceIsOneAfterTheOther() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        for groupBy in [[], [GroupDimension.agent], [.team, .queue]] {
            let query = AggregatesAtOnceTests.query(groupBy)
            let atOnce = try store.reportAggregates(query)
            let contacts = try store.contactAggregates(query)
            #expect(atOnce.contacts.count == contacts.count && atOnce.contacts.count > 0)
            for (a, b) in zip(atOnce.contacts, contacts) {
                #expect(a.key == b.key && a.offered == b.offered && a.wait == b.wait && a.fcrResolved == b.fcrResolved)
            }
            if groupBy.isEmpty {
                let total = try store.legAggregates(query).first
                #expect(atOnce.legs.isEmpty && atOnce.legTotal == total)
            } else {
                let legs = try store.groupedLegAggregates(query)
                #expect(atOnce.legs == legs.groups && atOnce.legTotal == legs.total && atOnce.legs.count > 1)
            }
        }
        let span = Period(from: LocalDate(iso: "2026-10-26")!, to: LocalDate(iso: "2026-11-22")!, clock: AggregatesAtOnceTests.week.clock)
        let rollupQuery = AggregatesAtOnceTests.query([.week, .team], period: span)
        let rollup = try store.rollupAggregates(rollupQuery)
        let alone = try store.legRollup(rollupQuery)
        let keys = try store.contactAggregates(rollupQuery).map(\.key)
        #expect(rollup.contacts.map(\.key) == keys)
        #expect(rollup.legs?.legs == alone?.legs && rollup.legs?.weekHandleTimes == alone?.weekHandleTimes && (alone?.legs.count ?? 0) > 4)
    }

    /// The legs' statement fails on the second thread (its table is gone), the contacts' succeeds on
    /// this one: the error is the caller's. Then the other way round.
    @Test func aFailureOnEitherSideReachesTheCaller() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        try store.queue.writeWithoutTransaction { db in try db.execute(sql: "ALTER TABLE legs RENAME TO legs_gone") }
        for groupBy in [[], [GroupDimension.agent]] {
            #expect(throws: DatabaseError.self) { try store.reportAggregates(AggregatesAtOnceTests.query(groupBy)) }
        }
        do {
            _ = try store.reportAggregates(AggregatesAtOnceTests.query([.agent]))
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("no such table: legs"), "\(error)")
        }
        try store.queue.writeWithoutTransaction { db in
            try db.execute(sql: "ALTER TABLE legs_gone RENAME TO legs; ALTER TABLE contacts RENAME TO contacts_gone")
        }
        do {
            _ = try store.reportAggregates(AggregatesAtOnceTests.query([.agent]))
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("no such table: contacts"), "\(error)")
        }
    }

    /// A load's sorts may use SQLite's helper threads (their results do not depend on the order of
    /// equal keys); a report's must not (its sums would add rows in another order), so the connection
    /// is back to none once the load ends, whether it committed or failed.
    @Test func aLoadsSortThreadsEndWithTheLoad() throws {
        let dir = TemporaryDirectory()
        let store = try AggregatesAtOnceTests.loadedStore(dir)
        let threads = { try store.queue.read { db in try Int.fetchOne(db, sql: "PRAGMA threads") } }
        #expect(try threads() == 0)
        // A file that fails inside its load: two good rows, then a quoted field never closed.
        let lines = try String(contentsOfFile: fixture("canonical/contacts_2026-W47.csv"), encoding: .utf8).split(separator: "\n")
        let bad = dir.write("bad.csv", lines.prefix(3).joined(separator: "\n") + "\nX9,\"never closed\n")
        let failed = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(bad, into: store)
        #expect(failed.log.status == .failed, "\(failed.log)")
        #expect(try threads() == 0)
        // While a load runs, its connection has them (on a machine with more than one core).
        var during: Int?
        let entry = IngestLogEntry(file: "x.csv", sha256: "00", source: "canonical", status: .failed, startedAt: "2026-12-01T00:00:00Z")
        _ = try store.load(entry) { writer in
            guard let writer = writer as? SQLiteWriter else { return (.rollback, entry) }
            during = try Int.fetchOne(writer.db, sql: "PRAGMA threads")
            return (.rollback, entry)
        }
        #expect(during == SQLiteStore.loadSortThreads)
        #expect(try threads() == 0)
    }
}
