import Foundation

/// How one canonical field is read from a source row.
package struct FieldRule: Sendable, Equatable {
    package enum Origin: Sendable, Equatable {
        /// A column of the file, by header name.
        case column(String)
        /// Several columns read as one value, joined by a space (a date and a time kept apart).
        case columns([String])
        /// The same value for every row.
        case constant(String)
        /// The seconds between two instants of the same row.
        case derived(from: CanonicalField, to: CanonicalField)
    }

    var origin: Origin

    /// The columns of the file this rule reads; none for a constant or a derived value.
    var columnNames: [String] {
        switch origin {
        case .column(let column): [column]
        case .columns(let columns): columns
        case .constant, .derived: []
        }
    }
    /// For instants (and timestamp versions): how the text is written.
    package var format: TimestampFormat?
    /// For durations.
    var duration: DurationFormat?
    /// Source values translated before reading (`"Y": true`, `Phone: voice`); matched exactly, then case-insensitively.
    var values: [String: String]
    /// Used when the column is empty.
    var defaultValue: String?
    /// For `customer_id`: how to normalise it before hashing.
    var identifierKind: IdentifierKind
    /// `extract:` a regular expression; the field is its first capture group (or the whole match)
    /// in the column's text, read before value maps ("SIP/201-0000a1b2" with `SIP/(\d+)-` → 201).
    var extract: String?

    package init(origin: Origin, format: TimestampFormat? = nil, duration: DurationFormat? = nil,
                values: [String: String] = [:], defaultValue: String? = nil, identifierKind: IdentifierKind = .auto) {
        self.origin = origin
        self.format = format
        self.duration = duration
        self.values = values
        self.defaultValue = defaultValue
        self.identifierKind = identifierKind
    }
}

