@testable import ContactQA
import ContactQATesting
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

/// A store in a folder its reader cannot write to (an archive, a read-only share): SQLite could not
/// create the write-ahead log's files there, so the store is opened as immutable and read; a write says
/// why it cannot be done. Run as an unprivileged user (root ignores folder permissions).
@Suite("A store in a read-only folder")
struct ReadOnlyFolderTests {
    @Test func kpisReadAStoreInAReadOnlyFolderAndAWriteSaysWhy() throws {
        let dir = TemporaryDirectory()
        let folder = dir.path + "/archive"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let store = folder + "/s.sqlite"
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "Europe/London", "--source", "canonical", "--key-file", fixture("keys/demo.key"),
                               fixture("canonical/contacts_2026-W47.csv")]).status == 0)
        let binary = dir.path + "/contactqa"
        try FileManager.default.copyItem(atPath: try contactqaBinary(), toPath: binary)
        var prefix: [String] = []
        if getuid() == 0 {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                print("note: skipping the read-only folder test: running as root without setpriv")
                return
            }
            prefix = ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
        }
        chmod(dir.path, 0o755)
        chmod(binary, 0o755)
        chmod(store, 0o644)
        chmod(folder, 0o555)
        defer { chmod(folder, 0o755) }
        func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: prefix.first ?? binary)
            process.arguments = Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : [binary]) + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }
        let kpis = try run(["kpis", "--store", store, "--week", "2026-W47", "--format", "csv"])
        #expect(kpis.status == 0, "\(kpis.stderr)")
        #expect(kpis.stdout.contains("offered"))
        let late = dir.path + "/late.csv"
        try FileManager.default.copyItem(atPath: fixture("canonical/fcr_repeats.csv"), toPath: late)
        chmod(late, 0o644)
        let write = try run(["ingest", "--store", store, "--source", "canonical", late])
        #expect(write.status != 0)
        #expect(write.stderr.contains("the store cannot be written: its file or its folder is read-only"), "\(write.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["s.sqlite"])
        // A folder this user may not even enter: not "no store", but why it cannot be reached.
        chmod(folder, 0o000)
        let unreachable = try run(["kpis", "--store", store, "--week", "2026-W47"])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("cannot reach \(store): permission denied on a folder of its path"), "\(unreachable.stderr)")
    }
}
