import Foundation

/// Maps CSV records to canonical rows under one mapping, after checking the mapping against the
/// file's header: the map → validate → pseudonymise stages of an import.
final class RowMapper {
    /// A mapped field; a class, so that reading a row passes references instead of copying rules.
    private final class Entry {
        let field: CanonicalField
        let rule: FieldRule
        let column: Int?
        let label: String
        /// Further columns joined to `column` with a space.
        let joined: [Int]
        /// Whether the value goes through `String` (value maps, defaults, patterns) rather than bytes.
        let viaText: Bool
        /// The one column read as bytes, when the value comes straight from it (no joined columns, no
        /// text rules, not derived or constant): the common case, read without a string per field.
        let byteColumn: Int?
        /// Texts already made for this column: a source writes the same few queues, teams, agents
        /// and reasons again and again (not ids, which do not repeat).
        let texts: TextInterner?
        /// The rule's `extract:` pattern, compiled once.
        let extract: ExtractPattern?
        /// What `read` asks of the rule for every row, taken out of it once (reading them through the
        /// rule copied its strings and dictionaries in and out per field and row).
        let kind: CanonicalField.Kind
        /// A derived field's two instants (`{from:, to:}`); nil for a field read from the file or a constant.
        let derived: (from: CanonicalField, to: CanonicalField)?
        var isDerived: Bool { derived != nil }
        let constant: String?
        let defaultValue: String?
        /// The rule's value map (`values:`), empty when it has none.
        let valueMap: [String: String]
        let format: TimestampFormat
        let hasFormat: Bool
        let duration: DurationFormat
        let identifierKind: IdentifierKind

        init(field: CanonicalField, rule: FieldRule, column: Int?, label: String, joined: [Int] = []) {
            self.field = field
            self.rule = rule
            self.column = column
            self.label = label
            self.joined = joined
            viaText = !rule.values.isEmpty || rule.defaultValue != nil || rule.extract != nil
            byteColumn = viaText || !joined.isEmpty ? nil : column
            texts = field.kind == .text && field != .interactionID && field != .recordingRef ? TextInterner() : nil
            extract = rule.extract.flatMap(ExtractPattern.init)
            kind = field.kind
            if case .derived(let from, let to) = rule.origin { derived = (from, to) } else { derived = nil }
            defaultValue = rule.defaultValue
            valueMap = rule.values
            if case .constant(let value) = rule.origin { constant = value } else { constant = nil }
            format = rule.format ?? .iso8601
            hasFormat = rule.format != nil
            duration = rule.duration ?? .seconds
            identifierKind = rule.identifierKind
        }
    }

    let layout: RowLayout
    /// With `combine: attempts`: the layouts of an answered and an unanswered attempt.
    private(set) var attemptLayouts: (answered: RowLayout, unanswered: RowLayout)?
    /// The contact fields of an answered and an unanswered attempt, in their layouts' order.
    private var attemptFields: (answered: [CanonicalField], unanswered: [CanonicalField]) = ([], [])

    /// The layout of one mapped row (attempts of a call differ by whether they were answered).
    func layout(of row: MappedRow) -> RowLayout {
        guard let attemptLayouts else { return layout }
        return row.leg == nil ? attemptLayouts.unanswered : attemptLayouts.answered
    }
    /// The fields behind `layout`'s columns, in the same order.
    private let contactFields: [CanonicalField]
    private let legFields: [CanonicalField]
    private let file: String
    private let mapping: Mapping
    private let clock: ZoneClock
    private let pseudonymiser: Pseudonymiser?
    let columnCount: Int
    private let entries: [Entry]
    /// The entries whose value is derived from two instants, read after the others.
    private let derivedEntries: [Entry]
    private let provided: Set<CanonicalField>
    private let deriveAbandoned: Bool
    private let deriveWait: Bool
    private let deriveTalk: Bool
    /// Whether the mapping reads a CSAT scale's maximum (its minimum then follows from it).
    private let hasCsatMax: Bool
    private let carriesLegs: Bool
    /// Index of the customer identifier column, masked in quarantined records.
    let customerColumn: Int?

