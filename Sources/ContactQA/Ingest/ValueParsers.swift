/// How a duration is written in a source: plain seconds, minutes, or clock notation.
package enum DurationFormat: String, Sendable, CaseIterable {
    case seconds
    case milliseconds
    case minutes
    /// `mm:ss`; minutes may exceed 59.
    case minutesSeconds = "mm:ss"
    /// `hh:mm:ss`; also accepts `mm:ss`.
    case hoursMinutesSeconds = "hh:mm:ss"
}

/// Byte-level readers for the scalar types of the canonical model. Each returns nil when the bytes
/// do not hold a value of its type; callers turn that into a located error.
enum ValueParsers {
    /// Reads a decimal number written with `decimalSeparator` (`.` or `,`), optional sign.
    static func number(_ b: UnsafeRawBufferPointer, decimalSeparator: UInt8) -> Double? {
        guard !b.isEmpty else { return nil }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") { negative = b[0] == UInt8(ascii: "-"); i = 1 }
        var integer: Double = 0
        var fraction: Double = 0
        var scale: Double = 1
        var sawDigit = false
        var inFraction = false
        while i < b.count {
            let c = b[i]
            if c >= 0x30, c <= 0x39 {
                sawDigit = true
                if inFraction { scale /= 10; fraction += Double(c - 0x30) * scale } else { integer = integer * 10 + Double(c - 0x30) }
            } else if c == decimalSeparator, !inFraction {
                inFraction = true
            } else {
                return nil
            }
            i += 1
        }
        guard sawDigit else { return nil }
        let value = integer + fraction
        return negative ? -value : value
    }

    static func integer(_ b: UnsafeRawBufferPointer) -> Int64? {
        guard !b.isEmpty else { return nil }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") { negative = b[0] == UInt8(ascii: "-"); i = 1 }
        guard i < b.count else { return nil }
        var value: Int64 = 0
        while i < b.count {
            guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b[i] - 0x30))
            if o1 || o2 { return nil }
            value = a
            i += 1
        }
        return negative ? -value : value
    }

    /// Reads a duration in seconds; negative durations are returned as such for the validator to reject.
    static func duration(_ b: UnsafeRawBufferPointer, format: DurationFormat, decimalSeparator: UInt8) -> Double? {
        switch format {
        case .seconds: return number(b, decimalSeparator: decimalSeparator)
        case .milliseconds: return number(b, decimalSeparator: decimalSeparator).map { $0 / 1000 }
        case .minutes: return number(b, decimalSeparator: decimalSeparator).map { $0 * 60 }
        case .minutesSeconds, .hoursMinutesSeconds:
            var parts: [Double] = []
            var start = 0
            for i in 0...b.count where i == b.count || b[i] == UInt8(ascii: ":") {
                let part = UnsafeRawBufferPointer(rebasing: b[start..<i])
                guard let v = number(part, decimalSeparator: decimalSeparator) else { return nil }
                parts.append(v)
                start = i + 1
            }
            let negative = parts.first.map { $0 < 0 || (b.first == UInt8(ascii: "-")) } ?? false
            let magnitudes = parts.map(abs)
            let seconds: Double
            switch (format, magnitudes.count) {
            case (.minutesSeconds, 2): seconds = magnitudes[0] * 60 + magnitudes[1]
            case (.hoursMinutesSeconds, 3): seconds = magnitudes[0] * 3600 + magnitudes[1] * 60 + magnitudes[2]
            case (.hoursMinutesSeconds, 2): seconds = magnitudes[0] * 60 + magnitudes[1]
            default: return nil
            }
            if magnitudes.count >= 2, magnitudes[magnitudes.count - 1] >= 60 { return nil }
            if magnitudes.count == 3, magnitudes[1] >= 60 { return nil }
            return negative ? -seconds : seconds
        }
    }

    /// `true/false`, `yes/no`, `y/n`, `t/f`, `1/0`, any case.
    static func boolean(_ b: UnsafeRawBufferPointer) -> Bool? {
        switch b.count {
        case 1:
            switch b[0] {
            case UInt8(ascii: "1"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "t"), UInt8(ascii: "T"): return true
            case UInt8(ascii: "0"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "f"), UInt8(ascii: "F"): return false
            default: return nil
            }
        default:
            // Compared byte by byte in any ASCII case (no string per value; no other character
            // lower-cases to these letters).
            if equalsIgnoringASCIICase(b, "true") || equalsIgnoringASCIICase(b, "yes") { return true }
            if equalsIgnoringASCIICase(b, "false") || equalsIgnoringASCIICase(b, "no") { return false }
            return nil
        }
    }

    /// Whether the bytes are valid UTF-8 (ASCII fast path).
    static func isValidUTF8(_ b: UnsafeRawBufferPointer) -> Bool {
        for byte in b where byte >= 0x80 { return String(validating: b, as: UTF8.self) != nil }
        return true
    }

    /// Whether `bytes` spell `lowercase` (lower-case ASCII) in any ASCII case.
    static func equalsIgnoringASCIICase(_ bytes: UnsafeRawBufferPointer, _ lowercase: String) -> Bool {
        var i = 0
        for expected in lowercase.utf8 {
            guard i < bytes.count else { return false }
            var byte = bytes[i]
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            guard byte == expected else { return false }
            i += 1
        }
        return i == bytes.count
    }
}
