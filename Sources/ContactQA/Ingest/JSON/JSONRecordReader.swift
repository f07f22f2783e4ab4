import Foundation

/// Reads JSON records from a file with bounded memory, whatever its layout: JSON Lines, objects
/// concatenated without separators (as Kinesis Firehose writes them), a top-level array, or an object
/// holding the records in an array under a known key (`{"conversations": [...]}`, `{"tickets": [...]}`).
///
/// A byte scanner finds each record's extent (tracking strings, escapes and depth); only that record
/// is held and parsed. Arrays are therefore read incrementally: a 1 GB array costs one record of memory.
final class JSONRecordReader {
    /// The largest record accepted; a larger one is not a contact record (the file is probably one
    /// huge document) and fails the file with a clear message.
    static let defaultMaxRecordBytes = 64 << 20

    package let path: String
    /// Where records sit inside a top-level object, e.g. "conversations"; nil for streams and arrays only.
    let wrapperKey: String?
    let maxRecordBytes: Int
    private let displayName: String

    package init(path: String, wrapperKey: String? = nil, maxRecordBytes: Int = JSONRecordReader.defaultMaxRecordBytes) {
        self.path = path
        self.wrapperKey = wrapperKey
        self.maxRecordBytes = maxRecordBytes
        displayName = (path as NSString).lastPathComponent
    }

    /// A record as found: its 1-based number, the line it starts on, and its bytes (valid during the call).
    package struct Record {
        package let number: Int
        package let line: Int
        package let bytes: UnsafeRawBufferPointer

        /// The record parsed; nil with the reason when it is not a valid JSON object.
        package func object() -> Result<[String: Any], InputError> {
            do {
                let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
                guard let object = value as? [String: Any] else {
                    return .failure(InputError(file: "", position: number, unit: .record, reason: "a record must be a JSON object"))
                }
                return .success(object)
            } catch {
                return .failure(InputError(file: "", position: number, unit: .record,
                                           reason: "the record starting at line \(line) is not valid JSON (\((error as NSError).localizedDescription))"))
            }
        }
    }

    private enum Layout { case unknown, stream, array, wrapped }

