import ArgumentParser
import ContactQA
import Foundation

struct AutoChecks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autochecks",
        abstract: "The scorecards' automatic checks (auto:) on every handled leg of a period, and their agreement with evaluators (docs/quality.md)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var store: StoreOptions
    @OptionGroup var period: PeriodOptions
    @Option(help: "table or json.") var format: Format = .table

    func run() throws {
        let opened = try store.open()
        let report = try AutoCheckReport.build(store: opened, period: try period.period(siteTimeZone: opened.siteTimeZone))
        switch format {
        case .table: print(report.table)
        case .json: print(report.json.rendered())
        }
    }
}
