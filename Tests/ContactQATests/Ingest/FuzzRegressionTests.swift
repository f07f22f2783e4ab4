@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Inputs that once trapped (found by hand or by scripts/fuzz.sh), replayed through the fuzz targets'
/// own harness: each must run through without a crash.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let folder = repositoryRoot + "/Tests/Fuzz/regressions"

    static var targets: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test(arguments: FuzzRegressionTests.targets)
    func savedInputsRunWithoutACrash(_ target: String) throws {
        let binary = try contactqaBinary().replacingOccurrences(of: "/contactqa", with: "/contactqa-fuzz", options: .backwards)
        let inputs = try FileManager.default.contentsOfDirectory(atPath: FuzzRegressionTests.folder + "/" + target).sorted()
            .map { FuzzRegressionTests.folder + "/\(target)/" + $0 }
        #expect(!inputs.isEmpty)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = inputs
        process.environment = ProcessInfo.processInfo.environment.merging(["CONTACTQA_FUZZ_TARGET": target, "CONTACTQA_ROOT": repositoryRoot]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(target): \(text)")
        #expect(text.components(separatedBy: ": no crash").count - 1 == inputs.count, "\(text)")
    }
}

/// A scorecard of nested complex keys (found by scripts/fuzz.sh after 6.9 million inputs) kept YAML's
/// duplicate-key check busy for over 20 s: configuration files refuse complex keys before parsing.
@Suite("YAML complex keys")
struct ComplexKeyTests {
    @Test func complexKeysAreRefusedWithTheirLineAndPlainFilesPass() throws {
        #expect(throws: ConfigError.self) { try Scorecard.load(file: FuzzRegressionTests.folder + "/scorecard/timeout-complex-keys") }
        do { _ = try Scorecard.load(file: FuzzRegressionTests.folder + "/scorecard/timeout-complex-keys") } catch {
            // Line 1 is a comment; line 2 opens with an explicit key.
            #expect("\(error)".hasPrefix("timeout-complex-keys:2: a list or mapping used as a key"), "\(error)")
        }
        for (text, line) in [("? [a]\n: b\n", 1), ("x: 1\n{[a]: 1}\n", 2), ("items:\n  - ? x\n    : y\n", 2), ("[a, b]: c\n", 1), ("a: {b: 1, ? c : d}\n", 1),
                             ("{ {x: 1}: y }\n", 1)] {
            #expect(ConfigNode.complexKeyLine(text) == line, "\(text)")
        }
        for text in ["label: \"a]: b\"\n", "label: 'x}: y'\n", "# ]: a comment\nk: v\n", "label: Is it ok? yes\n", "k: v ?\n",
                     "channels: [voice, chat]\nn: {a: [1, 2], b: 3}\n", "- [a, b]\n- {c: d}\n", "k: \"it's fine\"\n"] {
            #expect(ConfigNode.complexKeyLine(text) == nil, "\(text)")
        }
        // Every configuration file shipped is plain.
        for folder in ["pipelines", "pipelines/plans", "pipelines/scorecards", "fixtures"] {
            let files = FileManager.default.enumerator(atPath: repositoryRoot + "/" + folder)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }
            for file in files {
                let text = try String(contentsOfFile: repositoryRoot + "/\(folder)/\(file)", encoding: .utf8)
                #expect(ConfigNode.complexKeyLine(text) == nil, "\(folder)/\(file)")
            }
        }
    }
}
