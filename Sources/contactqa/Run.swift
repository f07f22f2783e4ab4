import ArgumentParser
import ContactQA
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline: ingest its new input files, then compute the week's KPIs.",
        discussion: """
            Files already loaded (same SHA-256) are skipped, so a nightly run is idempotent. The week is --week, \
            else the ISO week of the latest contact in the store. Writes kpis*.json and kpis*.csv, the week's \
            sample (drawn once, then reused), quality.json and feedback packs into the pipeline's report folder.
            """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(name: .customLong("as-of"), help: "The date the run stands on (YYYY-MM-DD); default today.")
    var asOf: String?

    @Option(help: "The ISO week to report, e.g. 2026-W47.")
    var week: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let week, ISOWeek(week) == nil { throw ValidationError("--week \(week) is not an ISO week such as 2026-W47") }
        if let asOf, LocalDate(iso: asOf) == nil { throw ValidationError("--as-of \(asOf) is not a date YYYY-MM-DD") }
    }

    func run() throws {
        let logger = logging.bootstrap()
        let config = try Pipeline.load(file: pipeline)
        let store = try SQLiteStore(path: config.store, createWithTimeZone: config.timezone)
        let service = IngestService(store: store, logger: logger)
        let pseudonymiser = try IngestService.pseudonymiser(keyFile: config.keyFile)
        var reports: [FileImportReport] = []
        for input in config.inputs {
            let files = Pipeline.expand(input.path)
            if files.isEmpty { logger.warning("input \(input.path) matches no file") }
            reports += try service.ingest(source: input.source, mappingFile: input.mapping, files: files,
                                          pseudonymiser: pseudonymiser, skipLoaded: true)
        }
        let clock = ZoneClock(identifier: store.siteTimeZone)!
        let today = asOf.flatMap { LocalDate(iso: $0) } ?? clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
        let latest = try store.latestArrivalDate()
        guard let isoWeek = week.flatMap(ISOWeek.init) ?? latest?.isoWeek else {
            logger.warning("the store holds no contacts yet; nothing to report")
            try finish(reports)
            return
        }
        let engine = KPIEngine(store: store)
        let period = Period(week: isoWeek, clock: clock)
        let folder = config.reportOut.replacingOccurrences(of: "{week}", with: isoWeek.description)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for groupBy in [[], [GroupDimension.channel], [.team], [.agent]] {
            let report = try engine.report(period: period, groupBy: groupBy, parameters: config.parameters, asOf: today)
            print("\nKPIs \(groupBy.isEmpty ? "in total" : "by " + groupBy[0].rawValue), \(isoWeek)")
            print(report.table, terminator: "")
            let suffix = groupBy.isEmpty ? "" : "-by-\(groupBy[0].rawValue)"
            try report.json.rendered().appending("\n").write(toFile: "\(folder)/kpis\(suffix).json", atomically: true, encoding: .utf8)
            try report.csv.write(toFile: "\(folder)/kpis\(suffix).csv", atomically: true, encoding: .utf8)
        }
        if let planFile = config.samplingPlan {
            let plan = try SamplingPlan.load(file: planFile)
            do {
                let (manifest, outcome) = try SamplingService(store: store).sample(plan: plan, period: period, out: "\(folder)/sample")
                let how = if case .reused = outcome { "reused" } else { "drew" }
                logger.info("\(how) the week's sample: \(manifest.sample.selected.count) of \(manifest.sample.units.count) handled legs")
            } catch let error as SamplingError {
                logger.warning("no sample for \(isoWeek): \(error)")
            }
        }
        let quality = try QualityEngine(store: store).report(period: period, groupBy: .agent)
        try (quality.json.rendered() + "\n").write(toFile: "\(folder)/quality.json", atomically: true, encoding: .utf8)
        let packs = try FeedbackPack.build(store: store, period: period)
        _ = try FeedbackPack.write(packs, to: "\(folder)/feedback")
        logger.info("KPI, sample and quality files for \(isoWeek) written to \(folder)")
        try finish(reports)
    }
}
