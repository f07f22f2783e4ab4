/// Draws a sample from a frame read twice, in the store's order, holding only the cells' counts and the
/// units being selected: memory grows with the sample and the number of cells, not with the week.
///
/// The first pass counts the frame (cells, exclusions, the expected size), which fixes the design; the
/// second gives each unit its permanent random number and its fate. A fixed-size cell keeps its n
/// smallest numbers seen so far; a Poisson cell selects each unit below its rate as it passes. The
/// result is the sample `Sampler.draw` gives for the same plan and frame: the same cells, sizes, units,
/// u and π (a test compares the two on seeded frames). Targeted designs (`design: pps`, `risk_band`)
/// need every unit's risk measured against the frame's medians and are drawn in memory.
struct StreamedDraw {
    let plan: SamplingPlan
    private let perAgent: Bool
    private var counts: [String: [String: Int]] = [:]
    private var rateSum = 0.0
    private(set) var exclusions = Dictionary(uniqueKeysWithValues: ExclusionReason.allCases.map { ($0, 0) })
    private(set) var frameSize = 0
    private var design: Sampler.Design?
    /// The design's cells by stratum and agent ("" for none, and for every unit without per-agent limits).
    private var cellIndex: [String: [String: Int]] = [:]
    /// Per cell, in selection order: the units taken so far (at most the cell's size when it is fixed).
    private var taken: [[SampledUnit]] = []

    /// Poisson sampling (`size: {rate: …}`): each unit is selected when its u is below its cell's rate.
    private var poisson: Bool { if case .rate = plan.size { true } else { false } }

    static func canStream(_ plan: SamplingPlan) -> Bool { plan.riskSignals == nil && plan.design == .cells }

    init(plan: SamplingPlan) {
        precondition(StreamedDraw.canStream(plan))
        self.plan = plan
        perAgent = plan.perAgentMin != nil || plan.perAgentMax != nil
    }

    /// The first pass.
    mutating func count(_ unit: FrameUnit) {
        switch SamplingFrame.fate(of: unit, plan) {
        case .outside: return
        case .excluded(let reason): exclusions[reason]! += 1
        case .admitted:
            let stratum = Sampler.stratumLabel(unit, plan)
            counts[stratum, default: [:]][perAgent ? unit.agent ?? "" : "", default: 0] += 1
            if case .rate(let r) = plan.size { rateSum += plan.stratumRates[stratum] ?? r }
            frameSize += 1
        }
    }

    /// Fixes the design once the frame has been counted.
    mutating func planCells() throws(SamplingError) {
        guard frameSize > 0 else {
            let excluded = exclusions.values.reduce(0, +)
            throw SamplingError("the frame is empty: no handled leg of the period passes the plan's filters" + (excluded > 0 ? " (\(excluded) excluded: \(Sampler.describe(exclusions)))" : ""))
        }
        var made = try Sampler.design(plan, counts: counts, rateSum: plan.stratumRates.isEmpty ? nil : rateSum)
        for c in made.cells.indices {
            let cell = made.cells[c]
            cellIndex[cell.stratum, default: [:]][cell.agent ?? ""] = c
            if case .rate(let planRate) = plan.size {
                made.cells[c].inclusionProbability = plan.stratumRates[cell.stratum] ?? planRate
                made.cells[c].size = 0
            } else {
                made.cells[c].inclusionProbability = Double(cell.size) / Double(cell.population)
            }
        }
        design = made
        taken = Array(repeating: [], count: made.cells.count)
    }

    /// The second pass: the unit as sampled (cell, u, π, selected as far as is known yet), or nil when it
    /// is not in the frame. A fixed-size cell's selection is final only after the last unit.
    mutating func draw(_ unit: FrameUnit) -> SampledUnit? {
        guard SamplingFrame.fate(of: unit, plan) == .admitted, let design else { return nil }
        let stratum = Sampler.stratumLabel(unit, plan)
        let c = cellIndex[stratum]![perAgent ? unit.agent ?? "" : ""]!
        let cell = design.cells[c]
        var sampled = SampledUnit(unit: unit, cell: cell.label, stratum: cell.stratum,
                                  bits: PermanentRandomNumber.bits(seed: plan.seed, source: unit.source, interactionID: unit.interactionID, leg: unit.leg),
                                  inclusionProbability: cell.inclusionProbability, selected: false)
        if poisson {
            // u < π, compared on the integers: bits < π · 2^64 (as `Sampler.draw`).
            let scaled = cell.inclusionProbability * 18_446_744_073_709_551_616.0
            sampled.selected = scaled >= 18_446_744_073_709_549_568.0 || sampled.bits < UInt64(scaled)
            if sampled.selected { taken[c].append(sampled) }
            return sampled
        }
        guard cell.size > 0 else { return sampled }
        // Keep the cell's `size` smallest in selection order: find the place, insert, drop the largest.
        var low = 0, high = taken[c].count
        while low < high {
            let mid = (low + high) / 2
            if SampledUnit.selectionOrder(taken[c][mid], sampled) { low = mid + 1 } else { high = mid }
        }
        if low < cell.size {
            var kept = sampled
            kept.selected = true
            taken[c].insert(kept, at: low)
            if taken[c].count > cell.size { taken[c].removeLast() }
        }
        return sampled
    }

    /// The drawn sample after the second pass: its `units` are the selected ones, cell by cell in
    /// selection order (as `Sampler.draw` lists them), and `frameUnits` says how many the frame held.
    func finish() -> DrawnSample {
        var cells = design?.cells ?? []
        var selected: [SampledUnit] = []
        for c in cells.indices {
            // A Poisson cell's units arrived in the store's order; a fixed cell's are kept in selection order.
            let units = poisson ? taken[c].sorted(by: SampledUnit.selectionOrder) : taken[c]
            if poisson { cells[c].size = units.count }
            selected += units
        }
        return DrawnSample(plan: plan, units: selected, cells: cells, exclusions: exclusions, requestedSize: design?.requested ?? 0,
                           sizeRule: design?.rule ?? "", adjustments: (design?.adjustments ?? []) + Sampler.singleUnitCells(cells, plan),
                           frameUnits: frameSize)
    }
}
