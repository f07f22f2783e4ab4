@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

@Suite struct RedactorTests {
    /// Recall, precision and look-alike survival on the seeded corpus, per class and overall.
    ///
    /// A piece of personal data counts as removed when every letter and digit of it lies under a
    /// marker; a marker counts as right when it covers personal data; a look-alike survives when no
    /// marker touches it. The table printed here is the one in docs/quality.md.
    @Test func corpusRecallAndPrecisionMeetTheGoals() {
        let corpus = RedactionCorpus(seed: 20261129, count: 1500)
        var truth: [PersonalDataKind: (found: Int, total: Int)] = [:]
        var markers: [PersonalDataKind: (right: Int, total: Int)] = [:]
        var lookAlikes = (kept: 0, total: 0)
        var misses: [String] = []
        var falseAlarms: [String] = []
        let redactor = Redactor()
        for comment in corpus.comments {
            let findings = redactor.findings(in: comment.text)
            let ns = comment.text as NSString
            func covered(_ i: Int) -> Bool { findings.contains { NSLocationInRange(i, $0.range) } }
            for span in comment.spans {
                if let kind = span.kind {
                    let removed = (span.range.location..<NSMaxRange(span.range)).allSatisfy { i in
                        let c = ns.character(at: i)
                        return !(Unicode.Scalar(c).map { CharacterSet.alphanumerics.contains($0) } ?? false) || covered(i)
                    }
                    truth[kind, default: (0, 0)].total += 1
                    if removed { truth[kind, default: (0, 0)].found += 1 } else { misses.append("\(kind): \(comment.text)") }
                } else {
                    lookAlikes.total += 1
                    if findings.contains(where: { NSIntersectionRange($0.range, span.range).length > 0 }) {
                        falseAlarms.append(redactor.redact(comment.text))
                    } else { lookAlikes.kept += 1 }
                }
            }
            for finding in findings {
                let right = comment.spans.contains { $0.kind != nil && NSIntersectionRange($0.range, finding.range).length > 0 }
                markers[finding.kind, default: (0, 0)].total += 1
                if right { markers[finding.kind, default: (0, 0)].right += 1 } else if !falseAlarms.contains(redactor.redact(comment.text)) {
                    falseAlarms.append(redactor.redact(comment.text))
                }
            }
        }
        var table = "| class | marker | in corpus | recall | precision |\n|---|---|---|---|---|\n"
        for kind in PersonalDataKind.allCases {
            let t = truth[kind] ?? (0, 0), m = markers[kind] ?? (0, 0)
            table += "| \(kind) | `\(kind.marker)` | \(t.total) | \(percent(t.found, t.total)) | \(percent(m.right, m.total)) |\n"
        }
        let found = truth.values.reduce(0) { $0 + $1.found }, total = truth.values.reduce(0) { $0 + $1.total }
        let right = markers.values.reduce(0) { $0 + $1.right }, written = markers.values.reduce(0) { $0 + $1.total }
        table += "| all | | \(total) | \(percent(found, total)) | \(percent(right, written)) |\n"
        table += "\nLook-alikes kept: \(lookAlikes.kept) of \(lookAlikes.total) (\(percent(lookAlikes.kept, lookAlikes.total))); comments: \(corpus.comments.count)."
        print(table)
        for miss in misses.prefix(15) { print("missed — \(miss)") }
        for alarm in falseAlarms.prefix(15) { print("false alarm — \(alarm)") }
        for kind in PersonalDataKind.allCases {
            let t = truth[kind] ?? (0, 0), m = markers[kind] ?? (0, 0)
            #expect(t.total >= 100, "too few \(kind) spans in the corpus to measure")
            #expect(Double(t.found) >= 0.99 * Double(t.total), "\(kind) recall \(percent(t.found, t.total))")
            #expect(Double(m.right) >= 0.95 * Double(m.total), "\(kind) precision \(percent(m.right, m.total))")
        }
        #expect(Double(found) >= 0.99 * Double(total))
        #expect(Double(right) >= 0.95 * Double(written))
        #expect(Double(lookAlikes.kept) >= 0.99 * Double(lookAlikes.total))
    }

    private func percent(_ a: Int, _ b: Int) -> String { b == 0 ? "–" : String(format: "%.1f%%", 100 * Double(a) / Double(b)) }

    @Test(arguments: [
        ("Card 4111 1111 1111 1111, mail jane.doe@example.com or call 07700 900123.", "Card [card], mail [email] or call [phone]."),
        ("Order 1234567890123 is not a card", "Order 1234567890123 is not a card"),
        ("Resolved in 3 minutes", "Resolved in 3 minutes"),
        ("Logged 2026-11-24 18:14 by the agent", "Logged 2026-11-24 18:14 by the agent"),
        ("dialled 0161 496 0000 3 times", "dialled [phone] 3 times"),
        ("Berlin office 030/6328524, Durchwahl 12", "Berlin office [phone]"),
        ("write to josé.gómez@correo.es or tom.o'brien@mail.co.uk", "write to [email] or [email]"),
        ("kontakt@schäfer-elektro.de", "[email]"),
        ("jane dot doe at example dot com", "[email]"),
        ("card 4111.1111.1111.1111 given", "card [card] given"),
        ("US line 415.555.0134, FR 01.23.45.67.89", "US line [phone], FR [phone]"),
        ("IBAN GB82 WEST 1234 5698 7654 32 read back", "IBAN [iban] read back"),
        ("NI number AB 12 34 56 C", "NI number [national-id]"),
        ("Moved to SW1A 1AA", "Moved to [postcode]"),
        ("Agent greeted Mr Patel and Mme Dubois", "Agent greeted Mr [name] and Mme [name]"),
        ("DOB 12/03/1985 checked", "DOB [dob] checked"),
        ("Ticket CS-2026-004512 and INC0012345, customer since 2019-2024", "Ticket CS-2026-004512 and INC0012345, customer since 2019-2024"),
        ("Dear Customer, refund of €1,234.56 agreed", "Dear Customer, refund of €1,234.56 agreed"),
    ])
    func redactsWhatItPromisesAndNothingElse(_ input: String, _ expected: String) {
        #expect(Redactor.redact(input) == expected)
    }

    @Test func ibanCheckDigitsAreISO13616() {
        #expect(Redactor.ibanChecks("GB82WEST12345698765432"))  // the example of the ISO 13616 registry
        #expect(!Redactor.ibanChecks("GB83WEST12345698765432"))
        #expect(Redactor.redact("GB83 WEST 1234 5698 7654 32") == "GB83 WEST 1234 5698 7654 32")
    }
}
