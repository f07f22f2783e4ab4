import Foundation

/// Sample sizes by Cochran's formulas (W. G. Cochran, *Sampling Techniques*, 3rd ed., Wiley 1977,
/// §4.4 and §2.11), with the finite-population correction, rounded up only at the end.
enum SampleSize {
    /// n0 = z²·p(1−p)/e², n = ⌈n0 / (1 + (n0 − 1)/N)⌉.
    static func forProportion(marginOfError e: Double, confidence: Double, p: Double, population: Int) -> Int {
        let z = NormalDistribution.quantile(1 - (1 - confidence) / 2)
        return corrected(z * z * p * (1 - p) / (e * e), population: population)
    }

    /// n0 = z²·sd²/e², n = ⌈n0 / (1 + (n0 − 1)/N)⌉.
    static func forMean(marginOfError e: Double, confidence: Double, sd: Double, population: Int) -> Int {
        let z = NormalDistribution.quantile(1 - (1 - confidence) / 2)
        return corrected(z * z * sd * sd / (e * e), population: population)
    }

    static func corrected(_ n0: Double, population: Int) -> Int {
        guard population > 0 else { return 0 }
        let n = (n0 / (1 + (n0 - 1) / Double(population))).rounded(.up)
        // A plan so demanding that n₀ overflows asks for the census; so does anything at or above N.
        guard n.isFinite, n < Double(population) else { return population }
        return max(0, Int(n))
    }
}

/// The standard normal distribution.
enum NormalDistribution {
    static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// Φ⁻¹(p) by bisection on the CDF to full double precision.
    static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "p must lie in (0, 1)")
        var lo = -40.0
        var hi = 40.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if cdf(mid) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
