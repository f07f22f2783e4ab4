@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Automatic checks (`auto:` on a scorecard criterion) on every handled leg of the Amazon Connect
/// fixtures of 2026-W47, with their Contact Lens analyses, and their agreement with evaluators —
/// all counted by hand.
///
/// Handled legs: a1 (alice, hold 15 s), t1 leg 1 (bob, 0 s), t1 leg 2 (carol, 0 s), cb1 (alice, 0 s),
/// o1 (bob, 0 s), d1 (carol, 0 s, analysed: non-talk 21 of 180 s, ends at −3.5, "Cancellation"),
/// ch1 (dave, a chat: no hold recorded, analysed: ends at +2.5, no category).
@Suite("Automatic checks and their agreement with evaluators")
struct AutoCheckTests {
    static let scorecard = """
        id: auto-test
        version: 1
        sections:
          - id: s
            criteria:
              - {id: hold, scale: {min: 1, max: 5}, target: 4, auto: {hold_s_above: 10}}
              - {id: silence, scale: yes_no, na_allowed: true, auto: {non_talk_share_above: 0.1}}
              - {id: calm_end, scale: yes_no, na_allowed: true, auto: {end_sentiment_below: -1}}
              - {id: no_cancel, scale: yes_no, na_allowed: true, auto: {category: Cancellation}}
              - {id: greeting, scale: yes_no}
        """

    /// Evaluators rated `hold` on five legs: a1 2 (fail), t1 leg 1 5, t1 leg 2 3 (fail), cb1 4, d1 5.
    static let evaluations = """
        evaluation_id,interaction_id,leg,agent_id,evaluator_id,evaluated_at,scorecard_id,scorecard_version,criterion_id,rating,comment,calibration_session,source
        """ + "\n" + [("E1", "a1", 1, "alice", "2"), ("E2", "t1", 1, "bob", "5"), ("E3", "t1", 2, "carol", "3"), ("E4", "cb1", 1, "alice", "4"), ("E5", "d1", 1, "carol", "5")]
        .flatMap { e in
            ["hold,\(e.4)", "silence,na", "calm_end,na", "no_cancel,na", "greeting,yes"].map {
                "\(e.0),\(e.1),\(e.2),\(e.3),Q1,2026-11-24,auto-test,1,\($0),,,amazon-connect"
            }
        }.joined(separator: "\n") + "\n"

    @Test(arguments: Backend.allCases) func failuresByTeamAndAgreementCountedByHand(_ backend: Backend) throws {
        let dir = TemporaryDirectory()
        guard let (store, service) = try ContactLensTests.connectStore(dir, backend) else { return }
        _ = try service.ingest(.scorecard, mappingFile: nil, files: [dir.write("auto-test.yaml", AutoCheckTests.scorecard)], pseudonymiser: testKey)
        let loaded = try service.ingest(.evaluations, mappingFile: nil, files: [dir.write("evaluations.csv", AutoCheckTests.evaluations)], pseudonymiser: testKey)
        #expect(loaded.first?.log.rejected == 0 && loaded.first?.log.inserted == 5, "\(loaded.first?.log.message ?? "")")
        let report = try AutoCheckReport.build(store: store, period: Period(week: ISOWeek("2026-W47")!, clock: .utc))
        let checks = Dictionary(uniqueKeysWithValues: report.checks.map { ($0.criterion, $0) })
        #expect(report.checks.map(\.criterion) == ["auto-test/hold", "auto-test/silence", "auto-test/calm_end", "auto-test/no_cancel"])
        // hold above 10 s: six legs with a hold, a1 fails.
        let hold = try #require(checks["auto-test/hold"])
        #expect(hold.total == .init(judged: 6, failed: 1))
        #expect(hold.byAgent["alice"] == .init(judged: 2, failed: 1) && hold.byAgent["bob"] == .init(judged: 2, failed: 0))
        // Only the analysed legs are judged by the analytics rules: d1 fails all three, ch1 passes two
        // and has no non-talk time to judge (a chat).
        #expect(checks["auto-test/silence"]!.total == .init(judged: 1, failed: 1))
        #expect(checks["auto-test/calm_end"]!.total == .init(judged: 2, failed: 1))
        #expect(checks["auto-test/no_cancel"]!.total == .init(judged: 2, failed: 1))
        // Agreement on hold, rule vs evaluator: both pass t1-1, cb1, d1 (3); rule only t1-2 (1);
        // evaluator only none (0); both fail a1 (1). p_o = 4/5, p_e = (4·3 + 1·2)/25 = 14/25,
        // κ = (0.8 − 0.56)/0.44 = 6/11. Krippendorff's α, nominal: 10 values (7 pass, 3 fail),
        // D_o = 2/10, D_e = 2·7·3/(10·9) = 42/90, α = 1 − 18/42 = 4/7.
        let agreement = hold.agreement
        #expect(agreement == .init(bothPass: 3, autoOnlyPass: 1, humanOnlyPass: 0, bothFail: 1))
        #expect(agreement.n == 5)
        #expect(abs(agreement.kappa! - 6.0 / 11.0) < 1e-12)
        #expect(abs(agreement.alpha! - 4.0 / 7.0) < 1e-12)
        // No evaluator rated the analytics criteria (N/A): no agreement to report.
        #expect(checks["auto-test/calm_end"]!.agreement.n == 0 && checks["auto-test/calm_end"]!.agreement.kappa == nil)
        // The weekly report carries the checks in its quality section and in report.json.
        let weekly = try WeeklyReport.build(store: store, week: ISOWeek("2026-W47")!, asOf: LocalDate(iso: "2026-12-01")!,
                                            parameters: KPIParameters(), targets: [:])
        let markdown = try weekly.markdown()
        #expect(markdown.contains("Automatic checks, every handled leg (never part of the QA score):"))
        #expect(markdown.contains("- hold (hold above 10 s): 1 of 6 legs fail (16.7%): "), "\(markdown)")
        #expect(markdown.contains("; agreement with evaluators on 5 legs: kappa 0.55, alpha 0.57"))
        #expect(markdown.contains("- calm_end (customer ending below -1 on -5 to +5): 1 of 2 legs fail (50.0%)"))
        #expect(weekly.json.rendered().contains("\"auto_checks\""))
        // An automatic result never enters the QA estimate: the evaluations' scores are the humans' alone.
        let scores = try textRows(store, "SELECT evaluation_id, score FROM evaluations ORDER BY 1")
        #expect(scores.map { $0[1] } == ["62.5", "100", "75", "87.5", "100"])
    }

