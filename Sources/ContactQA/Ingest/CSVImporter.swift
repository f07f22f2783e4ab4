import Crypto
import Foundation
import Logging

/// Imports CSV exports through a mapping: decode → parse → map → validate → pseudonymise → load,
/// one transaction per file (DESIGN.md §2).
package struct CSVImporter {
    package var mapping: Mapping
    package var pseudonymiser: Pseudonymiser?
    /// Where quarantine files go; beside the store by default.
    package var quarantineDirectory: String
    var bounds = PlausibilityBounds.today()
    package var logger: Logger
    /// Told the bytes read so far and the file's size as an import proceeds (for a progress display).
    package var progress: (@Sendable (_ file: String, _ done: Int, _ total: Int) -> Void)?

    package init(mapping: Mapping, pseudonymiser: Pseudonymiser?, quarantineDirectory: String,
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
    package func importFile(_ path: String, into store: any ContactStore) throws -> FileImportReport {
        let name = (path as NSString).lastPathComponent
        let clock = ZoneClock(identifier: store.siteTimeZone) ?? .utc
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
        let load = FileLoad(file: name, quarantineDirectory: quarantineDirectory)
        let entry = IngestLogEntry(file: name, sha256: "", source: mapping.source, startedAt: ISO8601DateFormatter().string(from: load.started))
        let mapping = self.mapping
        let pseudonymiser = self.pseudonymiser
        let bounds = self.bounds
        return try load.run(entry, into: store, threshold: mapping.rejectionThreshold, unit: "rows", logger: logger) { writer, log in
            // Reading, mapping and pseudonymising on a thread of their own, writing here: both cores.
            let pipe = RowPipe<PipedRecord>()
            let digest = Digest()
            let reading = Worker {
                var batch: [PipedRecord] = []
                batch.reserveCapacity(PipedRecord.batch)
                do {
                    try CSVImporter.mapRecords(reader, file: name, mapping: mapping, clock: clock, pseudonymiser: pseudonymiser, bounds: bounds) { item in
                        batch.append(item)
                        if batch.count == PipedRecord.batch {
                            guard pipe.put(batch) else { throw PipedRecord.Stopped() }
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    if !batch.isEmpty { _ = pipe.put(batch) }
                    digest.sha256 = hasher.finalize().map { pad16($0) }.joined()
                    pipe.close()
                } catch {
                    pipe.close(throwing: error)
                }
            }
            defer {
                pipe.cancel()
                reading.wait()
            }
            while let batch = try pipe.take() {
                for item in batch {
                    log.rowsRead += 1
                    switch item {
                    case .row(let row, let layout):
                        if let (rowOutcome, duplicate) = try writer.enqueue(row, layout: layout) { log.count(rowOutcome, duplicate: duplicate) }
                    case .rejected(let error, let record):
                        try load.reject(error, log: &log, ingestID: writer.ingestID) { quarantine in
                            try quarantine.append(error, record: nil, delimiter: 0x2C, maskedColumn: nil, raw: record)
                        }
                    }
                }
            }
            if log.rowsRead == 0 { load.warnings.append("\(name): the file has a header but no data rows; nothing to load") }
            log.sha256 = digest.sha256
            return log.rejected > 0 ? "\(log.rejected) rows quarantined" : nil
        }
    }
}

/// A record of a CSV file on its way from the reading thread to the store: its row, or why it was
/// rejected with the record as the quarantine shows it.
enum PipedRecord: Sendable {
    case row(MappedRow, RowLayout)
    case rejected(InputError, record: String)

    /// Records per hand-over.
    static let batch = 512

    /// The store side stopped (its own error): the reading side stops too.
    struct Stopped: Error {}
}

/// The file's SHA-256, set by the reading thread before it closes the pipe.
private final class Digest: @unchecked Sendable {
    var sha256 = ""
}

extension CSVImporter {
    /// The reading side of an import: each record of the file parsed, mapped, validated and
    /// pseudonymised, passed to `emit` as a row or a rejection (with the record as the quarantine shows it).
    ///
    /// - Throws: `InputError` for a file that cannot be read as CSV or has no header; whatever `emit` throws.
    static func mapRecords(_ reader: CSVReader, file name: String, mapping: Mapping, clock: ZoneClock, pseudonymiser: Pseudonymiser?,
                           bounds: PlausibilityBounds, _ emit: (PipedRecord) throws -> Void) throws {
        var mapper: RowMapper?
        try reader.forEachRecord { record in
            if mapper == nil {
                mapper = try RowMapper(mapping: mapping, header: record, file: name, delimiter: reader.delimiter ?? 0x2C,
                                       siteClock: clock, pseudonymiser: pseudonymiser)
                if mapping.hasHeader { return }  // without a header the first line is a row like the others
            }
            guard let mapper else { return }
            do {
                let row = try mapper.map(record)
                let layout = mapper.layout(of: row)
                if let (field, reason) = bounds.violation(in: row, layout: layout) {
                    throw InputError(file: name, position: record.line, field: field, reason: reason)
                }
                try emit(.row(row, layout))
            } catch let error as InputError {
                try emit(.rejected(error, record: QuarantineFile.raw(record, delimiter: reader.delimiter ?? 0x2C, maskedColumn: mapper.customerColumn,
                                                                    columnCount: mapper.columnCount)))
            }
        }
        if mapper == nil { throw InputError(file: name, reason: "the file holds no header") }
    }

    /// Decodes, parses, maps, validates and pseudonymises a file without loading it: the reading side
    /// of an import alone, for the benchmark.
    /// - Returns: rows mapped and rows rejected.
    package func parseOnly(_ path: String, siteTimeZone: String) throws -> (rows: Int, rejected: Int) {
        let reader = CSVReader(path: path, options: .init(delimiter: mapping.delimiter, strictQuotes: mapping.strictQuotes, encoding: mapping.encoding))
        var rows = 0
        var rejected = 0
        try CSVImporter.mapRecords(reader, file: (path as NSString).lastPathComponent, mapping: mapping, clock: ZoneClock(identifier: siteTimeZone) ?? .utc,
                                   pseudonymiser: pseudonymiser, bounds: bounds) { item in
            if case .row = item { rows += 1 } else { rejected += 1 }
        }
        return (rows, rejected)
    }
}

extension FileImportReport {
    /// One line for the log: the counts and where the rejected rows are.
    package var summary: String {
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
