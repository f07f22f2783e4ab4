@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// KPIs of fixtures/canonical/contacts_2026-W47.csv, worked out by hand (fixtures/README.md lists the rows).
///
/// Week 2026-W47 in Europe/London (UTC+0 in November): C1–C8, C10–C12 are inbound (C9 is outbound;
/// X1 falls on Monday of W48 and X2 on Sunday of W46).
/// - offered 11; abandoned C2 (wait 3 s, short), C3 (45 s), C10 (wait unknown, not short) → 3; handled 8.
/// - abandonment rate (3 − 1) / (11 − 1) = 0.2.
/// - service level: met by C1 (10 s), C5 (chat 15 s), C7 (email 7,200 s ≤ 86,400), C8 (20 s ≤ 20), C12 (5 s);
///   missed by C4 (25), C6 (chat 30), C11 (21) → 5 / 10 = 0.5.
/// - ASA over the 8 handled waits 10+25+15+30+7200+20+21+5 = 7,326 → 915.75.
/// - transferred: C4 has two legs → 1/8; escalated: C6 → 1/8.
/// - AHT over 9 legs 360, 230, 510, 600, 480, 300, 300, 180, 120 = 3,080 → 342.22…; median 300; p90 528.
/// - CSAT: C1 5/5 ✓, C4 2/5 ✗, C5 4/5 ✓ (top two boxes), C7 1 on a 0–1 scale ✓ → 3/4;
///   mean of (1, 0.25, 0.75, 1) = 0.75. NPS: 9, 6, 10 → 2 promoters, 1 detractor → 33.33….
/// - FCR: the 8 handled contacts all have customer keys; C5 is followed by C6 (same customer, two hours
///   later, other spelling of the email) → 7/8. C9 (outbound) repeats nothing.
@Suite("KPI engine on a hand-checked fixture")
struct KPIEngineTests {
    static func loadedStore(_ dir: TemporaryDirectory, _ backend: Backend = .sqlite) throws -> (any ContactStore)? {
        guard let store = try makeStore(backend, dir) else { return nil }
        let importer = CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path + "/q")
        let report = try importer.importFile(fixture("canonical/contacts_2026-W47.csv"), into: store)
        #expect(report.outcome == .loaded)
        #expect(report.log.rejected == 0)
        return store
    }

    static let week = Period(week: ISOWeek("2026-W47")!, clock: ZoneClock(identifier: "Europe/London")!)

    func report(_ store: any ContactStore, by: [GroupDimension] = [], asOf: String = "2026-12-01") throws -> KPIReport {
        try KPIEngine(store: store).report(period: KPIEngineTests.week, groupBy: by, parameters: KPIParameters(), asOf: LocalDate(iso: asOf)!)
    }

    @Test(arguments: Backend.allCases) func totalsMatchTheHandWorkedValues(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try KPIEngineTests.loadedStore(dir, backend) else { return }
        let k = try report(store).total
        #expect((k.offered, k.handled, k.abandoned, k.shortAbandoned) == (11, 8, 3, 1))
        #expect(k.abandonmentRate == RateEstimate(2, of: 10))
        #expect(k.abandonmentRate.value == 0.2)
        #expect(k.serviceLevel == RateEstimate(5, of: 10))
        #expect(k.asa.value == 915.75)
        #expect(k.asa.n == 8)
        #expect(k.transferRate == RateEstimate(1, of: 8))
        #expect(k.escalationRate == RateEstimate(1, of: 8))
        #expect(k.aht.n == 9)
        #expect(abs(k.aht.value! - 3080.0 / 9) < 1e-9)
        #expect(k.ahtMedian == 300)
        #expect(k.ahtP90 == 528)
        #expect(k.csat == RateEstimate(3, of: 4))
        #expect(k.csatMean.value == 0.75)
        #expect(k.nps.responses == 3)
        #expect(abs(k.nps.value! - 100.0 / 3) < 1e-9)
        // FCR: all 8 handled contacts have a customer key; only C5 is repeated (C6, same customer two hours later).
        #expect(k.fcr == RateEstimate(7, of: 8))
        #expect(k.repeatContactRate == RateEstimate(1, of: 8))
    }

    @Test(arguments: Backend.allCases) func contactsGroupByTheirLastLegAndLegsByTheirOwnAgent(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try KPIEngineTests.loadedStore(dir, backend) else { return }
        let r = try report(store, by: [.agent])
        let byAgent = Dictionary(uniqueKeysWithValues: r.groups.map { (r.display($0.key[0], .agent) ?? "null", $0.kpis) })
        #expect(r.groups.map { r.display($0.key[0], .agent) } == ["A1", "A2", "A3", nil])  // sorted, unassigned last
        #expect(byAgent["A1"]?.offered == 4)  // C1, C7, C8, C12
        #expect(byAgent["A2"]?.offered == 1)  // C11 (C4 closed with A3)
        #expect(byAgent["A3"]?.offered == 3)  // C4, C5, C6
        #expect(byAgent["null"]?.offered == 3)  // the abandoned C2, C3, C10
        #expect(byAgent["null"]?.aht.n == 0)
        #expect(byAgent["A2"]?.aht.n == 2)  // C4's first leg (230) and C11 (180)
        #expect(byAgent["A2"]?.aht.value == 205)
        let a3Mean: Double = 1590.0 / 3  // (510 + 600 + 480) / 3
        #expect(byAgent["A3"]?.aht.value == a3Mean)
    }

    @Test(arguments: Backend.allCases) func teamByWeekPairsAndDays(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try KPIEngineTests.loadedStore(dir, backend) else { return }
        let pairs = try report(store, by: [.team, .week])
        #expect(pairs.groups.map { pairs.display($0.key[0], .team) } == ["Team A", "Team B", nil])
        #expect(pairs.groups.allSatisfy { pairs.display($0.key[1], .week) == "2026-W47" })
        let days = try report(store, by: [.day])
        #expect(days.groups.map { days.display($0.key[0], .day)! } == ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"])
        #expect(days.groups.map(\.kpis.offered) == [3, 1, 2, 1, 1, 2, 1])
    }

    @Test(arguments: Backend.allCases) func provisionalUntilTheFCRWindowHasPassed(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try KPIEngineTests.loadedStore(dir, backend) else { return }
        #expect(try report(store, asOf: "2026-11-29").provisional)  // week ends 22 Nov; + 7 days = 29 Nov
        #expect(try !report(store, asOf: "2026-11-30").provisional)
    }

    @Test(arguments: Backend.allCases) func jsonHasTheShapeOfDesign6(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try KPIEngineTests.loadedStore(dir, backend) else { return }
        let json = try report(store, by: [.channel]).json.rendered()
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["period", "parameters", "group_by", "groups", "total"])
        let period = object["period"] as! [String: Any]
        #expect(period["from"] as? String == "2026-11-16")
        #expect(period["to"] as? String == "2026-11-22")
        #expect(period["timezone"] as? String == "Europe/London")
        #expect(period["provisional"] as? Bool == false)
        let groups = object["groups"] as! [[String: Any]]
        #expect(groups.map { ($0["key"] as! [String: Any])["channel"] as! String } == ["chat", "email", "voice"])
        let total = (object["total"] as! [String: Any])["kpis"] as! [String: Any]
        #expect(Set(total.keys) == ["offered", "handled", "abandoned", "short_abandoned", "transferred", "escalated",
                                    "abandonment_rate", "service_level", "transfer_rate", "escalation_rate", "fcr",
                                    "repeat_contact_rate", "csat", "asa_s", "csat_mean", "aht_s", "nps"])
        let sl = total["service_level"] as! [String: Any]
        #expect(sl["value"] as? Double == 0.5)
        #expect(sl["numerator"] as? Int == 5)
        #expect(sl["denominator"] as? Int == 10)
        let ci = sl["ci95"] as! [Double]
        #expect(abs(ci[0] - 0.23659309051256394) < 1e-12)  // statsmodels Wilson (5, 10)
        #expect((total["fcr"] as! [String: Any])["numerator"] as? Int == 7)
        #expect((total["repeat_contact_rate"] as! [String: Any])["numerator"] as? Int == 1)
        let fcrParameters = (object["parameters"] as! [String: Any])["fcr"] as! [String: Any]
        #expect(fcrParameters["method"] as? String == "repeat_contact")
        #expect(fcrParameters["window_days"] as? Int == 7)
        #expect(fcrParameters["match"] as? String == "customer")
        #expect(groups.allSatisfy { $0["provisional"] as? Bool == false })
        let aht = total["aht_s"] as! [String: Any]
        #expect(aht["median"] as? Double == 300)
        #expect(aht["p90"] as? Double == 528)
        #expect(aht["n"] as? Int == 9)
        let nps = total["nps"] as! [String: Any]
        #expect(nps["promoters"] as? Int == 2)
    }

    @Test(arguments: Backend.allCases) func weeksFollowLocalTimeAcrossTheSpringDSTChange(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        // Sunday 29 March 2026 23:30 BST is 22:30 UTC: still week 13 locally. Monday 30 March 00:30 BST
        // is Sunday 23:30 UTC: week 14 locally, though its UTC date is in week 13.
        let file = dir.write("dst.csv", """
            interaction_id,channel,arrived_at,abandoned
            a,voice,2026-03-29T22:30:00Z,true
            b,voice,2026-03-29T23:30:00Z,true
            c,voice,2026-03-29T00:30:00Z,true
            """)
        _ = try CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path).importFile(file, into: store)
        let clock = ZoneClock(identifier: "Europe/London")!
        let period = Period(from: LocalDate(iso: "2026-03-23")!, to: LocalDate(iso: "2026-04-05")!, clock: clock)
        let r = try KPIEngine(store: store).report(period: period, groupBy: [.week, .hour], parameters: KPIParameters(), asOf: LocalDate(iso: "2026-05-01")!)
        #expect(r.groups.map { "\(r.display($0.key[0], .week)!) h\(r.display($0.key[1], .hour)!): \($0.kpis.offered)" }
            == ["2026-W13 h0: 1", "2026-W13 h23: 1", "2026-W14 h0: 1"])
    }

    @Test(arguments: Backend.allCases) func weeksFollowLocalTimeAcrossTheAutumnChangeAndWeek53(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let store = try makeStore(backend, dir) else { return }
        let file = dir.write("w53.csv", """
            interaction_id,channel,arrived_at,abandoned
            oct-bst,voice,2026-10-25T00:30:00Z,true
            oct-gmt,voice,2026-10-25T01:30:00Z,true
            w53,voice,2027-01-03T23:59:59Z,true
            w01,voice,2027-01-04T00:00:00Z,true
            """)
        var importer = CSVImporter(mapping: .canonical, pseudonymiser: testKey, quarantineDirectory: dir.path)
        importer.bounds = PlausibilityBounds(asOf: LocalDate(iso: "2027-02-01")!)  // the data runs into 2027
        _ = try importer.importFile(file, into: store)
        let clock = ZoneClock(identifier: "Europe/London")!
        let october = try KPIEngine(store: store).report(period: Period(from: LocalDate(iso: "2026-10-25")!, to: LocalDate(iso: "2026-10-25")!, clock: clock),
                                                         groupBy: [.hour], parameters: KPIParameters(), asOf: LocalDate(iso: "2027-02-01")!)
        // Both instants read 01:30 on the clock in London: the repeated hour.
        #expect(october.groups.map { october.display($0.key[0], .hour)! } == ["1"])
        #expect(october.groups[0].kpis.offered == 2)
        let turn = try KPIEngine(store: store).report(period: Period(from: LocalDate(iso: "2026-12-28")!, to: LocalDate(iso: "2027-01-10")!, clock: clock),
                                                      groupBy: [.week], parameters: KPIParameters(), asOf: LocalDate(iso: "2027-02-01")!)
        #expect(turn.groups.map { turn.display($0.key[0], .week)! } == ["2026-W53", "2027-W01"])
    }
}
