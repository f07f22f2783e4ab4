@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// The week's sample assigned to the QA team: nobody evaluates themselves or a team they are excluded
/// from, nobody goes over capacity, loads follow capacity, calibration double-scores a share, and the
/// same sample and team give the same file byte for byte.
@Suite("Assignment of the sample to evaluators")
struct AssignmentTests {
    /// `count` selected units, agents a0…a5 in teams T0…T2 (a0 and a3 in T0), PRNs from a seeded generator.
    static func units(_ count: Int, seed: UInt64 = 5) -> [SampledUnit] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { i in
            var unit = FrameUnit(source: "s", interactionID: "I\(i)", leg: 1, channel: "voice", arrivedAt: 0)
            unit.agent = "a\(i % 6)"
            unit.team = "T\(i % 3)"
            return SampledUnit(unit: unit, cell: "voice", stratum: "voice", bits: random.next(), inclusionProbability: 0.5, selected: true)
        }
    }

    static let team = [
        Evaluator(id: "E1", name: nil, capacity: 10, excludedTeams: ["T0"]),
        Evaluator(id: "E2", name: nil, capacity: 6, excludedTeams: []),
        Evaluator(id: "E3", name: nil, capacity: 4, excludedTeams: ["T2"]),
        Evaluator(id: "a1", name: nil, capacity: 4, excludedTeams: []),  // a colleague who also evaluates
    ]

    @Test func rulesCapacityAndProportion() throws {
        let units = AssignmentTests.units(20)
        let plan = AssignmentPlan.assign(units, to: AssignmentTests.team, calibrationShare: 0)
        #expect(plan.assignments.count == 20 && plan.unassigned.isEmpty)
        let byID = Dictionary(uniqueKeysWithValues: units.map { ($0.unit.interactionID, $0.unit) })
        for a in plan.assignments {
            let unit = byID[a.interactionID]!
            let evaluator = AssignmentTests.team.first { $0.id == a.evaluatorID }!
            #expect(evaluator.id != unit.agent, "\(a)")
            #expect(!evaluator.excludedTeams.contains(unit.team!), "\(a)")
        }
        // 20 units over capacities 10, 6, 4, 4 (total 24): each load within one of its share 20·c/24,
        // and never above capacity.
        for load in plan.loads {
            let share = 20 * Double(load.capacity) / 24
            #expect(abs(Double(load.assigned) - share) <= 1.0 + 1e-9, "\(load) \(plan.loads)")
            #expect(load.assigned <= load.capacity)
        }
        // The same sample and team, in another order: the same file.
        let again = AssignmentPlan.assign(units.reversed(), to: AssignmentTests.team.reversed(), calibrationShare: 0)
        #expect(again.csv == plan.csv)
    }

    @Test func overCapacityAndImpossibleUnitsStayUnassignedWithTheReason() {
        let small = [Evaluator(id: "E1", name: nil, capacity: 3, excludedTeams: ["T0"])]
        let plan = AssignmentPlan.assign(AssignmentTests.units(12), to: small, calibrationShare: 0)
        #expect(plan.assignments.count == 3)
        #expect(plan.unassigned.count == 9)
        #expect(plan.unassigned.filter { $0.reason == "no evaluator may evaluate team T0" }.count == 4)
        #expect(plan.unassigned.filter { $0.reason == "every evaluator allowed is at capacity" }.count == 5)
        #expect(plan.summary == "assigned E1 3/3; 9 unassigned: 4 because no evaluator may evaluate team T0; 5 because every evaluator allowed is at capacity")
    }

    @Test func calibrationDoubleScoresAShareByAnotherEvaluator() {
        let plan = AssignmentPlan.assign(AssignmentTests.units(20), to: AssignmentTests.team, calibrationShare: 0.25)
        let primary = plan.assignments.filter { !$0.calibration }
        let second = plan.assignments.filter(\.calibration)
        #expect(primary.count == 20)
        // round(0.25 × each evaluator's primary count), summed.
        let expected = AssignmentTests.team.map { e in Int((Double(primary.filter { $0.evaluatorID == e.id }.count) * 0.25).rounded()) }.reduce(0, +)
        #expect(second.count == expected && expected >= 4)
        for c in second {
            let first = primary.first { $0.interactionID == c.interactionID }!
            #expect(first.evaluatorID != c.evaluatorID)
        }
        // One line per scoring, sorted by interaction and leg, the calibration line after the first.
        let lines = plan.csv.split(separator: "\n")
        #expect(lines[0] == "interaction_id,leg,evaluator_id,calibration")
        #expect(lines.count == 21 + expected)
    }

    @Test func theTeamFileIsCheckedWithLineAndField() {
        let dir = TemporaryDirectory()
        func problem(_ text: String) -> String {
            do { return "read \(try Evaluator.read(dir.write("team.csv", text)).count)" } catch { return "\(error)" }
        }
        #expect(problem("evaluator_id,name,capacity,excluded_teams\nQ1,A,5,Team A;East\nQ2,,3,\n") == "read 2")
        #expect(problem("evaluator_id,name\nQ1,A\n").contains("field \"capacity\": the QA team file needs the columns"))
        #expect(problem("evaluator_id,capacity\nQ1,five\n") == #"team.csv, line 2, field "capacity": capacity is a whole number of evaluations per week, 0 to 10000, not "five""#)
        #expect(problem("evaluator_id,capacity\nQ1,5\nQ1,6\n") == #"team.csv, line 3, field "evaluator_id": Q1 is listed twice"#)
        #expect(problem("evaluator_id,capacity\n,5\n") == #"team.csv, line 2, field "evaluator_id": evaluator_id is empty"#)
    }

    /// The command and the nightly job: assignments.csv beside the sample, the same bytes when the
    /// recorded sample is written again, and each evaluator's progress in the report.
    @Test func theCommandAndTheNightlyJobWriteAssignments() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"),
                               fixture("canonical/contacts_2026-W47.csv")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "roster", fixture("roster/agents.csv")]).status == 0)
        let plan = repositoryRoot + "/pipelines/plans/weekly-routine.yaml"
        let team = fixture("qa-team/evaluators.csv")
        let draw = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/w47", "--evaluators", team])
        #expect(draw.status == 0, "\(draw.stderr)")
        #expect(draw.stderr.contains("assigned A3 "), "\(draw.stderr)")
        let assignments = try #require(dir.read("w47/assignments.csv"))
        let sample = try #require(dir.read("w47/sample.csv")).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let rows = assignments.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(rows.count == sample.count)
        let evaluators = try Evaluator.read(team)
        for row in rows {
            let unit = try #require(sample.first { $0[1] == row[0] && $0[2] == row[1] })
            let evaluator = try #require(evaluators.first { $0.id == row[2] })
            #expect(evaluator.mayEvaluate(agent: String(unit[3]), team: String(unit[4])), "\(row) for \(unit)")
        }
        let again = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/again", "--evaluators", team])
        #expect(again.stderr.contains("reused the recorded sample"))
        #expect(dir.read("again/assignments.csv") == assignments)

        // The nightly job with `sampling: {plan, evaluators}`.
        let pipeline = try String(contentsOfFile: try RunnerTests.pipeline(dir), encoding: .utf8)
            .replacingOccurrences(of: "sampling: {plan: ", with: "sampling: {evaluators: \(team), plan: ")
        let file = dir.write("assigned.yaml", pipeline)
        #expect(try contactqa(["run", file, "--week", "2026-W47", "--as-of", "2026-11-30", "--quiet"]).status == 0)
        let report = try #require(dir.read("reports/2026-W47/report.md"))
        let line = try #require(report.split(separator: "\n").first { $0.hasPrefix("Evaluated of assigned, by evaluator: ") })
        #expect(line.contains("A3 ") && line.contains("Q1 ") && line.contains(" of "), "\(line)")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/reports/2026-W47/sample/assignments.csv"))
        #expect(try #require(dir.read("reports/2026-W47/report.html")).contains("Evaluated of assigned, by evaluator: "))
    }
}

