import Foundation

/// One agent of the roster (an HR export): `agent_id, display_name, team, start_date,
/// monitoring_acknowledged_on`, only `agent_id` required.
struct RosterEntry: Equatable, Sendable {
    var agentID: String
    var displayName: String?
    var team: String?
    var startDate: LocalDate?
    var acknowledgedOn: LocalDate?

    static let columns = ["agent_id", "display_name", "team", "start_date", "monitoring_acknowledged_on"]

    /// Reads a roster CSV whole; the first problem rejects the file with its line and field.
    static func read(_ path: String) throws -> [RosterEntry] {
        let name = (path as NSString).lastPathComponent
        var header: [String] = []
        var index: [Int?] = []
        var entries: [RosterEntry] = []
        try CSVReader(path: path).forEachRecord { record in
            let fields = (0..<record.count).map { record.string($0).map { $0.trimmingCharacters(in: .whitespaces) } }
            if header.isEmpty {
                header = fields.map { $0 ?? "" }
                guard header.contains("agent_id") else {
                    throw InputError(file: name, position: 1, field: "agent_id", reason: "a roster needs an agent_id column; it may have \(columns.joined(separator: ", "))")
                }
                index = columns.map { header.firstIndex(of: $0) }
                return
            }
            guard fields.count == header.count else {
                throw InputError(file: name, position: record.line, reason: "expected \(header.count) fields as in the header, found \(fields.count)")
            }
            func value(_ k: Int) -> String? { index[k].flatMap { fields[$0] }.flatMap { $0.isEmpty ? nil : $0 } }
            func date(_ k: Int) throws -> LocalDate? {
                guard let text = value(k) else { return nil }
                guard let date = LocalDate(iso: text) else {
                    throw InputError(file: name, position: record.line, field: columns[k], reason: "\"\(text)\" is not a date YYYY-MM-DD")
                }
                return date
            }
            guard let agent = value(0) else { throw InputError(file: name, position: record.line, field: "agent_id", reason: "agent_id is empty") }
            entries.append(RosterEntry(agentID: agent, displayName: value(1), team: value(2), startDate: try date(3), acknowledgedOn: try date(4)))
        }
        if header.isEmpty {
            throw InputError(file: name, position: 1, field: "agent_id", reason: "a roster needs an agent_id column; it may have \(columns.joined(separator: ", "))")
        }
        return entries
    }
}
