import Foundation

/// A site's own conversation-analytics export (speech analytics of a PBX, a chat tool's sentiment): a
/// CSV with one row per contact or leg, read through a mapping that names its columns.
///
/// ```yaml
/// source: telephony                 # the source the contacts were loaded under
/// columns: {interaction_id: call_id, leg: leg, customer_end_sentiment: end_score, categories: tags,
///           non_talk_s: silence_s, duration_s: length_s}
/// sentiment_scale: {min: -1, max: 1}   # the file's scale, turned into −5 to +5
/// categories_separator: ";"
/// ```
///
/// Only the mapped columns are read; anything else in the file (names, numbers, transcripts) is never
/// stored. Category names are redacted like contact reasons.
struct AnalyticsMapping: Sendable {
    var source: String
    /// Our field → the file's column.
    var columns: [String: String]
    var sentimentScale = (min: -5.0, max: 5.0)
    var categoriesSeparator = ";"

    static let fields = ["interaction_id", "leg", "channel", "duration_s", "talk_s", "non_talk_s", "interruptions",
                         "customer_sentiment", "agent_sentiment", "customer_end_sentiment", "categories"]

    static func load(file: String) throws -> AnalyticsMapping {
        let root = try ConfigNode.load(file: file)
        let top = try root.dictionary(allowed: ["source", "columns", "sentiment_scale", "categories_separator"])
        guard let sourceNode = top["source"], let columnsNode = top["columns"] else { throw root.error("an analytics mapping needs `source` and `columns`") }
        var columns: [String: String] = [:]
        for (field, node) in try columnsNode.dictionary(allowed: fields) { columns[field] = try node.string() }
        guard columns["interaction_id"] != nil else { throw columnsNode.error("columns must name the file's interaction_id column") }
        var mapping = AnalyticsMapping(source: try sourceNode.string(), columns: columns)
        if let node = top["sentiment_scale"] {
            let scale = try node.dictionary(allowed: ["min", "max"])
            guard let min = try scale["min"]?.double(), let max = try scale["max"]?.double(), max > min else {
                throw node.error("sentiment_scale needs min and max, max above min")
            }
            mapping.sentimentScale = (min, max)
        }
        if let node = top["categories_separator"] {
            mapping.categoriesSeparator = try node.string()
            guard !mapping.categoriesSeparator.isEmpty else { throw node.error("categories_separator is one or more characters") }
        }
        return mapping
    }

    /// Reads a file through the mapping. A leg's key is `interaction_id#leg` (leg 1 when unmapped).
    /// - Throws: `InputError` naming the file, line and field of the first bad value.
    func read(_ path: String) throws -> [ConversationAnalytics] {
        let required = [columns["interaction_id"]!]
        let file = try HeaderedCSV(path, required: required, optional: Array(Set(columns.values).subtracting(required)).sorted(), what: "this analytics file")
        return try file.rows.map { row in
            func value(_ field: String) -> String? { columns[field].flatMap { row.values[$0] }.flatMap { $0.isEmpty ? nil : $0 } }
            func number(_ field: String) throws -> Double? {
                guard let text = value(field) else { return nil }
                guard let x = Double(text), x.isFinite else { throw file.error(row.line, columns[field]!, "\"\(text)\" is not a number (\(field))") }
                return x
            }
            func milliseconds(_ field: String) throws -> Int64? {
                guard let seconds = try number(field) else { return nil }
                guard seconds >= 0, seconds < 1e9 else { throw file.error(row.line, columns[field]!, "\(seconds) is not a duration in seconds (\(field))") }
                return Int64((seconds * 1000).rounded())
            }
            func sentiment(_ field: String) throws -> Double? {
                guard let x = try number(field) else { return nil }
                let (lo, hi) = sentimentScale
                guard x >= lo, x <= hi else { throw file.error(row.line, columns[field]!, "\(x) lies outside the sentiment scale \(lo) to \(hi) (\(field))") }
                return -5 + 10 * (x - lo) / (hi - lo)
            }
            guard let id = value("interaction_id") else { throw file.error(row.line, columns["interaction_id"]!, "the interaction id is empty") }
            var leg = 1
            if let text = value("leg") {
                guard let n = Int(text), n >= 1 else { throw file.error(row.line, columns["leg"]!, "\"\(text)\" is not a leg number (1, 2, …)") }
                leg = n
            }
            var interruptions: Int?
            if let text = value("interruptions") {
                guard let n = Int(text), n >= 0 else { throw file.error(row.line, columns["interruptions"]!, "\"\(text)\" is not a count") }
                interruptions = n
            }
            let categories = columns["categories"].flatMap { file.text(row, $0) }?
                .components(separatedBy: categoriesSeparator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
            return ConversationAnalytics(
                contactID: "\(id)#\(leg)", channel: value("channel") ?? "unknown",
                durationMs: try milliseconds("duration_s"), talkMs: try milliseconds("talk_s"), nonTalkMs: try milliseconds("non_talk_s"),
                interruptions: interruptions, customerSentiment: try sentiment("customer_sentiment"), agentSentiment: try sentiment("agent_sentiment"),
                customerEndSentiment: try sentiment("customer_end_sentiment"), categories: Array(Set(categories)).sorted())
        }
    }
}
