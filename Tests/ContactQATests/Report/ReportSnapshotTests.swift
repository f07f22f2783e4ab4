@testable import ContactQA
import ContactQATesting
import Foundation
import Logging
import Testing

/// The demo week's report in every format and one feedback pack, rendered in-process from the demo
/// pipeline's store (fixtures loaded and evaluated, as of 1 December: the final report).
/// Re-record after an intended change with `CONTACTQA_RECORD_SNAPSHOTS=1 swift test --filter ReportSnapshotTests`.
@Suite("Report snapshots")
struct ReportSnapshotTests {
    static func demoStore(_ dir: TemporaryDirectory) throws -> (store: any SQLStore, pipeline: Pipeline) {
        var pipeline = try Pipeline.load(file: try RunnerTests.pipeline(dir))
        pipeline.formats = ["csv"]
        pipeline.feedbackPacks = false
        var run = PipelineRun(pipeline: pipeline, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        run.week = ISOWeek("2026-W47")
        run.asOf = LocalDate(iso: "2026-11-23")
        _ = try run.execute()
        let inbox = dir.path + "/inbox/qa"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/fixtures/qa-inbox") where file.hasSuffix(".csv") {
            try FileManager.default.copyItem(atPath: repositoryRoot + "/fixtures/qa-inbox/" + file, toPath: inbox + "/" + file)
        }
        run.asOf = LocalDate(iso: "2026-12-01")
        _ = try run.execute()
        return (try PipelineRun.openStore(pipeline).store, pipeline)
    }

    @Test func demoWeekInEveryFormatAndOnePack() throws {
        let dir = TemporaryDirectory()
        let (store, pipeline) = try ReportSnapshotTests.demoStore(dir)
        let week = try #require(ISOWeek("2026-W47"))
        let asOf = try #require(LocalDate(iso: "2026-12-01"))
        var report = try WeeklyReport.build(store: store, week: week, asOf: asOf, parameters: pipeline.parameters, targets: pipeline.targets,
                                            sample: WeeklyReport.SampleCoverage(folder: dir.path + "/reports/2026-W47/sample"))
        report.monitoringNotice = "Monitoring is announced to every caller: contacts without a notice flag count as notified."
        try expectSnapshot(try report.markdown(), named: "report-2026-W47.md")
        try expectSnapshot(try report.html(), named: "report-2026-W47.html")
        try expectSnapshot(report.json.rendered() + "\n", named: "report-2026-W47.json")
        let packs = try FeedbackPack.build(store: store, period: Period(week: week, clock: ZoneClock(identifier: store.siteTimeZone) ?? .utc))
        let pack = try #require(packs.first { $0.agent == "A1" })
        try expectSnapshot(try pack.markdown(), named: "pack-2026-W47-A1.md")
        try expectSnapshot(try pack.html(), named: "pack-2026-W47-A1.html")
    }

    /// The report on disk is what the in-process rendering gives: the command adds nothing of its own.
    @Test func theCommandWritesTheSameReport() throws {
        let dir = TemporaryDirectory()
        let pipeline = try RunnerTests.pipeline(dir)
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-11-23", "--quiet"]).status == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/fixtures/qa-inbox") where file.hasSuffix(".csv") {
            try FileManager.default.createDirectory(atPath: dir.path + "/inbox/qa", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: repositoryRoot + "/fixtures/qa-inbox/" + file, toPath: dir.path + "/inbox/qa/" + file)
        }
        #expect(try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"]).status == 0)
        let written = try String(contentsOfFile: dir.path + "/reports/2026-W47/report.md", encoding: .utf8)
        let recorded = try String(contentsOfFile: repositoryRoot + "/Tests/ContactQATests/Snapshots/report-2026-W47.md", encoding: .utf8)
        #expect(written == recorded)
    }
}

@Suite("Targeted samples in the report")
struct TargetedReportTests {
    /// With a pps sample, the report shows the reviewed legs' own mean beside the centre's estimate.
    @Test func theReviewedMeanIsShownBesideTheCentresEstimate() throws {
        let dir = TemporaryDirectory()
        let (store, pipeline) = try ReportSnapshotTests.demoStore(dir)
        let week = try #require(ISOWeek("2026-W47"))
        var report = try WeeklyReport.build(store: store, week: week, asOf: try #require(LocalDate(iso: "2026-12-01")), parameters: pipeline.parameters,
                                            targets: pipeline.targets, sample: WeeklyReport.SampleCoverage(folder: dir.path + "/reports/2026-W47/sample"))
        #expect(!(try report.markdown()).contains("Targeted sample"))
        report.sample?.design = "pps"
        let scores = report.quality.evaluations.filter { $0.inSample && !$0.calibration }.compactMap(\.score)
        let expected = String(format: "Targeted sample: the %d reviewed legs were chosen for their risk; their own mean score is %.1f", scores.count,
                              scores.reduce(0, +) / Double(scores.count))
        #expect(scores.count == 10)
        let markdown = try report.markdown()
        #expect(markdown.contains(expected), "\(markdown)")
        #expect(markdown.contains("The QA score of 70.3 weights each by the inverse of its chance"))
        #expect(try report.html().contains(expected))
    }
}
