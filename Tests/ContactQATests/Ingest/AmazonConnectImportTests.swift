@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// fixtures/amazon-connect: CTRs as Firehose delivers them (see fixtures/README.md).
@Suite("Amazon Connect contact records")
struct AmazonConnectImportTests {
    static func load(_ files: [String], into store: SQLiteStore? = nil, dir: TemporaryDirectory) throws -> ([FileImportReport], SQLiteStore) {
        let store = try store ?? makeStore(dir)
        let importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        return (try files.map { try importer.importFile($0, into: store) }, store)
    }

    static let day1 = fixture("amazon-connect/ctr-2026-11-17.jsonl")
    static let day2 = fixture("amazon-connect/ctr-2026-11-18.json")

    @Test func transfersDuplicatesAndAbandonsBecomeContactsAndLegs() throws {
        let dir = TemporaryDirectory()
        let (reports, store) = try AmazonConnectImportTests.load([AmazonConnectImportTests.day1], dir: dir)
        let log = reports[0].log
        // 11 records: 7 contacts, t2 as a leg of t1, a1 re-delivered newer (updated) and older (ignored), m1 (MONITOR) skipped.
        #expect((log.rowsRead, log.inserted, log.updated, log.stale, log.duplicates, log.rejected) == (11, 8, 1, 1, 2, 0))
        #expect(try store.rows("SELECT interaction_id, abandoned, wait_s, leg_count, closing_agent_id, transferred, direction FROM contacts ORDER BY 1") == [
            ["a1", 0, 12.0, 1, "alice", 0, "inbound"], ["b1", 1, 48.0, 0, nil, 0, "inbound"], ["b2", 1, 3.0, 0, nil, 0, "inbound"],
            ["cb1", 0, 40.0, 1, "alice", 0, "inbound"], ["ch1", 0, 5.0, 1, "dave", 0, "inbound"], ["o1", 0, nil, 1, "bob", 0, "outbound"],
            ["t1", 0, 20.0, 2, "carol", 1, "inbound"],
        ].map { $0.map { ($0 as (any DatabaseValueConvertible)?)?.databaseValue ?? .null } })
        // The transfer: one contact, two legs numbered by answer time though t2's record came first.
        #expect(try store.rows("SELECT leg, leg_ref, agent_id, team, talk_s FROM legs WHERE interaction_id = 't1' ORDER BY leg") == [
            [1.databaseValue, "t1".databaseValue, "bob".databaseValue, "Team North".databaseValue, (330.0).databaseValue],
            [2.databaseValue, "t2".databaseValue, "carol".databaseValue, "Team South".databaseValue, (300.0).databaseValue],
        ])
        // How each leg ended, as Connect's DisconnectReason says: the first agent's by the transfer.
        #expect(try textRows(store, "SELECT leg_ref, disconnect_reason FROM legs WHERE interaction_id = 't1' ORDER BY leg")
                == [["t1", "TRANSFER"], ["t2", "CUSTOMER_DISCONNECT"]])
        // The newest a1 (LastUpdateTimestamp 09:20) wins over the older copies: after-contact work 45 s.
        #expect(try store.rows("SELECT acw_s, recording_ref FROM legs WHERE interaction_id = 'a1'") == [[(45.0).databaseValue, "connect-recordings/2026/11/17/a1.wav".databaseValue]])
        #expect(try store.rows("SELECT contact_reason, csat, csat_max, arrived_at FROM contacts WHERE interaction_id = 'a1'")
            == [["billing".databaseValue, 4.databaseValue, 5.databaseValue, utcMillis("2026-11-17T09:00:00Z").databaseValue]])
        #expect(reports[0].log.message?.contains("1 records skipped") == true)
    }

    /// KPIs of 2026-W47 from the two Connect files, by hand: inbound a1, b1, b2, t1, cb1, ch1, d1 (o1 is outbound).
    /// Abandoned b1 (48 s) and b2 (3 s, short) → abandonment (2 − 1)/(7 − 1). Waits of the handled: a1 12, t1 20,
    /// cb1 40, ch1 5 (chat), d1 30 → service level (a1, t1, ch1) 3/6, ASA 107/5 = 21.4.
    /// Legs: a1 240+15+45 = 300, t1/bob 330, t1/carol 300+20 = 320, cb1 200+35 = 235 (the 18 Nov re-delivery), ch1 600,
    /// d1 180+20 = 200 → AHT 1,985/6. Transfers 1/5. FCR: d1 (18 Nov) repeats a1's caller → a1 repeated: 4 of 5 with keys… ch1 has no key.
    @Test func kpisFromConnectRecords() throws {
        let dir = TemporaryDirectory()
        let (_, store) = try AmazonConnectImportTests.load([AmazonConnectImportTests.day1, AmazonConnectImportTests.day2], dir: dir)
        let k = try KPIEngine(store: store).report(period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!),
                                                   groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-31")!).total
        #expect((k.offered, k.handled, k.abandoned, k.shortAbandoned) == (7, 5, 2, 1))
        #expect(k.abandonmentRate == RateEstimate(1, of: 6))
        #expect(k.serviceLevel == RateEstimate(3, of: 6))
        #expect(abs(k.asa.value! - 21.4) < 1e-12)
        #expect(k.aht.n == 6)
        #expect(abs(k.aht.value! - 1_985.0 / 6) < 1e-9)
        #expect(k.transferRate == RateEstimate(1, of: 5))
        // Handled with a customer key: a1, t1, cb1, d1 (ch1 has none); a1 is followed by d1 from the same number.
        #expect(k.fcr == RateEstimate(3, of: 4))
    }

    @Test func malformedRecordsAreQuarantinedWithTheirNumber() throws {
        let dir = TemporaryDirectory()
        let file = dir.write("bad.jsonl", """
            {"ContactId":"ok1","Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2026-11-17T09:00:00Z","CustomerEndpoint":{"Address":"+447700900001"}}
            {"Channel":"VOICE","InitiationTimestamp":"2026-11-17T09:00:00Z"}
            {"ContactId":"x2","Channel":"VOICE","InitiationTimestamp":"2026-11-17 09:00:00","CustomerEndpoint":{"Address":"+447700900002"}}
            {"ContactId":"x3","Channel":"VOICE","InitiationTimestamp":"2026-11-17T09:00:00Z","Agent":{"Username":"a","AgentInteractionDuration":"long"},"CustomerEndpoint":{"Address":"+447700900003"}}
            {"ContactId":"x4","Channel":"FAX","InitiationTimestamp":"2026-11-17T09:00:00Z"}
            {"ContactId": "x5", "Channel": "VOICE",, }
            """)
        let store = try makeStore(dir)
        var importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(file, into: store)
        #expect(report.sampleRejections.map(\.description) == [
            "bad.jsonl, record 2, field \"ContactId\": ContactId is missing",
            "bad.jsonl, record 3, field \"InitiationTimestamp\": \"2026-11-17 09:00:00\" has no time zone (Z or ±hh:mm); the source's timestamps are UTC with a zone",
            "bad.jsonl, record 4, field \"Agent.AgentInteractionDuration\": expected a number, found the text \"long\"",
            "bad.jsonl, record 5, field \"Channel\": unknown Channel \"FAX\"; Connect sends VOICE, CHAT, TASK or EMAIL",
            "bad.jsonl, record 6: the record starting at line 6 is not valid JSON (The operation could not be completed. The data is not in the correct format.)",
        ])
        #expect(report.log.rejected == 5)
        let quarantine = try String(contentsOfFile: report.quarantinePath!, encoding: .utf8)
        #expect(quarantine.contains("bad.jsonl,6,,the record starting at line 6 is not valid JSON"))
        #expect(!quarantine.contains("+447700900003"))  // masked inside the quarantined JSON
        #expect(quarantine.contains("[masked]"))
        #expect(try store.rows("SELECT interaction_id FROM contacts") == [["ok1".databaseValue]])
        // With the default 1% threshold the same file loads nothing.
        let strict = try JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: try makeStore(TemporaryDirectory()))
        #expect(strict.outcome == .rejectedOverThreshold)
    }

    /// JSON Lines cut off mid-line: the cut line is a rejected record, which on a small file is over
    /// the 1% threshold, so nothing loads.
    @Test func aTruncatedFileLoadsNothing() throws {
        let dir = TemporaryDirectory()
        let text = try String(contentsOfFile: AmazonConnectImportTests.day1, encoding: .utf8)
        let file = dir.write("cut.jsonl", String(text.prefix(3_000)))
        let (reports, store) = try AmazonConnectImportTests.load([file], dir: dir)
        #expect(reports[0].outcome == .rejectedOverThreshold)
        #expect(reports[0].sampleRejections.last?.reason.contains("is not valid JSON") == true)
        #expect(try store.rows("SELECT COUNT(*) FROM contacts") == [[0.databaseValue]])
    }
}

