@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

@Suite("Quality: scorecards, scores, estimates, calibration")
struct QualityTests {
    static let voice = repositoryRoot + "/pipelines/scorecards/voice-standard.yaml"

    /// voice-standard v1: greeting 0–4 (w 1), id_check yes/no (w 2, critical), accuracy 1–5 (w 3),
    /// empathy 1–5 (w 1, N/A allowed), wrap_up yes/no (w 1), compliance yes/no (w 2, critical).
    @Test func scoresByHand() throws {
        let card = try Scorecard.load(file: QualityTests.voice)
        // E1: 3/4·1 + 1·2 + 3/4·3 + (N/A) + 0·1 + 1·2 = 7 over weights 9 → 77.78.
        let na: Double? = nil
        let e1 = card.score(["greeting": 3, "id_check": 1, "accuracy": 4, "empathy": na, "wrap_up": 0, "compliance": 1])
        #expect(abs(e1.score! - 700.0 / 9) < 1e-12)
        #expect(!e1.criticalFailed)
        // A critical criterion at its minimum forces 0.
        let e2 = card.score(["greeting": 4, "id_check": 0, "accuracy": 5, "empathy": 4, "wrap_up": 1, "compliance": 1])
        #expect(e2.score == 0 && e2.criticalFailed)
        // E3: 0.5 + 2 + 1.5 + 0.5 + 0 + 2 = 6.5 over 10 → 65.
        #expect(card.score(["greeting": 2, "id_check": 1, "accuracy": 3, "empathy": 3, "wrap_up": 0, "compliance": 1]).score == 65)
        // Every criterion N/A: no score.
        let allNA: [String: Double?] = ["empathy": na]
        #expect(card.score(allNA).score == nil)
    }

