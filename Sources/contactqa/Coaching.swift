import ArgumentParser
import ContactQA
import Foundation

struct Coaching: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Action plans: list them (reviews due with --due) and whether each criterion improved; add and review plans.",
        subcommands: [List.self, Add.self, Review.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List action plans.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Only plans whose review is due.") var due = false
        @Option(name: .customLong("as-of"), help: ArgumentHelp("Today, for due reviews (YYYY-MM-DD).", valueName: "yyyy-mm-dd")) var asOf: LocalDate?

        func run() throws {
            let opened = try store.open()
            let today = dateOrToday(asOf, clock: ZoneClock(identifier: opened.siteTimeZone) ?? .utc)
            let plans = try opened.actionPlans().filter { !due || $0.isDue(asOf: today) }
            if plans.isEmpty { print(due ? "no review is due" : "no action plan recorded") }
            for p in plans {
                let change: String
                switch p.improved {
                case true?: change = "improved (the 95% interval of the change lies above zero)"
                case false?: change = "no clear improvement"
                case nil: change = "not enough evaluations to tell"
                }
                let means = [p.before.map { String(format: "before %.0f%% (n %d)", $0.mean * 100, $0.n) }, p.since.map { String(format: "since %.0f%% (n %d)", $0.mean * 100, $0.n) }]
                    .compactMap { $0 }.joined(separator: ", ")
                print("#\(p.id) \(p.agent) · \(p.criterion) · \(p.action) · agreed \(p.agreedOn), review by \(p.reviewBy)\(p.isDue(asOf: today) ? " (DUE)" : "") · \(p.status.rawValue) · \(change)\(means.isEmpty ? "" : " (\(means))")")
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an agreed action plan.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The agent.") var agent: String
        @Option(help: "The scorecard criterion the plan addresses.") var criterion: String
        @Option(help: "The coaching or training action.") var action: String
        @Option(name: .customLong("agreed-on"), help: ArgumentHelp("YYYY-MM-DD", valueName: "yyyy-mm-dd")) var agreedOn: LocalDate
        @Option(name: .customLong("review-by"), help: ArgumentHelp("YYYY-MM-DD", valueName: "yyyy-mm-dd")) var reviewBy: LocalDate

        func run() throws {
            let id = try store.open().addActionPlan(agent: agent, criterion: criterion, action: action, agreedOn: agreedOn, reviewBy: reviewBy)
            print("recorded action plan #\(id)")
        }
    }

    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an action plan reviewed.")
        @OptionGroup var store: StoreOptions
        @Option(parsing: .unconditional, help: "The plan's number.") var id: Int64
        @Option(help: ArgumentHelp("The review date (YYYY-MM-DD); default today.", valueName: "yyyy-mm-dd")) var on: LocalDate?
        @Option(help: "What the review concluded.") var note: String?

        func run() throws {
            let opened = try store.open()
            let date = dateOrToday(on, clock: ZoneClock(identifier: opened.siteTimeZone) ?? .utc)
            try opened.reviewActionPlan(id: id, on: date, note: note)
            print("action plan #\(id) reviewed on \(date)")
        }
    }
}
