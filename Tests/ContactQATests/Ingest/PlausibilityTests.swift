@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Values that once trapped (a Swift crash, exit 132) or were stored as if real: each is now a
/// rejected row naming the field and the bound, or a usage error naming the range.
@Suite("Bounded values: no trap, no implausible row")
struct PlausibilityTests {
    static let header = "interaction_id,channel,direction,arrived_at,abandoned,transferred,escalated,agent_id,customer_id,wait_s,talk_s,hold_s,acw_s"

    static func row(_ id: String, arrived: String = "2026-11-17T09:00:00Z", wait: String = "12", talk: String = "300") -> String {
        "\(id),voice,inbound,\(arrived),false,false,false,A1,+447700900123,\(wait),\(talk),0,20"
    }

    @Test func implausibleValuesAreRejectedRowsNamingTheBound() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let rows = [
            PlausibilityTests.row("ok1"), PlausibilityTests.row("ok2"),
            PlausibilityTests.row("neg", wait: "-1e300"),
            PlausibilityTests.row("huge", talk: "1e308"),
            PlausibilityTests.row("week", talk: "700000"),
            PlausibilityTests.row("longwait", wait: "2600000"),
            PlausibilityTests.row("y9999", arrived: "9999-12-31T23:00:00Z"),
            PlausibilityTests.row("y0001", arrived: "0001-01-01T00:00:00Z"),
            PlausibilityTests.row("y1999", arrived: "1999-12-31T23:59:59Z"),
            PlausibilityTests.row("tomorrow2", arrived: "2026-11-19T00:00:00Z"),
            // A customer's number shifted into a duration: rejected, and the number is not echoed.
            PlausibilityTests.row("shifted", wait: "+447700900123"),
            PlausibilityTests.row("negshift", talk: "-447700900123"),
        ]
        let scores = ["interaction_id,channel,direction,arrived_at,abandoned,transferred,escalated,nps,csat,csat_scale",
                      "npsshift,voice,inbound,2026-11-17T09:00:00Z,false,false,false,447700900123,,",
                      "csatshift,voice,inbound,2026-11-17T09:00:00Z,false,false,false,,+447700900123,5"]
        let file = dir.write("bounds.csv", ([PlausibilityTests.header] + rows).joined(separator: "\n") + "\n")
        var mapping = Mapping.canonical
        mapping.rejectionThreshold = 1
        var importer = CSVImporter(mapping: mapping, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-11-17")!)
        let report = try importer.importFile(file, into: store)
        #expect(report.log.inserted == 2)
        #expect(report.log.rejected == 10)
        let quarantine = try String(contentsOfFile: try #require(report.quarantinePath), encoding: .utf8)
        for expected in [
            "bounds.csv,4,wait_s,\"wait_s: cannot read \"\"-1e300\"\" as a duration in seconds\"",
            "bounds.csv,5,talk_s,\"talk_s: cannot read \"\"1e308\"\" as a duration in seconds\"",
            "bounds.csv,6,talk_s,\"talk_s is 700000 s, beyond the plausible 604800 s (7 days",
            "bounds.csv,7,wait_s,\"wait_s is 2600000 s, beyond the plausible 2592000 s (30 days",
            "bounds.csv,8,arrived_at,\"9999-12-31T23:00:00Z is after 2026-11-18, the last plausible day",
            "bounds.csv,9,arrived_at,\"0001-01-01T00:00:00Z is before 2000-01-01, the earliest plausible day",
            "bounds.csv,10,arrived_at,\"1999-12-31T23:59:59Z is before 2000-01-01",
            "bounds.csv,11,arrived_at,\"2026-11-19T00:00:00Z is after 2026-11-18",
            "bounds.csv,12,wait_s,\"wait_s is [masked] s, beyond the plausible 2592000 s (30 days",
            "bounds.csv,13,talk_s,talk_s is negative ([masked] s),",
        ] {
            #expect(quarantine.contains(expected), "\(expected)\n\(quarantine)")
        }
        #expect(!quarantine.contains("7700900123"))
        #expect(!report.sampleRejections.map(\.description).joined().contains("7700900123"))

        let scored = try importer.importFile(dir.write("scores.csv", scores.joined(separator: "\n") + "\n"), into: store)
        let reasons = try String(contentsOfFile: try #require(scored.quarantinePath), encoding: .utf8)
        #expect(reasons.contains("scores.csv,2,nps,\"nps must be 0–10, found [masked]\","), "\(reasons)")
        #expect(reasons.contains("scores.csv,3,csat,csat [masked] is outside its scale 1–5,"), "\(reasons)")
        #expect(!reasons.contains("7700900123") && !scored.sampleRejections.map(\.description).joined().contains("7700900123"))
    }

    @Test func aHugeZendeskReplyTimeIsARejectedRecord() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var text = try String(contentsOfFile: fixture("zendesk/tickets-2026-11-18.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"calendar\": 95,", with: "\"calendar\": 1e17,")
        let file = dir.write("tickets.json", text)
        var importer = JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(file, into: store)
        #expect(report.log.rejected == 1)
        #expect(report.sampleRejections.first?.description.contains("a reply time of 1e+17 minutes is not plausible (more than a year)") == true,
                "\(report.sampleRejections)")
    }

    @Test func aHugeNegativeCTRDurationIsARejectedRecord() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let line = try #require(try String(contentsOfFile: fixture("amazon-connect/ctr-2026-11-17.jsonl"), encoding: .utf8).split(separator: "\n").first)
        let file = dir.write("ctr.jsonl", line.replacingOccurrences(of: "\"AgentInteractionDuration\":300", with: "\"AgentInteractionDuration\":-1e300") + "\n")
        var importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(file, into: store)
        #expect(report.log.rejected == 1)
        #expect(report.sampleRejections.first?.description.contains("is negative (-1e+300 s)") == true, "\(report.sampleRejections)")
    }

