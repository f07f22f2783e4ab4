import Foundation

/// A small CSV file read whole by its header's column names (rosters, the QA team, acknowledgements,
/// disputes): the first problem rejects the file with its line and field.
struct HeaderedCSV {
    let name: String
    private(set) var rows: [(line: Int, values: [String: String])] = []

    /// - Parameter required: columns the header must have; `what` names the file's kind in messages.
    init(_ path: String, required: [String], optional: [String], what: String) throws {
        name = (path as NSString).lastPathComponent
        var header: [String] = []
        var rows: [(Int, [String: String])] = []
        let name = self.name
        try CSVReader(path: path).forEachRecord { record in
            let fields = (0..<record.count).map { (record.string($0) ?? "").trimmingCharacters(in: .whitespaces) }
            if header.isEmpty {
                header = fields
                for column in required where !header.contains(column) {
                    throw InputError(file: name, position: 1, field: column,
                                     reason: "\(what) needs the columns \(required.joined(separator: ", ")) (and may have \(optional.joined(separator: ", ")))")
                }
                return
            }
            guard fields.count == header.count else {
                throw InputError(file: name, position: record.line, reason: "expected \(header.count) fields as in the header, found \(fields.count)")
            }
            rows.append((record.line, Dictionary(zip(header, fields), uniquingKeysWith: { a, _ in a })))
        }
        self.rows = rows
    }

    func error(_ line: Int, _ field: String, _ reason: String) -> InputError {
        InputError(file: name, position: line, field: field, reason: reason)
    }

    func date(_ row: (line: Int, values: [String: String]), _ column: String) throws -> LocalDate {
        let text = row.values[column] ?? ""
        guard let date = LocalDate(iso: text) else { throw error(row.line, column, "\"\(text)\" is not a date YYYY-MM-DD") }
        return date
    }

    /// A free-text column, redacted like evaluation comments; nil when empty.
    func text(_ row: (line: Int, values: [String: String]), _ column: String) -> String? {
        guard let value = row.values[column], !value.isEmpty else { return nil }
        return Redactor.redact(value)
    }
}

/// An agent's acknowledgement of a week's feedback pack: `agent_id, week, acknowledged_on[, comment]`.
struct Acknowledgement: Equatable, Sendable {
    var agentID: String
    var week: ISOWeek
    var acknowledgedOn: LocalDate
    var comment: String?

    static func read(_ path: String) throws -> [Acknowledgement] {
        let file = try HeaderedCSV(path, required: ["agent_id", "week", "acknowledged_on"], optional: ["comment"], what: "an acknowledgements file")
        return try file.rows.map { row in
            let agent = row.values["agent_id"] ?? ""
            guard !agent.isEmpty else { throw file.error(row.line, "agent_id", "agent_id is empty") }
            guard let week = ISOWeek(row.values["week"] ?? "") else {
                throw file.error(row.line, "week", "\"\(row.values["week"] ?? "")\" is not an ISO week such as 2026-W47")
            }
            return Acknowledgement(agentID: agent, week: week, acknowledgedOn: try file.date(row, "acknowledged_on"), comment: file.text(row, "comment"))
        }
    }
}

/// An agent's dispute of an evaluation: `evaluation_id, raised_on[, criterion_id, reason]`. It opens a
/// re-evaluation by another evaluator, whose evaluation names it in `re_evaluates`.
struct Dispute: Equatable, Sendable {
    var evaluationID: String
    var criterionID: String?
    var raisedOn: LocalDate
    var reason: String?

    /// Reads a disputes file; every evaluation it names must be in the store, and a criterion in its scorecard.
    static func read(_ path: String, store: any SQLStore) throws -> [Dispute] {
        let file = try HeaderedCSV(path, required: ["evaluation_id", "raised_on"], optional: ["criterion_id", "reason"], what: "a disputes file")
        let cards = try store.scorecards()
        return try file.rows.map { row in
            let id = row.values["evaluation_id"] ?? ""
            guard let evaluation = try store.evaluationLeg(id: id) else {
                throw file.error(row.line, "evaluation_id", "no evaluation \(id.isEmpty ? "(empty)" : id) in the store")
            }
            let criterion = row.values["criterion_id"].flatMap { $0.isEmpty ? nil : $0 }
            if let criterion, cards[evaluation.scorecardKey]?.criterion(criterion) == nil {
                throw file.error(row.line, "criterion_id", "criterion \"\(criterion)\" is not in the evaluation's scorecard \(evaluation.scorecardKey)")
            }
            return Dispute(evaluationID: id, criterionID: criterion, raisedOn: try file.date(row, "raised_on"), reason: file.text(row, "reason"))
        }
    }
}
