import Foundation
import Logging

/// Turns one vendor JSON record into canonical rows: a contact, a leg, or both.
package protocol JSONRecordMapper {
    /// The `source` stored with the contacts.
    var source: String { get }
    /// The key of the records array inside a top-level object, when the export wraps them.
    var wrapperKey: String? { get }
    /// Maps one record.
    /// - Throws: `InputError` naming the record number and the field path.
    func rows(from record: [String: Any], number: Int, file: String, pseudonymiser: Pseudonymiser?) throws(InputError) -> [(MappedRow, RowLayout)]
    /// Raw customer identifiers inside a record, masked when the record is quarantined.
    func identifiers(in record: [String: Any]) -> [String]
}

/// Imports vendor JSON exports: stream records → map → validate → pseudonymise → load, one
/// transaction per file, rejected records quarantined with their number (DESIGN.md §2).
package struct JSONImporter {
    package var mapper: any JSONRecordMapper
    package var pseudonymiser: Pseudonymiser?
    package var quarantineDirectory: String
    var bounds = PlausibilityBounds.today()
    var rejectionThreshold = 0.01
    package var logger: Logger

    package init(mapper: any JSONRecordMapper, pseudonymiser: Pseudonymiser?, quarantineDirectory: String,
                logger: Logger = Logger(label: "contactqa.ingest")) {
        self.mapper = mapper
        self.pseudonymiser = pseudonymiser
        self.quarantineDirectory = quarantineDirectory
        self.logger = logger
    }

    package func importFile(_ path: String, into store: any ContactStore) throws -> FileImportReport {
        let name = (path as NSString).lastPathComponent
        let load = FileLoad(file: name, quarantineDirectory: quarantineDirectory)
        let entry = IngestLogEntry(file: name, sha256: IngestService.sha256(of: path) ?? "", source: mapper.source,
                                   startedAt: ISO8601DateFormatter().string(from: load.started))
        let reader = JSONRecordReader(path: path, wrapperKey: mapper.wrapperKey)
        let mapper = self.mapper
        let pseudonymiser = self.pseudonymiser
        let bounds = self.bounds
        return try load.run(entry, into: store, threshold: rejectionThreshold, unit: "records", logger: logger) { writer, log in
            var skipped = 0
            try reader.forEachRecord { record in
                log.rowsRead += 1
                var raw: [String: Any]?
                do {
                    switch record.object() {
                    case .failure(var error):
                        error.file = name
                        throw error
                    case .success(let object):
                        raw = object
                        let rows = try mapper.rows(from: object, number: record.number, file: name, pseudonymiser: pseudonymiser)
                        if rows.isEmpty { skipped += 1 }
                        for (row, layout) in rows {
                            if let (field, reason) = bounds.violation(in: row, layout: layout) {
                                throw InputError(file: name, position: record.number, unit: .record, field: field, reason: reason)
                            }
                        }
                        for (row, layout) in rows {
                            if let (rowOutcome, duplicate) = try writer.enqueue(row, layout: layout) { log.count(rowOutcome, duplicate: duplicate) }
                        }
                    }
                } catch let error as InputError {
                    try load.reject(error, log: &log, ingestID: writer.ingestID) { quarantine in
                        // The record's JSON, with the customer's identifiers masked; nothing when it did not parse.
                        var text = raw == nil ? "" : String(decoding: record.bytes, as: UTF8.self)
                        for identifier in raw.map(mapper.identifiers) ?? [] where !identifier.isEmpty {
                            text = text.replacingOccurrences(of: identifier, with: "[masked]")
                        }
                        try quarantine.append(error, rawText: text)
                    }
                }
            }
            if log.rowsRead == 0 { load.warnings.append("\(name): the file holds no records; nothing to load") }
            var notes: [String] = []
            if log.rejected > 0 { notes.append("\(log.rejected) records quarantined") }
            if skipped > 0 { notes.append("\(skipped) records skipped: not a customer's contact, or not yet acted on (supervisor monitoring, post-disconnect flows, deleted or new tickets)") }
            return notes.isEmpty ? nil : notes.joined(separator: "; ")
        }
    }
}

