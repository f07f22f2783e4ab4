private import CLibCrypto
import Crypto
import Foundation

/// How a customer identifier is normalised before it is hashed (DESIGN.md §2).
package enum IdentifierKind: String, Sendable, CaseIterable {
    /// An email when it holds `@`, a phone number when it is digits and phone punctuation, else other.
    case auto
    case phone, email, other
}

/// Turns raw customer identifiers into keyed hashes, so the store can link a customer's contacts
/// (for FCR) without ever holding who the customer is.
///
/// The key is the site's secret: the same identifier gives the same `customer_key` only under the same key.
///
/// `@unchecked Sendable`: the only state is two SHA-256 contexts set once in `init` and only copied
/// after (C structs, which Swift does not mark `Sendable`).
package struct Pseudonymiser: @unchecked Sendable {
    package enum KeyError: Error, CustomStringConvertible {
        case missing
        case unreadable(path: String, reason: String)
        case malformed(path: String)
        case exists(path: String)

        package var description: String {
            switch self {
            case .missing:
                "no pseudonymisation key: pass --key-file FILE or set CONTACTQA_KEY_FILE (create one with `contactqa ingest generate-key FILE`)"
            case .unreadable(let path, let reason): "cannot read the key file \(path): \(reason)"
            case .malformed(let path): "the key file \(path) must hold at least 32 bytes as hexadecimal (64 characters)"
            case .exists(let path): "\(path) already exists; a key is never overwritten (data hashed with it would no longer link)"
            }
        }
    }

    /// HMAC-SHA256 (RFC 2104) with the key already absorbed: SHA-256 contexts that have hashed the
    /// key's inner and outer pads once. Each identifier copies them (plain values, nothing allocated)
    /// and hashes only its own bytes; this runs once per imported row.
    private let inner: SHA256_CTX
    private let outer: SHA256_CTX

    package init(keyBytes: [UInt8]) {
        // A key longer than SHA-256's block is hashed first; a shorter one is padded with zeros.
        var key = keyBytes.count > 64 ? Array(Crypto.SHA256.hash(data: keyBytes)) : keyBytes
        key += [UInt8](repeating: 0, count: 64 - key.count)
        func absorbed(_ pad: UInt8) -> SHA256_CTX {
            var context = SHA256_CTX()
            SHA256_Init(&context)
            let padded = key.map { $0 ^ pad }
            SHA256_Update(&context, padded, padded.count)
            return context
        }
        inner = absorbed(0x36)
        outer = absorbed(0x5C)
    }

    /// HMAC-SHA256 of `message` under the key: its 32 bytes, passed to `body`.
    private func mac<R>(_ message: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { digests in
            let innerDigest = digests.baseAddress!
            let code = innerDigest + 32
            var context = inner
            SHA256_Update(&context, message.baseAddress, message.count)
            SHA256_Final(innerDigest, &context)
            context = outer
            SHA256_Update(&context, innerDigest, 32)
            SHA256_Final(code, &context)
            return body(UnsafeRawBufferPointer(start: code, count: 32))
        }
    }

    private func mac<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var text = text
        return text.withUTF8 { mac(UnsafeRawBufferPointer($0), body) }
    }

    /// Reads a key file: hexadecimal text of at least 32 bytes.
    package static func load(keyFile path: String) throws -> Pseudonymiser {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw KeyError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.count >= 64, hex.count % 2 == 0, let bytes = hexBytes(hex) else { throw KeyError.malformed(path: path) }
        return Pseudonymiser(keyBytes: bytes)
    }

    /// Writes a new random 256-bit key, readable by its owner only.
    package static func generateKey(at path: String) throws {
        if FileManager.default.fileExists(atPath: path) { throw KeyError.exists(path: path) }
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { $0.map { pad16($0) }.joined() } + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError.unreadable(path: path, reason: "cannot create the file")
        }
    }

    /// The stored key of an identifier: the first 128 bits of HMAC-SHA256 over its normal form, as hex.
    /// Nil when the identifier is empty after normalising.
    func customerKey(for raw: String, kind: IdentifierKind, countryCode: String?, trunkPrefix: String? = nil) -> String? {
        guard var normal = Pseudonymiser.normalise(raw, kind: kind, countryCode: countryCode, trunkPrefix: trunkPrefix) else { return nil }
        return normal.withUTF8 { key(of: UnsafeRawBufferPointer($0)) }
    }

    /// The stored key of a normal form: the first 128 bits of its MAC in hex, written straight from the
    /// MAC's bytes (one string made per row).
    private func key(of normal: UnsafeRawBufferPointer) -> String {
        mac(normal) { hexString(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
    }

    /// `customerKey(for:…)` of an identifier read as bytes (valid UTF-8). An international number
    /// ("+", digits and phone punctuation), the common case, is normalised on the stack and hashed
    /// from there: the key is the one string made. Anything else goes through `normalise`.
    func customerKey(bytes raw: UnsafeRawBufferPointer, kind: IdentifierKind, countryCode: String?, trunkPrefix: String? = nil) -> String? {
        if kind == .auto || kind == .phone, raw.count <= 64,
           let key = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65, { normal -> String? in
               Pseudonymiser.internationalNumber(raw, into: normal).map { key(of: UnsafeRawBufferPointer(start: normal.baseAddress, count: $0)) }
           }) {
            return key
        }
        return customerKey(for: String(decoding: raw, as: UTF8.self), kind: kind, countryCode: countryCode, trunkPrefix: trunkPrefix)
    }

    /// Writes the normal form of an international number — "+" and its digits — into `out` and
    /// returns its length; nil unless `raw`, trimmed, starts with "+" and holds only digits and phone
    /// punctuation, at least 6 digits (what `normalise` reads as a phone number under `auto`).
    static func internationalNumber(_ raw: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        var start = 0
        var end = raw.count
        while start < end, blank(raw[start]) { start += 1 }
        while end > start, blank(raw[end - 1]) { end -= 1 }
        guard start < end, raw[start] == UInt8(ascii: "+"), end - start < out.count else { return nil }
        out[0] = UInt8(ascii: "+")
        var length = 1
        for i in (start + 1)..<end {
            let b = raw[i]
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                out[length] = b
                length += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: " "): break
            default: return nil
            }
        }
        return length - 1 >= 6 ? length : nil
    }

    /// A colleague's pseudonymous label for reports whose pipeline hides agent names
    /// (`privacy.agent_names: false`): `agent-` and the first 32 bits of HMAC-SHA256 over `agent:<id>`,
    /// stable across weeks and runs with the same key, and not reversible without it.
    func agentLabel(for id: String) -> String {
        return "agent-" + mac("agent:" + id) { hexString(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(4))) }
    }

    /// Phone → E.164 (`+441632960000`), email → lower case, anything else → trimmed.
    ///
    /// Works on UTF-8 bytes: it runs once per imported row.
    /// The national trunk prefix dialled before a national number, where it is not `0`: `1` in the
    /// North American plan, `8` in Russia and Kazakhstan; none in Italy, San Marino and the Vatican,
    /// whose national numbers keep their leading 0 after the country code (ITU-T E.164 national
    /// numbering plans).
    static let trunkPrefixes = ["1": "1", "7": "8", "39": "", "378": "", "379": ""]

    static func normalise(_ raw: String, kind: IdentifierKind, countryCode: String?, trunkPrefix: String? = nil) -> String? {
        var bytes = Array(raw.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { bytes.removeLast() }
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 || bytes[start] == 0x0A || bytes[start] == 0x0D { start += 1 }
        let trimmed = bytes[start...]
        guard !trimmed.isEmpty else { return nil }
        var kind = kind
        if kind == .auto {
            var digits = 0
            var phoneLike = true
            var email = false
            for b in trimmed {
                switch b {
                case UInt8(ascii: "@"): email = true
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
                case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: " "): break
                default: phoneLike = false
                }
            }
            kind = email ? .email : phoneLike && digits >= 6 ? .phone : .other
        }
        switch kind {
        case .email:
            return String(decoding: trimmed, as: UTF8.self).lowercased()
        case .phone:
            // "+" and the digits in one buffer: an international number (the common case) becomes
            // its string in one step.
            var plusDigits: [UInt8] = [UInt8(ascii: "+")]
            plusDigits.reserveCapacity(trimmed.count + 1)
            for b in trimmed where b >= 0x30 && b <= 0x39 { plusDigits.append(b) }
            guard plusDigits.count > 1 else { return nil }
            if trimmed.first == UInt8(ascii: "+") { return String(decoding: plusDigits, as: UTF8.self) }
            let text = String(decoding: plusDigits[1...], as: UTF8.self)
            if text.hasPrefix("00") { return "+" + text.dropFirst(2) }
            if let countryCode {
                let trunk = trunkPrefix ?? trunkPrefixes[countryCode] ?? "0"
                // A national number: its trunk prefix gives way to the country code.
                let national = !trunk.isEmpty && text.hasPrefix(trunk) && text.count > trunk.count + 4 ? String(text.dropFirst(trunk.count)) : text
                return "+" + countryCode + national
            }
            return "+" + text
        case .other, .auto:
            return String(decoding: trimmed, as: UTF8.self)
        }
    }

    private static func hexBytes(_ hex: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = hexValue(high), let l = hexValue(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }
}

func pad16(_ byte: UInt8) -> String { hexString([byte]) }

/// Lower-case hex of bytes, without a `String` per byte.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let bytes = Array(bytes)
    return bytes.withUnsafeBytes { hexString(bytes: $0) }
}

/// Lower-case hex of bytes, written into the string's own storage (it runs once per imported row).
func hexString(bytes: UnsafeRawBufferPointer) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { out in
        for (i, b) in bytes.enumerated() {
            out[2 * i] = hexDigit(b >> 4)
            out[2 * i + 1] = hexDigit(b & 0x0F)
        }
        return bytes.count * 2
    }
}

@inline(__always) private func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
