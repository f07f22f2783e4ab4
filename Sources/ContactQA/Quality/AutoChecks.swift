import Foundation

/// An automatic check of a scorecard criterion (`auto:`), run on every handled leg: the condition under
/// which the leg fails the criterion, over what the store holds about it.
package enum AutoRule: Sendable, Equatable {
    /// The leg's hold time above this many seconds.
    case holdAbove(Double)
    /// Non-talk time above this share of the conversation (conversation analytics).
    case nonTalkShareAbove(Double)
    /// The customer ended the conversation below this sentiment, −5 to +5 (conversation analytics).
    case endSentimentBelow(Double)
    /// The conversation matched this category (conversation analytics).
    case category(String)

    static let keys = ["hold_s_above", "non_talk_share_above", "end_sentiment_below", "category"]

    /// Reads `auto: {key: value}` (one key).
    static func parse(_ node: ConfigNode) throws -> AutoRule {
        let entries = try node.dictionary(allowed: keys)
        guard entries.count == 1, let (key, value) = entries.first else {
            throw node.error("auto takes one condition: \(keys.joined(separator: ", "))")
        }
        switch key {
        case "hold_s_above":
            let seconds = try value.double()
            guard seconds >= 0 else { throw value.error("hold_s_above is a number of seconds, 0 or more") }
            return .holdAbove(seconds)
        case "non_talk_share_above":
            let share = try value.double()
            guard (0..<1).contains(share) else { throw value.error("non_talk_share_above is a share in [0, 1)") }
            return .nonTalkShareAbove(share)
        case "end_sentiment_below":
            let score = try value.double()
            guard (-5...5).contains(score) else { throw value.error("end_sentiment_below lies in -5–5 (Contact Lens's scale)") }
            return .endSentimentBelow(score)
        default:
            let name = try value.string()
            guard !name.isEmpty else { throw value.error("category names a category") }
            return .category(name)
        }
    }

    /// For readers: "hold above 120 s", "category Cancellation matched".
    var description: String {
        switch self {
        case .holdAbove(let s): "hold above \(WeeklyReport.duration(s))"
        case .nonTalkShareAbove(let x): String(format: "non-talk time above %.0f%%", 100 * x)
        case .endSentimentBelow(let x): "customer ending below \(x.formatted()) on -5 to +5"
        case .category(let name): "category \(name) matched"
        }
    }

    /// For the scorecard's fingerprint.
    var text: String {
        switch self {
        case .holdAbove(let s): "hold_s_above=\(s)"
        case .nonTalkShareAbove(let x): "non_talk_share_above=\(x)"
        case .endSentimentBelow(let x): "end_sentiment_below=\(x)"
        case .category(let name): "category=\(name)"
        }
    }

    /// Whether the leg passes; nil when the store holds nothing to judge it by (no analytics for a rule
    /// that reads them, no hold time recorded).
    func passes(_ leg: AutoCheckLeg) -> Bool? {
        switch self {
        case .holdAbove(let limit): leg.holdSeconds.map { $0 <= limit }
        case .nonTalkShareAbove(let share):
            leg.nonTalkMs.flatMap { nonTalk in leg.durationMs.flatMap { $0 > 0 ? Double(nonTalk) / Double($0) <= share : nil } }
        case .endSentimentBelow(let score): leg.customerEndSentiment.map { $0 >= score }
        case .category(let name): leg.categories.map { !$0.contains(name) }
        }
    }
}

/// What automatic checks read about one handled leg.
struct AutoCheckLeg: Sendable, Equatable {
    var source: String
    var interactionID: String
    var leg: Int
    var agent: String?
    var team: String?
    var channel: String
    var holdSeconds: Double?
    var nonTalkMs: Int64?
    var durationMs: Int64?
    var customerEndSentiment: Double?
    /// Matched categories; nil without conversation analytics.
    var categories: [String]?
}

