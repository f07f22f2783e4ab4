@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// `design: pps`: reviews go where problems are likely, and the design-weighted estimate still describes
/// the whole centre.
@Suite("Targeted sampling (pps)", .tags(.slow))
struct TargetedSamplingTests {
    /// Sizes 1, 1, 1, 4 and n = 2: the fourth would get 2·4/7 > 1, so it is certain and the other
    /// three share the remaining 1 (1/3 each); Σπ = 2. A floor of 0.5 raises the three to 0.5.
    @Test func probabilitiesProportionalToSizeWithCertaintyAndFloor() {
        let ids = ["a", "b", "c", "d"]
        let pi = Sampler.ppsProbabilities(sizes: [1, 1, 1, 4], ids: ids, expected: 2, floor: 0)
        let third: Double = 1.0 / 3
        #expect(abs(pi[0] - third) < 1e-12 && abs(pi[1] - third) < 1e-12 && abs(pi[2] - third) < 1e-12 && pi[3] == 1)
        #expect(Sampler.ppsProbabilities(sizes: [1, 1, 1, 4], ids: ids, expected: 2, floor: 0.5) == [0.5, 0.5, 0.5, 1])
        // Independent of the frame's order.
        #expect(Sampler.ppsProbabilities(sizes: [4, 1, 1, 1], ids: ["d", "a", "b", "c"], expected: 2, floor: 0)[0] == 1)
    }

