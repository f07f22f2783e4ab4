@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// Writers wait their turn on a busy store, readers never wait, and a wait that runs out is exit 4.
@Suite("A store that waits its turn", .tags(.slow))
struct StoreWaitTests {
    static let key = ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")]

    /// A store with the demo week loaded, and a connection holding its write lock (another process's long load).
    static func busyStore(_ dir: TemporaryDirectory) throws -> (path: String, holder: DatabaseQueue) {
        let path = dir.path + "/store.sqlite"
        #expect(try contactqa(["ingest", "--store", path, "--timezone", "Europe/London", "--source", "canonical", fixture("canonical/contacts_2026-W47.csv")],
                              environment: key).status == 0)
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // the lock outlives one access, as another process's would
        let holder = try DatabaseQueue(path: path, configuration: configuration)
        try holder.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('test-lock', 'held')") }
        return (path, holder)
    }

    @Test func aReaderDoesNotWaitAndAWriterWhoseWaitRunsOutExits4() throws {
        let dir = TemporaryDirectory()
        let (path, holder) = try StoreWaitTests.busyStore(dir)
        let kpis = try contactqa(["kpis", "--store", path, "--week", "2026-W47", "--format", "json"])
        #expect(kpis.status == 0, "\(kpis.stderr)")
        let started = Date()
        let writer = try contactqa(["ingest", "--store", path, "--source", "canonical", "--wait", "1", fixture("canonical/fcr_repeats.csv")], environment: StoreWaitTests.key)
        #expect(writer.status == 4, "\(writer.stderr)")
        #expect(writer.stderr.contains("the store is busy"), "\(writer.stderr)")
        #expect(!writer.stderr.contains("database is locked"))
        #expect(Date().timeIntervalSince(started) >= 1)
        try holder.inDatabase { try $0.execute(sql: "ROLLBACK") }
        // The file refused is recorded as not loaded, with the reason, by the next command that writes.
        #expect(FileManager.default.fileExists(atPath: path + ".not-loaded.jsonl"))
        let next = try contactqa(["ingest", "--store", path, "--source", "roster", fixture("roster/agents.csv")])
        #expect(next.status == 0, "\(next.stderr)")
        let logged = try SQLiteStore(path: path).query("SELECT status, source, sha256, message FROM ingest_log WHERE file = 'fcr_repeats.csv'")
        #expect(logged.count == 1)
        #expect(logged.first?[0].string == "failed" && logged.first?[1].string == "canonical")
        #expect(logged.first?[2].string == IngestService.sha256(of: fixture("canonical/fcr_repeats.csv")))
        #expect(logged.first?[3].string?.hasPrefix("not loaded: another process kept the store busy") == true)
        #expect(!FileManager.default.fileExists(atPath: path + ".not-loaded.jsonl"))
        // Not a rejection: the nightly job loads the same bytes the next night.
        #expect(try SQLiteStore(path: path).rejectedBefore(sha256: IngestService.sha256(of: fixture("canonical/fcr_repeats.csv"))!) == nil)
    }

    @Test func aWriterStartedDuringAnotherWriteLoadsWhenItEnds() throws {
        let dir = TemporaryDirectory()
        let (path, holder) = try StoreWaitTests.busyStore(dir)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try contactqaBinary())
        process.arguments = ["ingest", "--store", path, "--source", "canonical", "--wait", "60", fixture("canonical/fcr_repeats.csv")]
        process.environment = ProcessInfo.processInfo.environment.merging(StoreWaitTests.key) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 1.5)
        #expect(process.isRunning)  // still waiting for the lock
        try holder.inDatabase { try $0.execute(sql: "ROLLBACK") }
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let loaded = try SQLiteStore(path: path).query("SELECT count(*) FROM ingest_log WHERE file = 'fcr_repeats.csv' AND status = 'loaded'")
        #expect(loaded[0][0].int == 1)
    }

    @Test func twoWritersStartedTogetherBothLoad() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/store.sqlite"
        _ = try SQLiteStore(path: path, createWithTimeZone: "Europe/London")
        let binary = try contactqaBinary()
        let processes = [fixture("canonical/contacts_2026-W47.csv"), fixture("canonical/fcr_repeats.csv")].map { file in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["ingest", "--store", path, "--source", "canonical", "--quiet", file]
            process.environment = ProcessInfo.processInfo.environment.merging(StoreWaitTests.key) { $1 }
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == [0, 0])
        #expect(try SQLiteStore(path: path).query("SELECT count(DISTINCT file) FROM ingest_log WHERE status = 'loaded'")[0][0].int == 2)
    }
}
