@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// A load into a store without contacts builds the contacts' secondary indexes after the rows. What a
/// user can observe must not change: the schema afterwards is the one a new store has, every index
/// agrees with its table, lookups still use the indexes, and a file that fails leaves them in place.
@Suite("Indexes built after a backfill")
struct BackfillIndexTests {
    static let schema = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"

    static func importer(_ dir: TemporaryDirectory) -> CSVImporter {
        CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
    }

    /// A backfill that fails (one row of two rejected, over the threshold): nothing is loaded.
    static func loadHalfBadFile(into store: any ContactStore, _ dir: TemporaryDirectory) throws {
        let path = dir.path + "/half-bad.csv"
        try """
            interaction_id,channel,direction,customer_id,arrived_at,abandoned
            OK-1,voice,inbound,+44 20 7946 0101,2026-11-16T10:00:00Z,false
            BAD-1,carrier-pigeon,inbound,+44 20 7946 0102,2026-11-16T10:05:00Z,false
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let report = try importer(dir).importFile(path, into: store)
        #expect(report.log.rejected == 1 && report.log.inserted == 0)
        #expect(try textRows(store, "SELECT COUNT(*) FROM contacts") == [["0"]])
    }

    /// A second file into a store that has contacts: one new contact.
    static func loadOneMoreContact(into store: any ContactStore, _ dir: TemporaryDirectory) throws {
        let second = dir.path + "/later.csv"
        try """
            interaction_id,channel,direction,customer_id,arrived_at,abandoned
            LATER-1,voice,inbound,+44 20 7946 0999,2026-11-20T10:00:00Z,false
            """.write(toFile: second, atomically: true, encoding: .utf8)
        #expect(try importer(dir).importFile(second, into: store).log.inserted == 1)
    }

    @Test func theSchemaAfterABackfillIsANewStore() throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: "Europe/London")
        let before = try textRows(store, BackfillIndexTests.schema)
        #expect(before.contains { $0[1] == "contacts_customer" } && before.contains { $0[1] == "contacts_arrived" })

        let report = try BackfillIndexTests.importer(dir).importFile(fixture("canonical/fcr_repeats.csv"), into: store)
        #expect(report.log.inserted > 0 && report.log.rejected == 0)
        #expect(try textRows(store, BackfillIndexTests.schema) == before)
        #expect(try textRows(store, "PRAGMA integrity_check") == [["ok"]])
        // The customer index holds every contact with a customer, and the FCR search reads it.
        let counted = try textRows(store, "SELECT COUNT(*) FROM contacts INDEXED BY contacts_customer WHERE customer_key IS NOT NULL")
        #expect(try counted == textRows(store, "SELECT COUNT(*) FROM contacts WHERE customer_key IS NOT NULL"))
        let plan = try textRows(store, "EXPLAIN QUERY PLAN SELECT arrived_at FROM contacts WHERE customer_key = 'x' AND arrived_at > 0")
        #expect(plan.contains { ($0.last ?? nil)?.contains("contacts_customer") == true })

        // A second file goes into a store that has contacts: nothing is dropped, the indexes stay right.
        try BackfillIndexTests.loadOneMoreContact(into: store, dir)
        #expect(try textRows(store, BackfillIndexTests.schema) == before)
        #expect(try textRows(store, "PRAGMA integrity_check") == [["ok"]])
        // A later file finds its customers from its own contacts (the temporary tables of the load are
        // still on the store's connection), never by walking the customer index.
        let scope = SQLiteStore.nextInboundRefresh(customers: "temp.fcr_customers", isNot: "IS NOT").components(separatedBy: ";")[0]
        let steps = try store.rows("EXPLAIN QUERY PLAN " + scope).map { "\($0)" }
        #expect(steps.contains { $0.contains("SCAN t") } && !steps.contains { $0.contains("contacts_customer") }, "\(steps)")
    }

    @Test func aFailedBackfillLeavesTheIndexes() throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteStore(path: dir.path + "/store.sqlite", createWithTimeZone: "Europe/London")
        let before = try textRows(store, BackfillIndexTests.schema)
        try BackfillIndexTests.loadHalfBadFile(into: store, dir)
        #expect(try textRows(store, BackfillIndexTests.schema) == before)
    }

    /// On PostgreSQL a large backfill drops the secondary indexes once it has 10,000 contacts and builds
    /// them again after the next-inbound pass (which rewrites most contacts): they come back exactly as
    /// they were and the stored next inbound contacts are right; a file that fails leaves them in place.
    @Test func onPostgreSQLTheIndexesComeBackAsTheyWere() throws {
        guard let base = try PostgresTestServer.available() else { return }
        let dir = TemporaryDirectory()
        let indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts' ORDER BY indexname"
        let failed = try PostgresStore(url: try PostgresTestServer.freshDatabase(base), createWithTimeZone: "Europe/London")
        let before = try textRows(failed, indexes)
        #expect(before.map { $0[0] } == ["contacts_arrived", "contacts_customer", "contacts_pkey"])
        try BackfillIndexTests.loadHalfBadFile(into: failed, dir)
        #expect(try textRows(failed, indexes) == before)

        // Beyond 10,000 contacts the load drops the secondary indexes, and builds them after the pass.
        let store = try PostgresStore(url: try PostgresTestServer.freshDatabase(base), createWithTimeZone: "Europe/London")
        let month = dir.path + "/month.csv"
        _ = try SyntheticExport(rows: 12_000, seed: 5).write(to: month)
        let loaded = try BackfillIndexTests.importer(dir).importFile(month, into: store)
        #expect(loaded.log.inserted == 12_000 && loaded.log.rejected == 0)
        #expect(try textRows(store, indexes) == before)
        #expect(try textRows(store, "SELECT COUNT(*) > 5000 FROM contacts WHERE next_inbound_at IS NOT NULL") == [["1"]])
        try NextInboundTests.check(store, file: 0)
        // A second file into a store with contacts: nothing dropped, the values kept right.
        try BackfillIndexTests.loadOneMoreContact(into: store, dir)
        #expect(try textRows(store, indexes) == before)
        try NextInboundTests.check(store, file: 1)
    }
}
