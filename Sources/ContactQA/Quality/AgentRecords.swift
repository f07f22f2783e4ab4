import Foundation

/// One agent's monitoring records as the store keeps them, for the agent who asks to see them (a
/// subject access request) or a reviewer: every evaluation with its answers and comments (redacted as
/// stored), acknowledgements of packs, disputes with their outcome, and action plans. Customer
/// identifiers never appear: the store holds none.
package enum AgentRecords {
    package static func json(store: any SQLStore, agent: String) throws -> JSONValue {
        let r = try store.monitoringRecords(agent: agent)
        let answers = Dictionary(grouping: r.answers, by: { $0[0].string ?? "" })
        func value(_ v: FieldValue) -> JSONValue {
            switch v {
            case .null: .null
            case .integer(let i): .int(Int(i))
            case .real(let d): .double(d)
            case .text(let s): .string(s)
            }
        }
        let evaluations: [JSONValue] = r.evaluations.map { e in
            .object([
                ("evaluation_id", value(e[0])), ("source", value(e[1])), ("interaction_id", value(e[2])), ("leg", value(e[3])),
                ("evaluator_id", value(e[4])), ("evaluated_at", value(e[5])), ("scorecard", .string("\(e[6].string ?? "") v\(e[7].int ?? 0)")),
                ("score", value(e[8])), ("critical_failed", .bool(e[9].int == 1)), ("calibration_session", value(e[10])),
                ("re_evaluates", value(e[11])),
                ("answers", .array((answers[e[0].string ?? ""] ?? []).map { a in
                    .object([("criterion_id", value(a[1])), ("rating", value(a[2])), ("comment", value(a[3]))])
                })),
            ])
        }
        let disputes: [JSONValue] = r.disputes.map { d in
            let outcome: String = d[4].isNull ? "waiting for re-evaluation"
                : FeedbackLoop.overturned(score: d[6].double, critical: d[8].int, disputedScore: d[7].double, disputedCritical: d[9].int)
                    ? "overturned" : "upheld"
            return .object([
                ("evaluation_id", value(d[0])), ("raised_on", value(d[1])), ("criterion_id", value(d[2])), ("reason", value(d[3])),
                ("re_evaluation_id", value(d[4])), ("re_evaluated_by", value(d[5])), ("outcome", .string(outcome)),
            ])
        }
        let plans: [JSONValue] = try store.actionPlans().filter { $0.agent == agent }.map { p in
            .object([("id", .int(Int(p.id))), ("criterion_id", .string(p.criterion)), ("action", .string(p.action)),
                     ("agreed_on", .string(p.agreedOn.description)), ("review_by", .string(p.reviewBy.description)),
                     ("status", .string(p.status.rawValue)), ("note", .text(p.note))])
        }
        let assignments: [JSONValue] = try store.assignments(ofAgent: agent).map { a in
            .object([("period", .string("\(a[0].string ?? "")…\(a[1].string ?? "")")), ("interaction_id", value(a[2])), ("leg", value(a[3])),
                     ("evaluator_id", value(a[4])), ("calibration", .bool(a[5].int == 1)), ("re_evaluates", value(a[6])),
                     ("assigned_on", value(a[7]))])
        }
        return .object([
            ("agent_id", .string(agent)),
            ("assignments", .array(assignments)),
            ("evaluations", .array(evaluations)),
            ("acknowledgements", .array(r.acknowledgements.map { a in
                .object([("week", value(a[0])), ("acknowledged_on", value(a[1])), ("comment", value(a[2]))])
            })),
            ("disputes", .array(disputes)),
            ("action_plans", .array(plans)),
        ])
    }
}