    /// Calls `body` for each record in file order.
    ///
    /// - Throws: `InputError` for a file that is not such JSON (empty, truncated, a record over the
    ///   size limit, stray text between records), or what `body` throws.
    func forEachRecord(_ body: (Record) throws -> Void) throws {
        let input = try InputFile(path: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var layout = Layout.unknown
        var record: [UInt8] = []
        var recordLine = 1
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var recordDepth = 0  // the depth at which records open: 0 stream, 1 array, 2 wrapped
        var inRecord = false
        var count = 0
        var sawAnything = false
        // For the wrapped layout: the last key read at depth 1, and the bytes of the current string.
        var keyBytes: [UInt8] = []
        var lastKey: String?
        var inWrapperArray = false
        var firstObjectBuffer: [UInt8]? = nil
        // JSON Lines: known once the first record of a stream ends on the line it began. A line that
        // breaks off inside a record, or holds no record, is then one rejected record, not a failed file.
        var oneRecordPerLine: Bool?
        var offset = 0

        func fail(_ reason: String, at position: Int? = nil) -> InputError {
            InputError(file: displayName, position: position ?? line, reason: reason)
        }

        func emit() throws {
            if layout == .stream, oneRecordPerLine == nil { oneRecordPerLine = line == recordLine }
            count += 1
            try record.withUnsafeBytes { try body(Record(number: count, line: recordLine, bytes: $0)) }
            record.removeAll(keepingCapacity: true)
        }

        while true {
            let n = try buffer.withUnsafeMutableBytes { (space) throws(InputError) in try input.read(into: space) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws in
                let chunk = UnsafeRawBufferPointer(rebasing: all[0..<n])
                for byte in chunk {
                    offset += 1
                    // A UTF-8 byte-order mark before the JSON.
                    if offset <= 3, !sawAnything, byte == [0xEF, 0xBB, 0xBF][offset - 1] { continue }
                    if byte == 0x0A, layout == .stream, oneRecordPerLine == true, inRecord {
                        // The line ended inside its record: that record is broken; the next line starts afresh.
                        inRecord = false
                        depth = 0
                        inString = false
                        escaped = false
                        try emit()
                    }
                    if byte == 0x0A { line += 1 }
                    if inString {
                        if inRecord { record.append(byte) }
                        if firstObjectBuffer != nil { firstObjectBuffer!.append(byte) }
                        if escaped { escaped = false; if depth == 1, layout == .unknown || layout == .wrapped { keyBytes.append(byte) }; continue }
                        if byte == 0x5C { escaped = true; continue }
                        if byte == 0x22 {
                            inString = false
                            if depth == 1 && (layout == .unknown || layout == .wrapped) { lastKey = String(decoding: keyBytes, as: UTF8.self) }
                            continue
                        }
                        if depth == 1 && (layout == .unknown || layout == .wrapped) { keyBytes.append(byte) }
                        continue
                    }
                    switch byte {
                    case 0x20, 0x09, 0x0D, 0x0A:
                        if inRecord { record.append(byte) }
                        if firstObjectBuffer != nil { firstObjectBuffer!.append(byte) }
                        continue
                    default: break
                    }
                    if !sawAnything {
                        sawAnything = true
                        if byte == 0x5B { layout = .array; recordDepth = 1; depth = 1; continue }
                        guard byte == 0x7B else { throw fail("this is not JSON: it starts with \(String(decoding: [byte], as: UTF8.self).debugDescription)", at: line) }
                        if wrapperKey == nil { layout = .stream; recordDepth = 0 } else { layout = .unknown; firstObjectBuffer = [] ; recordLine = line }
                    }
                    if firstObjectBuffer != nil { firstObjectBuffer!.append(byte) }
                    switch byte {
                    case 0x22:
                        inString = true
                        if depth == 1 && (layout == .unknown || layout == .wrapped) { keyBytes.removeAll(keepingCapacity: true) }
                        if inRecord { record.append(byte) }
                    case 0x7B, 0x5B:
                        if layout == .unknown, depth == 1, byte == 0x5B, lastKey == wrapperKey {
                            // The records are in this array: stop buffering the wrapper.
                            layout = .wrapped
                            recordDepth = 2
                            inWrapperArray = true
                            firstObjectBuffer = nil
                            depth += 1
                            continue
                        }
                        if !inRecord, depth == recordDepth, (layout != .wrapped || inWrapperArray), layout != .unknown {
                            guard byte == 0x7B || (layout == .stream && oneRecordPerLine == true) else {
                                throw fail("expected a JSON object as record \(count + 1), found an array")
                            }
                            inRecord = true
                            recordLine = line
                        }
                        if inRecord { record.append(byte) }
                        depth += 1
                    case 0x7D, 0x5D:
                        depth -= 1
                        guard depth >= 0 else { throw fail("unbalanced \(byte == 0x7D ? "}" : "]")") }
                        if inRecord {
                            record.append(byte)
                            if depth == recordDepth { inRecord = false; try emit() }
                        } else if layout == .wrapped, depth == 1, byte == 0x5D {
                            inWrapperArray = false
                        } else if layout == .unknown, depth == 0 {
                            // The first object ended without holding the wrapper key: it is itself a record of a stream.
                            layout = .stream
                            recordDepth = 0
                            record = firstObjectBuffer ?? []
                            firstObjectBuffer = nil
                            try emit()
                        }
                    default:
                        if inRecord { record.append(byte); break }
                        if layout == .stream, depth == 0 {
                            guard oneRecordPerLine == true else {
                                throw fail("unexpected \(String(decoding: [byte], as: UTF8.self).debugDescription) between records")
                            }
                            inRecord = true  // a line of JSON Lines that is no record: rejected as one
                            recordLine = line
                            record.append(byte)
                        }
                    }
                }
                // Checked once per chunk: a record may grow by at most one chunk past the limit.
                if record.count > maxRecordBytes || (firstObjectBuffer?.count ?? 0) > maxRecordBytes {
                    throw fail("record \(count + 1) starting at line \(recordLine) is larger than \(describeSize(maxRecordBytes)): not a contact record (is the file one huge JSON document?)", at: recordLine)
                }
            }
        }
        if !sawAnything { throw InputError(file: displayName, reason: "the file is empty") }
        if inRecord, layout == .stream, oneRecordPerLine == true {
            inRecord = false
            depth = 0
            inString = false
            try emit()  // the last line broke off: one rejected record
        }
        if inRecord || depth != 0 || inString || firstObjectBuffer != nil {
            throw InputError(file: displayName, position: recordLine, unit: .line,
                             reason: "the file ends inside record \(count + 1) (truncated JSON)")
        }
    }
}

private func describeSize(_ bytes: Int) -> String {
    bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
}

/// Not `Sendable`: a reading position in one file.
@available(*, unavailable)
extension JSONRecordReader: Sendable {}