/// fixtures/amazon-connect/dashboard/ctr-2026-11-19.jsonl: what Amazon Connect's own metrics count, counted the
/// same way (docs/sources.md).
@Suite("Amazon Connect as its dashboard counts")
struct AmazonConnectVendorSemanticsTests {
    /// Hand count: w1 waited 19 s in queue (connected at 21 s after the whisper), w2 25 s (27 s), x1 5 s,
    /// r1 8 s. Connect's service level at 20 s counts w1, x1 and r1: 3 of 4 (connected-minus-enqueued
    /// would give 2 of 4); its average queue answer time is (19 + 25 + 5 + 8) / 4 = 14.25 s.
    @Test func waitIsQueueDurationExternalTransfersCountAndRecordingsAreRead() throws {
        let dir = TemporaryDirectory()
        let (reports, store) = try AmazonConnectImportTests.load([fixture("amazon-connect/dashboard/ctr-2026-11-19.jsonl")], dir: dir)
        #expect(reports[0].outcome == .loaded && reports[0].log.rejected == 0)
        #expect(try store.rows("SELECT interaction_id, wait_s, transferred FROM contacts ORDER BY 1") == [
            ["r1", 8.0, 0], ["w1", 19.0, 0], ["w2", 25.0, 0], ["x1", 5.0, 1],
        ].map { $0.map { ($0 as (any DatabaseValueConvertible)?)?.databaseValue ?? .null } })
        #expect(try store.rows("SELECT recording_ref FROM legs WHERE interaction_id = 'r1'") == [["connect-recordings/2026/11/19/r1.wav".databaseValue]])
        let day = Period(from: LocalDate(iso: "2026-11-19")!, to: LocalDate(iso: "2026-11-19")!, clock: .utc)
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.serviceLevel.numerator == 3 && kpis.serviceLevel.denominator == 4)
        #expect(abs((kpis.asa.value ?? 0) - 14.25) < 1e-9)
        #expect(kpis.transferRate.numerator == 1 && kpis.transferRate.denominator == 4)
    }

    /// `wait: to_agent` in the options file keeps the whisper in the wait: w1 21 s and w2 27 s, so
    /// within 20 s are x1 and r1 only, 2 of 4; an unknown value is refused naming both choices.
    @Test func theWaitUntilTheAgentConnectedIsAnOption() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var service = IngestService(store: store, logger: .init(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-01")!)
        let options = dir.write("connect.yaml", "wait: to_agent\n")
        _ = try service.ingest(.amazonConnectCTR, mappingFile: options, files: [fixture("amazon-connect/dashboard/ctr-2026-11-19.jsonl")], pseudonymiser: testKey)
        #expect(try textRows(store, "SELECT interaction_id, wait_s FROM contacts WHERE interaction_id IN ('w1', 'w2') ORDER BY 1") == [["w1", "21"], ["w2", "27"]])
        let day = Period(from: LocalDate(iso: "2026-11-19")!, to: LocalDate(iso: "2026-11-19")!, clock: .utc)
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.serviceLevel.numerator == 2 && kpis.serviceLevel.denominator == 4)
        let bad = dir.write("bad.yaml", "wait: ring\n")
        #expect { try service.ingest(.amazonConnectCTR, mappingFile: bad, files: [fixture("amazon-connect/dashboard/ctr-2026-11-19.jsonl")], pseudonymiser: testKey) } throws: {
            "\($0)".contains("wait is queue (Queue.Duration, as Connect's own ASA) or to_agent")
        }
    }
}

