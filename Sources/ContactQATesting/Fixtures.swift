import ContactQA
import Foundation

// What every test needs: the repository's fixtures, a folder that cleans up after itself, a store in
// it, and the key tests pseudonymise with. Stores are real SQLite files in a temporary folder rather
// than in-memory databases: atomic creation, the WAL, and quarantine beside the store are part of
// what the tests check.

/// The repository's root, found from this file's path.
package let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }  // Fixtures.swift, ContactQATesting, Sources
    return url.path
}()

/// A file of `fixtures/`.
package func fixture(_ path: String) -> String { repositoryRoot + "/fixtures/" + path }

/// A fresh folder under the system temporary directory, removed when the value goes away.
package final class TemporaryDirectory {
    package let path: String

    package init() {
        path = NSTemporaryDirectory() + "contactqa-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes text (UTF-8) to a file in the folder and returns its path.
    @discardableResult
    package func write(_ name: String, _ text: String) -> String {
        write(name, bytes: Array(text.utf8))
    }

    /// Writes bytes to a file in the folder and returns its path.
    @discardableResult
    package func write(_ name: String, bytes: [UInt8]) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }

    package func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }
}

/// The key tests pseudonymise with (32 bytes of 7).
package let testKey = Pseudonymiser(keyBytes: Array(repeating: 7, count: 32))

/// A store in a temporary folder with the Europe/London site timezone.
package func makeStore(_ dir: TemporaryDirectory, timeZone: String = "Europe/London") throws -> SQLiteStore {
    try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: timeZone)
}

/// UTC milliseconds of an ISO-8601 instant with offset, for expected values (read by Foundation,
/// not by the parser under test).
package func utcMillis(_ iso: String) -> Int64 {
    let formatter = ISO8601DateFormatter()
    if iso.contains(".") { formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
    return Int64((formatter.date(from: iso)!.timeIntervalSince1970 * 1000).rounded())
}

/// The bytes of a SQLite store file and its write-ahead log, as text: what a leak test searches.
package func storeFileText(_ path: String) -> String {
    ["", "-wal"].map { String(decoding: FileManager.default.contents(atPath: path + $0) ?? Data(), as: UTF8.self) }.joined()
}
