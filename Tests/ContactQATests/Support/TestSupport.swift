import ContactQA
import Foundation

/// The repository's root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
}()

func fixture(_ path: String) -> String { repositoryRoot + "/fixtures/" + path }

/// A fresh folder under the system temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "contactqa-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes text (UTF-8) or bytes to a file in the folder and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        write(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }
}

/// Every record of a CSV file as strings, with its start line.
func readAll(_ path: String, options: CSVReader.Options = .init()) throws -> [(line: Int, fields: [String])] {
    var rows: [(Int, [String])] = []
    try CSVReader(path: path, options: options).forEachRecord { record in
        rows.append((record.line, (0..<record.count).map { record.string($0) ?? "<invalid>" }))
    }
    return rows
}

let testKey = Pseudonymiser(keyBytes: Array(repeating: 7, count: 32))

/// A store in a temporary folder with the Europe/London site timezone.
func makeStore(_ dir: TemporaryDirectory, timeZone: String = "Europe/London") throws -> SQLiteStore {
    try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: timeZone)
}

/// UTC milliseconds of an ISO-8601 instant with offset, for expected values.
func utcMillis(_ iso: String) -> Int64 {
    let parsed = Array(iso.utf8).withUnsafeBytes { TimestampFormat.iso8601.parse($0) }!
    return parsed.localMilliseconds - Int64(parsed.offsetSeconds!) * 1000
}