@Suite("Amazon Connect options without code")
struct AmazonConnectOptionsTests {
    /// The site's attribute names and hierarchy level come from a mapping file, not from Swift.
    @Test func attributeNamesAndTeamLevelComeFromTheMappingFile() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var service = IngestService(store: store, logger: .init(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-01")!)
        let file = fixture("amazon-connect/dashboard/ctr-2026-11-19-site-attributes.jsonl")
        let reports = try service.ingest(.amazonConnectCTR, mappingFile: fixture("amazon-connect/dashboard/connect-options.yaml"),
                                         files: [file], pseudonymiser: testKey)
        #expect(reports.first?.log.rejected == 0)
        #expect(try store.query("SELECT contact_reason, csat, csat_max FROM contacts").map { "\($0[0].string ?? "-") \($0[1].int ?? -1) \($0[2].int ?? -1)" } == ["refund 2 5"])
        #expect(try store.query("SELECT team FROM legs").map { $0[0].string ?? "-" } == ["Team Thames"])
        // Without the file: the default names find nothing, and the team is level 1.
        let plain = TemporaryDirectory()
        let other = try makeStore(plain)
        var defaults = IngestService(store: other, logger: .init(label: "test"))
        defaults.bounds = service.bounds
        _ = try defaults.ingest(.amazonConnectCTR, mappingFile: nil, files: [file], pseudonymiser: testKey)
        #expect(try other.query("SELECT contact_reason, csat FROM contacts").map { "\($0[0].string ?? "-") \($0[1].int ?? -1)" } == ["- -1"])
        #expect(try other.query("SELECT team FROM legs").map { $0[0].string ?? "-" } == ["UK"])
        // A key the source does not take is a mapping error naming the file.
        let bad = dir.write("bad.yaml", "team_level: 9\n")
        #expect(throws: (any Error).self) { try service.ingest(.amazonConnectCTR, mappingFile: bad, files: [file], pseudonymiser: testKey) }
    }
}
