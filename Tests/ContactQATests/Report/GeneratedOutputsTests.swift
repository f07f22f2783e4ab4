@testable import ContactQA
import ContactQATesting
import Crypto
import Foundation
import Logging
import Testing

/// Work on speed must not change a single byte of what users receive. A generated site of 100,000
/// contacts (four weeks, 200 agents, a roster acknowledging them all) runs its nightly pipeline for
/// 2026-W46 as of 25 November; the SHA-256 of every file written — KPI files, quality, the weekly report
/// in every format, the sample and its manifest — must equal the recorded ones. (No evaluations exist
/// yet, so no feedback packs: the demo's snapshots hold a pack byte for byte.)
/// A second night with nothing new (the kept aggregates read back) must write the same bytes.
/// Re-record after an intended change with `CONTACTQA_RECORD_SNAPSHOTS=1 swift test --filter GeneratedOutputsTests`.
@Suite("Outputs of a generated 100k site, byte for byte")
struct GeneratedOutputsTests {
    /// Each file's SHA-256 and path; the test's temporary folder (the manifest names the store file)
    /// reads as `<dir>`.
    static func digests(of folder: String, dir: String) throws -> String {
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder)
            .filter { path in
                var directory: ObjCBool = false
                return FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &directory) && !directory.boolValue
            }
            .sorted()
        return try files.map { path in
            var data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + path))
            if let text = String(data: data, encoding: .utf8), text.contains(dir) { data = Data(text.replacingOccurrences(of: dir, with: "<dir>").utf8) }
            return hexString(SHA256.hash(data: data)) + "  " + path
        }.joined(separator: "\n") + "\n"
    }

    @Test func everyFileOfTheNightIsTheRecordedBytes() throws {
        let dir = TemporaryDirectory()
        try SyntheticExport(rows: 100_000, seed: 25).write(to: dir.path + "/contacts.csv")
        let roster = (0..<200).map { "A\($0),,,2026-01-05,2026-01-05" }.joined(separator: "\n")
        try "agent_id,display_name,team,start_date,monitoring_acknowledged_on\n\(roster)\n"
            .write(toFile: dir.path + "/roster.csv", atomically: true, encoding: .utf8)
        try """
            name: generated
            timezone: Europe/London
            store: store.sqlite
            inputs:
              - {source: canonical, path: contacts.csv}
              - {source: roster, path: roster.csv}
            privacy: {key_file: \(fixture("keys/demo.key")), agent_names: true}
            sampling: {plan: \(repositoryRoot)/pipelines/plans/weekly-routine.yaml}
            report: {out: "reports/{week}", formats: [html, md, csv, json], feedback_packs: true}
            """.write(toFile: dir.path + "/pipeline.yaml", atomically: true, encoding: .utf8)
        let pipeline = try Pipeline.load(file: dir.path + "/pipeline.yaml")
        var run = PipelineRun(pipeline: pipeline, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        run.week = ISOWeek("2026-W46")
        run.asOf = LocalDate(iso: "2026-11-25")
        _ = try run.execute()
        let folder = dir.path + "/reports/2026-W46"
        let first = try GeneratedOutputsTests.digests(of: folder, dir: dir.path)
        #expect(first.contains("sample/manifest.json") && first.contains("report.html"), "the night wrote its report and sample")
        try expectSnapshot(first, named: "generated-100k-2026-W46.sha256")

        // The next night, nothing new: the same bytes, from the kept aggregates.
        try FileManager.default.moveItem(atPath: folder, toPath: dir.path + "/first-night")
        _ = try run.execute()
        #expect(try GeneratedOutputsTests.digests(of: folder, dir: dir.path) == first)
    }
}
