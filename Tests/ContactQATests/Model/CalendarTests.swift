@testable import ContactQA
import ContactQATesting
import Testing

@Suite("Dates, ISO weeks and time zones")
struct CalendarTests {
    @Test func dayNumbersRoundTrip() {
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let c = LocalDate(dayNumber: day).components
            #expect(LocalDate(year: c.year, month: c.month, day: c.day).dayNumber == day)
        }
        #expect(LocalDate(year: 1970, month: 1, day: 1).dayNumber == 0)
        #expect(LocalDate(year: 2026, month: 11, day: 23).isoWeekday == 1)  // a Monday
        #expect(LocalDate(iso: "2026-02-29") == nil)
        #expect(LocalDate(iso: "2024-02-29")?.description == "2024-02-29")
    }

    @Test func isoWeeksAroundTheTurnOfTheYear() {
        // 2026 starts on a Thursday, so it has a week 53 running into 2027.
        #expect(ISOWeek.weeks(in: 2026) == 53)
        #expect(ISOWeek.weeks(in: 2025) == 52)
        #expect(ISOWeek.weeks(in: 2020) == 53)  // leap year starting on a Wednesday
        #expect(LocalDate(iso: "2026-12-31")!.isoWeek.description == "2026-W53")
        #expect(LocalDate(iso: "2027-01-03")!.isoWeek.description == "2026-W53")
        #expect(LocalDate(iso: "2027-01-04")!.isoWeek.description == "2027-W01")
        #expect(LocalDate(iso: "2026-01-01")!.isoWeek.description == "2026-W01")
        #expect(LocalDate(iso: "2025-12-29")!.isoWeek.description == "2026-W01")
        #expect(ISOWeek("2026-W53")!.monday.description == "2026-12-28")
        #expect(ISOWeek("2026-W53")!.sunday.description == "2027-01-03")
        #expect(ISOWeek("2025-W53") == nil)
        #expect(ISOWeek("2026-W47")!.monday.description == "2026-11-16")
    }

    @Test func londonOffsetsAcrossBothDSTChanges() {
        let london = ZoneClock(identifier: "Europe/London")!
        // 2026: clocks go forward at 01:00 UTC on 29 March, back at 01:00 UTC on 25 October.
        #expect(london.offset(atUTC: utcMillis("2026-03-29T00:59:59Z") / 1000) == 0)
        #expect(london.offset(atUTC: utcMillis("2026-03-29T01:00:00Z") / 1000) == 3600)
        #expect(london.offset(atUTC: utcMillis("2026-10-25T00:59:59Z") / 1000) == 3600)
        #expect(london.offset(atUTC: utcMillis("2026-10-25T01:00:00Z") / 1000) == 0)
    }

    @Test func springGapAndRepeatedAutumnHour() {
        let london = ZoneClock(identifier: "Europe/London")!
        let gapLocal = Int64(LocalDate(iso: "2026-03-29")!.dayNumber) * 86_400 + 3600 + 1800  // 01:30 never happens
        #expect(london.resolve(local: gapLocal) == .gap)
        let repeatedLocal = Int64(LocalDate(iso: "2026-10-25")!.dayNumber) * 86_400 + 3600 + 1800  // 01:30 happens twice
        #expect(london.resolve(local: repeatedLocal) == .ambiguous(
            earlier: utcMillis("2026-10-25T00:30:00Z") / 1000, later: utcMillis("2026-10-25T01:30:00Z") / 1000))
        let normal = Int64(LocalDate(iso: "2026-07-01")!.dayNumber) * 86_400 + 12 * 3600
        #expect(london.resolve(local: normal) == .unique(utcMillis("2026-07-01T11:00:00Z") / 1000))
    }

    @Test func localDatesOfInstantsNearMidnightInSummer() {
        let london = ZoneClock(identifier: "Europe/London")!
        // 23:30 UTC on a summer Sunday is already Monday 00:30 in London: the next ISO week.
        let date = london.localDate(atUTC: utcMillis("2026-06-14T23:30:00Z") / 1000)
        #expect(date.description == "2026-06-15")
        #expect(date.isoWeek.description == "2026-W25")
        #expect(london.startOfDay(LocalDate(iso: "2026-06-15")!) == utcMillis("2026-06-14T23:00:00Z") / 1000)
    }
}

@Suite("Timestamp patterns")
struct TimestampFormatTests {
    func parse(_ pattern: String, _ text: String) -> TimestampFormat.Parsed? {
        Array(text.utf8).withUnsafeBytes { TimestampFormat(pattern)!.parse($0) }
    }

    func local(_ iso: String) -> Int64 { utcMillis(iso + "Z") }

