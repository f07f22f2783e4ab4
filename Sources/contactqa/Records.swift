import ArgumentParser
import ContactQA
import Foundation

struct Records: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One agent's monitoring records as JSON: evaluations with answers, acknowledgements, disputes and their outcome, action plans."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The agent whose records to export.") var agent: String

    func run() throws {
        print(try AgentRecords.json(store: try store.open(), agent: agent).rendered())
    }
}
