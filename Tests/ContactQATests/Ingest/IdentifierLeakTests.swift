@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A rejected file's every output — stdout, stderr, the quarantine folder, the store file with its
/// ingest log — is searched for the raw customer identifiers it carried.
@Suite("No raw identifier escapes a rejected file")
struct IdentifierLeakTests {
    /// Every file under `dir` and the streams, as one text (the store is read as bytes, decoded leniently).
    static func everything(_ dir: TemporaryDirectory, _ result: CommandResult) -> String {
        var text = result.stdout + result.stderr
        for file in FileManager.default.enumerator(atPath: dir.path)!.compactMap({ $0 as? String }) {
            if let data = FileManager.default.contents(atPath: dir.path + "/" + file) { text += String(decoding: data, as: UTF8.self) }
        }
        return text
    }

    static func ingest(_ dir: TemporaryDirectory, _ source: String, _ file: String) throws -> CommandResult {
        try contactqa(["ingest", "--store", dir.path + "/store.sqlite", "--timezone", "Europe/London", "--source", source, file],
                      environment: ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")])
    }

    @Test func shiftedCSVRowsKeepTheirNumbersMasked() throws {
        let dir = TemporaryDirectory()
        let header = try #require(try String(contentsOfFile: fixture("canonical/contacts_2026-W47.csv"), encoding: .utf8).split(separator: "\n").first)
        let rows = [
            // The delimiter changed half-way through an export: the whole row is one field.
            "C90;1;voice;inbound;Billing;Team A;A1;+44 20 7946 0990;billing;2026-11-16T09:00:00Z;2026-11-16T09:00:10Z;10;false;false;300;20;40;5;5;9;true;rec/C90",
            // One extra field before the customer: every column after it shifts.
            "C91,1,voice,inbound,Billing,Team A,A1,extra,447946099100,billing,2026-11-16T09:00:00Z,2026-11-16T09:00:10Z,10,false,false,300,20,40,5,5,9,true,rec/C91",
            // The customer's number in the timestamp column: its message must not echo it.
            "C92,1,voice,inbound,Billing,Team A,A1,+44 20 7946 0992,billing,07700900992,2026-11-16T09:00:10Z,10,false,false,300,20,40,5,5,9,true,rec/C92",
            // The number run together with other text, without `+`: no grammar of written numbers takes it.
            "C93,1,voice,inbound,Billing,Team A,A1,+44 20 7946 0993,billing,x447700900993,2026-11-16T09:00:10Z,10,false,false,300,20,40,5,5,9,true,rec/C93",
            "C94,1,voice,inbound,Billing,Team A,A1,+44 20 7946 0994,billing,not a time 447700900994,2026-11-16T09:00:10Z,10,false,false,300,20,40,5,5,9,true,rec/C94",
        ]
        let inputs = TemporaryDirectory()  // outside the folder searched
        let file = inputs.write("shifted.csv", ([String(header)] + rows).joined(separator: "\n") + "\n")
        let result = try IdentifierLeakTests.ingest(dir, "canonical", file)
        #expect(result.status == 3, "\(result.stderr)")
        let all = IdentifierLeakTests.everything(dir, result)
        #expect(all.contains("ragged row") && all.contains("arrived_at"))
        for raw in ["7946 0990", "79460990", "447946099100", "7946099100", "7946 0992", "07700900992", "7700900992", "7700900993", "7700900994"] {
            #expect(!all.contains(raw), "\(raw) escaped")
        }
    }

    @Test func aCTRAddressOfTheWrongTypeAndAnUnmappedAttributeStayMasked() throws {
        let dir = TemporaryDirectory()
        let line = try String(contentsOfFile: fixture("amazon-connect/ctr-2026-11-17.jsonl"), encoding: .utf8).split(separator: "\n")[1]  // a1, a customer's own contact
        let asNumber = line.replacingOccurrences(of: "\"Address\":\"+442079460101\"", with: "\"Address\":442079460777")
        let asList = line.replacingOccurrences(of: "\"ContactId\":\"a1\"", with: "\"ContactId\":\"t3\"")
            .replacingOccurrences(of: "\"Address\":\"+442079460101\"", with: "\"Address\":[\"+442079460888\"]")
        // Rejected for its queue time, carrying the caller's number in an attribute nobody maps.
        let attribute = line.replacingOccurrences(of: "\"ContactId\":\"a1\"", with: "\"ContactId\":\"t4\"")
            .replacingOccurrences(of: "\"Duration\":12", with: "\"Duration\":\"soon\"")
            .replacingOccurrences(of: "\"DisconnectReason\"", with: "\"Attributes\":{\"callerNumber\":\"+44 20 7946 0999\",\"email\":\"jo@example.com\"},\"DisconnectReason\"")
        #expect(asNumber != line && asList != line && attribute != line)
        let inputs = TemporaryDirectory()
        let file = inputs.write("ctr.jsonl", [asNumber, asList, attribute].joined(separator: "\n") + "\n")
        let result = try IdentifierLeakTests.ingest(dir, "amazon-connect-ctr", file)
        #expect(result.status == 3, "\(result.stderr)")
        let all = IdentifierLeakTests.everything(dir, result)
        #expect(all.contains("CustomerEndpoint.Address"), "\(result.stderr)")
        for raw in ["442079460777", "2079460777", "442079460888", "2079460888", "7946 0999", "jo@example.com"] {
            #expect(!all.contains(raw), "\(raw) escaped")
        }
    }

    /// What a message or a quarantined field shows of a value: runs of 9 or more digits masked wherever
    /// they stand, shorter numbers and the recognisers' own markers as they were.
    @Test func aShownValueMasksEveryLongRunOfDigits() {
        #expect(Redactor.display("447700900123") == "[masked]")
        #expect(Redactor.display("x447700900123 and 12345678") == "x[masked] and 12345678")
        #expect(Redactor.display("not a time 447700900123") == "not a time [masked]")
        #expect(Redactor.display("2026-11-16 09:10:10") == "2026-11-16 09:10:10")
        #expect(Redactor.display("call 07700 900123") == "call [phone]")
        #expect(Redactor.display("Billing") == "Billing")
    }

    @Test func jsonNumbersOfNineDigitsOrMoreAreMaskedInQuarantine() {
        #expect(QuarantineFile.maskingLongNumbers(#"{"a":447700900123,"b":"+44 20 7946 0958","c":1001,"d":"2026-11-17T10:05:50Z","e":[123456789]}"#)
            == #"{"a":"[masked]","b":"[masked]","c":1001,"d":"2026-11-17T10:05:50Z","e":["[masked]"]}"#)
    }
}

/// Every fixture with customer identifiers, loaded through the command: no phone number or e-mail
/// address of the fixture appears in the store file, its write-ahead log, the quarantine or the
/// command's output — in the fixture's spelling or as bare digits.
@Suite("No identifier of any fixture escapes")
struct FixtureIdentifierLeakTests {
    static let inputs: [(source: String, mapping: String?, files: [String])] = [
        ("canonical", nil, ["canonical/contacts_2026-W47.csv", "canonical/fcr_repeats.csv"]),
        ("csv", "cloud-callcenter/mapping.yaml", ["cloud-callcenter/call_log_2026-11-16.csv"]),
        ("csv", "eu-telephony/mapping.yaml", ["eu-telephony/appels_2026-W47.csv"]),
        ("csv", "asterisk/mapping.yaml", ["asterisk/Master.csv"]),
        ("csv", "cisco-cucm/mapping.yaml", ["cisco-cucm/cdr_2026-11-17.csv"]),
        ("amazon-connect-ctr", nil, ["amazon-connect/ctr-2026-11-17.jsonl", "amazon-connect/ctr-2026-11-18.json",
                                     "amazon-connect/dashboard/ctr-2026-11-19.jsonl"]),
        ("genesys-conversations", nil, ["genesys/conversations-2026-11-19.json", "genesys/outbound/conversations-2026-11-20.json"]),
        ("zendesk-tickets", nil, ["zendesk/tickets-2026-11-18.json", "zendesk/reassigned/tickets-2026-11-20.json",
                                  "zendesk/untouched/tickets-2026-11-21.json"]),
    ]

