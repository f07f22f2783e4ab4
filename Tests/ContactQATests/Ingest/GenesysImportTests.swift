@testable import ContactQA
import Foundation
import GRDB
import Testing

/// fixtures/genesys: a conversation details export with its lookup files.
///
/// By hand, 19 Nov 2026: g1 answered by alice.g in Billing (tAcd 15 s; talk 200 + held 10 + ACW 45 s in the
/// newer copy delivered last), g2 abandoned in Technical after 40 s, g3 transferred from alice.g (100 + 10) to
/// bob.g in Retentions (150 + 5 + 20; tAcd 25 s), g4 a chat answered by bob.g (tAcd 5 s, talk 300).
/// Offered 4, abandoned 1 (not short), abandonment 1/4; service level: g1 and g4 within 20 s → 2/4;
/// ASA (15 + 25 + 5)/3 = 15; AHT over 4 legs (255 + 110 + 175 + 300)/4 = 210; transfers 1/3.
@Suite("Genesys Cloud conversations")
struct GenesysImportTests {
    @Test func conversationsParticipantsSessionsAndLookups() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let importer = JSONImporter(mapper: try GenesysConversationMapper(lookupsIn: fixture("genesys")), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let report = try importer.importFile(fixture("genesys/conversations-2026-11-19.json"), into: store)
        #expect((report.log.rowsRead, report.log.rejected) == (5, 0))
        #expect(try store.rows("SELECT queue, contact_reason FROM contacts WHERE interaction_id = 'g3'") == [["Billing".databaseValue, "Cancellation".databaseValue]])
        #expect(try store.rows("SELECT leg, agent_id, queue FROM legs WHERE interaction_id = 'g3' ORDER BY leg") == [
            [1.databaseValue, "alice.g".databaseValue, "Billing".databaseValue], [2.databaseValue, "bob.g".databaseValue, "Retentions".databaseValue]])
        let k = try KPIEngine(store: store).report(period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!),
                                                   groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-31")!).total
        #expect((k.offered, k.handled, k.abandoned, k.shortAbandoned) == (4, 3, 1, 0))
        #expect(k.abandonmentRate == RateEstimate(1, of: 4))
        #expect(k.serviceLevel == RateEstimate(2, of: 4))
        #expect(k.asa.value == 15)
        #expect(k.aht.n == 4)
        #expect(k.aht.value == 210)
        #expect(k.transferRate == RateEstimate(1, of: 3))
    }

    @Test func withoutLookupFilesNamesFallBackToParticipantNamesAndIDs() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let report = try JSONImporter(mapper: GenesysConversationMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("genesys/conversations-2026-11-19.json"), into: store)
        #expect(report.log.rejected == 0)
        #expect(try store.rows("SELECT queue, contact_reason, closing_agent_id FROM contacts WHERE interaction_id = 'g1'")
            == [["Billing".databaseValue, "wc1".databaseValue, "u1".databaseValue]])
    }
}
