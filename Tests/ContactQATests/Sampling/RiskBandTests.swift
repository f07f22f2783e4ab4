@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Risk bands as strata, and the three designs side by side on a store: a generated week loaded through
/// the importer, its frame and risk signals read from the store as `sample draw` reads them, problems
/// seeded where the signals make them likely, and a few hundred seeded draws of each design.
@Suite("Risk bands and targeted designs on a store", .tags(.slow))
struct RiskBandTests {
    static let clock = ZoneClock(identifier: "Europe/London")!

    @Test func bandsFollowTheSizeMeasureAndEnterTheFingerprint() throws {
        let plan = try SamplingPlan.parse(yaml: "name: b\nstrata: [risk_band]\nsize: {n: 30}\nallocation: equal\nrisk: {repeat: 4, high_from: 6}\nseed: 1", file: "p.yaml")
        #expect(plan.riskSignals != nil && plan.risk.highFrom == 6 && plan.risk.repeatContact == 4)
        var units = (0..<4).map { FrameUnit(source: "s", interactionID: "I\($0)", leg: 1, channel: "voice", queue: "Q", arrivedAt: 0, handleSeconds: 100) }
        units[1].signals.transferred = true                                   // 1 + 2 = 3: medium
        units[2].signals.repeated = true; units[2].signals.transferred = true  // 1 + 4 + 2 = 7: high
        units[3].signals.repeated = true                                      // 1 + 4 = 5: medium (high from 6)
        #expect(SamplingFrame(candidates: units, plan: plan).units.map(\.riskBand) == ["low", "medium", "high", "medium"])
        // The threshold is part of the plan's identity; a pps plan's fingerprint is unchanged by the new key.
        let other = try SamplingPlan.parse(yaml: "name: b\nstrata: [risk_band]\nsize: {n: 30}\nallocation: equal\nrisk: {repeat: 4, high_from: 5}\nseed: 1", file: "p.yaml")
        #expect(plan.fingerprint != other.fingerprint)
        let pps = try SamplingPlan.parse(yaml: "name: t\ndesign: pps\nsize: {n: 30}\nseed: 1", file: "p.yaml")
        #expect(!pps.json.rendered().contains("high_from"))
    }

