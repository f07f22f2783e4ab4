private import CLibCSV

// Every call into libcsv lives in this file, behind `LibCSVParser`, the one owner of a parser handle.

/// Why libcsv stopped.
enum LibCSVFailure: Error, Equatable {
    /// A quote where strict mode forbids one (inside an unquoted field, or after a closing quote).
    case strayQuote
    /// The input ended inside a quoted field.
    case unterminatedQuote
    case outOfMemory
    case other(String)
}

/// Owns one `csv_parser` and frees it in `deinit`. Not thread-safe: one reader owns it.
///
/// What libcsv parses goes straight to a `RecordAssembler` (field bytes and row ends): a concrete
/// class, called without retaining it, since libcsv calls back once per field of the file.
final class LibCSVParser {
    /// Allocated once, so that libcsv keeps one address for its state across calls (a stored property
    /// passed with `&` is not promised a stable address).
    private let parser: UnsafeMutablePointer<csv_parser>
    private let sink: RecordAssembler

    /// - Parameters:
    ///   - delimiter: the field separator byte (`,` `;` tab `|`).
    ///   - strictQuotes: reject stray quotes instead of keeping them as data.
    init(delimiter: UInt8, strictQuotes: Bool, sink: RecordAssembler) throws(LibCSVFailure) {
        var options = UInt8(CSV_STRICT_FINI)
        if strictQuotes { options |= UInt8(CSV_STRICT) }
        let parser = UnsafeMutablePointer<csv_parser>.allocate(capacity: 1)
        guard csv_init(parser, options) == 0 else {
            parser.deallocate()
            throw .outOfMemory  // thrown before self is complete: deinit does not run
        }
        self.parser = parser
        self.sink = sink
        csv_set_delim(parser, delimiter)
        // libcsv trims spaces and tabs around unquoted fields; a tab that separates fields must not be
        // trimmed. (Without a function of ours libcsv tests for space and tab itself, which spares a call
        // per byte of the file.)
        if delimiter == UInt8(CSV_TAB) { csv_set_space_func(parser, isSpaceOnly) }
    }

    deinit {
        csv_free(parser)
        parser.deallocate()
    }

    /// Feeds bytes; fields and row ends reach the sink before this returns.
    func parse(_ bytes: UnsafeRawBufferPointer) throws(LibCSVFailure) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let consumed = csv_parse(parser, base, bytes.count, onField, onRow, context)
        if consumed != bytes.count { throw failure(csv_error(parser)) }
    }

    /// Flushes the last row of input that does not end with a newline.
    func finish() throws(LibCSVFailure) {
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let status = csv_fini(parser, onField, onRow, context)
        if status != 0 {
            let code = csv_error(parser)
            throw code == CSV_EPARSE ? .unterminatedQuote : failure(code)
        }
    }

    private func failure(_ code: Int32) -> LibCSVFailure {
        switch code {
        case CSV_EPARSE: .strayQuote
        case CSV_ENOMEM, CSV_ETOOBIG: .outOfMemory
        default: .other(String(cString: csv_strerror(code)))
        }
    }
}

private func isSpaceOnly(_ c: UInt8) -> Int32 { c == 0x20 ? 1 : 0 }

// The sink outlives every call of `parse` and `finish` (the parser holds it): no retain per callback.
private func onField(_ data: UnsafeMutableRawPointer?, _ length: Int, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
    Unmanaged<RecordAssembler>.fromOpaque(context)._withUnsafeGuaranteedRef { $0.field(bytes) }
}

private func onRow(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<RecordAssembler>.fromOpaque(context)._withUnsafeGuaranteedRef { $0.rowEnd() }
}

/// Not `Sendable`: libcsv parser state.
@available(*, unavailable)
extension LibCSVParser: Sendable {}