/// The QA team's week in a real browser: the sample assigned with calibration, each evaluator's form
/// filled in headless Chromium, the downloaded files ingested as evaluations.
@Suite("Evaluation forms", .tags(.slow))
struct EvaluationFormTests {
    @Test func threeEvaluatorsFillTheirFormsAndTheEvaluationsLoad() throws {
        guard let chromium = try Chromium.executable() else { return }
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"),
                               fixture("canonical/contacts_2026-W47.csv")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "roster", fixture("roster/agents.csv")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "scorecard", repositoryRoot + "/pipelines/scorecards/voice-standard.yaml",
                               repositoryRoot + "/pipelines/scorecards/written-standard.yaml"]).status == 0)
        let plan = dir.write("plan.yaml", try String(contentsOfFile: repositoryRoot + "/pipelines/plans/weekly-routine.yaml", encoding: .utf8)
            + "calibration_share: 0.5\n")
        let draw = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/w47",
                                  "--evaluators", fixture("qa-team/evaluators.csv")])
        #expect(draw.status == 0, "\(draw.stderr)")
        let assignments = try #require(dir.read("w47/assignments.csv")).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let calibrated = assignments.filter { $0[3] == "true" }
        #expect(!calibrated.isEmpty)

        // Three evaluators fill their forms as they would in a browser, and send the files.
        let evaluators = ["Q1", "Q2", "Q3"]
        var files: [String] = []
        for evaluator in evaluators {
            let form = dir.path + "/w47/forms/\(evaluator).html"
            let out = dir.path + "/evaluations_\(evaluator).csv"
            let checked = try Chromium.check(["--form", "--fill", out, "--chromium", chromium, form])
            #expect(checked.status == 0, "\(evaluator): \(checked.stderr)")
            files.append(out)
        }
        let ingest = try contactqa(["ingest", "--store", store, "--source", "evaluations"] + files)
        #expect(ingest.status == 0, "\(ingest.stderr)")

        // Every scoring asked of the three is in the store, by its evaluator, rated at the top of
        // every scale: 100. Calibration scorings carry their session; the comment's phone number
        // was redacted on the way in.
        let opened = try SQLiteStore(path: store)
        let stored = try textRows(opened, "SELECT interaction_id, leg, evaluator_id, score, calibration_session FROM evaluations ORDER BY 1, 3")
        let asked = assignments.filter { evaluators.contains($0[2]) }
        #expect(stored.count == asked.count, "\(stored) vs \(asked)")
        for a in asked {
            let row = try #require(stored.first { $0[0] == a[0] && $0[1] == a[1] && $0[2] == a[2] }, "\(a)")
            #expect(row[3] == "100")
            #expect((row[4] != nil) == (a[3] == "true"), "\(a): \(row)")
        }
        #expect(try textRows(opened, "SELECT COUNT(*) FROM evaluation_answers WHERE comment LIKE '%900123%'") == [["0"]])
        #expect(try textRows(opened, "SELECT COUNT(*) FROM evaluation_answers WHERE comment LIKE '%call back on%'") != [["0"]])

        // The agent of one of Q1's evaluations acknowledges the week's pack and disputes it; the next
        // assignment gives the re-evaluation to someone else, whose form has it; filled and loaded, it
        // replaces the disputed one in the estimates (upheld: the same ratings), the first kept.
        let disputed = try #require(asked.first { $0[2] == "Q1" && $0[3] == "false" })
        let evaluation = try #require(try textRows(opened, "SELECT evaluation_id, agent_id FROM evaluations WHERE interaction_id = '\(disputed[0])' AND evaluator_id = 'Q1'").first)
        #expect(try contactqa(["ingest", "--store", store, "--source", "acknowledgements",
                               dir.write("acks.csv", "agent_id,week,acknowledged_on\n\(evaluation[1]!),2026-W47,2026-11-30\n")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "disputes",
                               dir.write("disputes.csv", "evaluation_id,raised_on,reason\n\(evaluation[0]!),2026-11-30,I followed the procedure\n")]).status == 0)
        let again = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/w47",
                                   "--evaluators", fixture("qa-team/evaluators.csv")])
        #expect(again.status == 0, "\(again.stderr)")
        let reEvaluations = try #require(dir.read("w47/re-evaluations.csv")).split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(reEvaluations.count == 1 && reEvaluations[0][0] == evaluation[0]! && reEvaluations[0][3] != "Q1", "\(reEvaluations)")
        let reEvaluator = reEvaluations[0][3]
        #expect(try #require(dir.read("w47/forms/\(reEvaluator).html")).contains("I followed the procedure"))
        let out = dir.path + "/re-\(reEvaluator).csv"
        let filled = try Chromium.check(["--form", "--fill", out, "--chromium", chromium, dir.path + "/w47/forms/\(reEvaluator).html"])
        #expect(filled.status == 0, "\(filled.stderr)")
        let loaded = try contactqa(["ingest", "--store", store, "--source", "evaluations", out])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        let period = Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!)
        let loop = try #require(try opened.feedbackLoop(period, week: ISOWeek("2026-W47")!))
        #expect(loop.evaluations.filter(\.disputed).map(\.overturned) == [false])
        let estimates = try QualityEngine(store: opened).report(period: period, groupBy: .agent).evaluations.map(\.evaluationID)
        #expect(!estimates.contains(evaluation[0]!) && estimates.contains { $0.hasSuffix("-re-\(evaluation[0]!)") })
        #expect(try textRows(opened, "SELECT COUNT(*) FROM evaluations WHERE evaluation_id = '\(evaluation[0]!)'") == [["1"]])
        // Every assignment is kept in the store, the re-evaluation's too.
        #expect(try textRows(opened, "SELECT COUNT(*) FROM assignments") == [["\(assignments.count + 1)"]])
        #expect(try textRows(opened, "SELECT evaluator_id FROM assignments WHERE re_evaluates = '\(evaluation[0]!)'") == [[reEvaluator]])
        // The agent asks for their records: who was asked to evaluate them, the disputed evaluation, its re-evaluation, upheld.
        let records = try contactqa(["records", "--store", store, "--agent", evaluation[1]!])
        #expect(records.status == 0 && records.stdout.contains("\"outcome\": \"upheld\"") && records.stdout.contains("\"re_evaluates\": \"\(evaluation[0]!)\""))
        #expect(records.stdout.contains("\"evaluator_id\": \"\(reEvaluator)\"") && records.stdout.contains("\"assigned_on\""))
    }
}
