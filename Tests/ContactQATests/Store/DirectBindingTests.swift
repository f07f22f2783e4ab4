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
}