/// Typed access to a JSON record's fields by path, each failure located by record number and path.
struct JSONFields {
    let object: [String: Any]
    let number: Int
    let file: String

    /// A value from the record as a reason may quote it: masked like any echoed input (an identifier
    /// can arrive in any field), and cut at 60 characters.
    func shown(_ value: some CustomStringConvertible) -> String { Redactor.display(String(value.description.prefix(60))) }

    func error(_ path: String, _ reason: String) -> InputError {
        InputError(file: file, position: number, unit: .record, field: path, reason: reason)
    }

    func value(_ path: String) -> Any? {
        var current: Any? = object
        for key in path.split(separator: ".") {
            guard let dictionary = current as? [String: Any] else { return nil }
            current = dictionary[String(key)]
        }
        if current is NSNull { return nil }
        return current
    }

    func string(_ path: String) throws(InputError) -> String? {
        guard let v = value(path) else { return nil }
        if let s = v as? String { return s.isEmpty ? nil : s }
        throw error(path, "expected text, found \(describe(v))")
    }

    func requiredString(_ path: String) throws(InputError) -> String {
        guard let s = try string(path) else { throw error(path, "\(path) is missing") }
        return s
    }

    func number(_ path: String) throws(InputError) -> Double? {
        guard let v = value(path) else { return nil }
        if let n = v as? NSNumber, !isBoolean(n) { return n.doubleValue }
        throw error(path, "expected a number, found \(describe(v))")
    }

    func bool(_ path: String) throws(InputError) -> Bool? {
        guard let v = value(path) else { return nil }
        if let n = v as? NSNumber, isBoolean(n) { return n.boolValue }
        throw error(path, "expected true or false, found \(describe(v))")
    }

    /// An ISO-8601 instant with a zone, as UTC milliseconds.
    func instant(_ path: String) throws(InputError) -> Int64? {
        guard let text = try string(path) else { return nil }
        guard let parsed = Array(text.utf8).withUnsafeBytes({ TimestampFormat.iso8601.parse($0) }) else {
            throw error(path, "cannot read \"\(shown(text))\" as an ISO-8601 timestamp")
        }
        guard let offset = parsed.offsetSeconds else {
            throw error(path, "\"\(shown(text))\" has no time zone (Z or ±hh:mm); the source's timestamps are UTC with a zone")
        }
        return parsed.localMilliseconds - Int64(offset) * 1000
    }

    /// JSON `true`/`false` arrive as NSNumbers of ObjC type `c` (char); numbers never do.
    private func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    private func describe(_ v: Any) -> String {
        switch v {
        // Only the type, or masked text: the field may be an identifier sent in the wrong type.
        case let s as String: "the text \"\(Redactor.display(String(s.prefix(60))))\""
        case is [Any]: "a list"
        case is [String: Any]: "an object"
        case let n as NSNumber: isBoolean(n) ? "true or false" : "a number"
        default: "a value of another type"
        }
    }
}

/// Builds a row's layout from the fields a record actually has: absent fields leave stored values alone.
struct RowBuilder {
    var contact: [(String, FieldValue)] = []
    var leg: [(String, FieldValue)] = []

    mutating func contact(_ column: String, _ value: FieldValue?) { if let value { contact.append((column, value)) } }
    mutating func leg(_ column: String, _ value: FieldValue?) { if let value { leg.append((column, value)) } }

    func layout(abandonedFromLegs: Bool) -> RowLayout {
        RowLayout(contactColumns: contact.map(\.0), legColumns: leg.map(\.0), abandonedFromLegs: abandonedFromLegs)
    }
}

extension Optional where Wrapped == String {
    var fieldValue: FieldValue? { map(FieldValue.text) }
}
extension Optional where Wrapped == Double {
    var fieldValue: FieldValue? { map(FieldValue.real) }
}
extension Optional where Wrapped == Int64 {
    var fieldValue: FieldValue? { map(FieldValue.integer) }
}
