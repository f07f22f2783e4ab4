@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// First-contact resolution on fixtures/canonical/fcr_repeats.csv, worked out by hand (window 7 days).
///
/// Week 2026-W47 (16–22 Nov, London = UTC in November). Handled contacts with a customer key: F1, F2,
/// F4, F6, F7, F8, F9, F10, F13, F14 → 10 (F12 has no key and is not judged; F6 is one contact of two legs).
/// Repeats with `match: customer`:
/// - F1 ← F2 (same phone, chat four days later: another channel counts);
/// - F2: F3 comes 8 days 1 hour later, outside the window → resolved;
/// - F4 ← F5 (Tuesday of the next week, abandoned: an abandoned repeat counts, across the week boundary);
/// - F6: its second leg is a transfer, not a repeat → resolved;
/// - F7 ← F8 ← F9 (a chain: each is judged on its own; F9 has no later contact) → F7, F8 repeated;
/// - F10 ← F11 exactly 7 × 24 h later (at most W × 24 h: a repeat);
/// - F13 ← F14 (another reason: a repeat by customer, not by customer+reason).
/// → 6 repeated, FCR 4/10. With `customer+reason`, F13 is resolved, and F4 stays repeated because F5
/// has no reason (a contact without a reason matches any) → 5/10.
@Suite("First-contact resolution")
struct FCRTests {
    static func store(_ dir: TemporaryDirectory, _ backend: Backend = .sqlite) throws -> (any ContactStore)? {
        guard let store = try makeStore(backend, dir) else { return nil }
        let report = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
            .importFile(fixture("canonical/fcr_repeats.csv"), into: store)
        #expect(report.log.rejected == 0)
        return store
    }

    static let clock = ZoneClock(identifier: "Europe/London")!

    func kpis(_ store: any ContactStore, week: String = "2026-W47", by: [GroupDimension] = [], _ parameters: KPIParameters = KPIParameters(),
              asOf: String = "2026-12-31") throws -> KPIReport {
        try KPIEngine(store: store).report(period: Period(week: ISOWeek(week)!, clock: FCRTests.clock), groupBy: by,
                                           parameters: parameters, asOf: LocalDate(iso: asOf)!)
    }

    @Test(arguments: Backend.allCases) func repeatsByCustomer(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        let k = try kpis(store).total
        #expect(k.fcr == RateEstimate(4, of: 10))
        #expect(k.repeatContactRate == RateEstimate(6, of: 10))
        #expect(k.transferRate == RateEstimate(1, of: 11))  // F6, of the 11 handled contacts (F12 included)
    }

    @Test(arguments: Backend.allCases) func repeatsByCustomerAndReason(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        var parameters = KPIParameters()
        parameters.fcrMatch = .customerAndReason
        #expect(try kpis(store, parameters).total.fcr == RateEstimate(5, of: 10))
    }

    @Test(arguments: Backend.allCases) func aShorterWindowFindsFewerRepeats(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        var parameters = KPIParameters()
        parameters.fcrWindowDays = 1
        // Within 24 h only F7 ← F8, F8 ← F9 and F13 ← F14 (each exactly one day later) are repeats → 7/10.
        #expect(try kpis(store, parameters).total.fcr == RateEstimate(7, of: 10))
    }

    @Test(arguments: Backend.allCases) func theSourcesResolvedFlag(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        var parameters = KPIParameters()
        parameters.fcrMethod = .resolved
        // Handled with a flag: F1 t, F2 t, F4 f, F6 t, F7 f, F8 f, F9 t, F10 t, F12 t (no key needed) → 6 of 9; F13, F14 have none.
        let report = try kpis(store, parameters, asOf: "2026-11-23")
        #expect(report.total.fcr == RateEstimate(6, of: 9))
        #expect(!report.provisional)  // the flag does not wait for repeats
    }

    @Test(arguments: Backend.allCases) func weeksAndAgentsAndTheProvisionalFlag(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        let next = try kpis(store, week: "2026-W48").total
        #expect(next.fcr == RateEstimate(2, of: 2))  // F3 and F11, nothing after them
        // By closing agent: A3 closed F2, F6, F9, F10 → F2, F6, F9 resolved, F10 repeated.
        let byAgent = try kpis(store, by: [.agent])
        let a3 = byAgent.groups.first { byAgent.display($0.key[0], .agent) == "A3" }!
        #expect(a3.kpis.fcr == RateEstimate(3, of: 4))
        // Provisional until the as-of date is past 22 Nov + 7 days; the same data then reads final.
        #expect(try kpis(store, asOf: "2026-11-29").provisional)
        #expect(try !kpis(store, asOf: "2026-11-30").provisional)
    }

    @Test(arguments: Backend.allCases) func provisionalPerWeekWithinALongPeriod(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        let period = Period(from: LocalDate(iso: "2026-11-16")!, to: LocalDate(iso: "2026-11-29")!, clock: FCRTests.clock)
        let report = try KPIEngine(store: store).report(period: period, groupBy: [.week], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-12-02")!)
        #expect(report.groups.map { report.isProvisional($0) } == [false, true])  // W47 ended 22 Nov (+7 = 29 < 2 Dec); W48 ends 29 Nov
        #expect(report.provisional)
    }

    @Test(arguments: Backend.allCases) func aRepeatArrivingLaterChangesAProvisionalWeek(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        #expect(try kpis(store, week: "2026-W48", asOf: "2026-11-30").total.fcr == RateEstimate(2, of: 2))
        // Tonight's export brings F15: the customer of F3 calls again on 1 Dec.
        let file = dir.write("late.csv", "interaction_id,channel,customer_id,arrived_at,abandoned\nF15,voice,+44 20 7946 1001,2026-12-01T09:00:00Z,true\n")
        var importer = CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path)
        importer.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2026-12-02")!)  // tonight is 2 December
        _ = try importer.importFile(file, into: store)
        #expect(try kpis(store, week: "2026-W48", asOf: "2026-12-02").total.fcr == RateEstimate(1, of: 2))
    }

    @Test(arguments: Backend.allCases) func badParametersAreRefused(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        var parameters = KPIParameters()
        parameters.fcrWindowDays = 0
        #expect(throws: ParameterError("the FCR window must be at least 1 day, not 0")) { try kpis(store, parameters) }
        #expect(throws: ParameterError("a grouping cannot be used twice: agent,agent")) { try kpis(store, by: [.agent, .agent]) }
    }

    @Test(arguments: Backend.allCases) func anEmptyPeriodGivesUnknownRatesNotZeros(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try FCRTests.store(dir, backend) else { return }
        let k = try kpis(store, week: "2026-W30").total
        #expect(k.offered == 0)
        #expect(k.fcr.value == nil)
        #expect(k.serviceLevel.ci95 == nil)
        #expect(k.aht.value == nil)
    }
}
