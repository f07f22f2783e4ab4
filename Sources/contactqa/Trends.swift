import ArgumentParser
import ContactQA
import Foundation

struct Trends: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Trends, control charts, colleague funnels, reason surges and data checks for a week (docs/trends.md)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var store: StoreOptions
    @OptionGroup var period: PeriodOptions
    @Option(parsing: .unconditional, help: "Weeks of history, the current one included (at least 8 for tests and charts).") var weeks: Int = 13
    @Option(help: "table or json.") var format: Format = .table
    @Option(name: .customLong("as-of"), help: ArgumentHelp("The date the report is made; default today.", valueName: "yyyy-mm-dd")) var asOf: LocalDate?

    func validate() throws {
        guard (2...520).contains(weeks) else { throw ValidationError("--weeks lies in 2–520 (8 or more for trend tests), not \(weeks)") }
    }

    func run() throws {
        let opened = try store.open()
        let period = try period.period(siteTimeZone: opened.siteTimeZone)
        let week = period.to.isoWeek
        var engine = TrendsEngine(store: opened)
        engine.history = weeks
        let report = try engine.report(week: week, clock: period.clock, parameters: KPIParameters(), asOf: dateOrToday(asOf, clock: period.clock))
        switch format {
        case .table: print(report.table, terminator: "")
        case .json: print(report.json.rendered())
        }
    }
}
