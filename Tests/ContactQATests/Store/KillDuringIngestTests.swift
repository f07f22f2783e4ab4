@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// `kill -9` at 24 seeded moments of an ingest: each time the store holds all of the file or none of
/// it, and the next ingest of the same file loads it whole.
@Suite("Kill -9 during ingest", .tags(.slow))
struct KillDuringIngestTests {
    @Test func everyKillLeavesAllOrNothing() throws {
        let dir = TemporaryDirectory()
        let file = dir.path + "/big.csv"
        #expect(try contactqa(["generate", "--rows", "6000", "--seed", "3", "--start", "2026-11-02", "--weeks", "2", "--out", file]).status == 0)
        let binary = try contactqaBinary()
        let key = ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")]
        // How long a whole load takes here, to spread the kills over it.
        let timing = Date()
        #expect(try contactqa(["ingest", "--store", dir.path + "/timing.sqlite", "--timezone", "UTC", "--source", "canonical", "--quiet", file],
                              environment: key).status == 0)
        // The time is measured while other suites run alongside: when a kill comes after the load has
        // finished, later kills come sooner, until 24 have landed during a load.
        var full = Date().timeIntervalSince(timing)
        let expected = try SQLiteStore(path: dir.path + "/timing.sqlite").query("SELECT count(*) FROM contacts")[0][0].int ?? 0
        #expect(expected > 5_000)
        var rng = SplitMix64(seed: 18)
        var killedMidway = 0
        for attempt in 0..<60 where killedMidway < 24 {
            let store = dir.path + "/s\(attempt).sqlite"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["ingest", "--store", store, "--timezone", "UTC", "--source", "canonical", "--quiet", file]
            process.environment = ProcessInfo.processInfo.environment.merging(key) { $1 }
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: (0.05 + 0.85 * rng.unit()) * full)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedMidway += 1
            } else {
                full *= 0.8
            }
            process.waitUntilExit()
            guard FileManager.default.fileExists(atPath: store) else { continue }  // killed before the store existed: nothing to check
            let opened = try SQLiteStore(path: store)
            let contacts = try opened.query("SELECT count(*) FROM contacts")[0][0].int ?? -1
            let logged = try opened.query("SELECT count(*) FROM ingest_log WHERE status = 'loaded'")[0][0].int ?? -1
            #expect((contacts == 0 && logged == 0) || (contacts == expected && logged == 1), "attempt \(attempt): \(contacts) contacts, \(logged) loads")
            // The next night loads the same file whole (checked on every fourth store: each load takes a while).
            guard attempt % 4 == 0 else { continue }
            #expect(try contactqa(["ingest", "--store", store, "--source", "canonical", "--quiet", file], environment: key).status == 0)
            #expect(try SQLiteStore(path: store).query("SELECT count(*) FROM contacts")[0][0].int == expected)
        }
        #expect(killedMidway >= 24, "only \(killedMidway) kills landed during the load")
    }
}