    /// Through the command, as a QA lead runs it: the bands are cells of the manifest, and `sample verify`
    /// reads the signals again and finds the same sample.
    @Test func aBandedSampleIsDrawnAndVerified() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"),
                               fixture("canonical/contacts_2026-W47.csv"), fixture("canonical/fcr_repeats.csv")]).status == 0)
        let plan = dir.write("banded.yaml", """
            name: banded
            strata: [risk_band]
            frame: {exclude: {unacknowledged_agents: false}}
            size: {n: 6}
            allocation: equal
            risk: {repeat: 3, transfer: 2, high_from: 4}
            seed: 11
            """)
        let draw = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/w47"])
        #expect(draw.status == 0, "\(draw.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/w47/manifest.json"))) as! [String: Any]
        let cells = manifest["cells"] as? [[String: Any]] ?? []
        // With high_from 4, a repeat or low CSAT alone (1 + 3) is high; every leg of this week with a
        // signal has one of them, so there is no medium band: two bands, three reviews each.
        #expect(cells.compactMap { $0["cell"] as? String } == ["high", "low"])
        #expect(cells.compactMap { $0["sample"] as? Int } == [3, 3])
        #expect(cells.compactMap { $0["population"] as? Int }.reduce(0, +) == 21)
        let verify = try contactqa(["sample", "verify", dir.path + "/w47/manifest.json"])
        #expect(verify.status == 0 && verify.stdout.hasPrefix("identical"), "\(verify.stdout) \(verify.stderr)")
    }

    @Test func targetedDesignsFindMoreProblemsPerReviewAndStayUnbiased() throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(.sqlite, dir) else { return }
        let file = dir.path + "/week.csv"
        try SyntheticExport(rows: 3_000, seed: 5, start: LocalDate(iso: "2026-11-16")!, weeks: 1).write(to: file)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        let period = Period(week: ISOWeek("2026-W47")!, clock: RiskBandTests.clock)
        let exclude = "frame: {exclude: {unacknowledged_agents: false}}\n"
        let plans = [
            ("random", try SamplingPlan.parse(yaml: "name: r\n\(exclude)size: {n: 150}\nseed: 0", file: "r.yaml")),
            ("pps", try SamplingPlan.parse(yaml: "name: p\n\(exclude)design: pps\nsize: {n: 150}\nseed: 0", file: "p.yaml")),
            ("risk bands", try SamplingPlan.parse(yaml: "name: b\n\(exclude)strata: [risk_band]\nsize: {n: 150}\nallocation: equal\nseed: 0", file: "b.yaml")),
        ]
        // Problems are seeded from each leg's band (read from the store's signals): likelier where the
        // signals are, never certain, and present where there is none.
        let banded = SamplingFrame(candidates: try store.frameCandidates(period, risk: plans[2].1.riskSignals), plan: plans[2].1).units
        let bands = Dictionary(uniqueKeysWithValues: banded.map { ($0.id, $0.riskBand!) })
        #expect(Set(bands.values) == ["low", "medium", "high"])
        print("bands:", Dictionary(grouping: bands.values, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key })
        var random = SplitMix64(seed: 99)
        var problem: [String: Bool] = [:]
        var score: [String: Double] = [:]
        for unit in banded.sorted(by: { $0.id < $1.id }) {
            let p = ["low": 0.05, "medium": 0.2, "high": 0.5][bands[unit.id]!]!
            problem[unit.id] = random.unit() < p
            score[unit.id] = problem[unit.id]! ? 55 + 20 * random.unit() : 80 + 15 * random.unit()
        }
        let truth = score.values.reduce(0, +) / Double(score.count)
        let frameProblemShare = Double(problem.values.filter { $0 }.count) / Double(problem.count)
        var found: [String: Double] = [:]
        for (name, plan) in plans {
            let frame = SamplingFrame(candidates: try store.frameCandidates(period, risk: plan.riskSignals), plan: plan)
            #expect(frame.units.count == banded.count)
            var estimates: [Double] = [], raw: [Double] = [], share: [Double] = []
            var covered = 0
            let runs = 200
            var seeded = plan
            for seed in 0..<runs {
                seeded.seed = UInt64(seed)
                let drawn = try Sampler.draw(seeded, frame: frame)
                let population = Dictionary(uniqueKeysWithValues: drawn.cells.map { ($0.label, $0.population) })
                let evaluations = drawn.selected.map { s in
                    EvaluationSummary(evaluationID: s.unit.id, interactionID: s.unit.interactionID, leg: s.unit.leg, agent: s.unit.agent, team: nil,
                                      evaluator: "Q", score: score[s.unit.id], criticalFailed: false, inSample: true, week: nil, cell: s.cell, sampleID: 1,
                                      cellPopulation: population[s.cell], poissonProbability: plan.method == .poisson ? s.inclusionProbability : nil)
                }
                let estimate = try #require(QualityEngine.hajek(evaluations) { _ in true })
                estimates.append(estimate.value)
                raw.append(evaluations.reduce(0) { $0 + $1.score! } / Double(evaluations.count))
                share.append(Double(drawn.selected.filter { problem[$0.unit.id]! }.count) / Double(drawn.selected.count))
                if let ci = estimate.ci95, ci.lower <= truth, truth <= ci.upper { covered += 1 }
            }
            func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
            let sd = (estimates.reduce(0) { $0 + ($1 - mean(estimates)) * ($1 - mean(estimates)) } / Double(runs - 1)).squareRoot()
            let mcse = sd / Double(runs).squareRoot()
            let coverage = Double(covered) / Double(runs)
            #expect(abs(mean(estimates) - truth) < 3 * mcse, "\(name): mean estimate \(mean(estimates)) vs truth \(truth) (MC SE \(mcse))")
            #expect(abs(coverage - 0.95) <= 0.045, "\(name): coverage \(coverage)")
            found[name] = mean(share)
            print("\(name): problem share of reviews \(mean(share)) (frame \(frameProblemShare)), raw mean \(mean(raw)), estimate \(mean(estimates)) ± MC SE \(mcse), truth \(truth), SD of estimates \(sd), coverage \(coverage)")
            if name != "random" { #expect(mean(raw) < truth - 0.5, "\(name): the reviewed legs' own mean is biased towards the problems") }
        }
        #expect(abs(found["random"]! - frameProblemShare) < 0.01)
        // More problems per review than a random sample of the same size (each share is a mean over
        // 200 × 150 reviews: its Monte-Carlo error is about 0.2 points).
        #expect(found["pps"]! > found["random"]! + 0.03)
        #expect(found["risk bands"]! > found["random"]! + 0.03)
    }
}
