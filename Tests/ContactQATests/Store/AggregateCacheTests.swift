@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// A night with nothing new reads the aggregates the night before kept. A kept aggregate must be the
/// one the statement computes, bit for bit, and must never be read once any row it depends on has
/// changed, whichever way the row changed.
@Suite("Aggregates kept between runs")
struct AggregateCacheTests {
    static let clock = ZoneClock(identifier: "Europe/London")!
    static let week = Period(week: ISOWeek("2026-W47")!, clock: clock)
    static let asOf = LocalDate(iso: "2026-12-31")!

    /// What a night computes from contacts, legs and the roster for the week: KPIs in total, by
    /// team, agent and day, the report's roll-up, FCR by customer and the consistency checks.
    static func figures(_ store: SQLiteStore) throws -> String {
        let engine = KPIEngine(store: store)
        var parts: [String] = []
        for groupBy in [[], [GroupDimension.team], [.agent], [.day]] {
            parts.append(try engine.report(period: week, groupBy: groupBy, parameters: KPIParameters(), asOf: asOf).json.rendered())
        }
        let rollup = try KPIRollup(store: store, span: week, dimensions: [.team], parameters: KPIParameters(), asOf: asOf)
        parts.append(try rollup.report(period: week, groupBy: [.week]).json.rendered())
        parts.append(String(describing: try store.fcrByCustomer(week, parameters: KPIParameters())))
        parts.append(String(describing: try store.consistencyChecks(week, windowDays: 7).map { ($0.name, $0.count, $0.examples) }))
        return parts.joined(separator: "\n")
    }

    /// The same figures computed afresh, from a copy of the store without its kept aggregates.
    static func fresh(_ store: SQLiteStore, _ dir: TemporaryDirectory) throws -> String {
        let copy = dir.path + "/fresh-\(UUID().uuidString).sqlite"
        try store.queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        let other = try SQLiteStore(path: copy, createWithTimeZone: nil)
        try other.queue.write { db in try db.execute(sql: "DELETE FROM aggregate_cache") }
        #expect(try other.queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM aggregate_cache") } == 0)
        return try figures(other)
    }

