import Foundation

/// The z of a two-sided 95% interval, Φ⁻¹(0.975), to the digits DESIGN.md §3 fixes.
let z95 = 1.959963984540054

/// A 95% Wilson score interval for a binomial proportion (Wilson, 1927; Brown, Cai & DasGupta, 2001).
///
/// - Returns: nil when `denominator` is 0.
func wilsonInterval(successes: Int, trials: Int, z: Double = z95) -> (lower: Double, upper: Double)? {
    guard trials > 0 else { return nil }
    let n = Double(trials)
    let p = Double(successes) / n
    let z2 = z * z
    let denominator = 1 + z2 / n
    let centre = (p + z2 / (2 * n)) / denominator
    let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
    return (max(0, centre - half), min(1, centre + half))
}

/// A 95% Student t confidence interval for a mean from its moments; nil below n = 2.
func tInterval(_ m: Moments, confidence: Double = 0.95) -> (lower: Double, upper: Double)? {
    guard m.n >= 2 else { return nil }
    let n = Double(m.n)
    let mean = m.sum / n
    let variance = m.variance ?? 0
    let half = StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: n - 1) * (variance / n).squareRoot()
    return (mean - half, mean + half)
}

/// A 95% interval for the difference of two independent proportions p₁ − p₂, by Newcombe's hybrid
/// score method (Newcombe 1998, "Interval estimation for the difference between independent
/// proportions", Statistics in Medicine 17:873–890, method 10), built from each proportion's Wilson
/// interval (l, u): p₁ − p₂ − √((p₁ − l₁)² + (u₂ − p₂)²) to p₁ − p₂ + √((u₁ − p₁)² + (p₂ − l₂)²).
/// Nil when either proportion has no trials.
func newcombeDifference(_ x1: Int, of n1: Int, _ x2: Int, of n2: Int, z: Double = z95) -> (lower: Double, upper: Double)? {
    guard let (l1, u1) = wilsonInterval(successes: x1, trials: n1, z: z), let (l2, u2) = wilsonInterval(successes: x2, trials: n2, z: z) else { return nil }
    let p1 = Double(x1) / Double(n1)
    let p2 = Double(x2) / Double(n2)
    let d = p1 - p2
    return (d - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot(),
            d + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot())
}

/// A 95% Welch interval for the difference of two means μ₁ − μ₂ with unequal variances (Welch 1947,
/// "The generalization of 'Student's' problem when several different population variances are
/// involved", Biometrika 34:28–35): x̄₁ − x̄₂ ± t₀.₉₇₅,ν · √(s₁²/n₁ + s₂²/n₂), ν by Welch–Satterthwaite.
/// Nil below two values on either side, or when both variances are zero.
func welchDifference(_ a: Moments, _ b: Moments, confidence: Double = 0.95) -> (lower: Double, upper: Double)? {
    guard a.n >= 2, b.n >= 2 else { return nil }
    func parts(_ m: Moments) -> (mean: Double, v: Double, n: Double) {
        let n = Double(m.n)
        return (m.sum / n, (m.variance ?? 0) / n, n)
    }
    let x = parts(a), y = parts(b)
    let se2 = x.v + y.v
    guard se2 > 0 else { return nil }
    let df = se2 * se2 / (x.v * x.v / (x.n - 1) + y.v * y.v / (y.n - 1))
    let half = StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: df) * se2.squareRoot()
    let d = x.mean - y.mean
    return (d - half, d + half)
}

/// Student's t distribution through the regularised incomplete beta function.
enum StudentT {
    /// P(T ≤ t) with ν degrees of freedom.
    static func cdf(_ t: Double, degreesOfFreedom v: Double) -> Double {
        let x = v / (v + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, a: v / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile, by bisection to full double precision (the CDF is monotone). Remembered: a
    /// report asks for the same few (a 95% interval at each group's degrees of freedom) again and again.
    static func quantile(_ p: Double, degreesOfFreedom v: Double) -> Double {
        if let known = remembered.value(p, v) { return known }
        let q = bisectedQuantile(p, degreesOfFreedom: v)
        remembered.keep(p, v, q)
        return q
    }

    private static let remembered = Quantiles()

    /// Quantiles computed so far, by p and degrees of freedom (at most 100,000, then forgotten).
    private final class Quantiles: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [Pair: Double] = [:]

        private struct Pair: Hashable {
            let p: UInt64, v: UInt64
            init(_ p: Double, _ v: Double) { (self.p, self.v) = (p.bitPattern, v.bitPattern) }
        }

        func value(_ p: Double, _ v: Double) -> Double? { lock.withLock { known[Pair(p, v)] } }

        func keep(_ p: Double, _ v: Double, _ q: Double) {
            lock.withLock {
                if known.count >= 100_000 { known.removeAll() }
                known[Pair(p, v)] = q
            }
        }
    }

    private static func bisectedQuantile(_ p: Double, degreesOfFreedom v: Double) -> Double {
        precondition(p > 0 && p < 1, "p must lie in (0, 1)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -bisectedQuantile(1 - p, degreesOfFreedom: v) }
        var lo = 0.0
        var hi = 1.0
        while cdf(hi, degreesOfFreedom: v) < p { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if cdf(mid, degreesOfFreedom: v) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

/// I_x(a, b) by Lentz's continued fraction (Numerical Recipes, 3rd ed., §6.4).
func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
    if x < (a + 1) / (a + b + 2) {
        return exp(lnFront) * betaContinuedFraction(x, a: a, b: b) / a
    }
    return 1 - exp(lnFront) * betaContinuedFraction(1 - x, a: b, b: a) / b
}

private func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...10_000 {
        let m = Double(m)
        let m2 = 2 * m
        var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
        d = 1 + aa * d
        if abs(d) < tiny { d = tiny }
        c = 1 + aa / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16 { break }
    }
    return h
}

/// The p-quantile of sorted values by Hyndman & Fan's type 7 (linear interpolation between order
/// statistics; R's default and numpy's `linear`). Nil for no values.
///
/// - Complexity: O(1).
func quantileType7(_ sorted: [Double], _ p: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let h = Double(sorted.count - 1) * p
    let lo = Int(h.rounded(.down))
    let hi = min(lo + 1, sorted.count - 1)
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
}
