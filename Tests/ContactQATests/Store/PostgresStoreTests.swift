@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// What only the PostgreSQL backend has: a server to reach, credentials, concurrent writers from
/// several processes, schema versions, and a connection that can drop mid-ingest.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test func badURLsAndCredentialsGetClearMessagesAndExitCodes() throws {
        guard let url = try PostgresTestServer.available() else { return }
        let unreachable = try contactqa(["kpis", "--store", "postgres://contactqa@127.0.0.1:1/contactqa", "--week", "2026-W47"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot connect to postgres://contactqa@127.0.0.1:1/contactqa"))
        #expect(unreachable.stderr.contains("Connection refused"))

        let wrong = try contactqa(["kpis", "--store", url, "--week", "2026-W47"], environment: ["PGPASSWORD": "not-the-password"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("password authentication failed for user \"contactqa\""))
        #expect(!wrong.stderr.contains("not-the-password"))

        let inURL = url.replacingOccurrences(of: "contactqa@", with: "contactqa:s3cret@")
        let refused = try contactqa(["kpis", "--store", inURL, "--week", "2026-W47"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("a password in the store URL would show in process lists"))
        #expect(!refused.stderr.contains("s3cret"))

        let empty = try PostgresTestServer.freshDatabase(url)
        let noStore = try contactqa(["kpis", "--store", empty, "--week", "2026-W47"])
        #expect(noStore.status == 2)
        #expect(noStore.stderr.contains("holds no ContactQA store yet; creating one needs the site timezone"))
    }

    @Test func aNewerSchemaIsRefusedAnOlderOneMigrated() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let url = try PostgresTestServer.freshDatabase(base)
        _ = try PostgresStore(url: url, createWithTimeZone: "Europe/London")
        let admin = try PostgresConnection(url: url)
        try admin.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        #expect(throws: PostgresError.self) { _ = try PostgresStore(url: url) }
        do { _ = try PostgresStore(url: url) } catch let error as PostgresError {
            #expect(error.message.contains("holds ContactQA schema version 99, newer than this build's \(PostgresStore.schemaVersion)"))
            #expect(error.isConfiguration)
        }
        try admin.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
        let reopened = try PostgresStore(url: url)
        #expect(reopened.siteTimeZone == "Europe/London")
        #expect(try reopened.rows("SELECT value FROM meta WHERE key = 'schema_version'") == [["\(PostgresStore.schemaVersion)"]])
        #expect(throws: SQLiteStore.OpenError.self) { _ = try PostgresStore(url: url, createWithTimeZone: "Europe/Paris") }
        // A store of schema 2 (before legs kept how they ended) gains the column when opened.
        try admin.execute("ALTER TABLE legs DROP COLUMN disconnect_reason")
        try admin.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        let migrated = try PostgresStore(url: url)
        #expect(try migrated.rows("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'legs' AND column_name = 'disconnect_reason'") == [["1"]])
        #expect(try migrated.rows("SELECT value FROM meta WHERE key = 'schema_version'") == [["\(PostgresStore.schemaVersion)"]])
        // Schema 7 leaves room on the contacts' pages for updates in place.
        #expect(try migrated.rows("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'contacts'") == [["fillfactor=85"]])
    }

    /// The server drops the connection in the middle of a file: an error, and the store as it was.
    @Test func aConnectionDroppedMidIngestLeavesTheStoreAsItWas() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let dir = TemporaryDirectory()
        let url = try PostgresTestServer.freshDatabase(base)
        let store = try PostgresStore(url: url, createWithTimeZone: "Europe/London")
        let importer = CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path)
        _ = try importer.importFile(fixture("canonical/contacts_2026-W47.csv"), into: store)
        let before = try textRows(store, "SELECT interaction_id, leg_count, wait_s FROM contacts ORDER BY 1")
        let pid = try #require(store.rows("SELECT pg_backend_pid()").first?.first ?? nil)

        var rows = "interaction_id,channel,arrived_at,abandoned,wait_s\n"
        for i in 0..<5_000 { rows += "D\(i),voice,2026-11-18T10:00:00Z,true,\(i % 60)\n" }
        rows += "C1,voice,2026-11-16T09:00:00Z,true,99\n"  // would change a stored contact
        let file = dir.write("drop.csv", rows)
        var killer = CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path)
        killer.progress = { _, done, _ in
            // Half-way through the file, another session terminates this one's server process.
            if done > 0, let admin = try? PostgresConnection(url: url) {
                _ = try? admin.execute("SELECT pg_terminate_backend($1::int)", [pid])
            }
        }
        #expect(throws: (any Error).self) { _ = try killer.importFile(file, into: store) }

        let after = try PostgresStore(url: url)
        #expect(try textRows(after, "SELECT interaction_id, leg_count, wait_s FROM contacts ORDER BY 1") == before)
        #expect(try after.rows("SELECT COUNT(*) FROM contacts WHERE interaction_id LIKE 'D%'") == [["0"]])
        #expect(try after.ingestLog().filter { $0.file == "drop.csv" && $0.status == .loaded }.isEmpty)
    }

    /// Two `contactqa ingest` processes at once into one database, their files sharing 3,000 contacts:
    /// every contact and leg lands exactly once, identical to one SQLite store loading both in turn.
    @Test func twoConcurrentIngestProcessesLandEveryRowExactlyOnce() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let dir = TemporaryDirectory()
        let url = try PostgresTestServer.freshDatabase(base)
        _ = try PostgresStore(url: url, createWithTimeZone: "Europe/London")
        for (name, rows, seed, prefix) in [("shared", 3_000, 1, "S"), ("a-own", 1_500, 2, "A"), ("b-own", 1_500, 3, "B")] {
            let made = try contactqa(["generate", "--rows", "\(rows)", "--seed", "\(seed)", "--id-prefix", prefix, "--out", dir.path + "/\(name).csv"])
            #expect(made.status == 0, "\(made.stderr)")
        }
        func join(_ parts: [String], into name: String) throws -> String {
            var text = ""
            for (i, part) in parts.enumerated() {
                let body = try String(contentsOfFile: dir.path + "/\(part).csv", encoding: .utf8)
                text += i == 0 ? body : String(body.drop { $0 != "\n" }.dropFirst())
            }
            return dir.write(name, text)
        }
        let fileA = try join(["shared", "a-own"], into: "a.csv")
        let fileB = try join(["b-own", "shared"], into: "b.csv")

        let binary = try contactqaBinary()
        let processes = [fileA, fileB].map { file -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["ingest", "--store", url, "--source", "canonical", "--key-file", repositoryRoot + "/fixtures/keys/demo.key", "--quiet", file]
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == [0, 0])

        let reference = try SQLiteStore(path: dir.path + "/reference.sqlite", createWithTimeZone: "Europe/London")
        let key = try Pseudonymiser.load(keyFile: repositoryRoot + "/fixtures/keys/demo.key")
        for file in [fileA, fileB] {
            _ = try CSVImporter(mapping: .canonical, pseudonymiser: key, quarantineDirectory: dir.path).importFile(file, into: reference)
        }
        let store = try PostgresStore(url: url)
        let contacts = "SELECT source, interaction_id, channel, queue, customer_key, arrived_at, wait_s, abandoned, leg_count, closing_agent_id FROM contacts ORDER BY 1, 2"
        let legs = "SELECT source, interaction_id, leg, agent_id, talk_s, hold_s, acw_s FROM legs ORDER BY 1, 2, 3"
        let stored = try textRows(store, contacts)
        #expect(stored.count == 6_000)
        #expect(stored == (try textRows(reference, contacts)))
        #expect(try textRows(store, legs) == (try textRows(reference, legs)))
        #expect(try store.ingestLog().map(\.status) == [.loaded, .loaded])
    }

    /// The runner's lock on PostgreSQL: a session advisory lock, held by one connection at a time and
    /// gone when that connection ends (a killed run leaves none behind).
    @Test func theRunLockIsAnAdvisoryLockThatEndsWithItsSession() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let url = try PostgresTestServer.freshDatabase(base)
        var first: PostgresStore? = try PostgresStore(url: url, createWithTimeZone: "Europe/London")
        let second = try PostgresStore(url: url)
        #expect(try first!.tryLockRun())
        #expect(try !second.tryLockRun())
        first = nil  // the connection closes; the server releases the lock as that backend exits
        var acquired = false
        for _ in 0..<100 where !acquired {
            acquired = try second.tryLockRun()
            if !acquired { usleep(20_000) }
        }
        #expect(acquired)
    }


    /// A session reads a result through a server-side cursor a few rows per fetch, and may write on the
    /// same connection between rows (a streamed sample does both): every row arrives once, in order,
    /// typed, and the writes land; a failing statement inside still rolls the whole transaction back.
    @Test func aSessionStreamsThroughACursorAndWritesBetweenRows() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let store = try PostgresStore(url: try PostgresTestServer.freshDatabase(base), createWithTimeZone: "Europe/London")
        let seen = try store.transaction { db in
            try db.execute("CREATE TEMP TABLE copied (n BIGINT, label TEXT)", [])
            var seen: [[FieldValue]] = []
            try (db as! PostgresSession).forEachRow("SELECT n, 'row ' || n, n / 2.0 FROM generate_series(1, ?::int) n WHERE n > ? ORDER BY n",
                                                     [.integer(12), .integer(0)], batch: 5) { row in
                seen.append(row)
                try db.execute("INSERT INTO copied VALUES (?, ?)", [row[0], row[1]])
            }
            #expect(try db.query("SELECT COUNT(*), SUM(n) FROM copied", []) == [[.integer(12), .integer(78)]])
            return seen
        }
        #expect(seen.count == 12)
        #expect(seen.first == [.integer(1), .text("row 1"), .real(0.5)] && seen.last == [.integer(12), .text("row 12"), .real(6)])
        #expect(seen.map { $0[0] } == (1...12).map { FieldValue.integer(Int64($0)) })
        // Exactly a batch's worth, and nothing: the loop ends either way.
        for count in [5, 0] {
            let rows = try store.transaction { db in
                var rows = 0
                try (db as! PostgresSession).forEachRow("SELECT n FROM generate_series(1, ?::int) n", [.integer(Int64(count))], batch: 5) { _ in rows += 1 }
                return rows
            }
            #expect(rows == count)
        }
        #expect(throws: PostgresError.self) {
            try store.transaction { db in
                try db.forEachRow("SELECT n FROM generate_series(1, 3) n", []) { row in
                    try db.execute("INSERT INTO roster (agent_id, ingest_id) VALUES (?, 0)", [.text("A\(row[0].int ?? 0)")])
                    if row[0].int == 2 { try db.execute("SELECT 1 / 0", []) }
                }
            }
        }
        #expect(try store.query("SELECT COUNT(*) FROM roster", []) == [[.integer(0)]])
    }
    /// The demo pipeline end to end on PostgreSQL — ingest of every source, the sample, quality,
    /// trends, feedback packs and the weekly report — gives the same files as on SQLite; only the
    /// manifest's store location differs.
    @Test func theDemoPipelineGivesTheSameReportsOnBothBackends() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let dir = TemporaryDirectory()
        let sqlitePipeline = try RunnerTests.pipeline(dir)
        let postgresURL = try PostgresTestServer.freshDatabase(base)
        let text = try String(contentsOfFile: sqlitePipeline, encoding: .utf8)
            .replacingOccurrences(of: "store: \(dir.path)/demo.sqlite", with: "store: \(postgresURL)")
            .replacingOccurrences(of: "\(dir.path)/reports/", with: "\(dir.path)/pg-reports/")
        #expect(text.contains("store: postgres://"))
        let postgresPipeline = dir.write("demo-pg.yaml", text)
        // A client environment asking for Latin-1 must not change a byte (Équipe Lyon, claire.m's calls).
        for (pipeline, environment) in [(sqlitePipeline, [:]), (postgresPipeline, ["PGCLIENTENCODING": "LATIN1"])] {
            let result = try contactqa(["run", pipeline, "--week", "2026-W47", "--as-of", "2026-12-01", "--quiet"], environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
        }
        // Stored as UTF-8 on the server, whatever the client environment said: 11 characters, not mojibake.
        let stored = try PostgresStore(url: postgresURL)
        #expect(try stored.rows("SELECT COUNT(*), MIN(length(closing_team)) FROM contacts WHERE closing_team = 'Équipe Lyon'") == [["4", "11"]])
        let fm = FileManager.default
        let files = try fm.subpathsOfDirectory(atPath: dir.path + "/reports/2026-W47").filter { $0.contains(".") }.sorted()
        #expect(files.count > 15)
        #expect(try fm.subpathsOfDirectory(atPath: dir.path + "/pg-reports/2026-W47").filter { $0.contains(".") }.sorted() == files)
        for file in files {
            let a = try String(contentsOfFile: dir.path + "/reports/2026-W47/" + file, encoding: .utf8)
            let b = try String(contentsOfFile: dir.path + "/pg-reports/2026-W47/" + file, encoding: .utf8)
            if file == "sample/manifest.json" {
                #expect(a.replacingOccurrences(of: "\"store\": \"\(dir.path)/demo.sqlite\"", with: "\"store\": \"\(postgresURL)\"") == b)
            } else {
                #expect(a == b, "\(file) differs between the backends")
            }
        }
        // Run again on PostgreSQL: the sample is reused, the final report left alone.
        let again = try contactqa(["run", postgresPipeline, "--week", "2026-W47", "--as-of", "2026-12-05"])
        #expect(again.status == 0)
        #expect(again.stderr.contains("the final report of 2026-W47 exists; left as it is"))

        // A second run while one holds the database's advisory lock exits 4.
        let holder = try PostgresStore(url: postgresURL)
        #expect(try holder.tryLockRun())
        let locked = try contactqa(["run", postgresPipeline, "--week", "2026-W47", "--quiet"])
        #expect(locked.status == 4)
        #expect(locked.stderr.contains("another run holds the store's lock (advisory lock on \(postgresURL))"))
    }
}
