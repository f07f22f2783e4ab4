@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// Hand-checked and independently computed values: u from Python's hashlib
/// (`int.from_bytes(sha256(b"contactqa-prn-v1|20261123|canonical|C1|1").digest()[:8], "big") / 2**64`),
/// Cochran sizes from `math.ceil(n0 / (1 + (n0 - 1) / N))` with `scipy.stats.norm.ppf(0.975)` (scipy 1.17.1, 2026-11-23).
@Suite("Sampling: sizes, allocation, permanent random numbers")
struct SamplingUnitTests {
    @Test func permanentRandomNumbersMatchTheFormula() {
        #expect(PermanentRandomNumber.bits(seed: 20_261_123, source: "canonical", interactionID: "C1", leg: 1) == 4_999_232_791_851_064_777)
        #expect(PermanentRandomNumber.u(seed: 20_261_123, source: "canonical", interactionID: "C1", leg: 1) == 0.2710089526842849)
        #expect(PermanentRandomNumber.u(seed: 20_261_123, source: "canonical", interactionID: "C4", leg: 2) == 0.9505086890840552)
        #expect(PermanentRandomNumber.u(seed: 7, source: "cloud-callcenter", interactionID: "300003", leg: 1) == 0.333793224712911)
    }

    @Test func cochranSizesRoundOnlyAtTheEnd() {
        #expect(SampleSize.forProportion(marginOfError: 0.05, confidence: 0.95, p: 0.5, population: 10_000) == 370)  // n0 = 384.146
        #expect(SampleSize.forProportion(marginOfError: 0.05, confidence: 0.95, p: 0.5, population: 100_000) == 383)
        #expect(SampleSize.forProportion(marginOfError: 0.1, confidence: 0.95, p: 0.5, population: 30) == 24)
        #expect(SampleSize.forProportion(marginOfError: 0.03, confidence: 0.95, p: 0.3, population: 5_000) == 761)
        #expect(SampleSize.forMean(marginOfError: 2, confidence: 0.95, sd: 12, population: 10_000) == 137)
        #expect(SampleSize.forMean(marginOfError: 1, confidence: 0.95, sd: 15, population: 2_000) == 604)
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(NormalDistribution.quantile(0.995) - 2.5758293035489004) < 1e-13)
    }

    @Test func largestRemainderAllocation() {
        #expect(Apportionment.largestRemainder(total: 10, weights: [50, 30, 20], capacities: [50, 30, 20]) == [5, 3, 2])
        #expect(Apportionment.largestRemainder(total: 10, weights: [1, 1, 1], capacities: [9, 9, 9]) == [4, 3, 3])  // tie → first
        // Quotas 4/3, 1/3, 1/3: the three remainders are equal (1/3), so the spare unit goes to the first.
        // Computed as quota − ⌊quota⌋ they differ in the last bit (0.33333333333333326 < 0.3333333333333333)
        // and the second stratum won: [1, 1, 0].
        #expect(Apportionment.largestRemainder(total: 2, weights: [4, 1, 1], capacities: [4, 1, 1]) == [2, 0, 0])
        #expect(Apportionment.largestRemainder(total: 5, weights: [0.7, 0.1, 0.2], capacities: [9, 9, 9]) == [4, 0, 1])
        #expect(Apportionment.largestRemainder(total: 7, weights: [1, 1, 1], capacities: [9, 9, 9]) == [3, 2, 2])
        #expect(Apportionment.largestRemainder(total: 10, weights: [5, 100], capacities: [5, 100]) == [0, 10])  // 0.476 vs 9.524
        #expect(Apportionment.largestRemainder(total: 10, weights: [1, 1], capacities: [2, 100]) == [2, 8])  // never above what a stratum holds
        #expect(Apportionment.largestRemainder(total: 50, weights: [1, 1], capacities: [2, 3]) == [2, 3])
        #expect(Apportionment.largestRemainder(total: 20, weights: [100 * 10, 100 * 30], capacities: [100, 100]) == [5, 15])  // Neyman N·S
    }
}

/// A frame of `count` units over two channels and a few agents, for design tests.
func syntheticFrame(_ count: Int, agents: Int = 4) -> [FrameUnit] {
    (0..<count).map { i in
        FrameUnit(source: "test", interactionID: "I\(i)", leg: 1, agent: "A\(i % agents)", team: "T\(i % 2)",
                  channel: i % 3 == 0 ? "chat" : "voice", arrivedAt: 1_790_000_000_000 + Int64(i) * 60_000, handleSeconds: 120)
    }
}

