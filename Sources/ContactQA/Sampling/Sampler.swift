import Crypto
import Foundation

/// A cell of a design: a stratum, or a stratum and agent when the plan sets per-agent limits.
struct SampleCell: Sendable, Equatable {
    package var label: String
    var stratum: String
    package var agent: String?
    /// N_cell: frame units in the cell.
    var population: Int
    /// n_cell: units drawn (for Poisson sampling, the units that fell below π).
    package var size: Int
    /// π_cell: n/N for fixed sizes, the plan's rate for Poisson sampling.
    var inclusionProbability: Double
}

/// A frame unit with its permanent random number and its fate in the draw.
package struct SampledUnit: Sendable, Equatable {
    package var unit: FrameUnit
    var cell: String
    var stratum: String
    var bits: UInt64
    var u: Double { PermanentRandomNumber.unit(bits) }
    var inclusionProbability: Double
    var designWeight: Double { 1 / inclusionProbability }
    package var selected: Bool

    /// Cell, then u, then identity: the order of `sample.csv`.
    static func manifestOrder(_ a: SampledUnit, _ b: SampledUnit) -> Bool {
        if a.cell != b.cell { return a.cell < b.cell }
        return selectionOrder(a, b)
    }

    /// u, then source, interaction id and leg for exact ties: the order a cell is drawn in.
    static func selectionOrder(_ a: SampledUnit, _ b: SampledUnit) -> Bool {
        if a.bits != b.bits { return a.bits < b.bits }
        return (a.unit.source, a.unit.interactionID, a.unit.leg) < (b.unit.source, b.unit.interactionID, b.unit.leg)
    }
}

/// SHA-256 over lines fed in order, in lowercase hex: a frame's fingerprint.
struct SHA256Lines {
    private var hasher = SHA256()
    mutating func add(_ line: String) { hasher.update(data: Data(line.utf8)) }
    var hex: String { hasher.finalize().map { pad16($0) }.joined() }
}

/// Why a plan cannot be drawn as written.
package struct SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// A drawn sample: the design (cells and sizes), every frame unit with its u, and what was adjusted.
package struct DrawnSample: Sendable {
    package var plan: SamplingPlan
    package var units: [SampledUnit]
    var cells: [SampleCell]
    var exclusions: [ExclusionReason: Int]
    /// The total the plan asked for (after Cochran), before per-agent limits moved it.
    var requestedSize: Int
    /// How the requested size was found, in words.
    var sizeRule: String
    /// Every departure from the plan, reported: a minimum larger than an agent's units, n above the frame.
    package var adjustments: [String]
    /// The frame's size when `units` holds only the selected units (a frame streamed from the store).
    var frameUnits: Int?

    package var selected: [SampledUnit] { units.filter(\.selected) }
    /// How many units the frame held.
    package var frameSize: Int { frameUnits ?? units.count }

    /// SHA-256 over the lines `id|cell` of the frame's units, sorted by their UTF-8 bytes: equal
    /// fingerprints, equal frames.
    var frameFingerprint: String { DrawnSample.fingerprint(units) }

    static func fingerprint(_ units: [SampledUnit]) -> String {
        var hasher = SHA256Lines()
        for line in units.map({ "\($0.unit.id)|\($0.cell)\n" }).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { hasher.add(line) }
        return hasher.hex
    }

    /// The margin of error the drawn design gives at 95%, for a proportion (at p = 0.5, the widest)
    /// and for a mean per unit of standard deviation: z·√(Σ W_h² (1 − f_h) σ² / n_h) over the cells
    /// (Cochran 1977, eq. 5.6 with p(1 − p) for σ²). Nil when a cell of the frame got no unit.
    var marginOfError: (proportion: Double, meanPerSD: Double)? {
        let total = Double(cells.reduce(0) { $0 + $1.population })
        guard total > 0, cells.allSatisfy({ $0.size > 0 }) else { return nil }
        var sum = 0.0
        for cell in cells {
            let w = Double(cell.population) / total
            let f = Double(cell.size) / Double(cell.population)
            sum += w * w * (1 - f) / Double(cell.size)
        }
        return (z95 * (0.25 * sum).squareRoot(), z95 * sum.squareRoot())
    }
}

