/// Bad input, located: the file, the line (or record, for JSON) and the field it concerns.
///
/// Row-level errors go to the quarantine file; file-level ones reject the whole file.
package struct InputError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Unit: String, Sendable { case line, record }

    package var file: String
    var position: Int?
    package var unit: Unit
    package var field: String?
    package var reason: String

    package init(file: String, position: Int? = nil, unit: Unit = .line, field: String? = nil, reason: String) {
        self.file = file
        self.position = position
        self.unit = unit
        self.field = field
        self.reason = reason
    }

    /// `calls.csv, line 12, field "arrived_at": reason`
    package var description: String {
        var text = file
        if let position { text += ", \(unit.rawValue) \(position)" }
        if let field { text += ", field \"\(field)\"" }
        return text + ": " + reason
    }
}
