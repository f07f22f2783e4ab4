import Crypto
import Foundation

/// How a customer identifier is normalised before it is hashed (DESIGN.md §2).
public enum IdentifierKind: String, Sendable, CaseIterable {
    /// An email when it holds `@`, a phone number when it is digits and phone punctuation, else other.
    case auto
    case phone, email, other
}

/// Turns raw customer identifiers into keyed hashes, so the store can link a customer's contacts
/// (for FCR) without ever holding who the customer is.
///
/// The key is the site's secret: the same identifier gives the same `customer_key` only under the same key.
///
/// `@unchecked Sendable`: the only state is a `SymmetricKey` set once in `init` and only read after,
/// and swift-crypto does not mark that immutable value type `Sendable` on Linux.
public struct Pseudonymiser: @unchecked Sendable {
    public enum KeyError: Error, CustomStringConvertible {
        case missing
        case unreadable(path: String, reason: String)
        case malformed(path: String)
        case exists(path: String)

        public var description: String {
            switch self {
            case .missing:
                "no pseudonymisation key: pass --key-file FILE or set CONTACTQA_KEY_FILE (create one with `contactqa ingest --generate-key FILE`)"
            case .unreadable(let path, let reason): "cannot read the key file \(path): \(reason)"
            case .malformed(let path): "the key file \(path) must hold at least 32 bytes as hexadecimal (64 characters)"
            case .exists(let path): "\(path) already exists; a key is never overwritten (data hashed with it would no longer link)"
            }
        }
    }

    private let key: SymmetricKey

    public init(keyBytes: [UInt8]) { key = SymmetricKey(data: keyBytes) }

    /// Reads a key file: hexadecimal text of at least 32 bytes.
    public static func load(keyFile path: String) throws -> Pseudonymiser {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw KeyError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.count >= 64, hex.count % 2 == 0, let bytes = hexBytes(hex) else { throw KeyError.malformed(path: path) }
        return Pseudonymiser(keyBytes: bytes)
    }

    /// Writes a new random 256-bit key, readable by its owner only.
    public static func generateKey(at path: String) throws {
        if FileManager.default.fileExists(atPath: path) { throw KeyError.exists(path: path) }
        let key = SymmetricKey(size: .bits256)
        let hex = key.withUnsafeBytes { $0.map { pad16($0) }.joined() } + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError.unreadable(path: path, reason: "cannot create the file")
        }
    }

    /// The stored key of an identifier: the first 128 bits of HMAC-SHA256 over its normal form, as hex.
    /// Nil when the identifier is empty after normalising.
    public func customerKey(for raw: String, kind: IdentifierKind, countryCode: String?) -> String? {
        guard let normal = Pseudonymiser.normalise(raw, kind: kind, countryCode: countryCode) else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(normal.utf8), using: key)
        return mac.prefix(16).map { pad16($0) }.joined()
    }

    /// Phone → E.164 (`+441632960000`), email → lower case, anything else → trimmed.
    public static func normalise(_ raw: String, kind: IdentifierKind, countryCode: String?) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        var kind = kind
        if kind == .auto {
            let phoneChars = CharacterSet(charactersIn: "0123456789+-(). ")
            if trimmed.contains("@") {
                kind = .email
            } else if trimmed.unicodeScalars.allSatisfy(phoneChars.contains), trimmed.filter(\.isNumber).count >= 6 {
                kind = .phone
            } else {
                kind = .other
            }
        }
        switch kind {
        case .email: return trimmed.lowercased()
        case .phone:
            let digits = trimmed.filter { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            if trimmed.hasPrefix("+") { return "+" + digits }
            if digits.hasPrefix("00") { return "+" + digits.dropFirst(2) }
            if let countryCode {
                return "+" + countryCode + (digits.hasPrefix("0") ? String(digits.dropFirst()) : digits)
            }
            return "+" + digits
        case .other, .auto: return trimmed
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

func pad16(_ byte: UInt8) -> String {
    let s = String(byte, radix: 16)
    return s.count == 1 ? "0" + s : s
}
