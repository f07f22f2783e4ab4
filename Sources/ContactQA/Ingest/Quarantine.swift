import Foundation

/// Collects rejected rows of one file in a CSV beside the store: file, line, field, reason, and the
/// record itself with the customer identifier masked, so that nothing is lost and no one is exposed.
///
/// The identifier column is masked by the header's name for it, and only where the row lines up with
/// the header; every field, in any row, also goes through `Redactor.display`, so a row whose columns
/// have shifted (a changed delimiter, one extra field) still shows no phone number or e-mail address.
final class QuarantineFile {
    static let header = ["file", "line", "field", "reason", "record"]

    /// Where the rows go; moved to `name-2.csv`, `name-3.csv`, … when another store sharing the folder
    /// wrote that name first.
    private(set) var path: String
    private var handle: FileHandle?
    private(set) var count = 0

    init(path: String) { self.path = path }

    /// `NAME.csv` in `directory`, without doubling an extension that already is `.csv`.
    convenience init(directory: String, name: String) {
        let file = name.lowercased().hasSuffix(".csv") ? name : name + ".csv"
        self.init(path: (directory as NSString).appendingPathComponent(file))
    }

    deinit { try? handle?.close() }

    func append(_ error: InputError, record: CSVRecord?, delimiter: UInt8, maskedColumn: Int?, columnCount: Int? = nil,
                raw explicitRaw: String? = nil) throws {
        if handle == nil {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let stem = (path as NSString).deletingPathExtension
            var attempt = 1
            while FileManager.default.fileExists(atPath: path) {
                attempt += 1
                path = stem + "-\(attempt).csv"
            }
            _ = FileManager.default.createFile(atPath: path, contents: Data((CSVText.line(QuarantineFile.header) + "\n").utf8),
                                               attributes: [.posixPermissions: 0o600])
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle?.seekToEnd()
        }
        var raw = explicitRaw ?? ""
        if let record { raw = QuarantineFile.raw(record, delimiter: delimiter, maskedColumn: maskedColumn, columnCount: columnCount) }
        let position: String = error.position.map { String($0) } ?? ""
        let fields: [String] = [error.file, position, error.field ?? "", error.reason, raw]
        // JSON records are numbered, CSV rows are lines: the header says "line" for both, the unit is in the reason's context.
        let line = CSVText.line(fields) + "\n"
        try handle?.write(contentsOf: Data(line.utf8))
        count += 1
    }

    /// Appends a rejected record given as text (JSON), its identifiers already masked; the rest is
    /// redacted here (an unmapped attribute may hold the caller's number).
    /// A CSV record as the quarantine shows it: the identifier column masked where the row lines up
    /// with the header, every other field through `Redactor.display`.
    static func raw(_ record: CSVRecord, delimiter: UInt8, maskedColumn: Int?, columnCount: Int?) -> String {
        var fields: [String] = []
        let aligned = columnCount == nil || record.count == columnCount
        for i in 0..<record.count {
            let masked = aligned && i == maskedColumn && !record[i].isEmpty
            fields.append(masked ? "[masked]" : Redactor.display(String(decoding: record[i], as: UTF8.self)))
        }
        return CSVText.line(fields, delimiter: delimiter)
    }

    func append(_ error: InputError, rawText: String) throws {
        try append(error, record: nil, delimiter: 0x2C, maskedColumn: nil, raw: rawText.isEmpty ? "" : Redactor().redact(QuarantineFile.maskingLongNumbers(rawText)))
    }

    private static let jsonValue = try! NSRegularExpression(pattern: #"([:\[,]\s*)("?)(\+?\d[\d \-().]*\d)("?)(?=\s*[,\]}])"#)

    /// JSON text with every value that is a bare number of 9 or more digits, quoted or not, replaced by
    /// `"[masked]"`: an identifier sent as a number (`"Address": 447700900123`) that no mapping names.
    static func maskingLongNumbers(_ json: String) -> String {
        let text = NSMutableString(string: json)
        for match in jsonValue.matches(in: json, range: NSRange(location: 0, length: text.length)).reversed() {
            let value = text.substring(with: match.range(at: 3))
            guard value.utf8.filter({ $0 >= 0x30 && $0 <= 0x39 }).count >= 9 else { continue }
            let quoted = NSRange(location: match.range(at: 2).location, length: NSMaxRange(match.range(at: 4)) - match.range(at: 2).location)
            text.replaceCharacters(in: quoted, with: "\"[masked]\"")
        }
        return text as String
    }

    func close() throws {
        try handle?.close()
        handle = nil
    }
}

/// Writing CSV text: quotes a field when it holds the delimiter, a quote or a line break.
enum CSVText {
    static func field(_ value: String, delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        let special = value.utf8.contains { (byte: UInt8) -> Bool in
            byte == delimiter || byte == 0x22 || byte == 0x0A || byte == 0x0D
        }
        return special ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }

    static func line(_ fields: [String], delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        fields.map { field($0, delimiter: delimiter) }.joined(separator: String(Character(Unicode.Scalar(delimiter))))
    }
}

/// Not `Sendable`: an open file written in order.
@available(*, unavailable)
extension QuarantineFile: Sendable {}
