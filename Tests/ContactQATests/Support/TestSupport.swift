@testable import ContactQA
import ContactQATesting
import Foundation

/// Every record of a CSV file as strings, with its start line.
func readAll(_ path: String, options: CSVReader.Options = .init()) throws -> [(line: Int, fields: [String])] {
    var rows: [(Int, [String])] = []
    try CSVReader(path: path, options: options).forEachRecord { record in
        rows.append((record.line, (0..<record.count).map { record.string($0) ?? "<invalid>" }))
    }
    return rows
}
