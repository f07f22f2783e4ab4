@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// The feedback loop of the demo week: A1 acknowledges the pack, disputes E2 (a critical fail on the
/// identity check, by Q1), Q2 re-evaluates it. By hand: Team A has one pack (A1), acknowledged; two
/// evaluations (E1, E2; E3 is a calibration scoring), one disputed; the re-evaluation rates every
/// criterion as E2 did but the identity check yes: 100 × (1 + 2 + 3 + 0.75 + 1 + 2) / 10 = 97.5
/// instead of 0 — overturned, on Q1's evaluation. Estimates then use R1 in E2's place; E2 stays stored.
@Suite("Acknowledgements, disputes and re-evaluations")
struct FeedbackLoopTests {
    @Test func aDisputedEvaluationIsReEvaluatedByAnotherEvaluatorAndReplacedInEstimates() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        _ = try EvaluationImporter(quarantineDirectory: dir.path + "/q").importFile(fixture("evaluations/evaluations_2026-W47.csv"), into: store)
        let week = ISOWeek("2026-W47")!
        let period = Period(week: week, clock: ZoneClock(identifier: "Europe/London")!)
        var service = IngestService(store: store, logger: .init(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-01")!)
        #expect(try store.feedbackLoop(period, week: week) == nil)  // a site that records neither: no line

        _ = try service.ingest(.acknowledgements, mappingFile: nil, files: [dir.write("acks.csv", "agent_id,week,acknowledged_on\nA1,2026-W47,2026-11-27\n")],
                               pseudonymiser: nil)
        _ = try service.ingest(.disputes, mappingFile: nil, files: [dir.write("disputes.csv", """
            evaluation_id,criterion_id,raised_on,reason
            E2,id_check,2026-11-27,"I did verify: the customer gave their postcode; call me on 07700 900123"
            """)], pseudonymiser: nil)
        #expect(try textRows(store, "SELECT reason FROM disputes") == [["I did verify: the customer gave their postcode; call me on [phone]"]])
        let waiting = try #require(try store.feedbackLoop(period, week: week))
        #expect(waiting.byTeam == [.init(team: "Team A", packs: 1, acknowledged: 1, evaluations: 2, disputed: 1, overturned: 0)])
        #expect(waiting.open == 1)

        let header = "evaluation_id,interaction_id,leg,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,re_evaluates\n"
        let ratings = [("greeting", "4"), ("id_check", "yes"), ("accuracy", "5"), ("empathy", "4"), ("wrap_up", "yes"), ("compliance", "yes")]
        func reEvaluation(_ id: String, by evaluator: String) -> String {
            header + ratings.map { "\(id),C8,1,\(evaluator),2026-11-30,voice-standard,1,\($0.0),\($0.1),E2" }.joined(separator: "\n") + "\n"
        }
        // The first evaluator cannot re-evaluate their own evaluation; an undisputed one cannot be re-evaluated.
        var importer = EvaluationImporter(quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let own = try importer.importFile(dir.write("own.csv", reEvaluation("R0", by: "Q1")), into: store)
        #expect(own.sampleRejections.map(\.description).contains { $0.contains("re-evaluated by someone other than its first evaluator") })
        let undisputed = try importer.importFile(dir.write("undisputed.csv", reEvaluation("R9", by: "Q2").replacingOccurrences(of: ",E2\n", with: ",E1\n")
            .replacingOccurrences(of: ",C8,", with: ",C1,")), into: store)
        #expect(undisputed.sampleRejections.map(\.description).contains { $0.contains("E1 is not a disputed evaluation") })

        let resolved = try importer.importFile(dir.write("r1.csv", reEvaluation("R1", by: "Q2")), into: store)
        #expect(resolved.log.inserted == 1 && resolved.log.rejected == 0, "\(resolved.sampleRejections)")
        let loop = try #require(try store.feedbackLoop(period, week: week))
        #expect(loop.byTeam == [.init(team: "Team A", packs: 1, acknowledged: 1, evaluations: 2, disputed: 1, overturned: 1)])
        #expect(loop.open == 0)
        #expect(loop.overturnedByEvaluator.map { "\($0.evaluator) \($0.count)" } == ["Q1 1"])

        // Estimates use R1 in E2's place; E2 is kept.
        let quality = try QualityEngine(store: store).report(period: period, groupBy: .agent)
        #expect(quality.evaluations.map(\.evaluationID).sorted() == ["E1", "E3", "R1"])
        #expect(abs((quality.evaluations.first { $0.evaluationID == "R1" }?.score ?? 0) - 97.5) < 1e-9)
        #expect(try textRows(store, "SELECT COUNT(*) FROM evaluations WHERE evaluation_id = 'E2'") == [["1"]])
        // A1's pack shows the resolved evaluation: R1 at 97.5, no critical fail left (E2's was the only one).
        let pack = try #require(try FeedbackPack.build(store: store, period: period).first { $0.agent == "A1" })
        let text = try pack.markdown()
        #expect(text.contains("- R1: contact of 2026-11-20 (voice, recording rec/C8), score 98 — the re-evaluation of E2, which you disputed; it replaces E2"), "\(text)")
        #expect(!text.contains("- E2:"))
        #expect(text.contains("no critical fail"))
        // A second re-evaluation of the same dispute is refused.
        let again = try importer.importFile(dir.write("r2.csv", reEvaluation("R2", by: "Q3")), into: store)
        #expect(again.sampleRejections.map(\.description).contains { $0.contains("E2 was re-evaluated already, by R1") })

        var report = try WeeklyReport.build(store: store, week: week, asOf: LocalDate(iso: "2026-12-01")!, parameters: KPIParameters(), targets: [:])
        #expect(report.feedbackLine == "packs acknowledged: Team A 1 of 1; disputed: Team A 1 of 2 evaluations (1 overturned); overturned by first evaluator: Q1 1")
        report.feedback = nil
        #expect(report.feedbackLine.isEmpty)

        // The agent's records, as they would be handed over on request: every evaluation with its
        // answers, the acknowledgement, the dispute with its outcome.
        let records = try AgentRecords.json(store: store, agent: "A1").rendered()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(records.utf8)) as? [String: Any])
        let evaluations = try #require(object["evaluations"] as? [[String: Any]])
        #expect(evaluations.compactMap { $0["evaluation_id"] as? String }.sorted() == ["E1", "E2", "E3", "R1"])
        #expect((evaluations.first { $0["evaluation_id"] as? String == "R1" }?["re_evaluates"] as? String) == "E2")
        #expect(((evaluations.first { $0["evaluation_id"] as? String == "E2" }?["answers"] as? [Any])?.count) == 6)
        #expect((object["acknowledgements"] as? [[String: Any]])?.map { $0["week"] as? String } == ["2026-W47"])
        let dispute = try #require((object["disputes"] as? [[String: Any]])?.first)
        #expect(dispute["outcome"] as? String == "overturned" && dispute["re_evaluated_by"] as? String == "Q2")
        #expect(!records.contains("900123") && !records.contains("+44"))

        // Retention removes the records with the contacts they are about.
        _ = try store.applyRetention(before: utcMillis("2027-01-01T00:00:00Z"), cutoffWeek: ISOWeek("2027-W01")!)
        #expect(try textRows(store, "SELECT (SELECT COUNT(*) FROM evaluations) + (SELECT COUNT(*) FROM evaluation_answers) + (SELECT COUNT(*) FROM disputes) + (SELECT COUNT(*) FROM acknowledgements)") == [["0"]])
        let emptied = try AgentRecords.json(store: store, agent: "A1").rendered()
        #expect(emptied.contains("\"evaluations\": []") && emptied.contains("\"disputes\": []"))
    }

    @Test func acknowledgementAndDisputeFilesNameTheLineAndField() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        func problem(_ read: () throws -> Any) -> String { do { _ = try read(); return "read" } catch { return "\(error)" } }
        #expect(problem { try Acknowledgement.read(dir.write("a.csv", "agent_id,week,acknowledged_on\nA1,2026-W99,2026-11-27\n")) }
                == #"a.csv, line 2, field "week": "2026-W99" is not an ISO week such as 2026-W47"#)
        #expect(problem { try Acknowledgement.read(dir.write("a.csv", "agent_id,acknowledged_on\nA1,2026-11-27\n")) }.contains("needs the columns agent_id, week, acknowledged_on"))
        #expect(problem { try Dispute.read(dir.write("d.csv", "evaluation_id,raised_on\nNOPE,2026-11-27\n"), store: store) }
                == #"d.csv, line 2, field "evaluation_id": no evaluation NOPE in the store"#)
    }
}
