import Foundation

/// Zendesk Support tickets from the incremental ticket export (`{"tickets": [...]}` with
/// `include=metric_sets`, or tickets one per line). Field by field: docs/sources.md.
///
/// A ticket is one contact; its assignee is its one leg (agent = assignee, team = group). Tickets carry
/// no handle time, so their legs have none and stay out of AHT. The latest `updated_at` wins.
///
/// Agents' and groups' names come from the Zendesk list APIs' files exported beside the tickets
/// (`users.json`: `{"users": [{"id", "name", "role"}]}`, `groups.json`: `{"groups": [{"id", "name"}]}`),
/// else the numeric ids stand. Only staff (role agent or admin) are read from `users.json`: the
/// requesters' names in it are customers' personal data and never leave the file.
package struct ZendeskTicketMapper: JSONRecordMapper {
    package var source = "zendesk"
    package var wrapperKey: String? = "tickets"
    var agentNames: [String: String] = [:]
    var groupNames: [String: String] = [:]

    package init() {}

    /// Reads `users.json` and `groups.json` in `directory`, when they are there.
    package init(lookupsIn directory: String) throws {
        self.init()
        func entries(_ file: String, _ key: String, staffOnly: Bool) throws -> [String: String] {
            let path = (directory as NSString).appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: path) else { return [:] }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let items = object[key] as? [[String: Any]] else {
                throw InputError(file: file, reason: "a Zendesk lookup file holds {\"\(key)\": [{\"id\": …, \"name\": …}]}, as the list API returns it")
            }
            var names: [String: String] = [:]
            for item in items {
                guard let id = item["id"].map({ "\($0)" }), let name = item["name"] as? String, !name.isEmpty else { continue }
                if staffOnly, !["agent", "admin"].contains(item["role"] as? String ?? "") { continue }
                names[id] = name
            }
            return names
        }
        agentNames = try entries("users.json", "users", staffOnly: true)
        groupNames = try entries("groups.json", "groups", staffOnly: false)
    }

    static let channels: [String: String] = [
        "email": "email", "web": "email", "api": "other", "voice": "voice", "chat": "chat", "native_messaging": "messaging",
        "sms": "messaging", "mobile_sdk": "messaging", "whatsapp": "messaging", "twitter": "social", "facebook": "social",
        "instagram_dm": "social", "any_channel": "other",
    ]

    package func identifiers(in record: [String: Any]) -> [String] {
        [record["requester_id"]].compactMap { $0.map { "\($0)" } }.filter { $0.count > 3 }
    }

    package func rows(from record: [String: Any], number: Int, file: String, pseudonymiser: Pseudonymiser?) throws(InputError) -> [(MappedRow, RowLayout)] {
        let f = JSONFields(object: record, number: number, file: file)
        guard let idValue = f.value("id") else { throw f.error("id", "id is missing") }
        let id: String
        if let n = idValue as? NSNumber { id = n.stringValue } else if let s = idValue as? String, !s.isEmpty { id = s } else {
            throw f.error("id", "expected a ticket number")
        }
        // A deleted ticket is no contact. A `new` one is one no agent has acted on yet, even when a trigger
        // already assigned it: neither handled nor abandoned, so it is skipped (and counted as skipped)
        // until an export shows it acted on; that export loads it into the week it was created in.
        if let status = try f.string("status"), status == "deleted" || status == "new" { return [] }
        guard let created = try f.instant("created_at") else { throw f.error("created_at", "created_at is missing") }
        let updated = try f.instant("updated_at")
        let viaChannel = try f.string("via.channel") ?? "web"
        let channel = ZendeskTicketMapper.channels[viaChannel] ?? "other"
        var b = RowBuilder()
        b.contact("channel", .text(channel))
        b.contact("direction", .text("inbound"))
        b.contact("arrived_at", .integer(created))
        if let requester = f.value("requester_id").map({ "\($0)" }), !(f.value("requester_id") is NSNull) {
            guard let pseudonymiser else { throw f.error("requester_id", Pseudonymiser.KeyError.missing.description) }
            b.contact("customer_key", pseudonymiser.customerKey(for: "zendesk-user:\(requester)", kind: .other, countryCode: nil).fieldValue ?? .null)
        }
        let firstReply = try f.number("metric_set.reply_time_in_minutes.calendar")
        if let minutes = firstReply, minutes < 0 { throw f.error("metric_set.reply_time_in_minutes.calendar", "negative reply time") }
        // Past a year the number is no reply time (and would overflow an instant); the bounds then name the plausible limit.
        if let minutes = firstReply, !(minutes <= 525_600) {
            throw f.error("metric_set.reply_time_in_minutes.calendar", "a reply time of \(f.shown(formatSeconds(minutes))) minutes is not plausible (more than a year)")
        }
        b.contact("wait_s", firstReply.map { .real($0 * 60) } ?? .null)
        b.contact("abandoned", .integer(0))
        // Resolved first time: solved (or closed) and never reopened (Zendesk's `reopens` metric).
        let reopens = try f.number("metric_set.reopens") ?? 0
        if let status = try f.string("status") {
            b.contact("resolved", .integer((status == "solved" || status == "closed") && reopens == 0 ? 1 : 0))
        }
        // A ticket moved to another group or agent was transferred (`group_stations`, `assignee_stations`
        // count the groups and assignees it had).
        // Only an export that carries the counts says anything: absent is not "not transferred".
        let groups = try f.number("metric_set.group_stations")
        let assignees = try f.number("metric_set.assignee_stations")
        if groups != nil || assignees != nil {
            b.contact("transferred", .integer((groups ?? 1) > 1 || (assignees ?? 1) > 1 ? 1 : 0))
        }
        let tagValue = f.value("tags")
        guard tagValue == nil || tagValue is [String] else { throw f.error("tags", "expected a list of text") }
        let tags = tagValue as? [String] ?? []
        let priority = try f.string("priority")
        b.contact("escalated", .integer(tags.contains("escalated") || priority == "urgent" ? 1 : 0))
        b.contact("contact_reason", (try f.string("type")).fieldValue ?? .null)
        switch try f.string("satisfaction_rating.score") {
        case "good": b.contact("csat", .integer(1)); b.contact("csat_min", .integer(0)); b.contact("csat_max", .integer(1))
        case "bad": b.contact("csat", .integer(0)); b.contact("csat_min", .integer(0)); b.contact("csat_max", .integer(1))
        case nil, "offered", "unoffered": break
        case let other?: throw f.error("satisfaction_rating.score", "unknown satisfaction score \"\(f.shown(other))\"; Zendesk sends good, bad, offered or unoffered")
        }
        b.contact("version", updated.fieldValue)
        if let assignee = f.value("assignee_id").map({ "\($0)" }) {
            b.leg("agent_id", .text(agentNames[assignee] ?? assignee))
            b.leg("team", f.value("group_id").map { group in .text(groupNames["\(group)"] ?? "\(group)") } ?? .null)
            b.leg("answered_at", firstReply.map { .integer(created + Int64($0 * 60_000)) } ?? .null)
            b.leg("ended_at", (try f.instant("metric_set.solved_at")).fieldValue ?? .null)
        }
        let row = MappedRow(source: source, interactionID: id, contact: b.contact.map(\.1), leg: b.leg.isEmpty ? nil : 1,
                            legValues: b.leg.map(\.1), version: updated, position: number,
                            legRef: b.leg.isEmpty ? nil : "assignee", legVersion: updated)
        return [(row, b.layout(abandonedFromLegs: false))]
    }
}
