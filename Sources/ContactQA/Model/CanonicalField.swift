/// A field of the canonical model (DESIGN.md §2) that an importer can fill.
public enum CanonicalField: String, CaseIterable, Sendable, Hashable {
    // Contact fields.
    case source
    case interactionID = "interaction_id"
    case channel, direction, queue
    /// The raw customer identifier; only its keyed hash (`customer_key`) is ever stored.
    case customerID = "customer_id"
    case contactReason = "contact_reason"
    case arrivedAt = "arrived_at"
    case waitSeconds = "wait_s"
    case abandoned, transferred, escalated, resolved
    case csat
    case csatMin = "csat_min"
    case csatMax = "csat_max"
    case nps
    case monitoringNotice = "monitoring_notice"
    case version
    // Leg fields.
    case leg, team
    case agentID = "agent_id"
    case answeredAt = "answered_at"
    case endedAt = "ended_at"
    case talkSeconds = "talk_s"
    case holdSeconds = "hold_s"
    case acwSeconds = "acw_s"
    case recordingRef = "recording_ref"

    /// How a field's text is read.
    public enum Kind: Sendable {
        case text, instant, seconds, boolean, integer, channel, direction, identifier, version
    }

    public var kind: Kind {
        switch self {
        case .source, .interactionID, .queue, .contactReason, .team, .agentID, .recordingRef: .text
        case .arrivedAt, .answeredAt, .endedAt: .instant
        case .waitSeconds, .talkSeconds, .holdSeconds, .acwSeconds: .seconds
        case .abandoned, .transferred, .escalated, .resolved, .monitoringNotice: .boolean
        case .csat, .csatMin, .csatMax, .nps, .leg: .integer
        case .channel: .channel
        case .direction: .direction
        case .customerID: .identifier
        case .version: .version
        }
    }

    /// Fields every contact must have, from a column, a constant or a default.
    public static let required: [CanonicalField] = [.interactionID, .arrivedAt, .channel]

    /// Fields that belong to a leg rather than to the contact (`queue` belongs to both).
    public var isLegField: Bool {
        switch self {
        case .leg, .team, .agentID, .answeredAt, .endedAt, .talkSeconds, .holdSeconds, .acwSeconds, .recordingRef, .queue: true
        default: false
        }
    }

    public var isContactField: Bool { !isLegField || self == .queue }
}
