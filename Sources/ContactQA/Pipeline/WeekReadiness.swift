import Foundation

/// When a nightly job may draw a week's sample and finalise its report: decided by the data loaded,
/// not by the calendar alone.
///
/// A contact source (the `source` of loaded contacts: `amazon-connect`, a CSV mapping's `source:`…)
/// is *waited for* by a week when it delivered contacts in the four weeks before the week's end.
/// - The week's **frame is complete** (its routine sample may be drawn) when the as-of date is past
///   the week's Sunday and every waited-for source has delivered a contact at or after the next
///   Monday 00:00 local time.
/// - The week is **final** when, in addition, every waited-for source has delivered a contact at or
///   after the week's end plus the FCR window (so every repeat contact that counts is loaded), the
///   pipeline's settle days have passed, and no day of the week is missing from a source that
///   delivers on that weekday (a gap).
///
/// A source declared complete (its files are a one-off export or a backfill) is not waited for; a
/// source retired on a date is waited for only until its data reaches that date.
struct WeekReadiness: Sendable, Equatable {
    /// A source whose loaded data stops before what the week needs.
    struct Lag: Sendable, Equatable {
        package var source: String
        /// The local date of its latest contact.
        var latest: LocalDate
        /// The first local date it must reach.
        var needed: LocalDate
        package var days: Int { needed.dayNumber - latest.dayNumber }
    }

    /// A day of the week without a single contact from a source that delivers on that weekday.
    struct Gap: Sendable, Equatable {
        package var source: String
        package var day: LocalDate
    }

    package var week: ISOWeek
    package var asOf: LocalDate
    var frameComplete: Bool
    package var final: Bool
    /// Sources behind the week's end (frame) or behind the end + FCR window (final).
    package var behind: [Lag]
    var gaps: [Gap]
    /// The date from which the settle period lets the week be final, when that is still ahead.
    var settlesOn: LocalDate?
    /// Contacts per source dated after the as-of day: left out of the completeness rules, reported.
    var future: [String: Int] = [:]
    /// The last day every waited-for source has delivered contacts of (the day before the as-of date
    /// when no source is waited for): what a daily release may draw.
    var deliveredThrough: LocalDate?

    /// Sentences for the data-quality section: contacts dated in the future.
    var futureNotes: [String] {
        future.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) contact\($0.value == 1 ? "" : "s") dated after \(asOf), the as-of date (a clock or an export gone wrong?); they do not count towards completeness" }
    }

    /// Sentences for the report and the log: why the week is still a draft. Empty when final.
    var reasons: [String] {
        var lines: [String] = []
        for lag in behind {
            lines.append("\(lag.source): data up to \(lag.latest), \(lag.days) day\(lag.days == 1 ? "" : "s") short of \(lag.needed)")
        }
        for gap in gaps {
            lines.append("\(gap.source): no contacts at all on \(gap.day) (a \(LocalDate.weekdayNames[gap.day.isoWeekday - 1]), a day it delivers on other weeks); load that day's export, or list the date under schedule.closed_days if the site was closed")
        }
        if let settlesOn { lines.append("the settle period ends on \(settlesOn)") }
        if !final, lines.isEmpty {
            lines.append("the FCR window of this week's last contacts has not passed yet")
        }
        return lines
    }
}

/// The site calendar of a nightly job: which weeks are due, and how ready each one is.
struct WeekCalendar: Sendable {
    package var clock: ZoneClock
    package var fcrWindowDays: Int
    /// Whole days after the week's end + FCR window before a week may be final.
    var settleDays = 0
    /// Earlier weeks still re-computed until final (the current week is always due).
    var lookBackWeeks = 4
    /// Sources whose files are complete exports: weeks never wait for more of their data.
    var completeSources: Set<String> = []
    /// Sources retired on a date: weeks ending after it do not wait for them.
    var retiredSources: [String: LocalDate] = [:]
    /// Dates the site was closed: no gap is flagged on them.
    var closedDays: Set<LocalDate> = []

    package init(clock: ZoneClock, fcrWindowDays: Int) {
        self.clock = clock
        self.fcrWindowDays = fcrWindowDays
    }

    /// The weeks a run on `asOf` looks at, oldest first: the current week and `lookBackWeeks` before it.
    func weeksDue(asOf: LocalDate) -> [ISOWeek] {
        (0...lookBackWeeks).reversed().map { ISOWeek(containing: asOf.adding(days: -7 * $0)) }
    }

    /// How ready `week` is on `asOf`, from what the store holds.
    func readiness(of week: ISOWeek, asOf: LocalDate, store: any SQLStore) throws -> WeekReadiness {
        let ms: (LocalDate) -> Int64 = { clock.startOfDay($0) * 1000 }
        let nextMonday = week.sunday.adding(days: 1)
        let fcrEnd = nextMonday.adding(days: fcrWindowDays)
        // Latest contact of every source active in the four weeks before the week's end.
        // Contacts dated after the as-of day (a clock or an export gone wrong) say nothing of completeness.
        let latest = try store.latestArrivalBySource(fromUTC: ms(week.monday.adding(days: -28)), toUTC: ms(asOf.adding(days: 1)))
        let future = try store.contactCountBySource(fromUTC: ms(asOf.adding(days: 1)))
        let waited = latest.keys.filter { !completeSources.contains($0) }.sorted()
        func lags(until date: LocalDate) -> [WeekReadiness.Lag] {
            waited.compactMap { source in
                let at = latest[source]!
                // A retired source is waited for only up to its last day.
                let needed = retiredSources[source].map { min($0, date) } ?? date
                guard at < ms(needed) else { return nil }
                return WeekReadiness.Lag(source: source, latest: clock.localDate(atUTC: at / 1000), needed: needed)
            }
        }
        let frameLags = lags(until: nextMonday)
        let frameComplete = asOf > week.sunday && frameLags.isEmpty
        // A gap: a day of the week without contacts from a source that delivered on that weekday in
        // the four weeks before. Only days the source's data has already passed can be gaps.
        var gaps: [WeekReadiness.Gap] = []
        for offset in 0..<7 {
            let day = week.monday.adding(days: offset)
            guard !closedDays.contains(day) else { continue }
            let counts = try dayCounts(day, store: store)
            for source in waited where counts[source] == nil && latest[source]! >= ms(day.adding(days: 1)) {
                var deliversThatWeekday = false
                for back in 1...4 where try dayCounts(day.adding(days: -7 * back), store: store)[source] != nil {
                    deliversThatWeekday = true
                    break
                }
                if deliversThatWeekday { gaps.append(.init(source: source, day: day)) }
            }
        }
        let finalLags = lags(until: fcrEnd)
        let settled = fcrEnd.adding(days: settleDays)
        let calendarDone = asOf >= settled
        let final = frameComplete && finalLags.isEmpty && gaps.isEmpty && calendarDone
        let delivered = waited.filter { retiredSources[$0].map { $0 >= asOf } ?? true }
            .map { clock.localDate(atUTC: latest[$0]! / 1000) }.min()
        return WeekReadiness(week: week, asOf: asOf, frameComplete: frameComplete, final: final,
                             behind: finalLags, gaps: gaps,
                             settlesOn: !calendarDone && settleDays > 0 && finalLags.isEmpty ? settled : nil, future: future,
                             deliveredThrough: delivered ?? asOf.adding(days: -1))
    }

    private func dayCounts(_ day: LocalDate, store: any SQLStore) throws -> [String: Int] {
        try store.contactCountBySource(fromUTC: clock.startOfDay(day) * 1000, toUTC: clock.startOfDay(day.adding(days: 1)) * 1000)
    }
}
