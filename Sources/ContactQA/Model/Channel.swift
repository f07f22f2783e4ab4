/// The channel a contact came through (DESIGN.md §2).
package enum Channel: String, CaseIterable, Sendable, Codable {
    case voice, chat, email, messaging, social, letter
    case inPerson = "in_person"
    case other

    /// Default service-level threshold in seconds for this channel (DESIGN.md §3):
    /// a day for asynchronous channels, 20 seconds for the others.
    var defaultServiceLevelSeconds: Double {
        switch self {
        case .email, .letter, .social: 86_400
        default: 20
        }
    }
}

/// Whether the customer or the centre started the contact.
enum Direction: String, CaseIterable, Sendable, Codable {
    case inbound, outbound
}
