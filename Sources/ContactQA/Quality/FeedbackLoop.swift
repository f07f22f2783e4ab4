import Foundation

/// What came back from the week's feedback: packs acknowledged, evaluations disputed, and disputes
/// the re-evaluation overturned — by team, and overturned disputes by the first evaluator (a
/// calibration signal).
struct FeedbackLoop: Sendable, Equatable {
    struct Evaluation: Sendable, Equatable {
        var agent: String?
        var team: String?
        var evaluator: String
        var disputed: Bool
        /// nil while a dispute waits for its re-evaluation (or when there is none); true when the
        /// re-evaluation's score or critical fail differs from the disputed one.
        var overturned: Bool?
    }

    var evaluations: [Evaluation]
    /// Agents who acknowledged the week's pack.
    var acknowledged: Set<String>

    struct TeamLine: Sendable, Equatable {
        var team: String
        var packs: Int
        var acknowledged: Int
        var evaluations: Int
        var disputed: Int
        var overturned: Int
    }

    /// Per team: agents with a pack (an evaluation this week) and how many acknowledged it;
    /// evaluations, how many were disputed and how many of those the re-evaluation overturned.
    var byTeam: [TeamLine] {
        Dictionary(grouping: evaluations) { $0.team ?? "(no team)" }.map { team, list in
            let agents = Set(list.compactMap(\.agent))
            return TeamLine(team: team, packs: agents.count, acknowledged: agents.intersection(acknowledged).count, evaluations: list.count,
                            disputed: list.filter(\.disputed).count, overturned: list.filter { $0.disputed && $0.overturned == true }.count)
        }.sorted { $0.team < $1.team }
    }

    /// Overturned disputes by the evaluator whose evaluation was overturned, most first.
    var overturnedByEvaluator: [(evaluator: String, count: Int)] {
        Dictionary(grouping: evaluations.filter { $0.disputed && $0.overturned == true }, by: \.evaluator)
            .map { ($0.key, $0.value.count) }.sorted { ($1.count, $0.evaluator) < ($0.count, $1.evaluator) }
    }

    /// Whether a re-evaluation overturned the disputed evaluation: its score or its critical fail differs.
    static func overturned(score: Double?, critical: Int?, disputedScore: Double?, disputedCritical: Int?) -> Bool {
        score != disputedScore || critical != disputedCritical
    }

    /// Disputes still waiting for their re-evaluation.
    var open: Int { evaluations.filter { $0.disputed && $0.overturned == nil }.count }
}