    /// Krippendorff's worked example (2011; also the reliability_data example of the `krippendorff`
    /// Python package 0.8, which gives 0.743421052631579 nominal and 0.8491071428571428 interval).
    @Test func krippendorffAlphaOnThePublishedExample() {
        let coders: [[Double?]] = [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nil, nil, nil],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nil, 3],
            [nil, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nil],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nil],
        ]
        let units = (0..<12).map { u in coders.compactMap { $0[u] } }
        #expect(abs(KrippendorffAlpha.alpha(units, metric: .nominal)! - 0.743421052631579) < 1e-12)
        #expect(abs(KrippendorffAlpha.alpha(units, metric: .interval)! - 0.8491071428571428) < 1e-12)
        // Yes/no by three evaluators on six legs; the package gives 0.5151515151515151.
        let yesNo: [[Double]] = [[1, 1, 1], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1]]
        #expect(abs(KrippendorffAlpha.alpha(yesNo, metric: .nominal)! - 0.5151515151515151) < 1e-12)
        #expect(KrippendorffAlpha.alpha([[1], [2]], metric: .interval) == nil)
    }

    /// Two cells: A (N = 10) with two evaluations 80, 60; B (N = 30) with three 90, 70, 50; domain X holds
    /// 80, 60, 90 and 50. Weights 5, 5, 10, 10 → ŷ = 2,100/30 = 70. z: ±5·10/30 in A; 10·20/30, 0, −10·20/30 in B.
    /// V = 0.8·2/1·(2·(5/3)²) + 0.9·3/2·(2·(20/3)²) = 8.888… + 120 = 128.888…; SE = 11.3529….
    @Test func hajekEstimateAndTaylorStandardErrorByHand() {
        func e(_ id: String, _ cell: String, _ n: Int, _ score: Double, _ agent: String) -> EvaluationSummary {
            EvaluationSummary(evaluationID: id, interactionID: id, leg: 1, agent: agent, team: nil, evaluator: "Q", score: score,
                              criticalFailed: false, inSample: true, week: nil, cell: cell, sampleID: 1, cellPopulation: n)
        }
        let sampled = [e("a1", "A", 10, 80, "X"), e("a2", "A", 10, 60, "X"), e("b1", "B", 30, 90, "X"), e("b2", "B", 30, 70, "Y"), e("b3", "B", 30, 50, "X")]
        let x = QualityEngine.hajek(sampled) { $0.agent == "X" }!
        #expect(abs(x.value - 70) < 1e-12)
        #expect(abs(x.se! - (8.0 / 9 * 10 + 120).squareRoot()) < 1e-12)
        #expect(x.n == 4)
        let y = QualityEngine.hajek(sampled) { $0.agent == "Y" }!
        #expect(y.value == 70)
        // Y's one evaluated leg deviates from Y's own mean by zero: no interval (it used to be 0 wide).
        #expect(y.se == nil)
        // A domain whose only evaluation sits alone in its cell: its variance cannot be estimated —
        // nil, never 0 (other domains' cells say nothing about it).
        let z = QualityEngine.hajek(sampled + [e("c1", "C", 12, 40, "Z")]) { $0.agent == "Z" }!
        #expect(z.value == 40)
        #expect(z.se == nil)

        // One unit, one value: a leg evaluated twice (routine) enters once, with the mean of its scores.
        // Cell D (N = 3) holds legs d1 (scores 60 and 80 → 70) and d2 (40): m = 2 legs, not 3 evaluations,
        // weights 3/2 each → ŷ = 55; z = ±1.5·15/3 = ±7.5; V = (1 − 2/3)·2/1·(2·7.5²) = 75. Counting
        // evaluations instead gave m = 3 and (with N = 2) a negative finite-population factor and a NaN SE.
        let twice = [e("d1", "D", 3, 60, "W"), e("d1", "D", 3, 80, "W"), e("d2", "D", 3, 40, "W")]
        let w = QualityEngine.hajek(twice) { $0.agent == "W" }!
        #expect(abs(w.value - 55) < 1e-12)
        #expect(abs(w.se! - 75.0.squareRoot()) < 1e-12)
        #expect(w.n == 2)
        let crowded = [e("f1", "F", 2, 60, "V"), e("f1", "F", 2, 80, "V"), e("f2", "F", 2, 40, "V")]
        let v = QualityEngine.hajek(crowded) { $0.agent == "V" }!
        #expect(abs(v.value - 55) < 1e-12)
        #expect(v.se == 0)  // both units of the cell evaluated: a census of it, no sampling variance
    }

    static func store(_ dir: TemporaryDirectory) throws -> SQLiteStore {
        let store = try #require(try KPIEngineTests.loadedStore(dir) as? SQLiteStore)
        try store.register(try Scorecard.load(file: QualityTests.voice), definition: try String(contentsOfFile: QualityTests.voice, encoding: .utf8))
        return store
    }

    @Test func evaluationsImportScoreAndCalibrate() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        let report = try EvaluationImporter(quarantineDirectory: dir.path + "/q").importFile(fixture("evaluations/evaluations_2026-W47.csv"), into: store)
        #expect((report.log.rowsRead, report.log.inserted, report.log.rejected) == (3, 3, 0))
        #expect(try store.rows("SELECT evaluation_id, score, critical_failed FROM evaluations ORDER BY 1").map { [String.fromDatabaseValue($0[0])!, "\(Double.fromDatabaseValue($0[1])!)", "\(Int.fromDatabaseValue($0[2])!)"] }
            == [["E1", "\(700.0 / 9)", "0"], ["E2", "0.0", "1"], ["E3", "65.0", "0"]])
        // The comment is stored without the card number and the phone number.
        #expect(try store.rows("SELECT comment FROM evaluation_answers WHERE evaluation_id = 'E1' AND criterion_id = 'accuracy'")
            == [["Customer gave card [card] on the call, call back on [phone]".databaseValue]])
        // Re-import: unchanged.
        let again = try EvaluationImporter(quarantineDirectory: dir.path + "/q").importFile(fixture("evaluations/evaluations_2026-W47.csv"), into: store)
        #expect((again.log.inserted, again.log.unchanged) == (0, 3))
        let quality = try QualityEngine(store: store).report(period: KPIEngineTests.week, groupBy: .evaluator)
        #expect(quality.evaluations.count == 3)
        #expect(quality.evaluations.allSatisfy { !$0.inSample })  // no sample recorded: spot-style, out of the estimates
        #expect(quality.groups.isEmpty)
        // C1 by Q1 (77.78) and Q2 (65): deviations ±12.78.
        let q1 = try #require(quality.evaluators.first { $0.evaluator == "Q1" })
        #expect(abs(q1.meanDeviation - (700.0 / 9 - 65)) < 1e-9)
        #expect(quality.alpha.map(\.criterion).contains("greeting"))
    }

    @Test func sampledEvaluationsGetDesignWeightedEstimates() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        var plan = SamplingPlan(name: "all", size: .fixed(100), seed: 1)
        plan.excludeUnacknowledgedAgents = false
        _ = try SamplingService(store: store).sample(plan: plan, period: KPIEngineTests.week, out: dir.path + "/s")
        _ = try EvaluationImporter(quarantineDirectory: dir.path + "/q").importFile(fixture("evaluations/evaluations_2026-W47.csv"), into: store)
        let quality = try QualityEngine(store: store).report(period: KPIEngineTests.week, groupBy: .agent)
        // E3 re-scores C1 in calibration session CAL-1: it compares evaluators and is no unit of the sample.
        #expect(quality.evaluations.map(\.inSample) == [true, true, false])
        // One cell ("all"); A1's two sampled legs C1 (77.78) and C8 (0): weights equal → their plain mean.
        let a1 = try #require(quality.groups.first { $0.key == "A1" })
        #expect(abs(a1.estimate.value - (700.0 / 9) / 2) < 1e-9)
        #expect(a1.estimate.n == 2)
        #expect(a1.estimate.se != nil)
        let byWeek = try QualityEngine(store: store).report(period: KPIEngineTests.week, groupBy: .week)
        #expect(byWeek.groups.map(\.key) == ["2026-W47"])
        #expect(abs(byWeek.groups[0].estimate.value - (700.0 / 9) / 2) < 1e-9)
    }

    @Test func badEvaluationsAreQuarantinedWithReasons() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        let head = "evaluation_id,interaction_id,leg,agent_id,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment"
        let file = dir.write("bad.csv", [head,
            "B1,NOPE,1,A1,Q1,2026-11-24,voice-standard,1,greeting,3,",
            "B2,C1,1,A1,Q1,2026-11-24,voice-standard,9,greeting,3,",
            "B3,C1,1,A1,A1,2026-11-24,voice-standard,1,greeting,3,",
            "B4,C1,1,A1,Q1,2026-11-24,voice-standard,1,smile,3,",
            "B5,C1,1,A1,Q1,2026-11-24,voice-standard,1,greeting,7,",
            "B6,C1,1,A1,Q1,2026-11-24,voice-standard,1,accuracy,NA,",
            "B7,C1,1,A1,Q1,2026-11-24,voice-standard,1,greeting,447700900123,",
            "OK,C4,1,A2,Q1,2026-11-24,voice-standard,1,accuracy,4,",
        ].joined(separator: "\n") + "\n")
        var importer = EvaluationImporter(quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(file, into: store)
        #expect(report.log.rejected == 7)
        // A customer's number in the rating column is masked in the reason as in the record.
        let quarantined = try String(contentsOfFile: try #require(report.quarantinePath), encoding: .utf8)
        #expect(quarantined.contains("evaluation B7: greeting rating \"\"[masked]\"\" is off its scale 0–4"), "\(quarantined)")
        #expect(!quarantined.contains("900123"))
        #expect(report.sampleRejections.prefix(5).map(\.reason) == [
            "evaluation B1: no handled leg 1 of interaction NOPE in the store (an unknown interaction)",
            "evaluation B2: scorecard voice-standard version 9 is not registered (contactqa ingest --source scorecard FILE)",
            "evaluation B3: the evaluator A1 evaluated their own contact",
            "evaluation B4: criterion \"smile\" is not in scorecard voice-standard v1",
            "evaluation B5: greeting rating \"7\" is off its scale 0–4",
        ])
        #expect(try store.rows("SELECT evaluation_id FROM evaluations") == [["OK".databaseValue]])
        // The same id with other answers is a duplicate, quarantined.
        let changed = dir.write("dup.csv", head + "\nOK,C4,1,A2,Q1,2026-11-24,voice-standard,1,accuracy,2,\n")
        let dup = try importer.importFile(changed, into: store)
        #expect(dup.sampleRejections.first?.reason == "evaluation OK: the id is stored already with other answers; evaluation ids are never reused")
    }

    @Test func scorecardVersionsAreImmutable() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        let text = try String(contentsOfFile: QualityTests.voice, encoding: .utf8)
        #expect(try store.register(try Scorecard.load(file: QualityTests.voice), definition: text) == false)
        let changed = text.replacingOccurrences(of: "weight: 3", with: "weight: 4")
        #expect(throws: ConfigError.self) { try store.register(try Scorecard.parse(yaml: changed, file: "v.yaml"), definition: changed) }
    }
}

