import Foundation

/// A coaching action agreed with an agent on a criterion, reviewed by a date (kept records of action plans).
package struct ActionPlan: Sendable, Equatable {
    package enum Status: String, Sendable { case agreed, reviewed }

    package var id: Int64
    package var agent: String
    package var criterion: String
    package var action: String
    package var agreedOn: LocalDate
    package var reviewBy: LocalDate
    package var status: Status
    var reviewedOn: LocalDate?
    package var note: String?
    /// Mean rating of the criterion, as a share of its scale, in the agent's evaluations before the plan…
    package var before: (mean: Double, n: Int)? { beforeRatings.n > 0 ? (beforeRatings.sum / Double(beforeRatings.n), beforeRatings.n) : nil }
    /// …and since it was agreed.
    package var since: (mean: Double, n: Int)? { sinceRatings.n > 0 ? (sinceRatings.sum / Double(sinceRatings.n), sinceRatings.n) : nil }

    /// The ratings (shares of the scale) before and since, for the test of a change.
    var beforeRatings = Moments()
    var sinceRatings = Moments()

    /// Whether the criterion improved since the plan: the 95% Welch interval of (since − before) lies above
    /// zero. A higher mean alone is not enough — a criterion chosen for coaching because it was low tends
    /// to score higher next time by chance alone (regression to the mean). Nil with fewer than two
    /// ratings on a side.
    package var improved: Bool? {
        guard beforeRatings.n >= 2, sinceRatings.n >= 2 else { return nil }
        if let difference = welchDifference(sinceRatings, beforeRatings) { return difference.lower > 0 }
        // No spread on either side: the ratings themselves say it.
        return sinceRatings.sum / Double(sinceRatings.n) > beforeRatings.sum / Double(beforeRatings.n)
    }

    package func isDue(asOf: LocalDate) -> Bool { status == .agreed && reviewBy <= asOf }

    package static func == (a: ActionPlan, b: ActionPlan) -> Bool { a.id == b.id && a.status == b.status && a.reviewedOn == b.reviewedOn }
}