    /// Checks the header against the mapping.
    ///
    /// - Throws: `InputError` when a mapped column is missing (with a hint when the delimiter looks
    ///   wrong), or `Pseudonymiser.KeyError.missing` when customer identifiers come without a key.
    init(mapping: Mapping, header: CSVRecord, file: String, delimiter: UInt8, siteClock: ZoneClock, pseudonymiser: Pseudonymiser?) throws {
        self.file = file
        self.mapping = mapping
        self.pseudonymiser = pseudonymiser
        clock = mapping.timezone.flatMap(ZoneClock.init(identifier:)) ?? siteClock
        columnCount = header.count
        var names: [String] = []
        if !mapping.hasHeader {
            names = (1...max(header.count, 1)).map(String.init)  // the first line is data: columns go by position
        } else {
            for i in 0..<header.count {
                guard let name = header.string(i) else {
                    throw InputError(file: file, position: header.line, field: "#\(i + 1)", reason: "the header is not valid UTF-8 text")
                }
                names.append(name.trimmingCharacters(in: .whitespaces))
            }
        }
        func index(of column: String) -> Int? {
            names.firstIndex(of: column) ?? names.firstIndex { $0.caseInsensitiveCompare(column) == .orderedSame }
        }
        // A mapped column named twice is ambiguous: which one holds the value? (An unmapped duplicate is harmless.)
        for column in mapping.fields.values.flatMap(\.columnNames) {
            let positions = names.indices.filter { names[$0].caseInsensitiveCompare(column) == .orderedSame }
            if positions.count > 1 {
                throw InputError(file: file, position: header.line, field: column,
                                 reason: "the header names \"\(column)\" \(positions.count) times (columns \(positions.map { String($0 + 1) }.joined(separator: " and "))); rename one so the mapping knows which to read")
            }
        }
        var entries: [Entry] = []
        for field in CanonicalField.allCases {
            guard let rule = mapping.fields[field] else { continue }
            switch rule.origin {
            case .column(let column):
                var found = index(of: column)
                if found == nil, field == .csatMax, mapping.optionalColumns { found = index(of: "csat_scale") }
                if let found {
                    entries.append(Entry(field: field, rule: rule, column: found, label: names[found]))
                } else if !mapping.optionalColumns || mapping.purpose.requiredFields.contains(field) {
                    throw RowMapper.missingColumn(column, field: field, names: names, file: file, line: header.line, delimiter: delimiter, headerless: !mapping.hasHeader)
                }
            case .columns(let columns):
                var indices: [Int] = []
                for column in columns {
                    guard let found = index(of: column) else {
                        throw RowMapper.missingColumn(column, field: field, names: names, file: file, line: header.line, delimiter: delimiter, headerless: !mapping.hasHeader)
                    }
                    indices.append(found)
                }
                entries.append(Entry(field: field, rule: rule, column: indices[0], label: columns.joined(separator: "+"), joined: Array(indices.dropFirst())))
            case .constant, .derived:
                entries.append(Entry(field: field, rule: rule, column: nil, label: field.rawValue))
            }
        }
        self.entries = entries
        derivedEntries = entries.filter(\.isDerived)
        let provided = Set(entries.map(\.field))
        self.provided = provided
        if provided.contains(.customerID), pseudonymiser == nil { throw Pseudonymiser.KeyError.missing }
        customerColumn = entries.first { $0.field == .customerID }?.column
        deriveAbandoned = !provided.contains(.abandoned)
            && !provided.isDisjoint(with: [.answeredAt, .agentID, .talkSeconds])
        deriveWait = !provided.contains(.waitSeconds) && provided.contains(.answeredAt)
        deriveTalk = !provided.contains(.talkSeconds) && provided.contains(.answeredAt) && provided.contains(.endedAt)
        hasCsatMax = provided.contains(.csatMax)
        carriesLegs = provided.contains { $0.isLegField && $0 != .queue && $0 != .leg }
            || (deriveTalk)

        var contactColumns: [String] = []
        for field in CanonicalField.allCases where field.isContactField && field != .source && field != .interactionID {
            let present = provided.contains(field)
                || (field == .abandoned && deriveAbandoned)
                || (field == .waitSeconds && deriveWait)
                || (field == .csatMin && provided.contains(.csatMax))
            if present { contactColumns.append(field == .customerID ? "customer_key" : field.rawValue) }
        }
        var legColumns: [String] = []
        if carriesLegs {
            for field in CanonicalField.allCases where field.isLegField && field != .leg {
                if provided.contains(field) || (field == .talkSeconds && deriveTalk) { legColumns.append(field.rawValue) }
            }
        }
        layout = RowLayout(contactColumns: contactColumns, legColumns: legColumns, attachesToContacts: mapping.purpose == .surveys)
        contactFields = contactColumns.map { $0 == "customer_key" ? .customerID : CanonicalField(rawValue: $0)! }
        legFields = legColumns.map { CanonicalField(rawValue: $0)! }
        if mapping.combineAttempts {
            // Attempts of one call: abandoned follows from the legs, and only an answered attempt says
            // how long the caller waited.
            let answered = contactFields.filter { $0 != .abandoned }
            let unanswered = answered.filter { $0 != .waitSeconds }
            attemptFields = (answered, unanswered)
            func columns(_ fields: [CanonicalField]) -> [String] { fields.map { $0 == .customerID ? "customer_key" : $0.rawValue } }
            attemptLayouts = (RowLayout(contactColumns: columns(answered), legColumns: legColumns, abandonedFromLegs: true),
                              RowLayout(contactColumns: columns(unanswered), legColumns: [], abandonedFromLegs: true))
        }
    }

