import Foundation

/// Trend in a weekly series: Theil–Sen slope and the Mann–Kendall test (DESIGN.md §5).
///
/// Mann–Kendall (Mann 1945; Kendall 1975): S = Σ_{i<j} sign(x_j − x_i); with ties,
/// Var(S) = [n(n − 1)(2n + 5) − Σ t(t − 1)(2t + 5)] / 18 over groups of t tied values;
/// Z = (S − 1)/√Var(S) for S > 0, (S + 1)/√Var(S) for S < 0, 0 otherwise (continuity correction);
/// two-sided p = 2(1 − Φ(|Z|)). Theil–Sen (Theil 1950; Sen 1968): the median of the pairwise slopes
/// (x_j − x_i)/(j − i), in units per week.
struct TrendTest: Sendable, Equatable {
    package var n: Int
    package var s: Int
    var variance: Double
    var z: Double
    package var p: Double
    var slope: Double

    /// A trend is called only when p < α.
    func significant(alpha: Double = 0.05) -> Bool { p < alpha }

    /// Why a series cannot be tested, in words.
    enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case tooShort(have: Int, need: Int)
        case constant

        package var description: String {
            switch self {
            case .tooShort(let have, let need): "not enough data: \(have) week\(have == 1 ? "" : "s") with a value, the trend test needs at least \(need)"
            case .constant: "not enough data: every week has the same value, there is no trend to test"
            }
        }
    }

    /// - Parameters:
    ///   - values: the series in time order, one value per week (weeks without a value left out).
    ///   - positions: each value's week number (e.g. its index in the history), so that the slope is per
    ///     week even when weeks are missing; nil: consecutive weeks.
    /// - Complexity: O(n²) pairs; n is a few dozen weeks.
    package init(_ values: [Double], positions: [Int]? = nil, minimumLength: Int = 8) throws(Refusal) {
        let n = values.count
        let x = positions ?? Array(0..<n)
        precondition(x.count == n, "one position per value")
        guard n >= minimumLength else { throw .tooShort(have: n, need: minimumLength) }
        guard Set(values).count > 1 else { throw .constant }
        var s = 0
        var slopes: [Double] = []
        slopes.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let d = values[j] - values[i]
                s += d > 0 ? 1 : d < 0 ? -1 : 0
                slopes.append(d / Double(x[j] - x[i]))
            }
        }
        var ties: [Double: Int] = [:]
        for v in values { ties[v, default: 0] += 1 }
        let nd = Double(n)
        var variance = nd * (nd - 1) * (2 * nd + 5)
        for t in ties.values where t > 1 {
            let td = Double(t)
            variance -= td * (td - 1) * (2 * td + 5)
        }
        variance /= 18
        let z = s > 0 ? Double(s - 1) / variance.squareRoot() : s < 0 ? Double(s + 1) / variance.squareRoot() : 0
        slopes.sort()
        self.n = n
        self.s = s
        self.variance = variance
        self.z = z
        p = 2 * (1 - NormalDistribution.cdf(abs(z)))
        slope = quantileType7(slopes, 0.5)!
    }
}