/// Cohen's kappa for two raters and two categories (J. Cohen, "A coefficient of agreement for nominal
/// scales", *Educational and Psychological Measurement* 20, 1960): κ = (p_o − p_e) / (1 − p_e).
func cohensKappa(bothPass a: Int, autoOnly b: Int, humanOnly c: Int, bothFail d: Int) -> Double? {
    let n = Double(a + b + c + d)
    guard n > 0 else { return nil }
    let observed = Double(a + d) / n
    let expected = (Double(a + b) * Double(a + c) + Double(c + d) * Double(b + d)) / (n * n)
    guard expected < 1 else { return nil }
    return (observed - expected) / (1 - expected)
}

/// Every criterion with an `auto:` rule, run over a period's handled legs: how many fail, by agent and
/// team, and how the automatic result agrees with human ratings of the same legs. An automatic result
/// never enters the QA estimate.
package struct AutoCheckReport: Sendable {
    package struct Tally: Sendable, Equatable {
        var judged = 0
        var failed = 0

        mutating func count(passed: Bool) {
            judged += 1
            if !passed { failed += 1 }
        }
    }

    package struct Agreement: Sendable, Equatable {
        /// Legs rated by a human on the criterion and judged by the rule.
        var n: Int { bothPass + autoOnlyPass + humanOnlyPass + bothFail }
        var bothPass = 0
        /// The rule passed the leg, the human did not.
        var autoOnlyPass = 0
        var humanOnlyPass = 0
        var bothFail = 0
        var kappa: Double? { cohensKappa(bothPass: bothPass, autoOnly: autoOnlyPass, humanOnly: humanOnlyPass, bothFail: bothFail) }
        /// Krippendorff's alpha, nominal, two coders per leg.
        var alpha: Double? {
            var units: [[Double]] = []
            units += Array(repeating: [1, 1], count: bothPass)
            units += Array(repeating: [1, 0], count: autoOnlyPass + humanOnlyPass)
            units += Array(repeating: [0, 0], count: bothFail)
            return KrippendorffAlpha.alpha(units, metric: .nominal)
        }
    }

    package struct Check: Sendable {
        /// `scorecard/criterion`.
        package var criterion: String
        var label: String
        var rule: AutoRule
        var total = Tally()
        var byAgent: [String: Tally] = [:]
        var byTeam: [String: Tally] = [:]
        var agreement = Agreement()

        /// "hold (hold above 120 s): 3 of 640 legs fail (0.5%): Team A 2 of 300, …; agreement with
        /// evaluators on 12 legs: kappa 0.55, alpha 0.57".
        var line: String {
            let share = total.judged == 0 ? "" : String(format: " (%.1f%%)", 100 * Double(total.failed) / Double(total.judged))
            let teams = byTeam.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.failed) of \($0.value.judged)" }.joined(separator: ", ")
            let a = agreement
            let agreed = a.n == 0 ? "no evaluator rated these legs on it"
                : "agreement with evaluators on \(a.n) legs: kappa \(a.kappa.map { String(format: "%.2f", $0) } ?? "–"), alpha \(a.alpha.map { String(format: "%.2f", $0) } ?? "–")"
            let legs = total.judged == 1 ? "leg fails" : "legs fail"
            return "\(label) (\(rule.description)): \(total.failed) of \(total.judged) \(legs)\(share)\(teams.isEmpty ? "" : ": " + teams); \(agreed)"
        }
    }

    package var checks: [Check]

    /// - Parameters:
    ///   - ratings: human ratings of the period's evaluated legs (re-evaluated ones left out):
    ///     `source|interaction|leg` → `scorecard/criterion` → passed (rated at or above the target, the
    ///     scale's maximum without one, as the packs count it).
    ///   - forEachLeg: hands each leg of the period to its argument; legs are counted as they come, so
    ///     memory holds the tallies, never the period's legs. Not called when no criterion has a check.
    static func build(cards: [Scorecard], ratings: [String: [String: Bool]],
                      forEachLeg: ((AutoCheckLeg) -> Void) throws -> Void) rethrows -> AutoCheckReport {
        var checks: [(card: Scorecard, check: Check)] = []
        for card in cards.sorted(by: { $0.key < $1.key }) {
            for criterion in card.criteria {
                guard let rule = criterion.auto else { continue }
                checks.append((card, Check(criterion: "\(card.id)/\(criterion.id)", label: criterion.label, rule: rule)))
            }
        }
        guard !checks.isEmpty else { return AutoCheckReport(checks: []) }
        try forEachLeg { leg in
            let rated = ratings.isEmpty ? nil : ratings["\(leg.source)|\(leg.interactionID)|\(leg.leg)"]
            for i in checks.indices where checks[i].card.applies(to: leg.channel) {
                guard let passed = checks[i].check.rule.passes(leg) else { continue }
                checks[i].check.total.count(passed: passed)
                checks[i].check.byAgent[leg.agent ?? "(none)", default: Tally()].count(passed: passed)
                checks[i].check.byTeam[leg.team ?? "(none)", default: Tally()].count(passed: passed)
                guard let human = rated?[checks[i].check.criterion] else { continue }
                switch (passed, human) {
                case (true, true): checks[i].check.agreement.bothPass += 1
                case (true, false): checks[i].check.agreement.autoOnlyPass += 1
                case (false, true): checks[i].check.agreement.humanOnlyPass += 1
                case (false, false): checks[i].check.agreement.bothFail += 1
                }
            }
        }
        return AutoCheckReport(checks: checks.map(\.check))
    }

    package var json: JSONValue {
        func tally(_ t: Tally) -> JSONValue { .object([("judged", .int(t.judged)), ("failed", .int(t.failed))]) }
        func number(_ x: Double?) -> JSONValue { x.map(JSONValue.double) ?? .null }
        return .object([("checks", .array(checks.map { c in
            .object([
                ("criterion", .string(c.criterion)), ("label", .string(c.label)), ("rule", .string(c.rule.text)),
                ("total", tally(c.total)),
                ("by_team", .object(c.byTeam.sorted { $0.key < $1.key }.map { ($0.key, tally($0.value)) })),
                ("by_agent", .object(c.byAgent.sorted { $0.key < $1.key }.map { ($0.key, tally($0.value)) })),
                ("agreement_with_evaluators", .object([
                    ("n", .int(c.agreement.n)), ("both_pass", .int(c.agreement.bothPass)), ("rule_only_pass", .int(c.agreement.autoOnlyPass)),
                    ("evaluator_only_pass", .int(c.agreement.humanOnlyPass)), ("both_fail", .int(c.agreement.bothFail)),
                    ("cohens_kappa", number(c.agreement.kappa)), ("krippendorff_alpha_nominal", number(c.agreement.alpha)),
                ])),
            ])
        }))])
    }

    package var table: String {
        var lines: [String] = []
        for c in checks {
            let share = c.total.judged == 0 ? "–" : String(format: "%.1f%%", 100 * Double(c.total.failed) / Double(c.total.judged))
            lines.append("\(c.criterion) (\(c.rule.text)): \(c.total.failed) of \(c.total.judged) legs fail (\(share))")
            let a = c.agreement
            let kappa = a.kappa.map { String(format: "%.2f", $0) } ?? "–"
            let alpha = a.alpha.map { String(format: "%.2f", $0) } ?? "–"
            lines.append("  agreement with evaluators on \(a.n) legs: kappa \(kappa), alpha \(alpha) (both pass \(a.bothPass), rule only \(a.autoOnlyPass), evaluator only \(a.humanOnlyPass), both fail \(a.bothFail))")
            for (team, t) in c.byTeam.sorted(by: { $0.key < $1.key }) { lines.append("  team \(team): \(t.failed) of \(t.judged)") }
        }
        return lines.isEmpty ? "no scorecard criterion has an automatic check (auto:)" : lines.joined(separator: "\n")
    }
}
