import Foundation
import Logging

/// What became of one input file.
package struct FileImportReport: Sendable {
    package enum Outcome: Sendable, Equatable {
        /// Valid rows loaded; rejected ones (if any) quarantined.
        case loaded
        /// More rows were rejected than the threshold allows: nothing loaded.
        case rejectedOverThreshold
        /// The file could not be read as a whole: nothing loaded.
        case failed(InputError)
    }

    package var outcome: Outcome
    package var log: IngestLogEntry
    /// The quarantine CSV, when rows were rejected.
    var quarantinePath: String?
    /// The first rejections, for the console.
    package var sampleRejections: [InputError]
    /// Warnings that did not stop the load (a header-only file).
    package var warnings: [String]
}

/// The load of one file of contacts, whatever its format: one transaction, rejected records counted,
/// sampled for the console and quarantined, the rejection threshold, the ingest-log line and the
/// report. A format's importer reads and maps its records inside ``run(_:into:threshold:unit:logger:_:)``
/// and hands each rejection to ``reject(_:log:ingestID:write:)``.
final class FileLoad {
    let name: String
    let started = Date()
    var warnings: [String] = []
    private var samples: [InputError] = []
    private var quarantine: QuarantineFile?
    private let quarantineDirectory: String

    init(file name: String, quarantineDirectory: String) {
        self.name = name
        self.quarantineDirectory = quarantineDirectory
    }

    /// Counts a rejected record, keeps the first five for the console and writes it to the file's
    /// quarantine (created at the first rejection) in the form `write` gives it.
    func reject(_ error: InputError, log: inout IngestLogEntry, ingestID: Int64, write: (QuarantineFile) throws -> Void) throws {
        log.rejected += 1
        if samples.count < 5 { samples.append(error) }
        if quarantine == nil { quarantine = QuarantineFile(directory: quarantineDirectory, name: "\(ingestID)-\(name)") }
        if let quarantine { try write(quarantine) }
    }

    /// Loads the file in one transaction of `store`. `body` reads it, enqueues its rows and returns
    /// the note for the ingest log; over the rejection threshold nothing is committed, and an
    /// `InputError` thrown for the whole file is logged as a failed file.
    func run(_ entry: IngestLogEntry, into store: any ContactStore, threshold: Double, unit: String, logger: Logger,
             _ body: (inout any StoreWriter, inout IngestLogEntry) throws -> String?) throws -> FileImportReport {
        var entry = entry
        var outcome = FileImportReport.Outcome.loaded
        do {
            entry = try store.load(entry) { writer in
                var log = entry
                let note = try body(&writer, &log)
                for (rowOutcome, duplicate) in try writer.finish() { log.count(rowOutcome, duplicate: duplicate) }
                log.durationMilliseconds = Int(Date().timeIntervalSince(started) * 1000)
                if log.exceedsRejectionThreshold(threshold, unit: unit) {
                    outcome = .rejectedOverThreshold
                    return (.rollback, log)
                }
                log.message = note
                return (.commit, log)
            }
        } catch let error as InputError {
            entry.fail(error, since: started)
            try store.logFailure(entry)
            outcome = .failed(error)
        }
        try quarantine?.close()
        let report = FileImportReport(outcome: outcome, log: entry, quarantinePath: quarantine?.path, sampleRejections: samples, warnings: warnings)
        logger.info("\(report.summary)")
        return report
    }
}

@available(*, unavailable)
extension FileLoad: Sendable {}