@Suite("Feedback packs and action plans")
struct FeedbackTests {
    /// A1's four calls of the week evaluated by Q1: greeting 4 (target 3) each time, accuracy 2 (target 4) each time.
    static func store(_ dir: TemporaryDirectory) throws -> SQLiteStore {
        let store = try QualityTests.store(dir)
        var lines = ["evaluation_id,interaction_id,leg,agent_id,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment"]
        for (i, call) in ["C1", "C7", "C8", "C12"].enumerated() {
            let id = "F\(i + 1)"
            let date = "2026-11-2\(4 + i)"
            lines += ["\(id),\(call),1,A1,Q1,\(date),voice-standard,1,greeting,4,\(i == 0 ? "\"Warm, named greeting; mail me at a@b.com\"" : "")",
                      "\(id),\(call),1,A1,Q1,\(date),voice-standard,1,id_check,yes,",
                      "\(id),\(call),1,A1,Q1,\(date),voice-standard,1,accuracy,2,\(i == 1 ? "Quoted the old tariff" : "")",
                      "\(id),\(call),1,A1,Q1,\(date),voice-standard,1,compliance,yes,"]
        }
        var importer = EvaluationImporter(quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(dir.write("f.csv", lines.joined(separator: "\n") + "\n"), into: store)
        #expect(report.log.rejected == 0, "\(report.sampleRejections)")
        return store
    }

