import Foundation
import GRDB

extension SQLiteStore {
    static func registerQualityMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5: scorecards and evaluations") { db in
            try db.execute(sql: """
                CREATE TABLE scorecards (id TEXT NOT NULL, version INTEGER NOT NULL, fingerprint TEXT NOT NULL, definition TEXT NOT NULL,
                    PRIMARY KEY (id, version)) WITHOUT ROWID;
                CREATE TABLE evaluations (
                    evaluation_id TEXT PRIMARY KEY, source TEXT NOT NULL, interaction_id TEXT NOT NULL, leg INTEGER NOT NULL,
                    agent_id TEXT, evaluator_id TEXT NOT NULL, evaluated_at TEXT NOT NULL, scorecard_id TEXT NOT NULL,
                    scorecard_version INTEGER NOT NULL, calibration_session TEXT, score REAL, critical_failed INTEGER NOT NULL,
                    fingerprint TEXT NOT NULL) WITHOUT ROWID;
                CREATE INDEX evaluations_leg ON evaluations(source, interaction_id, leg);
                CREATE TABLE evaluation_answers (evaluation_id TEXT NOT NULL, criterion_id TEXT NOT NULL, rating REAL, comment TEXT,
                    PRIMARY KEY (evaluation_id, criterion_id)) WITHOUT ROWID;
                """)
        }
    }

    /// Agents' acknowledgements of their feedback and their disputes of evaluations; a re-evaluation
    /// names the evaluation it replaces (`re_evaluates`), which stays, as history.
    static let feedbackMigration = """
        CREATE TABLE acknowledgements (agent_id TEXT NOT NULL, week TEXT NOT NULL, acknowledged_on TEXT NOT NULL, comment TEXT,
            PRIMARY KEY (agent_id, week));
        CREATE TABLE disputes (evaluation_id TEXT NOT NULL PRIMARY KEY, criterion_id TEXT, raised_on TEXT NOT NULL, reason TEXT);
        ALTER TABLE evaluations ADD COLUMN re_evaluates TEXT;
        CREATE INDEX evaluations_re_evaluates ON evaluations(re_evaluates);
        CREATE TABLE assignments (period_from TEXT NOT NULL, period_to TEXT NOT NULL, source TEXT NOT NULL, interaction_id TEXT NOT NULL,
            leg INTEGER NOT NULL, evaluator_id TEXT NOT NULL, calibration INTEGER NOT NULL, re_evaluates TEXT, assigned_on TEXT NOT NULL,
            PRIMARY KEY (period_from, period_to, source, interaction_id, leg, evaluator_id));
        CREATE INDEX assignments_leg ON assignments(source, interaction_id, leg);
        """

    /// Conversation analytics per leg (Amazon Connect Contact Lens), keyed by the leg's reference in its
    /// source, so that a file may arrive before or after the leg's own record. No transcript, no
    /// identifier of a participant.
    /// How a leg finds its analytics: by its own reference (a Connect ContactId), else by
    /// `interaction_id#leg` (a site's analytics CSV). `l` is the leg.
    static let analyticsKey = "COALESCE(l.leg_ref, l.interaction_id || '#' || l.leg)"

    static let analyticsMigration = """
        CREATE TABLE conversation_analytics (
            source TEXT NOT NULL, leg_ref TEXT NOT NULL, channel TEXT NOT NULL,
            duration_ms INTEGER, talk_ms INTEGER, non_talk_ms INTEGER, interruptions INTEGER,
            customer_sentiment REAL, agent_sentiment REAL, customer_end_sentiment REAL,
            categories TEXT NOT NULL, file TEXT NOT NULL,
            PRIMARY KEY (source, leg_ref));
        """

}

extension SQLStore {
    /// Registers a scorecard version; the same version again must be identical (versions are immutable).
    /// - Returns: false when that exact version was registered already.
    @discardableResult
    package func register(_ scorecard: Scorecard, definition: String) throws -> Bool {
        try transaction { db in
            if let stored = try db.query("SELECT fingerprint FROM scorecards WHERE id = ? AND version = ?",
                                         [.text(scorecard.id), .integer(Int64(scorecard.version))]).first?.first?.string {
                guard stored == scorecard.fingerprint else {
                    throw ConfigError(file: scorecard.id, line: nil, path: "version",
                                      reason: "scorecard \(scorecard.id) version \(scorecard.version) is registered already with other criteria; versions are immutable: give the changed scorecard a new version")
                }
                return false
            }
            try db.execute("INSERT INTO scorecards (id, version, fingerprint, definition) VALUES (?, ?, ?, ?)",
                           [.text(scorecard.id), .integer(Int64(scorecard.version)), .text(scorecard.fingerprint), .text(definition)])
            return true
        }
    }

