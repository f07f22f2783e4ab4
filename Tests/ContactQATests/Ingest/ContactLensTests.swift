@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Amazon Connect Contact Lens output files (fixtures/amazon-connect/contact-lens/, written from the
/// example schema in Amazon's documentation) load as conversation analytics of the Connect legs they
/// name, with what QA uses and nothing the customer said.
@Suite("Contact Lens conversation analytics")
struct ContactLensTests {
    static func files() -> [String] {
        ["d1_analysis_2026-11-18T09-04-10Z.json", "ch1_analysis_2026-11-17T12-10-00Z.json", "b1_analysis_2026-11-17T09-15-00Z.json"]
            .map { fixture("amazon-connect/contact-lens/" + $0) }
    }

    @Test(arguments: Backend.allCases) func sentimentCategoriesAndTimesLoadOntoTheirLegs(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        var service = IngestService(store: store, logger: .init(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-01")!)
        // The analyses first, the contact records after: the order files arrive in does not matter.
        _ = try service.ingest(.contactLens, mappingFile: nil, files: ContactLensTests.files(), pseudonymiser: testKey)
        _ = try service.ingest(.amazonConnectCTR, mappingFile: nil,
                               files: [fixture("amazon-connect/ctr-2026-11-17.jsonl"), fixture("amazon-connect/ctr-2026-11-18.json")], pseudonymiser: testKey)
        let rows = try textRows(store, """
            SELECT a.leg_ref, a.channel, a.duration_ms, a.talk_ms, a.non_talk_ms, a.interruptions, a.customer_sentiment,
                   a.agent_sentiment, a.customer_end_sentiment, a.categories, l.agent_id
            FROM conversation_analytics a LEFT JOIN legs l ON l.source = a.source AND l.leg_ref = a.leg_ref ORDER BY a.leg_ref
            """)
        // By hand from the files: b1's analysis failed and is not loaded; d1's last quarter is the one
        // that begins at 135 s (listed second); categories sorted, one per line.
        #expect(rows == [
            ["ch1", "CHAT", "240000", nil, nil, nil, "1.4", "2.1", "2.5", "", "dave"],
            ["d1", "VOICE", "180000", "155000", "21000", "3", "-1.2", "0.8", "-3.5", "Asked for a supervisor\nCancellation", "carol"],
        ])
        // A re-delivered analysis replaces the leg's values; nothing doubles.
        _ = try service.ingest(.contactLens, mappingFile: nil, files: ContactLensTests.files(), pseudonymiser: testKey)
        #expect(try textRows(store, "SELECT COUNT(*) FROM conversation_analytics")[0][0] == "2")
    }

    /// A customer who ended the call upset is a risk signal of targeted sampling: d1 (last quarter −3.5,
    /// below the default −1) gains the weight of `negative_sentiment` (2); ch1 (+2.5) gains nothing.
    @Test func aNegativeEndIsARiskSignal() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var service = IngestService(store: store, logger: .init(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-01")!)
        _ = try service.ingest(.amazonConnectCTR, mappingFile: nil,
                               files: [fixture("amazon-connect/ctr-2026-11-17.jsonl"), fixture("amazon-connect/ctr-2026-11-18.json")], pseudonymiser: testKey)
        _ = try service.ingest(.contactLens, mappingFile: nil, files: ContactLensTests.files(), pseudonymiser: testKey)
        let units = try store.frameCandidates(Period(week: ISOWeek("2026-W47")!, clock: .utc), risk: RiskWeights())
        var without = units
        for i in without.indices { without[i].signals.customerEndSentiment = nil }
        let added = zip(RiskWeights().sizes(units), RiskWeights().sizes(without)).map { $0 - $1 }
        let byLeg = Dictionary(zip(units.map(\.interactionID), added), uniquingKeysWith: +)
        #expect(units.first { $0.interactionID == "d1" }?.signals.customerEndSentiment == -3.5)
        #expect(byLeg["d1"] == 2 && byLeg["ch1"] == 0)
        #expect(added.reduce(0, +) == 2)  // no other leg has analytics
        var quiet = RiskWeights()
        quiet.negativeSentiment = 0
        #expect(quiet.sizes(units) == quiet.sizes(without))
    }

    /// The transcripts' phone number and e-mail address, the participants' ids and the recording's
    /// location never reach the store file.
    @Test func nothingTheCustomerSaidIsKept() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        let load = try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "amazon-connect-contact-lens",
                                  "--key-file", fixture("keys/demo.key")] + ContactLensTests.files())
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stderr.contains("2 analysed contacts loaded, 1 analyses not completed (skipped)"), "\(load.stderr)")
        _ = try contactqa(["kpis", "--store", store, "--week", "2026-W47"])  // checkpoints the write-ahead log into the file
        var bytes = Data()
        for suffix in ["", "-wal"] { bytes += FileManager.default.contents(atPath: store + suffix) ?? Data() }
        let text = String(decoding: bytes, as: UTF8.self)
        for secret in ["07700 900461", "07700900461", "jo.bloggs@example.com", "cancel my contract", "0b6f0c1e-7c52", "CallRecordings"] {
            #expect(!text.contains(secret), "\(secret) reached the store")
        }
        #expect(text.contains("Asked for a supervisor"))  // the test reads the file it means to
    }

    @Test func aBadFileIsRefusedNamingTheField() throws {
        let dir = TemporaryDirectory()
        for (content, field, reason) in [
            (#"{"JobStatus": "COMPLETED", "Channel": "VOICE", "CustomerMetadata": {}}"#, "CustomerMetadata.ContactId", "is missing"),
            (#"{"JobStatus": "COMPLETED", "Channel": "FAX", "CustomerMetadata": {"ContactId": "x"}}"#, "Channel", #"is "FAX"; VOICE or CHAT expected"#),
            (#"{"JobStatus": "COMPLETED", "Channel": "VOICE", "CustomerMetadata": {"ContactId": "x"}, "ConversationCharacteristics": {"Sentiment": {"OverallSentiment": {"CUSTOMER": 9}}}}"#,
             "ConversationCharacteristics.Sentiment.OverallSentiment.CUSTOMER", "9 is not a sentiment score between -5 and 5"),
            (#"{"Channel": "VOICE"}"#, "JobStatus", "is missing"),
        ] {
            let path = dir.write("bad_analysis.json", content)
            #expect(throws: InputError(file: "bad_analysis.json", position: 1, unit: .record, field: field, reason: reason)) {
                try ConversationAnalytics.read(path)
            }
        }
        let path = dir.write("truncated.json", #"{"JobStatus": "COMPL"#)
        #expect(throws: InputError(file: "truncated.json", reason: "is not a Contact Lens output file: not a JSON object")) { try ConversationAnalytics.read(path) }
    }
}
