import Foundation

/// What Amazon Connect Contact Lens found in one contact: its output file (one JSON object per analysed
/// contact, `Analysis/Voice/…/<ContactId>_analysis_….json` or `Analysis/Chat/…`), reduced to what QA
/// uses — sentiment, matched categories, talk and non-talk time, interruptions.
///
/// The transcript is not kept: it is what the customer said, and nothing here needs it. Neither are the
/// participants' ids, the file's S3 location or the contact summary (free text that can name the
/// customer). The file is attached to the leg whose Connect `ContactId` it names, in whichever order
/// the CTRs and the analysis arrive.
struct ConversationAnalytics: Equatable, Sendable {
    /// Connect's ContactId: the reference of one leg of an `amazon-connect` contact.
    var contactID: String
    /// VOICE or CHAT.
    var channel: String
    var durationMs: Int64?
    var talkMs: Int64?
    var nonTalkMs: Int64?
    var interruptions: Int?
    /// Overall sentiment of each side, −5 (negative) to +5 (positive).
    var customerSentiment: Double?
    var agentSentiment: Double?
    /// The customer's sentiment in the last quarter of the conversation: how the contact ended.
    var customerEndSentiment: Double?
    /// Matched category names, sorted.
    var categories: [String]

    /// Reads one output file.
    /// - Returns: nil for an analysis that did not complete (`JobStatus` other than COMPLETED).
    /// - Throws: `InputError` naming the file and the field that is missing or malformed.
    static func read(_ path: String) throws -> ConversationAnalytics? {
        let name = (path as NSString).lastPathComponent
        func fail(_ field: String, _ reason: String) -> InputError { InputError(file: name, position: 1, unit: .record, field: field, reason: reason) }
        guard let data = FileManager.default.contents(atPath: path) else { throw InputError(file: name, reason: "cannot be read") }
        guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InputError(file: name, reason: "is not a Contact Lens output file: not a JSON object")
        }
        guard let status = top["JobStatus"] as? String else { throw fail("JobStatus", "is missing") }
        guard status == "COMPLETED" else { return nil }
        guard let metadata = top["CustomerMetadata"] as? [String: Any] else { throw fail("CustomerMetadata", "is missing") }
        guard let contactID = metadata["ContactId"] as? String, !contactID.isEmpty else { throw fail("CustomerMetadata.ContactId", "is missing") }
        guard let channel = top["Channel"] as? String, ["VOICE", "CHAT"].contains(channel) else {
            throw fail("Channel", "is \(top["Channel"].map { "\"\(Redactor.display("\($0)"))\"" } ?? "missing"); VOICE or CHAT expected")
        }
        let characteristics = top["ConversationCharacteristics"] as? [String: Any] ?? [:]
        func milliseconds(_ path: String, _ value: Any?) throws -> Int64? {
            guard let value else { return nil }
            guard let number = value as? NSNumber, number.doubleValue >= 0, number.doubleValue < 1e12 else {
                throw fail(path, "\(Redactor.display("\(value)")) is not a duration in milliseconds")
            }
            return number.int64Value
        }
        func score(_ path: String, _ value: Any?) throws -> Double? {
            guard let value else { return nil }
            guard let number = value as? NSNumber, (-5...5).contains(number.doubleValue) else {
                throw fail(path, "\(Redactor.display("\(value)")) is not a sentiment score between -5 and 5")
            }
            return number.doubleValue
        }
        let sentiment = characteristics["Sentiment"] as? [String: Any] ?? [:]
        let overall = sentiment["OverallSentiment"] as? [String: Any] ?? [:]
        let quarters = ((sentiment["SentimentByPeriod"] as? [String: Any])?["QUARTER"] as? [String: Any])?["CUSTOMER"] as? [[String: Any]] ?? []
        let lastQuarter = quarters.max { ($0["BeginOffsetMillis"] as? NSNumber)?.int64Value ?? 0 < ($1["BeginOffsetMillis"] as? NSNumber)?.int64Value ?? 0 }
        let interruptions = characteristics["Interruptions"] as? [String: Any]
        var count: Int?
        if let total = interruptions?["TotalCount"] {
            guard let n = total as? NSNumber, n.intValue >= 0 else { throw fail("ConversationCharacteristics.Interruptions.TotalCount", "\(Redactor.display("\(total)")) is not a count") }
            count = n.intValue
        }
        let categories = (top["Categories"] as? [String: Any])?["MatchedCategories"] as? [String] ?? []
        return ConversationAnalytics(
            contactID: contactID, channel: channel,
            durationMs: try milliseconds("ConversationCharacteristics.TotalConversationDurationMillis", characteristics["TotalConversationDurationMillis"]),
            talkMs: try milliseconds("ConversationCharacteristics.TalkTime.TotalTimeMillis", (characteristics["TalkTime"] as? [String: Any])?["TotalTimeMillis"]),
            nonTalkMs: try milliseconds("ConversationCharacteristics.NonTalkTime.TotalTimeMillis", (characteristics["NonTalkTime"] as? [String: Any])?["TotalTimeMillis"]),
            interruptions: count,
            customerSentiment: try score("ConversationCharacteristics.Sentiment.OverallSentiment.CUSTOMER", overall["CUSTOMER"]),
            agentSentiment: try score("ConversationCharacteristics.Sentiment.OverallSentiment.AGENT", overall["AGENT"]),
            customerEndSentiment: try score("ConversationCharacteristics.Sentiment.SentimentByPeriod.QUARTER.CUSTOMER", lastQuarter?["Score"]),
            categories: Array(Set(categories)).sorted())
    }
}
