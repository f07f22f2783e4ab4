import Foundation

/// Collects rejected rows of one file in a CSV beside the store: file, line, field, reason, and the
/// record itself with the customer identifier masked, so that nothing is lost and no one is exposed.
final class QuarantineFile {
    static let header = ["file", "line", "field", "reason", "record"]

    let path: String
    private var handle: FileHandle?
    private(set) var count = 0

    init(path: String) { self.path = path }

    deinit { try? handle?.close() }

    func append(_ error: InputError, record: CSVRecord?, delimiter: UInt8, maskedColumn: Int?, raw explicitRaw: String? = nil) throws {
        if handle == nil {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: Data((CSVText.line(QuarantineFile.header) + "\n").utf8),
                                               attributes: [.posixPermissions: 0o600])
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle?.seekToEnd()
        }
        var raw = explicitRaw ?? ""
        if let record {
            var fields: [String] = []
            for i in 0..<record.count {
                fields.append(i == maskedColumn && !record[i].isEmpty ? "[masked]" : String(decoding: record[i], as: UTF8.self))
            }
            raw = CSVText.line(fields, delimiter: delimiter)
        }
        let position: String = error.position.map { String($0) } ?? ""
        let fields: [String] = [error.file, position, error.field ?? "", error.reason, raw]
        // JSON records are numbered, CSV rows are lines: the header says "line" for both, the unit is in the reason's context.
        let line = CSVText.line(fields) + "\n"
        try handle?.write(contentsOf: Data(line.utf8))
        count += 1
    }

    /// Appends a rejected record given as text (JSON), already masked.
    func append(_ error: InputError, rawText: String) throws {
        try append(error, record: nil, delimiter: 0x2C, maskedColumn: nil, raw: rawText)
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
