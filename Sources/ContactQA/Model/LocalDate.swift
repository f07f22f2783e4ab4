/// A calendar date without a time zone, as a count of days since 1970-01-01.
///
/// Pure arithmetic (Howard Hinnant's civil-date algorithms), so that grouping millions of rows
/// by day or ISO week never touches `Calendar`.
package struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01 (a Thursday).
    var dayNumber: Int

    package init(dayNumber: Int) { self.dayNumber = dayNumber }

    /// - Precondition: `month` in 1...12 and `day` valid for the month.
    package init(year: Int, month: Int, day: Int) {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        dayNumber = era * 146_097 + doe - 719_468
    }

    /// Parses `YYYY-MM-DD`; nil when malformed or not a real date.
    package init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= LocalDate.daysIn(month: m, year: y)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    var components: (year: Int, month: Int, day: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// ISO 8601 weekday: Monday = 1 … Sunday = 7.
    var isoWeekday: Int {
        let w = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday (3 with Monday = 0)
        return (w < 0 ? w + 7 : w) + 1
    }

    package var isoWeek: ISOWeek { ISOWeek(containing: self) }

    /// English names of the ISO weekdays, Monday first.
    static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }

    package var description: String {
        let c = components
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
    }

    package static func < (a: LocalDate, b: LocalDate) -> Bool { a.dayNumber < b.dayNumber }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// An ISO 8601 week (`2026-W53`): Monday to Sunday, week 1 holds the year's first Thursday.
package struct ISOWeek: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let year: Int
    package let week: Int

    package init(containing date: LocalDate) {
        let thursday = date.adding(days: 4 - date.isoWeekday)
        year = thursday.components.year
        week = (thursday.dayNumber - LocalDate(year: year, month: 1, day: 1).dayNumber) / 7 + 1
    }

    /// Parses `2026-W47`; nil when malformed or when the year has no such week.
    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let y = Int(parts[0]),
              parts[1].count == 3, parts[1].first == "W", let w = Int(parts[1].dropFirst()),
              w >= 1, w <= ISOWeek.weeks(in: y)
        else { return nil }
        year = y
        week = w
    }

    /// Number of ISO weeks in a year: 53 when it starts on a Thursday, or on a Wednesday in a leap year.
    package static func weeks(in year: Int) -> Int {
        let jan1 = LocalDate(year: year, month: 1, day: 1).isoWeekday
        return jan1 == 4 || (jan1 == 3 && LocalDate.isLeap(year)) ? 53 : 52
    }

    /// The Monday that opens the week.
    var monday: LocalDate {
        let jan4 = LocalDate(year: year, month: 1, day: 4)
        return jan4.adding(days: 1 - jan4.isoWeekday + (week - 1) * 7)
    }

    var sunday: LocalDate { monday.adding(days: 6) }

    package var description: String { "\(pad(year, 4))-W\(pad(week, 2))" }

    package static func < (a: ISOWeek, b: ISOWeek) -> Bool { (a.year, a.week) < (b.year, b.week) }
}

func pad(_ value: Int, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