    /// Failing an automatic check is a risk signal of targeted sampling: a1 fails hold, d1 fails the
    /// three analytics checks; each gains the weight of `auto_check_failed` (2) once.
    @Test func failingACheckIsARiskSignal() throws {
        let dir = TemporaryDirectory()
        let (store, service) = try #require(try ContactLensTests.connectStore(dir))
        _ = try service.ingest(.scorecard, mappingFile: nil, files: [dir.write("auto-test.yaml", AutoCheckTests.scorecard)], pseudonymiser: testKey)
        let units = try store.frameCandidates(Period(week: ISOWeek("2026-W47")!, clock: .utc), risk: RiskWeights())
        let failed = Dictionary(units.map { ("\($0.interactionID)|\($0.leg)", $0.signals.autoChecksFailed) }, uniquingKeysWith: { a, _ in a })
        #expect(failed == ["a1|1": 1, "t1|1": 0, "t1|2": 0, "cb1|1": 0, "ch1|1": 0, "o1|1": 0, "d1|1": 3])
        var off = RiskWeights()
        off.autoCheckFailed = 0
        let added = zip(RiskWeights().sizes(units), off.sizes(units)).map { $0 - $1 }
        #expect(zip(units, added).filter { $0.1 > 0 }.map { "\($0.0.interactionID)+\($0.1)" }.sorted() == ["a1+2.0", "d1+2.0"])
    }

    @Test func theCommandPrintsTheChecks() throws {
        let dir = TemporaryDirectory()
        let store = dir.path + "/s.sqlite"
        let key = fixture("keys/demo.key")
        #expect(try contactqa(["ingest", "--store", store, "--timezone", "UTC", "--source", "amazon-connect-ctr", "--key-file", key,
                               fixture("amazon-connect/ctr-2026-11-17.jsonl"), fixture("amazon-connect/ctr-2026-11-18.json")]).status == 0)
        #expect(try contactqa(["ingest", "--store", store, "--source", "scorecard", dir.write("auto-test.yaml", AutoCheckTests.scorecard)]).status == 0)
        let table = try contactqa(["autochecks", "--store", store, "--week", "2026-W47"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("auto-test/hold (hold_s_above=10.0): 1 of 6 legs fail (16.7%)"), "\(table.stdout)")
        let json = try contactqa(["autochecks", "--store", store, "--week", "2026-W47", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["checks"] as? [[String: Any]])?.count == 4)
    }

    @Test func badRulesAreRefusedWithTheirLine() throws {
        for (rule, message) in [
            ("{hold_s_above: -1}", "hold_s_above is a number of seconds"),
            ("{non_talk_share_above: 1.5}", "non_talk_share_above is a share in [0, 1)"),
            ("{end_sentiment_below: 7}", "end_sentiment_below lies in -5–5"),
            ("{hold_s_above: 5, category: x}", "auto takes one condition"),
            ("{silence_s: 5}", "silence_s"),
        ] {
            let yaml = "id: x\nversion: 1\nsections:\n  - id: s\n    criteria:\n      - {id: c, scale: yes_no, auto: \(rule)}\n"
            do {
                _ = try Scorecard.parse(yaml: yaml, file: "x.yaml")
                Issue.record("\(rule) was accepted")
            } catch {
                #expect("\(error)".contains(message) && "\(error)".contains("x.yaml:6"), "\(error)")
            }
        }
        // A rule is part of the scorecard's identity: the same version with another rule is another definition.
        let a = try Scorecard.parse(yaml: "id: x\nversion: 1\nsections:\n  - id: s\n    criteria:\n      - {id: c, scale: yes_no, auto: {hold_s_above: 10}}\n", file: "x.yaml")
        let b = try Scorecard.parse(yaml: "id: x\nversion: 1\nsections:\n  - id: s\n    criteria:\n      - {id: c, scale: yes_no, auto: {hold_s_above: 20}}\n", file: "x.yaml")
        let none = try Scorecard.parse(yaml: "id: x\nversion: 1\nsections:\n  - id: s\n    criteria:\n      - {id: c, scale: yes_no}\n", file: "x.yaml")
        #expect(a.fingerprint != b.fingerprint && a.fingerprint != none.fingerprint)
    }
}
