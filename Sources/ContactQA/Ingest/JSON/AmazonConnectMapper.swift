import Foundation

/// Amazon Connect contact records (CTRs), as Kinesis Firehose delivers them to S3 (JSON Lines or
/// objects concatenated without separators) or as a JSON array. Field by field: docs/sources.md.
///
/// A transfer chain is one contact, identified by its first ContactId (`InitialContactId`, else
/// `PreviousContactId`); each CTR with an agent is one leg, keyed by its own ContactId, so a transfer
/// never counts as an FCR repeat and handle time stays with each agent. Records arrive at least once:
/// the one with the highest `LastUpdateTimestamp` wins.
package struct AmazonConnectMapper: JSONRecordMapper {
    /// The source name of Connect contacts in the store.
    static let defaultSource = "amazon-connect"
    package var source = AmazonConnectMapper.defaultSource
    package var wrapperKey: String? = nil
    /// Calling code for national numbers (Connect addresses are E.164 already).
    var phoneCountryCode: String?
    /// Contact attributes (`Attributes`) that carry the contact reason and survey answers, where a site stores them.
    var reasonAttributes = ["contact_reason", "reason"]
    var csatAttribute = "csat"
    var csatScaleAttribute = "csat_scale"
    var npsAttribute = "nps"
    var monitoringNoticeAttribute = "monitoring_notice"
    /// The agent hierarchy level whose group is the team (`Agent.HierarchyGroups.LevelN.GroupName`).
    var teamLevel = 1
    /// `wait: to_agent`: the wait runs until the agent connected (ConnectedToAgentTimestamp −
    /// EnqueueTimestamp, the whisper included) instead of Connect's own Queue.Duration.
    var waitUntilAgent = false

    package init() {}

    static let channels = ["VOICE": "voice", "CHAT": "chat", "TASK": "other", "EMAIL": "email"]
    static let inboundMethods: Set<String> = ["INBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API"]
    static let outboundMethods: Set<String> = ["OUTBOUND", "EXTERNAL_OUTBOUND", "AGENT_REPLY"]
    /// Records that are not a customer's contact: a supervisor listening in, the flow after a disconnect.
    static let skippedMethods: Set<String> = ["MONITOR", "DISCONNECT"]

    package func identifiers(in record: [String: Any]) -> [String] {
        [(record["CustomerEndpoint"] as? [String: Any])?["Address"] as? String].compactMap { $0 }
    }

    package func rows(from record: [String: Any], number: Int, file: String, pseudonymiser: Pseudonymiser?) throws(InputError) -> [(MappedRow, RowLayout)] {
        let f = JSONFields(object: record, number: number, file: file)
        let contactID = try f.requiredString("ContactId")
        let method = try f.string("InitiationMethod") ?? "INBOUND"
        if AmazonConnectMapper.skippedMethods.contains(method) { return [] }
        guard AmazonConnectMapper.inboundMethods.contains(method) || AmazonConnectMapper.outboundMethods.contains(method) else {
            throw f.error("InitiationMethod", "unknown InitiationMethod \"\(f.shown(method))\"")
        }
        let channelName = try f.requiredString("Channel")
        guard let channel = AmazonConnectMapper.channels[channelName] else {
            throw f.error("Channel", "unknown Channel \"\(f.shown(channelName))\"; Connect sends VOICE, CHAT, TASK or EMAIL")
        }
        guard let initiated = try f.instant("InitiationTimestamp") else { throw f.error("InitiationTimestamp", "InitiationTimestamp is missing") }
        let initial = try f.string("InitialContactId")
        let previous = try f.string("PreviousContactId")
        let root = initial ?? previous ?? contactID
        let version = try f.instant("LastUpdateTimestamp")
        let enqueued = try f.instant("Queue.EnqueueTimestamp")
        let connected = try f.instant("Agent.ConnectedToAgentTimestamp")
        let disconnected = try f.instant("DisconnectTimestamp")
        for path in ["Agent.AgentInteractionDuration", "Agent.CustomerHoldDuration", "Agent.AfterContactWorkDuration", "Queue.Duration"] {
            if let v = try f.number(path), v < 0 { throw f.error(path, "\(path) is negative (\(f.shown(formatSeconds(v))) s)") }
        }
        if let c = connected, let e = enqueued, c < e { throw f.error("Agent.ConnectedToAgentTimestamp", "the agent connected before the contact was queued") }
        if let d = disconnected, d < initiated { throw f.error("DisconnectTimestamp", "disconnected before it was initiated") }

        var b = RowBuilder()
        if root == contactID {
            b.contact("channel", .text(channel))
            b.contact("direction", .text(AmazonConnectMapper.outboundMethods.contains(method) ? "outbound" : "inbound"))
            b.contact("queue", try f.string("Queue.Name").fieldValue ?? .null)
            if let address = try f.string("CustomerEndpoint.Address") {
                guard let pseudonymiser else { throw f.error("CustomerEndpoint.Address", Pseudonymiser.KeyError.missing.description) }
                b.contact("customer_key", pseudonymiser.customerKey(for: address, kind: .auto, countryCode: phoneCountryCode).fieldValue ?? .null)
            }
            var reason: String?
            for name in reasonAttributes where reason == nil { reason = try f.string("Attributes.\(name)") }
            b.contact("contact_reason", reason.map { Redactor(countryCode: phoneCountryCode).redact($0) }.fieldValue)
            b.contact("arrived_at", .integer(enqueued ?? initiated))
            // Amazon Connect's own "Average queue answer time" and service level are computed from
            // Queue.Duration (docs/sources.md); the agent's connection can come seconds later (whisper).
            if !waitUntilAgent, let duration = try f.number("Queue.Duration") {
                b.contact("wait_s", .real(duration))
            } else if let c = connected, let e = enqueued {
                b.contact("wait_s", .real(Double(c - e) / 1000))
            } else {
                b.contact("wait_s", .null)
            }
            // A transfer to another contact (NextContactId) or to an external number, which leaves no
            // further CTR (TransferCompletedTimestamp, TransferredToEndpoint).
            let external = try f.string("TransferCompletedTimestamp") != nil || f.value("TransferredToEndpoint") != nil
            b.contact("transferred", .integer(try f.string("NextContactId") == nil && !external ? 0 : 1))
            if let csat = try attributeInteger(f, csatAttribute) {
                let scale = try attributeInteger(f, csatScaleAttribute) ?? 5
                guard csat >= (scale == 1 ? 0 : 1), csat <= scale else { throw f.error("Attributes.\(csatAttribute)", "csat \(f.shown(csat)) is outside its scale 1–\(f.shown(scale))") }
                b.contact("csat", .integer(csat))
                b.contact("csat_min", .integer(scale == 1 ? 0 : 1))
                b.contact("csat_max", .integer(scale))
            }
            if let nps = try attributeInteger(f, npsAttribute) {
                guard (0...10).contains(nps) else { throw f.error("Attributes.\(npsAttribute)", "nps must be 0–10, found \(f.shown(nps))") }
                b.contact("nps", .integer(nps))
            }
            if let notice = try f.string("Attributes.\(monitoringNoticeAttribute)") {
                guard let value = Array(notice.utf8).withUnsafeBytes({ ValueParsers.boolean($0) }) else {
                    throw f.error("Attributes.\(monitoringNoticeAttribute)", "expected true or false, found \"\(f.shown(notice))\"")
                }
                b.contact("monitoring_notice", .integer(value ? 1 : 0))
            }
            b.contact("version", version.fieldValue)
        }
        let agent = try f.string("Agent.Username")
        if connected != nil || agent != nil {
            b.leg("queue", try f.string("Queue.Name").fieldValue ?? .null)
            let group = try f.string("Agent.HierarchyGroups.Level\(teamLevel).GroupName")
            let profile = try f.string("Agent.RoutingProfile.Name")
            b.leg("team", (group ?? profile).fieldValue ?? .null)
            b.leg("agent_id", agent.fieldValue ?? .null)
            b.leg("answered_at", connected.fieldValue ?? .null)
            let acwStart = try f.instant("Agent.AfterContactWorkStartTimestamp")
            b.leg("ended_at", (acwStart ?? disconnected).fieldValue ?? .null)
            b.leg("talk_s", try f.number("Agent.AgentInteractionDuration").fieldValue ?? .null)
            b.leg("hold_s", try f.number("Agent.CustomerHoldDuration").fieldValue ?? .null)
            b.leg("acw_s", try f.number("Agent.AfterContactWorkDuration").fieldValue ?? .null)
            b.leg("recording_ref", try recordingLocation(f).fieldValue ?? .null)
            b.leg("disconnect_reason", try f.string("DisconnectReason").fieldValue)
        }
        if b.contact.isEmpty && b.leg.isEmpty { return [] }
        let row = MappedRow(source: source, interactionID: root, contact: b.contact.isEmpty ? nil : b.contact.map(\.1),
                            leg: b.leg.isEmpty ? nil : 1, legValues: b.leg.map(\.1), version: version, position: number,
                            legRef: b.leg.isEmpty ? nil : contactID, legVersion: version)
        return [(row, b.layout(abandonedFromLegs: true))]
    }

    /// A whole number stored in a contact attribute (attributes are strings in Connect).
    private func attributeInteger(_ f: JSONFields, _ name: String) throws(InputError) -> Int64? {
        guard let text = try f.string("Attributes.\(name)") else { return nil }
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else {
            throw f.error("Attributes.\(name)", "expected a whole number, found \"\(f.shown(text))\"")
        }
        return value
    }

    /// The first recording's location: `Recordings[]` (current CTRs), else the deprecated `Recording`.
    private func recordingLocation(_ f: JSONFields) throws(InputError) -> String? {
        if let list = f.value("Recordings") {
            guard let recordings = list as? [[String: Any]] else { throw f.error("Recordings", "expected a list of objects") }
            for (i, recording) in recordings.enumerated() {
                guard let location = recording["Location"] else { continue }
                guard let text = location as? String else { throw f.error("Recordings[\(i)].Location", "expected text") }
                if !text.isEmpty { return text }
            }
        }
        return try f.string("Recording.Location")
    }
}