    @Test func packOpensWithStrengthsThenDevelopmentThenCoaching() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackTests.store(dir)
        let packs = try FeedbackPack.build(store: store, period: KPIEngineTests.week)
        let a1 = try #require(packs.first { $0.agent == "A1" })
        #expect(a1.strengths.map(\.criterionID) == ["voice-standard/compliance", "voice-standard/greeting", "voice-standard/id_check"])
        #expect(a1.development.map(\.criterionID) == ["voice-standard/accuracy"])
        #expect(a1.criticalFails.isEmpty)
        let markdown = try a1.markdown()
        let expected = """
            # Feedback for A1

            Team A · evaluations of contacts from 2026-11-16 to 2026-11-22 · 4 evaluations

            Average score 72 over 4 scored evaluations; no critical fail.

            ## What you did well

            - **Reads the required compliance statements**: at or above target in 4 of 4 ratings.
              - F4, voice contact of 2026-11-22
              - F3, voice contact of 2026-11-20
              - F2, email contact of 2026-11-19

            - **Greets and introduces self**: at or above target in 4 of 4 ratings.
              - F4, voice contact of 2026-11-22
              - F3, voice contact of 2026-11-20
              - F2, email contact of 2026-11-19

            - **Verifies identity per the data-protection procedure**: at or above target in 4 of 4 ratings.
              - F4, voice contact of 2026-11-22
              - F3, voice contact of 2026-11-20
              - F2, email contact of 2026-11-19

            ## What would benefit from development

            - **Gives accurate information**: below target in 4 of 4 ratings.
              - F1, voice contact of 2026-11-16
              - F2, email contact of 2026-11-19: “Quoted the old tariff”
              - F3, voice contact of 2026-11-20

            ## Proposed coaching

            - Knowledge-base search practice

            - Product knowledge session

            ## Your evaluations

            - F1: contact of 2026-11-16 (voice, recording rec/C1), score 72
              - Greets and introduces self: 4 of 0–4
              - Verifies identity per the data-protection procedure: yes
              - Gives accurate information: 2 of 1–5
              - Reads the required compliance statements: yes
            - F2: contact of 2026-11-19 (email, recording –), score 72
              - Greets and introduces self: 4 of 0–4
              - Verifies identity per the data-protection procedure: yes
              - Gives accurate information: 2 of 1–5
              - Reads the required compliance statements: yes
            - F3: contact of 2026-11-20 (voice, recording rec/C8), score 72
              - Greets and introduces self: 4 of 0–4
              - Verifies identity per the data-protection procedure: yes
              - Gives accurate information: 2 of 1–5
              - Reads the required compliance statements: yes
            - F4: contact of 2026-11-22 (voice, recording rec/C12), score 72
              - Greets and introduces self: 4 of 0–4
              - Verifies identity per the data-protection procedure: yes
              - Gives accurate information: 2 of 1–5
              - Reads the required compliance statements: yes

            """
        if markdown != expected { try? markdown.write(toFile: NSTemporaryDirectory() + "actual-pack-A1.md", atomically: true, encoding: .utf8) }
        #expect(markdown == expected, "\(markdown)")
        #expect(markdown.range(of: "What you did well")!.lowerBound < markdown.range(of: "What would benefit")!.lowerBound)
        #expect(!markdown.contains("a@b.com"))
        let html = try a1.html()
        #expect(html.contains("<h2>What you did well</h2>"))
        #expect(!html.contains("<script"))
        let written = try FeedbackPack.write(packs, to: dir.path + "/packs")
        #expect(written.map { ($0 as NSString).lastPathComponent } == ["A1"])
        #expect(FileManager.default.fileExists(atPath: dir.path + "/packs/Team-A/A1.html"))
    }

    @Test func anActionPlanFromAgreedToReviewed() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackTests.store(dir)
        let id = try store.addActionPlan(agent: "A1", criterion: "accuracy", action: "Product knowledge session",
                                         agreedOn: LocalDate(iso: "2026-11-26")!, reviewBy: LocalDate(iso: "2026-12-10")!)
        var plan = try #require(try store.actionPlans().first)
        #expect(plan.id == id)
        #expect(!plan.isDue(asOf: LocalDate(iso: "2026-12-09")!))
        #expect(plan.isDue(asOf: LocalDate(iso: "2026-12-10")!))
        // Before the plan: F1, F2 at 2 of 1–5 (25%); since: F3, F4 also 25% → not improved.
        #expect(plan.before?.n == 2 && plan.since?.n == 2)
        #expect(plan.improved == false)
        try store.reviewActionPlan(id: id, on: LocalDate(iso: "2026-12-10")!, note: "No change yet; second session booked")
        plan = try #require(try store.actionPlans().first)
        #expect(plan.status == .reviewed)
        #expect(!plan.isDue(asOf: LocalDate(iso: "2026-12-31")!))
        #expect(throws: ParameterError.self) {
            try store.addActionPlan(agent: "A1", criterion: "smile", action: "x", agreedOn: LocalDate(iso: "2026-11-26")!, reviewBy: LocalDate(iso: "2026-12-10")!)
        }
    }
}