/// Draws samples by permanent random numbers (DESIGN.md §4).
enum Sampler {
    /// Draws the plan's sample from a frame.
    ///
    /// The result depends only on the plan, its seed and the set of frame units — not on their order
    /// and, within a cell, not on units of other cells.
    /// - Complexity: O(N log N) for N frame units (one SHA-256 each, one sort per cell).
    package static func draw(_ plan: SamplingPlan, frame: SamplingFrame) throws(SamplingError) -> DrawnSample {
        guard !frame.units.isEmpty else {
            let excluded = frame.exclusions.values.reduce(0, +)
            throw SamplingError("the frame is empty: no handled leg of the period passes the plan's filters" + (excluded > 0 ? " (\(excluded) excluded: \(describe(frame.exclusions)))" : ""))
        }
        // Strata, sorted by label, as indices into the frame (units are copied once, into the result).
        var byStratum: [String: [Int]] = [:]
        for (i, unit) in frame.units.enumerated() { byStratum[stratumLabel(unit, plan), default: []].append(i) }
        let perAgent = plan.perAgentMin != nil || plan.perAgentMax != nil
        var counts: [String: [String: Int]] = [:]
        var byCell: [String: [Int]] = [:]
        for (stratum, indices) in byStratum {
            if perAgent {
                for i in indices {
                    let agent = frame.units[i].agent ?? ""
                    byCell["\(stratum)\u{1F}\(agent)", default: []].append(i)
                    counts[stratum, default: [:]][agent, default: 0] += 1
                }
            } else {
                byCell["\(stratum)\u{1F}"] = indices
                counts[stratum] = ["": indices.count]
            }
        }
        let rateSum = plan.stratumRates.isEmpty ? nil : frame.units.reduce(0.0) { (sum: Double, unit: FrameUnit) in
            if case .rate(let r) = plan.size { return sum + (plan.stratumRates[stratumLabel(unit, plan)] ?? r) }
            return sum
        }
        let design = try Sampler.design(plan, counts: counts, rateSum: rateSum)
        var cells = design.cells
        var adjustments = design.adjustments
        let requested = design.requested
        let total = frame.units.count
        var members: [String: [Int]] = [:]
        for cell in cells { members[cell.label] = byCell["\(cell.stratum)\u{1F}\(cell.agent ?? "")"] ?? [] }

        // A targeted design: every leg's own π, proportional to its risk, over the whole frame.
        var ppsPi: [Double] = []
        if plan.design == .pps {
            ppsPi = ppsProbabilities(sizes: plan.risk.sizes(frame.units), ids: frame.units.map(\.id), expected: requested, floor: plan.piMin)
            let expected = ppsPi.reduce(0, +)
            if expected > Double(requested) + 0.5 {
                adjustments.append(String(format: "pi_min %g raised the expected size from %d to %.1f", plan.piMin, requested, expected))
            }
        }
        var sampled: [SampledUnit] = []
        sampled.reserveCapacity(total)
        for c in cells.indices {
            let cell = cells[c]
            var units = members[cell.label]!.map { index in
                let unit = frame.units[index]
                return SampledUnit(unit: unit, cell: cell.label, stratum: cell.stratum,
                            bits: PermanentRandomNumber.bits(seed: plan.seed, source: unit.source, interactionID: unit.interactionID, leg: unit.leg),
                            inclusionProbability: ppsPi.isEmpty ? 0 : ppsPi[index], selected: false)
            }
            units.sort(by: SampledUnit.selectionOrder)
            let pi: Double
            if plan.design == .pps {
                // Each unit's own π, set when it was made: u < π, compared on the integers.
                for i in units.indices {
                    let p = units[i].inclusionProbability
                    if p >= 1 || units[i].bits < UInt64(min(p * 18_446_744_073_709_551_616.0, 18_446_744_073_709_549_568.0)) { units[i].selected = true }
                }
                cells[c].size = units.filter(\.selected).count
                // The cell's expected fraction; each unit keeps its own π.
                cells[c].inclusionProbability = units.reduce(0) { $0 + $1.inclusionProbability } / Double(max(1, units.count))
                sampled += units
                continue
            } else if case .rate(let planRate) = plan.size {
                let r = plan.stratumRates[cell.stratum] ?? planRate
                pi = r
                // u < π, compared on the integers: bits < π · 2^64.
                let scaled = r * 18_446_744_073_709_551_616.0
                let everything = scaled >= 18_446_744_073_709_549_568.0
                let threshold = everything ? UInt64.max : UInt64(scaled)
                for i in units.indices where everything || units[i].bits < threshold { units[i].selected = true }
                cells[c].size = units.filter(\.selected).count
            } else {
                pi = Double(cell.size) / Double(cell.population)
                for i in 0..<cell.size { units[i].selected = true }
            }
            cells[c].inclusionProbability = pi
            for i in units.indices { units[i].inclusionProbability = pi }
            sampled += units
        }
        adjustments += singleUnitCells(cells, plan)
        return DrawnSample(plan: plan, units: sampled, cells: cells, exclusions: frame.exclusions, requestedSize: requested,
                           sizeRule: design.rule, adjustments: adjustments)
    }

    /// A cell that draws one unit has no variance of its own: its estimate's SE comes from collapsing
    /// it with a neighbour (docs/quality.md). Say so, so that a plan wanting estimates per cell asks for 2.
    static func singleUnitCells(_ cells: [SampleCell], _ plan: SamplingPlan) -> [String] {
        let single = cells.filter { $0.size == 1 }.count
        guard single > 0, plan.method != .poisson else { return [] }
        return ["\(single) cell\(single == 1 ? "" : "s") drew a single unit: \(single == 1 ? "its" : "their") variance is estimated by collapsing cells in pairs; per_agent: {min: 2} gives each cell a variance of its own"]
    }

