import ArgumentParser
import ContactQA
import Foundation

/// `--store` of a command that reads or adds to an existing store.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store: a SQLite file, or a postgres://user@host:port/db URL (password from PGPASSWORD or ~/.pgpass).")
    var store: String

    func open() throws -> any SQLStore { try openExistingStore(store) }
}

/// `--week` or `--from`/`--to`, as local dates of the store's site timezone or `--timezone`.
struct PeriodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An ISO week, e.g. 2026-W47.", valueName: "yyyy-Www"))
    var week: ISOWeek?

    @Option(help: ArgumentHelp("First local date (YYYY-MM-DD), with --to.", valueName: "yyyy-mm-dd"))
    var from: LocalDate?

    @Option(help: ArgumentHelp("Last local date, inclusive.", valueName: "yyyy-mm-dd"))
    var to: LocalDate?

    @Option(help: "The zone of the dates (default: the store's site timezone).")
    var timezone: String?

    func validate() throws {
        if week == nil, from == nil || to == nil { throw ValidationError("give --week W, or --from D and --to D") }
        if week != nil, from != nil || to != nil { throw ValidationError("give either --week or --from/--to, not both") }
        if let from, let to, to < from { throw ValidationError("--to \(to) is before --from \(from)") }
    }

    func period(siteTimeZone: String) throws -> Period {
        let zone = timezone ?? siteTimeZone
        guard let clock = ZoneClock(identifier: zone) else { throw ValidationError("unknown time zone \"\(zone)\"") }
        if let week { return Period(week: week, clock: clock) }
        return Period(from: from!, to: to!, clock: clock)
    }
}

/// A date given on the command line, or today in the zone of `clock`.
func dateOrToday(_ date: LocalDate?, clock: ZoneClock) -> LocalDate {
    date ?? clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
}

// Dates and weeks are read and checked by the argument parser, which names the option in its error.
extension LocalDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(iso: argument) }
    public var defaultValueDescription: String { description }
}

extension ISOWeek: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
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
