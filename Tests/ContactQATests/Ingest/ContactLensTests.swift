@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Amazon Connect Contact Lens output files (fixtures/amazon-connect/contact-lens/, written from the
/// example schema in Amazon's documentation) load as conversation analytics of the Connect legs they
/// name, with what QA uses and nothing the customer said.
@Suite("Contact Lens conversation analytics")
struct ContactLensTests {
    /// A store with the Connect fixtures' CTRs of 2026-W47 and their Contact Lens analyses.
    static func connectStore(_ dir: TemporaryDirectory, _ backend: Backend = .sqlite) throws -> (store: any SQLStore, service: IngestService)? {
        guard let store = try makeStore(backend, dir) else { return nil }
        var service = IngestService(store: store, logger: .init(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-01")!)
        _ = try service.ingest(.amazonConnectCTR, mappingFile: nil,
                               files: [fixture("amazon-connect/ctr-2026-11-17.jsonl"), fixture("amazon-connect/ctr-2026-11-18.json")], pseudonymiser: testKey)
        _ = try service.ingest(.contactLens, mappingFile: nil, files: files(), pseudonymiser: testKey)
        return (store, service)
    }

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
        let store = try #require(try ContactLensTests.connectStore(dir)).store
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
        let text = storeFileText(store)
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
            // A value echoed in the reason is masked: a customer's number in the wrong field stays out of the log.
            (#"{"JobStatus": "COMPLETED", "Channel": "+44 7700 900123", "CustomerMetadata": {"ContactId": "x"}}"#, "Channel", #"is "[masked]"; VOICE or CHAT expected"#),
            (#"{"JobStatus": "COMPLETED", "Channel": "VOICE", "CustomerMetadata": {"ContactId": "x"}, "ConversationCharacteristics": {"Sentiment": {"OverallSentiment": {"CUSTOMER": 447700900123}}}}"#,
             "ConversationCharacteristics.Sentiment.OverallSentiment.CUSTOMER", "[masked] is not a sentiment score between -5 and 5"),
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

/// A site's own analytics CSV (fixtures/speech-analytics/), read through a mapping onto the canonical
/// fixtures' legs, worked out by hand: sentiment on −1 to 1 becomes 5x on −5 to +5 (C1 0.6 → 3,
/// C4 leg 1 −0.8 → −4, leg 2 −0.2 → −1); seconds become milliseconds; categories split on ";".
@Suite("Conversation analytics from a CSV")
struct AnalyticsCSVTests {
    @Test func legsGetTheirAnalyticsAndNothingElse() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        let key = fixture("keys/demo.key")
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", key,
                               fixture("canonical/contacts_2026-W47.csv")]).status == 0)
        let load = try contactqa(["ingest", "--store", store, "--source", "conversation-analytics", "--mapping", fixture("speech-analytics/mapping.yaml"),
                                  fixture("speech-analytics/analytics-2026-W47.csv")])
        #expect(load.status == 0, "\(load.stderr)")
        let opened = try SQLiteStore(path: store)
        let rows = try textRows(opened, """
            SELECT l.interaction_id, l.leg, a.duration_ms, a.non_talk_ms, a.customer_end_sentiment, a.categories
            FROM legs l JOIN conversation_analytics a ON a.source = l.source AND a.leg_ref = COALESCE(l.leg_ref, l.interaction_id || '#' || l.leg)
            ORDER BY 1, 2
            """)
        #expect(rows == [["C1", "1", "360000", "12500", "3", ""], ["C4", "1", "230000", "95000", "-4", "Cancellation\nComplaint"],
                         ["C4", "2", "180000", "10000", "-1", "Complaint"]])
        // Automatic checks read them: non-talk over 30% fails C4 leg 1 only (95 of 230 s); ending below
        // −1 fails C4 leg 1 (−4) and not leg 2 (exactly −1 is not below).
        let card = dir.write("card.yaml", """
            id: speech
            version: 1
            sections:
              - id: s
                criteria:
                  - {id: silence, scale: yes_no, auto: {non_talk_share_above: 0.3}}
                  - {id: calm_end, scale: yes_no, auto: {end_sentiment_below: -1}}
            """)
        _ = try contactqa(["ingest", "--store", store, "--source", "scorecard", card])
        let report = try AutoCheckReport.build(store: try SQLiteStore(path: store), period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!))
        #expect(report.checks.map { "\($0.criterion) \($0.total.failed)/\($0.total.judged)" } == ["speech/silence 1/3", "speech/calm_end 1/3"])
        // The caller's number and the transcript column are never read into the store.
        _ = try contactqa(["kpis", "--store", store, "--week", "2026-W47"])
        let text = storeFileText(store)
        for secret in ["7946 0004", "79460004", "cancel, my number", "all sorted"] { #expect(!text.contains(secret), "\(secret) reached the store") }
    }

    @Test func badValuesNameTheirLineAndColumn() throws {
        let dir = TemporaryDirectory()
        let mapping = try AnalyticsMapping.load(file: fixture("speech-analytics/mapping.yaml"))
        for (row, field, reason) in [
            ("C9,1,x,1.5,1,10,", "end_score", "1.5 lies outside the sentiment scale -1.0 to 1.0 (customer_end_sentiment)"),
            ("C9,0,x,0,1,10,", "leg", "\"0\" is not a leg number (1, 2, …)"),
            ("C9,1,x,0,-3,10,", "silence_s", "-3.0 is not a duration in seconds (non_talk_s)"),
            (",1,x,0,1,10,", "call_id", "the interaction id is empty"),
        ] {
            let path = dir.write("a.csv", "call_id,leg,caller_number,end_score,silence_s,length_s,tags\n" + row + "\n")
            #expect(throws: InputError(file: "a.csv", position: 2, field: field, reason: reason)) { try mapping.read(path) }
        }
        let noID = dir.write("m.yaml", "source: canonical\ncolumns: {leg: leg}\n")
        #expect(throws: (any Error).self) { try AnalyticsMapping.load(file: noID) }
    }
}