    /// The cells of a design and their planned sizes, from the frame's counts alone.
    struct Design {
        /// In drawing order: strata by label, agents by id (no agent last); π and Poisson sizes set later.
        var cells: [SampleCell]
        var requested: Int
        var rule: String
        var adjustments: [String]
    }

    /// The design of a plan over a frame of which only the counts are known: units per stratum and,
    /// within it, per agent ("" for none; a single "" entry when the plan sets no per-agent limits).
    /// - Parameter rateSum: Σ over the frame's units, in frame order, of their stratum's rate (plans
    ///   with `stratum_rates`); the expected size.
    static func design(_ plan: SamplingPlan, counts: [String: [String: Int]], rateSum: Double?) throws(SamplingError) -> Design {
        let total = counts.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        var adjustments: [String] = []
        let requested: Int
        let rule: String
        switch plan.size {
        case .fixed(let n):
            requested = min(n, total)
            rule = "fixed n = \(n)"
            if n > total { adjustments.append("n = \(n) asked, the frame holds \(total): every unit taken") }
        case .proportion(let e, let c, let p):
            requested = SampleSize.forProportion(marginOfError: e, confidence: c, p: p, population: total)
            rule = "Cochran for a proportion: e = \(e), confidence = \(c), p = \(p), N = \(total)"
        case .mean(let e, let c, let sd):
            requested = SampleSize.forMean(marginOfError: e, confidence: c, sd: sd, population: total)
            rule = "Cochran for a mean: e = \(e), confidence = \(c), sd = \(sd), N = \(total)"
        case .rate(let r):
            requested = Int((rateSum ?? Double(total) * r).rounded())
            rule = plan.stratumRates.isEmpty ? "Poisson with rate \(r) (expected size)" : "Poisson with a rate per stratum (expected size)"
        }
        let strata = counts.keys.sorted()
        let sizes = strata.map { counts[$0]!.values.reduce(0, +) }
        let weights: [Double] = try strata.indices.map { (index) throws(SamplingError) -> Double in
            let n = Double(sizes[index])
            switch plan.allocation {
            case .proportional: return n
            case .equal: return 1
            case .neyman:
                guard let sd = plan.stratumSD[strata[index]] else {
                    throw SamplingError("neyman allocation needs the sd of stratum \"\(strata[index])\" in `stratum_sd:`")
                }
                return n * sd
            }
        }
        let stratumSizes = Apportionment.largestRemainder(total: requested, weights: weights, capacities: sizes)

        var cells: [SampleCell] = []
        let perAgent = plan.perAgentMin != nil || plan.perAgentMax != nil
        for (index, stratum) in strata.enumerated() {
            guard perAgent else {
                cells.append(SampleCell(label: stratum, stratum: stratum, agent: nil, population: sizes[index], size: stratumSizes[index], inclusionProbability: 0))
                continue
            }
            let byAgent = counts[stratum]!
            let agents = byAgent.keys.sorted { ($0.isEmpty ? 1 : 0, $0) < ($1.isEmpty ? 1 : 0, $1) }
            let agentCounts = agents.map { byAgent[$0]! }
            let spread = Apportionment.largestRemainder(total: stratumSizes[index], weights: agentCounts.map(Double.init), capacities: agentCounts)
            for (i, agent) in agents.enumerated() {
                var n = spread[i]
                if let minimum = plan.perAgentMin, n < minimum {
                    if minimum > agentCounts[i] {
                        adjustments.append("agent \(agent.isEmpty ? "(none)" : agent) in \(stratum): minimum \(minimum) asked, \(agentCounts[i]) in the frame: all taken")
                    }
                    n = min(minimum, agentCounts[i])
                }
                if let cap = plan.perAgentMax, n > cap { n = cap }
                let label = "\(stratum) | \(agent.isEmpty ? "(none)" : agent)"
                cells.append(SampleCell(label: label, stratum: stratum, agent: agent.isEmpty ? nil : agent, population: agentCounts[i], size: n, inclusionProbability: 0))
            }
        }
        return Design(cells: cells, requested: requested, rule: rule, adjustments: adjustments)
    }

    static func stratumLabel(_ unit: FrameUnit, _ plan: SamplingPlan) -> String {
        plan.strata.isEmpty ? "all" : plan.strata.map { unit.value(of: $0) ?? "(none)" }.joined(separator: " | ")
    }

    static func describe(_ exclusions: [ExclusionReason: Int]) -> String {
        ExclusionReason.allCases.compactMap { reason in exclusions[reason].flatMap { $0 > 0 ? "\($0) \(reason.rawValue)" : nil } }
            .joined(separator: ", ")
    }
}
