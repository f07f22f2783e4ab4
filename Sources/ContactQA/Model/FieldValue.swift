/// A value bound for the store: what a mapped field became after parsing and validation.
package enum FieldValue: Equatable, Sendable {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)

    var isNull: Bool { self == .null }

    var integerValue: Int64? { if case .integer(let v) = self { v } else { nil } }
    var realValue: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
    var textValue: String? { if case .text(let v) = self { v } else { nil } }
}

/// One source row, mapped, validated and pseudonymised: what the store loads.
package struct MappedRow: Sendable {
    package var source: String
    var interactionID: String
    /// Aligned with `RowLayout.contactColumns`; nil when this row only carries a later leg.
    package var contact: [FieldValue]?
    /// The leg number when the row carries a leg.
    var leg: Int?
    /// Aligned with `RowLayout.legColumns`.
    var legValues: [FieldValue]
    /// The source's version of the record (update time in ms, or a number); nil orders by ingest.
    package var version: Int64?
    /// The line (or record) the row came from.
    var position: Int
    /// The source's own id of the leg (an Amazon Connect ContactId, a Genesys session id). Legs with
    /// a reference are matched by it and numbered 1, 2, … by answer time once the file is loaded.
    var legRef: String?
    /// The version of the leg's own record, for sources whose legs are separate records.
    var legVersion: Int64?

    package init(source: String, interactionID: String, contact: [FieldValue]?, leg: Int?, legValues: [FieldValue], version: Int64?,
                position: Int, legRef: String? = nil, legVersion: Int64? = nil) {
        self.source = source
        self.interactionID = interactionID
        self.contact = contact
        self.leg = leg
        self.legValues = legValues
        self.version = version
        self.position = position
        self.legRef = legRef
        self.legVersion = legVersion
    }
}

/// The store columns a file provides, fixed for the whole file: absent columns are left untouched.
///
/// Every row carries its layout to the store's thread; the arrays live in one shared object, so a
/// row's copy is one reference, not four arrays retained and released per row.
package struct RowLayout: Sendable, Equatable {
    private final class Columns: Sendable {
        let contact: [String]
        let leg: [String]
        let contactChecks: [PlausibilityBounds.Check]
        let legChecks: [PlausibilityBounds.Check]
        let legAgentIndex: Int?
        let legTeamIndex: Int?

        init(contact: [String], leg: [String]) {
            self.contact = contact
            self.leg = leg
            contactChecks = contact.map(PlausibilityBounds.Check.init(column:))
            legChecks = leg.map(PlausibilityBounds.Check.init(column:))
            legAgentIndex = leg.firstIndex(of: "agent_id")
            legTeamIndex = leg.firstIndex(of: "team")
        }
    }

    private let columns: Columns
    /// Contact columns other than `source` and `interaction_id`.
    var contactColumns: [String] { columns.contact }
    /// Leg columns other than `source`, `interaction_id` and `leg`.
    var legColumns: [String] { columns.leg }
    /// How each column's values are bounded, found once rather than for every row.
    var contactChecks: [PlausibilityBounds.Check] { columns.contactChecks }
    var legChecks: [PlausibilityBounds.Check] { columns.legChecks }
    /// Where `legColumns` hold the leg's agent and team (a single-leg contact's closing agent and
    /// team), found once rather than for every row.
    var legAgentIndex: Int? { columns.legAgentIndex }
    var legTeamIndex: Int? { columns.legTeamIndex }
    /// Survey responses: the rows update existing contacts, or wait for them, and never create one.
    var attachesToContacts = false
    /// A contact is abandoned exactly when it has no leg (sources whose contact records do not say).
    var abandonedFromLegs = false

    package init(contactColumns: [String], legColumns: [String], attachesToContacts: Bool = false, abandonedFromLegs: Bool = false) {
        columns = Columns(contact: contactColumns, leg: legColumns)
        self.attachesToContacts = attachesToContacts
        self.abandonedFromLegs = abandonedFromLegs
    }

    package static func == (a: RowLayout, b: RowLayout) -> Bool {
        (a.columns === b.columns || (a.contactColumns == b.contactColumns && a.legColumns == b.legColumns))
            && a.attachesToContacts == b.attachesToContacts && a.abandonedFromLegs == b.abandonedFromLegs
    }
}
