import ArgumentParser
import ContactQA
import Foundation
import Logging

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
        try config.preflight()  // before the store is touched: inputs that match nothing, an unwritable report folder
        // One run per store: a flock beside a SQLite file, a session advisory lock on PostgreSQL.
        // Both end with the process, so a killed run leaves no stale lock.
        let store: any SQLStore
        var lock: RunLock?
        if PostgresStore.isURL(config.store) {
            let postgres = try PostgresStore(url: config.store, createWithTimeZone: config.timezone)
            guard try postgres.tryLockRun() else {
                FileHandle.standardError.write(Data("contactqa: error: another run holds the store's lock (advisory lock on \(postgres.url)); try again when it has finished\n".utf8))
                throw ExitCode(4)
            }
            store = postgres
        } else {
            do { lock = try RunLock(store: config.store) } catch let held as RunLock.Held {
                FileHandle.standardError.write(Data("contactqa: error: \(held)\n".utf8))
                throw ExitCode(4)
            }
            store = try SQLiteStore(path: config.store, createWithTimeZone: config.timezone)
        }
        defer { withExtendedLifetime(lock) {} }
        var service = IngestService(store: store, logger: logger)
        if !logging.quiet { service.progress = ProgressDisplay.bar() }
        let pseudonymiser = try IngestService.pseudonymiser(keyFile: config.keyFile)
        var reports: [FileImportReport] = []
        let started = Date()
        func stage(_ name: String, since: Date, _ detail: String) {
            logger.notice("stage \(name): \(detail) (\(Int(Date().timeIntervalSince(since) * 1000)) ms)")
        }
        for input in config.inputs {
            var files = Pipeline.expand(input.path)
            if files.isEmpty { logger.info("optional input \(input.path) matches no file tonight") }
            // Files still being written are left for the next run.
            files = files.filter { file in
                let modified = (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date) ?? .distantPast
                let settling = started.timeIntervalSince(modified) < config.settleSeconds
                if settling { logger.info("\((file as NSString).lastPathComponent): modified less than \(Int(config.settleSeconds)) s ago, left for the next run") }
                return !settling
            }
            reports += try service.ingest(source: input.source, mappingFile: input.mapping, files: files,
                                          pseudonymiser: pseudonymiser, skipLoaded: true)
        }
        stage("ingest", since: started, "\(reports.count) files, \(reports.reduce(0) { $0 + $1.log.rowsRead }) records, \(reports.reduce(0) { $0 + $1.log.inserted }) inserted, \(reports.reduce(0) { $0 + $1.log.rejected }) rejected")
        let clock = ZoneClock(identifier: store.siteTimeZone)!
        let today = asOf.flatMap { LocalDate(iso: $0) } ?? clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
        if let days = config.retentionDays {
            let retentionStarted = Date()
            let deleted = try store.applyRetention(before: clock.startOfDay(today.adding(days: -days)) * 1000)
            stage("retention", since: retentionStarted, "\(deleted) contacts older than \(days) days deleted")
        }
        let latest = try store.latestArrivalDate()
        guard let isoWeek = week.flatMap(ISOWeek.init) ?? latest?.isoWeek else {
            logger.warning("the store holds no contacts yet; nothing to report")
            try finish(reports)
            return
        }
        let period = Period(week: isoWeek, clock: clock)
        let folder = config.reportOut.replacingOccurrences(of: "{week}", with: isoWeek.description)
        if Run.isFinal(folder) {
            logger.info("the final report of \(isoWeek) exists; left as it is")
            try finish(reports)
            return
        }
        let reportStarted = Date()
        let staging = try AtomicFolder(destination: folder)
        // With agent names hidden, the QA working files get their own folder, also swapped in whole.
        let qaStaging = try config.qaOut.map { try AtomicFolder(destination: $0.replacingOccurrences(of: "{week}", with: isoWeek.description)) }
        do {
            try writeOutputs(store: store, config: config, week: isoWeek, period: period, today: today, into: staging.staging,
                             qaFolder: qaStaging?.staging ?? staging.staging, labels: config.agentNames ? nil : AgentLabels(pseudonymiser!), logger: logger)
            // For the kill test (RunnerTests): stop with everything staged, so the test can kill the run there.
            if ProcessInfo.processInfo.environment["CONTACTQA_TEST_STOP_BEFORE_COMMIT"] == "1" { raise(SIGSTOP) }
            try qaStaging?.commit()
            try staging.commit()
        } catch {
            qaStaging?.abandon()
            staging.abandon()
            throw error
        }
        stage("report", since: reportStarted, "\(isoWeek) written to \(folder)")
        try finish(reports)
    }

    /// Everything a run writes for the week, into one folder that is then renamed into place.
    /// Whether the week's folder holds a final report: its `.status`, or for folders written before
    /// `.status` existed, the status in report.json.
    static func isFinal(_ folder: String) -> Bool {
        if let status = try? String(contentsOfFile: folder + "/.status", encoding: .utf8) { return status.hasPrefix("final") }
        guard let existing = try? Data(contentsOf: URL(fileURLWithPath: folder + "/report.json")),
              let object = try? JSONSerialization.jsonObject(with: existing) as? [String: Any] else { return false }
        return object["status"] as? String == "final"
    }

    /// - Parameters:
    ///   - qaFolder: where the sample and the feedback packs go (the report folder unless names are hidden).
    ///   - labels: pseudonymous agent labels for the management files, when the pipeline hides names.
    func writeOutputs(store: any SQLStore, config: Pipeline, week isoWeek: ISOWeek, period: Period, today: LocalDate, into folder: String,
                      qaFolder: String, labels: AgentLabels?, logger: Logger) throws {
        let engine = KPIEngine(store: store)
        for groupBy in [[], [GroupDimension.channel], [.team], [.agent]] {
            let computed = try engine.report(period: period, groupBy: groupBy, parameters: config.parameters, asOf: today)
            let report = labels.map { computed.labellingAgents($0) } ?? computed
            if !logging.quiet {
                print("\nKPIs \(groupBy.isEmpty ? "in total" : "by " + groupBy[0].rawValue), \(isoWeek)")
                print(report.table, terminator: "")
            }
            let suffix = groupBy.isEmpty ? "" : "-by-\(groupBy[0].rawValue)"
            if config.formats.contains("json") {
                try report.json.rendered().appending("\n").write(toFile: "\(folder)/kpis\(suffix).json", atomically: true, encoding: .utf8)
            }
            if config.formats.contains("csv") { try report.csv.write(toFile: "\(folder)/kpis\(suffix).csv", atomically: true, encoding: .utf8) }
        }
        if let planFile = config.samplingPlan {
            let plan = try SamplingPlan.load(file: planFile)
            do {
                let (manifest, outcome) = try SamplingService(store: store).sample(plan: plan, period: period, out: "\(qaFolder)/sample")
                let how = if case .reused = outcome { "reused" } else { "drew" }
                logger.info("\(how) the week's sample: \(manifest.sample.selected.count) of \(manifest.sample.units.count) handled legs")
            } catch let error as SamplingError {
                logger.warning("no sample for \(isoWeek): \(error)")
            }
        }
        let computedQuality = try QualityEngine(store: store).report(period: period, groupBy: .agent)
        let quality = labels.map { computedQuality.labellingAgents($0) } ?? computedQuality
        if config.formats.contains("json") {
            try (quality.json.rendered() + "\n").write(toFile: "\(folder)/quality.json", atomically: true, encoding: .utf8)
        }
        if config.feedbackPacks { _ = try FeedbackPack.write(try FeedbackPack.build(store: store, period: period), to: "\(qaFolder)/feedback") }
        let computedWeekly = try WeeklyReport.build(store: store, week: isoWeek, asOf: today, parameters: config.parameters, targets: config.targets,
                                                    sample: (try? Data(contentsOf: URL(fileURLWithPath: qaFolder + "/sample/manifest.json")))
                                                        .flatMap(WeeklyReport.SampleCoverage.init(manifest:)))
        let weekly = labels.map { computedWeekly.labellingAgents($0) } ?? computedWeekly
        try weekly.write(to: folder, formats: config.formats)
        logger.info("report of \(isoWeek): \(weekly.final ? "final" : "draft"), \(weekly.kpis.total.offered) contacts, \(quality.evaluations.count) evaluations")
    }
}
