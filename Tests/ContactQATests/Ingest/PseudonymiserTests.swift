@testable import ContactQA
import ContactQATesting
import Crypto
import Foundation
import GRDB
import Testing

@Suite("Pseudonymisation")
struct PseudonymiserTests {
    @Test func normalForms() {
        #expect(Pseudonymiser.normalise(" Jane.Doe@Example.COM ", kind: .auto, countryCode: nil) == "jane.doe@example.com")
        #expect(Pseudonymiser.normalise("+44 20 7946 0001", kind: .auto, countryCode: nil) == "+442079460001")
        #expect(Pseudonymiser.normalise("020 7946 0001", kind: .phone, countryCode: "44") == "+442079460001")
        #expect(Pseudonymiser.normalise("0044 20 7946 0001", kind: .phone, countryCode: nil) == "+442079460001")
        #expect(Pseudonymiser.normalise("(212) 555-0143", kind: .phone, countryCode: "1") == "+12125550143")
        #expect(Pseudonymiser.normalise("  ACC-123 ", kind: .auto, countryCode: nil) == "ACC-123")
        // National trunk prefixes: 8 in Russia, 1 in the North American plan, none in Italy (the 0 stays);
        // a site can name its own.
        #expect(Pseudonymiser.normalise("8 (916) 123-45-67", kind: .phone, countryCode: "7") == "+79161234567")
        #expect(Pseudonymiser.normalise("+7 916 123-45-67", kind: .phone, countryCode: "7") == "+79161234567")
        #expect(Pseudonymiser.normalise("1 (212) 555-0143", kind: .phone, countryCode: "1") == "+12125550143")
        #expect(Pseudonymiser.normalise("06 6982 1234", kind: .phone, countryCode: "39") == "+390669821234")
        #expect(Pseudonymiser.normalise("06 12 34 56 78", kind: .phone, countryCode: "36", trunkPrefix: "06") == "+3612345678")
        #expect(Pseudonymiser.normalise("   ", kind: .auto, countryCode: nil) == nil)
    }

    @Test func keysAreHMACSHA256OfTheNormalForm() {
        let key = Pseudonymiser(keyBytes: Array(repeating: 7, count: 32))
        let expected = HMAC<SHA256>.authenticationCode(for: Data("+442079460001".utf8), using: SymmetricKey(data: Array(repeating: UInt8(7), count: 32)))
            .prefix(16).map { String(format: "%02x", $0) }.joined()
        #expect(key.customerKey(for: "020 7946 0001", kind: .phone, countryCode: "44") == expected)
        #expect(key.customerKey(for: "+44 (0)20 7946 0001", kind: .phone, countryCode: "44") != nil)
        // Same customer, two spellings: one key. Another site key: another pseudonym.
        #expect(key.customerKey(for: "Jane@X.org", kind: .auto, countryCode: nil) == key.customerKey(for: "jane@x.org", kind: .auto, countryCode: nil))
        let other = Pseudonymiser(keyBytes: Array(repeating: 8, count: 32))
        #expect(other.customerKey(for: "jane@x.org", kind: .auto, countryCode: nil) != key.customerKey(for: "jane@x.org", kind: .auto, countryCode: nil))
    }

    /// The keyed HMAC state is copied per identifier, never shared: values recorded from Python's
    /// hmac module (hmac.new(bytes([7]*32), b"+447700900123", hashlib.sha256).hexdigest()[:32], and
    /// b"agent:A1" → [:8]), each asked twice and interleaved.
    @Test func keysMatchAnIndependentHMACWhateverCameBefore() {
        let key = Pseudonymiser(keyBytes: Array(repeating: 7, count: 32))
        for _ in 0..<2 {
            #expect(key.customerKey(for: "+447700900123", kind: .phone, countryCode: nil) == "88210abae0ab23d69dba119b5d1d14a0")
            #expect(key.agentLabel(for: "A1") == "agent-b88fe09b")
        }
    }

    /// The keyed hash is RFC 2104's HMAC built on OpenSSL's SHA-256; swift-crypto's HMAC is the
    /// reference, for keys shorter than, equal to and longer than SHA-256's 64-byte block (a longer key
    /// is hashed first) and messages of 1 to 150 bytes (one and several blocks).
    @Test(arguments: [32, 64, 65, 100])
    func keysAreTheReferenceHMACForAnyKeyLength(keyLength: Int) {
        let keyBytes = (0..<keyLength).map { UInt8(($0 * 37 + 11) & 0xFF) }
        let key = Pseudonymiser(keyBytes: keyBytes)
        for length in [1, 13, 55, 56, 63, 64, 65, 119, 150] {
            let message = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x41 + ($0 * 7) % 26))) })
            let reference = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: keyBytes))
            #expect(key.customerKey(for: message, kind: .other, countryCode: nil) == reference.prefix(16).map { String(format: "%02x", $0) }.joined(),
                    "key of \(keyLength) bytes, message of \(length)")
        }
        let label = HMAC<SHA256>.authenticationCode(for: Data("agent:A7".utf8), using: SymmetricKey(data: keyBytes))
        #expect(key.agentLabel(for: "A7") == "agent-" + label.prefix(4).map { String(format: "%02x", $0) }.joined())
    }

    /// An identifier read as bytes (the CSV importer's path, with a stack-only fast path for
    /// international numbers) gets the same key as the same identifier as text, whichever path it takes.
    @Test func keysFromBytesAreKeysFromText() {
        let key = Pseudonymiser(keyBytes: Array(repeating: 7, count: 32))
        let identifiers = ["+447910143549", " +44 (20) 7946-0001 ", "+44.20.7946.0001", "+1 212 555 0143", "+12345", "+123456", "+",
                           "+44 20 7946 0001 ext 2", "+44@x.org", "0044 20 7946 0001", "020 7946 0001", "(212) 555-0143",
                           "Jane.Doe@Example.COM", "  ACC-123 ", "Zoë@Exämple.org", "\t+447700900123\r", "   ", "",
                           String(repeating: "1", count: 70), "+" + String(repeating: "9", count: 63), "+" + String(repeating: "9", count: 64)]
        for identifier in identifiers {
            for kind in IdentifierKind.allCases {
                for country in [nil, "44", "1", "7", "39"] {
                    let fromBytes = Array(identifier.utf8).withUnsafeBytes { key.customerKey(bytes: $0, kind: kind, countryCode: country) }
                    #expect(fromBytes == key.customerKey(for: identifier, kind: kind, countryCode: country), "\(identifier) as \(kind), country \(country ?? "-")")
                }
            }
        }
    }

    @Test func generatedKeysAreOwnerOnlyAndNeverOverwritten() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/site.key"
        try Pseudonymiser.generateKey(at: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines).count == 64)
        _ = try Pseudonymiser.load(keyFile: path)
        #expect(throws: Pseudonymiser.KeyError.self) { try Pseudonymiser.generateKey(at: path) }
        let bad = dir.write("bad.key", "not a key")
        #expect(throws: Pseudonymiser.KeyError.self) { try Pseudonymiser.load(keyFile: bad) }
    }

    @Test func rawIdentifiersNeverReachTheStore() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("canonical/contacts_2026-W47.csv"), into: store)
        let database = storeFileText(store.path)
        #expect(!database.contains("7946"))
        #expect(!database.lowercased().contains("jane.doe"))
        // C5 and C6 are one customer written two ways: one customer_key.
        let keys = try store.rows("SELECT customer_key FROM contacts WHERE interaction_id IN ('C5', 'C6')")
        #expect(keys.count == 2)
        #expect(keys[0] == keys[1])
        #expect(keys[0][0] != .null)
    }
}
