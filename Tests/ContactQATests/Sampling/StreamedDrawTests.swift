@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Testing

/// A sample drawn from a frame streamed from the store (two passes, the frame never held in memory) is
/// the sample drawn in memory from the same frame: `sample.csv`, `manifest.json` and the recorded frame
/// (every unit's cell, u, π and fate) are the same byte for byte, for every kind of design that streams,
/// on each backend.
@Suite("Samples drawn from a streamed frame", .tags(.slow))
struct StreamedDrawTests {
    static let week = Period(week: ISOWeek("2026-W45")!, clock: ZoneClock(identifier: "UTC")!)

    /// Two stores on the backend holding the same generated month (1,000 contacts a week, 200 agents)
    /// and a roster in which the agents with an even number acknowledged monitoring; nil without a server.
    static func stores(_ backend: Backend, _ dir: TemporaryDirectory) throws -> (streamed: any SQLStore, inMemory: any SQLStore)? {
        let csv = dir.path + "/month.csv"
        _ = try SyntheticExport(rows: 4_000, seed: 11).write(to: csv)
        func make(_ name: String) throws -> (any SQLStore)? {
            let made: (any SQLStore)? = backend == .sqlite
                ? try SQLiteStore(path: "\(dir.path)/\(name).sqlite", createWithTimeZone: "UTC")
                : try makeStore(backend, dir, timeZone: "UTC")
            guard let store = made else { return nil }
            _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q").importFile(csv, into: store)
            _ = try store.upsertRoster((0..<200).filter { $0 % 2 == 0 }.map {
                RosterEntry(agentID: "A\($0)", displayName: nil, team: nil, startDate: nil, acknowledgedOn: LocalDate(iso: "2026-01-05"))
            })
            return store
        }
        guard let streamed = try make("streamed"), let inMemory = try make("memory") else { return nil }
        return (streamed, inMemory)
    }

    static let plans: [String] = [
        // The benchmark's plan: strata, Cochran's n, per-agent limits, no roster exclusion.
        "frame: {exclude: {unacknowledged_agents: false}}\nstrata: [channel]\nsize: {margin_of_error: 0.03, confidence: 0.95, proportion: 0.5}\nper_agent: {min: 2, max: 20}\nseed: 1",
        // Simple random sampling with the roster's exclusions.
        "size: {n: 60}\nseed: 7",
        // Two stratum fields, equal allocation, a minimum per agent that agents with one leg cannot meet.
        "strata: [team, channel]\nsize: {margin_of_error: 0.05, confidence: 0.95, proportion: 0.5}\nallocation: equal\nper_agent: {min: 3}\nseed: 3",
        // Poisson sampling with a rate per stratum.
        "strata: [channel]\nsize: {rate: 0.05}\nstratum_rates: {chat: 0.2, email: 1}\nmethod: poisson\nseed: 5",
        // Neyman allocation over filtered channels and a minimum handle time.
        "frame: {channels: [voice, chat], min_handle_s: 60}\nstrata: [channel]\nsize: {n: 80}\nallocation: neyman\nstratum_sd: {voice: 12, chat: 4}\nseed: 9",
        // More asked for than the frame holds.
        "strata: [queue]\nsize: {n: 100000}\nseed: 2",
    ]

    @Test(arguments: Backend.allCases)
    func theStreamedSampleIsTheSampleDrawnInMemory(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let (streamed, inMemory) = try StreamedDrawTests.stores(backend, dir) else { return }
        for (index, text) in StreamedDrawTests.plans.enumerated() {
            let plan = try SamplingPlan.parse(yaml: "name: plan\(index)\n" + text, file: "plan\(index).yaml")
            #expect(StreamedDraw.canStream(plan))
            let (a, outcomeA) = try SamplingService(store: streamed).sample(plan: plan, period: StreamedDrawTests.week, out: "\(dir.path)/a\(index)")
            var memory = SamplingService(store: inMemory)
            memory.streamsFrames = false
            let (b, _) = try memory.sample(plan: plan, period: StreamedDrawTests.week, out: "\(dir.path)/b\(index)")
            // The streamed sample holds its selected units only; the one drawn in memory, the whole frame.
            #expect(a.sample.frameUnits != nil && b.sample.frameUnits == nil)
            #expect(a.sample.frameSize == b.sample.units.count && a.sample.units.count == b.sample.selected.count, "plan \(index)")
            #expect(a.sample.selected.count > 0, "plan \(index)")
            for file in ["sample.csv", "manifest.json"] {
                let left = try String(contentsOfFile: "\(dir.path)/a\(index)/\(file)", encoding: .utf8)
                let right = try String(contentsOfFile: "\(dir.path)/b\(index)/\(file)", encoding: .utf8)
                #expect(left == right.replacingOccurrences(of: inMemory.location, with: streamed.location), "plan \(index): \(file)")
            }
            let recorded = "SELECT source, interaction_id, leg, cell, u_bits, inclusion_probability, selected, reason FROM sample_units ORDER BY sample_id, source, interaction_id, leg"
            #expect(try textRows(streamed, recorded) == textRows(inMemory, recorded), "plan \(index)")
            #expect(try textRows(streamed, "SELECT frame_fingerprint FROM samples") == textRows(inMemory, "SELECT frame_fingerprint FROM samples"))
            // The record is what `sample verify` re-derives, and a second run reuses it.
            #expect(try SamplingService(store: streamed).verify(manifestPath: "\(dir.path)/a\(index)/manifest.json").differences == [])
            guard case .drawn(let id) = outcomeA else { Issue.record("plan \(index) was not drawn"); continue }
            let (reused, again) = try SamplingService(store: streamed).sample(plan: plan, period: StreamedDrawTests.week, out: "\(dir.path)/a\(index)")
            #expect(again == .reused(id))
            // The reused sample reads its selected legs only, and still knows the frame's size ("21 of 229 legs").
            #expect(reused.sample.units.count == a.sample.units.count && reused.sample.frameSize == a.sample.frameSize)
        }
    }