@Suite("contactqa quality and coaching")
struct QualityCommandTests {
    @Test func qualityJSONAndCoachingFromTheCommandLine() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"),
                               fixture("canonical/contacts_2026-W47.csv")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "scorecard", QualityTests.voice]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "evaluations", fixture("evaluations/evaluations_2026-W47.csv")]).status == 0)
        let json = try contactqa(["quality", "--store", store, "--week", "2026-W47", "--format", "json", "--feedback-packs", dir.path + "/packs"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["period", "group_by", "evaluations", "groups", "calibration"])
        let evaluations = object["evaluations"] as! [[String: Any]]
        #expect(evaluations.map { $0["evaluation_id"] as! String } == ["E1", "E2", "E3"])
        #expect(evaluations[1]["critical_failed"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/packs/Team-A/A1.md"))
        #expect(try contactqa(["coaching", "add", "--store", store, "--agent", "A1", "--criterion", "id_check", "--action", "Data-protection e-learning",
                               "--agreed-on", "2026-11-24", "--review-by", "2026-12-08"]).status == 0)
        let due = try contactqa(["coaching", "--store", store, "--due", "--as-of", "2026-12-08"])
        #expect(due.stdout.contains("#1 A1 · id_check · Data-protection e-learning"))
        #expect(due.stdout.contains("(DUE)"))
        #expect(try contactqa(["coaching", "review", "--store", store, "--id", "1", "--on", "2026-12-08"]).status == 0)
        #expect(try contactqa(["coaching", "--store", store, "--due", "--as-of", "2026-12-08"]).stdout == "no review is due\n")
    }
}

