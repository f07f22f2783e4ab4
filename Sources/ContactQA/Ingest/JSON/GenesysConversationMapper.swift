import Foundation

/// Genesys Cloud analytics conversation details (the JSON of the conversation details query and
/// jobs APIs: `{"conversations": [...]}`), conversation → participants → sessions → segments and
/// metrics. Field by field: docs/sources.md.
///
/// A conversation is one contact; each agent participant's session that reached `interact` is one
/// leg (a transfer adds a leg). The first ACD queue is the contact's queue and the last wrap-up code
/// its reason. Queue, wrap-up and user names come from lookup files exported beside the data
/// (`queues.json`, `wrapupcodes.json`, `users.json`: `{"entities": [{"id", "name"}]}`), else from
/// participant names, else ids.
package struct GenesysConversationMapper: JSONRecordMapper {
    package var source = "genesys"
    package var wrapperKey: String? = "conversations"
    var queueNames: [String: String] = [:]
    var wrapUpNames: [String: String] = [:]
    var userNames: [String: String] = [:]
    var teamNames: [String: String] = [:]
    var phoneCountryCode: String?

    package init() {}

    /// Reads the lookup files found in `directory`, when there are any.
    package init(lookupsIn directory: String) throws {
        self.init()
        func names(_ file: String) throws -> [String: String] {
            let path = (directory as NSString).appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: path) else { return [:] }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let entities = object["entities"] as? [[String: Any]] else {
                throw InputError(file: file, reason: "a lookup file holds {\"entities\": [{\"id\": …, \"name\": …}]}")
            }
            var result: [String: String] = [:]
            for entity in entities { if let id = entity["id"] as? String, let name = entity["name"] as? String { result[id] = name } }
            return result
        }
        queueNames = try names("queues.json")
        wrapUpNames = try names("wrapupcodes.json")
        userNames = try names("users.json")
        teamNames = try names("teams.json")
    }

    static let channels = ["voice": "voice", "callback": "voice", "chat": "chat", "email": "email", "message": "messaging",
                           "cobrowse": "other", "video": "other", "screenshare": "other"]

    package func identifiers(in record: [String: Any]) -> [String] {
        let participants = record["participants"] as? [[String: Any]] ?? []
        return participants.filter { $0["purpose"] as? String == "customer" || $0["purpose"] as? String == "external" }
            .flatMap { participant in
                (participant["sessions"] as? [[String: Any]] ?? []).flatMap { session in ["ani", "dnis", "addressFrom", "addressTo"].compactMap { session[$0] as? String } }
                    + [participant["participantName"] as? String].compactMap { $0 }
            }
    }

    package func rows(from record: [String: Any], number: Int, file: String, pseudonymiser: Pseudonymiser?) throws(InputError) -> [(MappedRow, RowLayout)] {
        let f = JSONFields(object: record, number: number, file: file)
        let id = try f.requiredString("conversationId")
        guard let start = try f.instant("conversationStart") else { throw f.error("conversationStart", "conversationStart is missing") }
        guard let participants = f.value("participants") as? [[String: Any]] else { throw f.error("participants", "participants is missing or not a list") }
        var direction = try f.string("originatingDirection") ?? "inbound"
        guard direction == "inbound" || direction == "outbound" else { throw f.error("originatingDirection", "expected inbound or outbound, found \"\(f.shown(direction))\"") }
        // A dialler campaign's conversation (a session with `outboundCampaignId`) is outbound work, even
        // when a preview reached the agent as a callback marked inbound.
        let campaign = participants.contains { ($0["sessions"] as? [[String: Any]] ?? []).contains { $0["outboundCampaignId"] is String } }
        if campaign { direction = "outbound" }
        // A call between colleagues (a `user` party, no customer or external one) is not a customer's
        // contact: it is skipped and counted like a supervisor's record.
        let parties = participants.compactMap { $0["purpose"] as? String }
        if parties.contains("user"), !parties.contains("customer"), !parties.contains("external") { return [] }

        var channel: String?
        var customer: String?
        var queueID: String?
        var queueEntered: Int64?
        var acdWait: Double?
        var wrapUp: String?
        var transferred = false
        var latest = start
        var legs: [(ref: String, values: [(String, FieldValue)])] = []
        // Every field read is type-checked: a value of the wrong type is a rejected record naming its path, never dropped.
        func text(_ object: [String: Any], _ key: String, at path: String) throws(InputError) -> String? {
            try located(path) { () throws(InputError) in try JSONFields(object: object, number: number, file: file).string(key) }
        }
        func list(_ object: [String: Any], _ key: String, at path: String) throws(InputError) -> [[String: Any]] {
            guard let value = object[key], !(value is NSNull) else { return [] }
            guard let items = value as? [[String: Any]] else { throw f.error("\(path).\(key)", "expected a list of objects") }
            return items
        }
        for (p, participant) in participants.enumerated() {
            let path = "participants[\(p)]"
            let purpose = try text(participant, "purpose", at: path) ?? ""
            let sessions = try list(participant, "sessions", at: path)
            for (s, session) in sessions.enumerated() {
                let sp = JSONFields(object: session, number: number, file: file)
                let sessionPath = "\(path).sessions[\(s)]"
                let media = try located(sessionPath) { () throws(InputError) in try sp.string("mediaType") }
                if channel == nil, let media { channel = GenesysConversationMapper.channels[media] ?? "other" }
                let segments = try list(session, "segments", at: sessionPath)
                var metrics: [String: Double] = [:]
                for metric in try list(session, "metrics", at: sessionPath) {
                    if let name = try text(metric, "name", at: "\(sessionPath).metrics") {
                        guard let value = (metric["value"] as? NSNumber)?.doubleValue, !(metric["value"] is String) else {
                            throw f.error("\(sessionPath).metrics.\(name)", "expected a number of milliseconds")
                        }
                        guard value >= 0 else { throw f.error("\(sessionPath).metrics.\(name)", "\(name) is negative") }
                        metrics[name] = value + (metrics[name] ?? 0)
                    }
                }
                var interactStart: Int64?
                var interactQueue: String?
                var end: Int64?
                for (g, segment) in segments.enumerated() {
                    let g2 = JSONFields(object: segment, number: number, file: file)
                    let segmentPath = "\(sessionPath).segments[\(g)]"
                    let segmentStart = try located(segmentPath) { () throws(InputError) in try g2.instant("segmentStart") }
                    let segmentEnd = try located(segmentPath) { () throws(InputError) in try g2.instant("segmentEnd") }
                    if let e = segmentEnd { end = max(end ?? e, e); latest = max(latest, e) }
                    let type = try text(segment, "segmentType", at: segmentPath)
                    let segmentQueue = try text(segment, "queueId", at: segmentPath)
                    if purpose == "acd", queueID == nil, let q = segmentQueue {
                        queueID = q
                        queueEntered = segmentStart
                    }
                    if purpose == "agent", type == "interact", interactStart == nil {
                        interactStart = segmentStart
                        interactQueue = segmentQueue
                    }
                    if purpose == "agent", type == "wrapup", let code = try text(segment, "wrapUpCode", at: segmentPath) { wrapUp = code }
                }
                if purpose == "acd", acdWait == nil, let acd = metrics["tAcd"] ?? metrics["tAbandon"] { acdWait = acd / 1000 }
                if (metrics["nTransferred"] ?? 0) > 0 { transferred = true }
                if purpose == "customer" || purpose == "external", customer == nil {
                    // The customer's own address: the caller's on an inbound call, the number dialled on an outbound one.
                    let keys = direction == "outbound" ? ("dnis", "addressTo") : ("ani", "addressFrom")
                    let number = try text(session, keys.0, at: sessionPath)
                    let address = try text(session, keys.1, at: sessionPath)
                    customer = number ?? address
                }
                if purpose == "agent", let answered = interactStart {
                    let user = try text(participant, "userId", at: path)
                    let team = try text(participant, "teamId", at: path)
                    let participantName = try text(participant, "participantName", at: path)
                    let name = user.flatMap { userNames[$0] } ?? user ?? participantName
                    let sessionID = try text(session, "sessionId", at: sessionPath) ?? "\(p).\(s)"
                    legs.append((sessionID, [
                        // One name for a queue, whether the contact or the leg names it.
                        ("queue", ((interactQueue ?? queueID).map { queueNames[$0] ?? acdName(participants, $0) ?? $0 }).fieldValue ?? .null),
                        ("team", (team.map { teamNames[$0] ?? $0 }).fieldValue ?? .null),
                        ("agent_id", name.fieldValue ?? .null),
                        ("answered_at", .integer(answered)),
                        ("ended_at", end.fieldValue ?? .null),
                        ("talk_s", (metrics["tTalkComplete"] ?? metrics["tTalk"]).map { .real($0 / 1000) } ?? .null),
                        ("hold_s", (metrics["tHeldComplete"] ?? metrics["tHeld"]).map { .real($0 / 1000) } ?? .null),
                        ("acw_s", metrics["tAcw"].map { .real($0 / 1000) } ?? .null),
                    ]))
                }
            }
        }
        // A campaign contact no agent ever talked to — a preview the agent skipped, a dial nobody
        // answered — is no contact with a customer: skipped and counted.
        if campaign, legs.isEmpty { return [] }
        var b = RowBuilder()
        b.contact("channel", .text(channel ?? "voice"))
        b.contact("direction", .text(direction))
        b.contact("queue", (queueID.map { queueNames[$0] ?? acdName(participants, $0) ?? $0 }).fieldValue ?? .null)
        if let raw = customer {
            guard let pseudonymiser else { throw f.error("participants.sessions.ani", Pseudonymiser.KeyError.missing.description) }
            let cleaned = raw.replacingOccurrences(of: "tel:", with: "").replacingOccurrences(of: "sip:", with: "").replacingOccurrences(of: "mailto:", with: "")
            b.contact("customer_key", pseudonymiser.customerKey(for: cleaned, kind: .auto, countryCode: phoneCountryCode).fieldValue ?? .null)
        }
        b.contact("contact_reason", (wrapUp.map { Redactor(countryCode: phoneCountryCode).redact(wrapUpNames[$0] ?? $0) }).fieldValue ?? .null)
        b.contact("arrived_at", .integer(queueEntered ?? start))
        b.contact("wait_s", acdWait.fieldValue ?? .null)
        b.contact("transferred", .integer(transferred ? 1 : 0))
        b.contact("version", .integer(latest))
        var rows: [(MappedRow, RowLayout)] = []
        let contactLayout = b.layout(abandonedFromLegs: true)
        if legs.isEmpty {
            rows.append((MappedRow(source: source, interactionID: id, contact: b.contact.map(\.1), leg: nil, legValues: [], version: latest, position: number), contactLayout))
        }
        for (i, leg) in legs.enumerated() {
            let layout = RowLayout(contactColumns: i == 0 ? contactLayout.contactColumns : [], legColumns: leg.values.map(\.0), abandonedFromLegs: true)
            rows.append((MappedRow(source: source, interactionID: id, contact: i == 0 ? b.contact.map(\.1) : nil, leg: 1, legValues: leg.values.map(\.1),
                                   version: latest, position: number, legRef: leg.ref, legVersion: latest), layout))
        }
        return rows
    }

    /// The name of the ACD participant that held `queue` (its segments carry the queue id).
    private func acdName(_ participants: [[String: Any]], _ queue: String) -> String? {
        participants.first { participant in
            participant["purpose"] as? String == "acd" && (participant["sessions"] as? [[String: Any]] ?? []).contains { session in
                (session["segments"] as? [[String: Any]] ?? []).contains { $0["queueId"] as? String == queue }
            }
        }?["participantName"] as? String
    }

    /// Runs a field read inside a nested object, prefixing the error's field with the object's path.
    private func located<T>(_ path: String, _ body: () throws(InputError) -> T) throws(InputError) -> T {
        do { return try body() } catch {
            var located = error
            located.field = path + "." + (error.field ?? "")
            throw located
        }
    }
}
