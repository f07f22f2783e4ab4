@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// Samples drawn from a store: manifests, reuse, verification, spot checks, roster exclusions.
@Suite("Recorded samples")
struct SampleRecordTests {
    static let plan = """
        name: weekly
        frame: {direction: inbound}
        strata: [channel]
        size: {n: 40}
        per_agent: {min: 1, max: 8}
        seed: 20261123
        """

    /// A canonical file of `count` contacts (no line breaks inside fields, so its lines can be shuffled).
    static func contacts(_ count: Int, shuffledWith seed: UInt64? = nil, teamOf: (Int) -> String = { "Team \($0 % 3)" }) -> String {
        var lines = (0..<count).map { i in
            let notice = i % 17 == 0 ? "false" : "true"
            return "S\(i),\(i % 4 == 0 ? "chat" : "voice"),\(teamOf(i)),A\(i % 7),2026-11-\(16 + i % 7)T\(10 + i % 8):00:00Z,false,\(60 + i % 300),\(notice),rec/S\(i)"
        }
        if let seed {
            var rng = SplitMix64(seed: seed)
            lines.shuffle(using: &rng)
        }
        return "interaction_id,channel,team,agent_id,arrived_at,abandoned,talk_s,monitoring_notice,recording_ref\n" + lines.joined(separator: "\n") + "\n"
    }

    static func store(at path: String, _ csv: String, dir: TemporaryDirectory) throws -> SQLiteStore {
        let store = try SQLiteStore(path: path, createWithTimeZone: "Europe/London")
        try load(csv, into: store, dir: dir)
        return store
    }

    /// A fresh store on the backend with the contacts and a roster in which A0–A6 acknowledged monitoring.
    static func store(_ backend: Backend, _ csv: String, dir: TemporaryDirectory) throws -> (any SQLStore)? {
        let store: any SQLStore
        switch backend {
        case .sqlite: store = try SQLiteStore(path: dir.path + "/store-\(UUID().uuidString).sqlite", createWithTimeZone: "Europe/London")
        case .postgres, .sharded:
            guard let postgres = try makeStore(backend, dir) as? PostgresStore else { return nil }
            store = postgres
        }
        try load(csv, into: store, dir: dir)
        return store
    }

