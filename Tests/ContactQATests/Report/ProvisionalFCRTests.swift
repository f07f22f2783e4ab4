@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A draft compares this week's FCR, whose repeat window is still open, with last week's over the same
/// follow-up, and leaves it out of the control chart: stable data shows no rise.
@Suite("Provisional FCR in drafts")
struct ProvisionalFCRTests {
    struct Contact {
        var id: String
        var customer: Int
        var at: Int64  // UTC seconds
    }

    /// Ten full weeks (W38–W47 of 2026) and Monday 23 November, 150 contacts a day from a pool of 3,000
    /// customers: a stable FCR near exp(−1050/3000) ≈ 0.70, the same every week.
    static func contacts() -> [Contact] {
        var rng = SplitMix64(seed: 16)
        var result: [Contact] = []
        let first = LocalDate(iso: "2026-09-14")!
        for day in 0..<71 {
            let start = Int64(first.adding(days: day).dayNumber) * 86_400
            for i in 0..<150 {
                result.append(Contact(id: "P\(day)-\(i)", customer: Int(rng.next() % 3000), at: start + 8 * 3600 + Int64(rng.next() % 36_000)))
            }
        }
        return result.sorted { $0.at < $1.at }
    }

    /// FCR by the definition, computed here from the raw contacts: handled contacts arrived in
    /// [from, to) with no later contact of the same customer within 7 days and before `repeatsBefore`.
    static func fcr(_ all: [Contact], from: Int64, to: Int64, repeatsBefore: Int64) -> (resolved: Int, judged: Int) {
        let byCustomer = Dictionary(grouping: all, by: \.customer)
        var judged = 0
        var resolved = 0
        for c in all where c.at >= from && c.at < to {
            judged += 1
            let repeated = byCustomer[c.customer]!.contains { $0.at > c.at && $0.at <= c.at + 7 * 86_400 && $0.at < repeatsBefore }
            if !repeated { resolved += 1 }
        }
        return (resolved, judged)
    }

    @Test func aTuesdayDraftShowsNoFalseFCRRise() throws {
        let dir = TemporaryDirectory()
        let all = ProvisionalFCRTests.contacts()
        var csv = "interaction_id,channel,direction,queue,team,agent_id,customer_id,arrived_at,wait_s,abandoned,talk_s,monitoring_notice\n"
        let formatter = ISO8601DateFormatter()
        for (n, c) in all.enumerated() {
            csv += "\(c.id),voice,inbound,Sales,Team \(n % 2 + 1),A\(n % 10),cust-\(c.customer),\(formatter.string(from: Date(timeIntervalSince1970: TimeInterval(c.at)))),12,false,200,true\n"
        }
        dir.write("contacts.csv", csv)
        try FileManager.default.copyItem(atPath: fixture("keys/demo.key"), toPath: dir.path + "/site.key")
        dir.write("site.yaml", """
            name: stable
            timezone: UTC
            store: store.sqlite
            inputs:
              - {source: canonical, path: "contacts.csv"}
            privacy: {key_file: site.key}
            kpis: {fcr: {window_days: 7, match: customer}}
            report: {out: "reports/{week}", formats: [md, json]}

            """)
        let run = try contactqa(["run", dir.path + "/site.yaml", "--week", "2026-W48", "--as-of", "2026-11-24", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(dir.read("reports/2026-W48/report.md"))
        let row = try #require(report.split(separator: "\n").first { $0.hasPrefix("| First contact resolution |") })

        // Independently: this week's contacts run to the last one of Monday; last week's are taken up to
        // the same point of their week, repeats counted up to it as well.
        let horizon = all.last!.at
        let monday = Int64(LocalDate(iso: "2026-11-23")!.dayNumber) * 86_400
        let thisWeek = ProvisionalFCRTests.fcr(all, from: monday, to: monday + 7 * 86_400, repeatsBefore: horizon + 1)
        let cutoff = horizon + 1 - 7 * 86_400
        let lastWeek = ProvisionalFCRTests.fcr(all, from: monday - 7 * 86_400, to: cutoff, repeatsBefore: cutoff)
        let completeLastWeek = ProvisionalFCRTests.fcr(all, from: monday - 7 * 86_400, to: monday, repeatsBefore: .max)
        func percent(_ r: (resolved: Int, judged: Int)) -> String { String(format: "%.1f%%", Double(r.resolved) / Double(r.judged) * 100) }
        #expect(row.hasPrefix("| First contact resolution | \(percent(thisWeek)) |"), "\(row)")
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(cells[4].hasPrefix("\(percent(lastWeek)) (\(lastWeek.resolved) of \(lastWeek.judged)"), "\(row) against \(percent(lastWeek))")
        #expect(!row.contains("significant"), "\(row)")
        // What the old comparison did: a complete week's FCR (≈ 0.70) against a day-old one (≈ 0.95).
        #expect(Double(completeLastWeek.resolved) / Double(completeLastWeek.judged) < Double(thisWeek.resolved) / Double(thisWeek.judged) - 0.15)
        #expect(report.contains("First contact resolution is provisional: last week's is shown for its contacts up to 2026-11-16"))
        // The control chart and the trend leave the provisional weeks out: this one and last week, whose
        // window runs to 29 November.
        #expect(report.contains("- **First contact resolution**: no significant trend; 2026-W47, 2026-W48 not charted yet: provisional until the repeat window has passed"))
        let json = try JSONSerialization.jsonObject(with: Data(try #require(dir.read("reports/2026-W48/report.json")).utf8)) as! [String: Any]
        let series = ((json["trends"] as! [String: Any])["series"] as! [[String: Any]]).first { $0["kpi"] as? String == "fcr" && $0["group"] is NSNull }!
        #expect((series["chart"] as! [[String: Any]]).last?["week"] as? String == "2026-W46")
        #expect((series["signals"] as! [Any]).isEmpty)
    }
}
