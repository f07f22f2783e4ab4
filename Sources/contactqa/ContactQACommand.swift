import ArgumentParser
import ContactQA
import Foundation
import Logging

@main
struct ContactQACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contactqa",
        abstract: "Monitor the quality of customer service from contact-centre exports.",
        discussion: "Exit codes: 0 done, 1 failed, 2 usage or configuration error, 3 input rejected, 4 store locked.",
        version: contactQAVersion,
        subcommands: [StoreCommand.self, Ingest.self, KPIs.self, Sample.self, Quality.self, AutoChecks.self, Coaching.self, Records.self, Trends.self, Run.self, Generate.self, Parse.self]
    )

    /// Runs the command, mapping errors to DESIGN.md §6's exit codes.
    static func main() {
        // Stores, quarantines, reports and packs hold personal data: readable by their owner only.
        umask(0o077)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let argumentCode = exitCode(for: error)
            if argumentCode == .success || error is CleanExit {
                exit(withError: error)
            }
            let code: Int32
            if SQLiteStore.isBusy(error) {
                FileHandle.standardError.write(Data("contactqa: error: the store is busy: another process kept writing to it for longer than the wait (--wait); nothing of this command's file in progress was loaded. Run it again when the other process has finished\n".utf8))
                Foundation.exit(4)
            }
            switch error {
            case is InputError: code = 3
            case let error as PostgresError: code = error.isConfiguration ? 2 : 1
            case is ConfigError, is ConfigProblems, is SQLiteStore.OpenError, is Pseudonymiser.KeyError, is ValidationError, is ParameterError, is SamplingError: code = 2
            default: code = argumentCode == .validationFailure ? 2 : 1
            }
            var message = code == 2 && argumentCode == .validationFailure && !(error is ConfigError) ? fullMessage(for: error)
                : error is CocoaError || (error as NSError).domain == NSPOSIXErrorDomain ? describeFileError(error)
                : SQLiteStore.oneLine(error) ?? "\(error)"
            // The argument parser's own "Error: " would read "error: Error: …".
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            FileHandle.standardError.write(Data("contactqa: error: \(message)\n".utf8))
            Foundation.exit(code)
        }
    }
}

let contactQAVersion = "0.1.0"

/// Options every subcommand that logs shares.
struct LoggingOptions: ParsableArguments {
    @Flag(name: .long, help: "Log warnings and errors only (for cron).")
    var quiet = false

    /// - Parameter logFile: a file that also receives every line at info level and above (appended).
    func bootstrap(logFile: String? = nil) -> Logger {
        let level: Logger.Level = quiet ? .warning : .info
        let file = logFile.flatMap(LogFile.init(path:))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            guard let file else { return handler }
            return MultiplexLogHandler([handler, LogFileHandler(file: file, label: label)])
        }
        let logger = Logger(label: "contactqa")
        if let logFile, file == nil { logger.warning("cannot open the log file \(logFile); logging to standard error only") }
        return logger
    }
}