/// A mapping file: how the columns of one system's CSV export become canonical contacts and legs.
///
/// See docs/mapping.md for the file format.
package struct Mapping: Sendable {
    /// What the rows of a file are.
    package enum Purpose: String, Sendable {
        /// Contacts (and their legs): the rows create or update contacts.
        case contacts
        /// Survey responses keyed by interaction id, arriving after their contact: they attach to it,
        /// or wait for it (DESIGN.md §2).
        case surveys

        /// Fields a mapping must provide.
        var requiredFields: [CanonicalField] {
            switch self {
            case .contacts: CanonicalField.required
            case .surveys: [.interactionID]
            }
        }

        /// Fields a mapping may provide.
        func allows(_ field: CanonicalField) -> Bool {
            switch self {
            case .contacts: true
            case .surveys: [.source, .interactionID, .csat, .csatMin, .csatMax, .nps, .resolved].contains(field)
            }
        }
    }

    package var name: String
    var purpose = Purpose.contacts
    /// The `source` stored with each contact, unless a `source` field is mapped.
    package var source: String
    var delimiter: UInt8?
    package var encoding: TextEncoding?
    var strictQuotes = true
    var decimalSeparator = UInt8(ascii: ".")
    /// The zone of local times without offset; the site timezone when nil.
    package var timezone: String?
    var ambiguousTime: ZoneClock.AmbiguousTime = .earlier
    /// Calling code for national phone numbers (`44`), used to write them as E.164.
    var phoneCountryCode: String?
    /// `phone_trunk_prefix`: what national numbers start with before the country code replaces it
    /// (default by country: 0; 1 for +1, 8 for +7, none for +39).
    var phoneTrunkPrefix: String?
    /// The largest share of rejected rows a file may have and still load.
    var rejectionThreshold = 0.01
    package var fields: [CanonicalField: FieldRule]
    /// Columns a mapped field reads that may be missing from a file (the canonical layout's optional fields).
    var optionalColumns = false
    /// False for a file without a header line (Asterisk's `cdr_csv`): columns are then named by
    /// position, 1 for the first.
    var hasHeader = true
    /// `combine: attempts`: rows sharing an interaction id are attempts of one call (a PBX ring group
    /// writes one row per phone dialled): the call is answered if any attempt was, each answered
    /// attempt is a leg, and an unanswered attempt never overwrites an answer.
    var combineAttempts = false

    package init(name: String, source: String, fields: [CanonicalField: FieldRule]) {
        self.name = name
        self.source = source
        self.fields = fields
    }

    static let topKeys = ["name", "source", "delimiter", "encoding", "strict_quotes", "decimal", "timezone",
                          "ambiguous_time", "phone_country_code", "phone_trunk_prefix", "rejection_threshold", "fields", "aliases", "header", "combine"]
    /// `phone_country_code: 44` (or `+44`): the calling code of national numbers.
    static func callingCode(_ node: ConfigNode) throws -> String {
        let code = try node.string().trimmingCharacters(in: CharacterSet(charactersIn: "+ "))
        guard !code.isEmpty, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw node.error("expected a calling code such as 44") }
        return code
    }

    static let ruleKeys = ["column", "value", "from", "to", "format", "unit", "values", "default", "kind", "extract"]

    /// Reads and checks a mapping file; every mistake names the file, line and key.
    package static func load(file: String, purpose: Purpose = .contacts) throws -> Mapping {
        try parse(ConfigNode.load(file: file), defaultName: ((file as NSString).lastPathComponent as NSString).deletingPathExtension, purpose: purpose)
    }

    /// Parses mapping YAML text (for tests and embedded mappings).
    package static func parse(yaml: String, file: String, purpose: Purpose = .contacts) throws -> Mapping {
        try parse(ConfigNode.parse(yaml, file: file), defaultName: (file as NSString).deletingPathExtension, purpose: purpose)
    }

    static func parse(_ root: ConfigNode, defaultName: String, purpose: Purpose) throws -> Mapping {
        let top = try root.dictionary(allowed: topKeys)
        let name = try top["name"]?.string() ?? defaultName
        guard let fieldsNode = top["fields"] else { throw root.error("a mapping needs `fields:` (canonical field: column)") }
        var fields: [CanonicalField: FieldRule] = [:]
        for (key, node) in try fieldsNode.entries() {
            guard let field = CanonicalField(rawValue: key) else {
                let names = CanonicalField.allCases.map(\.rawValue)
                let hint = closest(key, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw node.error("\"\(key)\" is not a canonical field\(hint)")
            }
            guard purpose.allows(field) else {
                throw node.error("a survey mapping reads source, interaction_id, csat, csat_min, csat_max, nps and resolved, not \(key)")
            }
            fields[field] = try rule(for: field, node)
        }
        var mapping = Mapping(name: name, source: try top["source"]?.string() ?? name, fields: fields)
        mapping.purpose = purpose
        if let node = top["delimiter"] {
            let text = try node.string()
            switch text {
            case ",", ";", "|": mapping.delimiter = UInt8(ascii: text.unicodeScalars.first!)
            case "\t", "tab", "\\t": mapping.delimiter = 0x09
            default: throw node.error("the delimiter must be one of , ; | tab")
            }
        }
        if let node = top["encoding"] {
            guard let encoding = TextEncoding(name: try node.string()) else {
                throw node.error("unknown encoding; use one of \(TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mapping.encoding = encoding
        }
        if let node = top["strict_quotes"] { mapping.strictQuotes = try node.bool() }
        if let node = top["decimal"] {
            switch try node.string() {
            case ".": mapping.decimalSeparator = UInt8(ascii: ".")
            case ",": mapping.decimalSeparator = UInt8(ascii: ",")
            default: throw node.error("the decimal separator must be \".\" or \",\"")
            }
        }
        if let node = top["timezone"] {
            let zone = try node.string()
            guard ZoneClock(identifier: zone) != nil else { throw node.error("unknown time zone \"\(zone)\" (use an IANA name such as Europe/London)") }
            mapping.timezone = zone
        }
        if let node = top["ambiguous_time"] {
            guard let value = ZoneClock.AmbiguousTime(rawValue: try node.string()) else {
                throw node.error("ambiguous_time must be earlier, later or reject")
            }
            mapping.ambiguousTime = value
        }
        if let node = top["phone_country_code"] { mapping.phoneCountryCode = try Mapping.callingCode(node) }
        if let node = top["phone_trunk_prefix"] {
            let prefix = try node.string()
            guard prefix.count <= 3, prefix.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw node.error("phone_trunk_prefix is up to three digits, or \"\" for none") }
            guard mapping.phoneCountryCode != nil else { throw node.error("phone_trunk_prefix goes with phone_country_code") }
            mapping.phoneTrunkPrefix = prefix
        }
        if let node = top["rejection_threshold"] {
            let value = try node.double()
            guard value >= 0, value <= 1 else { throw node.error("rejection_threshold is a share between 0 and 1") }
            mapping.rejectionThreshold = value
        }
        if let node = top["header"] {
            mapping.hasHeader = try node.bool()
            if !mapping.hasHeader {
                for (key, rule) in mapping.fields {
                    for column in rule.columnNames where !(Int(column).map { $0 >= 1 } ?? false) {
                        throw fieldsNode.error("\(key.rawValue): a file without a header names columns by position (1, 2, …), not \"\(column)\"")
                    }
                }
            }
        }
        if let node = top["combine"] {
            guard try node.string() == "attempts" else { throw node.error("combine is `attempts` (rows sharing an interaction id are attempts of one call)") }
            guard purpose == .contacts else { throw node.error("combine applies to contact exports, not survey files") }
            guard mapping.fields[.abandoned] == nil else {
                throw node.error("with combine: attempts a call is abandoned when no attempt was answered: leave abandoned unmapped")
            }
            guard mapping.fields[.answeredAt] != nil || mapping.fields[.talkSeconds] != nil || mapping.fields[.agentID] != nil else {
                throw node.error("combine: attempts needs answered_at, talk_s or agent_id mapped, to tell an answered attempt")
            }
            guard mapping.fields[.leg] == nil else { throw node.error("with combine: attempts each answered attempt is a leg: leave leg unmapped") }
            mapping.combineAttempts = true
        }
        // `aliases: {queue: {Tech: Technical Support}}`: one name for what a system spells several ways.
        if let node = top["aliases"] {
            for (key, names) in try node.entries(allowed: ["queue", "team", "contact_reason"]) {
                let field = CanonicalField(rawValue: key)!
                guard var rule = mapping.fields[field] else { throw names.error("aliases for \(key), but \(key) is not mapped") }
                for (spelling, canonical) in try names.entries() where rule.values[spelling] == nil { rule.values[spelling] = try canonical.string() }
                mapping.fields[field] = rule
            }
        }
        for field in purpose.requiredFields where mapping.fields[field] == nil {
            let hint = field == .channel ? " (give a constant with `channel: {value: voice}` if the file has one channel)" : ""
            throw fieldsNode.error("the required field \"\(field.rawValue)\" is not mapped\(hint)")
        }
        return mapping
    }

    private static func rule(for field: CanonicalField, _ node: ConfigNode) throws -> FieldRule {
        if !node.isMapping { return FieldRule(origin: .column(try node.string())) }
        let keys = try node.dictionary(allowed: ruleKeys)
        let origins = ["column", "value", "from"].filter { keys[$0] != nil }
        guard origins.count == 1 else { throw node.error("give exactly one of `column`, `value`, or `from` + `to`") }
        var rule: FieldRule
        if let column = keys["column"] {
            if case .sequence = column.node {
                let names = try column.stringList()
                guard names.count >= 2 else { throw column.error("a list of columns needs at least two") }
                rule = FieldRule(origin: .columns(names))
            } else {
                rule = FieldRule(origin: .column(try column.string()))
            }
        } else if let value = keys["value"] {
            rule = FieldRule(origin: .constant(try value.string()))
        } else {
            guard let fromNode = keys["from"], let toNode = keys["to"] else { throw node.error("`from` needs `to`") }
            guard field.kind == .seconds else { throw node.error("only durations can be derived from two timestamps") }
            let ends = try [fromNode, toNode].map { n in
                guard let f = CanonicalField(rawValue: try n.string()), f.kind == .instant else {
                    throw n.error("expected one of arrived_at, answered_at, ended_at")
                }
                return f
            }
            rule = FieldRule(origin: .derived(from: ends[0], to: ends[1]))
        }
        if let format = keys["format"] {
            guard field.kind == .instant || field.kind == .version else { throw format.error("`format` applies to timestamps") }
            guard let parsed = TimestampFormat(try format.string()) else {
                throw format.error("cannot read this timestamp pattern; use letters yyyy MM dd HH mm ss S a XXX, or iso8601, epoch_s, epoch_ms")
            }
            rule.format = parsed
        }
        if let unit = keys["unit"] {
            guard field.kind == .seconds else { throw unit.error("`unit` applies to durations") }
            guard let parsed = DurationFormat(rawValue: try unit.string()) else {
                throw unit.error("unit must be one of \(DurationFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            rule.duration = parsed
        }
        if let values = keys["values"] {
            for (raw, canonical) in try values.entries() { rule.values[raw] = try canonical.string() }
        }
        if let fallback = keys["default"] { rule.defaultValue = try fallback.string() }
        if let node = keys["extract"] {
            let pattern = try node.string()
            do { _ = try Regex(pattern) } catch { throw node.error("extract is not a valid regular expression: \(error)") }
            if case .constant = rule.origin { throw node.error("extract reads a column, not a constant value") }
            rule.extract = pattern
        }
        if let kind = keys["kind"] {
            guard field == .customerID else { throw kind.error("`kind` applies to customer_id") }
            guard let parsed = IdentifierKind(rawValue: try kind.string()) else {
                throw kind.error("kind must be one of \(IdentifierKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            rule.identifierKind = parsed
        }
        return rule
    }

    /// The project's own CSV layout (DESIGN.md §6): canonical field names as headers, ISO-8601 instants
    /// with offsets, `true`/`false`, seconds as decimals, `csat_scale` as an alias of `csat_max`.
    /// Only the fields present in a file's header are read.
    package static var canonical: Mapping {
        var fields: [CanonicalField: FieldRule] = [:]
        for field in CanonicalField.allCases {
            var rule = FieldRule(origin: .column(field.rawValue))
            if field.kind == .instant || field.kind == .version { rule.format = .iso8601 }
            fields[field] = rule
        }
        var mapping = Mapping(name: "canonical", source: "canonical", fields: fields)
        mapping.optionalColumns = true
        return mapping
    }
}
