@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Comments full of personal data go in as evaluators write them; nothing of it comes out in the
/// store, the packs or the team summary, and a comment that is not text is a rejected evaluation.
@Suite struct RedactionInOutputsTests {
    @Test func storedCommentsAndPacksHoldOnlyRedactedText() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        let corpus = RedactionCorpus(seed: 7, count: 200).comments.filter { $0.spans.contains { $0.kind != nil } }.prefix(16)
        let comments = Array(corpus)
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var lines = ["evaluation_id,interaction_id,leg,agent_id,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment"]
        for (i, call) in ["C1", "C7", "C8", "C12"].enumerated() {
            let id = "F\(i + 1)", date = "2026-11-2\(4 + i)"
            for (k, (criterion, rating)) in [("greeting", "4"), ("id_check", "yes"), ("accuracy", "2"), ("compliance", "yes")].enumerated() {
                lines.append("\(id),\(call),1,A1,Q1,\(date),voice-standard,1,\(criterion),\(rating),\(quoted(comments[i * 4 + k].text))")
            }
        }
        var importer = EvaluationImporter(quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(dir.write("f.csv", lines.joined(separator: "\n") + "\n"), into: store)
        #expect(report.log.rejected == 0, "\(report.sampleRejections)")

        let packs = try FeedbackPack.build(store: store, period: KPIEngineTests.week)
        _ = try FeedbackPack.write(packs, to: dir.path + "/packs")
        var outputs = try store.query("SELECT comment FROM evaluation_answers WHERE comment IS NOT NULL").compactMap { $0[0].string }
        #expect(outputs.count == 16)
        for pack in packs { outputs += [try pack.markdown(), try pack.html()] }
        outputs.append(FeedbackPack.teamSummary(packs, team: "Team A"))
        let files = FileManager.default.enumerator(atPath: dir.path + "/packs")!.compactMap { $0 as? String }
        for file in files { if let text = try? String(contentsOfFile: dir.path + "/packs/" + file, encoding: .utf8) { outputs.append(text) } }
        #expect(files.contains { $0.hasSuffix(".md") })
        let personal = comments.flatMap { $0.spans.filter { $0.kind != nil } }
        for span in personal {
            for output in outputs { #expect(!output.contains(span.text), "\(span.kind!) \(span.text) escaped") }
        }
        // The packs do quote the comments: the redacted text, markers included.
        #expect(outputs.contains { $0.contains("[") && $0.contains("]") && ($0.contains("[email]") || $0.contains("[phone]") || $0.contains("[name]")) })
    }

    /// Contact reasons are redacted once per distinct text in a file and reused: the same reason with
    /// a phone number and an e-mail address on many rows is stored redacted on every one of them.
    @Test func aRepeatedReasonIsRedactedOnEveryRow() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var lines = ["interaction_id,leg,channel,direction,agent_id,contact_reason,arrived_at,answered_at,wait_s,abandoned,talk_s"]
        let reasons = ["call back on 07700 900123", "billing", "mail jane.doe@example.com", "call back on 07700 900123"]
        for i in 0..<40 {
            lines.append("R\(i),1,voice,inbound,A1,\(reasons[i % reasons.count]),2026-11-17T09:\(10 + i):00Z,2026-11-17T09:\(10 + i):05Z,5,false,60")
        }
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(dir.write("reasons.csv", lines.joined(separator: "\n") + "\n"), into: store)
        #expect(report.log.inserted == 40)
        let stored = try textRows(store, "SELECT contact_reason, COUNT(*) FROM contacts GROUP BY 1 ORDER BY 1")
        #expect(stored.count == 3)
        #expect(stored.allSatisfy { row in !(row[0] ?? "").contains("900123") && !(row[0] ?? "").contains("jane.doe") })
        #expect(stored.map { $0[1] } == ["10", "20", "10"])
    }

    @Test func aCommentThatIsNotUTF8IsARejectedEvaluationNotASilentNull() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        var bytes = Data("evaluation_id,interaction_id,leg,agent_id,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment\n".utf8)
        bytes += Data("F1,C1,1,A1,Q1,2026-11-24,voice-standard,1,greeting,4,fine\n".utf8)
        bytes += Data("F1,C1,1,A1,Q1,2026-11-24,voice-standard,1,accuracy,2,caf".utf8) + Data([0xE9, 0x20, 0xFF]) + Data("\n".utf8)
        bytes += Data("F2,C7,1,A1,Q1,2026-11-25,voice-standard,1,greeting,3,ok\n".utf8)
        let path = dir.path + "/latin1.csv"
        try bytes.write(to: URL(fileURLWithPath: path))
        var importer = EvaluationImporter(quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(path, into: store)
        #expect(report.log.rejected == 1)
        let reason = try #require(report.sampleRejections.first)
        #expect(reason.description.contains("latin1.csv") && reason.description.contains("line 3") && reason.description.contains("comment")
            && reason.description.contains("not valid UTF-8"), "\(reason)")
        // F1 goes to quarantine whole; F2 is loaded.
        #expect(try store.query("SELECT evaluation_id FROM evaluations ORDER BY 1").map { $0[0].string } == ["F2"])
        #expect(try store.query("SELECT count(*) FROM evaluation_answers WHERE comment IS NULL AND evaluation_id = 'F1'")[0][0].int == 0)
    }
}
