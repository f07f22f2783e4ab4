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

    package var selected: [SampledUnit] { units.filter(\.selected) }

    /// SHA-256 over the frame's unit ids and cells, sorted: equal fingerprints, equal frames.
    var frameFingerprint: String { DrawnSample.fingerprint(units) }

    static func fingerprint(_ units: [SampledUnit]) -> String {
        var hasher = SHA256()
        for line in units.map({ "\($0.unit.id)|\($0.cell)\n" }).sorted() { hasher.update(data: Data(line.utf8)) }
        return hasher.finalize().map { pad16($0) }.joined()
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
        let total = frame.units.count
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
            requested = plan.stratumRates.isEmpty ? Int((Double(total) * r).rounded())
                : Int(frame.units.reduce(0.0) { $0 + (plan.stratumRates[stratumLabel($1, plan)] ?? r) }.rounded())
            rule = plan.stratumRates.isEmpty ? "Poisson with rate \(r) (expected size)" : "Poisson with a rate per stratum (expected size)"
        }

        // Strata, sorted by label, as indices into the frame (units are copied once, into the result).
        var byStratum: [String: [Int]] = [:]
        for (i, unit) in frame.units.enumerated() { byStratum[stratumLabel(unit, plan), default: []].append(i) }
        let strata = byStratum.keys.sorted()
        let weights: [Double] = try strata.map { (label) throws(SamplingError) -> Double in
            let n = Double(byStratum[label]!.count)
            switch plan.allocation {
            case .proportional: return n
            case .equal: return 1
            case .neyman:
                guard let sd = plan.stratumSD[label] else {
                    throw SamplingError("neyman allocation needs the sd of stratum \"\(label)\" in `stratum_sd:`")
                }
                return n * sd
            }
        }
        let stratumSizes = Apportionment.largestRemainder(total: requested, weights: weights,
                                                         capacities: strata.map { byStratum[$0]!.count })

        var cells: [SampleCell] = []
        var members: [String: [Int]] = [:]
        let perAgent = plan.perAgentMin != nil || plan.perAgentMax != nil
        for (index, stratum) in strata.enumerated() {
            let units = byStratum[stratum]!
            guard perAgent else {
                cells.append(SampleCell(label: stratum, stratum: stratum, agent: nil, population: units.count, size: stratumSizes[index], inclusionProbability: 0))
                members[stratum] = units
                continue
            }
            var byAgent: [String: [Int]] = [:]
            for i in units { byAgent[frame.units[i].agent ?? "", default: []].append(i) }
            let agents = byAgent.keys.sorted { ($0.isEmpty ? 1 : 0, $0) < ($1.isEmpty ? 1 : 0, $1) }
            let counts = agents.map { byAgent[$0]!.count }
            let spread = Apportionment.largestRemainder(total: stratumSizes[index], weights: counts.map(Double.init), capacities: counts)
            for (i, agent) in agents.enumerated() {
                var n = spread[i]
                if let minimum = plan.perAgentMin, n < minimum {
                    if minimum > counts[i] {
                        adjustments.append("agent \(agent.isEmpty ? "(none)" : agent) in \(stratum): minimum \(minimum) asked, \(counts[i]) in the frame: all taken")
                    }
                    n = min(minimum, counts[i])
                }
                if let cap = plan.perAgentMax, n > cap { n = cap }
                let label = "\(stratum) | \(agent.isEmpty ? "(none)" : agent)"
                cells.append(SampleCell(label: label, stratum: stratum, agent: agent.isEmpty ? nil : agent, population: counts[i], size: n, inclusionProbability: 0))
                members[label] = byAgent[agent]!
            }
        }

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
        // A cell that draws one unit has no variance of its own: its estimate's SE comes from collapsing
        // it with a neighbour (docs/quality.md). Say so, so that a plan wanting estimates per cell asks for 2.
        let single = cells.filter { $0.size == 1 }.count
        if single > 0, plan.method != .poisson {
            adjustments.append("\(single) cell\(single == 1 ? "" : "s") drew a single unit: \(single == 1 ? "its" : "their") variance is estimated by collapsing cells in pairs; per_agent: {min: 2} gives each cell a variance of its own")
        }
        return DrawnSample(plan: plan, units: sampled, cells: cells, exclusions: frame.exclusions, requestedSize: requested,
                           sizeRule: rule, adjustments: adjustments)
    }

    static func stratumLabel(_ unit: FrameUnit, _ plan: SamplingPlan) -> String {
        plan.strata.isEmpty ? "all" : plan.strata.map { unit.value(of: $0) ?? "(none)" }.joined(separator: " | ")
    }

    static func describe(_ exclusions: [ExclusionReason: Int]) -> String {
        ExclusionReason.allCases.compactMap { reason in exclusions[reason].flatMap { $0 > 0 ? "\($0) \(reason.rawValue)" : nil } }
            .joined(separator: ", ")
    }
}