    @Test func planKeys() throws {
        let plan = try SamplingPlan.parse(yaml: """
            name: targeted
            design: pps
            size: {n: 40}
            risk: {repeat: 4, transfer: 1, hold_s: 120}
            pi_min: 0.05
            seed: 7
            """, file: "p.yaml")
        #expect(plan.design == .pps && plan.method == .poisson && plan.piMin == 0.05)
        #expect(plan.risk.repeatContact == 4 && plan.risk.transfer == 1 && plan.risk.holdSeconds == 120 && plan.risk.lowCSAT == 3)
        #expect(plan.json.rendered().contains("\"design\": \"pps\""))
        for (yaml, message) in [
            ("design: pps\nsize: {rate: 0.1}\nseed: 1", "design pps takes the expected size as `n`"),
            ("size: {n: 5}\nrisk: {repeat: 2}\nseed: 1", "risk belongs to `design: pps` or to a plan stratified on risk_band"),
            ("size: {n: 5}\npi_min: 0.1\nseed: 1", "pi_min belongs to `design: pps`"),
            ("design: pps\nsize: {n: 5}\nrisk: {high_from: 4}\nseed: 1", "high_from sets the high risk band"),
            ("design: pps\nsize: {n: 5}\npi_min: 0\nseed: 1", "pi_min lies in (0, 1]"),
            ("design: pps\nsize: {n: 5}\nper_agent: {min: 2}\nseed: 1", "per_agent cannot be kept with design: pps"),
        ] {
            #expect(throws: (any Error).self) { try SamplingPlan.parse(yaml: yaml, file: "p.yaml") }
            do { _ = try SamplingPlan.parse(yaml: yaml, file: "p.yaml") } catch { #expect("\(error)".contains(message), "\(error)") }
        }
    }

    /// A frame of 1,000 legs, one in five with a problem signal (a repeat, a transfer or low CSAT) and
    /// a QA score 25 points lower on average. 2,000 seeded PPS draws of expected size 100 through the
    /// real sampler and the real estimator: the Hájek estimate with each unit's π is unbiased for the
    /// centre's mean (within 3 Monte-Carlo standard errors), its 95% intervals cover within 2 points of
    /// nominal, and the raw mean of the reviewed legs — what a targeted tool reports — is biased low.
    @Test func estimatesStayHonestUnderTargetedDraws() throws {
        var rng = SplitMix64(seed: 2026)
        var units: [FrameUnit] = []
        var scores: [String: Double] = [:]
        for i in 0..<1000 {
            var unit = FrameUnit(source: "sim", interactionID: "L\(i)", leg: 1, agent: "A\(i % 40)", channel: "voice", queue: "Q\(i % 3)",
                                 arrivedAt: 0, handleSeconds: 200 + 100 * rng.unit())
            let problem = rng.unit() < 0.2
            if problem {
                switch i % 3 {
                case 0: unit.signals.repeated = true
                case 1: unit.signals.transferred = true
                default: unit.signals.satisfied = false
                }
            }
            units.append(unit)
            scores[unit.id] = (problem ? 60 : 85) + 20 * (rng.unit() - 0.5)
        }
        let truth = scores.values.reduce(0, +) / Double(scores.count)
        let frame = SamplingFrame(candidates: units, plan: SamplingPlan(name: "x", size: .fixed(1), seed: 0))
        var plan = SamplingPlan(name: "targeted", size: .fixed(100), seed: 0)
        plan.design = .pps
        plan.method = .poisson
        var estimates: [Double] = []
        var rawMeans: [Double] = []
        var covered = 0
        var problemsPerReview: [Double] = []
        let runs = 2000
        for seed in 0..<runs {
            plan.seed = UInt64(seed)
            let drawn = try Sampler.draw(plan, frame: frame)
            let selected = drawn.selected
            let evaluations = selected.map { s in
                EvaluationSummary(evaluationID: s.unit.id, interactionID: s.unit.interactionID, leg: 1, agent: s.unit.agent, team: nil, evaluator: "Q",
                                  score: scores[s.unit.id], criticalFailed: false, inSample: true, week: nil, cell: s.cell, sampleID: 1,
                                  cellPopulation: nil, poissonProbability: s.inclusionProbability)
            }
            let estimate = try #require(QualityEngine.hajek(evaluations) { _ in true })
            estimates.append(estimate.value)
            rawMeans.append(evaluations.reduce(0) { $0 + $1.score! } / Double(evaluations.count))
            if let ci = estimate.ci95, ci.lower <= truth, truth <= ci.upper { covered += 1 }
            problemsPerReview.append(Double(selected.filter { $0.unit.signals != RiskSignals() }.count) / Double(selected.count))
        }
        func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
        func sd(_ x: [Double]) -> Double { let m = mean(x); return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot() }
        let mcse = sd(estimates) / Double(runs).squareRoot()
        #expect(abs(mean(estimates) - truth) < 3 * mcse, "mean estimate \(mean(estimates)) vs truth \(truth), MC SE \(mcse)")
        let coverage = Double(covered) / Double(runs)
        #expect(abs(coverage - 0.95) <= 0.02, "coverage \(coverage)")
        #expect(mean(rawMeans) < truth - 2, "the reviewed legs' raw mean \(mean(rawMeans)) should sit well below the truth \(truth)")
        // Reviews go where the problems are: a fifth of the frame, more than twice that share of the sample.
        #expect(mean(problemsPerReview) > 0.4, "\(mean(problemsPerReview))")
        print("pps simulation: truth \(truth), mean estimate \(mean(estimates)) (MC SE \(mcse)), raw mean \(mean(rawMeans)), coverage \(coverage), problem share of reviews \(mean(problemsPerReview))")
    }
}

/// A PPS plan on a real store: risky legs get larger π, each unit's π is recorded, and the sample verifies.
@Suite("Targeted sampling on a store")
struct TargetedSamplingStoreTests {
    @Test func riskyLegsGetLargerProbabilitiesAndTheSampleVerifies() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"),
                               fixture("canonical/contacts_2026-W47.csv"), fixture("canonical/fcr_repeats.csv")]).status == 0)
        let plan = dir.write("pps.yaml", """
            name: targeted
            design: pps
            frame: {exclude: {unacknowledged_agents: false}}
            size: {n: 4}
            risk: {repeat: 3, transfer: 2, low_csat: 3}
            pi_min: 0.05
            seed: 11
            """)
        let draw = try contactqa(["sample", "--store", store, "--plan", plan, "--week", "2026-W47", "--out", dir.path + "/w47"])
        #expect(draw.status == 0, "\(draw.stderr)")
        let rows = try #require(dir.read("w47/sample.csv")).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(dir.read("w47/sample.csv")).split(separator: "\n").first!.split(separator: ",").map(String.init)
        let piColumn = try #require(header.firstIndex(of: "inclusion_probability"))
        let probabilities = rows.compactMap { Double($0[piColumn]) }
        #expect(!probabilities.isEmpty)
        // The frame, with its signals, read the way the sampler reads it: risky legs get a larger π.
        let opened = try SQLiteStore(path: store)
        let candidates = try opened.frameCandidates(Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!), risk: RiskWeights())
        let units = SamplingFrame(candidates: candidates, plan: try SamplingPlan.load(file: plan)).units
        let sizes = RiskWeights().sizes(units)
        #expect(sizes.contains { $0 > 1 } && sizes.contains { $0 == 1 })
        // Every frame unit's π is recorded; a leg of larger size never has a smaller π.
        var recorded: [String: Double] = [:]
        for row in try opened.query("SELECT source || '|' || interaction_id || '|' || leg, inclusion_probability FROM sample_units") {
            recorded[row[0].string!] = row[1].double!
        }
        #expect(recorded.count == units.count)
        let bySize = zip(units, sizes).map { (recorded[$0.0.id]!, $0.1) }
        for a in bySize { for b in bySize where a.1 > b.1 { #expect(a.0 >= b.0) } }
        #expect(Set(recorded.values).count >= 2)
        #expect(abs(recorded.values.reduce(0, +) - 4) < 1.0)  // the expected size, up to the floor's lift
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/w47/manifest.json"))) as! [String: Any]
        #expect(((manifest["plan"] as? [String: Any])?["design"] as? String) == "pps")
        #expect(((manifest["plan"] as? [String: Any])?["method"] as? String) == "poisson")
        let verify = try contactqa(["sample", "verify", dir.path + "/w47/manifest.json"])
        #expect(verify.status == 0 && verify.stdout.hasPrefix("identical"), "\(verify.stdout) \(verify.stderr)")
    }
}