    /// A contact attribute is whatever a flow wrote into it: a customer's number there is rejected
    /// with the attribute named and the number masked in the reason, never echoed.
    @Test func aCustomersNumberInACTRAttributeIsNotEchoed() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let lines = try String(contentsOfFile: fixture("amazon-connect/ctr-2026-11-17.jsonl"), encoding: .utf8).split(separator: "\n")
            .filter { $0.contains(#""csat":"4""#) }
        try #require(lines.count >= 2)
        let file = dir.write("ctr.jsonl", [
            lines[0].replacingOccurrences(of: #""csat":"4""#, with: #""csat":"call +44 7700 900123""#),
            lines[1].replacingOccurrences(of: #""csat":"4""#, with: #""csat":"+447700900123""#),
        ].joined(separator: "\n") + "\n")
        var importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(file, into: store)
        #expect(report.log.rejected == 2)
        let reasons = report.sampleRejections.map(\.description)
        #expect(reasons.contains { $0.contains("Attributes.csat") && $0.contains("expected a whole number, found") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("Attributes.csat") && $0.contains("csat [masked] is outside its scale 1–5") }, "\(reasons)")
        let quarantine = try String(contentsOfFile: try #require(report.quarantinePath), encoding: .utf8)
        #expect(!(reasons.joined() + quarantine).contains("900123"), "\(reasons)\n\(quarantine)")
    }

    @Test func numericFlagsOutsideTheirRangeAreUsageErrors() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--source", "canonical", "--timezone", "UTC", fixture("canonical/contacts_2026-W47.csv")],
                              environment: ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")]).status == 0)
        for (arguments, range) in [
            (["kpis", "--store", store, "--week", "2026-W47", "--fcr-window-days", "9223372036854775807"], "--fcr-window-days lies in 1–366 days"),
            (["kpis", "--store", store, "--week", "2026-W47", "--short-abandon-s", "1e300"], "--short-abandon-s lies in 0–86400 seconds"),
            (["trends", "--store", store, "--week", "2026-W47", "--weeks", "9223372036854775807"], "--weeks lies in 2–520"),
            (["generate", "--rows", "10", "--weeks", "9223372036854775807", "--out", dir.path + "/g.csv"], "--weeks lies in 1–520"),
            // A negative number is a value out of range, not a missing value.
            (["kpis", "--store", store, "--week", "2026-W47", "--fcr-window-days", "-5"], "the FCR window must be at least 1 day, not -5"),
            (["generate", "--rows", "-5", "--out", dir.path + "/g.csv"], "--rows lies in 1–100000000, not -5"),
            (["ingest", "--store", store, "--source", "canonical", "--wait", "-1", fixture("canonical/fcr_repeats.csv")], "--wait lies in 0–86400"),
        ] {
            let result = try contactqa(arguments)
            #expect(result.status == 2, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(range), "\(result.stderr)")
            #expect(!result.stderr.contains("Missing value") && !result.stderr.contains("error: Error:"), "\(result.stderr)")
        }
    }

    @Test(arguments: [
        ("size: {margin_of_error: 1e-300, proportion: 0.5}", "margin of error lies in [0.000001, 1)"),
        ("size: {margin_of_error: 2, sd: 1e300}", "sd lies in (0, 1000000]"),
        ("size: {margin_of_error: 0.05, confidence: 1e-300}", "confidence lies in 0.5–0.999999"),
    ])
    func extremePlanValuesAreRefused(_ size: String, _ message: String) throws {
        let dir = TemporaryDirectory()
        let path = dir.write("plan.yaml", "\(size)\nseed: 1\n")
        #expect(throws: ConfigError.self) { try SamplingPlan.load(file: path) }
        do { _ = try SamplingPlan.load(file: path) } catch { #expect("\(error)".contains(message), "\(error)") }
    }

    @Test func aCensusSizedPlanTakesTheFrameInsteadOfOverflowing() {
        #expect(SampleSize.forMean(marginOfError: 1e-6, confidence: 0.999999, sd: 1e6, population: 5_000) == 5_000)
        #expect(SampleSize.corrected(.infinity, population: 12) == 12)
        #expect(SampleSize.corrected(.nan, population: 12) == 12)
    }
}
