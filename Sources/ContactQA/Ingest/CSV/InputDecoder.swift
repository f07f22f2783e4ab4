/// A text encoding an input file may use (DESIGN.md §2). A byte-order mark overrides the declared one.
package enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"
    case windows1252 = "windows-1252"
    case latin1 = "iso-8859-1"

    /// Accepts the usual spellings: `UTF8`, `utf-16`, `cp1252`, `latin1`.
    package init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "utf-16le", "utf16le", "utf-16", "utf16": self = .utf16LE
        case "utf-16be", "utf16be": self = .utf16BE
        case "windows-1252", "cp1252", "cp-1252": self = .windows1252
        case "iso-8859-1", "latin1", "latin-1", "iso8859-1": self = .latin1
        default: return nil
        }
    }
}

/// Turns a file's bytes, chunk by chunk, into UTF-8: strips a BOM, transcodes UTF-16 and single-byte
/// encodings, and keeps what a chunk boundary splits (an odd byte, a surrogate pair) for the next chunk.
struct InputDecoder {
    enum Failure: Error, Equatable {
        case invalidUTF16(byteOffset: Int)
    }

    private(set) var encoding: TextEncoding
    private var sawStart = false
    private var pending: [UInt8] = []
    private var highSurrogate: UInt16?
    private var offset = 0

    init(declared: TextEncoding?) { encoding = declared ?? .utf8 }

    /// Whether bytes of this chunk can be passed through unchanged (UTF-8 after the BOM).
    var isPassThrough: Bool { encoding == .utf8 }

    /// Detects a byte-order mark at the start of the input; returns how many bytes it takes.
    mutating func consumeBOM(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard !sawStart else { return 0 }
        sawStart = true
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { encoding = .utf8; return 3 }
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xFE { encoding = .utf16LE; return 2 }
        if bytes.count >= 2, bytes[0] == 0xFE, bytes[1] == 0xFF { encoding = .utf16BE; return 2 }
        return 0
    }

    /// Transcodes one chunk into `output` (cleared first).
    mutating func decode(_ bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) throws(Failure) {
        output.removeAll(keepingCapacity: true)
        switch encoding {
        case .utf8:
            output.append(contentsOf: bytes)
        case .latin1:
            for b in bytes { appendScalar(UInt32(b), to: &output) }
        case .windows1252:
            for b in bytes {
                appendScalar(b >= 0x80 && b < 0xA0 ? UInt32(windows1252High[Int(b - 0x80)]) : UInt32(b), to: &output)
            }
        case .utf16LE, .utf16BE:
            try decodeUTF16(bytes, littleEndian: encoding == .utf16LE, into: &output)
        }
        offset += bytes.count
    }

    /// Fails when the input ended in the middle of a character.
    func finish() throws(Failure) {
        if !pending.isEmpty || highSurrogate != nil { throw .invalidUTF16(byteOffset: offset) }
    }

    private mutating func decodeUTF16(_ bytes: UnsafeRawBufferPointer, littleEndian: Bool, into output: inout [UInt8]) throws(Failure) {
        var i = 0
        var units = pending
        pending.removeAll()
        units.append(contentsOf: bytes)
        while i + 1 < units.count {
            let unit = littleEndian ? UInt16(units[i]) | UInt16(units[i + 1]) << 8 : UInt16(units[i]) << 8 | UInt16(units[i + 1])
            i += 2
            if let high = highSurrogate {
                guard unit >= 0xDC00, unit <= 0xDFFF else { throw .invalidUTF16(byteOffset: offset + i - 2) }
                highSurrogate = nil
                appendScalar(0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(unit - 0xDC00), to: &output)
            } else if unit >= 0xD800, unit <= 0xDBFF {
                highSurrogate = unit
            } else if unit >= 0xDC00, unit <= 0xDFFF {
                throw .invalidUTF16(byteOffset: offset + i - 2)
            } else {
                appendScalar(UInt32(unit), to: &output)
            }
        }
        if i < units.count { pending.append(units[i]) }
    }

    private func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | v >> 6)); out.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | v >> 12)); out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18)); out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F)); out.append(UInt8(0x80 | v & 0x3F))
        }
    }
}

/// Windows-1252 bytes 0x80–0x9F as Unicode scalars; the five undefined bytes map to the C1 controls, as WHATWG does.
private let windows1252High: [UInt16] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
]
