import Foundation
import GRDB
import Mustache

/// A criterion an agent is consistently at or above (a strength) or below (a development area) target on.
public struct CriterionPattern: Sendable {
    public var criterionID: String
    public var label: String
    public var evaluations: Int
    /// Share of the agent's ratings of this criterion at or above its target.
    public var shareAtTarget: Double
    /// Evidence: evaluation id, date, and the evaluator's (redacted) comment when there is one.
    public var evidence: [(evaluationID: String, date: String, comment: String?)]
    public var coaching: [String]
}

/// One colleague's feedback: what they do well first, then what would benefit from development, with
/// evidence, then the coaching actions the scorecard proposes (DESIGN.md §5; the QA standard's order).
public struct FeedbackPack: Sendable {
    public var agent: String
    public var team: String?
    public var period: Period
    public var evaluations: Int
    public var strengths: [CriterionPattern]
    public var development: [CriterionPattern]

    /// A criterion is a pattern when rated at least this many times in the window…
    public static let minimumEvaluations = 3
    /// …and at least this share of its ratings are at or above target (strength) or below it (development).
    public static let consistency = 0.75

    /// Strengths and development areas of every agent evaluated in the period.
    public static func build(store: any SQLStore, period: Period) throws -> [FeedbackPack] {
        let cards = try store.scorecards()
        let rows = try store.query("""
            SELECT e.agent_id, l.team, e.evaluation_id, e.evaluated_at, e.scorecard_id, e.scorecard_version, a.criterion_id, a.rating, a.comment
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            JOIN evaluation_answers a ON a.evaluation_id = e.evaluation_id
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND a.rating IS NOT NULL AND e.agent_id IS NOT NULL
            ORDER BY e.agent_id, a.criterion_id, e.evaluated_at, e.evaluation_id
            """, [.integer(period.fromUTC), .integer(period.toUTC)])
        struct Answer { var evaluation, date: String; var rating: Double; var comment: String?; var criterion: Scorecard.Criterion }
        var byAgent: [String: (team: String?, answers: [Answer])] = [:]
        for r in rows {
            let agent = r[0].string!
            guard let card = cards["\(r[4].string!)#\(r[5].int!)"],
                  let criterion = card.criterion(r[6].string!) else { continue }
            byAgent[agent, default: (r[1].string, [])].answers.append(
                Answer(evaluation: r[2].string!, date: r[3].string!, rating: r[7].double!,
                       comment: r[8].string, criterion: criterion))
        }
        return byAgent.keys.sorted().map { agent in
            let (team, answers) = byAgent[agent]!
            var strengths: [CriterionPattern] = []
            var development: [CriterionPattern] = []
            for (id, group) in Dictionary(grouping: answers, by: { $0.criterion.id }).sorted(by: { $0.key < $1.key }) {
                let criterion = group[0].criterion
                let target = criterion.target ?? criterion.max
                guard group.count >= minimumEvaluations else { continue }
                let atTarget = group.filter { $0.rating >= target }
                let share = Double(atTarget.count) / Double(group.count)
                if share >= consistency {
                    let examples = atTarget.sorted { ($0.rating, $0.date) > ($1.rating, $1.date) }.prefix(3)
                    strengths.append(CriterionPattern(criterionID: id, label: criterion.label, evaluations: group.count, shareAtTarget: share,
                                                      evidence: examples.map { ($0.evaluation, $0.date, $0.comment) }, coaching: []))
                } else if 1 - share >= consistency {
                    let below = group.filter { $0.rating < target }.prefix(3)
                    development.append(CriterionPattern(criterionID: id, label: criterion.label, evaluations: group.count, shareAtTarget: share,
                                                        evidence: below.map { ($0.evaluation, $0.date, $0.comment) }, coaching: criterion.coaching))
                }
            }
            return FeedbackPack(agent: agent, team: team, period: period, evaluations: Set(answers.map(\.evaluation)).count,
                                strengths: strengths, development: development)
        }
    }

