import ContactQATesting
import Foundation
import Testing

/// The store owns SQL: no file outside Sources/ContactQA/Store/ writes a statement or imports the
/// database libraries, so the two backends' SQL lives in one place and the stages cannot drift from it.
/// (Sources/ContactQATesting, the tests' support, reads tables to check them and is not a stage.)
@Suite("The store's boundary")
struct StoreBoundaryTests {
    @Test func noSQLAndNoDatabaseImportOutsideTheStore() throws {
        let sources = repositoryRoot + "/Sources"
        let databaseImport = try Regex(#"^((private|fileprivate|internal|package|public) )?import (GRDB|CLibPQ)"#)
        let statement = try Regex(#""[^"\n]*\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM|CREATE TABLE)\b|^\s*(SELECT|INSERT INTO|DELETE FROM|CREATE TABLE)\b"#)
        var offenders: [String] = []
        let files = FileManager.default.enumerator(atPath: sources)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 50)
        for file in files where !file.hasPrefix("ContactQA/Store/") && !file.hasPrefix("ContactQATesting/") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("//") { continue }
                if trimmed.contains(databaseImport) || trimmed.contains(statement) {
                    offenders.append("\(file):\(number + 1): \(trimmed.prefix(80))")
                }
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }
}
