import Foundation

/// One CSV record as bytes, valid only inside the closure it is passed to.
///
/// Fields are never turned into `String` unless the caller asks for one.
struct CSVRecord {
    /// The line of the file where the record starts (1-based; the header is usually line 1).
    package let line: Int
    private let bytes: UnsafeRawBufferPointer
    private let ends: UnsafeBufferPointer<Int>
    private let firstField: Int
    private let start: Int

    init(line: Int, bytes: UnsafeRawBufferPointer, ends: UnsafeBufferPointer<Int>, fields: Range<Int>) {
        self.line = line
        self.bytes = bytes
        self.ends = UnsafeBufferPointer(rebasing: ends[fields])
        firstField = fields.lowerBound
        start = fields.lowerBound == 0 ? 0 : ends[fields.lowerBound - 1]
    }

    package var count: Int { ends.count }

    /// The bytes of field `index` (0-based).
    package subscript(index: Int) -> UnsafeRawBufferPointer {
        let from = index == 0 ? start : ends[index - 1]
        return UnsafeRawBufferPointer(rebasing: bytes[from..<ends[index]])
    }

    /// Field `index` decoded as UTF-8, or nil when it is not valid UTF-8.
    package func string(_ index: Int) -> String? {
        String(validating: self[index], as: UTF8.self)
    }
}

/// Reads a CSV file as a stream of records through libcsv.
///
/// The file is read in fixed-size chunks, decoded to UTF-8 and fed to libcsv one line at a time, so
/// memory is bounded by the chunk size and the longest record, whatever the size of the file, and
/// each record knows the line it starts on.
final class CSVReader {
    package struct Options: Sendable {
        /// The field separator; sniffed from the first line among `,` `;` tab `|` when nil.
        var delimiter: UInt8?
        /// Reject a quote inside an unquoted field or after a closing quote.
        var strictQuotes: Bool
        /// The declared encoding; a byte-order mark overrides it. UTF-8 when nil.
        package var encoding: TextEncoding?
        var chunkSize: Int

        package init(delimiter: UInt8? = nil, strictQuotes: Bool = true, encoding: TextEncoding? = nil, chunkSize: Int = 1 << 16) {
            self.delimiter = delimiter
            self.strictQuotes = strictQuotes
            self.encoding = encoding
            self.chunkSize = chunkSize
        }
    }

