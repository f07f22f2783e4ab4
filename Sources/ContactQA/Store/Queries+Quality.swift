import Foundation

/// What the quality engines ask the store: evaluations with their sample design, rated answers.
extension SQLStore {
    /// The evaluations of a period's contacts, each with its routine sample's cell, inclusion
    /// probability (Poisson samples) and the cell's population from the recorded frame.
    func evaluationSummaries(in period: Period) throws -> [EvaluationSummary] {
        let rows = try query("""
            SELECT e.evaluation_id, e.interaction_id, e.leg, e.agent_id, \(SQLiteStore.team("l.team", agent: "e.agent_id")), e.evaluator_id, e.score, e.critical_failed,
                   (SELECT u.cell FROM sample_units u JOIN samples s ON s.id = u.sample_id
                     WHERE u.source = e.source AND u.interaction_id = e.interaction_id AND u.leg = e.leg AND u.selected = 1
                       AND s.kind = 'routine' AND s.superseded_by IS NULL ORDER BY s.id DESC LIMIT 1),
                   (SELECT u.sample_id FROM sample_units u JOIN samples s ON s.id = u.sample_id
                     WHERE u.source = e.source AND u.interaction_id = e.interaction_id AND u.leg = e.leg AND u.selected = 1
                       AND s.kind = 'routine' AND s.superseded_by IS NULL ORDER BY s.id DESC LIMIT 1),
                   c.arrived_at,
                   (SELECT u.inclusion_probability FROM sample_units u JOIN samples s ON s.id = u.sample_id
                     WHERE u.source = e.source AND u.interaction_id = e.interaction_id AND u.leg = e.leg AND u.selected = 1
                       AND s.kind = 'routine' AND s.superseded_by IS NULL ORDER BY s.id DESC LIMIT 1),
                   e.calibration_session
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            WHERE c.arrived_at >= ? AND c.arrived_at < ?
              -- A disputed evaluation re-evaluated by another evaluator gives way to the re-evaluation (both are kept).
              AND NOT EXISTS (SELECT 1 FROM evaluations r WHERE r.re_evaluates = e.evaluation_id)
            ORDER BY e.evaluation_id
            """, [.integer(period.fromUTC), .integer(period.toUTC)])
        var evaluations = rows.map { r in
            EvaluationSummary(evaluationID: r[0].string!, interactionID: r[1].string!, leg: r[2].int!,
                              agent: r[3].string, team: r[4].string, evaluator: r[5].string!,
                              score: r[6].double, criticalFailed: r[7].int == 1,
                              // A calibration session re-scores legs to compare evaluators: never an estimate's unit.
                              inSample: !r[8].isNull && r[12].isNull,
                              week: r[10].int64.map { period.clock.localDate(atUTC: $0 / 1000).isoWeek.description },
                              calibration: !r[12].isNull, cell: r[8].string, sampleID: r[9].int64)
        }
        // Poisson samples (a daily release, `method: poisson`) weight each unit by 1/π.
        var poisson: [Int64: Bool] = [:]
        for (i, r) in rows.enumerated() where evaluations[i].inSample {
            let id = evaluations[i].sampleID!
            if poisson[id] == nil {
                let manifest = try query("SELECT manifest FROM samples WHERE id = ?", [.integer(id)]).first?.first?.string ?? ""
                let top = (try? JSONSerialization.jsonObject(with: Data(manifest.utf8))) as? [String: Any]
                poisson[id] = (top?["plan"] as? [String: Any])?["method"] as? String == "poisson"
            }
            if poisson[id] == true { evaluations[i].poissonProbability = r[11].double }
        }
        // N_cell of each sampled evaluation's cell, from the recorded frame.
        var populations: [String: Int] = [:]
        for i in evaluations.indices where evaluations[i].inSample {
            let key = "\(evaluations[i].sampleID!)|\(evaluations[i].cell!)"
            if populations[key] == nil {
                populations[key] = try query("SELECT COUNT(*) FROM sample_units WHERE sample_id = ? AND cell = ?",
                                                   [.integer(evaluations[i].sampleID!), .text(evaluations[i].cell!)]).first?.first?.int
            }
            evaluations[i].cellPopulation = populations[key]
        }
        return evaluations
    }

