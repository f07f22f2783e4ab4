/// A timestamp pattern such as `dd/MM/yyyy HH:mm:ss` or `iso8601`, compiled once and applied to raw bytes.
///
/// Letters: `yyyy` year; `MM`/`M` month; `dd`/`d` day; `HH`/`H` hour 0–23; `hh`/`h` hour 1–12 with `a`
/// (AM/PM); `mm` minute; `ss` second; `S` one or more fraction digits; `XXX` an offset (`Z`, `+01:00`,
/// `+0100`, `+01`). A trailing `[…]` part is optional. Any other character must appear as written.
/// `iso8601` accepts `yyyy-MM-dd`, then optionally `T` or a space, `HH:mm`, `:ss`, `.S`, and an offset.
/// `epoch_s` and `epoch_ms` read Unix time, UTC: whole seconds (a fraction of up to 3 digits allowed,
/// `1763370005.25`) or whole milliseconds, as Cisco CDRs and many APIs write them.
package struct TimestampFormat: Sendable, Equatable, CustomStringConvertible {
    enum Token: Equatable, Sendable {
        case year, month(exact: Bool), day(exact: Bool), hour24(exact: Bool), hour12(exact: Bool)
        case minute, second, fraction, meridiem, offset
        case literal(UInt8)
        case optional([Token])
    }

    /// What a timestamp field held: local wall-clock milliseconds, and the offset when it carried one.
    package struct Parsed: Equatable, Sendable {
        var localMilliseconds: Int64
        var offsetSeconds: Int?
    }

    let pattern: String
    let tokens: [Token]
    /// Milliseconds per unit of a Unix-time format: 1000 for `epoch_s`, 1 for `epoch_ms`; nil for patterns.
    let epochScale: Int64?

    static let iso8601 = TimestampFormat(validPattern: "iso8601")

    /// - Returns: nil when the pattern uses no date letters or is malformed.
    package init?(_ pattern: String) {
        if pattern == "iso8601" { self = .iso8601; return }
        if pattern == "epoch_s" || pattern == "epoch_ms" {
            self.pattern = pattern
            tokens = []
            epochScale = pattern == "epoch_s" ? 1000 : 1
            return
        }
        guard let tokens = TimestampFormat.compile(Array(pattern.utf8)[...]),
              tokens.contains(.year) else { return nil }
        self.pattern = pattern
        self.tokens = tokens
        epochScale = nil
    }

    private init(validPattern: String) {
        pattern = validPattern
        tokens = TimestampFormat.compile(Array("yyyy-MM-dd[THH:mm[:ss[.S]]][XXX]".utf8)[...])!
        epochScale = nil
    }

    /// Unix time: digits (at most 15, so no overflow), for seconds an optional fraction of 1–3 digits.
    private func parseEpoch(_ bytes: UnsafeRawBufferPointer, scale: Int64) -> Parsed? {
        var whole: Int64 = 0
        var digits = 0
        var i = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            guard digits < 15 else { return nil }
            whole = whole * 10 + Int64(bytes[i] - 0x30)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        var milliseconds = whole * scale
        if i < bytes.count {
            guard scale == 1000, bytes[i] == 0x2E, bytes.count - i - 1 >= 1, bytes.count - i - 1 <= 3 else { return nil }
            var fraction: Int64 = 0
            var place: Int64 = 100
            for b in bytes[(i + 1)...] {
                guard b >= 0x30, b <= 0x39 else { return nil }
                fraction += Int64(b - 0x30) * place
                place /= 10
            }
            milliseconds += fraction
        }
        return Parsed(localMilliseconds: milliseconds, offsetSeconds: 0)
    }

    package var description: String { pattern }

    private static func compile(_ p: ArraySlice<UInt8>) -> [Token]? {
        var tokens: [Token] = []
        var i = p.startIndex
        while i < p.endIndex {
            let c = p[i]
            var run = 1
            while i + run < p.endIndex, p[i + run] == c { run += 1 }
            switch c {
            case UInt8(ascii: "y"): guard run == 4 else { return nil }; tokens.append(.year)
            case UInt8(ascii: "M"): guard run <= 2 else { return nil }; tokens.append(.month(exact: run == 2))
            case UInt8(ascii: "d"): guard run <= 2 else { return nil }; tokens.append(.day(exact: run == 2))
            case UInt8(ascii: "H"): guard run <= 2 else { return nil }; tokens.append(.hour24(exact: run == 2))
            case UInt8(ascii: "h"): guard run <= 2 else { return nil }; tokens.append(.hour12(exact: run == 2))
            case UInt8(ascii: "m"): guard run == 2 else { return nil }; tokens.append(.minute)
            case UInt8(ascii: "s"): guard run == 2 else { return nil }; tokens.append(.second)
            case UInt8(ascii: "S"): tokens.append(.fraction)
            case UInt8(ascii: "a"): guard run == 1 else { return nil }; tokens.append(.meridiem)
            case UInt8(ascii: "X"), UInt8(ascii: "Z"): guard run <= 3 else { return nil }; tokens.append(.offset)
            case UInt8(ascii: "["):
                var depth = 0
                var j = i
                repeat {
                    if p[j] == UInt8(ascii: "[") { depth += 1 }
                    if p[j] == UInt8(ascii: "]") { depth -= 1 }
                    j += 1
                } while depth > 0 && j < p.endIndex
                guard depth == 0, let inner = compile(p[(i + 1)..<(j - 1)]) else { return nil }
                tokens.append(.optional(inner))
                i = j
                continue
            default:
                for _ in 0..<run { tokens.append(.literal(c)) }
            }
            i += run
        }
        return tokens
    }

    /// Reads a timestamp; nil when the bytes do not follow the pattern or name an impossible date or time.
    package func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed? {
        if let epochScale { return parseEpoch(bytes, scale: epochScale) }
        if pattern == "iso8601", let utc = TimestampFormat.utcSeconds(bytes) { return utc }
        var state = State()
        var i = 0
        guard TimestampFormat.match(tokens, bytes, &i, &state), i == bytes.count else { return nil }
        var hour = state.hour
        if state.twelveHour {
            guard let pm = state.pm, (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        guard (1...12).contains(state.month), state.day >= 1, state.day <= LocalDate.daysIn(month: state.month, year: state.year),
              hour < 24, state.minute < 60, state.second < 61
        else { return nil }
        let days = Int64(LocalDate(year: state.year, month: state.month, day: state.day).dayNumber)
        let seconds = days * 86_400 + Int64(hour * 3600 + state.minute * 60 + min(state.second, 59))
        return Parsed(localMilliseconds: seconds * 1000 + Int64(state.millisecond), offsetSeconds: state.offset)
    }

    /// ISO 8601's most common form, `2026-11-17T09:00:00Z` (every instant of a canonical export), read
    /// at its fixed positions: what the pattern gives for it, without walking the tokens. Nil for any
    /// other form or an impossible date or time (the pattern then decides).
    private static func utcSeconds(_ b: UnsafeRawBufferPointer) -> Parsed? {
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"),
              b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z") else { return nil }
        func pair(_ i: Int) -> Int? {
            let high = b[i] &- 0x30, low = b[i + 1] &- 0x30
            return high < 10 && low < 10 ? Int(high) * 10 + Int(low) : nil
        }
        guard let century = pair(0), let yy = pair(2), let month = pair(5), let day = pair(8),
              let hour = pair(11), let minute = pair(14), let second = pair(17) else { return nil }
        let year = century * 100 + yy
        guard (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 61 else { return nil }
        let days = Int64(LocalDate(year: year, month: month, day: day).dayNumber)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
        return Parsed(localMilliseconds: seconds * 1000, offsetSeconds: 0)
    }

    private struct State {
        var year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millisecond = 0
        var twelveHour = false
        var pm: Bool?
        var offset: Int?
    }

    private static func match(_ tokens: [Token], _ b: UnsafeRawBufferPointer, _ i: inout Int, _ s: inout State) -> Bool {
        for token in tokens {
            switch token {
            case .year: guard let v = digits(b, &i, min: 4, max: 4) else { return false }; s.year = v
            case .month(let exact): guard let v = digits(b, &i, min: exact ? 2 : 1, max: 2) else { return false }; s.month = v
            case .day(let exact): guard let v = digits(b, &i, min: exact ? 2 : 1, max: 2) else { return false }; s.day = v
            case .hour24(let exact): guard let v = digits(b, &i, min: exact ? 2 : 1, max: 2) else { return false }; s.hour = v
            case .hour12(let exact):
                guard let v = digits(b, &i, min: exact ? 2 : 1, max: 2) else { return false }
                s.hour = v
                s.twelveHour = true
            case .minute: guard let v = digits(b, &i, min: 2, max: 2) else { return false }; s.minute = v
            case .second: guard let v = digits(b, &i, min: 2, max: 2) else { return false }; s.second = v
            case .fraction:
                let start = i
                var ms = 0
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                    if i - start < 3 { ms = ms * 10 + Int(b[i] - 0x30) }
                    i += 1
                }
                guard i > start else { return false }
                for _ in min(i - start, 3)..<3 { ms *= 10 }
                s.millisecond = ms
            case .meridiem:
                guard i + 1 < b.count else { return false }
                let c0 = b[i] | 0x20, c1 = b[i + 1] | 0x20
                guard c1 == UInt8(ascii: "m"), c0 == UInt8(ascii: "a") || c0 == UInt8(ascii: "p") else { return false }
                s.pm = c0 == UInt8(ascii: "p")
                i += 2
            case .offset:
                guard i < b.count else { return false }
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { s.offset = 0; i += 1; continue }
                guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return false }
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let hh = digits(b, &i, min: 2, max: 2), hh <= 18 else { return false }
                var mm = 0
                if i < b.count, b[i] == UInt8(ascii: ":") { i += 1 }
                if i < b.count, let m = digits(b, &i, min: 2, max: 2) { mm = m }
                s.offset = sign * (hh * 3600 + mm * 60)
            case .literal(let c):
                guard i < b.count else { return false }
                if b[i] != c, !(c == UInt8(ascii: "T") && b[i] == 0x20) { return false }
                i += 1
            case .optional(let inner):
                var j = i
                var t = s
                if match(inner, b, &j, &t) { i = j; s = t }
            }
        }
        return true
    }

    private static func digits(_ b: UnsafeRawBufferPointer, _ i: inout Int, min lo: Int, max hi: Int) -> Int? {
        var value = 0
        var n = 0
        while n < hi, i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            value = value * 10 + Int(b[i] - 0x30)
            i += 1
            n += 1
        }
        return n >= lo ? value : nil
    }
}
