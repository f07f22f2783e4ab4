@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// How complete a week is rests on each source's latest arrival in a window: on each backend, only
/// the window's contacts count, a source with none in it is absent, and names that sort differently
/// from their arrivals make no difference.
@Suite("Latest arrival of each source")
struct LatestArrivalTests {
    @Test(arguments: Backend.allCases)
    func eachSourcesLatestArrivalInTheWindow(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        // (source, arrival): a source that stopped early, one whose latest lies beyond the window, one
        // before it only, two sharing an instant, and names that sort differently from their arrivals.
        let contacts: [(String, Int64)] = [
            ("genesys", 150), ("genesys", 420), ("genesys", 500),
            ("canonical", 880), ("canonical", 900), ("canonical", 300),
            ("zendesk", 100),
            ("amazon-connect", 300), ("amazon-connect", 950),
            ("json", 900), ("b'quote", 700),
        ]
        _ = try store.transaction { db in
            for (i, (source, at)) in contacts.enumerated() {
                try db.execute("INSERT INTO contacts (source, interaction_id, channel, arrived_at, ingest_id) VALUES (?, ?, 'voice', ?, 0)",
                               [.text(source), .text("C\(i)"), .integer(at)])
            }
        }
        let latest = try store.latestArrivalBySource(fromUTC: 200, toUTC: 920)
        #expect(latest == ["genesys": 500, "canonical": 900, "amazon-connect": 300, "json": 900, "b'quote": 700])
        #expect(try store.latestArrivalBySource(fromUTC: 960, toUTC: 2_000) == [:])
        #expect(try store.latestArrivalBySource(fromUTC: 0, toUTC: 2_000).count == 6)
    }

    /// Each source's contacts in a window, or from an instant on: on each backend the same counts; on
    /// SQLite through the arrival index (an open-ended window read the whole table without it).
    @Test(arguments: Backend.allCases)
    func eachSourcesContactsInTheWindow(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let contacts: [(String, Int64)] = [("genesys", 150), ("genesys", 420), ("canonical", 880), ("canonical", 300), ("zendesk", 100), ("zendesk", 2_500)]
        _ = try store.transaction { db in
            for (i, (source, at)) in contacts.enumerated() {
                try db.execute("INSERT INTO contacts (source, interaction_id, channel, arrived_at, ingest_id) VALUES (?, ?, 'voice', ?, 0)",
                               [.text(source), .text("C\(i)"), .integer(at)])
            }
        }
        #expect(try store.contactCountBySource(fromUTC: 200, toUTC: 900) == ["genesys": 1, "canonical": 2])
        #expect(try store.contactCountBySource(fromUTC: 400) == ["genesys": 1, "canonical": 1, "zendesk": 1])
        #expect(try store.contactCountBySource(fromUTC: 3_000) == [:])
        if backend == .sqlite {
            for bounded in [false, true] {
                let plan = try store.query("EXPLAIN QUERY PLAN " + SQLiteStore.contactCountBySourceSQL(.sqlite, bounded: bounded),
                                           bounded ? [.integer(0), .integer(1)] : [.integer(0)])
                #expect(plan.contains { "\($0)".contains("contacts_arrived") }, "\(plan)")
            }
        }
    }
}
