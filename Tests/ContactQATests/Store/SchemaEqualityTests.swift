@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Both backends hold the same tables with the same columns: a column added to one schema and not the
/// other fails here, before a query that needs it fails at a site.
@Suite("One schema on both backends")
struct SchemaEqualityTests {
    /// Tables each backend keeps for its own bookkeeping. SQLite also keeps the aggregates of the last
    /// run (PostgreSQL computes quantiles in the server and keeps none).
    static let ownTables: Set<String> = ["grdb_migrations", "sqlite_sequence", "schema_migrations", "aggregate_cache", "aggregate_cache_state"]

    static func columns(_ store: any SQLStore, _ sql: String) throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for row in try store.query(sql) {
            guard let table = row[0].string, let column = row[1].string, !ownTables.contains(table) else { continue }
            tables[table, default: []].append(column)
        }
        return tables.mapValues { $0.sorted() }
    }

    @Test func theTwoBackendsHaveTheSameTablesAndColumns() throws {
        let dir = TemporaryDirectory()
        let sqlite = try #require(try makeStore(.sqlite, dir))
        guard let postgres = try makeStore(.postgres, dir) else { return }
        let lite = try SchemaEqualityTests.columns(sqlite, """
            SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY 1, 2
            """)
        let pg = try SchemaEqualityTests.columns(postgres, """
            SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2
            """)
        #expect(lite.count >= 10)
        #expect(Set(lite.keys) == Set(pg.keys), "tables only in SQLite: \(Set(lite.keys).subtracting(pg.keys).sorted()); only in PostgreSQL: \(Set(pg.keys).subtracting(lite.keys).sorted())")
        for table in Set(lite.keys).intersection(pg.keys).sorted() {
            #expect(lite[table] == pg[table], "\(table): SQLite \(lite[table]!) vs PostgreSQL \(pg[table]!)")
        }
        // The same indexes (primary keys aside): a query fast on one backend is fast on the other.
        let liteIndexes = try SchemaEqualityTests.columns(sqlite, "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1, 2")
        let pgIndexes = try SchemaEqualityTests.columns(postgres, """
            SELECT tablename::text, indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' ORDER BY 1, 2
            """)
        #expect(liteIndexes == pgIndexes)
    }
}

@Suite("PostgreSQL errors")
struct PostgresErrorTests {
    /// A failed statement carries the server's SQLSTATE and the statement, for the log and for debugging.
    @Test func aFailedStatementCarriesItsSQLStateAndStatement() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let connection = try PostgresConnection(url: try PostgresTestServer.freshDatabase(base))
        do {
            try connection.execute("SELECT * FROM no_such_table WHERE x = $1", ["1"])
            Issue.record("the statement should fail")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42P01")  // undefined_table
            #expect(error.statement == "SELECT * FROM no_such_table WHERE x = $1")
            #expect(error.message.contains("no_such_table"))
        }
    }
}
