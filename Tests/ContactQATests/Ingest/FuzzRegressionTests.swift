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
