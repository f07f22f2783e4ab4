@testable import ContactQA
import Foundation
import GRDB
import Testing

/// A file that is not a ContactQA store is refused, saying what it is, and left untouched.
@Suite("Stores that are what they claim")
struct StoreIdentityTests {
    static func ingest(_ store: String) throws -> CommandResult {
        try contactqa(["ingest", "--store", store, "--source", "canonical", fixture("canonical/contacts_2026-W47.csv")],
                      environment: ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")])
    }

    @Test func anEmptyFileIsRefusedNotTurnedIntoAUTCStore() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("store.sqlite", "")
        let result = try StoreIdentityTests.ingest(path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("store.sqlite is not a ContactQA store: the file is empty"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.write("store.sqlite", "interaction_id,channel\n")
        let result = try StoreIdentityTests.ingest(path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("is not a ContactQA store: it is not a SQLite database"), "\(result.stderr)")
    }

    /// A damaged store fails with one line saying so, not a dump of SQL.
    @Test func aCorruptStoreFailsInOneLine() throws {
        let dir = TemporaryDirectory()
        var bytes = Data("SQLite format 3\u{0}".utf8)
        bytes.append(Data(repeating: 0xAB, count: 4096))
        let path = dir.path + "/store.sqlite"
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = try contactqa(["kpis", "--store", path, "--week", "2026-W47"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("contactqa: error: the store failed: ") && result.stderr.contains("(SQLite error 26)"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func aForeignSQLiteDatabaseIsRefusedAndGetsNoTables() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/crm.sqlite"
        try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, phone TEXT)") }
        let result = try StoreIdentityTests.ingest(path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("is not a ContactQA store: it is a SQLite database without ContactQA's tables (customers)"), "\(result.stderr)")
        let tables = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["customers"])
    }

    @Test func aStoreWithoutItsTimeZoneIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/store.sqlite"
        _ = try SQLiteStore(path: path, createWithTimeZone: "Europe/London")
        try DatabaseQueue(path: path).write { try $0.execute(sql: "DELETE FROM meta") }
        let result = try StoreIdentityTests.ingest(path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("is not a ContactQA store: its meta table has no site time zone"), "\(result.stderr)")
    }

    @Test func creationLeavesAWholeStoreAndNoTemporaryFile() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/site/store.sqlite"
        // A creation killed before: its temporary file is left, the store path is not.
        try FileManager.default.createDirectory(atPath: dir.path + "/site", withIntermediateDirectories: true)
        _ = dir.write("site/store.sqlite.creating-999999", "half")
        #expect(try contactqa(["ingest", "--store", path, "--timezone", "Europe/London", "--source", "canonical", fixture("canonical/contacts_2026-W47.csv")],
                              environment: ["CONTACTQA_KEY_FILE": fixture("keys/demo.key")]).status == 0)
        #expect(try SQLiteStore(path: path).siteTimeZone == "Europe/London")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/site").filter { $0.contains(".creating-") && !$0.hasSuffix("999999") }
        #expect(left.isEmpty)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
    }
}
