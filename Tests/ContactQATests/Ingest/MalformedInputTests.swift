@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Malformed input handled as a data tool's user expects: one bad line is one rejected record, a BOM
/// is read past, an ambiguous header is an error naming both columns, quarantine files keep their names.
@Suite("Malformed input")
struct MalformedInputTests {
    static let lines = try! String(contentsOfFile: fixture("amazon-connect/ctr-2026-11-17.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)

    static func importCTR(_ text: String, _ dir: TemporaryDirectory, threshold: Double = 1) throws -> FileImportReport {
        let store = try makeStore(dir)
        let file = dir.write("ctr.jsonl", text)
        var importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = threshold
        return try importer.importFile(file, into: store)
    }

    @Test func aBrokenLineOfJSONLinesIsOneRejectedRecord() throws {
        let dir = TemporaryDirectory()
        var lines = MalformedInputTests.lines
        lines.insert(String(lines[1].prefix(80)), at: 2)  // a line cut off mid-record
        lines.insert("not json at all", at: 4)
        lines.append(String(lines[3].prefix(50)))  // and the file's last line cut off too
        let report = try MalformedInputTests.importCTR(lines.joined(separator: "\n"), dir)
        guard case .loaded = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(report.log.rejected == 3, "\(report.sampleRejections)")
        #expect(report.log.rowsRead == MalformedInputTests.lines.count + 3)
        let reasons = report.sampleRejections.map(\.description)
        #expect(reasons.contains { $0.contains("record 3") && $0.contains("starting at line 3 is not valid JSON") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("starting at line 5 is not valid JSON") }, "\(reasons)")
        #expect(report.log.inserted > 0)
    }

    /// A file rolled back over its threshold logs what was read and rejected, and nothing as written.
    @Test func aRolledBackFileLogsNoWrites() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        var lines = MalformedInputTests.lines
        lines.insert("not json", at: 2)
        let file = dir.write("ctr.jsonl", lines.joined(separator: "\n"))
        let report = try JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.outcome == .rejectedOverThreshold)
        let logged = try store.query("SELECT rows_read, inserted, updated, unchanged, rejected FROM ingest_log WHERE file = 'ctr.jsonl'")
        #expect(logged.map { $0.map(\.int) } == [[lines.count, 0, 0, 0, 1]])
        #expect(report.log.inserted == 0)
        #expect(try store.query("SELECT count(*) FROM contacts")[0][0].int == 0)
    }

    /// A field of the wrong type is a rejected record naming its path and the type, never a value
    /// quietly dropped (the queue, the wrap-up, the tags lost).
    @Test func wrongJSONTypesAreRejectedWithTheirPath() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let genesys = try String(contentsOfFile: fixture("genesys/conversations-2026-11-19.json"), encoding: .utf8)
        let lookups = fixture("genesys")
        let file = dir.write("conversations.json", genesys.replacingOccurrences(of: "\"queueId\": \"q1\"", with: "\"queueId\": 17"))
        var importer = JSONImporter(mapper: try GenesysConversationMapper(lookupsIn: lookups), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        let report = try importer.importFile(file, into: store)
        #expect(report.log.rejected >= 1)
        #expect(report.sampleRejections.first?.description.contains(".segments[") == true
            && report.sampleRejections.first?.description.contains("queueId\": expected text, found a number") == true, "\(report.sampleRejections)")
        let tickets = try String(contentsOfFile: fixture("zendesk/tickets-2026-11-18.json"), encoding: .utf8)
        let zendesk = dir.write("tickets.json", tickets.replacingOccurrences(of: "\"tags\": []", with: "\"tags\": \"escalated\"", options: [], range: nil))
        var zi = JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        zi.rejectionThreshold = 1
        let z = try zi.importFile(zendesk, into: store)
        #expect(z.sampleRejections.contains { $0.description.contains("field \"tags\": expected a list of text") }, "\(z.sampleRejections)")
    }

    @Test func jsonWithAByteOrderMarkReads() throws {
        let dir = TemporaryDirectory()
        let report = try MalformedInputTests.importCTR("\u{FEFF}" + MalformedInputTests.lines.joined(separator: "\n") + "\n", dir)
        guard case .loaded = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(report.log.rejected == 0)
        #expect(report.log.rowsRead == MalformedInputTests.lines.count)
    }

    @Test func aMappedColumnNamedTwiceIsAnErrorNamingBoth() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let file = dir.write("dup.csv", "interaction_id,channel,arrived_at,abandoned,channel\nX1,voice,2026-11-17T09:00:00Z,false,email\n")
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        guard case .failed(let error) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(error.description.contains("the header names \"channel\" 2 times (columns 2 and 5)"), "\(error)")
    }

    @Test func quarantineFilesAreNamedOnceAndNeverOverwritten() throws {
        let dir = TemporaryDirectory()
        let a = QuarantineFile(directory: dir.path, name: "2-calls.csv")
        try a.append(InputError(file: "calls.csv", position: 2, reason: "x"), rawText: "")
        try a.close()
        #expect(a.path.hasSuffix("/2-calls.csv"))
        let b = QuarantineFile(directory: dir.path, name: "2-calls.csv")  // another store in the same folder, its ingest 2
        try b.append(InputError(file: "calls.csv", position: 3, reason: "y"), rawText: "")
        try b.close()
        #expect(b.path.hasSuffix("/2-calls-2.csv"))
        #expect(QuarantineFile(directory: dir.path, name: "3-ctr.jsonl").path.hasSuffix("/3-ctr.jsonl.csv"))
        #expect(try String(contentsOfFile: a.path, encoding: .utf8).contains(",x,"))
    }
}
