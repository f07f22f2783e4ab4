import Foundation

/// A coaching action agreed with an agent on a criterion, reviewed by a date (kept records of action plans).
public struct ActionPlan: Sendable, Equatable {
    public enum Status: String, Sendable { case agreed, reviewed }

    public var id: Int64
    public var agent: String
    public var criterion: String
    public var action: String
    public var agreedOn: LocalDate
    public var reviewBy: LocalDate
    public var status: Status
    public var reviewedOn: LocalDate?
    public var note: String?
    /// Mean rating of the criterion, as a share of its scale, in the agent's evaluations before the plan…
    public var before: (mean: Double, n: Int)? { beforeRatings.n > 0 ? (beforeRatings.sum / Double(beforeRatings.n), beforeRatings.n) : nil }
    /// …and since it was agreed.
    public var since: (mean: Double, n: Int)? { sinceRatings.n > 0 ? (sinceRatings.sum / Double(sinceRatings.n), sinceRatings.n) : nil }

    /// The ratings (shares of the scale) before and since, for the test of a change.
    public var beforeRatings = Moments()
    public var sinceRatings = Moments()

    /// Whether the criterion improved since the plan: the 95% Welch interval of (since − before) lies above
    /// zero. A higher mean alone is not enough — a criterion chosen for coaching because it was low tends
    /// to score higher next time by chance alone (regression to the mean). Nil with fewer than two
    /// ratings on a side.
    public var improved: Bool? {
        guard beforeRatings.n >= 2, sinceRatings.n >= 2 else { return nil }
        if let difference = welchDifference(sinceRatings, beforeRatings) { return difference.lower > 0 }
        // No spread on either side: the ratings themselves say it.
        return sinceRatings.sum / Double(sinceRatings.n) > beforeRatings.sum / Double(beforeRatings.n)
    }

    public func isDue(asOf: LocalDate) -> Bool { status == .agreed && reviewBy <= asOf }

    public static func == (a: ActionPlan, b: ActionPlan) -> Bool { a.id == b.id && a.status == b.status && a.reviewedOn == b.reviewedOn }
}
