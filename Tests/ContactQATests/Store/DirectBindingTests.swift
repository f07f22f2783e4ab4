@testable import ContactQA
import Foundation
import GRDB
import Testing

/// The import's inserts bind text straight from a string's UTF-8 bytes: what is stored must be what a
/// C string gave before — short (inline) and long strings alike, empty text as text (never NULL), and
/// text cut at a NUL byte.
@Suite("Text bound directly onto SQLite statements")
struct DirectBindingTests {
    @Test func textIsStoredAsItWasBound() throws {
        let queue = try DatabaseQueue()
        let texts = ["", "G1", "voice", "Team 15", "exactly fifteen", "sixteen chars...", String(repeating: "é", count: 40),
                     "a72b8c1f0e3d4a5b6c7d8e9f0a1b2c3d", "upgrade, new contract\nsecond line"]
        let stored = try queue.write { db -> [DatabaseValue] in
            try db.execute(sql: "CREATE TABLE t (i INTEGER, s TEXT)")
            let insert = try db.makeStatement(sql: "INSERT INTO t (i, s) VALUES (?, ?)")
            for (i, text) in texts.enumerated() {
                try db.run(insert) { b in
                    b.bind(Int64(i))
                    b.bind(FieldValue.text(text))
                }
            }
            try db.run(insert) { b in
                b.bind(Int64(texts.count))
                b.bind("before\u{0}after")
            }
            try db.run(insert, [Int64(texts.count + 1).databaseValue, "".databaseValue])
            return try DatabaseValue.fetchAll(db, sql: "SELECT s FROM t ORDER BY i")
        }
        #expect(stored == texts.map { $0.databaseValue } + ["before".databaseValue, "".databaseValue])
        #expect(!stored.contains(.null))
    }

    /// Rows are read straight from SQLite too (`query`, `forEachRow`, `execute`): every value must be
    /// what GRDB's `Row` gave before, the old path, kept here as the reference.
    @Test func rowsAreReadAsGRDBReadThem() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE t (i INTEGER, v);
                INSERT INTO t VALUES (1, NULL), (2, 42), (3, -9223372036854775808), (4, 2.5), (5, 1e300), (6, ''),
                                     (7, 'Team 15'), (8, 'é' || char(10) || 'ü'), (9, 'before' || char(0) || 'after'),
                                     (10, x''), (11, x'41c3a9'), (12, x'ff00fe'), (13, 'a72b8c1f0e3d4a5b6c7d8e9f0a1b2c3d');
                """)
        }
        func reference(_ value: DatabaseValue) -> FieldValue {
            switch value.storage {
            case .null: .null
            case .int64(let i): .integer(i)
            case .double(let d): .real(d)
            case .string(let s): .text(s)
            case .blob(let data): .text(String(decoding: data, as: UTF8.self))
            }
        }
        let sql = "SELECT i, v, typeof(v) FROM t WHERE i >= ? ORDER BY i"
        let expected = try queue.read { db in
            try Row.fetchAll(db, sql: sql, arguments: [1]).map { row in Array(row.databaseValues.map(reference)) }
        }
        #expect(expected.count == 13 && Set(expected.map { $0[2].textValue ?? "" }) == ["null", "integer", "real", "text", "blob"])
        let store = try queue.read { db in try SQLiteSession(db: db).query(sql, [.integer(1)]) }
        #expect(store == expected)
        #expect(store[8][1] == .text("before"))  // text ends at its first NUL, as GRDB's C string did
        #expect(store[9][1] == .text(""))  // an empty blob is empty text, not NULL
        // Row by row, with the same statement run again inside the loop (each call prepares its own).
        var streamed: [[FieldValue]] = []
        var inside: [[FieldValue]] = []
        try queue.read { db in
            let session = SQLiteSession(db: db)
            try session.forEachRow(sql, [.integer(1)]) { row in
                streamed.append(row)
                inside.append(try session.query(sql, [row[0]])[0])
            }
        }
        #expect(streamed == expected && inside == expected)
        // A wrong number of arguments is an error, never NULLs bound in silence.
        for arguments: [FieldValue] in [[], [.integer(1), .integer(2)]] {
            #expect(throws: DatabaseError.self) {
                _ = try queue.read { db in try SQLiteSession(db: db).query(sql, arguments) }
            }
        }
        // A statement that writes reports its changes, with text, reals and NULL bound as they are.
        let changed = try queue.write { db in
            try SQLiteSession(db: db).execute("UPDATE t SET v = ? WHERE i IN (?, ?, ?)", [.text("x"), .integer(1), .real(4), .null])
        }
        #expect(changed == 2)
        #expect(try queue.read { db in try String.fetchAll(db, sql: "SELECT v FROM t WHERE i IN (1, 4) ORDER BY i") } == ["x", "x"])
    }
}
