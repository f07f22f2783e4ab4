import ArgumentParser
import ContactQA
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic contacts in the canonical CSV layout (deterministic by seed), for benchmarks and tests."
    )

    @Option(parsing: .unconditional, help: "How many contacts.")
    var rows: Int

    @Option(parsing: .unconditional, help: "The random seed; the same seed writes the same file.")
    var seed: UInt64 = 1

    @Option(help: "The Monday the data starts on.")
    var start = LocalDate(year: 2026, month: 10, day: 26)

    @Option(parsing: .unconditional, help: "How many weeks the contacts spread over.")
    var weeks: Int = 4

    @Option(help: "Prefix of the interaction ids (batches generated apart must differ).")
    var idPrefix: String = "G"

    @Option(help: "The file to write.")
    var out: String

    func validate() throws {
        guard (1...100_000_000).contains(rows) else { throw ValidationError("--rows lies in 1–100000000, not \(rows)") }
        guard (1...520).contains(weeks) else { throw ValidationError("--weeks lies in 1–520, not \(weeks)") }
    }

    func run() throws {
        var export = SyntheticExport(rows: rows, seed: seed, start: start, weeks: weeks)
        export.idPrefix = idPrefix
        let bytes = try export.write(to: out)
        FileHandle.standardError.write(Data("wrote \(rows) contacts, \(bytes) bytes, to \(out)\n".utf8))
    }
}
