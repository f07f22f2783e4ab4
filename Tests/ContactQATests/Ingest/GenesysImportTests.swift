@testable import ContactQA
import ContactQATesting
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

/// Genesys records as its own semantics read them: a call between colleagues is not a contact, the
/// agent's team comes from `teamId`, and a queue has one name for the contact and its legs.
@Suite("Genesys Cloud semantics")
struct GenesysSemanticsTests {
    @Test func internalCallsAreSkippedTeamsReadAndQueuesNamedOnce() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let file = dir.write("conversations.json", #"""
            {"conversations": [
              {"conversationId": "c1", "conversationStart": "2026-11-19T09:00:00Z", "originatingDirection": "inbound", "participants": [
                {"purpose": "customer", "sessions": [{"mediaType": "voice", "ani": "tel:+442079460401"}]},
                {"purpose": "acd", "participantName": "Billing", "sessions": [{"mediaType": "voice", "segments": [{"segmentType": "interact", "queueId": "q-bill", "segmentStart": "2026-11-19T09:00:00Z", "segmentEnd": "2026-11-19T09:00:12Z"}], "metrics": [{"name": "tAcd", "value": 12000}]}]},
                {"purpose": "acd", "participantName": "Retentions", "sessions": [{"mediaType": "voice", "segments": [{"segmentType": "interact", "queueId": "q-ret", "segmentStart": "2026-11-19T09:03:00Z", "segmentEnd": "2026-11-19T09:03:10Z"}]}]},
                {"purpose": "agent", "userId": "u1", "teamId": "t-north", "sessions": [{"mediaType": "voice", "sessionId": "s1", "segments": [{"segmentType": "interact", "queueId": "q-bill", "segmentStart": "2026-11-19T09:00:12Z", "segmentEnd": "2026-11-19T09:03:00Z"}], "metrics": [{"name": "tTalkComplete", "value": 168000}, {"name": "nTransferred", "value": 1}]}]},
                {"purpose": "agent", "userId": "u2", "teamId": "t-south", "sessions": [{"mediaType": "voice", "sessionId": "s2", "segments": [{"segmentType": "interact", "queueId": "q-ret", "segmentStart": "2026-11-19T09:03:10Z", "segmentEnd": "2026-11-19T09:06:10Z"}], "metrics": [{"name": "tTalkComplete", "value": 180000}]}]}
              ]},
              {"conversationId": "c2", "conversationStart": "2026-11-19T10:00:00Z", "originatingDirection": "inbound", "participants": [
                {"purpose": "user", "userId": "u1", "sessions": [{"mediaType": "voice", "segments": [{"segmentType": "interact", "segmentStart": "2026-11-19T10:00:00Z", "segmentEnd": "2026-11-19T10:02:00Z"}]}]},
                {"purpose": "agent", "userId": "u2", "sessions": [{"mediaType": "voice", "sessionId": "s3", "segments": [{"segmentType": "interact", "segmentStart": "2026-11-19T10:00:02Z", "segmentEnd": "2026-11-19T10:02:00Z"}]}]}
              ]}
            ]}
            """#)
        var mapper = GenesysConversationMapper()
        mapper.teamNames = ["t-north": "Team North"]
        let report = try JSONImporter(mapper: mapper, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.log.rejected == 0)
        #expect(report.log.message?.contains("1 records skipped") == true, "\(report.log.message ?? "")")
        #expect(try store.query("SELECT interaction_id, queue FROM contacts").map { "\($0[0].string!) \($0[1].string ?? "-")" } == ["c1 Billing"])
        // Without queues.json the legs take the ACD participants' names too, each its own queue's.
        #expect(try store.query("SELECT leg, queue, team FROM legs ORDER BY leg").map { "\($0[0].int!) \($0[1].string ?? "-") \($0[2].string ?? "-")" }
                == ["1 Billing Team North", "2 Retentions t-south"])
    }
}

@Suite("Genesys Cloud dialler campaigns")
struct GenesysCampaignTests {
    /// fixtures/genesys/outbound: a preview the agent skipped (no interact: skipped), a campaign call
    /// answered, and a preview reached as a callback marked inbound and then talked through. By hand:
    /// 2 contacts stored, both outbound (the campaign id says so), 1 record skipped; the day has no
    /// inbound contact. The called customer is the number dialled (dnis), not the centre's caller id.
    @Test func campaignConversationsAreOutboundAndSkippedPreviewsAreNoContacts() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let importer = JSONImporter(mapper: try GenesysConversationMapper(lookupsIn: fixture("genesys")), pseudonymiser: testKey,
                                    quarantineDirectory: dir.path + "/q")
        let report = try importer.importFile(fixture("genesys/outbound/conversations-2026-11-20.json"), into: store)
        #expect(report.log.rejected == 0 && report.log.inserted == 2, "\(report.sampleRejections)")
        #expect(report.log.message?.contains("1 records skipped") == true)
        #expect(try textRows(store, "SELECT interaction_id, direction, leg_count FROM contacts ORDER BY 1")
                == [["ob-called", "outbound", "1"], ["ob-preview-answered", "outbound", "1"]])
        let dialled = testKey.customerKey(for: "+442079460301", kind: .auto, countryCode: nil)
        #expect(try textRows(store, "SELECT customer_key FROM contacts WHERE interaction_id = 'ob-called'") == [[dialled]])
        let day = Period(from: LocalDate(iso: "2026-11-20")!, to: LocalDate(iso: "2026-11-20")!, clock: .utc)
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.offered == 0 && kpis.handled == 0)
    }
}
