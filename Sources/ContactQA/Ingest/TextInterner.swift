import Foundation

/// The texts a column has already produced, found by their bytes: a column of queues, teams, agents
/// or contact reasons repeats a few values on every row, and each is made into a `String` (and, for
/// reasons, redacted) once instead of once per row.
///
/// Keyed by a 64-bit FNV-1a hash of the bytes, each hit checked byte for byte against the text it was
/// made from; at most `capacity` texts are kept (later new values are made each time, not kept).
final class TextInterner {
    private var known: [UInt64: (raw: String, value: String)] = [:]
    private let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// The value made from `bytes` (valid UTF-8): the kept one when these bytes were seen before,
    /// else `make()`, kept while there is room.
    func text(for bytes: UnsafeRawBufferPointer, make: () -> String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        if let entry = known[hash] {
            if TextInterner.equal(entry.raw, bytes) { return entry.value }
            return make()  // another text with the same hash: made each time, the first one stays
        }
        let value = make()
        if known.count < capacity { known[hash] = (String(decoding: bytes, as: UTF8.self), value) }
        return value
    }

    private static func equal(_ text: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.count == bytes.count && (bytes.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
    }
}

/// Not `Sendable`: one mapper's cache, used by the thread that maps the file.
@available(*, unavailable)
extension TextInterner: Sendable {}