    /// Every registered scorecard version.
    package func scorecards() throws -> [String: Scorecard] {
        var result: [String: Scorecard] = [:]
        for row in try query("SELECT id, version, definition FROM scorecards") {
            let card = try Scorecard.parse(yaml: row[2].string ?? "", file: "\(row[0].string ?? "") v\(row[1].int ?? 0)")
            result[card.key] = card
        }
        return result
    }
}

/// Conversation analytics, written by the ingest stage and read as risk signals.
extension SQLStore {
    /// Adds or replaces each leg's analytics (the latest file wins for a leg).
    func upsertConversationAnalytics(_ entries: [(ConversationAnalytics, file: String)], source: String) throws -> Int {
        try transaction { db in
            for (a, file) in entries {
                let values: [FieldValue] = [
                    .text(source), .text(a.contactID), .text(a.channel), FieldValue(a.durationMs), FieldValue(a.talkMs), FieldValue(a.nonTalkMs),
                    FieldValue(a.interruptions.map(Int64.init)), FieldValue(a.customerSentiment), FieldValue(a.agentSentiment),
                    FieldValue(a.customerEndSentiment), .text(a.categories.joined(separator: "\n")), .text(file),
                ]
                try db.execute("""
                    INSERT INTO conversation_analytics (source, leg_ref, channel, duration_ms, talk_ms, non_talk_ms, interruptions,
                        customer_sentiment, agent_sentiment, customer_end_sentiment, categories, file)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (source, leg_ref) DO UPDATE SET channel = excluded.channel, duration_ms = excluded.duration_ms,
                        talk_ms = excluded.talk_ms, non_talk_ms = excluded.non_talk_ms, interruptions = excluded.interruptions,
                        customer_sentiment = excluded.customer_sentiment, agent_sentiment = excluded.agent_sentiment,
                        customer_end_sentiment = excluded.customer_end_sentiment, categories = excluded.categories, file = excluded.file
                    """, values)
            }
        }
        return entries.count
    }
}

/// Agents' acknowledgements and disputes, written and read by the feedback loop.
extension SQLStore {
    /// Adds or replaces acknowledgements (the latest file wins for an agent and week).
    func upsertAcknowledgements(_ entries: [Acknowledgement]) throws -> Int {
        try transaction { db in
            for a in entries {
                try db.execute("""
                    INSERT INTO acknowledgements (agent_id, week, acknowledged_on, comment) VALUES (?, ?, ?, ?)
                    ON CONFLICT (agent_id, week) DO UPDATE SET acknowledged_on = excluded.acknowledged_on, comment = excluded.comment
                    """, [.text(a.agentID), .text(a.week.description), .text(a.acknowledgedOn.description), FieldValue(a.comment)])
            }
        }
        return entries.count
    }

    /// Adds or replaces disputes (one per evaluation; the latest file wins).
    func upsertDisputes(_ entries: [Dispute]) throws -> Int {
        try transaction { db in
            for d in entries {
                try db.execute("""
                    INSERT INTO disputes (evaluation_id, criterion_id, raised_on, reason) VALUES (?, ?, ?, ?)
                    ON CONFLICT (evaluation_id) DO UPDATE SET criterion_id = excluded.criterion_id, raised_on = excluded.raised_on,
                        reason = excluded.reason
                    """, [.text(d.evaluationID), FieldValue(d.criterionID), .text(d.raisedOn.description), FieldValue(d.reason)])
            }
        }
        return entries.count
    }