    static let candidateDelimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]

    package let path: String
    package let options: Options
    /// The delimiter in use: the configured one, or the sniffed one once reading has started.
    private(set) var delimiter: UInt8?
    /// The encoding in use, known once reading has started.
    package private(set) var encoding: TextEncoding?
    /// Bytes of the file read so far.
    private(set) var bytesRead = 0

    private let displayName: String
    private let assembler = RecordAssembler()
    /// Sees every raw chunk of the file as read (to hash it in the same pass).
    var chunkObserver: ((UnsafeRawBufferPointer) -> Void)?

    package init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
        displayName = (path as NSString).lastPathComponent
        delimiter = options.delimiter
    }

    /// The most bytes the reader has held for records at once; bounded by the longest record, not the file.
    var retainedCapacity: Int { assembler.peakCapacity }

    /// Calls `body` with each record in file order, the header included.
    ///
    /// - Throws: `InputError` for a file that cannot be read as CSV (empty, binary, a stray or
    ///   unterminated quote, bad UTF-16), or whatever `body` throws.
    /// - Complexity: O(file size); memory O(chunk size + longest record).
    func forEachRecord(_ body: (CSVRecord) throws -> Void) throws {
        let input = try InputFile(path: path)
        var raw = [UInt8](repeating: 0, count: options.chunkSize)
        var decoded: [UInt8] = []
        var decoder = InputDecoder(declared: options.encoding)
        var parser: LibCSVParser?
        var first = true
        while true {
            let n = try raw.withUnsafeMutableBytes { (buffer) throws(InputError) in try input.read(into: buffer) }
            if n == 0 { break }
            bytesRead += n
            try raw.withUnsafeBytes { all in
                var chunk = UnsafeRawBufferPointer(rebasing: all[0..<n])
                chunkObserver?(chunk)
                if first {
                    chunk = UnsafeRawBufferPointer(rebasing: chunk[decoder.consumeBOM(chunk)...])
                    encoding = decoder.encoding
                }
                if decoder.isPassThrough {
                    try feedChunk(chunk, first: &first, parser: &parser, body)
                } else {
                    do { try decoder.decode(chunk, into: &decoded) } catch { throw decodingError(error) }
                    try decoded.withUnsafeBytes { try feedChunk($0, first: &first, parser: &parser, body) }
                }
            }
        }
        do { try decoder.finish() } catch { throw decodingError(error) }
        guard let parser else {
            throw InputError(file: displayName, reason: bytesRead == 0 ? "the file is empty" : "the file holds no CSV data")
        }
        do { try parser.finish() } catch {
            throw InputError(file: displayName, position: assembler.recordStartLine, field: nil,
                             reason: "a quoted field opened at this line is never closed (unterminated quote)")
        }
        try deliverCompletedRows(body)
    }

    private func decodingError(_ error: any Error) -> InputError {
        if case InputDecoder.Failure.invalidUTF16(let offset)? = error as? InputDecoder.Failure {
            return InputError(file: displayName, reason: "invalid UTF-16 at byte \(offset)")
        }
        return InputError(file: displayName, reason: "cannot decode the text: \(error)")
    }

    private func feedChunk(_ chunk: UnsafeRawBufferPointer, first: inout Bool, parser: inout LibCSVParser?, _ body: (CSVRecord) throws -> Void) throws {
        if chunk.isEmpty { return }
        if first {
            first = false
            if memchr(chunk.baseAddress!, 0, chunk.count) != nil {
                throw InputError(file: displayName, reason: "this looks like a binary file, not CSV text (it contains NUL bytes; a UTF-16 file needs a byte-order mark or `encoding: utf-16le`)")
            }
            let delimiter = self.delimiter ?? CSVReader.sniffDelimiter(chunk)
            self.delimiter = delimiter
            do { parser = try LibCSVParser(delimiter: delimiter, strictQuotes: options.strictQuotes, sink: assembler) } catch {
                throw InputError(file: displayName, reason: "cannot start the CSV parser: out of memory")
            }
        }
        guard let parser else { return }
        var start = 0
        let base = chunk.baseAddress!
        while start < chunk.count {
            let newline = memchr(base + start, 0x0A, chunk.count - start)
            let end = newline.map { $0 - UnsafeMutableRawPointer(mutating: base) + 1 } ?? chunk.count
            let piece = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
            assembler.beginPiece(piece)
            do { try parser.parse(piece) } catch {
                throw InputError(file: displayName, position: assembler.line, field: "#\(assembler.fieldsInRow + 1)",
                                 reason: error == .strayQuote
                                    ? "stray quote: a quote inside an unquoted field or after a closing quote (strict mode)"
                                    : "the CSV parser failed: \(error)")
            }
            if newline != nil { assembler.line += 1 }
            try deliverCompletedRows(body)
            start = end
        }
    }

    private func deliverCompletedRows(_ body: (CSVRecord) throws -> Void) throws {
        guard !assembler.completed.isEmpty else { return }
        let bytes = assembler.bytes
        try assembler.fieldEnds.withUnsafeBufferPointer { ends in
            var from = 0
            for row in assembler.completed {
                try body(CSVRecord(line: row.line, bytes: bytes, ends: ends, fields: from..<row.fieldEnd))
                from = row.fieldEnd
            }
        }
        assembler.compact()
    }

    /// Picks the candidate delimiter that occurs most often outside quotes on the first line; `,` on a tie or none.
    static func sniffDelimiter(_ chunk: UnsafeRawBufferPointer) -> UInt8 {
        var counts = [Int](repeating: 0, count: candidateDelimiters.count)
        var quoted = false
        for byte in chunk {
            if byte == 0x22 { quoted.toggle(); continue }
            if quoted { continue }
            if byte == 0x0A || byte == 0x0D { break }
            if let i = candidateDelimiters.firstIndex(of: byte) { counts[i] += 1 }
        }
        var best = 0
        for i in counts.indices where counts[i] > counts[best] { best = i }
        return candidateDelimiters[best]
    }
}

