@testable import ContactQA
import ContactQATesting
import Foundation
import GRDB
import Logging
import Testing

/// fixtures/zendesk: the incremental ticket export with metric sets, two days.
///
/// By hand, week 2026-W47 after both files: tickets 1001 (email, first reply 95 min), 1002 (web, unassigned on
/// day 1; on day 2 assigned, first reply 300 min, solved, good), 1003 (chat, reply 1 min, bad, escalated),
/// 1004 (voice, reply 0.5 min, urgent); 1005 deleted. Offered 4, handled 4 (tickets are never abandoned).
/// Service level: email ≤ 86,400 s → 1001 and 1002; chat 60 s and voice 30 s > 20 s → 2/4.
/// ASA (5,700 + 18,000 + 60 + 30)/4 = 5,947.5 s. CSAT good/good/bad → 2/3. FCR: requester 9001 wrote 1001
/// then 1003 a day later → 3/4. Escalated: 1003 (tag) and 1004 (urgent) → 2/4. No handle time: AHT n = 0.
@Suite("Zendesk tickets")
struct ZendeskImportTests {
    /// users.json and groups.json beside the export name agents and teams; an end-user in users.json
    /// (a requester) is never read, and an id missing from the files stands as it is.
    @Test func lookupFilesNameAgentsAndGroups() throws {
        let dir = TemporaryDirectory()
        let exports = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: fixture("zendesk/tickets-2026-11-18.json"), toPath: exports.path + "/tickets-2026-11-18.json")
        _ = exports.write("users.json", """
            {"users": [{"id": 501, "name": "Priya Shah", "role": "agent"}, {"id": 9001, "name": "Jo Customer", "role": "end-user"}],
             "next_page": null, "count": 2}
            """)
        _ = exports.write("groups.json", #"{"groups": [{"id": 71, "name": "Billing North"}]}"#)
        let store = try makeStore(dir)
        var service = IngestService(store: store, logger: Logger(label: "test"))
        service.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-31")!)
        _ = try service.ingest(source: "zendesk-tickets", mappingFile: nil, files: [exports.path + "/tickets-2026-11-18.json"], pseudonymiser: testKey)
        let legs = try store.query("SELECT DISTINCT agent_id, team FROM legs ORDER BY 1").map { $0.map(\.string) }
        #expect(legs == [["502", "72"], ["Priya Shah", "Billing North"]])
        let everything = try store.query("SELECT * FROM legs").flatMap { $0.compactMap(\.string) } + store.query("SELECT * FROM contacts").flatMap { $0.compactMap(\.string) }
        #expect(!everything.contains("Jo Customer"))
    }

    @Test func ticketsAndTheirMetrics() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let importer = JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let day1 = try importer.importFile(fixture("zendesk/tickets-2026-11-18.json"), into: store)
        #expect((day1.log.rowsRead, day1.log.inserted, day1.log.rejected) == (5, 4, 0))
        let day2 = try importer.importFile(fixture("zendesk/tickets-2026-11-19.json"), into: store)
        #expect((day2.log.updated, day2.log.stale) == (1, 1))  // 1002 moves on; 1001's older copy changes nothing
        let k = try KPIEngine(store: store).report(period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!),
                                                   groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-31")!).total
        #expect((k.offered, k.handled, k.abandoned) == (4, 4, 0))
        #expect(k.serviceLevel == RateEstimate(2, of: 4))
        #expect(k.asa.value == 5_947.5)
        #expect(k.csat == RateEstimate(2, of: 3))
        #expect(k.fcr == RateEstimate(3, of: 4))
        #expect(k.escalationRate == RateEstimate(2, of: 4))
        #expect(k.aht.n == 0)
        var resolved = KPIParameters()
        resolved.fcrMethod = .resolved
        let r = try KPIEngine(store: store).report(period: Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!),
                                                   groupBy: [], parameters: resolved, asOf: LocalDate(iso: "2026-12-31")!).total
        #expect(r.fcr == RateEstimate(3, of: 4))  // solved 1001, 1002 (day 2), closed 1003; 1004 pending
        #expect(try store.rows("SELECT agent_id, team FROM legs WHERE interaction_id = '1002'") == [["502".databaseValue, "72".databaseValue]])
    }
}

