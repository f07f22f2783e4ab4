@testable import ContactQA
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
