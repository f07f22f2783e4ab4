@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// FCR reads each contact's stored next inbound contact of its customer (`next_inbound_at`), kept up
/// to date at every load. These tests load seeded files night after night — new contacts, and
/// re-deliveries that move a contact to another customer, another time, the other direction or no
/// customer at all — and after each file compare every stored value with one worked out here from the
/// contacts themselves, on both backends.
@Suite("Next inbound contact, kept at load")
struct NextInboundTests {
    struct Contact {
        var id: String
        var customer: String?
        var arrived: Int  // minutes after the start
        var inbound: Bool
    }

    static let start = 1_794_787_200  // 2026-11-16T00:00:00Z

    static func csv(_ contacts: [Contact]) -> String {
        var lines = ["interaction_id,channel,direction,customer_id,arrived_at,abandoned"]
        for c in contacts {
            let instant = Date(timeIntervalSince1970: TimeInterval(start + c.arrived * 60))
            let time = ISO8601DateFormatter().string(from: instant)
            lines.append("\(c.id),voice,\(c.inbound ? "inbound" : "outbound"),\(c.customer ?? ""),\(time),false")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The expected value from the store's own contacts: the earliest inbound arrival of the same key
    /// strictly after the contact's.
    static func check(_ store: any ContactStore, file: Int) throws {
        let rows = try textRows(store, "SELECT interaction_id, customer_key, arrived_at, direction, next_inbound_at FROM contacts")
        var inboundByKey: [String: [Int64]] = [:]
        for r in rows where r[3] == "inbound" { if let key = r[1] { inboundByKey[key, default: []].append(Int64(r[2]!)!) } }
        var mismatches: [String] = []
        for r in rows {
            let arrived = Int64(r[2]!)!
            let expected = r[1].flatMap { key in inboundByKey[key]?.filter { $0 > arrived }.min() }
            let stored = r[4].flatMap { Int64($0) }
            if stored != expected { mismatches.append("\(r[0]!): stored \(stored.map(String.init) ?? "none"), expected \(expected.map(String.init) ?? "none")") }
        }
        #expect(mismatches.isEmpty, "after file \(file): \(mismatches.prefix(5).joined(separator: "; "))")
        #expect(rows.count > 0)
    }

    @Test(arguments: Backend.allCases) func staysRightAsFilesMoveContacts(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        var random = SplitMix64(seed: 2026)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let customers = ["+44 20 7946 0101", "+44 20 7946 0102", "+44 20 7946 0103", "c4@example.com", "c5@example.com"]
        var current: [String: Contact] = [:]
        var next = 0
        for file in 1...6 {
            var batch: [Contact] = []
            // New contacts: several per customer within days of each other, some at the same minute. After
            // the first night they come from customers of their own, so that the first night's customers
            // are reached only through the contacts re-delivered away from them.
            for _ in 0..<(file == 1 ? 40 : 12) {
                next += 1
                let customer = file == 1 ? customers[pick(customers.count)] : "new-\(file)-\(pick(3))@example.com"
                batch.append(Contact(id: "N\(next)", customer: pick(8) == 0 ? nil : customer, arrived: pick(14 * 24 * 6) * 10, inbound: pick(5) != 0))
            }
            // Re-deliveries of stored contacts, each changing one thing that moves repeats.
            for stored in current.values.sorted(by: { $0.id < $1.id }) where pick(4) == 0 {
                var changed = stored
                switch pick(4) {
                case 0: changed.customer = customers[pick(customers.count)]
                case 1: changed.arrived = pick(14 * 24 * 6) * 10
                case 2: changed.inbound.toggle()
                default: changed.customer = nil
                }
                batch.append(changed)
            }
            let path = dir.path + "/night-\(file).csv"
            try NextInboundTests.csv(batch).write(toFile: path, atomically: true, encoding: .utf8)
            let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
                .importFile(path, into: store)
            #expect(report.log.rejected == 0)
            for contact in batch { current[contact.id] = contact }
            try NextInboundTests.check(store, file: file)
        }
        // The re-deliveries did move contacts between customers (the test would otherwise prove little).
        let updated = try textRows(store, "SELECT SUM(updated) FROM ingest_log")[0][0].flatMap { Int($0) } ?? 0
        #expect(updated >= 20)
    }

    /// A store written before the column existed gets it filled by the upgrade.
    @Test func theUpgradeFillsTheColumn() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/store.sqlite"
        do {
            let store = try SQLiteStore(path: path, createWithTimeZone: "Europe/London")
            _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
                .importFile(fixture("canonical/fcr_repeats.csv"), into: store)
        }
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "ALTER TABLE contacts DROP COLUMN next_inbound_at")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v10:%'")
        }
        let reopened = try SQLiteStore(path: path)
        try NextInboundTests.check(reopened, file: 0)
        let filled = try textRows(reopened, "SELECT COUNT(*) FROM contacts WHERE next_inbound_at IS NOT NULL")[0][0].flatMap { Int($0) } ?? 0
        #expect(filled > 0)
    }
}