@Suite("Sampling designs")
struct SamplingDesignTests {
    func plan(_ yaml: String) throws -> SamplingPlan { try SamplingPlan.parse(yaml: yaml, file: "plan.yaml") }

    @Test func proportionalStrataFollowTheAllocationExactly() throws {
        let p = try plan("strata: [channel]\nsize: {n: 10}\nseed: 1\nframe: {exclude: {unacknowledged_agents: false}}\n")
        let drawn = try Sampler.draw(p, frame: SamplingFrame(candidates: syntheticFrame(90), plan: p))
        // 30 chat and 60 voice units: quotas 3.33 and 6.67 → 3 and 7.
        #expect(drawn.cells.map { "\($0.label):\($0.population)/\($0.size)" } == ["chat:30/3", "voice:60/7"])
        #expect(drawn.selected.count == 10)
        #expect(drawn.selected.filter { $0.stratum == "chat" }.allSatisfy { $0.inclusionProbability == 0.1 })
        #expect(drawn.selected.filter { $0.stratum == "voice" }.allSatisfy { abs($0.designWeight - 60.0 / 7) < 1e-12 })
    }

    @Test func perAgentMinimumsAndCapsMakeTheAgentPartOfTheCell() throws {
        let p = try plan("strata: [channel]\nsize: {n: 6}\nper_agent: {min: 2, max: 3}\nseed: 5\nframe: {exclude: {unacknowledged_agents: false}}\n")
        // 40 units, agents A0–A3; chat holds units 0, 3, 6, … (14 units).
        let drawn = try Sampler.draw(p, frame: SamplingFrame(candidates: syntheticFrame(40), plan: p))
        for cell in drawn.cells {
            #expect(cell.size >= 2 && cell.size <= 3, "\(cell.label)")
            #expect(cell.inclusionProbability == Double(cell.size) / Double(cell.population))
        }
        #expect(Set(drawn.cells.map(\.label)) == ["chat | A0", "chat | A1", "chat | A2", "chat | A3", "voice | A0", "voice | A1", "voice | A2", "voice | A3"])
        // Each cell's units are its n smallest u.
        for cell in drawn.cells {
            let units = drawn.units.filter { $0.cell == cell.label }
            let cutoff = units.filter(\.selected).map(\.bits).max()!
            #expect(units.filter { !$0.selected }.allSatisfy { $0.bits > cutoff })
        }
    }

    @Test func aMinimumAboveAnAgentsUnitsIsReportedNotHidden() throws {
        let p = try plan("size: {n: 4}\nper_agent: {min: 5}\nseed: 5\nframe: {exclude: {unacknowledged_agents: false}}\n")
        let drawn = try Sampler.draw(p, frame: SamplingFrame(candidates: syntheticFrame(12), plan: p))
        #expect(drawn.selected.count == 12)  // three units per agent, all taken
        #expect(drawn.adjustments == (0..<4).map { "agent A\($0) in all: minimum 5 asked, 3 in the frame: all taken" })
    }

    @Test func resultDoesNotDependOnInputOrderNorOnOtherCells() throws {
        let p = try plan("strata: [channel]\nsize: {n: 12}\nallocation: equal\nseed: 99\nframe: {exclude: {unacknowledged_agents: false}}\n")
        let units = syntheticFrame(300)
        var rng = SplitMix64(seed: 3)
        let a = try Sampler.draw(p, frame: SamplingFrame(candidates: units, plan: p))
        let b = try Sampler.draw(p, frame: SamplingFrame(candidates: units.shuffled(using: &rng), plan: p))
        #expect(a.selected.map(\.unit.id) == b.selected.map(\.unit.id))
        // Drop voice units that were not selected: with chat's n fixed (equal allocation), its selection cannot move.
        let selectedIDs = Set(a.selected.map(\.unit.id))
        let fewer = units.filter { unit in unit.channel == "chat" || selectedIDs.contains(unit.id) }
        let c = try Sampler.draw(p, frame: SamplingFrame(candidates: fewer, plan: p))
        let chatNow: [String] = c.selected.filter { $0.stratum == "chat" }.map(\.unit.id)
        let chatBefore: [String] = a.selected.filter { $0.stratum == "chat" }.map(\.unit.id)
        #expect(chatNow == chatBefore)
        let other = try Sampler.draw(try plan("strata: [channel]\nsize: {n: 12}\nallocation: equal\nseed: 100\nframe: {exclude: {unacknowledged_agents: false}}\n"),
                                     frame: SamplingFrame(candidates: units, plan: p))
        #expect(Set(other.selected.map(\.unit.id)) != Set(a.selected.map(\.unit.id)))
    }