    /// The rated answers of the given evaluations, with their scorecard.
    func ratedAnswers(ofEvaluations ids: [String]) throws -> [(evaluation: String, criterion: String, rating: Double, scorecardKey: String)] {
        guard !ids.isEmpty else { return [] }
        return try query("""
            SELECT a.evaluation_id, a.criterion_id, a.rating, e.scorecard_id, e.scorecard_version
            FROM evaluation_answers a JOIN evaluations e ON e.evaluation_id = a.evaluation_id
            WHERE a.evaluation_id IN (\(ids.map { _ in "?" }.joined(separator: ", "))) AND a.rating IS NOT NULL
            """, ids.map(FieldValue.text)).compactMap { r in
            guard let evaluation = r[0].string, let criterion = r[1].string, let rating = r[2].double, let card = r[3].string, let version = r[4].int else { return nil }
            return (evaluation, criterion, rating, Scorecard.key(card, version))
        }
    }
}

extension SQLStore {
    /// The fingerprint of a stored evaluation, or nil when the id is new.
    func evaluationFingerprint(id: String) throws -> String? {
        try query("SELECT fingerprint FROM evaluations WHERE evaluation_id = ?", [.text(id)]).first?.first?.string
    }

    /// The handled legs numbered `leg` of an interaction (in one source, when given): who handled them.
    func legs(interaction: String, leg: Int, source: String?) throws -> [(source: String?, agent: String?)] {
        try query("""
            SELECT l.source, l.agent_id FROM legs l WHERE l.interaction_id = ? AND l.leg = ? \(source == nil ? "" : "AND l.source = ?")
            """, [.text(interaction), FieldValue(leg)] + (source.map { [.text($0)] } ?? [])).map { ($0[0].string, $0[1].string) }
    }