/// Collects libcsv's fields into one reusable byte arena and remembers where each row starts.
///
/// Its arena is touched for every field of the file and only ever from the reading thread that owns
/// the reader, inside libcsv's callbacks or between them, never with two accesses overlapping: the
/// run-time exclusivity check on each access (a thread-local lookup) is switched off for these, and
/// the field bytes live in memory of its own (one `memcpy` per field, no generic append).
final class RecordAssembler {
    struct Row { var fieldEnd: Int; var line: Int }

    /// The fields' bytes, back to back: `count` used of `capacity`.
    private var arena: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) private(set) var capacity = 1 << 14
    @exclusivity(unchecked) var fieldEnds: [Int] = []
    @exclusivity(unchecked) var completed: [Row] = []
    @exclusivity(unchecked) var line = 1
    var recordStartLine = 1
    /// The most bytes the arena has held at once.
    private(set) var peakCapacity = 0
    private var inRecord = false
    private var rowFieldStart = 0

    init() {
        arena = .allocate(byteCount: capacity, alignment: 16)
        fieldEnds.reserveCapacity(256)
    }

    deinit { arena.deallocate() }

    /// The arena's bytes in use, valid until the next field or `compact`.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: arena, count: count) }

    var fieldsInRow: Int { fieldEnds.count - rowFieldStart }

    /// A record starts on the first line that holds something other than blanks after the previous record ended.
    func beginPiece(_ piece: UnsafeRawBufferPointer) {
        if inRecord { return }
        for byte in piece where byte != 0x20 && byte != 0x09 && byte != 0x0D && byte != 0x0A {
            inRecord = true
            recordStartLine = line
            return
        }
    }

    func field(_ data: UnsafeRawBufferPointer) {
        if count + data.count > capacity {
            var grown = capacity * 2
            while count + data.count > grown { grown *= 2 }
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            bigger.copyMemory(from: arena, byteCount: count)
            arena.deallocate()
            arena = bigger
            capacity = grown
        }
        if let source = data.baseAddress, data.count > 0 { (arena + count).copyMemory(from: source, byteCount: data.count) }
        count += data.count
        fieldEnds.append(count)
    }

    func rowEnd() {
        completed.append(Row(fieldEnd: fieldEnds.count, line: recordStartLine))
        rowFieldStart = fieldEnds.count
        inRecord = false
    }

    /// Drops delivered rows, keeping the fields of a row still in progress.
    func compact() {
        peakCapacity = max(peakCapacity, capacity)
        let consumedFields = completed.last?.fieldEnd ?? 0
        completed.removeAll(keepingCapacity: true)
        guard consumedFields > 0 else { return }
        let consumedBytes = fieldEnds[consumedFields - 1]
        if consumedFields == fieldEnds.count {
            count = 0
            fieldEnds.removeAll(keepingCapacity: true)
        } else {
            memmove(arena, arena + consumedBytes, count - consumedBytes)
            count -= consumedBytes
            fieldEnds.removeSubrange(0..<consumedFields)
            for i in fieldEnds.indices { fieldEnds[i] -= consumedBytes }
        }
        rowFieldStart = fieldEnds.count
        if inRecord { rowFieldStart = 0 }
    }
}

/// Not `Sendable`: a reading position in one file and its byte arena.
@available(*, unavailable)
extension CSVReader: Sendable {}
