@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// gzip content is read as it is, whatever the file is called; other compressions are named.
@Suite("Compressed input")
struct CompressedInputTests {
    static let plain = fixture("amazon-connect/ctr-2026-11-17.jsonl")
    static let gzipped = fixture("amazon-connect/firehose/contact-trace-records-2026-11-17-09-00")

    static func load(_ file: String, _ dir: TemporaryDirectory) throws -> (FileImportReport, SQLiteStore) {
        let store = try makeStore(dir)
        var importer = JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        importer.rejectionThreshold = 1
        return (try importer.importFile(file, into: store), store)
    }

    @Test func aGzippedFirehoseDeliveryLoadsLikeTheRecordsItHolds() throws {
        let (plain, plainStore) = try CompressedInputTests.load(CompressedInputTests.plain, TemporaryDirectory())
        let (gzipped, gzStore) = try CompressedInputTests.load(CompressedInputTests.gzipped, TemporaryDirectory())
        #expect(gzipped.outcome == .loaded)
        #expect(gzipped.log.rowsRead == plain.log.rowsRead && gzipped.log.inserted == plain.log.inserted && gzipped.log.rejected == plain.log.rejected)
        let query = "SELECT interaction_id, arrived_at, wait_s, abandoned, customer_key FROM contacts ORDER BY 1"
        #expect(try gzStore.query(query) == plainStore.query(query))
        #expect(try gzStore.query("SELECT count(*) FROM legs")[0][0].int == plainStore.query("SELECT count(*) FROM legs")[0][0].int)
    }

    @Test func aGzippedCSVReadsRecordForRecord() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/contacts.csv.gz"
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-c", fixture("canonical/contacts_2026-W47.csv")]
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        gzip.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try gzip.run()
        gzip.waitUntilExit()
        var plain: [[String]] = [], compressed: [[String]] = []
        try CSVReader(path: fixture("canonical/contacts_2026-W47.csv")).forEachRecord { r in plain.append((0..<r.count).map { r.string($0) ?? "" }) }
        try CSVReader(path: path).forEachRecord { r in compressed.append((0..<r.count).map { r.string($0) ?? "" }) }
        #expect(compressed == plain)
        #expect(plain.count > 10)
    }

    @Test func cutOffGzipAndOtherCompressionsSayWhatTheyAre() throws {
        let dir = TemporaryDirectory()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: CompressedInputTests.gzipped))
        let cut = dir.path + "/cut.gz"
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: cut))
        let (report, _) = try CompressedInputTests.load(cut, dir)
        guard case .failed(let error) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(error.reason.contains("the gzip data ends early"), "\(error)")
        let zip = dir.path + "/ctr.zip"
        try Data([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00]).write(to: URL(fileURLWithPath: zip))
        let (zipped, _) = try CompressedInputTests.load(zip, TemporaryDirectory())
        guard case .failed(let zipError) = zipped.outcome else { Issue.record("\(zipped.outcome)"); return }
        #expect(zipError.reason == "the file is a zip archive; ContactQA reads gzip-compressed files as they are, but not this: unzip it first")
    }
}