    static func load(_ csv: String, into store: any SQLStore, dir: TemporaryDirectory) throws {
        let file = dir.write("contacts-\(UUID().uuidString).csv", csv)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: nil, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.log.rejected == 0)
        let roster = dir.write("roster.csv", "agent_id,monitoring_acknowledged_on\n" + (0..<7).map { "A\($0),2026-01-01" }.joined(separator: "\n") + "\n")
        _ = try store.upsertRoster(try RosterEntry.read(roster))
    }

    static let week = Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!)

    @Test(arguments: Backend.allCases)
    func sameSeedAndFrameGiveByteIdenticalManifestsWhateverTheRowOrder(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        let plan = try SamplingPlan.parse(yaml: SampleRecordTests.plan, file: "plan.yaml")
        var outputs: [(String, String)] = []
        for shuffle in [nil, 42 as UInt64?] {
            guard let store = try SampleRecordTests.store(backend, SampleRecordTests.contacts(500, shuffledWith: shuffle), dir: dir) else { return }
            _ = try SamplingService(store: store).sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/out")
            // The manifest names the store; everything else must match.
            let manifest = dir.read("out/manifest.json")!.replacingOccurrences(of: store.location, with: "STORE")
            outputs.append((manifest, dir.read("out/sample.csv")!))
        }
        #expect(outputs[0].0 == outputs[1].0)
        #expect(outputs[0].1 == outputs[1].1)
        #expect(outputs[0].1.split(separator: "\n").count == 41)
        #expect(outputs[0].1.hasPrefix("source,interaction_id,leg,agent,team,channel,arrived_at,recording_ref,stratum,u,inclusion_probability,design_weight,reason\n"))
    }

    @Test(arguments: Backend.allCases)
    func aRecordedSampleIsReusedNeverSilentlyRedrawn(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try SampleRecordTests.store(backend, SampleRecordTests.contacts(300), dir: dir) else { return }
        let plan = try SamplingPlan.parse(yaml: SampleRecordTests.plan, file: "plan.yaml")
        let service = SamplingService(store: store)
        let (_, first) = try service.sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/a")
        let (_, second) = try service.sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/b")
        guard case .drawn(let id) = first else { Issue.record("expected a draw"); return }
        #expect(second == .reused(id))
        #expect(dir.read("a/manifest.json") == dir.read("b/manifest.json"))
        #expect(dir.read("a/sample.csv") == dir.read("b/sample.csv"))
        var changed = plan
        changed.seed = 1
        #expect(throws: SamplingError.self) { try service.sample(plan: changed, period: SampleRecordTests.week, out: dir.path + "/c") }
        let (_, third) = try service.sample(plan: changed, period: SampleRecordTests.week, out: dir.path + "/c", redraw: true)
        guard case .drawn(let newID) = third else { Issue.record("expected a redraw"); return }
        #expect(try store.query("SELECT superseded_by FROM samples WHERE id = ?", [.integer(id)]) == [[.integer(newID)]])
    }

    @Test(arguments: Backend.allCases)
    func contactsWithoutMonitoringNoticeAndUnacknowledgedAgentsAreNeverSelected(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try SampleRecordTests.store(backend, SampleRecordTests.contacts(200), dir: dir) else { return }
        // A6 has not acknowledged monitoring.
        _ = try store.upsertRoster(try RosterEntry.read(dir.write("late-roster.csv", "agent_id,monitoring_acknowledged_on\nA6,\n")))
        let plan = try SamplingPlan.parse(yaml: "name: all\nsize: {n: 1000}\nseed: 3\n", file: "p.yaml")
        let (manifest, _) = try SamplingService(store: store).sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/o")
        let noNotice = Set((0..<200).filter { $0 % 17 == 0 }.map { "canonical|S\($0)|1" })
        #expect(manifest.sample.exclusions[.noMonitoringNotice] == noNotice.count)
        #expect(manifest.sample.selected.allSatisfy { !noNotice.contains($0.unit.id) && $0.unit.agent != "A6" })
        // Of the 200 units: 12 without notice; of the rest, those of A6 (i % 7 == 6, and i % 17 != 0): 26.
        #expect(manifest.sample.exclusions[.unacknowledgedAgent] == (0..<200).filter { $0 % 7 == 6 && $0 % 17 != 0 }.count)
        #expect(manifest.sample.selected.count == 200 - 12 - 26)
        #expect(manifest.sample.adjustments == ["n = 1000 asked, the frame holds 162: every unit taken"])
    }

    @Test func verifyNamesLateDeletedAndChangedRows() throws {
        let dir = TemporaryDirectory()
        let store = try SampleRecordTests.store(at: dir.path + "/s.sqlite", SampleRecordTests.contacts(120), dir: dir)
        let plan = try SamplingPlan.parse(yaml: "name: v\nstrata: [team]\nsize: {n: 20}\nseed: 11\n", file: "p.yaml")
        let service = SamplingService(store: store)
        _ = try service.sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/o")
        #expect(try service.verify(manifestPath: dir.path + "/o/manifest.json").identical)

        // A late row arrives, S1 moves to another team, S2's leg is deleted.
        let late = dir.write("late.csv", "interaction_id,channel,team,agent_id,arrived_at,abandoned,talk_s\nLATE,voice,Team 0,A1,2026-11-18T09:00:00Z,false,100\n")
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: nil, quarantineDirectory: dir.path).importFile(late, into: store)
        let moved = dir.write("moved.csv", "interaction_id,channel,team,agent_id,arrived_at,abandoned,talk_s\nS1,voice,Team 9,A1,2026-11-17T11:00:00Z,false,61\n")
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: nil, quarantineDirectory: dir.path).importFile(moved, into: store)
        _ = try store.transaction { try $0.execute("DELETE FROM legs WHERE interaction_id = 'S2'") }

        let result = try service.verify(manifestPath: dir.path + "/o/manifest.json")
        #expect(!result.identical)
        #expect(result.differences.contains { $0.hasPrefix("late row: canonical|LATE|1 is in the frame now (cell Team 0)") })
        #expect(result.differences.contains { $0.hasPrefix("deleted row: canonical|S2|1 was in the frame (cell Team 2") })
        #expect(result.differences.contains("changed fields: canonical|S1|1 moved from cell Team 1 to Team 9"))
    }

    /// A plan whose cells draw one unit each is told that their variance will come from collapsed pairs.
    @Test func singleUnitCellsAreNamedInTheManifest() throws {
        let dir = TemporaryDirectory()
        let store = try SampleRecordTests.store(at: dir.path + "/s.sqlite", SampleRecordTests.contacts(120), dir: dir)
        let plan = try SamplingPlan.parse(yaml: "name: thin\nstrata: [team]\nsize: {n: 3}\nseed: 11\n", file: "p.yaml")
        let (manifest, _) = try SamplingService(store: store).sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/o")
        let single = manifest.sample.cells.filter { $0.size == 1 }.count
        #expect(single > 0)
        #expect(manifest.sample.adjustments.contains { $0.hasPrefix("\(single) cell") && $0.contains("per_agent: {min: 2}") })
    }

    /// A record whose stored u or π was altered no longer verifies: each is checked against the PRN formula
    /// and the plan, not only which units were selected.
    @Test func verifyChecksTheStoredRandomNumbersAndProbabilities() throws {
        let dir = TemporaryDirectory()
        let store = try SampleRecordTests.store(at: dir.path + "/s.sqlite", SampleRecordTests.contacts(120), dir: dir)
        let plan = try SamplingPlan.parse(yaml: "name: v\nstrata: [team]\nsize: {n: 20}\nseed: 11\n", file: "p.yaml")
        let service = SamplingService(store: store)
        _ = try service.sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/o")
        _ = try store.transaction { session in
            try session.execute("UPDATE sample_units SET inclusion_probability = 0.9 WHERE interaction_id = 'S1'")
            try session.execute("UPDATE sample_units SET u_bits = 7 WHERE interaction_id = 'S3'")
        }
        let result = try service.verify(manifestPath: dir.path + "/o/manifest.json")
        #expect(!result.identical)
        #expect(result.differences.contains { $0.hasPrefix("canonical|S1|1: the stored inclusion probability 0.9 is not the re-derived") })
        #expect(result.differences.contains("canonical|S3|1: the stored random number u is not the one the seed gives (the record was altered)"))
    }

    @Test func spotChecksComeOnTopOfTheSampleAndAreRecorded() throws {
        let dir = TemporaryDirectory()
        let store = try SampleRecordTests.store(at: dir.path + "/s.sqlite", SampleRecordTests.contacts(140), dir: dir)
        let plan = try SamplingPlan.parse(yaml: SampleRecordTests.plan, file: "plan.yaml")
        let service = SamplingService(store: store)
        let (routine, _) = try service.sample(plan: plan, period: SampleRecordTests.week, out: dir.path + "/r")
        let routineIDs = Set(routine.sample.selected.map(\.unit.id))
        let first = try service.spot(period: SampleRecordTests.week, agent: "A3", n: 3, seed: 1, out: dir.path + "/s1")
        let second = try service.spot(period: SampleRecordTests.week, agent: "A3", n: 3, seed: 1, out: dir.path + "/s2")
        let firstIDs = Set(first.sample.selected.map(\.unit.id))
        let secondIDs = Set(second.sample.selected.map(\.unit.id))
        #expect(firstIDs.count == 3 && secondIDs.count == 3)
        #expect(firstIDs.isDisjoint(with: routineIDs) && secondIDs.isDisjoint(with: routineIDs) && firstIDs.isDisjoint(with: secondIDs))
        #expect(first.sample.selected.allSatisfy { $0.unit.agent == "A3" })
        #expect(dir.read("s1/sample.csv")!.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(",spot") })
        #expect(try textRows(store, """
            SELECT COUNT(*) FROM sample_units u JOIN samples s ON s.id = u.sample_id
            WHERE s.kind = 'spot' AND s.period_from = '\(SampleRecordTests.week.from)' AND s.period_to = '\(SampleRecordTests.week.to)' AND u.selected = 1
            """) == [["6"]])
    }

    @Test func marginOfErrorOfTheDrawnSample() throws {
        // One stratum, N = 100, n = 20: z · √((1 − 0.2) · 0.25 / 20) = 1.959963984540054 · 0.1 = 0.1959963984540054.
        var plan = SamplingPlan(name: "m", size: .fixed(20), seed: 1)
        plan.excludeUnacknowledgedAgents = false
        let drawn = try Sampler.draw(plan, frame: SamplingFrame(candidates: syntheticFrame(100), plan: plan))
        let e = try #require(drawn.marginOfError)
        #expect(abs(e.proportion - 0.1959963984540054) < 1e-12)
        #expect(abs(e.meanPerSD - 0.3919927969080108) < 1e-12)
    }
}

@Suite("Already-evaluated exclusion")
struct AlreadyEvaluatedTests {
    /// C1 and C8 were evaluated before any sample (ad hoc): the weekly frame leaves them out and counts them.
    /// Once a sample of the week selects a leg and it is evaluated, verify still finds the sample identical.
    @Test func evaluatedLegsLeaveTheFrameButSampledOnesDoNotMoveIt() throws {
        let dir = TemporaryDirectory()
        let store = try QualityTests.store(dir)
        _ = try EvaluationImporter(quarantineDirectory: dir.path + "/q").importFile(fixture("evaluations/evaluations_2026-W47.csv"), into: store)
        var plan = SamplingPlan(name: "w", size: .fixed(3), seed: 4)
        plan.excludeUnacknowledgedAgents = false
        let service = SamplingService(store: store)
        let (manifest, _) = try service.sample(plan: plan, period: KPIEngineTests.week, out: dir.path + "/s")
        #expect(manifest.sample.exclusions[.alreadyEvaluated] == 2)  // C1 (E1, E3) and C8 (E2): two legs
        #expect(!manifest.sample.units.contains { ["C1", "C8"].contains($0.unit.interactionID) })
        // Evaluate what the sample selected, then verify.
        let head = "evaluation_id,interaction_id,leg,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating"
        let rows = manifest.sample.selected.enumerated().map { i, s in
            "S\(i),\(s.unit.interactionID),\(s.unit.leg),QX,2026-11-30,voice-standard,1,accuracy,4"
        }
        var importer = EvaluationImporter(quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        _ = try importer.importFile(dir.write("sampled.csv", ([head] + rows).joined(separator: "\n") + "\n"), into: store)
        #expect(try service.verify(manifestPath: dir.path + "/s/manifest.json").identical)
    }
}

extension SampleRecordTests {
    /// A spot check draws under the same data-protection rules as a routine sample: an agent who has not
    /// acknowledged monitoring for the period is not spot-checked, and the refusal says why.
    @Test func spotChecksRespectMonitoringAcknowledgement() throws {
        let dir = TemporaryDirectory()
        let store = try SampleRecordTests.store(at: dir.path + "/s.sqlite", SampleRecordTests.contacts(140), dir: dir)
        _ = try store.upsertRoster(try RosterEntry.read(dir.write("late-roster.csv", "agent_id,monitoring_acknowledged_on\nA3,2026-12-01\n")))
        let service = SamplingService(store: store)
        #expect(throws: SamplingError.self) { try service.spot(period: SampleRecordTests.week, agent: "A3", n: 2, seed: 1, out: dir.path + "/s") }
        do {
            _ = try service.spot(period: SampleRecordTests.week, agent: "A3", n: 2, seed: 1, out: dir.path + "/s")
        } catch let error as SamplingError {
            #expect(error.description.contains("unacknowledged"), "\(error)")
        }
    }
}
