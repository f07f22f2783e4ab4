import ContactQA
import Foundation
import Logging

/// Fuzz targets: each feeds one input to a reader of untrusted files the way a user's command would
/// (the file written to disk, imported into a real store, its rows mapped, validated, loaded or
/// quarantined). A thrown error is the expected answer to bad input; a trap is a defect.
///
/// Built with `-sanitize=fuzzer` (scripts/fuzz.sh) this is a libFuzzer binary; built normally it
/// replays the files given as arguments, which is how crashes found once stay fixed
/// (`Tests/Fuzz/regressions/`, replayed by the test suite). The target is chosen by
/// `CONTACTQA_FUZZ_TARGET`.
enum FuzzTarget: String, CaseIterable {
    case csv, mappedCSV = "mapped-csv", ctr, genesys, zendesk, evaluations, pipeline, plan, scorecard

    /// The file name an input is written to (its extension tells the readers what it is).
    var fileName: String {
        switch self {
        case .csv, .mappedCSV, .evaluations: "input.csv"
        case .ctr: "input.jsonl"
        case .genesys, .zendesk: "input.json"
        case .pipeline, .plan, .scorecard: "input.yaml"
        }
    }
}

/// One store and folder for the whole run, created on first use.
final class FuzzHarness: @unchecked Sendable {
    let target: FuzzTarget
    let directory: String
    let store: SQLiteStore
    let key = Pseudonymiser(keyBytes: Array(repeating: 7, count: 32))
    let mapping: Mapping?

    init() {
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }  // millions of inputs, no log lines
        let name = ProcessInfo.processInfo.environment["CONTACTQA_FUZZ_TARGET"] ?? "csv"
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("CONTACTQA_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.target = target
        let root = ProcessInfo.processInfo.environment["CONTACTQA_ROOT"] ?? FileManager.default.currentDirectoryPath
        directory = NSTemporaryDirectory() + "contactqa-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            store = try SQLiteStore(path: directory + "/store.sqlite", createWithTimeZone: "Europe/London")
            mapping = target == .mappedCSV ? try Mapping.load(file: root + "/fixtures/eu-telephony/mapping.yaml") : nil
            if target == .evaluations {
                // Evaluations need the legs they evaluate and the scorecards they rate against.
                _ = try CSVImporter(mapping: .canonical, pseudonymiser: key, quarantineDirectory: directory + "/q")
                    .importFile(root + "/fixtures/canonical/contacts_2026-W47.csv", into: store)
                for card in ["voice-standard", "written-standard"] {
                    let file = root + "/pipelines/scorecards/\(card).yaml"
                    _ = try store.register(try Scorecard.load(file: file), definition: try String(contentsOfFile: file, encoding: .utf8))
                }
            }
        } catch {
            fatalError("fuzz harness setup failed (run from the repository root or set CONTACTQA_ROOT): \(error)")
        }
    }

    /// Runs one input through the target; errors are answers, only a trap fails.
    func run(_ bytes: UnsafeRawBufferPointer) {
        let path = directory + "/" + target.fileName
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let quarantine = directory + "/q"
        do {
            switch target {
            case .csv:
                _ = try CSVImporter(mapping: .canonical, pseudonymiser: key, quarantineDirectory: quarantine).importFile(path, into: store)
            case .mappedCSV:
                _ = try CSVImporter(mapping: mapping!, pseudonymiser: key, quarantineDirectory: quarantine).importFile(path, into: store)
            case .ctr:
                _ = try JSONImporter(mapper: AmazonConnectMapper(), pseudonymiser: key, quarantineDirectory: quarantine).importFile(path, into: store)
            case .genesys:
                _ = try JSONImporter(mapper: try GenesysConversationMapper(lookupsIn: directory), pseudonymiser: key, quarantineDirectory: quarantine)
                    .importFile(path, into: store)
            case .zendesk:
                _ = try JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: key, quarantineDirectory: quarantine).importFile(path, into: store)
            case .evaluations:
                _ = try EvaluationImporter(quarantineDirectory: quarantine).importFile(path, into: store)
            case .pipeline:
                try Pipeline.check(file: path)
            case .plan:
                _ = try SamplingPlan.load(file: path)
            case .scorecard:
                _ = try Scorecard.load(file: path)
            }
        } catch {}
        // Quarantine files pile up over millions of inputs; they were written, which is what mattered.
        try? FileManager.default.removeItem(atPath: quarantine)
    }
}

let harness = FuzzHarness()

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    harness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; here it hands over to libFuzzer's driver.
@_cdecl("contactqa_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Replays inputs: `contactqa-fuzz FILE…` with `CONTACTQA_FUZZ_TARGET` set.
@main
struct Replay {
    static func main() {
        for file in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                exit(1)
            }
            data.withUnsafeBytes { harness.run($0) }
            print("\(file): no crash")
        }
    }
}
#endif
