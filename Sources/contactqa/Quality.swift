import ArgumentParser
import ContactQA
import Foundation

struct Quality: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "QA scores: each evaluation, design-weighted estimates by agent, team or evaluator, and calibration (docs/quality.md)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "The store.") var store: String
    @OptionGroup var period: PeriodOptions
    @Option(help: "agent, team or evaluator.") var by: QualityGrouping = .agent
    @Option(help: "table or json.") var format: Format = .table

    func run() throws {
        let sqlite = try openExistingStore(store)
        let report = try QualityEngine(store: sqlite).report(period: try period.period(siteTimeZone: sqlite.siteTimeZone), groupBy: by)
        switch format {
        case .table: print(report.table, terminator: "")
        case .json: print(report.json.rendered())
        }
    }
}

extension QualityGrouping: ExpressibleByArgument {}