@Suite("Wide evaluation exports and drifting evaluators")
struct WideEvaluationTests {
    @Test func aColumnPerCriterionIsReadAsTheLongForm() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        let wide = dir.write("wide.csv", """
            evaluation_id,interaction_id,leg,evaluator_id,evaluated_at,scorecard_id,scorecard_version,greeting,id_check,accuracy,empathy,wrap_up,compliance,accuracy_comment
            W1,C1,1,Q1,2026-11-24,voice-standard,1,3,yes,4,NA,no,yes,"Quoted the right fee, email x@y.org"
            W2,C8,1,Q2,2026-11-24,voice-standard,1,2,yes,3,3,no,yes,
            """)
        let report = try EvaluationImporter(quarantineDirectory: dir.path + "/q").importFile(wide, into: store)
        #expect((report.log.rowsRead, report.log.inserted, report.log.rejected) == (2, 2, 0))
        // W1 reads as E1 of the long-form fixture: 77.78; W2 as E3: 65.
        #expect(try store.rows("SELECT evaluation_id, score FROM evaluations ORDER BY 1").map { "\(String.fromDatabaseValue($0[0])!)=\(Double.fromDatabaseValue($0[1])!)" }
            == ["W1=\(700.0 / 9)", "W2=65.0"])
        #expect(try store.rows("SELECT comment FROM evaluation_answers WHERE evaluation_id = 'W1' AND criterion_id = 'accuracy'")
            == [["Quoted the right fee, email [email]".databaseValue]])
        #expect(try store.rows("SELECT agent_id FROM evaluations WHERE evaluation_id = 'W1'") == [["A1".databaseValue]])  // from the leg
    }

    @Test func driftingEvaluators() {
        #expect(QualityReport.isDrifting([12, 13, 12.5]))
        #expect(!QualityReport.isDrifting([12.5, 12.5]))  // two legs say too little
        #expect(!QualityReport.isDrifting(Array(repeating: -9.9, count: 10)))  // under 10 points
        #expect(QualityReport.isDrifting(Array(repeating: -10, count: 10)))
        #expect(!QualityReport.isDrifting([40, -15, 5]))  // mean 10, but scattered: t = 0.63
    }

    /// Four evaluators score the same legs (three on each), one of them 15 points high; ratings otherwise
    /// scatter with sd 8 around the leg's true score. 2,000 seeded calibration rounds of 6 legs each: the
    /// median of the others as the consensus and the 1% test flag unbiased evaluators in 1.2% of rounds;
    /// the old rule (mean of the others, |mean| ≥ 10), under which they see the biased one in their
    /// consensus, flagged 10.75%. The price: with 4–5 shared legs the biased one is caught in 18.7% of
    /// rounds only — a bias is established over several calibration sessions, not one.
    @Test func aBiasedColleagueDoesNotMakeTheOthersLookDrifting() {
        var rng = SplitMix64(seed: 31)
        var unbiasedFlags = 0, oldUnbiasedFlags = 0, biasedFlags = 0
        let rounds = 2_000
        for _ in 0..<rounds {
            var legs: [[(evaluator: String, score: Double)]] = []
            for leg in 0..<6 {
                let truth = 60 + 20 * rng.unit()
                let who = [["Q1", "Q2", "Q3"], ["Q1", "Q2", "Q4"], ["Q1", "Q3", "Q4"], ["Q2", "Q3", "Q4"], ["Q1", "Q2", "Q3"], ["Q2", "Q3", "Q4"]][leg]
                legs.append(who.map { e in (e, truth + (e == "Q1" ? 15 : 0) + 8 * rng.normal()) })
            }
            let deviations = QualityEngine.deviations(legs)
            for (evaluator, values) in deviations {
                let flagged = QualityReport.isDrifting(values)
                if evaluator == "Q1" { biasedFlags += flagged ? 1 : 0 } else { unbiasedFlags += flagged ? 1 : 0 }
            }
            // The old rule: deviation from the mean of the others, flagged at |mean| ≥ 10 over 3 or more legs.
            var old: [String: [Double]] = [:]
            for members in legs {
                for (i, e) in members.enumerated() {
                    let others = members.enumerated().filter { $0.offset != i }.map(\.element.score)
                    old[e.evaluator, default: []].append(e.score - others.reduce(0, +) / Double(others.count))
                }
            }
            for (evaluator, values) in old where evaluator != "Q1" && values.count >= 3 && abs(values.reduce(0, +) / Double(values.count)) >= 10 {
                oldUnbiasedFlags += 1
            }
        }
        let unbiasedRate = Double(unbiasedFlags) / Double(3 * rounds)
        let oldRate = Double(oldUnbiasedFlags) / Double(3 * rounds)
        #expect(unbiasedRate <= 0.02, "unbiased evaluators flagged \(unbiasedRate)")
        #expect(oldRate > 2 * unbiasedRate, "old rule \(oldRate)")
    }
}

