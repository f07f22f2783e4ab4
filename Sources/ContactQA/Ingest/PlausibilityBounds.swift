import Foundation

/// Values no contact centre produces. A row holding one is quarantined naming the bound, so that
/// one contact dated 9999 or a wait of 10³⁰⁰ seconds cannot move a week's report, block later
/// corrections of its record, or overflow a sum.
///
/// Defaults: timestamps from 2000-01-01 to the day after the as-of date (UTC), handle-time parts
/// (talk, hold, after-call work) up to 7 days, waits up to 30 days. A site sets its own in the
/// pipeline's `bounds:` key.
struct PlausibilityBounds: Sendable, Equatable {
    var earliest = LocalDate(year: 2000, month: 1, day: 1)
    /// The last day (UTC) a timestamp may fall on.
    var latest: LocalDate
    var maximumDurationSeconds = 7 * 86_400.0
    var maximumWaitSeconds = 30 * 86_400.0

    /// Bounds for data loaded on `asOf`: timestamps up to the next day.
    package init(asOf: LocalDate) { latest = asOf.adding(days: 1) }

    /// Bounds for data loaded now.
    package static func today() -> PlausibilityBounds {
        PlausibilityBounds(asOf: ZoneClock.utc.localDate(atUTC: Int64(Date().timeIntervalSince1970)))
    }

    private var earliestMilliseconds: Int64 { Int64(earliest.dayNumber) * 86_400_000 }
    private var endMilliseconds: Int64 { Int64(latest.dayNumber + 1) * 86_400_000 }

    /// What a column's values are checked against.
    enum Check: Sendable, Equatable {
        case none, instant, duration, wait

        init(column: String) {
            switch CanonicalField(rawValue: column)?.kind {
            case .instant: self = .instant
            case .seconds: self = column == CanonicalField.waitSeconds.rawValue ? .wait : .duration
            default: self = .none
            }
        }
    }

    /// The first value of a mapped row outside the bounds, as (canonical column, reason); nil when all hold.
    func violation(in row: MappedRow, layout: RowLayout) -> (field: String, reason: String)? {
        // Per row, on the load's hot path: no arrays built, only the values checked in place.
        if let contact = row.contact, let problem = violation(in: contact, columns: layout.contactColumns, checks: layout.contactChecks) { return problem }
        if let problem = violation(in: row.legValues, columns: layout.legColumns, checks: layout.legChecks) { return problem }
        // A version that is a timestamp (ms since 2000) must not lie in the future: it would outrank every later correction.
        if let problem = versionProblem(row.version) ?? versionProblem(row.legVersion) { return ("version", problem) }
        return nil
    }

    private func versionProblem(_ version: Int64?) -> String? {
        guard let v = version, v >= earliestMilliseconds, v >= endMilliseconds else { return nil }
        return "the record's update time \(PlausibilityBounds.show(v)) lies after \(latest), the last plausible day"
    }

    private func violation(in values: [FieldValue], columns: [String], checks: [Check]) -> (field: String, reason: String)? {
        for i in 0..<min(values.count, checks.count) {
            switch (checks[i], values[i]) {
            case (.instant, .integer(let ms)):
                guard ms < earliestMilliseconds || ms >= endMilliseconds, let reason = instantProblem(ms) else { continue }
                return (columns[i], reason)
            case (.duration, .real(let seconds)), (.wait, .real(let seconds)):
                let limit = checks[i] == .wait ? maximumWaitSeconds : maximumDurationSeconds
                if !seconds.isFinite || seconds > limit {
                    let column = columns[i]
                    // The value is masked like any echoed input: a customer's number shifted into the column reads as seconds.
                    return (column, "\(column) is \(seconds.isFinite ? Redactor.display(formatSeconds(seconds)) + " s" : "not a number"), beyond the plausible "
                            + "\(formatSeconds(limit)) s (\(Int(limit / 86_400)) days; a site sets its own in the pipeline's bounds:)")
                }
            default: continue
            }
        }
        return nil
    }

    /// A UTC instant as `YYYY-MM-DDTHH:MM:SSZ`.
    static func show(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - day * 86_400)
        return "\(LocalDate(dayNumber: Int(day)))T" + String(format: "%02d:%02d:%02dZ", rest / 3600, rest / 60 % 60, rest % 60)
    }

    private func instantProblem(_ ms: Int64) -> String? {
        if ms < earliestMilliseconds {
            return "\(PlausibilityBounds.show(ms)) is before \(earliest), the earliest plausible day (a site sets its own in the pipeline's bounds:)"
        }
        if ms >= endMilliseconds {
            return "\(PlausibilityBounds.show(ms)) is after \(latest), the last plausible day (the day after the as-of date)"
        }
        return nil
    }
}
