import Foundation

/// Draws, reuses, verifies and extends samples against a store: what `contactqa sample` does.
package struct SamplingService {
    package enum Outcome: Equatable, Sendable {
        /// A new sample, recorded under this id.
        case drawn(Int64)
        /// The sample recorded before for the same plan and period, written again.
        case reused(Int64)
    }

    package let store: any SQLStore
    /// Draw from a frame streamed from the store where the plan allows it (designs by cells, on either
    /// backend); tests turn it off to compare with the draw in memory.
    var streamsFrames = true

    package init(store: any SQLStore) { self.store = store }

    /// Draws the plan's sample of a period, or reuses the recorded one, and writes `sample.csv` and
    /// `manifest.json` into `out`.
    ///
    /// - Parameter redraw: record a new draw when the plan or seed changed; the old record stays, superseded.
    /// - Throws: `SamplingError` when the period already has a sample of this plan drawn differently and
    ///   `redraw` is false, or when the plan cannot be drawn.
    package func sample(plan: SamplingPlan, period: Period, out: String, redraw: Bool = false) throws -> (SampleManifest, Outcome) {
        var supersedes: Int64?
        if let recorded = try store.recordedSample(planName: plan.name, from: period.from, to: period.to, selectedOnly: true) {
            if recorded.planFingerprint == plan.fingerprint {
                let manifest = SampleManifest(sample: try reconstruct(recorded, plan: plan, period: period), period: period, store: store.location)
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                try manifest.csv.write(toFile: out + "/sample.csv", atomically: true, encoding: .utf8)
                try recorded.manifest.write(toFile: out + "/manifest.json", atomically: true, encoding: .utf8)
                return (manifest, .reused(recorded.id))
            }
            guard redraw else {
                throw SamplingError("""
                    plan "\(plan.name)" already has a sample for \(period.from)…\(period.to), drawn with another plan or seed \
                    (recorded plan fingerprint \(recorded.planFingerprint.prefix(12))…, this plan \(plan.fingerprint.prefix(12))…); \
                    the recorded sample stands. Pass --redraw to record a new draw (the old one is kept, marked superseded)
                    """)
            }
            supersedes = recorded.id
        }
        if streamsFrames, StreamedDraw.canStream(plan) {
            let (manifest, text, id) = try store.drawStreamed(plan, period: period, supersedes: supersedes)
            try manifest.write(to: out, manifestText: text)
            return (manifest, .drawn(id))
        }
        let frame = SamplingFrame(candidates: try store.frameCandidates(period, risk: plan.riskSignals), plan: plan)
        let drawn = try Sampler.draw(plan, frame: frame)
        let manifest = SampleManifest(sample: drawn, period: period, store: store.location)
        let text = manifest.text
        let id = try store.record(manifest, text: text, supersedes: supersedes)
        try manifest.write(to: out, manifestText: text)
        return (manifest, .drawn(id))
    }

    /// Assigns a sample's selected units to the QA team and writes `assignments.csv` into `out`, and
    /// each evaluator's form into `out/forms/`.
    package func assign(_ manifest: SampleManifest, evaluators: [Evaluator], calibrationShare: Double, out: String) throws -> AssignmentPlan {
        let roster = try store.rosterNamesAndTeams()
        var plan = AssignmentPlan.assign(manifest.sample.units, to: evaluators, calibrationShare: calibrationShare) { roster[$0]?.team }
        plan.assignReEvaluations(try store.openDisputes(manifest.period), to: evaluators)
        try store.recordAssignments(plan, period: manifest.period,
                                    on: manifest.period.clock.localDate(atUTC: Int64(Date().timeIntervalSince1970)))
        try plan.csv.write(toFile: out + "/assignments.csv", atomically: true, encoding: .utf8)
        let disputes = out + "/re-evaluations.csv"
        if plan.reEvaluations.isEmpty {
            try? FileManager.default.removeItem(atPath: disputes)
        } else {
            try plan.reEvaluationsCSV.write(toFile: disputes, atomically: true, encoding: .utf8)
        }
        _ = try EvaluationForm.write(plan, sample: manifest, scorecards: Array(try store.scorecards().values), evaluators: evaluators, folder: out)
        return plan
    }

    /// A recorded sample's selected units with today's data (blank where retention deleted them).
    func reconstruct(_ recorded: RecordedSample, plan: SamplingPlan, period: Period) throws -> DrawnSample {
        let selected = recorded.units.filter(\.selected)
        var current: [String: FrameUnit] = [:]
        for unit in try store.selectedFrameUnits(sampleID: recorded.id, period: period) { current[unit.id] = unit }
        let perAgent = plan.perAgentMin != nil || plan.perAgentMax != nil
        let units = selected.map { r in
            SampledUnit(unit: current[r.id] ?? FrameUnit(source: r.source, interactionID: r.interactionID, leg: r.leg, channel: "", arrivedAt: .min),
                        cell: r.cell, stratum: perAgent ? r.cell.components(separatedBy: " | ").dropLast().joined(separator: " | ") : r.cell,
                        bits: r.bits, inclusionProbability: r.inclusionProbability, selected: true)
        }.sorted(by: SampledUnit.manifestOrder)
        return DrawnSample(plan: plan, units: units, cells: [], exclusions: [:], requestedSize: 0, sizeRule: "", adjustments: [],
                           frameUnits: recorded.frameUnits)
    }

    /// What `sample verify` found.
    package struct Verification: Sendable {
        package var differences: [String]
        package var identical: Bool { differences.isEmpty }
    }

    /// Re-derives the sample a manifest describes from the store's current data and compares it with
    /// the record: identical, or which units differ and why.
    package func verify(manifestPath: String) throws -> Verification {
        let root = try ConfigNode.load(file: manifestPath)
        let top = try root.dictionary(allowed: nil)
        guard let planNode = top["plan"], let periodNode = top["period"] else { throw root.error("not a ContactQA sample manifest (no plan or period)") }
        let plan = try SamplingPlan.parse(planNode)
        let p = try periodNode.dictionary(allowed: ["from", "to", "timezone"])
        guard let from = LocalDate(iso: try p["from"]?.string() ?? ""), let to = LocalDate(iso: try p["to"]?.string() ?? ""),
              let clock = ZoneClock(identifier: try p["timezone"]?.string() ?? "") else { throw periodNode.error("the period needs from, to and timezone") }
        let period = Period(from: from, to: to, clock: clock)
        // A plan by cells is re-drawn as it was drawn, without holding the frame (the comparison runs in
        // the store); a store opened read-only (no temporary tables) and targeted designs compare in memory.
        let streams = streamsFrames && StreamedDraw.canStream(plan) && (store as? SQLiteStore)?.isReadOnly != true
        guard let recorded = try store.recordedSample(planName: plan.name, from: from, to: to, selectedOnly: streams) else {
            throw SamplingError("this store holds no recorded sample of plan \"\(plan.name)\" for \(from)…\(to)")
        }
        var differences: [String] = []
        let manifestText = try String(contentsOfFile: manifestPath, encoding: .utf8)
        if manifestText != recorded.manifest { differences.append("the manifest file differs from the one recorded in the store (edited, or from another draw)") }
        if recorded.planFingerprint != plan.fingerprint { differences.append("the plan in the manifest is not the plan recorded for this period") }
        if streams {
            differences += try store.verifyStreamed(plan, period: period, recordedID: recorded.id)
            return Verification(differences: differences)
        }

        let frame = SamplingFrame(candidates: try store.frameCandidates(period, risk: plan.riskSignals), plan: plan)
        let now = frame.units.isEmpty ? [] : try Sampler.draw(plan, frame: frame).units
        let then = Dictionary(recorded.units.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let current = Dictionary(now.map { ($0.unit.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id in Set(then.keys).union(current.keys).sorted() {
            differences += SampleUnitFate.differences(id: id, then: then[id].map(SampleUnitFate.init), now: current[id].map(SampleUnitFate.init))
        }
        return Verification(differences: differences)
    }

    /// Draws `n` spot checks of one agent's handled legs in a period, beyond the units already sampled,
    /// records them (reason spot; they stay out of representative estimates) and writes them to `out`.
    package func spot(period: Period, agent: String, n: Int, seed: UInt64, out: String) throws -> SampleManifest {
        guard n >= 1 else { throw SamplingError("--n must be at least 1") }
        let taken = try store.sampledUnitIDs(from: period.from, to: period.to)
        // The same data-protection exclusions as a routine sample: no monitoring notice, an agent who has
        // not acknowledged monitoring, a leg already evaluated. They are counted in the spot's manifest.
        let plan = SamplingPlan(name: "spot", size: .fixed(n), seed: seed)
        let candidates = try store.frameCandidates(period).filter { $0.agent == agent && !taken.contains($0.id) }
        let frame = SamplingFrame(candidates: candidates, plan: plan)
        guard !frame.units.isEmpty else {
            throw SamplingError("agent \(agent) has no handled leg left to spot-check in \(period.from)…\(period.to)"
                + " (\(candidates.count) not yet sampled; excluded: \(Sampler.describe(frame.exclusions)))")
        }
        var drawn = try Sampler.draw(plan, frame: frame)
        drawn.units = drawn.units.map { var u = $0; u.cell = "spot | \(agent)"; u.stratum = "spot | \(agent)"; return u }
        drawn.cells = drawn.cells.map { var c = $0; c.label = "spot | \(agent)"; c.stratum = c.label; c.agent = agent; return c }
        let manifest = SampleManifest(sample: drawn, period: period, store: store.location, kind: "spot")
        let text = manifest.text
        try store.record(manifest, text: text)
        try manifest.write(to: out, manifestText: text)
        return manifest
    }
}

/// What a frame unit's record says about it — its cell, u, π and whether it was selected — then (as
/// recorded) or now (as the plan re-draws it).
struct SampleUnitFate: Equatable {
    var cell: String
    var bits: UInt64
    var inclusionProbability: Double
    var selected: Bool

    init(cell: String, bits: UInt64, inclusionProbability: Double, selected: Bool) {
        self.cell = cell
        self.bits = bits
        self.inclusionProbability = inclusionProbability
        self.selected = selected
    }

    init(_ unit: RecordedSample.Unit) {
        self.init(cell: unit.cell, bits: unit.bits, inclusionProbability: unit.inclusionProbability, selected: unit.selected)
    }

    init(_ unit: SampledUnit) {
        self.init(cell: unit.cell, bits: unit.bits, inclusionProbability: unit.inclusionProbability, selected: unit.selected)
    }

    /// What `sample verify` says about one unit: nothing when its record and its re-draw agree.
    static func differences(id: String, then: SampleUnitFate?, now: SampleUnitFate?) -> [String] {
        switch (then, now) {
        case (nil, let n?):
            return ["late row: \(id) is in the frame now (cell \(n.cell)) but was not when the sample was drawn\(n.selected ? "; it would now be selected" : "")"]
        case (let t?, nil):
            return ["deleted row: \(id) was in the frame (cell \(t.cell)\(t.selected ? ", selected" : "")) and is not now: deleted, or it no longer passes the plan's filters"]
        case (let t?, let n?):
            var found: [String] = []
            if t.cell != n.cell { found.append("changed fields: \(id) moved from cell \(t.cell) to \(n.cell)") }
            // The stored u and π must be what the PRN formula and the plan give: a tampered record would
            // otherwise be written into every later sample.csv.
            if t.bits != n.bits { found.append("\(id): the stored random number u is not the one the seed gives (the record was altered)") }
            if t.inclusionProbability != n.inclusionProbability {
                found.append("\(id): the stored inclusion probability \(t.inclusionProbability) is not the re-derived \(n.inclusionProbability)")
            }
            if t.selected != n.selected {
                found.append("\(id) \(t.selected ? "was selected and would not be now" : "was not selected and would be now")")
            }
            return found
        case (nil, nil):
            return []
        }
    }
}
