/// A field of the canonical model (DESIGN.md §2) that an importer can fill.
package enum CanonicalField: String, CaseIterable, Sendable, Hashable {
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
    /// How the leg ended, in the source's words (Amazon Connect's `DisconnectReason`: CUSTOMER_DISCONNECT,
    /// AGENT_DISCONNECT, TRANSFER, …); stored, not used by a KPI.
    case disconnectReason = "disconnect_reason"

    /// The field's position in `allCases`, for array-indexed rows (hashing a `String` raw value per
    /// field and row is measurably slow on the import path).
    var ordinal: Int {
        switch self {
        case .source: 0
        case .interactionID: 1
        case .channel: 2
        case .direction: 3
        case .queue: 4
        case .customerID: 5
        case .contactReason: 6
        case .arrivedAt: 7
        case .waitSeconds: 8
        case .abandoned: 9
        case .transferred: 10
        case .escalated: 11
        case .resolved: 12
        case .csat: 13
        case .csatMin: 14
        case .csatMax: 15
        case .nps: 16
        case .monitoringNotice: 17
        case .version: 18
        case .leg: 19
        case .team: 20
        case .agentID: 21
        case .answeredAt: 22
        case .endedAt: 23
        case .talkSeconds: 24
        case .holdSeconds: 25
        case .acwSeconds: 26
        case .recordingRef: 27
        case .disconnectReason: 28
        }
    }

    /// How a field's text is read.
    enum Kind: Sendable {
        case text, instant, seconds, boolean, integer, channel, direction, identifier, version
    }

    var kind: Kind {
        switch self {
        case .source, .interactionID, .queue, .contactReason, .team, .agentID, .recordingRef, .disconnectReason: .text
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
    package static let required: [CanonicalField] = [.interactionID, .arrivedAt, .channel]

    /// Fields that belong to a leg rather than to the contact (`queue` belongs to both).
    var isLegField: Bool {
        switch self {
        case .leg, .team, .agentID, .answeredAt, .endedAt, .talkSeconds, .holdSeconds, .acwSeconds, .recordingRef, .disconnectReason, .queue: true
        default: false
        }
    }

    var isContactField: Bool { !isLegField || self == .queue }
}