    /// Over 2,000 seeds each unit's selection frequency must match its inclusion probability 0.2: the
    /// binomial standard deviation is √(0.2 · 0.8 / 2000) = 0.0089; the band is ± 0.045 (5 sd). Seeds are fixed: not flaky.
    @Test func selectionFrequenciesMatchInclusionProbabilities() throws {
        let units = syntheticFrame(60)  // 20 chat, 40 voice
        var counts: [String: Int] = [:]
        var poissonCounts: [String: Int] = [:]
        let seeds = 2_000
        for seed in 0..<seeds {
            let fixed = SamplingPlan(name: "f", size: .fixed(12), seed: UInt64(seed))
            var stratified = fixed
            stratified.strata = [.channel]
            stratified.excludeUnacknowledgedAgents = false
            for s in try Sampler.draw(stratified, frame: SamplingFrame(candidates: units, plan: stratified)).selected { counts[s.unit.id, default: 0] += 1 }
            var poisson = SamplingPlan(name: "p", size: .rate(0.2), seed: UInt64(seed))
            poisson.method = .poisson
            poisson.excludeUnacknowledgedAgents = false
            for s in try Sampler.draw(poisson, frame: SamplingFrame(candidates: units, plan: poisson)).selected { poissonCounts[s.unit.id, default: 0] += 1 }
        }
        for unit in units {
            #expect(abs(Double(counts[unit.id] ?? 0) / Double(seeds) - 0.2) < 0.045, "\(unit.id)")
            #expect(abs(Double(poissonCounts[unit.id] ?? 0) / Double(seeds) - 0.2) < 0.045, "\(unit.id)")
        }
    }

    @Test func neymanNeedsTheStratumSDs() throws {
        let p = try plan("strata: [channel]\nsize: {n: 20}\nallocation: neyman\nstratum_sd: {chat: 30, voice: 10}\nseed: 1\nframe: {exclude: {unacknowledged_agents: false}}\n")
        let drawn = try Sampler.draw(p, frame: SamplingFrame(candidates: syntheticFrame(90), plan: p))
        // N·S: chat 30 · 30 = 900, voice 60 · 10 = 600 → 12 and 8.
        #expect(drawn.cells.map(\.size) == [12, 8])
        let missing = try plan("strata: [channel]\nsize: {n: 20}\nallocation: neyman\nstratum_sd: {chat: 30}\nseed: 1\nframe: {exclude: {unacknowledged_agents: false}}\n")
        #expect(throws: SamplingError("neyman allocation needs the sd of stratum \"voice\" in `stratum_sd:`")) {
            try Sampler.draw(missing, frame: SamplingFrame(candidates: syntheticFrame(90), plan: missing))
        }
    }

    @Test func badPlansAreRefusedWithTheirLine() {
        func error(_ yaml: String) -> String? {
            do { _ = try SamplingPlan.parse(yaml: yaml, file: "plan.yaml"); return nil } catch { return "\(error)" }
        }
        #expect(error("strata: [chanel]\nsize: {n: 5}\nseed: 1\n") == "plan.yaml:1: strata: cannot stratify on \"chanel\" (did you mean \"channel\"?); use channel, team, agent, queue, direction, reason, risk_band")
        #expect(error("size: {margin_of_error: 1.5, proportion: 0.5}\nseed: 1\n") == "plan.yaml:1: size.margin_of_error: for a proportion the margin of error lies in [0.000001, 1), e.g. 0.05")
        #expect(error("size: {margin_of_error: 0, sd: 12}\nseed: 1\n") == "plan.yaml:1: size.margin_of_error: for a mean the margin of error is in score points, 0.000001–1000000")
        #expect(error("size: {n: 5}\n") == "plan.yaml:1: a plan needs `seed:` so that anyone can re-draw its samples")
        #expect(error("size: {n: 5}\nseed: 1\nper_agent: {min: 4, max: 2}\n")?.contains("the minimum per agent (4) is above the cap (2)") == true)
        #expect(error("size: {n: 5}\nseed: 1\nframe: {exclude: {no_monitoring_notice: false}}\n")?.contains("cannot be turned off") == true)
    }

    @Test func anEmptyFrameSaysWhy() throws {
        let p = try plan("size: {n: 5}\nseed: 1\n")
        var units = syntheticFrame(3)
        for i in units.indices { units[i].monitoringNotice = false }
        #expect(throws: SamplingError("the frame is empty: no handled leg of the period passes the plan's filters (3 excluded: 3 no_monitoring_notice)")) {
            try Sampler.draw(p, frame: SamplingFrame(candidates: units, plan: p))
        }
    }
}
