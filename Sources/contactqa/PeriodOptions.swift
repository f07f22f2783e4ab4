import ArgumentParser
import ContactQA
import Foundation

/// `--week` or `--from`/`--to`, as local dates of the store's site timezone or `--timezone`.
struct PeriodOptions: ParsableArguments {
    @Option(help: "An ISO week, e.g. 2026-W47.")
    var week: String?

    @Option(help: "First local date (YYYY-MM-DD), with --to.")
    var from: String?

    @Option(help: "Last local date, inclusive.")
    var to: String?

    @Option(help: "The zone of the dates (default: the store's site timezone).")
    var timezone: String?

    func validate() throws {
        if week == nil, from == nil || to == nil { throw ValidationError("give --week W, or --from D and --to D") }
        if week != nil, from != nil || to != nil { throw ValidationError("give either --week or --from/--to, not both") }
        if let week, ISOWeek(week) == nil { throw ValidationError("--week \(week) is not an ISO week such as 2026-W47") }
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, LocalDate(iso: value) == nil { throw ValidationError("\(name) \(value) is not a date YYYY-MM-DD") }
        }
        if let from, let to, let a = LocalDate(iso: from), let b = LocalDate(iso: to), b < a {
            throw ValidationError("--to \(to) is before --from \(from)")
        }
    }

    func period(siteTimeZone: String) throws -> Period {
        let zone = timezone ?? siteTimeZone
        guard let clock = ZoneClock(identifier: zone) else { throw ValidationError("unknown time zone \"\(zone)\"") }
        if let week = week.flatMap(ISOWeek.init) { return Period(week: week, clock: clock) }
        return Period(from: LocalDate(iso: from!)!, to: LocalDate(iso: to!)!, clock: clock)
    }
}

/// `--store`: a SQLite file (a path, or `sqlite:PATH`) or a PostgreSQL URL (`postgres://user@host:port/db`,
/// the password from PGPASSWORD or a pgpass file, never the URL).
func openStore(_ spec: String, createWithTimeZone timeZone: String? = nil, wait: TimeInterval = SQLiteStore.defaultWait) throws -> any SQLStore {
    if PostgresStore.isURL(spec) { return try PostgresStore(url: spec, createWithTimeZone: timeZone) }
    return try SQLiteStore(path: sqlitePath(spec), createWithTimeZone: timeZone, wait: wait)
}

private func sqlitePath(_ spec: String) -> String { spec.hasPrefix("sqlite:") ? String(spec.dropFirst("sqlite:".count)) : spec }

/// An existing store: a SQLite file that must exist, or a PostgreSQL URL.
func openExistingStore(_ spec: String) throws -> any SQLStore {
    if PostgresStore.isURL(spec) { return try PostgresStore(url: spec) }
    let path = sqlitePath(spec)
    var info = stat()
    guard stat(path, &info) == 0 else {
        // A folder on the way that this user may not enter is not a missing store.
        throw ValidationError(errno == EACCES ? "cannot reach \(path): permission denied on a folder of its path" : "no store at \(path)")
    }
    return try SQLiteStore(path: path)
}
