import Foundation

/// A criterion an agent is consistently at or above (a strength) or below (a development area) target on.
struct CriterionPattern: Sendable {
    var criterionID: String
    package var label: String
    package var evaluations: Int
    /// Share of the agent's ratings of this criterion at or above its target.
    var shareAtTarget: Double
    /// Evidence: evaluation id, date, and the evaluator's (redacted) comment when there is one.
    var evidence: [(evaluationID: String, date: String, comment: String?)]
    package var coaching: [String]
}

/// A critical criterion failed in one evaluation: always reported first, whatever else the agent did.
struct CriticalFail: Sendable {
    var evaluationID: String
    package var date: String
    var criterionID: String
    package var label: String
    var comment: String?
    package var coaching: [String]
}

/// One evaluation as its agent reads it: the contact, the score and each criterion's rating.
package struct EvaluationLine: Sendable {
    var evaluationID: String
    var evaluatedOn: String
    var contactDate: String
    package var channel: String
    var recordingRef: String?
    var score: Double?
    var criticalFailed: Bool
    /// "label: rating" per rated criterion, in the scorecard's order.
    var ratings: [String]
    /// The evaluation the agent disputed, which this one re-evaluated and replaces.
    var reEvaluates: String? = nil
}

/// One colleague's feedback: critical fails first (they cannot wait), then what they do well, then
/// what would benefit from development, with evidence, then the coaching actions the scorecard
/// proposes, and every evaluation of the period (the QA standard's order: positives before development,
/// with evidence).
package struct FeedbackPack: Sendable {
    package var agent: String
    /// The roster's display name, when the roster has one.
    var displayName: String?
    package var team: String?
    package var period: Period
    package var evaluations: Int
    var criticalFails: [CriticalFail]
    var strengths: [CriterionPattern]
    var development: [CriterionPattern]
    package var lines: [EvaluationLine]
    /// The agent's action plans not yet reviewed.
    var openPlans: [ActionPlan] = []

    /// A criterion is a strength when at least this share of its ratings are at or above target, a
    /// development area when at least this share are below; every rating counts, and the pack says how
    /// many there were ("2 of 2 ratings").
    static let consistency = 0.75

    /// Critical fails, strengths and development areas of every agent evaluated in the period, from
    /// their routine evaluations (a leg scored several times counts once, its latest evaluation;
    /// calibration re-scores compare evaluators and stay out).
    package static func build(store: any SQLStore, period: Period) throws -> [FeedbackPack] {
        let cards = try store.scorecards()
        let rows = try store.evaluatedAnswers(in: period)
        struct Answer {
            var evaluation, date: String
            var rating: Double?
            var comment: String?
            var card: Scorecard
            var criterion: Scorecard.Criterion
            var leg: String
        }
        struct Evaluation { var line: EvaluationLine; var leg: String; var card: Scorecard }
        var byAgent: [String: (team: String?, answers: [Answer], evaluations: [String: Evaluation])] = [:]
        for r in rows {
            let agent = r.agent
            guard let card = cards[Scorecard.key(r.scorecardID, r.scorecardVersion)], let criterion = card.criterion(r.criterion) else { continue }
            let evaluation = r.evaluation
            let leg = "\(r.interaction)|\(r.leg)"
            byAgent[agent, default: (r.team, [], [:])].answers.append(
                Answer(evaluation: evaluation, date: r.evaluatedAt, rating: r.rating, comment: r.comment, card: card, criterion: criterion, leg: leg))
            if byAgent[agent]!.evaluations[evaluation] == nil {
                let contactDate = r.arrivedAt.map { period.clock.localDate(atUTC: $0 / 1000).description } ?? ""
                byAgent[agent]!.evaluations[evaluation] = Evaluation(
                    line: EvaluationLine(evaluationID: evaluation, evaluatedOn: String(r.evaluatedAt.prefix(10)), contactDate: contactDate,
                                         channel: r.channel ?? "", recordingRef: r.recordingRef, score: r.score,
                                         criticalFailed: r.criticalFailed, ratings: [], reEvaluates: r.reEvaluates),
                    leg: leg, card: card)
            }
        }
        // The roster gives names and, for contacts whose source has no team, the team.
        let roster = try store.rosterNamesAndTeams()
        let plans = try store.actionPlans().filter { $0.status == .agreed }
        return byAgent.keys.sorted().map { agent in
            let (legTeam, allAnswers, evaluationsByID) = byAgent[agent]!
            let team = legTeam ?? roster[agent]?.team
            // A leg scored several times counts once: its latest routine evaluation.
            var latestOfLeg: [String: (date: String, id: String)] = [:]
            for e in evaluationsByID.values {
                let candidate = (e.line.evaluatedOn, e.line.evaluationID)
                if let current = latestOfLeg[e.leg], current >= candidate { continue }
                latestOfLeg[e.leg] = candidate
            }
            let kept = Set(latestOfLeg.values.map(\.id))
            let answers = allAnswers.filter { kept.contains($0.evaluation) }
            // Critical fails: a critical criterion rated its scale's minimum.
            let fails = answers.filter { answer in answer.criterion.critical && (answer.rating.map { $0 <= answer.criterion.min } ?? false) }.map {
                CriticalFail(evaluationID: $0.evaluation, date: String($0.date.prefix(10)), criterionID: "\($0.card.id)/\($0.criterion.id)",
                             label: $0.criterion.label, comment: $0.comment, coaching: $0.criterion.coaching)
            }
            let failedCriteria = Set(fails.map(\.criterionID))
            var strengths: [CriterionPattern] = []
            var development: [CriterionPattern] = []
            // Criteria of different scorecards are different criteria, even when they share an id.
            let rated = answers.filter { $0.rating != nil }
            for (key, group) in Dictionary(grouping: rated, by: { "\($0.card.id)/\($0.criterion.id)" }).sorted(by: { $0.key < $1.key }) {
                let criterion = group[0].criterion
                let target = criterion.target ?? criterion.max
                let atTarget = group.filter { $0.rating! >= target }
                let share = Double(atTarget.count) / Double(group.count)
                if share >= consistency, !failedCriteria.contains(key) {
                    let examples = atTarget.sorted { ($0.rating!, $0.date) > ($1.rating!, $1.date) }.prefix(3)
                    strengths.append(CriterionPattern(criterionID: key, label: criterion.label, evaluations: group.count, shareAtTarget: share,
                                                      evidence: examples.map { ($0.evaluation, String($0.date.prefix(10)), $0.comment) }, coaching: []))
                } else if 1 - share >= consistency || failedCriteria.contains(key) {
                    let below = group.filter { $0.rating! < target }.prefix(3)
                    development.append(CriterionPattern(criterionID: key, label: criterion.label, evaluations: group.count, shareAtTarget: share,
                                                        evidence: below.map { ($0.evaluation, String($0.date.prefix(10)), $0.comment) }, coaching: criterion.coaching))
                }
            }
            var lines = evaluationsByID.values.filter { kept.contains($0.line.evaluationID) }.map { e -> EvaluationLine in
                var line = e.line
                let own = answers.filter { $0.evaluation == e.line.evaluationID }
                line.ratings = e.card.criteria.compactMap { c in
                    guard let answer = own.first(where: { $0.criterion.id == c.id }) else { return nil }
                    guard let rating = answer.rating else { return "\(c.label): N/A" }
                    return "\(c.label): " + (c.yesNo ? (rating >= 1 ? "yes" : "no") : "\(formatRating(rating)) of \(formatRating(c.min))–\(formatRating(c.max))")
                }
                return line
            }
            lines.sort { ($0.contactDate, $0.evaluationID) < ($1.contactDate, $1.evaluationID) }
            return FeedbackPack(agent: agent, displayName: roster[agent]?.name, team: team, period: period, evaluations: kept.count,
                                criticalFails: fails, strengths: strengths, development: development, lines: lines,
                                openPlans: plans.filter { $0.agent == agent })
        }
    }

    /// What the pack templates show, typed and formatted.
    struct Page {
        /// An evaluation cited as evidence, by the contact it evaluated ("voice contact of 2026-11-17"),
        /// which the agent can recall, rather than the day it was evaluated.
        struct Evidence {
            var id: String
            var contact: String
            var comment: String?
        }

        struct Pattern {
            var label: String
            var ratings: Int
            var atTarget: Int
            var below: Int
            var evidence: [Evidence]
        }

        struct Critical {
            var label: String
            var id: String
            var contact: String
            var comment: String?
        }

        struct Plan {
            var action: String
            var criterion: String
            var agreed: String
            var review: String
        }

        struct Line {
            var id: String
            var contact: String
            var channel: String
            var recording: String
            var score: String
            var critical: Bool
            var ratings: [String]
            /// "the re-evaluation of E2, which you disputed; it replaces E2" (nil: templates skip it).
            var note: String?
        }

        var agent: String
        var team: String
        var from: String
        var to: String
        var evaluations: String
        /// "Average score 78 over 6 evaluations (lowest 0); 1 critical fail."
        var overview: String
        var critical: [Critical]
        var hasCritical: Bool
        var strengths: [Pattern]
        var hasStrengths: Bool
        var development: [Pattern]
        var hasDevelopment: Bool
        var coaching: [String]
        var hasCoaching: Bool
        var plans: [Plan]
        var hasPlans: Bool
        var lines: [Line]
    }

    var page: Page {
        let contacts = Dictionary(lines.map { ($0.evaluationID, "\($0.channel.isEmpty ? "" : $0.channel + " ")contact of \($0.contactDate)") },
                                  uniquingKeysWith: { a, _ in a })
        func pattern(_ p: CriterionPattern) -> Page.Pattern {
            let at = Int((p.shareAtTarget * Double(p.evaluations)).rounded())
            return Page.Pattern(label: p.label, ratings: p.evaluations, atTarget: at, below: p.evaluations - at,
                                evidence: p.evidence.map { Page.Evidence(id: $0.evaluationID, contact: contacts[$0.evaluationID] ?? "evaluated \($0.date)", comment: $0.comment) })
        }
        let scores = lines.compactMap(\.score)
        var overview = scores.isEmpty ? "No scored evaluation" : String(format: "Average score %.0f over %d scored evaluation%@", scores.reduce(0, +) / Double(scores.count), scores.count, scores.count == 1 ? "" : "s")
        if scores.count > 1, scores.min()! < scores.max()! { overview += String(format: " (lowest %.0f, highest %.0f)", scores.min()!, scores.max()!) }
        overview += criticalFails.isEmpty ? "; no critical fail." : "; \(criticalFails.count) critical fail\(criticalFails.count == 1 ? "" : "s"), listed first below."
        let coaching = Array(Set(development.flatMap(\.coaching) + criticalFails.flatMap(\.coaching))).sorted()
        return Page(agent: displayName.map { "\($0) (\(agent))" } ?? agent, team: team ?? "(no team)",
                    from: period.from.description, to: period.to.description,
                    evaluations: evaluations == 1 ? "1 evaluation" : "\(evaluations) evaluations", overview: overview,
                    critical: criticalFails.map { Page.Critical(label: $0.label, id: $0.evaluationID, contact: contacts[$0.evaluationID] ?? "evaluated \($0.date)", comment: $0.comment) },
                    hasCritical: !criticalFails.isEmpty,
                    strengths: strengths.map(pattern), hasStrengths: !strengths.isEmpty,
                    development: development.map(pattern), hasDevelopment: !development.isEmpty,
                    coaching: coaching, hasCoaching: !coaching.isEmpty,
                    plans: openPlans.map { Page.Plan(action: $0.action, criterion: $0.criterion, agreed: $0.agreedOn.description, review: $0.reviewBy.description) },
                    hasPlans: !openPlans.isEmpty,
                    lines: lines.map { l in
                        Page.Line(id: l.evaluationID, contact: l.contactDate, channel: l.channel, recording: l.recordingRef ?? "–",
                                  score: l.score.map { String(format: "%.0f", $0) } ?? "–", critical: l.criticalFailed,
                                  ratings: l.ratings,
                                  note: l.reEvaluates.map { "the re-evaluation of \($0), which you disputed; it replaces \($0)" })
                    })
    }

    func markdown() throws -> String { Templates.render(page, "pack.md") }
    func html() throws -> String { Templates.render(page, "pack.html") }

    /// The team lead's page: every colleague of the team with their evaluations and critical fails.
    static func teamSummary(_ packs: [FeedbackPack], team: String?) -> String {
        var text = "# Team summary — \(team ?? "(no team)")\n\n"
        if let first = packs.first { text += "Evaluations of contacts from \(first.period.from) to \(first.period.to).\n\n" }
        let fails = packs.flatMap { p in p.criticalFails.map { (p.agent, $0) } }
        text += fails.isEmpty ? "No critical fail.\n\n" : "**Critical fails: \(fails.count)**\n\n"
        for (agent, f) in fails { text += "- \(agent): \(f.label) failed in \(f.evaluationID) (\(f.date))\n" }
        if !fails.isEmpty { text += "\n" }
        text += "| colleague | evaluations | critical fails | development areas |\n|---|---:|---:|---|\n"
        for p in packs {
            text += "| \(p.displayName.map { "\($0) (\(p.agent))" } ?? p.agent) | \(p.evaluations) | \(p.criticalFails.count) | \(p.development.map(\.label).joined(separator: "; ")) |\n"
        }
        return text
    }

    /// Writes every pack as Markdown and HTML into one folder per team, so each team lead gets only theirs.
    package static func write(_ packs: [FeedbackPack], to directory: String) throws -> [String] {
        var written: [String] = []
        for (team, members) in Dictionary(grouping: packs, by: { $0.team }) {
            let folder = (directory as NSString).appendingPathComponent(safeName(team ?? "no-team"))
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try teamSummary(members.sorted { $0.agent < $1.agent }, team: team)
                .write(toFile: (folder as NSString).appendingPathComponent("_team-summary.md"), atomically: true, encoding: .utf8)
        }
        for pack in packs {
            let folder = (directory as NSString).appendingPathComponent(safeName(pack.team ?? "no-team"))
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let base = (folder as NSString).appendingPathComponent(safeName(pack.agent))
            try pack.markdown().write(toFile: base + ".md", atomically: true, encoding: .utf8)
            try pack.html().write(toFile: base + ".html", atomically: true, encoding: .utf8)
            written.append(base)
        }
        return written
    }

    static func formatRating(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
    }
}