    private static func missingColumn(_ column: String, field: CanonicalField, names: [String], file: String, line: Int, delimiter: UInt8,
                                      headerless: Bool) -> InputError {
        if headerless, let position = Int(column) {
            return InputError(file: file, position: line, field: column,
                              reason: "column \(position), mapped to \(field.rawValue), is beyond the \(names.count) columns of the first line (a file without a header)")
        }
        var reason = "the column \"\(column)\" mapped to \(field.rawValue) is not in the header"
        if names.count == 1 {
            let other = CSVReader.candidateDelimiters.first { $0 != delimiter && names[0].utf8.contains($0) }
            if let other {
                reason += "; the header reads as a single column, so the delimiter is probably \(delimiterName(other)), not \(delimiterName(delimiter))"
            }
        } else {
            let hint = closest(column, in: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            reason += hint + "; the header has: " + names.map(Redactor.display).joined(separator: ", ")
        }
        return InputError(file: file, position: line, field: column, reason: reason)
    }

    /// Fields every contact has (an empty cell in a mapped column is a rejected row), and the durations
    /// that cannot be negative; built once, not per row.
    private static let requiredFlags: [CanonicalField] = [.abandoned, .transferred, .escalated, .direction]
    private static let durations: [CanonicalField] = [.waitSeconds, .talkSeconds, .holdSeconds, .acwSeconds]

    /// Maps one record: parse each mapped field, derive what the mapping leaves out, validate, pseudonymise.
    func map(_ record: CSVRecord) throws(InputError) -> MappedRow {
        guard record.count == columnCount else {
            throw InputError(file: file, position: record.line,
                             reason: "expected \(columnCount) fields as in the header, found \(record.count) (ragged row)")
        }
        var values = FieldValues()
        var parsedInstants = FieldValues.Instants()
        for entry in entries {
            let value = try read(entry, record)
            values[entry.field] = value
            if entry.kind == .instant, case .integer(let ms) = value { parsedInstants[entry.field] = ms }
        }
        guard case .text(let interactionID)? = values[.interactionID], !interactionID.isEmpty else {
            throw error(record, .interactionID, "interaction_id is empty")
        }
        let surveys = mapping.purpose == .surveys
        let arrived = parsedInstants[.arrivedAt] ?? 0
        if !surveys {
            guard parsedInstants[.arrivedAt] != nil else { throw error(record, .arrivedAt, "arrived_at is empty") }
            guard values[.channel] != nil, values[.channel] != .null else { throw error(record, .channel, "channel is empty") }
            // Fields every contact has: a mapped column left empty is a rejected row, not an unknown value.
            for field in RowMapper.requiredFlags where values[field] == .null {
                throw error(record, field, "\(field.rawValue) is empty; \(field == .direction ? "inbound or outbound" : "true or false") is required")
            }
        }

        // Derivations the mapping leaves to us.
        for entry in derivedEntries {
            if let (from, to) = entry.derived, let a = parsedInstants[from], let b = parsedInstants[to] {
                values[entry.field] = .real(Double(b - a) / 1000)
            } else {
                values[entry.field] = .null
            }
        }
        let answered = parsedInstants[.answeredAt]
        if deriveAbandoned {
            let agent = values[.agentID]?.textValue.map { !$0.isEmpty } ?? false
            let talked = (values[.talkSeconds]?.realValue ?? 0) > 0
            values[.abandoned] = .integer(answered != nil || agent || talked ? 0 : 1)
        }
        let abandoned = values[.abandoned]?.integerValue == 1
        if deriveWait { values[.waitSeconds] = answered.map { .real(Double($0 - arrived) / 1000) } ?? .null }
        if deriveTalk {
            if let a = answered, let e = parsedInstants[.endedAt] { values[.talkSeconds] = .real(Double(e - a) / 1000) } else { values[.talkSeconds] = .null }
        }
        if hasCsatMax, values[.csatMin] == nil || values[.csatMin] == .null, let max = values[.csatMax]?.integerValue {
            values[.csatMin] = .integer(max == 1 ? 0 : 1)
        }

        try validate(values, parsedInstants, arrived: arrived, record)

        var leg: Int?
        if carriesLegs {
            if let number = values[.leg]?.integerValue { leg = Int(number) } else if !abandoned { leg = 1 }
        }
        let source = values[.source]?.textValue.flatMap { $0.isEmpty ? nil : $0 } ?? mapping.source
        if attemptLayouts != nil {
            // One attempt of a call: answered, it is a leg of its own (numbered by answer time); not
            // answered, it only says the call happened.
            // An attempt is answered when it has an answer time or talk time; the phone that rang is
            // named on unanswered attempts too, so the agent tells only where neither is mapped.
            let timed = provided.contains(.answeredAt) || provided.contains(.talkSeconds)
            let attemptAnswered = timed ? answered != nil || (values[.talkSeconds]?.realValue ?? 0) > 0 : !abandoned
            let contact = (attemptAnswered ? attemptFields.answered : attemptFields.unanswered).map { values[$0] ?? .null }
            guard attemptAnswered else {
                return MappedRow(source: source, interactionID: interactionID, contact: contact, leg: nil, legValues: [],
                                 version: values[.version]?.integerValue, position: record.line)
            }
            let reference = "\(values[.agentID]?.textValue ?? "")@\(answered.map(String.init) ?? "line \(record.line)")"
            return MappedRow(source: source, interactionID: interactionID, contact: contact, leg: 1, legValues: legFields.map { values[$0] ?? .null },
                             version: values[.version]?.integerValue, position: record.line, legRef: reference,
                             legVersion: values[.version]?.integerValue)
        }
        let contact: [FieldValue]? = (leg ?? 1) > 1 ? nil : contactFields.map { values[$0] ?? .null }
        let legValues = leg == nil ? [] : legFields.map { values[$0] ?? .null }
        return MappedRow(source: source, interactionID: interactionID, contact: contact, leg: leg, legValues: legValues,
                         version: values[.version]?.integerValue, position: record.line)
    }

    private func validate(_ values: FieldValues, _ instants: FieldValues.Instants, arrived: Int64, _ record: CSVRecord) throws(InputError) {
        if let answered = instants[.answeredAt], answered < arrived {
            throw error(record, .answeredAt, "answered_at is before arrived_at (answered before the contact arrived)")
        }
        if let ended = instants[.endedAt], let start = instants[.answeredAt] ?? Optional(arrived), ended < start {
            throw error(record, .endedAt, "ended_at is before \(instants[.answeredAt] == nil ? "arrived_at" : "answered_at")")
        }
        for field in RowMapper.durations {
            if let v = values[field]?.realValue, v < 0 {
                throw error(record, field, "\(field.rawValue) is negative (\(Redactor.display(formatSeconds(v))) s)")
            }
        }
        if let nps = values[.nps]?.integerValue, !(0...10).contains(nps) {
            throw error(record, .nps, "nps must be 0–10, found \(shown(nps))")
        }
        if let csat = values[.csat]?.integerValue {
            guard let max = values[.csatMax]?.integerValue else {
                throw error(record, .csat, "csat needs its scale: map csat_max (or csat_scale)")
            }
            let min = values[.csatMin]?.integerValue ?? 1
            guard min < max else { throw error(record, .csatMax, "csat scale \(shown(min))–\(shown(max)) is empty") }
            guard csat >= min, csat <= max else { throw error(record, .csat, "csat \(shown(csat)) is outside its scale \(shown(min))–\(shown(max))") }
        }
        if let leg = values[.leg]?.integerValue, leg < 1 { throw error(record, .leg, "leg numbers start at 1, found \(shown(leg))") }
    }

    /// A number from input as a message may show it: a customer's number shifted into a numeric
    /// column reads as a number too, and is masked like any echoed value.
    private func shown(_ number: Int64) -> String { Redactor.display(String(number)) }

    private func error(_ record: CSVRecord, _ field: CanonicalField, _ reason: String) -> InputError {
        let label = entries.first { $0.field == field }?.label ?? field.rawValue
        return InputError(file: file, position: record.line, field: label, reason: reason)
    }

    /// Reads one mapped field of a record into its stored form.
    private func read(_ entry: Entry, _ record: CSVRecord) throws(InputError) -> FieldValue {
        // The common case: one column's bytes, read in place (no closure, no string unless the value is text).
        if let column = entry.byteColumn {
            let bytes = record[column]
            if !ValueParsers.isValidUTF8(bytes) { throw notUTF8(entry, record.line) }
            if bytes.isEmpty { return .null }
            return try convert(entry, bytes, text: nil, line: record.line)
        }
        if entry.isDerived { return .null }
        var text: String?
        var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        if let constant = entry.constant {
            text = constant
        } else if let column = entry.column {
            // (No array of the columns built here: this runs for every field of every row.)
            if !ValueParsers.isValidUTF8(record[column]) || entry.joined.contains(where: { !ValueParsers.isValidUTF8(record[$0]) }) {
                throw notUTF8(entry, record.line)
            }
            if entry.joined.isEmpty {
                bytes = record[column]
            } else {
                text = ([column] + entry.joined).map { String(decoding: record[$0], as: UTF8.self).trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }.joined(separator: " ")
            }
        }
        // Value maps and defaults work on text.
        if entry.viaText {
            // libcsv already trimmed spaces around unquoted fields; spaces inside quotes are data.
            var value = text ?? String(decoding: bytes, as: UTF8.self)
            if !value.isEmpty, let pattern = entry.extract {
                guard let extracted = pattern.firstCapture(in: value) else {
                    throw failure(entry, record.line, "\(entry.field.rawValue): the value does not match the mapping's extract pattern \(entry.rule.extract ?? "")")
                }
                value = extracted
            }
            if value.isEmpty, let fallback = entry.defaultValue { value = fallback }
            if !value.isEmpty, !entry.valueMap.isEmpty {
                let rules = entry.valueMap
                if let mapped = rules[value] ?? rules.first(where: { $0.key.caseInsensitiveCompare(value) == .orderedSame })?.value ?? rules["*"] {
                    value = mapped
                }
            }
            text = value
        }
        if let text {
            if text.isEmpty { return .null }
            // Text and identifiers are read from the string itself: no byte copy of it.
            if entry.kind == .text || entry.kind == .identifier {
                return try convert(entry, UnsafeRawBufferPointer(start: nil, count: 0), text: text, line: record.line)
            }
            let result: Result<FieldValue, InputError> = Array(text.utf8).withUnsafeBytes { buffer in
                Result { () throws(InputError) in try convert(entry, buffer, text: text, line: record.line) }
            }
            return try result.get()
        }
        if bytes.isEmpty { return .null }
        return try convert(entry, bytes, text: nil, line: record.line)
    }

    private func failure(_ entry: Entry, _ line: Int, _ reason: String) -> InputError {
        InputError(file: file, position: line, field: entry.label, reason: reason)
    }

    private func notUTF8(_ entry: Entry, _ line: Int) -> InputError {
        failure(entry, line, "\(entry.field.rawValue) is not valid UTF-8 text (declare the file's `encoding:` in the mapping)")
    }

    /// The stored text of a text field, from its UTF-8: the value itself, a contact reason redacted (free
    /// text a source may fill with whatever an agent typed). A column whose values repeat makes each
    /// distinct text once, so a reason goes through the recognisers once per distinct text (`Entry.texts`).
    private func storedText(_ entry: Entry, _ utf8: UnsafeRawBufferPointer) -> String {
        func make() -> String {
            let value = String(decoding: utf8, as: UTF8.self)
            return entry.field == .contactReason ? Redactor(countryCode: mapping.phoneCountryCode).redact(value) : value
        }
        return entry.texts?.text(for: utf8, make: make) ?? make()
    }

    /// A value from `bytes`, or from `text` when the mapping's rules made one (then `bytes` are its UTF-8).
    private func convert(_ entry: Entry, _ bytes: UnsafeRawBufferPointer, text: String?, line: Int) throws(InputError) -> FieldValue {
        let field = entry.field
        // A value echoed in a message is masked: a shifted column can put a phone number in any field.
        // (Only messages use it: a valid value is read as it is.)
        func shown() -> String { Redactor.display(text ?? String(decoding: bytes, as: UTF8.self)) }
        switch entry.kind {
        case .text:
            guard var text else { return .text(storedText(entry, bytes)) }
            return .text(text.withUTF8 { storedText(entry, UnsafeRawBufferPointer($0)) })
        case .identifier:
            guard let pseudonymiser else { return .null }
            let key = if let text {
                pseudonymiser.customerKey(for: text, kind: entry.identifierKind, countryCode: mapping.phoneCountryCode,
                                          trunkPrefix: mapping.phoneTrunkPrefix)
            } else {
                pseudonymiser.customerKey(bytes: bytes, kind: entry.identifierKind, countryCode: mapping.phoneCountryCode,
                                          trunkPrefix: mapping.phoneTrunkPrefix)
            }
            return key.map(FieldValue.text) ?? .null
        case .channel:
            // Read from the bytes when they spell a channel (any ASCII case): no string made per row.
            if text == nil, let channel = Channel.allCases.first(where: { ValueParsers.equalsIgnoringASCIICase(bytes, $0.rawValue) }) {
                return .text(channel.rawValue)
            }
            guard let channel = Channel(rawValue: (text ?? String(decoding: bytes, as: UTF8.self)).lowercased()) else {
                throw failure(entry, line, "unknown channel \"\(shown())\"; map it with `values:` to one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .text(channel.rawValue)
        case .direction:
            if text == nil, let direction = Direction.allCases.first(where: { ValueParsers.equalsIgnoringASCIICase(bytes, $0.rawValue) }) {
                return .text(direction.rawValue)
            }
            guard let direction = Direction(rawValue: (text ?? String(decoding: bytes, as: UTF8.self)).lowercased()) else {
                throw failure(entry, line, "unknown direction \"\(shown())\"; map it with `values:` to inbound or outbound")
            }
            return .text(direction.rawValue)
        case .boolean:
            guard let value = ValueParsers.boolean(bytes) else { throw failure(entry, line, "\(field.rawValue): cannot read \"\(shown())\" as true or false") }
            return .integer(value ? 1 : 0)
        case .integer:
            guard let value = ValueParsers.integer(bytes) else { throw failure(entry, line, "\(field.rawValue): cannot read \"\(shown())\" as a whole number") }
            return .integer(value)
        case .seconds:
            guard let value = ValueParsers.duration(bytes, format: entry.duration, decimalSeparator: mapping.decimalSeparator) else {
                throw failure(entry, line, "\(field.rawValue): cannot read \"\(shown())\" as a duration in \(entry.duration.rawValue)")
            }
            return .real(value)
        case .instant:
            return .integer(try instant(bytes, entry: entry, line: line, shown: shown()))
        case .version:
            if let number = ValueParsers.integer(bytes), !entry.hasFormat { return .integer(number) }
            return .integer(try instant(bytes, entry: entry, line: line, shown: shown()))
        }
    }

    /// Reads an instant as UTC milliseconds; local times take the mapping's zone, DST-checked.
    /// (`shown` is the value as a message may show it, made only when one is.)
    private func instant(_ bytes: UnsafeRawBufferPointer, entry: Entry, line: Int, shown: @autoclosure () -> String) throws(InputError) -> Int64 {
        let field = entry.field
        let format = entry.format
        func fail(_ reason: String) -> InputError { failure(entry, line, reason) }
        guard let parsed = format.parse(bytes) else {
            throw fail("\(field.rawValue): cannot read \"\(shown())\" as a timestamp in the format \(format.pattern)")
        }
        if let offset = parsed.offsetSeconds { return parsed.localMilliseconds - Int64(offset) * 1000 }
        if mapping.name == "canonical" {
            throw fail("\(field.rawValue): \"\(shown())\" has no UTC offset; canonical timestamps need one (Z or +01:00)")
        }
        let wholeSeconds = parsed.localMilliseconds >= 0 ? parsed.localMilliseconds / 1000 : (parsed.localMilliseconds - 999) / 1000
        let millis = parsed.localMilliseconds - wholeSeconds * 1000
        switch clock.resolve(local: wholeSeconds) {
        case .unique(let t): return t * 1000 + millis
        case .gap:
            throw fail("\(field.rawValue): \"\(shown())\" does not exist in \(clock.identifier): the clocks skipped it (spring DST gap)")
        case .ambiguous(let earlier, let later):
            switch mapping.ambiguousTime {
            case .earlier: return earlier * 1000 + millis
            case .later: return later * 1000 + millis
            case .reject:
                throw fail("\(field.rawValue): \"\(shown())\" happens twice in \(clock.identifier) (autumn DST change) and ambiguous_time is reject")
            }
        }
    }
}

func delimiterName(_ byte: UInt8) -> String {
    switch byte {
    case 0x09: "tab"
    default: "\"\(Character(Unicode.Scalar(byte)))\""
    }
}

func formatSeconds(_ value: Double) -> String {
    // Whole numbers print without ".0"; beyond 2⁵³ (or not finite) Double's own form, never a trapping conversion.
    abs(value) < 9e15 && value == value.rounded() ? String(Int64(value)) : String(value)
}

/// A row's values by canonical field, indexed by `CanonicalField.ordinal`; kept inline (on the stack),
/// not in an array allocated for every row.
struct FieldValues {
    /// Room for every canonical field (a test checks there are no more).
    static let capacity = 32
    private var storage = InlineArray<32, FieldValue?>(repeating: nil)

    subscript(field: CanonicalField) -> FieldValue? {
        get { storage[field.ordinal] }
        set { storage[field.ordinal] = newValue }
    }

    /// Parsed instants (UTC milliseconds) by field.
    struct Instants {
        private var storage = InlineArray<32, Int64?>(repeating: nil)

        subscript(field: CanonicalField) -> Int64? {
            get { storage[field.ordinal] }
            set { storage[field.ordinal] = newValue }
        }
    }
}

/// A mapping's compiled `extract:` pattern. A class of its own, so that the code reading each field
/// never handles the regex's generic type: holding it there looked its type metadata up on every field
/// of every row (3.2% of reading a file in that lookup alone), whether or not the field had a pattern.
private final class ExtractPattern {
    nonisolated(unsafe) let regex: Regex<AnyRegexOutput>

    init?(_ pattern: String) {
        guard let regex = try? Regex(pattern) else { return nil }
        self.regex = regex
    }

    /// The first capture group of the first match (the whole match without groups); nil without a match.
    @inline(never)
    func firstCapture(in value: String) -> String? {
        guard let match = value.firstMatch(of: regex) else { return nil }
        let groups = match.output
        return String((groups.count > 1 ? groups[1].substring : groups[0].substring) ?? "")
    }
}

/// Not `Sendable`: per-row scratch buffers reused across rows.
@available(*, unavailable)
extension RowMapper: Sendable {}
