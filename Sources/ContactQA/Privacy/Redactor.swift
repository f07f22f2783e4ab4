import Foundation

/// A class of personal data that free text is cleaned of, and the marker that replaces it.
enum PersonalDataKind: String, CaseIterable, Sendable {
    case email, phone, card, iban
    case nationalID = "national-id"
    case postcode, name
    case dateOfBirth = "dob"

    /// The text written in place of the data: `[email]`, `[phone]`, ….
    var marker: String { "[\(rawValue)]" }
}

/// Removes personal data from free text (evaluators' comments, reasons a source carries) before it is
/// stored or printed.
///
/// Each class has its own recogniser, and a recogniser only fires on what its class looks like:
/// e-mail addresses (with Unicode local parts and domains, a spaced `@`, or spelled out as `name at
/// domain dot com` in English, French, German and Spanish); phone numbers by a grammar of the ways
/// numbers are written (international `+CC`/`00CC`, a national trunk `0`, North American 3-3-4,
/// Spanish 9-digit groups, or any 7–12 digits right after a word such as "call" or "Telefon"), with
/// their extension — never a date, a time, a year range or a number introduced as a reference; card
/// numbers by issuer range, length and the Luhn check in any separator; IBANs by their ISO 13616
/// check digits; UK National Insurance numbers, US social security numbers, French NIR and Spanish
/// DNI/NIE by their official patterns and check characters; UK postcodes by the official pattern;
/// a name after a title or a salutation in the four languages; a date introduced as a date of birth.
///
/// Known limits (docs/quality.md): names without a title, street addresses, postcodes of other
/// countries, and a reference that happens to be a valid card number with nothing saying it is a
/// reference stay as written or are marked as a card.
struct Redactor: Sendable {
    /// One piece of personal data: where it is in the text (UTF-16 offsets) and what it is.
    struct Finding: Equatable, Sendable {
        var range: NSRange
        var kind: PersonalDataKind
    }

    /// The site's country calling code (`44`, `33`, …), which adds that country's plan for numbers
    /// written without a trunk prefix.
    var countryCode: String?

    package init(countryCode: String? = nil) { self.countryCode = countryCode }

    /// The text with every finding replaced by its class's marker.
    func redact(_ text: String) -> String {
        let found = findings(in: text)
        guard !found.isEmpty else { return text }
        let out = NSMutableString(string: text)
        for finding in found.reversed() { out.replaceCharacters(in: finding.range, with: finding.kind.marker) }
        return out as String
    }

    /// A value from input as it may be shown in a message or a quarantined record: a bare number of 9
    /// or more digits (an identifier written without `+` or separators, `447700900123`) is `[masked]`;
    /// anything else is redacted, and then any run of 9 or more digits left in it is `[masked]` too (an
    /// identifier without `+` run together with other text, `x447700900123`, which the recognisers'
    /// grammar of written numbers does not take for one).
    static func display(_ value: String) -> String {
        var digits = 0
        var other = false
        for b in value.utf8 {
            if b >= 0x30 && b <= 0x39 { digits += 1 } else if ![0x20, 0x2B, 0x2D, 0x28, 0x29, 0x2E].contains(b) { other = true; break }
        }
        if !other && digits >= 9 { return "[masked]" }
        return maskingDigitRuns(Redactor().redact(value))
    }

    /// `text` with every run of 9 or more ASCII digits replaced by `[masked]`.
    static func maskingDigitRuns(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var masked = false
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] >= 0x30, bytes[j] <= 0x39 { j += 1 }
            if j - i >= 9 {
                out += "[masked]".utf8
                masked = true
            } else {
                j = max(j, i + 1)  // a shorter run, or one byte that is not a digit, as it is
                out += bytes[i..<j]
            }
            i = j
        }
        return masked ? String(decoding: out, as: UTF8.self) : text
    }

    /// Redaction with no site-specific country plan.
    static func redact(_ text: String) -> String { Redactor().redact(text) }

    /// Every piece of personal data in `text`, in order, none overlapping.
    ///
    /// Recognisers run from the most specific (an e-mail, an IBAN, a date of birth) to the least (a
    /// postcode, a name); a later one never takes text an earlier one took, so the digits of an IBAN
    /// are never read again as a phone number.
    /// - Complexity: O(n) in the length of the text for each recogniser.
    func findings(in text: String) -> [Finding] {
        let ns = text as NSString
        guard ns.length > 0, Redactor.mightHoldPersonalData(text) else { return [] }
        var taken = [Bool](repeating: false, count: ns.length)
        var result: [Finding] = []
        func add(_ range: NSRange, _ kind: PersonalDataKind) {
            guard range.length > 0, !(range.location..<NSMaxRange(range)).contains(where: { taken[$0] }) else { return }
            for i in range.location..<NSMaxRange(range) { taken[i] = true }
            result.append(Finding(range: range, kind: kind))
        }
        for (range, kind) in Redactor.emails(in: ns) { add(range, kind) }
        for range in Redactor.ibans(in: ns) { add(range, .iban) }
        for range in Redactor.datesOfBirth(in: ns) { add(range, .dateOfBirth) }
        for range in Redactor.nationalIDs(in: ns) { add(range, .nationalID) }
        for finding in NumberScanner(text: ns, taken: taken, countryCode: countryCode).findings() { add(finding.range, finding.kind) }
        for range in Redactor.postcodes(in: ns) { add(range, .postcode) }
        for (name, match) in Redactor.names(in: ns) where !(match.location..<NSMaxRange(match)).contains(where: { taken[$0] }) {
            add(name, .name)
        }
        return result.sorted { $0.range.location < $1.range.location }
    }

    /// A fast check that lets plain text (a contact reason such as "Billing query") skip the
    /// recognisers: every class needs a digit, an `@`, a spelled-out `at`, or a title or salutation.
    static func mightHoldPersonalData(_ text: String) -> Bool {
        if text.utf8.contains(where: { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x40 }) { return true }
        // One pass into words; the spelled "at" of an address is looked for only when such a word is there.
        let words = text.split(whereSeparator: { !$0.isLetter })
        let spelledAt = ["at", "ät", "arobase", "arroba"]
        if words.contains(where: { spelledAt.contains($0.lowercased()) }) {
            let lower = text.lowercased()
            if spelledAt.contains(where: { lower.contains(" \($0) ") || lower.contains("(\($0))") || lower.contains("[\($0)]") }) { return true }
        }
        return words.contains { openers.contains(String($0)) }
    }

    /// The first words of the titles and salutations a name may follow.
    private static let openers = Set(titleWords + ["M", "D"] + salutationPhrases.map { String($0.split(separator: " ")[0]) })

    /// The Luhn (mod 10) check of ISO/IEC 7812-1, on a string of digits.
    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (i, c) in digits.reversed().enumerated() {
            guard var d = c.wholeNumberValue else { return false }
            if i % 2 == 1 { d *= 2; if d > 9 { d -= 9 } }
            sum += d
        }
        return !digits.isEmpty && sum % 10 == 0
    }
}
