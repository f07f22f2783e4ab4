import Foundation

/// What an input file is: the `--source` of `contactqa ingest` and the `source:` of a pipeline input.
package enum SourceKind: String, CaseIterable, Sendable {
    case canonical
    case csv
    case surveys
    case amazonConnectCTR = "amazon-connect-ctr"
    case genesysConversations = "genesys-conversations"
    case zendeskTickets = "zendesk-tickets"
    case roster
    case scorecard
    case evaluations
    case acknowledgements
    case disputes
    /// Amazon Connect Contact Lens output files: conversation analytics of Connect legs.
    case contactLens = "amazon-connect-contact-lens"
    /// A site's own conversation-analytics CSV, through an analytics mapping.
    case conversationAnalytics = "conversation-analytics"

    /// Whether files of this kind are read through a mapping file (`--mapping`, `mapping:`).
    package var needsMapping: Bool { self == .csv || self == .surveys || self == .conversationAnalytics }

    /// Whether files of this kind carry contacts (loaded once by SHA-256, counted in week readiness).
    var carriesContacts: Bool { ![.roster, .scorecard, .evaluations, .acknowledgements, .disputes, .contactLens, .conversationAnalytics].contains(self) }

    /// The names this version reads, for messages.
    package static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// One file-at-a-time importer: each source kind that loads files into the store through the ingest
/// log conforms (CSV through a mapping, the JSON sources, evaluations). A conformance owns how a file's
/// records become rows; the transaction, the rejection threshold, the quarantine and the log entry
/// follow the store contract (docs/architecture.md).
protocol FileImporter {
    /// Imports one file.
    /// - Returns: the report; a file that fails as a whole is reported, not thrown, so the next file can go on.
    /// - Throws: only errors of the store itself and a missing pseudonymisation key.
    func importFile(_ path: String, into store: any SQLStore) throws -> FileImportReport
}

extension CSVImporter: FileImporter {
    package func importFile(_ path: String, into store: any SQLStore) throws -> FileImportReport {
        try importFile(path, into: store as any ContactStore)
    }
}

extension JSONImporter: FileImporter {
    package func importFile(_ path: String, into store: any SQLStore) throws -> FileImportReport {
        try importFile(path, into: store as any ContactStore)
    }
}

extension EvaluationImporter: FileImporter {}
