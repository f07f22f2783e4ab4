import ArgumentParser
import ContactQA
import Foundation

struct Quality: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "QA scores: each evaluation, design-weighted estimates by agent, team or evaluator, and calibration (docs/quality.md)."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var store: StoreOptions
    @OptionGroup var period: PeriodOptions
    @Option(help: "agent, team, evaluator or week.") var by: QualityGrouping = .agent
    @Option(help: "table or json.") var format: Format = .table
    @Option(name: .customLong("feedback-packs"), help: "Also write each agent's feedback pack (Markdown and HTML) into this folder, one subfolder per team.")
    var feedbackPacks: String?

    func run() throws {
        let opened = try store.open()
        let span = try period.period(siteTimeZone: opened.siteTimeZone)
        let report = try QualityEngine(store: opened).report(period: span, groupBy: by)
        if let feedbackPacks {
            let written = try FeedbackPack.write(try FeedbackPack.build(store: opened, period: span), to: feedbackPacks)
            FileHandle.standardError.write(Data("wrote \(written.count) feedback packs into \(feedbackPacks)\n".utf8))
        }
        switch format {
        case .table: print(report.table, terminator: "")
        case .json: print(report.json.rendered())
        }
    }
}

extension QualityGrouping: ExpressibleByArgument {}
