/// Draws a sample from a frame that passes once, in the store's order, and is never held in memory:
/// the store keeps each unit's record (cell, u, fate) as it passes, and this type keeps the cells' counts.
///
/// Each unit gets its cell and permanent random number as it passes; a Poisson unit is selected there
/// and then (its π is its stratum's rate). Once the frame has passed, its counts fix the design, and a
/// fixed-size cell takes its n units of smallest u (the store sorts them). The result is the sample
/// `Sampler.draw` gives for the same plan and frame: the same cells, sizes, units, u and π (a test
/// compares the two on seeded frames). Targeted designs (`design: pps`, `risk_band`) measure every unit's
/// risk against the frame's medians and are drawn in memory.
struct StreamedDraw {
    let plan: SamplingPlan
    private let perAgent: Bool
    private var counts: [String: [String: Int]] = [:]
    private var rateSum = 0.0
    private(set) var exclusions = Dictionary(uniqueKeysWithValues: ExclusionReason.allCases.map { ($0, 0) })
    private(set) var frameSize = 0
    private var design: Sampler.Design?
    private var cellIndex: [String: Int] = [:]

    static func canStream(_ plan: SamplingPlan) -> Bool { plan.riskSignals == nil && plan.design == .cells }

    /// Poisson sampling (`size: {rate: …}`): each unit is selected when its u is below its stratum's rate.
    private var poissonRate: Double? { if case .rate(let r) = plan.size { r } else { nil } }

    init(plan: SamplingPlan) {
        precondition(StreamedDraw.canStream(plan))
        self.plan = plan
        perAgent = plan.perAgentMin != nil || plan.perAgentMax != nil
    }

    /// A unit of the frame as it passes: its cell, u and, for Poisson sampling, π and fate (a fixed-size
    /// cell's π and selection come with the design); nil when it is not in the frame.
    mutating func add(_ unit: FrameUnit) -> SampledUnit? {
        switch SamplingFrame.fate(of: unit, plan) {
        case .outside: return nil
        case .excluded(let reason):
            exclusions[reason]! += 1
            return nil
        case .admitted:
            let sampled = self.sampled(unit)
            counts[sampled.stratum, default: [:]][perAgent ? unit.agent ?? "" : "", default: 0] += 1
            if poissonRate != nil { rateSum += sampled.inclusionProbability }
            frameSize += 1
            return sampled
        }
    }

    private func sampled(_ unit: FrameUnit) -> SampledUnit {
        let stratum = Sampler.stratumLabel(unit, plan)
        let agent = unit.agent ?? ""
        var sampled = SampledUnit(unit: unit, cell: perAgent ? "\(stratum) | \(agent.isEmpty ? "(none)" : agent)" : stratum, stratum: stratum,
                                  bits: PermanentRandomNumber.bits(seed: plan.seed, source: unit.source, interactionID: unit.interactionID, leg: unit.leg),
                                  inclusionProbability: 0, selected: false)
        if let rate = poissonRate {
            // u < π, compared on the integers: bits < π · 2^64 (as `Sampler.draw`).
            let pi = plan.stratumRates[stratum] ?? rate
            let scaled = pi * 18_446_744_073_709_551_616.0
            sampled.inclusionProbability = pi
            sampled.selected = scaled >= 18_446_744_073_709_549_568.0 || sampled.bits < UInt64(scaled)
        }
        return sampled
    }

    /// Fixes the design once the frame has passed: the cells in drawing order, each with its π and, for
    /// fixed sizes, how many units of smallest u it takes (Poisson cells: 0 until `finish`).
    mutating func planCells() throws(SamplingError) -> [SampleCell] {
        guard frameSize > 0 else {
            let excluded = exclusions.values.reduce(0, +)
            throw SamplingError("the frame is empty: no handled leg of the period passes the plan's filters" + (excluded > 0 ? " (\(excluded) excluded: \(Sampler.describe(exclusions)))" : ""))
        }
        var made = try Sampler.design(plan, counts: counts, rateSum: plan.stratumRates.isEmpty ? nil : rateSum)
        for c in made.cells.indices {
            let cell = made.cells[c]
            cellIndex[cell.label] = c
            if let rate = poissonRate {
                made.cells[c].inclusionProbability = plan.stratumRates[cell.stratum] ?? rate
                made.cells[c].size = 0
            } else {
                made.cells[c].inclusionProbability = Double(cell.size) / Double(cell.population)
            }
        }
        design = made
        return made.cells
    }

    /// The drawn sample, given the selected units (in any order): its `units` are those, cell by cell in
    /// selection order (as `Sampler.draw` lists them), and `frameUnits` says how many the frame held.
    func finish(selected: [FrameUnit]) -> DrawnSample {
        var cells = design?.cells ?? []
        var byCell = Array(repeating: [SampledUnit](), count: cells.count)
        for unit in selected {
            var s = sampled(unit)
            guard let c = cellIndex[s.cell] else { continue }
            s.inclusionProbability = cells[c].inclusionProbability
            s.selected = true
            byCell[c].append(s)
        }
        for c in cells.indices {
            byCell[c].sort(by: SampledUnit.selectionOrder)
            if poissonRate != nil { cells[c].size = byCell[c].count }
        }
        return DrawnSample(plan: plan, units: byCell.flatMap { $0 }, cells: cells, exclusions: exclusions, requestedSize: design?.requested ?? 0,
                           sizeRule: design?.rule ?? "", adjustments: (design?.adjustments ?? []) + Sampler.singleUnitCells(cells, plan),
                           frameUnits: frameSize)
    }
}
