import Crypto
import Foundation
import Logging

/// What became of one input file.
public struct FileImportReport: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Valid rows loaded; rejected ones (if any) quarantined.
        case loaded
        /// More rows were rejected than the threshold allows: nothing loaded.
        case rejectedOverThreshold
        /// The file could not be read as a whole: nothing loaded.
        case failed(InputError)
    }

    public var outcome: Outcome
    public var log: IngestLogEntry
    /// The quarantine CSV, when rows were rejected.
    public var quarantinePath: String?
    /// The first rejections, for the console.
    public var sampleRejections: [InputError]
    /// Warnings that did not stop the load (a header-only file).
    public var warnings: [String]
}

/// Imports CSV exports through a mapping: decode → parse → map → validate → pseudonymise → load,
/// one transaction per file (DESIGN.md §2).
public struct CSVImporter {
    public var mapping: Mapping
    public var pseudonymiser: Pseudonymiser?
    /// Where quarantine files go; beside the store by default.
    public var quarantineDirectory: String
    public var bounds = PlausibilityBounds.today()
    public var logger: Logger
    /// Told the bytes read so far and the file's size as an import proceeds (for a progress display).
    public var progress: (@Sendable (_ file: String, _ done: Int, _ total: Int) -> Void)?

    public init(mapping: Mapping, pseudonymiser: Pseudonymiser?, quarantineDirectory: String,
                logger: Logger = Logger(label: "contactqa.ingest")) {
        self.mapping = mapping
        self.pseudonymiser = pseudonymiser
        self.quarantineDirectory = quarantineDirectory
        self.logger = logger
    }

    /// Imports one file into the store.
    ///
    /// - Returns: the report; a file that fails as a whole is reported, not thrown, so the next file can go on.
    /// - Throws: only errors of the store itself (disk full, corruption) and a missing pseudonymisation key.
    public func importFile(_ path: String, into store: any ContactStore) throws -> FileImportReport {
        let name = (path as NSString).lastPathComponent
        let clock = ZoneClock(identifier: store.siteTimeZone) ?? .utc
        let started = Date()
        var hasher = SHA256()
        let reader = CSVReader(path: path, options: .init(delimiter: mapping.delimiter, strictQuotes: mapping.strictQuotes, encoding: mapping.encoding))
        let total = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var done = 0
        let progress = self.progress
        reader.chunkObserver = { chunk in
            hasher.update(bufferPointer: chunk)
            done += chunk.count
            progress?(name, done, total)
        }
        let startedAt = ISO8601DateFormatter().string(from: started)
        var entry = IngestLogEntry(file: name, sha256: "", source: mapping.source, startedAt: startedAt)
        var quarantine: QuarantineFile?
        var samples: [InputError] = []
        var warnings: [String] = []
        var outcome = FileImportReport.Outcome.loaded
        let mapping = self.mapping
        let pseudonymiser = self.pseudonymiser
        let quarantineDirectory = self.quarantineDirectory
        let bounds = self.bounds

        do {
            entry = try store.load(entry) { writer in
                var log = entry
                var mapper: RowMapper?
                try reader.forEachRecord { record in
                    if mapper == nil {
                        mapper = try RowMapper(mapping: mapping, header: record, file: name, delimiter: reader.delimiter ?? 0x2C,
                                               siteClock: clock, pseudonymiser: pseudonymiser)
                        if mapping.hasHeader { return }  // without a header the first line is a row like the others
                    }
                    guard let mapper else { return }
                    log.rowsRead += 1
                    do {
                        let row = try mapper.map(record)
                        if let (field, reason) = bounds.violation(in: row, layout: mapper.layout(of: row)) {
                            throw InputError(file: name, position: record.line, field: field, reason: reason)
                        }
                        if let (rowOutcome, duplicate) = try writer.enqueue(row, layout: mapper.layout(of: row)) { log.count(rowOutcome, duplicate: duplicate) }
                    } catch let error as InputError {
                        log.rejected += 1
                        if samples.count < 5 { samples.append(error) }
                        if quarantine == nil {
                            quarantine = QuarantineFile(directory: quarantineDirectory, name: "\(writer.ingestID)-\(name)")
                        }
                        try quarantine?.append(error, record: record, delimiter: reader.delimiter ?? 0x2C, maskedColumn: mapper.customerColumn,
                                                    columnCount: mapper.columnCount)
                    }
                }
                for (rowOutcome, duplicate) in try writer.finish() { log.count(rowOutcome, duplicate: duplicate) }
                if mapper == nil { throw InputError(file: name, reason: "the file holds no header") }
                if log.rowsRead == 0 { warnings.append("\(name): the file has a header but no data rows; nothing to load") }
                log.sha256 = hasher.finalize().map { pad16($0) }.joined()
                log.durationMilliseconds = Int(Date().timeIntervalSince(started) * 1000)
                if log.exceedsRejectionThreshold(mapping.rejectionThreshold, unit: "rows") {
                    outcome = .rejectedOverThreshold
                    return (.rollback, log)
                }
                if log.rejected > 0 { log.message = "\(log.rejected) rows quarantined" }
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

extension CSVImporter {
    /// Decodes, parses, maps, validates and pseudonymises a file without loading it: the import's
    /// cost without the store, for the benchmark.
    /// - Returns: rows mapped and rows rejected.
    public func parseOnly(_ path: String, siteTimeZone: String) throws -> (rows: Int, rejected: Int) {
        let name = (path as NSString).lastPathComponent
        let reader = CSVReader(path: path, options: .init(delimiter: mapping.delimiter, strictQuotes: mapping.strictQuotes, encoding: mapping.encoding))
        let clock = ZoneClock(identifier: siteTimeZone) ?? .utc
        var mapper: RowMapper?
        var rows = 0
        var rejected = 0
        try reader.forEachRecord { record in
            guard let mapper else {
                mapper = try RowMapper(mapping: mapping, header: record, file: name, delimiter: reader.delimiter ?? 0x2C,
                                       siteClock: clock, pseudonymiser: pseudonymiser)
                return
            }
            do {
                _ = try mapper.map(record)
                rows += 1
            } catch {
                rejected += 1
            }
        }
        return (rows, rejected)
    }
}

extension FileImportReport {
    /// One line for the log: the counts and where the rejected rows are.
    public var summary: String {
        let l = log
        switch outcome {
        case .failed(let error): return "\(l.file): failed, nothing loaded: \(error)"
        case .rejectedOverThreshold:
            return "\(l.file): rejected, nothing loaded: \(l.message ?? ""); reasons in \(quarantinePath ?? "-")"
        case .loaded:
            var text = "\(l.file): \(l.rowsRead) rows read, \(l.inserted) inserted, \(l.updated) updated, \(l.unchanged) unchanged"
            if l.stale > 0 { text += ", \(l.stale) older versions ignored" }
            if l.pending > 0 { text += ", \(l.pending) waiting for their contact" }
            if l.duplicates > 0 { text += ", \(l.duplicates) repeated ids (latest kept)" }
            if l.rejected > 0 { text += ", \(l.rejected) rejected → \(quarantinePath ?? "-")" }
            if let message = l.message, message.contains("skipped") { text += "; " + message.components(separatedBy: "; ").filter { $0.contains("skipped") }.joined() }
            return text + " (\(l.durationMilliseconds) ms)"
        }
    }
}

func percent(_ share: Double) -> String {
    let value = share * 100
    return (value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)) + "%"
}
