import ArgumentParser
import ContactQA
import Foundation

/// The import without the store, for the benchmark harness: decode, parse, map, validate, pseudonymise.
struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and map a CSV file without loading it (benchmark stage); prints rows and rejects.",
        shouldDisplay: false
    )

    @Option(help: "canonical or csv.") var source: String = "canonical"
    @Option(help: "The mapping file for --source csv.") var mapping: String?
    @Option(help: "The pseudonymisation key file.") var keyFile: String?
    @Option(help: "The zone of local times without offset.") var timezone: String = "UTC"
    @Argument(help: "The file.") var file: String

    func run() throws {
        let map = source == "csv" ? try Mapping.load(file: mapping ?? "") : Mapping.canonical
        let importer = CSVImporter(mapping: map, pseudonymiser: try IngestService.pseudonymiser(keyFile: keyFile), quarantineDirectory: "/dev/null")
        let result = try importer.parseOnly(file, siteTimeZone: timezone)
        print("rows \(result.rows) rejected \(result.rejected)")
    }
}
