@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// The bundled exports of each system load as their fixtures/README.md says.
@Suite("Bundled fixtures")
struct FixtureImportTests {
    func load(_ file: String, mapping: String) throws -> (FileImportReport, SQLiteStore, TemporaryDirectory) {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let importer = CSVImporter(mapping: try Mapping.load(file: fixture(mapping)), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        return (try importer.importFile(fixture(file), into: store), store, dir)
    }

    @Test func cloudCallCentreCallLog() throws {
        let (report, store, dir) = try load("cloud-callcenter/call_log_2026-11-16.csv", mapping: "cloud-callcenter/mapping.yaml")
        #expect(report.outcome == .loaded)
        #expect((report.log.rowsRead, report.log.inserted, report.log.updated, report.log.duplicates, report.log.rejected) == (9, 8, 1, 1, 0))
        // 01:45:09 PM in New York (EST, UTC−5) is 18:45:09 UTC.
        let row = try store.rows("SELECT arrived_at, wait_s, abandoned, escalated, direction, queue, contact_reason FROM contacts WHERE interaction_id = '300005'")
        #expect(row == [[utcMillis("2026-11-16T18:45:09Z").databaseValue, (18.0).databaseValue, 0.databaseValue, 0.databaseValue,
                         "inbound".databaseValue, "Support".databaseValue, "Resolved".databaseValue]])
        #expect(try store.rows("SELECT escalated FROM contacts WHERE interaction_id = '300007'") == [[1.databaseValue]])
        #expect(try store.rows("SELECT direction FROM contacts WHERE interaction_id = '300004'") == [["outbound".databaseValue]])
        // The re-delivered 300003 wins: its after-call work is 1:50, not 1:20.
        #expect(try store.rows("SELECT talk_s, hold_s, acw_s FROM legs WHERE interaction_id = '300003'") == [[(430.0).databaseValue, (60.0).databaseValue, (110.0).databaseValue]])
        // Abandoned calls carry no leg; the same caller on two calls shares one key.
        #expect(try store.rows("SELECT COUNT(*) FROM legs") == [[6.databaseValue]])
        let keys = try store.rows("SELECT customer_key FROM contacts WHERE interaction_id IN ('300001', '300005')")
        #expect(keys[0] == keys[1])
        withExtendedLifetime(dir) {}
    }

    @Test func europeanCallJournal() throws {
        let (report, store, dir) = try load("eu-telephony/appels_2026-W47.csv", mapping: "eu-telephony/mapping.yaml")
        #expect(report.outcome == .loaded)
        #expect((report.log.inserted, report.log.rejected) == (6, 0))
        // 17/11/2026 10:30:00 in Paris (CET, UTC+1) is 09:30 UTC; decimal commas read as decimals.
        let row = try store.rows("SELECT arrived_at, wait_s, contact_reason FROM contacts WHERE interaction_id = 'FR-1003'")
        #expect(row == [[utcMillis("2026-11-17T09:30:00Z").databaseValue, (19.9).databaseValue, "Panne".databaseValue]])
        #expect(try store.rows("SELECT talk_s, hold_s, acw_s, team FROM legs WHERE interaction_id = 'FR-1003'")
            == [[(512.4).databaseValue, (45.0).databaseValue, (60.5).databaseValue, "Équipe Lyon".databaseValue]])
        #expect(try store.rows("SELECT contact_reason FROM contacts WHERE interaction_id = 'FR-1006'") == [["Facture; échéancier".databaseValue]])
        #expect(try store.rows("SELECT COUNT(*) FROM contacts WHERE abandoned = 1") == [[2.databaseValue]])
        // "06 12 34 56 78" and "+33 6 12 34 56 78" are the same caller in E.164.
        let keys = try store.rows("SELECT customer_key FROM contacts WHERE interaction_id IN ('FR-1003', 'FR-1004')")
        #expect(keys[0] == keys[1])
        withExtendedLifetime(dir) {}
    }
}

/// KPIs of the two CSV call logs, worked out by hand from the files.
@Suite("Bundled CSV fixtures: KPIs")
struct FixtureKPITests {
    func kpis(_ file: String, mapping: String) throws -> KPISet {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try CSVImporter(mapping: try Mapping.load(file: fixture(mapping)), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(fixture(file), into: store)
        return try KPIEngine(store: store).report(period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!),
                                                  groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-31")!).total
    }

    /// Six calls: FR-1002 abandoned after 2 s (short), FR-1005 after 75.25 s. Waits of the handled 8.5, 19.9, 35, 12 →
    /// service level 3/5, ASA 75.4/4 = 18.85. Handle times 245+0+30, 512.4+45+60.5, 300+0+20, 180+15+25 → AHT 1,432.9/4.
    @Test func europeanCallJournal() throws {
        let k = try kpis("eu-telephony/appels_2026-W47.csv", mapping: "eu-telephony/mapping.yaml")
        #expect((k.offered, k.handled, k.abandoned, k.shortAbandoned) == (6, 4, 2, 1))
        #expect(k.abandonmentRate == RateEstimate(1, of: 5))
        #expect(k.serviceLevel == RateEstimate(3, of: 5))
        #expect(abs(k.asa.value! - 18.85) < 1e-9)
        #expect(abs(k.aht.value! - 1_432.9 / 4) < 1e-9)
    }

    /// Seven inbound calls (300004 is outbound; 300003's later row wins): 300002 abandoned after 3 s (short), 300006
    /// after 65 s. Waits 12, 31, 18, 9, 22 → service level 3/6, ASA 18.4. Handle 340, 600, 667, 990, 235 → AHT 566.4.
    /// Escalated: 300007 → 1/5.
    @Test func cloudCallLog() throws {
        let k = try kpis("cloud-callcenter/call_log_2026-11-16.csv", mapping: "cloud-callcenter/mapping.yaml")
        #expect((k.offered, k.handled, k.abandoned, k.shortAbandoned) == (7, 5, 2, 1))
        #expect(k.abandonmentRate == RateEstimate(1, of: 6))
        #expect(k.serviceLevel == RateEstimate(3, of: 6))
        #expect(abs(k.asa.value! - 18.4) < 1e-9)
        #expect(abs(k.aht.value! - 566.4) < 1e-9)
        #expect(k.escalationRate == RateEstimate(1, of: 5))
    }
}
