@testable import ContactQA
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
        ]
        let inputs = TemporaryDirectory()  // outside the folder searched
        let file = inputs.write("shifted.csv", ([String(header)] + rows).joined(separator: "\n") + "\n")
        let result = try IdentifierLeakTests.ingest(dir, "canonical", file)
        #expect(result.status == 3, "\(result.stderr)")
        let all = IdentifierLeakTests.everything(dir, result)
        #expect(all.contains("ragged row") && all.contains("arrived_at"))
        for raw in ["7946 0990", "79460990", "447946099100", "7946099100", "7946 0992", "07700900992", "7700900992"] {
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

    @Test func jsonNumbersOfNineDigitsOrMoreAreMaskedInQuarantine() {
        #expect(QuarantineFile.maskingLongNumbers(#"{"a":447700900123,"b":"+44 20 7946 0958","c":1001,"d":"2026-11-17T10:05:50Z","e":[123456789]}"#)
            == #"{"a":"[masked]","b":"[masked]","c":1001,"d":"2026-11-17T10:05:50Z","e":["[masked]"]}"#)
    }
}
