import Foundation

/// Funnel limits for comparing a colleague's rate with the rest of their team (Spiegelhalter, "Funnel
/// plots for comparing institutional performance", *Statistics in Medicine* 24, 2005), with **exact
/// binomial** tails, which that paper recommends for small counts: the normal approximation flags a
/// 1-of-1 transfer against a team rate of 9%, and flags stable colleagues with few contacts far more
/// often than it says.
///
/// A colleague with x of n is **flagged** when, under Bin(n, p) with p the rest of the team's rate,
/// P(X ≥ x) ≤ 0.1% or P(X ≤ x) ≤ 0.1% (99.8% two-sided); **warned** at 2.5% a side (95%). The
/// discrete test is conservative: a colleague whose true rate is p is flagged with probability at most
/// 0.2% at every n (``falseFlagProbability`` gives it exactly). Below ``minimumVolume`` contacts nobody
/// is flagged or warned.
struct FunnelLimits: Sendable, Equatable {
    /// One-sided tail of the flag (99.8% two-sided).
    static let flagTail = 0.001
    /// One-sided tail of the warning line (95% two-sided): drawn, never a flag.
    static let warningTail = 0.025
    /// Fewer contacts than this say too little of a colleague to flag or warn them.
    static let minimumVolume = 5

    /// The comparison rate p (the rest of the team's).
    package var centre: Double
    package var n: Int

    package init(centre: Double, n: Int) {
        self.centre = centre
        self.n = n
    }

    enum Position: String, Sendable { case inside, warning, flagged }

    /// Bin(n, p) probabilities of 0…n, from log-gamma (stable for large n).
    var probabilities: [Double] {
        guard n > 0 else { return [1] }
        if centre <= 0 { return [1] + Array(repeating: 0, count: n) }
        if centre >= 1 { return Array(repeating: 0, count: n) + [1] }
        let logP: Double = log(centre)
        let logQ: Double = log1p(-centre)
        let size = Double(n)
        let logN: Double = lgamma(size + 1)
        return (0...n).map { k -> Double in
            let successes = Double(k)
            let failures = size - successes
            let logChoose: Double = logN - lgamma(successes + 1) - lgamma(failures + 1)
            return exp(logChoose + successes * logP + failures * logQ)
        }
    }

    /// Where a count of `x` of `n` falls.
    func classify(count x: Int) -> Position {
        guard n >= FunnelLimits.minimumVolume, centre > 0, centre < 1 else { return .inside }
        let pmf = probabilities
        let below = pmf[0...x].reduce(0, +)
        let above = pmf[x...].reduce(0, +)
        if below <= FunnelLimits.flagTail || above <= FunnelLimits.flagTail { return .flagged }
        if below <= FunnelLimits.warningTail || above <= FunnelLimits.warningTail { return .warning }
        return .inside
    }

    /// The probability that a colleague whose true rate is the centre is flagged at this volume.
    var falseFlagProbability: Double {
        guard n >= FunnelLimits.minimumVolume, centre > 0, centre < 1 else { return 0 }
        let pmf = probabilities
        var below = 0.0
        var total = 0.0
        var cumulative: [Double] = []
        for p in pmf {
            below += p
            cumulative.append(below)
        }
        for x in 0...n {
            let lower = cumulative[x]
            let upper = 1 - (x == 0 ? 0 : cumulative[x - 1])
            if lower <= FunnelLimits.flagTail || upper <= FunnelLimits.flagTail { total += pmf[x] }
        }
        return total
    }

    /// The limit as a rate, for drawing: the binomial quantile at `probability`, interpolated between
    /// counts as in Spiegelhalter (2005, appendix A.1.1): r the smallest count with F(r) ≥ probability,
    /// α = (F(r) − probability) / (F(r) − F(r − 1)), limit (r − α) / n.
    func limit(at probability: Double) -> Double { limits(at: [probability])[0] }

    /// `limit(at:)` at several probabilities, from one computation of the binomial probabilities
    /// (each a log-gamma and an exponential per count: most of the time a funnel chart takes).
    func limits(at probabilities: [Double]) -> [Double] {
        guard n > 0 else { return probabilities.map { _ in centre } }
        let pmf = self.probabilities
        return probabilities.map { FunnelLimits.limit(at: $0, pmf: pmf, n: n) }
    }

    private static func limit(at probability: Double, pmf: [Double], n: Int) -> Double {
        var cumulative = 0.0
        for (r, p) in pmf.enumerated() {
            let previous = cumulative
            cumulative += p
            if cumulative >= probability {
                let alpha = p > 0 ? (cumulative - probability) / (cumulative - previous) : 0
                return max(0, min(1, (Double(r) - alpha) / Double(n)))
            }
        }
        return 1
    }

    /// The 95% warning limits as rates.
    package var warning: (lower: Double, upper: Double) { limits(tail: FunnelLimits.warningTail) }
    /// The 99.8% flag limits as rates.
    package var flag: (lower: Double, upper: Double) { limits(tail: FunnelLimits.flagTail) }

    private func limits(tail: Double) -> (lower: Double, upper: Double) {
        let both = limits(at: [tail, 1 - tail])
        return (both[0], both[1])
    }
}