    /// A stored evaluation's leg, evaluator and scorecard, for checking a dispute or a re-evaluation.
    func evaluationLeg(id: String) throws -> (source: String, interactionID: String, leg: Int, evaluator: String, scorecardKey: String)? {
        guard let r = try query("SELECT source, interaction_id, leg, evaluator_id, scorecard_id, scorecard_version FROM evaluations WHERE evaluation_id = ?",
                                [.text(id)]).first else { return nil }
        return (r[0].string ?? "", r[1].string ?? "", r[2].int ?? 0, r[3].string ?? "", Scorecard.key(r[4].string ?? "", r[5].int ?? 0))
    }

    /// Whether an evaluation is disputed.
    func isDisputed(_ id: String) throws -> Bool {
        try !query("SELECT 1 FROM disputes WHERE evaluation_id = ?", [.text(id)]).isEmpty
    }

    /// The evaluation that re-evaluated a disputed one, if any.
    func reEvaluation(of id: String) throws -> String? {
        try query("SELECT evaluation_id FROM evaluations WHERE re_evaluates = ?", [.text(id)]).first?.first?.string
    }
}

extension SQLStore {
    /// The week's evaluations (calibration scorings left out) for the feedback loop: who was evaluated
    /// by whom, whether the evaluation was disputed, and the re-evaluation that answered it; with the
    /// agents who acknowledged the week's pack. Nil when the site records neither acknowledgements nor
    /// disputes.
    func feedbackLoop(_ period: Period, week: ISOWeek) throws -> FeedbackLoop? {
        let used = try query("SELECT (SELECT COUNT(*) FROM acknowledgements) + (SELECT COUNT(*) FROM disputes)").first?.first?.int ?? 0
        guard used > 0 else { return nil }
        let rows = try query("""
            SELECT e.evaluation_id, e.agent_id, \(SQLiteStore.team("l.team", agent: "e.agent_id")), e.evaluator_id, e.score, e.critical_failed,
                   d.evaluation_id, r.score, r.critical_failed
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            LEFT JOIN disputes d ON d.evaluation_id = e.evaluation_id
            LEFT JOIN evaluations r ON r.re_evaluates = e.evaluation_id
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND e.calibration_session IS NULL AND e.re_evaluates IS NULL
            ORDER BY e.evaluation_id
            """, [.integer(period.fromUTC), .integer(period.toUTC)])
        let acknowledged = Set(try query("SELECT agent_id FROM acknowledgements WHERE week = ?", [.text(week.description)]).compactMap { $0[0].string })
        return FeedbackLoop(evaluations: rows.map { r in
            let resolved = r[8].isNull ? nil as Bool?
                : FeedbackLoop.overturned(score: r[7].double, critical: r[8].int, disputedScore: r[4].double, disputedCritical: r[5].int)
            return .init(agent: r[1].string, team: r[2].string, evaluator: r[3].string ?? "", disputed: !r[6].isNull, overturned: resolved)
        }, acknowledged: acknowledged)
    }
}

extension SQLStore {
    /// Disputed evaluations of a period's contacts that no re-evaluation has answered yet.
    func openDisputes(_ period: Period) throws -> [OpenDispute] {
        try query("""
            SELECT e.evaluation_id, e.source, e.interaction_id, e.leg, e.evaluator_id, e.agent_id, \(SQLiteStore.team("l.team", agent: "e.agent_id")),
                   d.criterion_id, d.reason
            FROM disputes d JOIN evaluations e ON e.evaluation_id = d.evaluation_id
            JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            LEFT JOIN legs l ON l.source = e.source AND l.interaction_id = e.interaction_id AND l.leg = e.leg
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND NOT EXISTS (SELECT 1 FROM evaluations r WHERE r.re_evaluates = e.evaluation_id)
            ORDER BY e.evaluation_id
            """, [.integer(period.fromUTC), .integer(period.toUTC)]).map { r in
            OpenDispute(evaluationID: r[0].string ?? "", source: r[1].string ?? "", interactionID: r[2].string ?? "", leg: r[3].int ?? 1,
                        evaluator: r[4].string ?? "", agent: r[5].string, team: r[6].string, criterion: r[7].string, reason: r[8].string)
        }
    }
}

