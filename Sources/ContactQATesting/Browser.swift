import Foundation
import Testing

/// Debian's Chromium, for the checks that open pages in a real browser (scripts/check-report-html.py).
package enum Chromium {
    /// The executable; without one the test is skipped with the reason, or under CI=true fails (nil).
    package static func executable() throws -> String? {
        if let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("CI=true but Chromium is not installed (apt-get install chromium)")
            return nil
        }
        try Test.cancel("skipped: Chromium is not installed (apt-get install chromium)")
    }

    /// Runs `scripts/check-report-html.py` with `arguments`: its exit status and standard error.
    package static func check(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        try python([repositoryRoot + "/scripts/check-report-html.py"] + arguments)
    }
}

/// Runs `python3` with `arguments` (a script of `scripts/` and its arguments): its exit status and standard error.
package func python(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, message)
}
