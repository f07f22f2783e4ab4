@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A generated site of real size (scripts/generated-site.py: 14 weeks, about 200 agents in 20 teams,
/// every sampled leg evaluated, 25 seeded critical fails), read as its managers, team leads and agents
/// would read it.
@Suite("A generated site as its people read it", .tags(.slow))
struct GeneratedSiteTests {
    @Test func everyCriticalFailReachesItsAgentTheTeamLeadAndTheReport() throws {
        let dir = TemporaryDirectory()
        let site = dir.path + "/site"
        let built = try python([repositoryRoot + "/scripts/generated-site.py", site, "--critical", "25",
                                                   "--contactqa", try contactqaBinary()])
        #expect(built.status == 0, "\(built.stderr)")
        let store = try SQLiteStore(path: site + "/site.sqlite")
        let fails = try store.query("""
            SELECT e.evaluation_id, e.agent_id, COALESCE(l.team, 'no-team') FROM evaluations e
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            WHERE e.critical_failed = 1 AND e.calibration_session IS NULL ORDER BY 1
            """).map { ($0[0].string!, $0[1].string!, $0[2].string!) }
        #expect(fails.count == 25)
        let folder = site + "/reports/2026-W47"
        let report = try String(contentsOfFile: folder + "/report.md", encoding: .utf8)
        #expect(report.contains("Critical fails: 25."))
        #expect(report.contains("**Critical fails: 25**"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))) as! [String: Any]
        #expect(Set((json["critical_fails"] as! [[String: Any]]).map { $0["evaluation_id"] as! String }) == Set(fails.map(\.0)))
        let criticalSection = try #require(report.range(of: "**Critical fails: 25**")).upperBound
        let reportList = String(report[criticalSection...].prefix { $0 != "#" })
        for (evaluation, agent, team) in fails {
            #expect(reportList.contains("(\(agent)): \(evaluation)") || reportList.contains("(\(agent)): ") && reportList.contains(evaluation),
                    "\(evaluation) of \(agent) not in the report's critical fails")
            let teamFolder = "\(folder)/feedback/\(FeedbackPack.safeName(team))"
            let pack = try String(contentsOfFile: "\(teamFolder)/\(FeedbackPack.safeName(agent)).md", encoding: .utf8)
            let critical = try #require(pack.range(of: "## Critical: to put right first"), "\(agent)'s pack has no critical section")
            #expect(pack[critical.upperBound...].prefix { $0 != "#" }.contains(evaluation), "\(evaluation) not in \(agent)'s critical section")
            let summary = try String(contentsOfFile: "\(teamFolder)/_team-summary.md", encoding: .utf8)
            #expect(summary.contains("failed in \(evaluation)"), "\(evaluation) not in \(team)'s summary")
        }
        // Every agent with an evaluation gets a pack that says something: no "not enough evaluations".
        var packs = 0
        for team in try FileManager.default.contentsOfDirectory(atPath: folder + "/feedback") {
            for file in try FileManager.default.contentsOfDirectory(atPath: "\(folder)/feedback/\(team)") where file.hasSuffix(".md") && !file.hasPrefix("_") {
                let pack = try String(contentsOfFile: "\(folder)/feedback/\(team)/\(file)", encoding: .utf8)
                #expect(!pack.lowercased().contains("not enough evaluations"), "\(team)/\(file)")
                #expect(pack.contains("## Your evaluations\n\n- G"), "\(team)/\(file) lists no evaluation")
                packs += 1
            }
        }
        let evaluated = try store.query("SELECT COUNT(DISTINCT agent_id) FROM evaluations").first?.first?.int ?? 0
        #expect(packs == evaluated && packs >= 150, "\(packs) packs for \(evaluated) agents evaluated")
        // Thirteen weeks of history: the four headline trend charts are drawn, with their target lines.
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<figure><figcaption><strong>").count - 1 >= 4)
        #expect(html.components(separatedBy: "stroke=\"\(SVGChart.Colour.target)\"").count - 1 == 3)  // SL, FCR, AHT have targets
        #expect(!html.contains("Not charted"))

        // In the real browser, at 390 and 1280 px: the report (with a reader's check of its text) and a
        // pack with a critical fail.
        guard let chromium = try Chromium.executable() else { return }
        let (evaluation, agent, team) = fails[0]
        for (page, kind) in [(folder + "/report.html", [String]()),
                             ("\(folder)/feedback/\(FeedbackPack.safeName(team))/\(FeedbackPack.safeName(agent)).html", ["--pack"])] {
            let checked = try python([repositoryRoot + "/scripts/check-report-html.py", "--chromium", chromium] + kind + [page])
            #expect(checked.status == 0, "\(checked.stderr)")
            #expect(checked.stderr.contains("fits 390 and 1280 px"), "\(checked.stderr)")
        }
        #expect(try String(contentsOfFile: "\(folder)/feedback/\(FeedbackPack.safeName(team))/\(FeedbackPack.safeName(agent)).html", encoding: .utf8).contains(evaluation))
    }
}
