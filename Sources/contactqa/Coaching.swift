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
        @Option(help: "The store.") var store: String
        @Flag(help: "Only plans whose review is due.") var due = false
        @Option(name: .customLong("as-of"), help: "Today, for due reviews (YYYY-MM-DD).") var asOf: String?

        func run() throws {
            let opened = try openExistingStore(store)
            let clock = ZoneClock(identifier: opened.siteTimeZone) ?? .utc
            let today = asOf.flatMap { LocalDate(iso: $0) } ?? clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
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
        @Option(help: "The store.") var store: String
        @Option(help: "The agent.") var agent: String
        @Option(help: "The scorecard criterion the plan addresses.") var criterion: String
        @Option(help: "The coaching or training action.") var action: String
        @Option(name: .customLong("agreed-on"), help: "YYYY-MM-DD") var agreedOn: String
        @Option(name: .customLong("review-by"), help: "YYYY-MM-DD") var reviewBy: String

        func run() throws {
            guard let agreed = LocalDate(iso: agreedOn), let review = LocalDate(iso: reviewBy) else { throw ValidationError("dates are YYYY-MM-DD") }
            let id = try openExistingStore(store).addActionPlan(agent: agent, criterion: criterion, action: action, agreedOn: agreed, reviewBy: review)
            print("recorded action plan #\(id)")
        }
    }

    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an action plan reviewed.")
        @Option(help: "The store.") var store: String
        @Option(parsing: .unconditional, help: "The plan's number.") var id: Int64
        @Option(help: "The review date (YYYY-MM-DD); default today.") var on: String?
        @Option(help: "What the review concluded.") var note: String?

        func run() throws {
            let opened = try openExistingStore(store)
            let clock = ZoneClock(identifier: opened.siteTimeZone) ?? .utc
            let date = on.flatMap { LocalDate(iso: $0) } ?? clock.localDate(atUTC: Int64(Date().timeIntervalSince1970))
            try opened.reviewActionPlan(id: id, on: date, note: note)
            print("action plan #\(id) reviewed on \(date)")
        }
    }
}