    /// Phone-like tokens (a + or 0 and at least nine digits in all) and e-mail addresses of a text.
    static func identifiers(in text: String) throws -> Set<String> {
        var found = Set<String>()
        for match in text.matches(of: try Regex(#"[+0][0-9][0-9 ()\-]{7,}[0-9]"#)) {
            // Not the tail of a longer number or of an id (1763370000.1, A-0001).
            if match.range.lowerBound > text.startIndex {
                let before = text[text.index(before: match.range.lowerBound)]
                if before.isNumber || before.isLetter || before == "." || before == "-" { continue }
            }
            let token = String(text[match.range])
            let digits = String(token.filter(\.isNumber))
            if digits.count >= 9 {
                found.insert(digits)
                found.insert(token)
            }
        }
        for match in text.matches(of: try Regex(#"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"#)) {
            found.insert(String(text[match.range]).lowercased())
        }
        return found
    }

    @Test func noFixtureIdentifierIsWrittenAnywhere() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        var wanted = Set<String>()
        var output = ""
        for (i, input) in FixtureIdentifierLeakTests.inputs.enumerated() {
            for file in input.files { wanted.formUnion(try FixtureIdentifierLeakTests.identifiers(in: String(contentsOfFile: fixture(file), encoding: .utf8))) }
            var arguments = ["ingest", "--store", store, "--source", input.source] + (i == 0 ? ["--timezone", "Europe/London"] : [])
            if let mapping = input.mapping { arguments += ["--mapping", fixture(mapping)] }
            let result = try contactqa(arguments + input.files.map(fixture), environment: ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")])
            #expect(result.status == 0 || result.status == 3, "\(input.files): \(result.stderr)")
            output += result.stdout + result.stderr
        }
        #expect(wanted.count >= 20, "\(wanted.count) identifiers found in the fixtures")
        var written: [(String, String)] = [("output", output)]
        for name in (try FileManager.default.subpathsOfDirectory(atPath: dir.path)) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: dir.path + "/" + name) else { continue }
            written.append((name, String(decoding: data, as: UTF8.self)))
        }
        #expect(written.contains { $0.0 == "s.sqlite" })
        for (name, text) in written {
            let lower = text.lowercased()
            for identifier in wanted {
                #expect(!(identifier.contains("@") ? lower.contains(identifier) : text.contains(identifier)), "\(identifier) appears in \(name)")
            }
        }
    }
}