extension SQLStore {
    /// Everything recorded of an agent's monitoring, as stored: evaluations with their answers,
    /// acknowledgements, disputes with the re-evaluation that answered them. Raw rows for the records
    /// export (``AgentRecords``).
    func monitoringRecords(agent: String) throws -> (evaluations: [[FieldValue]], answers: [[FieldValue]], acknowledgements: [[FieldValue]], disputes: [[FieldValue]]) {
        let evaluations = try query("""
            SELECT evaluation_id, source, interaction_id, leg, evaluator_id, evaluated_at, scorecard_id, scorecard_version, score,
                   critical_failed, calibration_session, re_evaluates
            FROM evaluations WHERE agent_id = ? ORDER BY evaluated_at, evaluation_id
            """, [.text(agent)])
        let answers = try query("""
            SELECT a.evaluation_id, a.criterion_id, a.rating, a.comment FROM evaluation_answers a
            JOIN evaluations e ON e.evaluation_id = a.evaluation_id WHERE e.agent_id = ? ORDER BY a.evaluation_id, a.criterion_id
            """, [.text(agent)])
        let acknowledgements = try query("SELECT week, acknowledged_on, comment FROM acknowledgements WHERE agent_id = ? ORDER BY week", [.text(agent)])
        let disputes = try query("""
            SELECT d.evaluation_id, d.raised_on, d.criterion_id, d.reason, r.evaluation_id, r.evaluator_id, r.score, e.score, r.critical_failed, e.critical_failed
            FROM disputes d JOIN evaluations e ON e.evaluation_id = d.evaluation_id
            LEFT JOIN evaluations r ON r.re_evaluates = d.evaluation_id
            WHERE e.agent_id = ? ORDER BY d.raised_on, d.evaluation_id
            """, [.text(agent)])
        return (evaluations, answers, acknowledgements, disputes)
    }
}

extension SQLStore {
    /// Records who was asked to evaluate what for a period: new assignments keep the day they were
    /// first made (`on`), assignments no longer in the plan are removed.
    func recordAssignments(_ plan: AssignmentPlan, period: Period, on day: LocalDate) throws {
        let rows: [(String, String, Int, String, Bool, String?)] = plan.assignments.map { ($0.source, $0.interactionID, $0.leg, $0.evaluatorID, $0.calibration, nil) }
            + plan.reEvaluations.map { ($0.dispute.source, $0.dispute.interactionID, $0.dispute.leg, $0.evaluator, false, $0.dispute.evaluationID) }
        let from = FieldValue.text(period.from.description), to = FieldValue.text(period.to.description)
        try transaction { db in
            var kept = Set<String>()
            for (source, interaction, leg, evaluator, calibration, reEvaluates) in rows {
                kept.insert("\(source)|\(interaction)|\(leg)|\(evaluator)")
                try db.execute("""
                    INSERT INTO assignments (period_from, period_to, source, interaction_id, leg, evaluator_id, calibration, re_evaluates, assigned_on)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (period_from, period_to, source, interaction_id, leg, evaluator_id) DO UPDATE SET
                        calibration = excluded.calibration, re_evaluates = excluded.re_evaluates
                    """, [from, to, .text(source), .text(interaction), FieldValue(leg), .text(evaluator), FieldValue(calibration),
                          FieldValue(reEvaluates), .text(day.description)])
            }
            for r in try db.query("SELECT source, interaction_id, leg, evaluator_id FROM assignments WHERE period_from = ? AND period_to = ?", [from, to])
            where !kept.contains("\(r[0].string ?? "")|\(r[1].string ?? "")|\(r[2].int ?? 0)|\(r[3].string ?? "")") {
                try db.execute("""
                    DELETE FROM assignments WHERE period_from = ? AND period_to = ? AND source = ? AND interaction_id = ? AND leg = ? AND evaluator_id = ?
                    """, [from, to, r[0], r[1], r[2], r[3]])
            }
        }
    }

    /// The assignments of an agent's legs: who was asked to evaluate which of their interactions, when.
    func assignments(ofAgent agent: String) throws -> [[FieldValue]] {
        try query("""
            SELECT a.period_from, a.period_to, a.interaction_id, a.leg, a.evaluator_id, a.calibration, a.re_evaluates, a.assigned_on
            FROM assignments a JOIN legs l ON l.source = a.source AND l.interaction_id = a.interaction_id AND l.leg = a.leg
            WHERE l.agent_id = ? ORDER BY a.assigned_on, a.interaction_id, a.leg, a.evaluator_id
            """, [.text(agent)])
    }
}
