@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A CSV file is read and mapped on one thread and written on another, in batches through a bounded
/// pipe. Nothing of that may show: rows and rejections keep the file's order across batches, a file
/// that breaks after many batches loads nothing, and either side stopping stops the other.
@Suite("Reading and writing on two cores")
struct TwoCoreImportTests {
    static let header = "interaction_id,channel,direction,customer_id,arrived_at,abandoned"

    static func row(_ i: Int, channel: String = "voice") -> String {
        "T\(i),\(channel),inbound,+44 20 7946 \(String(format: "%04d", i % 5000)),2026-11-16T\(String(format: "%02d", 8 + i % 10)):00:00Z,false"
    }

    @Test func rowsAndRejectionsKeepTheFilesOrderAcrossBatches() throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: "UTC")
        // 2,000 rows (four batches); every 300th has a channel nobody knows.
        let lines = (0..<2_000).map { TwoCoreImportTests.row($0, channel: $0 % 300 == 299 ? "pigeon" : "voice") }
        let path = dir.path + "/many.csv"
        try ([TwoCoreImportTests.header] + lines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(path, into: store)
        #expect(report.log.rowsRead == 2_000 && report.log.rejected == 6 && report.log.inserted == 1_994)
        let quarantine = try String(contentsOfFile: try #require(report.quarantinePath), encoding: .utf8)
        // Line numbers count the header: row i is on line i + 2.
        let quarantined = quarantine.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
        #expect(quarantined == ["301", "601", "901", "1201", "1501", "1801"])
        #expect(!quarantine.contains("7946"))  // the customer column is masked
        #expect(try textRows(store, "SELECT COUNT(*) FROM contacts") == [["1994"]])
        #expect(try textRows(store, "SELECT MIN(interaction_id), MAX(interaction_id) FROM contacts WHERE interaction_id LIKE 'T19%'") == [["T19", "T1999"]])
    }

    @Test func aFileThatBreaksAfterManyBatchesLoadsNothing() throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: "UTC")
        let lines = (0..<3_000).map { TwoCoreImportTests.row($0) } + ["T-broken,\"voice,inbound,,2026-11-16T09:00:00Z,false"]
        let path = dir.path + "/broken.csv"
        try ([TwoCoreImportTests.header] + lines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(path, into: store)
        guard case .failed(let error) = report.outcome else { Issue.record("expected the file to fail, got \(report.outcome)"); return }
        #expect(error.position == 3_002 && error.reason.contains("unterminated quote"))
        #expect(try textRows(store, "SELECT COUNT(*) FROM contacts") == [["0"]])
        #expect(try textRows(store, "SELECT status FROM ingest_log") == [["failed"]])
    }

    /// Text that PostgreSQL's COPY format escapes (tab, line break, carriage return, backslash, the
    /// letters of its NULL marker) arrives as it was sent, on both backends; an empty field stays NULL.
    @Test(arguments: Backend.allCases) func textThatCopyEscapesArrivesIntact(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let reasons = ["tab\there", "two\nlines", "carriage\r\nreturn", "back\\slash", "\\N", "N", "plain, with comma", ""]
        var lines = [TwoCoreImportTests.header + ",contact_reason"]
        for (i, reason) in reasons.enumerated() {
            let quoted = "\"" + reason.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            lines.append(TwoCoreImportTests.row(i) + "," + (reason.isEmpty ? "" : quoted))
        }
        let path = dir.path + "/escapes.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(path, into: store)
        #expect(report.log.inserted == reasons.count && report.log.rejected == 0)
        let stored = try textRows(store, "SELECT interaction_id, contact_reason FROM contacts ORDER BY interaction_id")
        #expect(stored == reasons.enumerated().map { ["T\($0)", $1.isEmpty ? nil : $1] })
    }

    @Test func theConsumerGetsEveryBatchBeforeTheProducersError() throws {
        struct Broke: Error, Equatable {}
        let pipe = RowPipe<Int>(capacity: 1)
        let producer = Worker {
            for i in 0..<3 { _ = pipe.put([i, i]) }
            pipe.close(throwing: Broke())
        }
        var seen: [[Int]] = []
        #expect(throws: Broke()) { while let batch = try pipe.take() { seen.append(batch) } }
        producer.wait()
        #expect(seen == [[0, 0], [1, 1], [2, 2]])
    }

    @Test func cancellingReleasesAProducerThatWaits() {
        let pipe = RowPipe<Int>(capacity: 1)
        let accepted = Accepted()
        let producer = Worker {
            // The first batch fits; the second waits for room until the consumer gives up.
            for i in 0..<100 {
                guard pipe.put([i]) else { return }
                accepted.count += 1
            }
        }
        while accepted.count < 1 { usleep(1_000) }
        pipe.cancel()
        producer.wait()
        #expect(accepted.count < 100)
    }

    private final class Accepted: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        var count: Int {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }
}
