import Foundation

/// Each evaluator's evaluation form: one self-contained HTML file (no server, no network; works
/// offline in any browser and on a tablet) listing what they were assigned with what the store knows
/// of each interaction, the scorecard meant for its channel with its scales, N/A where allowed and
/// critical criteria marked, and a comment box per criterion. Ratings are kept in the browser while
/// the evaluator works; "Download evaluations (CSV)" writes exactly the file `contactqa ingest
/// --source evaluations` reads, complete evaluations only (the importer stays the authority).
enum EvaluationForm {
    /// Writes `forms/<evaluator>.html` into `folder` for every evaluator with an assignment.
    /// - Returns: the files written.
    static func write(_ plan: AssignmentPlan, sample: SampleManifest, scorecards: [Scorecard], evaluators: [Evaluator] = [],
                      folder: String) throws -> [String] {
        let names = Dictionary(evaluators.compactMap { e in e.name.map { (e.id, $0) } }, uniquingKeysWith: { a, _ in a })
        let period = sample.period
        let label = period.from.isoWeek.monday == period.from && period.to == period.from.isoWeek.sunday
            ? period.from.isoWeek.description : "\(period.from)–\(period.to)"
        let units = Dictionary(sample.sample.units.map { ($0.unit.id, $0.unit) }, uniquingKeysWith: { a, _ in a })
        // The latest version of each scorecard; for a channel, the first by id that is meant for it.
        let latest = Dictionary(grouping: scorecards, by: \.id).compactMap { $0.value.max { $0.version < $1.version } }.sorted { $0.id < $1.id }
        let directory = folder + "/forms"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        let reEvaluators = plan.reEvaluations.map(\.evaluator)
        for evaluator in Set(plan.assignments.map(\.evaluatorID) + reEvaluators).sorted() {
            var used: [String: Scorecard] = [:]
            func row(source: String, interaction: String, leg: Int, agent: String?, calibration: Bool, dispute: OpenDispute?) -> JSONValue {
                let unit = units["\(source)|\(interaction)|\(leg)"]
                let channel = unit?.channel ?? ""
                let card = latest.first { $0.applies(to: channel) }
                if let card { used[card.key] = card }
                return .object([
                    ("source", .string(source)), ("interaction", .string(interaction)), ("leg", .int(leg)),
                    ("agent", .string(unit?.agent ?? agent ?? "")), ("channel", .string(channel)), ("calibration", .bool(calibration)),
                    ("scorecard", .text(card?.key)), ("reEvaluates", .text(dispute?.evaluationID)),
                    ("dispute", .text(dispute.map { d in
                        "The agent disputes \(d.evaluationID) (by \(d.evaluator))" + (d.criterion.map { " on \($0)" } ?? "") + (d.reason.map { ": “\($0)”" } ?? "")
                            + ". Evaluate it afresh; your evaluation replaces it in the estimates, and the first stays on record."
                    })),
                    ("facts", .array(facts(unit, agent: agent, clock: period.clock).map { .array([.string($0.0), .string($0.1)]) })),
                ])
            }
            let mine = plan.assignments.filter { $0.evaluatorID == evaluator }
            let disputes = plan.reEvaluations.filter { $0.evaluator == evaluator }.map(\.dispute)
            let rows = mine.map { row(source: $0.source, interaction: $0.interactionID, leg: $0.leg, agent: nil, calibration: $0.calibration, dispute: nil) }
                + disputes.map { row(source: $0.source, interaction: $0.interactionID, leg: $0.leg, agent: $0.agent, calibration: false, dispute: $0) }
            let data: JSONValue = .object([
                ("evaluator", .string(evaluator)), ("period", .string(label)),
                ("scorecards", .array(used.values.sorted { $0.key < $1.key }.map(json))),
                ("units", .array(rows)),
            ])
            let page = Page(title: "Evaluations for \(names[evaluator].map { "\($0) (\(evaluator))" } ?? evaluator) — \(label)",
                            intro: "\(rows.count) interaction\(rows.count == 1 ? "" : "s") to evaluate"
                                + (disputes.isEmpty ? "" : ", \(disputes.count) of them disputed evaluations to re-evaluate") + ". This page needs no connection: "
                                + "your ratings stay in this browser as you go. When you have finished, download the evaluations and "
                                + "send the file to the QA inbox; only complete evaluations are in it.",
                            // Inside <script>, "</" would end the element early.
                            data: data.rendered().replacingOccurrences(of: "</", with: "<\\/"))
            let path = "\(directory)/\(evaluator.replacingOccurrences(of: "/", with: "_")).html"
            try Templates.render(page, "form.html").write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        return written
    }

    struct Page {
        var title: String
        var intro: String
        var data: String
    }

    /// What the evaluator is shown of an interaction, in the site's time zone.
    private static func facts(_ unit: FrameUnit?, agent: String? = nil, clock: ZoneClock) -> [(String, String)] {
        guard let unit else { return agent.map { [("agent", $0)] } ?? [("note", "no longer in the store (retention)")] }
        var facts: [(String, String)] = []
        if unit.arrivedAt != .min {
            let local = clock.localSeconds(atUTC: unit.arrivedAt / 1000)
            let date = clock.localDate(atUTC: unit.arrivedAt / 1000)
            let second = ((local % 86_400) + 86_400) % 86_400
            facts.append(("arrived", "\(date) \(pad(second / 3600)):\(pad(second / 60 % 60))"))
        }
        facts.append(("channel", unit.channel))
        if let queue = unit.queue { facts.append(("queue", queue)) }
        facts.append(("agent", unit.agent ?? "–"))
        if let team = unit.team { facts.append(("team", team)) }
        if unit.handleSeconds > 0 { facts.append(("handle time", "\(Int(unit.handleSeconds.rounded())) s")) }
        facts.append(("recording", unit.recordingRef ?? "none recorded"))
        return facts
    }

    private static func pad(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func json(_ card: Scorecard) -> JSONValue {
        var sections: [(id: String, criteria: [Scorecard.Criterion])] = []
        for criterion in card.criteria {
            if let last = sections.indices.last, sections[last].id == criterion.section {
                sections[last].criteria.append(criterion)
            } else {
                sections.append((criterion.section, [criterion]))
            }
        }
        return .object([
            ("key", .string(card.key)), ("id", .string(card.id)), ("version", .int(card.version)),
            ("sections", .array(sections.map { section in
                .object([("label", .string(card.sectionLabels[section.id] ?? section.id)),
                         ("criteria", .array(section.criteria.map { c in
                             .object([("id", .string(c.id)), ("label", .string(c.label)), ("yesNo", .bool(c.yesNo)),
                                      ("min", .double(c.min)), ("max", .double(c.max)), ("naAllowed", .bool(c.naAllowed)),
                                      ("critical", .bool(c.critical))])
                         }))])
            })),
        ])
    }
}
