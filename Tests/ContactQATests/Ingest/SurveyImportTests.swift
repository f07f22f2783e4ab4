@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// Survey responses arrive days after their contact (fixtures/surveys): they attach when they come,
/// wait for contacts not loaded yet, and are never counted twice.
@Suite("Survey files")
struct SurveyImportTests {
    @Test func aSurveyFileArrivingAfterThePeriodUpdatesItsKPIs() throws {
        let dir = TemporaryDirectory()
        let store = try #require(try KPIEngineTests.loadedStore(dir) as? SQLiteStore)
        let week = KPIEngineTests.week
        let before = try KPIEngine(store: store).report(period: week, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!)
        #expect(before.total.csat == RateEstimate(3, of: 4))

        let mapping = try Mapping.load(file: fixture("surveys/mapping.yaml"), purpose: .surveys)
        let report = try CSVImporter(mapping: mapping, pseudonymiser: nil, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("surveys/post_contact_survey_2026-11-30.csv"), into: store)
        // C8 and C11 gain responses, C1's resent 5/5 changes nothing, C99 is not loaded yet, C11 answers twice.
        #expect((report.log.rowsRead, report.log.updated, report.log.unchanged, report.log.pending, report.log.rejected) == (5, 3, 1, 1, 0))
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[14.databaseValue]])  // surveys never create contacts

        let after = try KPIEngine(store: store).report(period: week, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!)
        // Responses now: C1 5 ✓, C4 2 ✗, C5 4 ✓, C7 1/1 ✓, C8 5 ✓, C11 3 ✗ (its second answer replaced the first) → 4/6.
        #expect(after.total.csat == RateEstimate(4, of: 6))
        // NPS: C1 9, C5 6, C6 10, C8 10, C11 7 (passive) → 3 promoters, 1 detractor of 5.
        #expect(after.total.nps == NPSEstimate(responses: 5, promoters: 3, detractors: 1))
    }

    @Test func aResponseWaitsForItsContactAndAttachesWhenItComes() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let mapping = try Mapping.load(file: fixture("surveys/mapping.yaml"), purpose: .surveys)
        _ = try CSVImporter(mapping: mapping, pseudonymiser: nil, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("surveys/post_contact_survey_2026-11-30.csv"), into: store)
        #expect(try store.rows("SELECT COUNT(*) FROM pending_surveys") == [[4.databaseValue]])
        let contacts = dir.write("late.csv", """
            interaction_id,channel,arrived_at,abandoned,nps
            C99,chat,2026-11-25T10:00:00Z,false,
            C11,voice,2026-11-21T15:00:00Z,false,2
            """)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: nil, quarantineDirectory: dir.path + "/q").importFile(contacts, into: store)
        // C99 takes its waiting csat 4/5 and nps 8; C11's response (csat 3, nps 7) attaches over the file's nps.
        #expect(try store.rows("SELECT interaction_id, csat, csat_max, nps FROM contacts ORDER BY 1")
            == [["C11".databaseValue, 3.databaseValue, 5.databaseValue, 7.databaseValue], ["C99".databaseValue, 4.databaseValue, 5.databaseValue, 8.databaseValue]])
        #expect(try store.rows("SELECT interaction_id FROM pending_surveys ORDER BY 1") == [["C1".databaseValue], ["C8".databaseValue]])
    }

    @Test func aSurveyMappingReadsOnlySurveyFields() {
        #expect(throws: ConfigError.self) {
            try Mapping.parse(yaml: "fields:\n  interaction_id: id\n  agent_id: who\n", file: "s.yaml", purpose: .surveys)
        }
    }

    @Test func aResponseOffItsScaleIsQuarantined() throws {
        let dir = TemporaryDirectory()
        let store = try #require(try KPIEngineTests.loadedStore(dir) as? SQLiteStore)
        var mapping = try Mapping.load(file: fixture("surveys/mapping.yaml"), purpose: .surveys)
        mapping.rejectionThreshold = 1
        let file = dir.write("s.csv", "Response ID,Contact,Sent,Satisfaction (1-5),Likelihood to recommend (0-10)\nR1,C8,2026-11-27,3,11\nR2,C8,2026-11-27,6,\n")
        let report = try CSVImporter(mapping: mapping, pseudonymiser: nil, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.sampleRejections.map(\.description) == [
            "s.csv, line 2, field \"Likelihood to recommend (0-10)\": nps must be 0–10, found 11",
            "s.csv, line 3, field \"Satisfaction (1-5)\": csat 6 is outside its scale 1–5",
        ])
        #expect(try store.rows("SELECT csat FROM contacts WHERE interaction_id = 'C8'") == [[DatabaseValue.null]])
    }
}