/// fixtures/zendesk/reassigned: tickets moved between groups and agents, and one reopened.
@Suite("Zendesk reassignments and reopens")
struct ZendeskReassignmentTests {
    /// By hand: 2003 passed through two groups and 2004 two agents: transfers, 2 of 4. With
    /// `fcr.method: resolved`, 2001 and 2003 were solved and never reopened; 2002 was reopened and 2004
    /// is still open: FCR 2 of 4.
    @Test func reassignedTicketsAreTransfersAndReopenedOnesNotResolvedFirstTime() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let importer = JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let report = try importer.importFile(fixture("zendesk/reassigned/tickets-2026-11-20.json"), into: store)
        #expect(report.log.rejected == 0)
        #expect(try store.query("SELECT interaction_id, transferred, resolved FROM contacts ORDER BY 1").map { "\($0[0].string!) \($0[1].int!) \($0[2].int!)" }
                == ["2001 0 1", "2002 0 0", "2003 1 1", "2004 1 0"])
        let day = Period(from: LocalDate(iso: "2026-11-20")!, to: LocalDate(iso: "2026-11-20")!, clock: .utc)
        var parameters = KPIParameters()
        parameters.fcrMethod = .resolved
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: parameters, asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.transferRate.numerator == 2 && kpis.transferRate.denominator == 4)
        #expect(kpis.fcr.numerator == 2 && kpis.fcr.denominator == 4)
        // A later export of 2003 without the station counts says nothing of transfers: it stays one.
        let later = dir.write("later.json", #"{"tickets": [{"id": 2003, "via": {"channel": "email"}, "created_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-21T09:00:00Z", "status": "closed", "requester_id": 9103, "metric_set": {"reopens": 0}}]}"#)
        _ = try importer.importFile(later, into: store)
        #expect(try store.query("SELECT transferred, resolved FROM contacts WHERE interaction_id = '2003'").map { "\($0[0].int!) \($0[1].int!)" } == ["1 1"])
    }
}

@Suite("Zendesk untouched tickets")
struct ZendeskUntouchedTests {
    /// By hand: 3001 is `new` though a trigger assigned it, 3002 `new` and unassigned, 3003 `open` with
    /// a reply after 45 minutes. No agent has acted on the two new ones: they are skipped (neither
    /// handled nor abandoned), so the day has 1 offered and 1 handled, not 3 handled; once an export
    /// shows 3001 answered, it loads into its day: 2 and 2.
    @Test func newTicketsWaitUntilAnAgentActs() throws {
        let dir = TemporaryDirectory()
        let store = try makeStore(dir)
        let importer = JSONImporter(mapper: ZendeskTicketMapper(), pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let report = try importer.importFile(fixture("zendesk/untouched/tickets-2026-11-21.json"), into: store)
        #expect(report.log.rejected == 0 && report.log.inserted == 1)
        #expect(report.log.message?.contains("2 records skipped") == true)
        #expect(try textRows(store, "SELECT interaction_id FROM contacts ORDER BY 1") == [["3003"]])
        let day = Period(from: LocalDate(iso: "2026-11-21")!, to: LocalDate(iso: "2026-11-21")!, clock: .utc)
        let kpis = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(kpis.offered == 1 && kpis.handled == 1 && kpis.abandoned == 0)
        // The next export, once an agent has replied to 3001: its leg arrives then.
        let later = dir.write("later.json", #"{"tickets": [{"id": 3001, "via": {"channel": "email"}, "created_at": "2026-11-21T08:00:00Z", "updated_at": "2026-11-21T11:00:00Z", "status": "open", "requester_id": 9201, "assignee_id": 501, "group_id": 71, "metric_set": {"reopens": 0, "reply_time_in_minutes": {"calendar": 170}}}]}"#)
        _ = try importer.importFile(later, into: store)
        let after = try KPIEngine(store: store).report(period: day, groupBy: [], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-01")!).total
        #expect(after.offered == 2 && after.handled == 2)
        #expect(abs((after.asa.value ?? 0) - 6450) < 1e-6)  // (45 + 170) min / 2, in seconds
    }
}