    var context: [String: Any] {
        func pattern(_ p: CriterionPattern) -> [String: Any] {
            ["label": p.label, "evaluations": p.evaluations, "share": String(format: "%.0f%%", p.shareAtTarget * 100),
             "evidence": p.evidence.map { e in ["id": e.evaluationID, "date": String(e.date.prefix(10)), "comment": e.comment ?? "", "hasComment": e.comment != nil] },
             "coaching": p.coaching]
        }
        return ["agent": agent, "team": team ?? "(no team)", "from": period.from.description, "to": period.to.description, "evaluations": evaluations,
                "strengths": strengths.map(pattern), "hasStrengths": !strengths.isEmpty,
                "development": development.map(pattern), "hasDevelopment": !development.isEmpty,
                "coaching": Array(Set(development.flatMap(\.coaching))).sorted(), "hasCoaching": development.contains { !$0.coaching.isEmpty }]
    }

    static let markdownTemplate = """
        # Feedback for {{{agent}}}

        {{{team}}} · evaluations of contacts from {{from}} to {{to}} · {{evaluations}} evaluations

        ## What you did well
        {{#hasStrengths}}{{#strengths}}
        - **{{{label}}}**: at or above target in {{share}} of {{evaluations}} evaluations.{{#evidence}}
          - {{id}} ({{date}}){{#hasComment}}: “{{{comment}}}”{{/hasComment}}{{/evidence}}
        {{/strengths}}{{/hasStrengths}}{{^hasStrengths}}
        Not enough evaluations yet to name a consistent strength; the examples below are a start.
        {{/hasStrengths}}

        ## What would benefit from development
        {{#hasDevelopment}}{{#development}}
        - **{{{label}}}**: below target in {{evaluations}} evaluations, at target in only {{share}}.{{#evidence}}
          - {{id}} ({{date}}){{#hasComment}}: “{{{comment}}}”{{/hasComment}}{{/evidence}}
        {{/development}}{{/hasDevelopment}}{{^hasDevelopment}}
        No criterion is consistently below target.
        {{/hasDevelopment}}

        ## Proposed coaching
        {{#hasCoaching}}{{#coaching}}
        - {{{.}}}
        {{/coaching}}{{/hasCoaching}}{{^hasCoaching}}
        No coaching action proposed this period.
        {{/hasCoaching}}
        """

    static let htmlTemplate = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Feedback for {{agent}}</title>
        <style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
        h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}.good{border-left:4px solid #2e7d32;padding-left:.75rem}
        .grow{border-left:4px solid #ef6c00;padding-left:.75rem}.meta{color:#555}</style></head>
        <body><h1>Feedback for {{agent}}</h1>
        <p class="meta">{{team}} · evaluations of contacts from {{from}} to {{to}} · {{evaluations}} evaluations</p>
        <h2>What you did well</h2><div class="good">{{#hasStrengths}}<ul>{{#strengths}}<li><strong>{{label}}</strong>: at or above target in {{share}} of {{evaluations}} evaluations.<ul>{{#evidence}}<li>{{id}} ({{date}}){{#hasComment}}: “{{comment}}”{{/hasComment}}</li>{{/evidence}}</ul></li>{{/strengths}}</ul>{{/hasStrengths}}{{^hasStrengths}}<p>Not enough evaluations yet to name a consistent strength.</p>{{/hasStrengths}}</div>
        <h2>What would benefit from development</h2><div class="grow">{{#hasDevelopment}}<ul>{{#development}}<li><strong>{{label}}</strong>: below target in {{evaluations}} evaluations, at target in only {{share}}.<ul>{{#evidence}}<li>{{id}} ({{date}}){{#hasComment}}: “{{comment}}”{{/hasComment}}</li>{{/evidence}}</ul></li>{{/development}}</ul>{{/hasDevelopment}}{{^hasDevelopment}}<p>No criterion is consistently below target.</p>{{/hasDevelopment}}</div>
        <h2>Proposed coaching</h2>{{#hasCoaching}}<ul>{{#coaching}}<li>{{.}}</li>{{/coaching}}</ul>{{/hasCoaching}}{{^hasCoaching}}<p>No coaching action proposed this period.</p>{{/hasCoaching}}
        </body></html>
        """

    public func markdown() throws -> String { try MustacheTemplate(string: FeedbackPack.markdownTemplate).render(context) }
    public func html() throws -> String { try MustacheTemplate(string: FeedbackPack.htmlTemplate).render(context) }

    /// Writes every pack as Markdown and HTML into one folder per team, so each team lead gets only theirs.
    public static func write(_ packs: [FeedbackPack], to directory: String) throws -> [String] {
        var written: [String] = []
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

    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
    }
}
