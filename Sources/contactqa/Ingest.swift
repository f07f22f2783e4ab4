import ArgumentParser
import ContactQA
import Foundation

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load export files into the store (one transaction per file); make a pseudonymisation key.",
        discussion: "contactqa ingest --store S --source K FILE… loads (see contactqa ingest load --help for every option).",
        subcommands: [Load.self, GenerateKey.self],
        defaultSubcommand: Load.self
    )
}

extension Ingest {
    struct GenerateKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-key",
            abstract: "Write a new pseudonymisation key (mode 0600): once per site, kept secret and kept for ever."
        )

        @Argument(help: "The key file to write; an existing file is never overwritten.")
        var file: String

        func run() throws { try Self.write(key: file) }

        static func write(key file: String) throws {
            try Pseudonymiser.generateKey(at: file)
            print("wrote a new key to \(file) (mode 0600); keep it secret and keep it: without it, new data will not link to old")
        }
    }
}

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load export files into the store (one transaction per file); the default of ingest.",
        discussion: """
            Rejected rows go to quarantine/ beside the store with file, line, field and reason. A file whose \
            rejected rows exceed its mapping's threshold (default 1%) loads nothing, and the command exits 3.
            """
    )

    @Option(help: "The store: a SQLite file, created on first use, or a postgres://user@host:port/db URL (password from PGPASSWORD or ~/.pgpass).")
    var store: String?

    @Option(help: "What the files are: canonical, csv or surveys (with --mapping), amazon-connect-ctr, genesys-conversations, zendesk-tickets, roster, scorecard, evaluations, acknowledgements or disputes.")
    var source: SourceKind?

    @Option(help: "The mapping file (YAML): required for csv and surveys; for amazon-connect-ctr and genesys-conversations an optional options file (attribute names, team level, country code).")
    var mapping: String?

    @Option(help: "The site timezone, when creating the store (e.g. Europe/London).")
    var timezone: String?

    @Option(help: "The pseudonymisation key file (default: $CONTACTQA_KEY_FILE).")
    var keyFile: String?

    /// The spelling before `ingest generate-key`, kept for scripts that use it.
    @Option(help: .hidden)
    var generateKey: String?

    @Option(parsing: .unconditional, help: "Seconds to wait while another process writes to the store, 0–86400 (then exit 4).")
    var wait: Double = SQLiteStore.defaultWait

    @OptionGroup var logging: LoggingOptions

    @Argument(help: "The files to load.")
    var files: [String] = []

    func validate() throws {
        if generateKey != nil { return }
        guard wait >= 0, wait <= 86_400 else { throw ValidationError("--wait lies in 0–86400 seconds") }
        guard store != nil else { throw ValidationError("--store is required") }
        guard let source else { throw ValidationError("--source is required: one of \(SourceKind.names)") }
        guard !files.isEmpty else { throw ValidationError("name at least one file to load") }
        if source.needsMapping, mapping == nil { throw ValidationError("--source \(source.rawValue) needs --mapping FILE") }
    }

    func run() throws {
        if let generateKey {
            return try Ingest.GenerateKey.write(key: generateKey)
        }
        let logger = logging.bootstrap()
        var service = IngestService(store: try openStore(store!, createWithTimeZone: timezone, wait: wait), logger: logger)
        if !logging.quiet { service.progress = ProgressDisplay.bar() }
        let reports = try service.ingest(source!, mappingFile: mapping, files: files,
                                         pseudonymiser: try IngestService.pseudonymiser(keyFile: keyFile))
        try finish(reports)
    }
}

/// Prints what went wrong with the files and exits 3 when any was rejected or failed.
func finish(_ reports: [FileImportReport]) throws {
    var rejected = false
    for report in reports {
        for warning in report.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        switch report.outcome {
        case .loaded:
            for error in report.sampleRejections { FileHandle.standardError.write(Data("  rejected: \(error)\n".utf8)) }
        case .rejectedOverThreshold:
            rejected = true
            for error in report.sampleRejections { FileHandle.standardError.write(Data("  rejected: \(error)\n".utf8)) }
            FileHandle.standardError.write(Data("error: \(report.summary)\n".utf8))
        case .failed:
            rejected = true
            FileHandle.standardError.write(Data("error: \(report.summary)\n".utf8))
        }
    }
    if rejected { throw ExitCode(3) }
}

extension SourceKind: ExpressibleByArgument {}
