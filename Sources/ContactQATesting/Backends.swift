import ContactQA
import Foundation
import GRDB
import Testing

/// The store backends. Suites that take `Backend.allCases` run once on each: SQLite, one PostgreSQL
/// server, and a PostgreSQL coordinator with two shard servers. The last two need the throw-away test
/// servers (`eval "$(scripts/postgres-test-server.sh start)"`, which sets CONTACTQA_TEST_POSTGRES_URL,
/// CONTACTQA_TEST_POSTGRES_SHARDS and PGPASSWORD). Without them their cases are skipped with the
/// reason (cancelled, so the run lists them as skipped rather than passed), except under CI=true,
/// where a missing server is a failure.
package enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres, sharded
    package var testDescription: String { rawValue }
}

package enum PostgresTestServer {
    package static var url: String? { ProcessInfo.processInfo.environment["CONTACTQA_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The server's URL; without one the test is skipped with the reason (or, under CI=true, fails and nil).
    package static func available() throws -> String? {
        if let url { return url }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("CI=true but CONTACTQA_TEST_POSTGRES_URL is not set: start scripts/postgres-test-server.sh")
            return nil
        }
        try Test.cancel("skipped on PostgreSQL: no test server (eval \"$(scripts/postgres-test-server.sh start)\")")
    }

    /// The shard servers' URLs (CONTACTQA_TEST_POSTGRES_SHARDS, space-separated); without them the
    /// test is skipped with the reason (or, under CI=true, fails and nil).
    package static func availableShards() throws -> [String]? {
        let shards = (ProcessInfo.processInfo.environment["CONTACTQA_TEST_POSTGRES_SHARDS"] ?? "").split(separator: " ").map(String.init)
        if !shards.isEmpty { return shards }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("CI=true but CONTACTQA_TEST_POSTGRES_SHARDS is not set: start scripts/postgres-test-server.sh")
            return nil
        }
        try Test.cancel("skipped on the sharded store: no shard servers (eval \"$(scripts/postgres-test-server.sh start)\")")
    }

    /// A new sharded store: a fresh database on the test server as its coordinator and one on each
    /// shard server; its coordinator's URL.
    package static func freshShardedStore(timeZone: String = "Europe/London") throws -> PostgresStore? {
        guard let base = try available(), let shards = try availableShards() else { return nil }
        return try PostgresStore.createSharded(url: try freshDatabase(base), shards: try shards.map(freshDatabase), timeZone: timeZone)
    }

    /// A new, empty database on the test server; its URL.
    package static func freshDatabase(_ base: String) throws -> String {
        let name = "cqa_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = try PostgresConnection(url: base)
        try admin.execute("CREATE DATABASE \(name)")
        guard let slash = base.lastIndex(of: "/") else { return base }
        return base[..<slash] + "/" + name
    }
}

/// A fresh store on the backend with the Europe/London site timezone; nil when PostgreSQL is not available.
package func makeStore(_ backend: Backend, _ dir: TemporaryDirectory, timeZone: String = "Europe/London") throws -> (any SQLStore)? {
    switch backend {
    case .sqlite: return try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: timeZone)
    case .postgres:
        guard let base = try PostgresTestServer.available() else { return nil }
        return try PostgresStore(url: try PostgresTestServer.freshDatabase(base), createWithTimeZone: timeZone)
    case .sharded:
        return try PostgresTestServer.freshShardedStore(timeZone: timeZone)
    }
}

/// Rows of a query on either backend as text, numbers written one way ("100" for 100 and 100.0),
/// so the two backends' answers compare equal.
package func textRows(_ store: any ContactStore, _ sql: String) throws -> [[String?]] {
    func normalise(_ text: String?) -> String? {
        guard let text, let number = Double(text), text.first.map({ $0.isNumber || $0 == "-" }) == true else { return text }
        return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
    if let sqlite = store as? SQLiteStore {
        return try sqlite.rows(sql).map { row in
            row.map { value in
                switch value.storage {
                case .null: nil
                case .int64(let i): normalise(String(i))
                case .double(let d): normalise(String(d))
                case .string(let s): normalise(s)
                case .blob: "<blob>"
                }
            }
        }
    }
    return try (store as! PostgresStore).rows(sql).map { $0.map(normalise) }
}

// Reading a store's tables directly, for assertions: through the store's own `query`, so a test sees
// exactly what the stages see.

extension SQLiteStore {
    /// The rows of a query as SQLite values.
    package func rows(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) throws -> [[DatabaseValue]] {
        let values = arguments.map { argument -> FieldValue in
            switch (argument?.databaseValue ?? .null).storage {
            case .null, .blob: .null
            case .int64(let i): .integer(i)
            case .double(let d): .real(d)
            case .string(let s): .text(s)
            }
        }
        return try query(sql, values).map { row in
            row.map { value in
                switch value {
                case .null: .null
                case .integer(let i): i.databaseValue
                case .real(let d): d.databaseValue
                case .text(let s): s.databaseValue
                }
            }
        }
    }
}

extension PostgresStore {
    /// The rows of a query as text (integers and reals as Swift prints them).
    package func rows(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        try query(sql, parameters.map { $0.map(FieldValue.text) ?? .null }).map { row in
            row.map { value in
                switch value {
                case .null: nil
                case .integer(let i): String(i)
                case .real(let d): String(d)
                case .text(let s): s
                }
            }
        }
    }
}