    /// Stores new evaluations with their answers and the file's log entry, in one transaction.
    func insertEvaluations(_ evaluations: [EvaluationImporter.Evaluation], log entry: IngestLogEntry) throws {
        try transaction { db in
            for e in evaluations {
                try db.execute("""
                    INSERT INTO evaluations (evaluation_id, source, interaction_id, leg, agent_id, evaluator_id, evaluated_at, scorecard_id,
                        scorecard_version, calibration_session, score, critical_failed, fingerprint, re_evaluates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(e.id), .text(e.source), .text(e.interactionID), FieldValue(e.leg), FieldValue(e.agent), .text(e.evaluator),
                          .text(e.evaluatedAt), .text(e.scorecard.id), FieldValue(e.scorecard.version), FieldValue(e.calibrationSession),
                          FieldValue(e.score), FieldValue(e.criticalFailed), .text(e.fingerprint), FieldValue(e.reEvaluates)])
                for (criterion, answer) in e.answers.sorted(by: { $0.key < $1.key }) {
                    try db.execute("INSERT INTO evaluation_answers (evaluation_id, criterion_id, rating, comment) VALUES (?, ?, ?, ?)",
                                   [.text(e.id), .text(criterion), FieldValue(answer.rating), FieldValue(answer.comment)])
                }
            }
            _ = try db.insertLog(entry)
        }
    }
}

/// One rated criterion of an evaluation, with its contact and leg: what a feedback pack is built from.
struct EvaluatedAnswer {
    var agent: String
    var team: String?
    var evaluation: String
    var evaluatedAt: String
    var scorecardID: String
    var scorecardVersion: Int
    var criterion: String
    var rating: Double?
    var comment: String?
    var interaction: String
    var leg: Int
    var arrivedAt: Int64?
    var channel: String?
    var recordingRef: String?
    var score: Double?
    var criticalFailed: Bool
    /// The disputed evaluation this one re-evaluated.
    var reEvaluates: String?
}

extension SQLStore {
    /// Every answer of the period's routine evaluations (calibration re-scores left out), by agent,
    /// evaluation date, evaluation and criterion.
    func evaluatedAnswers(in period: Period) throws -> [EvaluatedAnswer] {
        try query("""
            SELECT e.agent_id, l.team, e.evaluation_id, e.evaluated_at, e.scorecard_id, e.scorecard_version, a.criterion_id, a.rating, a.comment,
                   e.interaction_id, e.leg, c.arrived_at, c.channel, l.recording_ref, e.score, e.critical_failed, e.re_evaluates
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            JOIN evaluation_answers a ON a.evaluation_id = e.evaluation_id
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND e.agent_id IS NOT NULL AND e.calibration_session IS NULL
              AND NOT EXISTS (SELECT 1 FROM evaluations r WHERE r.re_evaluates = e.evaluation_id)
            ORDER BY e.agent_id, e.evaluated_at, e.evaluation_id, a.criterion_id
            """, [.integer(period.fromUTC), .integer(period.toUTC)]).map { r in
            EvaluatedAnswer(agent: r[0].string ?? "", team: r[1].string, evaluation: r[2].string ?? "", evaluatedAt: r[3].string ?? "",
                            scorecardID: r[4].string ?? "", scorecardVersion: r[5].int ?? 0, criterion: r[6].string ?? "", rating: r[7].double,
                            comment: r[8].string, interaction: r[9].string ?? "", leg: r[10].int ?? 1, arrivedAt: r[11].int64, channel: r[12].string,
                            recordingRef: r[13].string, score: r[14].double, criticalFailed: r[15].int == 1, reEvaluates: r[16].string)
        }
    }

    /// The roster's display name and team of each agent (empty values as nil).
    func rosterNamesAndTeams() throws -> [String: (name: String?, team: String?)] {
        var roster: [String: (name: String?, team: String?)] = [:]
        for r in try query("SELECT agent_id, display_name, team FROM roster") {
            if let id = r[0].string { roster[id] = (r[1].string.flatMap { $0.isEmpty ? nil : $0 }, r[2].string.flatMap { $0.isEmpty ? nil : $0 }) }
        }
        return roster
    }
}

extension SQLStore {
    /// Every rating of the period's evaluations with its contact's outcomes, judged as the headline
    /// KPIs judge them (the same CSAT top boxes, FCR method, window and match): whether the customer
    /// was satisfied (nil without a response) and whether the contact was resolved first time (nil when
    /// FCR does not judge it).
    func criterionOutcomes(in span: Period, parameters: KPIParameters) throws -> [(criterion: String, rating: Double, scorecardKey: String, satisfied: Bool?, resolved: Bool?)] {
        let (judged, resolved) = SQLiteStore.fcrExpressions(parameters)
        // Driven from the evaluations (`+` keeps SQLite off the arrival index: 13 weeks of contacts
        // probed one by one for evaluations took 3.4 s at 5M contacts with none evaluated).
        return try query("""
            SELECT a.criterion_id, a.rating, e.scorecard_id, e.scorecard_version,
                   CASE WHEN c.csat IS NULL THEN NULL WHEN c.csat >= \(SQLiteStore.csatSatisfiedFrom(parameters, prefix: "c.")) THEN 1 ELSE 0 END,
                   CASE WHEN NOT \(judged) THEN NULL WHEN \(resolved) THEN 1 ELSE 0 END
            FROM evaluation_answers a JOIN evaluations e ON e.evaluation_id = a.evaluation_id
            JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            WHERE +c.arrived_at >= ? AND +c.arrived_at < ? AND a.rating IS NOT NULL
            ORDER BY a.criterion_id
            """, [.integer(span.fromUTC), .integer(span.toUTC)]).compactMap { r in
            guard let criterion = r[0].string, let rating = r[1].double, let card = r[2].string, let version = r[3].int else { return nil }
            return (criterion, rating, Scorecard.key(card, version), r[4].int.map { $0 == 1 }, r[5].int.map { $0 == 1 })
        }
    }
}

extension SQLStore {
    /// The latest registered version of each scorecard, by id.
    func latestScorecards() throws -> [Scorecard] { SQLiteStore.latest(try scorecards()) }

    /// The period's handled legs with what automatic checks read (hold time and, where imported,
    /// conversation analytics), one at a time in key order.
    func forEachAutoCheckLeg(_ period: Period, _ body: (AutoCheckLeg) -> Void) throws {
        try forEachRow("""
            SELECT l.source, l.interaction_id, l.leg, l.agent_id, COALESCE(l.team, rt.team),
                   c.channel, l.hold_s, a.non_talk_ms, a.duration_ms, a.customer_end_sentiment, a.categories, a.leg_ref
            FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
            LEFT JOIN roster rt ON rt.agent_id = l.agent_id
            LEFT JOIN conversation_analytics a ON a.source = l.source AND a.leg_ref = \(SQLiteStore.analyticsKey)
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND c.abandoned = 0
            ORDER BY l.source, l.interaction_id, l.leg
            """, [.integer(period.fromUTC), .integer(period.toUTC)]) { row in
            let analysed = row[11].string != nil
            body(AutoCheckLeg(source: row[0].string ?? "", interactionID: row[1].string ?? "", leg: row[2].int ?? 0, agent: row[3].string,
                              team: row[4].string, channel: row[5].string ?? "", holdSeconds: row[6].double,
                              nonTalkMs: row[7].int64, durationMs: row[8].int64, customerEndSentiment: row[9].double,
                              categories: analysed ? (row[10].string ?? "").split(separator: "\n").map(String.init) : nil))
        }
    }

    /// Each rated criterion of the period's evaluations that stand (re-evaluated ones left out), as
    /// passed or not: rated at or above the criterion's target, its scale's maximum without one.
    /// Keyed `source|interaction|leg` → `scorecard/criterion`; a leg rated twice keeps the later evaluation.
    func humanPasses(_ period: Period, cards: [String: Scorecard]) throws -> [String: [String: Bool]] {
        var result: [String: [String: Bool]] = [:]
        for r in try query("""
            SELECT e.source, e.interaction_id, e.leg, e.scorecard_id, e.scorecard_version, a.criterion_id, a.rating
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            JOIN evaluation_answers a ON a.evaluation_id = e.evaluation_id
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND a.rating IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM evaluations r WHERE r.re_evaluates = e.evaluation_id)
            ORDER BY e.evaluated_at, e.evaluation_id
            """, [.integer(period.fromUTC), .integer(period.toUTC)]) {
            guard let source = r[0].string, let id = r[1].string, let leg = r[2].int, let card = r[3].string, let version = r[4].int,
                  let criterionID = r[5].string, let rating = r[6].double,
                  let criterion = cards[Scorecard.key(card, version)]?.criterion(criterionID) else { continue }
            result["\(source)|\(id)|\(leg)", default: [:]]["\(card)/\(criterionID)"] = rating >= (criterion.target ?? criterion.max)
        }
        return result
    }
}

extension SQLiteStore {
    /// The latest version of each scorecard of a registry (`scorecards()`), sorted by id.
    static func latest(_ cards: [String: Scorecard]) -> [Scorecard] {
        Dictionary(cards.values.map { ($0.id, $0) }, uniquingKeysWith: { $0.version >= $1.version ? $0 : $1 }).values.sorted { $0.id < $1.id }
    }
}

extension AutoCheckReport {
    /// The automatic checks of the latest version of each registered scorecard, over the period.
    package static func build(store: any SQLStore, period: Period) throws -> AutoCheckReport {
        let cards = try store.scorecards()
        let latest = SQLiteStore.latest(cards)
        guard latest.contains(where: { $0.criteria.contains { $0.auto != nil } }) else { return AutoCheckReport(checks: []) }
        return try build(cards: latest, ratings: try store.humanPasses(period, cards: cards)) { count in
            try store.forEachAutoCheckLeg(period, count)
        }
    }
}
