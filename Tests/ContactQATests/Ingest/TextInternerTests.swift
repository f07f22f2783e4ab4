@testable import ContactQA
import Testing

@Suite("Texts made once per column")
struct TextInternerTests {
    private func text(_ interner: TextInterner, _ value: String, made: inout Int) -> String {
        Array(value.utf8).withUnsafeBytes { bytes in
            interner.text(for: bytes) {
                made += 1
                return value.uppercased()
            }
        }
    }

    /// A repeated text is made once; every value is the one made from its own bytes, including texts
    /// that share a prefix, the empty text and non-ASCII text.
    @Test func aRepeatedTextIsMadeOnce() {
        let interner = TextInterner()
        var made = 0
        let values = ["billing", "billing ", "bill", "", "Zoë", "billing", "Zoë", "", "bill"]
        #expect(values.map { text(interner, $0, made: &made) } == values.map { $0.uppercased() })
        #expect(made == 5)
    }

    /// Once full it keeps what it has and makes every new text each time, still right.
    @Test func aFullInternerStillAnswersRight() {
        let interner = TextInterner(capacity: 2)
        var made = 0
        for value in ["a", "b", "c", "c", "a", "b", "d"] { #expect(text(interner, value, made: &made) == value.uppercased()) }
        #expect(made == 4 + 1)  // a, b kept; c made twice; d once
    }
}
