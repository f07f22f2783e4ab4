import ArgumentParser
import ContactQA
import Foundation
import Logging

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline: ingest its new input files, then write the report of every week that is due.",
        discussion: """
            Files already loaded (same SHA-256) are skipped, so a nightly run is idempotent; a file rejected on an \
            earlier night is skipped with a warning. Without --week, the run writes the current week as a draft and \
            every earlier week of the look-back (schedule.look_back_weeks, default 4) that is not final yet; a week \
            becomes final once every source's data covers its end plus the FCR window. The week's sample is drawn \
            once, when its data is complete. --check validates the whole pipeline and lists every problem, touching nothing.
            """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(name: .customLong("as-of"), help: ArgumentHelp("The date the run stands on (YYYY-MM-DD); default today in the site's time zone.", valueName: "yyyy-mm-dd"))
    var asOf: LocalDate?

    @Option(help: ArgumentHelp("One ISO week to report, e.g. 2026-W47, instead of every week due.", valueName: "yyyy-Www"))
    var week: ISOWeek?

    @Flag(help: "Check the pipeline, its mappings, scorecards and plan; report every problem; change nothing.")
    var check = false

    /// Stops the process (SIGSTOP) with a week's folders staged: lets a test kill a run at that moment.
    @Flag(name: .customLong("stop-before-commit"), help: .hidden)
    var stopBeforeCommit = false

    @Option(parsing: .unconditional, help: "Seconds to wait while another process writes to the store, 0–86400 (then exit 4).")
    var wait: Double = SQLiteStore.defaultWait

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard wait >= 0, wait <= 86_400 else { throw ValidationError("--wait lies in 0–86400 seconds") }
    }

    func run() throws {
        if check {
            try Pipeline.check(file: pipeline)
            print("\(pipeline): no problem found")
            return
        }
        let config = try Pipeline.load(file: pipeline)
        let logger = logging.bootstrap(logFile: config.logPath)
        var job = PipelineRun(pipeline: config, logger: logger)
        job.asOf = asOf
        job.week = week
        if !logging.quiet {
            job.progress = ProgressDisplay.bar()
            job.table = { title, text in print("\n\(title)\n\(text)", terminator: "") }
        }
        if stopBeforeCommit { job.beforeCommit = { _ in raise(SIGSTOP) } }
        job.wait = wait
        let outcome: PipelineRun.Outcome
        do { outcome = try job.execute() } catch let held as RunLock.Held {
            FileHandle.standardError.write(Data("contactqa: error: \(held)\n".utf8))
            throw ExitCode(4)
        }
        try finish(outcome.files)
        if !outcome.mailFailures.isEmpty { throw ExitCode(1) }
    }
}
