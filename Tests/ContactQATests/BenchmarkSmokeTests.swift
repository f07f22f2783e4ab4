import ContactQATesting
import Foundation
import Testing

/// The benchmark harness itself (Benchmarks/run.py) on 2,000 generated contacts, without peers, with the
/// debug binary: it must run every stage to the end and write its table. Never timed.
@Suite("Benchmark harness smoke run", .tags(.slow))
struct BenchmarkSmokeTests {
    @Test func harnessRunsEveryStage() throws {
        let dir = TemporaryDirectory()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("contactqa").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot + "/Benchmarks/run.py", "--smoke", "--no-peers",
                             "--binary", FileManager.default.isExecutableFile(atPath: binary) ? binary : repositoryRoot + "/.build/debug/contactqa",
                             "--work", dir.path + "/work", "--out", dir.path + "/smoke.md"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let table = try String(contentsOfFile: dir.path + "/smoke.md", encoding: .utf8)
        for stage in ["read the file (cat)", "parse + map", "ingest into the store", "week's KPIs by agent", "stratified sample", "full `run`", "nightly"] {
            #expect(table.contains(stage), "\(stage)")
        }
    }
}
