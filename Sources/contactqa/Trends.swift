import ArgumentParser
import ContactQA
import Foundation

struct Trends: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Trends, control charts, colleague funnels, reason surges and data checks for a week (docs/trends.md)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "The store.") var store: String
    @OptionGroup var period: PeriodOptions
    @Option(parsing: .unconditional, help: "Weeks of history, the current one included (at least 8 for tests and charts).") var weeks: Int = 13
    @Option(help: "table or json.") var format: Format = .table
    @Option(name: .customLong("as-of"), help: "The date the report is made; default today.") var asOf: String?

    func validate() throws {
        guard (2...520).contains(weeks) else { throw ValidationError("--weeks lies in 2–520 (8 or more for trend tests), not \(weeks)") }
        if let asOf, LocalDate(iso: asOf) == nil { throw ValidationError("--as-of \(asOf) is not a date YYYY-MM-DD") }
    }

    func run() throws {
        let opened = try openExistingStore(store)
        let period = try period.period(siteTimeZone: opened.siteTimeZone)
        let week = period.to.isoWeek
        var engine = TrendsEngine(store: opened)
        engine.history = weeks
        let today = asOf.flatMap { LocalDate(iso: $0) } ?? period.clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
        let report = try engine.report(week: week, clock: period.clock, parameters: KPIParameters(), asOf: today)
        switch format {
        case .table: print(report.table, terminator: "")
        case .json: print(report.json.rendered())
        }
    }
}