    /// `sample verify` on a plan by cells compares the re-draw with the record inside the store; it
    /// must say exactly what the comparison in memory says, in the same order, for every kind of
    /// difference: a deleted leg, a leg the record lacks (late), a moved cell, a tampered u, π and fate.
    @Test(arguments: Backend.allCases)
    func aStreamedVerificationSaysWhatTheOneInMemorySays(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let (store, _) = try StreamedDrawTests.stores(backend, dir) else { return }
        for index in [0, 3] {
            let plan = try SamplingPlan.parse(yaml: "name: plan\(index)\n" + StreamedDrawTests.plans[index], file: "plan\(index).yaml")
            let out = "\(dir.path)/v\(index)"
            _ = try SamplingService(store: store).sample(plan: plan, period: StreamedDrawTests.week, out: out)
            func verify(streaming: Bool) throws -> [String] {
                var service = SamplingService(store: store)
                service.streamsFrames = streaming
                return try service.verify(manifestPath: out + "/manifest.json").differences
            }
            #expect(try verify(streaming: true) == [] && verify(streaming: false) == [])
            let units = try textRows(store, """
                SELECT u.source, u.interaction_id, u.leg, u.selected FROM sample_units u JOIN samples s ON s.id = u.sample_id
                WHERE s.plan_name = 'plan\(index)' ORDER BY u.selected DESC, u.interaction_id DESC, u.leg
                """)
            #expect(units.count > 10)
            func key(_ row: [String?]) -> String { "source = '\(row[0]!)' AND interaction_id = '\(row[1]!)' AND leg = \(row[2]!)" }
            let sample = "sample_id = (SELECT id FROM samples WHERE plan_name = 'plan\(index)')"
            _ = try store.transaction { db in
                try db.execute("DELETE FROM legs WHERE \(key(units[0]))", [])  // a selected leg deleted since
                try db.execute("DELETE FROM sample_units WHERE \(sample) AND \(key(units[1]))", [])  // late: not in the record
                try db.execute("UPDATE sample_units SET u_bits = u_bits + 1 WHERE \(sample) AND \(key(units[units.count - 1]))", [])
                try db.execute("UPDATE sample_units SET inclusion_probability = 0.123 WHERE \(sample) AND \(key(units[units.count - 2]))", [])
                try db.execute("UPDATE sample_units SET selected = 1 - selected WHERE \(sample) AND \(key(units[units.count - 3]))", [])
                // Another channel: the leg moves to another cell.
                try db.execute("""
                    UPDATE contacts SET channel = CASE WHEN channel = 'email' THEN 'voice' ELSE 'email' END
                    WHERE source = '\(units[units.count - 4][0]!)' AND interaction_id = '\(units[units.count - 4][1]!)'
                    """, [])
            }
            let streamed = try verify(streaming: true)
            #expect(streamed == (try verify(streaming: false)), "plan \(index)")
            for kind in ["deleted row: ", "late row: ", "moved from cell", "the stored random number u", "the stored inclusion probability 0.123"] {
                #expect(streamed.contains { $0.contains(kind) }, "plan \(index): \(kind)")
            }
        }
    }

    /// A QA analyst verifying a sample while the nightly load holds the store's write lock: the
    /// verification reads the store and writes only temporary tables, so it does not wait (its store
    /// gives up after 0.3 s, as a writer would).
    @Test func verifyingDoesNotWaitForALoadInProgress() throws {
        let dir = TemporaryDirectory()
        guard let (store, _) = try StreamedDrawTests.stores(.sqlite, dir) else { return }
        let plan = try SamplingPlan.parse(yaml: "name: plan0\n" + StreamedDrawTests.plans[0], file: "plan0.yaml")
        _ = try SamplingService(store: store).sample(plan: plan, period: StreamedDrawTests.week, out: dir.path + "/s")
        let path = dir.path + "/streamed.sqlite"
        let verifier = try SQLiteStore(path: path, wait: 0.3)
        let load = try DatabaseQueue(path: path)
        try load.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE TRANSACTION")
            try db.execute(sql: "INSERT INTO roster (agent_id, ingest_id) VALUES ('LOADING', 0)")
            defer { try? db.execute(sql: "ROLLBACK") }
            #expect(try SamplingService(store: verifier).verify(manifestPath: dir.path + "/s/manifest.json").differences == [])
        }
    }

    @Test(arguments: Backend.allCases)
    func anEmptyFrameSaysSoEitherWay(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let (streamed, inMemory) = try StreamedDrawTests.stores(backend, dir) else { return }
        let plan = try SamplingPlan.parse(yaml: "name: none\nframe: {teams: [Nobody]}\nsize: {n: 5}\nseed: 1", file: "p.yaml")
        var memory = SamplingService(store: inMemory)
        memory.streamsFrames = false
        let expected = "the frame is empty: no handled leg of the period passes the plan's filters"
        #expect(throws: SamplingError(expected)) { try SamplingService(store: streamed).sample(plan: plan, period: StreamedDrawTests.week, out: dir.path + "/a") }
        #expect(throws: SamplingError(expected)) { try memory.sample(plan: plan, period: StreamedDrawTests.week, out: dir.path + "/b") }
        #expect(try textRows(streamed, "SELECT COUNT(*) FROM samples") == [["0"]])
    }
}