/// Seeded simulations through the estimator itself: do its 95% intervals cover at their nominal rate?
@Suite("QA interval coverage")
struct QACoverageTests {
    static func unit(_ id: String, cell: String, population: Int, score: Double, agent: String) -> EvaluationSummary {
        EvaluationSummary(evaluationID: id, interactionID: id, leg: 1, agent: agent, team: nil, evaluator: "Q", score: score,
                          criticalFailed: false, inSample: true, week: nil, cell: cell, sampleID: 1, cellPopulation: population)
    }

    /// Per-agent cells (the plan's per_agent): each agent handles 40 legs whose scores are normal around
    /// the agent's own level (sd 15); 4 or 6 are drawn at random and evaluated. 4,000 seeded agents each:
    /// the t interval with m − 1 degrees of freedom and the finite-population factor covers the agent's
    /// true mean 95% of the time (binomial sd 0.34 points). Observed with these seeds: 94.9% at m = 4,
    /// 95.35% at m = 6; the normal 1.96 would cover about 85.5% and 89.3% (2·T₃(1.96) − 1, 2·T₅(1.96) − 1,
    /// scipy.stats.t).
    @Test(arguments: [4, 6])
    func perAgentIntervalsCoverAtTheirNominalRate(m: Int) {
        var rng = SplitMix64(seed: UInt64(100 + m))
        var covered = 0
        let reps = 4_000
        for rep in 0..<reps {
            let level = 50 + 30 * rng.unit()
            let legs = (0..<40).map { _ in level + 15 * rng.normal() }
            let truth = legs.reduce(0, +) / 40
            var pool = Array(legs.indices)
            var drawn: [EvaluationSummary] = []
            for k in 0..<m {
                let pick = Int(rng.next() % UInt64(pool.count))
                drawn.append(QACoverageTests.unit("r\(rep)-\(k)", cell: "A", population: 40, score: legs[pool.remove(at: pick)], agent: "A"))
            }
            let estimate = QualityEngine.hajek(drawn) { _ in true }!
            if let ci = estimate.ci95, ci.lower <= truth, truth <= ci.upper { covered += 1 }
        }
        let coverage = Double(covered) / Double(reps)
        #expect(abs(coverage - 0.95) <= 0.02, "coverage \(coverage) at m = \(m)")
    }