    static func state(_ store: SQLiteStore) throws -> (dirty: Int, entries: Int) {
        try store.queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT dirty FROM aggregate_cache_state") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM aggregate_cache") ?? -1)
        }
    }

    static func loadedStore(_ dir: TemporaryDirectory) throws -> SQLiteStore {
        let store = try makeStore(dir)
        let file = dir.path + "/contacts.csv"
        try SyntheticExport(rows: 3_000, seed: 21).write(to: file)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(file, into: store)
        #expect(report.log.rejected == 0)
        return store
    }

    @Test func aKeptAggregateIsTheComputedOneAndIsReadBack() throws {
        let dir = TemporaryDirectory()
        let store = try AggregateCacheTests.loadedStore(dir)
        #expect(try AggregateCacheTests.state(store) == (1, 0))  // a new store's rows count as changed
        try store.prepareAggregateCache()
        let computed = try AggregateCacheTests.figures(store)
        let kept = try AggregateCacheTests.state(store)
        #expect(kept.dirty == 0 && kept.entries >= 9)
        #expect(try AggregateCacheTests.figures(store) == computed)
        #expect(try AggregateCacheTests.fresh(store, dir) == computed)

        // Read back, not recomputed: with a trigger dropped (never done outside this test) a change goes
        // unseen, and the kept figures come back although the data now say otherwise.
        try store.queue.write { db in
            try db.execute(sql: "DROP TRIGGER legs_update_stales_aggregates")
            try db.execute(sql: "UPDATE legs SET talk_s = talk_s + 100")
        }
        #expect(try AggregateCacheTests.figures(store) == computed)
        #expect(try AggregateCacheTests.fresh(store, dir) != computed)

        // A kept entry that does not decode is computed again.
        try store.queue.write { db in try db.execute(sql: "UPDATE aggregate_cache SET payload = X'0100'") }
        #expect(try AggregateCacheTests.figures(store) == AggregateCacheTests.fresh(store, dir))
    }

    /// Every way a row the aggregates read can change: the next figures are computed afresh.
    @Test(arguments: [
        "a new file", "a re-delivered contact", "retention", "the roster",
        "INSERT INTO contacts", "UPDATE contacts", "DELETE FROM contacts",
        "INSERT INTO legs", "UPDATE legs", "DELETE FROM legs",
        "INSERT INTO roster", "UPDATE roster", "DELETE FROM roster",
    ])
    func anyChangeMakesTheNextRunComputeAgain(_ change: String) throws {
        let dir = TemporaryDirectory()
        let store = try AggregateCacheTests.loadedStore(dir)
        _ = try store.upsertRoster([RosterEntry(agentID: "A0007", displayName: nil, team: "T-roster", startDate: nil, acknowledgedOn: nil)])
        try store.prepareAggregateCache()
        let before = try AggregateCacheTests.figures(store)
        #expect(try AggregateCacheTests.state(store).dirty == 0)

        let importer = CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let (id, agent) = try store.queue.read { db in
            let row = try #require(try Row.fetchOne(db, sql: """
                SELECT c.interaction_id, l.agent_id FROM contacts c JOIN legs l USING (source, interaction_id)
                WHERE c.arrived_at >= ? AND c.arrived_at < ? AND c.abandoned = 0 ORDER BY 1 LIMIT 1
                """, arguments: [AggregateCacheTests.week.fromUTC, AggregateCacheTests.week.toUTC]))
            return (row[0] as String, row[1] as String)
        }
        switch change {
        case "a new file":
            let path = dir.path + "/tonight.csv"
            try """
                interaction_id,channel,direction,queue,team,agent_id,customer_id,arrived_at,wait_s,abandoned,talk_s
                NEW-1,voice,inbound,billing,T01,A0001,+44 20 7946 0111,2026-11-18T10:00:00Z,12,false,300
                """.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try importer.importFile(path, into: store).log.inserted == 1)
        case "a re-delivered contact":
            let path = dir.path + "/corrected.csv"
            try """
                interaction_id,channel,direction,queue,team,agent_id,customer_id,arrived_at,wait_s,abandoned,talk_s
                \(id),voice,inbound,billing,T01,\(agent),+44 20 7946 0112,2026-11-18T11:00:00Z,999,false,4000
                """.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try importer.importFile(path, into: store).log.updated == 1)
        case "retention":
            #expect(try store.applyRetention(before: AggregateCacheTests.week.fromUTC + 86_400_000, cutoffWeek: ISOWeek("2026-W47")!) > 0)
        case "the roster":
            _ = try store.upsertRoster([RosterEntry(agentID: agent, displayName: nil, team: "T-moved", startDate: nil, acknowledgedOn: nil)])
        default:
            let sql = switch change {
            case "INSERT INTO contacts": "INSERT INTO contacts (source, interaction_id, channel, arrived_at, ingest_id) VALUES ('canonical', 'RAW-1', 'voice', \(AggregateCacheTests.week.fromUTC + 3_600_000), 0)"
            case "UPDATE contacts": "UPDATE contacts SET wait_s = 1000 WHERE interaction_id = '\(id)'"
            case "DELETE FROM contacts": "DELETE FROM contacts WHERE interaction_id = '\(id)'"
            case "INSERT INTO legs": "INSERT INTO legs (source, interaction_id, leg, agent_id, talk_s, ingest_id) VALUES ('canonical', '\(id)', 9, 'A0001', 777, 0)"
            case "UPDATE legs": "UPDATE legs SET talk_s = 5000 WHERE interaction_id = '\(id)'"
            case "DELETE FROM legs": "DELETE FROM legs WHERE interaction_id = '\(id)'"
            case "INSERT INTO roster": "INSERT INTO roster (agent_id, team, ingest_id) VALUES ('A-NEW', 'T-new', 0)"
            case "UPDATE roster": "UPDATE roster SET team = 'T-other' WHERE agent_id = 'A0007'"
            default: "DELETE FROM roster"
            }
            try store.queue.write { db in try db.execute(sql: sql) }
        }
        #expect(try AggregateCacheTests.state(store).dirty == 1, "\(change)")
        let again = try AggregateCacheTests.figures(store)  // read while dirty: computed, not kept
        #expect(again == (try AggregateCacheTests.fresh(store, dir)), "\(change)")
        try store.prepareAggregateCache()
        #expect(try AggregateCacheTests.state(store) == (0, 0))
        #expect(try AggregateCacheTests.figures(store) == again)
        // (The generated legs carry their team: a roster change leaves these figures as they were.)
        if !change.hasSuffix("roster") { #expect(again != before, "\(change) changes the figures") }
    }

    /// A site loads the same roster file every night: unchanged entries are not rewritten, so the
    /// kept aggregates stay valid; a changed entry (a team where there was none, a name removed) is.
    @Test func theSameRosterAgainChangesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let roster = [RosterEntry(agentID: "A1", displayName: "Ann", team: nil, startDate: nil, acknowledgedOn: nil),
                      RosterEntry(agentID: "A2", displayName: nil, team: "T2", startDate: LocalDate(iso: "2026-01-05"), acknowledgedOn: nil)]
        _ = try store.upsertRoster(roster)
        try store.prepareAggregateCache()
        _ = try store.upsertRoster(roster)
        #expect(try AggregateCacheTests.state(store).dirty == 0)
        _ = try store.upsertRoster([RosterEntry(agentID: "A1", displayName: nil, team: "T1", startDate: nil, acknowledgedOn: nil)])
        #expect(try AggregateCacheTests.state(store).dirty == 1)
        #expect(try textRows(store, "SELECT agent_id, display_name, team, start_date FROM roster ORDER BY 1")
                == [["A1", nil, "T1", nil], ["A2", nil, "T2", "2026-01-05"]])
    }

    /// A load marks the kept aggregates stale itself and lifts the per-row triggers while it writes;
    /// a file that is rejected whole leaves the kept aggregates valid and the triggers in place.
    @Test func aRejectedFileLeavesTheKeptAggregatesAndTheTriggers() throws {
        let dir = TemporaryDirectory()
        let store = try AggregateCacheTests.loadedStore(dir)
        let triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        let before = try textRows(store, triggers)
        #expect(before.count == 9)
        try store.prepareAggregateCache()
        let figures = try AggregateCacheTests.figures(store)
        let kept = try AggregateCacheTests.state(store)
        let path = dir.path + "/bad.csv"
        try """
            interaction_id,channel,direction,customer_id,arrived_at,abandoned
            OK-1,voice,inbound,+44 20 7946 0101,2026-11-16T10:00:00Z,false
            BAD-1,carrier-pigeon,inbound,+44 20 7946 0102,2026-11-16T10:05:00Z,false
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(path, into: store)
        #expect(report.log.rejected == 1 && report.log.inserted == 0)
        #expect(try AggregateCacheTests.state(store) == kept)
        #expect(try textRows(store, triggers) == before)
        #expect(try AggregateCacheTests.figures(store) == figures)
    }

    @Test func aChangeWhileAnAggregateIsComputedKeepsNothing() throws {
        let dir = TemporaryDirectory()
        let store = try AggregateCacheTests.loadedStore(dir)
        try store.prepareAggregateCache()
        let other = try SQLiteStore(path: store.path, createWithTimeZone: nil)
        let value = try store.cachedAggregate("a statement", encode: { (x: Int, w) in w.int(x) }, decode: { try $0.int() }) {
            try other.queue.write { db in try db.execute(sql: "UPDATE contacts SET wait_s = 1 WHERE interaction_id = (SELECT MIN(interaction_id) FROM contacts)") }
            return 42
        }
        #expect(value == 42)
        #expect(try AggregateCacheTests.state(store) == (1, 0))

        // A handle that does not keep aggregates (every command but `run`) never writes any.
        try store.prepareAggregateCache()
        _ = try AggregateCacheTests.figures(other)
        #expect(try AggregateCacheTests.state(store) == (0, 0))
    }
}
