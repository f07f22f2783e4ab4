/// Bad input, located: the file, the line (or record, for JSON) and the field it concerns.
///
/// Row-level errors go to the quarantine file; file-level ones reject the whole file.
public struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Unit: String, Sendable { case line, record }

    public var file: String
    public var position: Int?
    public var unit: Unit
    public var field: String?
    public var reason: String

    public init(file: String, position: Int? = nil, unit: Unit = .line, field: String? = nil, reason: String) {
        self.file = file
        self.position = position
        self.unit = unit
        self.field = field
        self.reason = reason
    }

    /// `calls.csv, line 12, field "arrived_at": reason`
    public var description: String {
        var text = file
        if let position { text += ", \(unit.rawValue) \(position)" }
        if let field { text += ", field \"\(field)\"" }
        return text + ": " + reason
    }
}