    /// Thirty strata of 20 legs, stratum levels spread from 40 to 90, one leg evaluated in each: with the
    /// single-evaluation cells collapsed in pairs, the overall interval covers at least its nominal rate
    /// (collapsing is conservative when strata differ). Observed: 95.4%; left out of the variance, as
    /// before, they gave no interval at all.
    @Test func singleEvaluationCellsCollapsedGiveIntervalsThatCover() {
        var rng = SplitMix64(seed: 7)
        var covered = 0
        let reps = 2_000
        for rep in 0..<reps {
            var truth = 0.0
            var drawn: [EvaluationSummary] = []
            for h in 0..<30 {
                let level = 40 + 50 * Double(h) / 29
                let legs = (0..<20).map { _ in level + 10 * rng.normal() }
                truth += legs.reduce(0, +) / 20 / 30
                drawn.append(QACoverageTests.unit("r\(rep)-\(h)", cell: String(format: "s%02d", h), population: 20,
                                                  score: legs[Int(rng.next() % 20)], agent: "A"))
            }
            let estimate = QualityEngine.hajek(drawn) { _ in true }!
            if let ci = estimate.ci95, ci.lower <= truth, truth <= ci.upper { covered += 1 }
        }
        let coverage = Double(covered) / Double(reps)
        #expect(coverage >= 0.94, "coverage \(coverage)")
    }
}

extension FeedbackTests {
    /// A higher mean since the plan is not an improvement by itself: ratings 25% and 50% before, 75%, 25%
    /// and 50% since (means 37.5% → 50%) — the Welch interval of the change, −0.497 to 0.747 (scipy 1.17.1
    /// `ttest_ind(equal_var=False).confidence_interval()`), holds zero: no clear improvement. Ratings of
    /// 25%, 25% before and 100%, 75%, 100% since: an improvement.
    @Test func improvementNeedsMoreThanAHigherMean() {
        var plan = ActionPlan(id: 1, agent: "A1", criterion: "accuracy", action: "x", agreedOn: LocalDate(iso: "2026-11-26")!,
                              reviewBy: LocalDate(iso: "2026-12-10")!, status: .agreed)
        for x in [0.25, 0.5] { plan.beforeRatings.add(x) }
        for x in [0.75, 0.25, 0.5] { plan.sinceRatings.add(x) }
        #expect(plan.improved == false)
        plan.beforeRatings = Moments()
        plan.sinceRatings = Moments()
        for x in [0.25, 0.25] { plan.beforeRatings.add(x) }
        for x in [1.0, 0.75, 1.0] { plan.sinceRatings.add(x) }
        #expect(plan.improved == true)
        plan.beforeRatings = Moments()
        plan.beforeRatings.add(0.25)
        #expect(plan.improved == nil)
    }
}

extension FeedbackTests {
    /// The roster's display name heads the pack and the team summary; the agent's open action plans are
    /// listed with their review dates, and disappear once reviewed.
    @Test func packsCarryRosterNamesAndOpenActionPlans() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackTests.store(dir)
        _ = try store.upsertRoster(try RosterEntry.read(fixture("roster/agents.csv")))
        let id = try store.addActionPlan(agent: "A1", criterion: "accuracy", action: "Product knowledge session",
                                         agreedOn: LocalDate(iso: "2026-11-26")!, reviewBy: LocalDate(iso: "2026-12-10")!)
        let pack = try #require(try FeedbackPack.build(store: store, period: KPIEngineTests.week).first { $0.agent == "A1" })
        let markdown = try pack.markdown()
        #expect(markdown.hasPrefix("# Feedback for Asha Patel (A1)"))
        #expect(markdown.contains("## Your action plans\n\n- Product knowledge session (accuracy): agreed 2026-11-26, review by 2026-12-10"))
        #expect(FeedbackPack.teamSummary([pack], team: pack.team).contains("| Asha Patel (A1) | 4 | 0 | Gives accurate information |"))
        try store.reviewActionPlan(id: id, on: LocalDate(iso: "2026-12-10")!, note: nil)
        let reviewed = try #require(try FeedbackPack.build(store: store, period: KPIEngineTests.week).first { $0.agent == "A1" })
        #expect(!(try reviewed.markdown()).contains("Your action plans"))
    }
}
