import Foundation
import GRDB

/// Action plans in the store: the table, and recording, reviewing and reading plans.
extension SQLiteStore {
    static func registerCoachingMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6: action plans") { db in
            try db.execute(sql: """
                CREATE TABLE action_plans (
                    id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, criterion_id TEXT NOT NULL, action TEXT NOT NULL,
                    agreed_on TEXT NOT NULL, review_by TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'agreed',
                    reviewed_on TEXT, note TEXT);
                """)
        }
    }

}

extension SQLStore {
    /// Records an action plan. The criterion must exist in a registered scorecard.
    @discardableResult
    package func addActionPlan(agent: String, criterion: String, action: String, agreedOn: LocalDate, reviewBy: LocalDate) throws -> Int64 {
        guard reviewBy >= agreedOn else { throw ParameterError("the review date \(reviewBy) is before the date the plan was agreed, \(agreedOn)") }
        guard try scorecards().values.contains(where: { $0.criterion(criterion) != nil }) else {
            throw ParameterError("no registered scorecard has a criterion \"\(criterion)\"")
        }
        return try transaction { db in
            try db.query("INSERT INTO action_plans (agent_id, criterion_id, action, agreed_on, review_by) VALUES (?, ?, ?, ?, ?) RETURNING id",
                         [.text(agent), .text(criterion), .text(action), .text(agreedOn.description), .text(reviewBy.description)]).first?.first?.int64 ?? 0
        }
    }

    /// Marks a plan reviewed on a date, with an optional note.
    package func reviewActionPlan(id: Int64, on date: LocalDate, note: String?) throws {
        try transaction { db in
            let changed = try db.execute("UPDATE action_plans SET status = 'reviewed', reviewed_on = ?, note = ? WHERE id = ?",
                                         [.text(date.description), FieldValue(note), .integer(id)])
            guard changed == 1 else { throw ParameterError("there is no action plan \(id)") }
        }
    }

    /// Every action plan with the criterion's mean rating before and since it was agreed.
    package func actionPlans() throws -> [ActionPlan] {
        let cards = try scorecards()
        let plans = try query("SELECT id, agent_id, criterion_id, action, agreed_on, review_by, status, reviewed_on, note FROM action_plans ORDER BY review_by, id")
        return try plans.map { r in
            var plan = ActionPlan(id: r[0].int64!, agent: r[1].string!, criterion: r[2].string!,
                                  action: r[3].string!, agreedOn: LocalDate(iso: r[4].string!)!,
                                  reviewBy: LocalDate(iso: r[5].string!)!, status: ActionPlan.Status(rawValue: r[6].string!) ?? .agreed,
                                  reviewedOn: r[7].string.flatMap { LocalDate(iso: $0) }, note: r[8].string)
            let ratings = try query("""
                SELECT substr(e.evaluated_at, 1, 10), a.rating, e.scorecard_id, e.scorecard_version FROM evaluations e
                JOIN evaluation_answers a ON a.evaluation_id = e.evaluation_id
                WHERE e.agent_id = ? AND a.criterion_id = ? AND a.rating IS NOT NULL
                """, [.text(plan.agent), .text(plan.criterion)])
            for rating in ratings {
                guard let card = cards[Scorecard.key(rating[2].string!, rating[3].int!)],
                      let criterion = card.criterion(plan.criterion), let date = LocalDate(iso: rating[0].string!) else { continue }
                let share = (rating[1].double! - criterion.min) / (criterion.max - criterion.min)
                if date < plan.agreedOn { plan.beforeRatings.add(share) } else { plan.sinceRatings.add(share) }
            }
            return plan
        }
    }
}
