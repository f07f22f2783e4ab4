/// One unit of a sampling frame: a handled leg, with what the plan filters and stratifies on.
package struct FrameUnit: Sendable, Equatable {
    package var source: String
    var interactionID: String
    var leg: Int
    package var agent: String?
    package var team: String?
    package var channel: String
    var queue: String?
    var direction: String
    package var reason: String?
    /// UTC milliseconds.
    var arrivedAt: Int64
    var recordingRef: String?
    var handleSeconds: Double
    /// nil when the source does not say.
    var monitoringNotice: Bool?
    /// The agent acknowledged monitoring (in the roster) on or before the period's end.
    var agentAcknowledged: Bool
    /// The leg already has a quality evaluation.
    var evaluated: Bool
    /// What makes a problem likely on this leg (read only for targeted designs).
    var signals = RiskSignals()
    /// low, medium or high: set by the frame when the plan is stratified on `risk_band`.
    var riskBand: String?

    package init(source: String, interactionID: String, leg: Int, agent: String? = nil, team: String? = nil, channel: String,
                queue: String? = nil, direction: String = "inbound", reason: String? = nil, arrivedAt: Int64,
                recordingRef: String? = nil, handleSeconds: Double = 0, monitoringNotice: Bool? = true,
                agentAcknowledged: Bool = true, evaluated: Bool = false) {
        self.source = source
        self.interactionID = interactionID
        self.leg = leg
        self.agent = agent
        self.team = team
        self.channel = channel
        self.queue = queue
        self.direction = direction
        self.reason = reason
        self.arrivedAt = arrivedAt
        self.recordingRef = recordingRef
        self.handleSeconds = handleSeconds
        self.monitoringNotice = monitoringNotice
        self.agentAcknowledged = agentAcknowledged
        self.evaluated = evaluated
    }

    /// `source|interaction_id|leg`: the unit's identity in manifests.
    package var id: String { "\(source)|\(interactionID)|\(leg)" }

    package func value(of field: SamplingPlan.StratumField) -> String? {
        switch field {
        case .channel: channel
        case .team: team
        case .agent: agent
        case .queue: queue
        case .direction: direction
        case .reason: reason
        case .riskBand: riskBand
        }
    }
}

/// Why a unit of the period is not in the frame.
enum ExclusionReason: String, Sendable, CaseIterable {
    case noMonitoringNotice = "no_monitoring_notice"
    case unacknowledgedAgent = "unacknowledged_agent"
    case alreadyEvaluated = "already_evaluated"
}

/// The handled legs of a period that a plan's filters keep, and those its exclusions remove, counted.
struct SamplingFrame: Sendable {
    package var units: [FrameUnit]
    var exclusions: [ExclusionReason: Int]

    /// Applies the plan's filters and exclusions to the period's handled legs. A unit excluded for
    /// several reasons is counted under the first: no monitoring notice, unacknowledged agent, already evaluated.
    package init(candidates: [FrameUnit], plan: SamplingPlan) {
        var units: [FrameUnit] = []
        var exclusions = Dictionary(uniqueKeysWithValues: ExclusionReason.allCases.map { ($0, 0) })
        for unit in candidates {
            switch SamplingFrame.fate(of: unit, plan) {
            case .outside: continue
            case .excluded(let reason): exclusions[reason]! += 1
            case .admitted: units.append(unit)
            }
        }
        // Bands are read over the frame itself: a long handle is long against its queue's median here.
        if plan.strata.contains(.riskBand) {
            for (i, size) in plan.risk.sizes(units).enumerated() { units[i].riskBand = plan.risk.band(size) }
        }
        self.units = units
        self.exclusions = exclusions
    }

    enum Fate: Equatable { case outside, excluded(ExclusionReason), admitted }

    /// Whether a handled leg is outside the plan's filters, excluded (and why), or in the frame.
    static func fate(of unit: FrameUnit, _ plan: SamplingPlan) -> Fate {
        if let channels = plan.channels, !channels.contains(unit.channel) { return .outside }
        if let queues = plan.queues, !queues.contains(unit.queue ?? "") { return .outside }
        if let teams = plan.teams, !teams.contains(unit.team ?? "") { return .outside }
        if let direction = plan.direction, unit.direction != direction { return .outside }
        if let minimum = plan.minHandleSeconds, unit.handleSeconds < minimum { return .outside }
        // Unknown notice: notified where the site announces monitoring to every caller (the default),
        // not where notice is given per contact (`privacy.monitoring_notice: per_contact`).
        if unit.monitoringNotice == false || (unit.monitoringNotice == nil && plan.excludeUnknownNotice) { return .excluded(.noMonitoringNotice) }
        if plan.excludeUnacknowledgedAgents, !unit.agentAcknowledged { return .excluded(.unacknowledgedAgent) }
        if plan.excludeAlreadyEvaluated, unit.evaluated { return .excluded(.alreadyEvaluated) }
        return .admitted
    }
}
