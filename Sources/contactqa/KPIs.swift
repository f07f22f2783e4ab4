import ArgumentParser
import ContactQA
import Foundation

struct KPIs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpis",
        abstract: "Contact-centre KPIs for a period, grouped, with 95% intervals.",
        discussion: "JSON and CSV fields are documented in docs/cli.md; definitions in docs/kpis.md."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var store: StoreOptions

    @OptionGroup var period: PeriodOptions

    @Option(help: "Group by one or two of: \(GroupDimension.allCases.map(\.rawValue).joined(separator: ", ")) (comma-separated).")
    var by: String?

    @Option(help: "table, json or csv.")
    var format: Format = .table

    @Option(name: .customLong("short-abandon-s"), parsing: .unconditional, help: "Abandons with a known wait below this many seconds are short abandons.")
    var shortAbandonSeconds: Double = 5

    @Option(name: .customLong("service-level-s"), help: "Service-level thresholds per channel, e.g. voice=20,email=86400.")
    var serviceLevel: String?

    @Option(name: .customLong("fcr-window-days"), parsing: .unconditional, help: "FCR: a later contact within this many days is a repeat (SQM's internal method uses 30).")
    var fcrWindowDays: Int = 7

    @Option(name: .customLong("fcr-match"), help: "FCR: customer, or customer+reason.")
    var fcrMatch: String = "customer"

    @Option(name: .customLong("fcr-method"), help: "FCR: repeat_contact, or resolved (the source's resolved flag).")
    var fcrMethod: String = "repeat_contact"

    @Option(name: .customLong("csat-top-boxes"), parsing: .unconditional, help: "CSAT: how many top boxes count as satisfied (default: 2 on 4+ point scales, 1 on 2–3).")
    var csatTopBoxes: Int?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("The date the report is made (decides provisional periods); default today.", valueName: "yyyy-mm-dd"))
    var asOf: LocalDate?

    func validate() throws {
        _ = try groupBy()
        _ = try parameters()
        guard shortAbandonSeconds >= 0, shortAbandonSeconds <= 86_400 else { throw ValidationError("--short-abandon-s lies in 0–86400 seconds") }
        guard (1...366).contains(fcrWindowDays) else { throw ValidationError("--fcr-window-days lies in 1–366 days, not \(fcrWindowDays)") }
    }

    func groupBy() throws -> [GroupDimension] {
        guard let by, !by.isEmpty else { return [] }
        let names = by.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.count <= 2 else { throw ValidationError("--by takes one field or a pair, not \(names.count)") }
        guard Set(names).count == names.count else { throw ValidationError("--by names \(names[0]) twice") }
        return try names.map { name in
            guard let dimension = GroupDimension(rawValue: name) else {
                throw ValidationError("unknown grouping \"\(name)\"; use \(GroupDimension.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return dimension
        }
    }

    func parameters() throws -> KPIParameters {
        guard let match = KPIParameters.FCRMatch(rawValue: fcrMatch) else { throw ValidationError("--fcr-match is customer or customer+reason, not \(fcrMatch)") }
        guard let method = KPIParameters.FCRMethod(rawValue: fcrMethod) else { throw ValidationError("--fcr-method is repeat_contact or resolved, not \(fcrMethod)") }
        var parameters = KPIParameters(shortAbandonSeconds: shortAbandonSeconds, fcrWindowDays: fcrWindowDays, fcrMatch: match,
                                       fcrMethod: method, csatTopBoxes: csatTopBoxes)
        for pair in (serviceLevel ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let channel = Channel(rawValue: String(parts[0])), let seconds = Double(parts[1]), seconds >= 0 else {
                throw ValidationError("--service-level-s takes channel=seconds pairs, e.g. voice=20,email=86400; cannot read \"\(pair)\"")
            }
            parameters.serviceLevelSeconds[channel] = seconds
        }
        do { try parameters.validate() } catch { throw ValidationError(error.description) }
        return parameters
    }

    func run() throws {
        let opened = try store.open()
        let period = try period.period(siteTimeZone: opened.siteTimeZone)
        let report = try KPIEngine(store: opened).report(period: period, groupBy: try groupBy(), parameters: try parameters(),
                                                         asOf: dateOrToday(asOf, clock: period.clock))
        switch format {
        case .table:
            print(report.table, terminator: "")
            if report.total.offered == 0 { FileHandle.standardError.write(Data("note: no inbound contacts in this period: every rate is unknown (-)\n".utf8)) }
        case .json: print(report.json.rendered())
        case .csv: print(report.csv, terminator: "")
        }
    }
}
