import Foundation

/// What a site sets for a JSON source without code: a small YAML file given as the input's `mapping:`
/// (or `--mapping`), e.g. for Amazon Connect
///
/// ```yaml
/// phone_country_code: 44
/// team_level: 2                 # Agent.HierarchyGroups.Level2.GroupName is the team
/// attributes: {reason: [call_reason], csat: survey_csat, csat_scale: survey_scale, nps: survey_nps,
///              monitoring_notice: recording_announced}
/// wait: queue                   # Queue.Duration, as Connect's own ASA (default); or to_agent
/// ```
///
/// Genesys Cloud takes `phone_country_code` only; Zendesk none (its requesters are ids and addresses).
struct JSONMapperOptions {
    var phoneCountryCode: String?
    var teamLevel: Int?
    var reasonAttributes: [String]?
    var csatAttribute: String?
    var csatScaleAttribute: String?
    var npsAttribute: String?
    var monitoringNoticeAttribute: String?
    var waitUntilAgent: Bool?

    static func load(file: String, kind: SourceKind) throws -> JSONMapperOptions {
        let root = try ConfigNode.load(file: file)
        let allowed = switch kind {
        case .amazonConnectCTR: ["phone_country_code", "team_level", "attributes", "wait"]
        case .genesysConversations: ["phone_country_code"]
        default: [String]()
        }
        let top = try root.dictionary(allowed: allowed)
        var options = JSONMapperOptions()
        if let node = top["phone_country_code"] { options.phoneCountryCode = try Mapping.callingCode(node) }
        if let node = top["wait"] {
            switch try node.string() {
            case "queue": options.waitUntilAgent = false
            case "to_agent": options.waitUntilAgent = true
            case let other: throw node.error("wait is queue (Queue.Duration, as Connect's own ASA) or to_agent (until the agent connected, the whisper included), not \"\(other)\"")
            }
        }
        if let node = top["team_level"] {
            let level = try node.int()
            guard (1...5).contains(level) else { throw node.error("team_level is a hierarchy level, 1 to 5") }
            options.teamLevel = level
        }
        if let attributes = try top["attributes"]?.dictionary(allowed: ["reason", "csat", "csat_scale", "nps", "monitoring_notice"]) {
            if let node = attributes["reason"] { options.reasonAttributes = try node.stringList() }
            options.csatAttribute = try attributes["csat"]?.string()
            options.csatScaleAttribute = try attributes["csat_scale"]?.string()
            options.npsAttribute = try attributes["nps"]?.string()
            options.monitoringNoticeAttribute = try attributes["monitoring_notice"]?.string()
        }
        return options
    }

    func apply(to mapper: inout AmazonConnectMapper) {
        if let phoneCountryCode { mapper.phoneCountryCode = phoneCountryCode }
        if let teamLevel { mapper.teamLevel = teamLevel }
        if let reasonAttributes { mapper.reasonAttributes = reasonAttributes }
        if let csatAttribute { mapper.csatAttribute = csatAttribute }
        if let csatScaleAttribute { mapper.csatScaleAttribute = csatScaleAttribute }
        if let npsAttribute { mapper.npsAttribute = npsAttribute }
        if let monitoringNoticeAttribute { mapper.monitoringNoticeAttribute = monitoringNoticeAttribute }
        if let waitUntilAgent { mapper.waitUntilAgent = waitUntilAgent }
    }
}