    @Test func patterns() {
        #expect(parse("dd/MM/yyyy HH:mm:ss", "17/11/2026 09:00:05")?.localMilliseconds == local("2026-11-17T09:00:05"))
        #expect(parse("MM/dd/yyyy hh:mm:ss a", "11/16/2026 01:45:09 PM")?.localMilliseconds == local("2026-11-16T13:45:09"))
        #expect(parse("MM/dd/yyyy hh:mm:ss a", "11/16/2026 12:05:00 AM")?.localMilliseconds == local("2026-11-16T00:05:00"))
        #expect(parse("M/d/yyyy", "1/5/2026")?.localMilliseconds == local("2026-01-05T00:00:00"))
        #expect(parse("dd.MM.yyyy HH:mm", "05.01.2026 07:30")?.localMilliseconds == local("2026-01-05T07:30:00"))
        #expect(parse("yyyy-MM-dd HH:mm:ss.S", "2026-01-05 07:30:00.25")?.localMilliseconds == local("2026-01-05T07:30:00") + 250)
    }

    @Test func iso8601WithAndWithoutOffsets() {
        #expect(parse("iso8601", "2026-11-16T09:00:00Z")?.offsetSeconds == 0)
        #expect(parse("iso8601", "2026-11-16T09:00:00+01:00")?.offsetSeconds == 3600)
        #expect(parse("iso8601", "2026-11-16T09:00:00.123-0500")?.offsetSeconds == -18000)
        #expect(parse("iso8601", "2026-11-16 09:00:00")?.offsetSeconds == nil)
        #expect(parse("iso8601", "2026-11-16")?.localMilliseconds == local("2026-11-16T00:00:00"))
    }

    @Test func impossibleOrMalformedTimesAreRefused() {
        #expect(parse("dd/MM/yyyy HH:mm:ss", "31/02/2026 10:00:00") == nil)
        #expect(parse("dd/MM/yyyy HH:mm:ss", "17/11/2026 25:00:00") == nil)
        #expect(parse("dd/MM/yyyy HH:mm:ss", "17/11/2026 09:00") == nil)
        #expect(parse("dd/MM/yyyy HH:mm:ss", "17/11/2026 09:00:00 extra") == nil)
        #expect(parse("iso8601", "yesterday") == nil)
        #expect(TimestampFormat("no letters") == nil)
    }

    /// `iso8601` reads its most common form at fixed positions; the same pattern spelled out (which
    /// walks its tokens) is the reference, for valid instants, impossible ones and near misses.
    @Test func theFixedUTCFormIsReadAsThePatternReadsIt() {
        var texts = ["2026-11-17T09:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T12:00:00Z", "2026-12-31T23:59:60Z",
                     "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z",
                     "2026-01-01T10:60:00Z", "2026-01-01T10:00:61Z", "2026-01-01 10:00:00Z", "2026-01-01t10:00:00Z",
                     "2026-01-01T10:00:00z", "2026-01-0aT10:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                     "2026/01/01T10:00:00Z", "2026-01-01T10:00:00+", "2026-01-01T10:00:0Z"]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let y = 1990 + Int(generator.next() % 60), m = 1 + Int(generator.next() % 13), d = 1 + Int(generator.next() % 31)
            let h = Int(generator.next() % 25), mi = Int(generator.next() % 61), s = Int(generator.next() % 62)
            texts.append(String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, s))
        }
        for text in texts {
            #expect(parse("iso8601", text) == parse("yyyy-MM-dd[THH:mm[:ss[.S]]][XXX]", text), "\(text)")
        }
        #expect(parse("iso8601", "2026-11-17T09:00:00Z") == TimestampFormat.Parsed(localMilliseconds: utcMillis("2026-11-17T09:00:00Z"), offsetSeconds: 0))
    }
}

@Suite("Value parsers")
struct ValueParserTests {
    func duration(_ text: String, _ format: DurationFormat, decimal: Character = ".") -> Double? {
        Array(text.utf8).withUnsafeBytes { ValueParsers.duration($0, format: format, decimalSeparator: UInt8(ascii: decimal.unicodeScalars.first!)) }
    }

    @Test func durations() {
        #expect(duration("12.5", .seconds) == 12.5)
        #expect(duration("12,5", .seconds, decimal: ",") == 12.5)
        #expect(duration("3:05", .minutesSeconds) == 185)
        #expect(duration("75:00", .minutesSeconds) == 4500)
        #expect(duration("1:02:03", .hoursMinutesSeconds) == 3723)
        #expect(duration("0:04:35", .hoursMinutesSeconds) == 275)
        #expect(duration("2.5", .minutes) == 150)
        #expect(duration("-4", .seconds) == -4)
        #expect(duration("1:60", .minutesSeconds) == nil)
        #expect(duration("abc", .seconds) == nil)
        #expect(duration("12,5", .seconds) == nil)
    }

    @Test func booleans() {
        for (text, value) in [("true", true), ("FALSE", false), ("Yes", true), ("no", false), ("Y", true), ("0", false), ("1", true)] {
            #expect(Array(text.utf8).withUnsafeBytes { ValueParsers.boolean($0) } == value)
        }
        for text in ["maybe", "tru", "truee", "yess", "n0", "ＴＲＵＥ", ""] {
            #expect(Array(text.utf8).withUnsafeBytes { ValueParsers.boolean($0) } == nil, "\(text)")
        }
        #expect(Array("nO".utf8).withUnsafeBytes { ValueParsers.boolean($0) } == false)
    }
}
