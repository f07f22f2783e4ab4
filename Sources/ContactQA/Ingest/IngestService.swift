import Crypto
import Foundation
import Logging

/// Ingests files of one source kind into a store: chooses the mapping, loads the key, and imports
/// each file in its own transaction. Shared by `contactqa ingest` and `contactqa run`.
package struct IngestService {
    /// Source kinds this version reads.
    static var supportedSources: [String] { SourceKind.allCases.map(\.rawValue) }

    package var store: any SQLStore
    package var logger: Logger
    /// Progress of each CSV file's import, for a display on a terminal.
    package var progress: (@Sendable (_ file: String, _ done: Int, _ total: Int) -> Void)?
    /// Values outside these are quarantined; by default timestamps up to tomorrow.
    var bounds = PlausibilityBounds.today()

    package init(store: any SQLStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The key from `--key-file`, else `CONTACTQA_KEY_FILE`; nil when neither is set.
    package static func pseudonymiser(keyFile: String?) throws -> Pseudonymiser? {
        let path = keyFile ?? ProcessInfo.processInfo.environment["CONTACTQA_KEY_FILE"]
        return try path.map(Pseudonymiser.load(keyFile:))
    }

    /// - Parameter skipLoaded: leave out files whose exact bytes were loaded before (the nightly job).
    package func ingest(source: String, mappingFile: String?, files: [String], pseudonymiser: Pseudonymiser?,
                       skipLoaded: Bool = false) throws -> [FileImportReport] {
        guard let kind = SourceKind(rawValue: source) else {
            throw ConfigError(file: "command line", line: nil, path: "--source",
                              reason: "source \"\(source)\" is not supported yet; this version reads \(SourceKind.names)")
        }
        return try ingest(kind, mappingFile: mappingFile, files: files, pseudonymiser: pseudonymiser, skipLoaded: skipLoaded)
    }

    package func ingest(_ kind: SourceKind, mappingFile: String?, files: [String], pseudonymiser: Pseudonymiser?,
                       skipLoaded: Bool = false) throws -> [FileImportReport] {
        (store as? SQLiteStore)?.absorbDeferredLog()
        switch kind {
        case .roster:
            for file in files {
                let count = try store.upsertRoster(try RosterEntry.read(file))
                logger.info("\((file as NSString).lastPathComponent): \(count) agents in the roster")
            }
            return []
        case .acknowledgements:
            for file in files {
                let count = try store.upsertAcknowledgements(try Acknowledgement.read(file))
                logger.info("\((file as NSString).lastPathComponent): \(count) acknowledgements")
            }
            return []
        case .disputes:
            for file in files {
                let count = try store.upsertDisputes(try Dispute.read(file, store: store))
                logger.info("\((file as NSString).lastPathComponent): \(count) disputes")
            }
            return []
        case .contactLens:
            // All of a night's files in one transaction; an analysis that did not complete is counted, not loaded.
            var entries: [(ConversationAnalytics, file: String)] = []
            var incomplete = 0
            for file in files {
                if let analytics = try ConversationAnalytics.read(file) { entries.append((analytics, (file as NSString).lastPathComponent)) } else { incomplete += 1 }
            }
            let count = try store.upsertConversationAnalytics(entries, source: AmazonConnectMapper.defaultSource)
            logger.info("Contact Lens: \(count) analysed contacts loaded\(incomplete > 0 ? ", \(incomplete) analyses not completed (skipped)" : "")")
            return []
        case .conversationAnalytics:
            guard let mappingFile else { throw ConfigError(file: "command line", line: nil, path: "--mapping", reason: "conversation-analytics files are read through an analytics mapping") }
            let mapping = try AnalyticsMapping.load(file: mappingFile)
            for file in files {
                let name = (file as NSString).lastPathComponent
                let count = try store.upsertConversationAnalytics(try mapping.read(file).map { ($0, name) }, source: mapping.source)
                logger.info("\(name): \(count) contacts' conversation analytics loaded")
            }
            return []
        case .scorecard:
            for file in files {
                let card = try Scorecard.load(file: file)
                let added = try store.register(card, definition: try String(contentsOfFile: file, encoding: .utf8))
                logger.info("\((file as NSString).lastPathComponent): scorecard \(card.id) version \(card.version) \(added ? "registered" : "already registered")")
            }
            return []
        default:
            break
        }
        var reports: [FileImportReport] = []
        for file in files {
            if skipLoaded, let digest = IngestService.sha256(of: file), try store.hasLoaded(sha256: digest) {
                logger.info("\((file as NSString).lastPathComponent): already loaded (same SHA-256), skipped")
                continue
            }
            let (importer, logSource) = try importer(for: kind, file: file, mappingFile: mappingFile, pseudonymiser: pseudonymiser)
            let report = try recordingBusy(file, source: logSource) { try importer.importFile(file, into: store) }
            if kind == .evaluations {
                logger.info("\(report.log.file): \(report.log.rowsRead) evaluations, \(report.log.inserted) new, \(report.log.unchanged) unchanged, \(report.log.rejected) rejected")
            }
            reports.append(report)
        }
        return reports
    }

    /// The importer of one file of `kind` (the JSON sources read lookup files beside it), and the source
    /// name its log entries carry.
    func importer(for kind: SourceKind, file: String, mappingFile: String?, pseudonymiser: Pseudonymiser?) throws -> (any FileImporter, String) {
        let quarantine = store.quarantineDirectory
        let folder = (file as NSString).deletingLastPathComponent
        func json(_ mapper: any JSONRecordMapper) -> JSONImporter {
            var importer = JSONImporter(mapper: mapper, pseudonymiser: pseudonymiser, quarantineDirectory: quarantine, logger: logger)
            importer.bounds = bounds
            return importer
        }
        // A JSON source's options (attribute names, team level, country code) from its `mapping:` file.
        func options() throws -> JSONMapperOptions? { try mappingFile.map { try JSONMapperOptions.load(file: $0, kind: kind) } }
        switch kind {
        case .evaluations: return (EvaluationImporter(quarantineDirectory: quarantine), "evaluations")
        case .amazonConnectCTR:
            var mapper = AmazonConnectMapper()
            try options()?.apply(to: &mapper)
            return (json(mapper), kind.rawValue)
        case .zendeskTickets:
            return (json(try ZendeskTicketMapper(lookupsIn: folder)), kind.rawValue)
        case .genesysConversations:
            var mapper = try GenesysConversationMapper(lookupsIn: folder)
            if let code = try options()?.phoneCountryCode { mapper.phoneCountryCode = code }
            return (json(mapper), kind.rawValue)
        case .canonical, .csv, .surveys:
            let mapping: Mapping
            if kind == .canonical {
                mapping = .canonical
            } else {
                guard let mappingFile else {
                    throw ConfigError(file: "command line", line: nil, path: "--mapping", reason: "--source \(kind.rawValue) needs --mapping FILE")
                }
                mapping = try Mapping.load(file: mappingFile, purpose: kind == .surveys ? .surveys : .contacts)
            }
            var importer = CSVImporter(mapping: mapping, pseudonymiser: pseudonymiser, quarantineDirectory: quarantine, logger: logger)
            importer.progress = progress
            importer.bounds = bounds
            return (importer, mapping.source)
        case .roster, .scorecard, .acknowledgements, .disputes, .contactLens, .conversationAnalytics:
            preconditionFailure("\(kind) files are registered, not imported")
        }
    }

    /// Loads one file; when another process kept the store busy past the wait, the file is recorded as
    /// not loaded, with the reason, before the error goes on (exit 4). The store cannot be written then,
    /// so the record waits beside it (``SQLiteStore/deferLog(_:)``) and enters the ingest log with the
    /// next command that writes to the store.
    func recordingBusy<T>(_ file: String, source: String, _ load: () throws -> T) throws -> T {
        do {
            return try load()
        } catch where SQLiteStore.isBusy(error) {
            guard let sqlite = store as? SQLiteStore else { throw error }
            var entry = IngestLogEntry(file: (file as NSString).lastPathComponent, sha256: IngestService.sha256(of: file) ?? "", source: source,
                                       status: .failed, startedAt: ISO8601DateFormatter().string(from: Date()))
            entry.message = IngestLogEntry.busyMessage
            sqlite.deferLog(entry)
            throw error
        }
    }

    /// SHA-256 of a file as hex, or nil when it cannot be read. A run asks for a file's digest
    /// several times before it loads it (rejected before? loaded before? a complete source?); the
    /// digest is remembered while the file's inode, size and modification time stay the same.
    static func sha256(of path: String) -> String? {
        let stamp = FileStamp(path)
        if let stamp, let known = fileDigests.value(path, stamp) { return known }
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try? handle.read(upToCount: 1 << 16), !data.isEmpty { hasher.update(data: data) }
        let digest = hasher.finalize().map { pad16($0) }.joined()
        if let stamp, FileStamp(path) == stamp { fileDigests.keep(path, stamp, digest) }
        return digest
    }

    private static let fileDigests = FileDigests()

    private struct FileStamp: Equatable {
        let inode: UInt64, size: UInt64, modified: Date

        init?(_ path: String) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value,
                  let size = (attributes[.size] as? NSNumber)?.uint64Value,
                  let modified = attributes[.modificationDate] as? Date else { return nil }
            (self.inode, self.size, self.modified) = (inode, size, modified)
        }
    }

    private final class FileDigests: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [String: (stamp: FileStamp, digest: String)] = [:]

        func value(_ path: String, _ stamp: FileStamp) -> String? {
            lock.withLock { known[path].flatMap { $0.stamp == stamp ? $0.digest : nil } }
        }

        func keep(_ path: String, _ stamp: FileStamp, _ digest: String) {
            lock.withLock {
                if known.count >= 10_000 { known.removeAll() }
                known[path] = (stamp, digest)
            }
        }
    }
}
