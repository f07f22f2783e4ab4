import Crypto
import Foundation

/// The permanent random number of a unit (DESIGN.md §4): the first 8 bytes, big-endian, of
/// SHA-256(`contactqa-prn-v1|<seed>|<source>|<interaction_id>|<leg>`) divided by 2^64.
///
/// Part of the contract: anyone with the seed can re-derive a sample, with any tool, years later.
enum PermanentRandomNumber {
    /// The 64-bit integer behind u; compare these for exact ties.
    static func bits(seed: UInt64, source: String, interactionID: String, leg: Int) -> UInt64 {
        let digest = SHA256.hash(data: Data("contactqa-prn-v1|\(seed)|\(source)|\(interactionID)|\(leg)".utf8))
        return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// u in [0, 1).
    static func u(seed: UInt64, source: String, interactionID: String, leg: Int) -> Double {
        unit(bits(seed: seed, source: source, interactionID: interactionID, leg: leg))
    }

    /// bits / 2^64 as a double (rounded to 53 bits; ordering uses the bits).
    package static func unit(_ bits: UInt64) -> Double { Double(bits) / 18_446_744_073_709_551_616.0 }
}
