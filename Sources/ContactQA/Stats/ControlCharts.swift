import Foundation

/// One point of a control chart with its limits.
struct ChartPoint: Sendable, Equatable {
    package var week: ISOWeek
    package var value: Double
    /// The denominator of a rate (p-charts); nil for means.
    package var n: Int?
    package var centre: Double
    /// One standard error at this point: √(p̄(1 − p̄)/n) for p-charts, 2.66·MR̄/3 (≈ MR̄/1.128) for XmR charts.
    var sigma: Double
    /// Exact binomial limits (0.135% and 99.865% quantiles of Bin(n, p̄)/n) where n·p̄(1 − p̄) < 5 and the
    /// normal limits would not hold: a rate near 0% or 100% on a small count.
    var exactLimits: (lower: Double, upper: Double)?
    var lower: Double { exactLimits?.lower ?? centre - 3 * sigma }
    var upper: Double { exactLimits?.upper ?? centre + 3 * sigma }

    static func == (a: ChartPoint, b: ChartPoint) -> Bool {
        a.week == b.week && a.value == b.value && a.n == b.n && a.centre == b.centre && a.sigma == b.sigma
            && a.exactLimits?.lower == b.exactLimits?.lower && a.exactLimits?.upper == b.exactLimits?.upper
    }
}

/// A Western Electric rule broken, with the weeks that break it.
struct ChartSignal: Sendable, Equatable {
    var rule: Int
    package var weeks: [ISOWeek]
    package var description: String
}

/// Control charts (DESIGN.md §5): limits from the baseline weeks (the weeks before the current one),
/// signals by the Western Electric rules 1–4 (Western Electric, *Statistical Quality Control Handbook*, 1956).
enum ControlChart {
    /// The share of stable weeks in which a chart signals in its current week, with its limits
    /// estimated from 12 baseline weeks (a seeded simulation in the tests measures it): a p-chart's
    /// centre from 12 weeks of counts is close to known, ≈ 1/91.75 as for known limits; an XmR chart's
    /// σ from 11 moving ranges is noisy, and its rate is about three times that (≈ 3%, stated as at most 3.5%).
    static func stableSignalRate(rate: Bool) -> Double { rate ? 0.011 : 0.035 }
    /// Why a chart cannot be drawn.
    enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case tooShort(have: Int, need: Int)
        case noVariation

        package var description: String {
            switch self {
            case .tooShort(let have, let need): "not enough data: \(have) baseline week\(have == 1 ? "" : "s") with data, limits need at least \(need)"
            case .noVariation: "not enough data: the baseline has no variation, limits would be zero wide"
            }
        }
    }

    /// A p-chart for a rate with varying denominators: centre p̄ = Σx/Σn over the baseline, limits
    /// p̄ ± 3·√(p̄(1 − p̄)/n_i) at each week. Weeks with n = 0 are left out.
    /// - Parameter points: (week, numerator, denominator) in time order; the last is the current week.
    package static func p(_ points: [(week: ISOWeek, x: Int, n: Int)], minimumBaseline: Int = 8) throws(Refusal) -> [ChartPoint] {
        let usable = points.filter { $0.n > 0 }
        let baseline = usable.dropLast()
        guard baseline.count >= minimumBaseline else { throw .tooShort(have: baseline.count, need: minimumBaseline) }
        let pBar = Double(baseline.reduce(0) { $0 + $1.x }) / Double(baseline.reduce(0) { $0 + $1.n })
        guard pBar > 0, pBar < 1 else { throw .noVariation }
        return usable.map { point in
            var chartPoint = ChartPoint(week: point.week, value: Double(point.x) / Double(point.n), n: point.n, centre: pBar,
                                        sigma: (pBar * (1 - pBar) / Double(point.n)).squareRoot())
            if Double(point.n) * pBar * (1 - pBar) < 5 {
                let binomial = FunnelLimits(centre: pBar, n: point.n)
                chartPoint.exactLimits = (binomial.limit(at: 0.00135), binomial.limit(at: 0.99865))
            }
            return chartPoint
        }
    }

    /// An XmR (individuals) chart for a mean: centre x̄ of the baseline, limits x̄ ± 2.66·MR̄ with MR̄
    /// the mean moving range of the baseline (σ = 2.66·MR̄/3 ≈ MR̄/d₂, d₂ = 1.128 for n = 2).
    static func xmr(_ points: [(week: ISOWeek, value: Double)], minimumBaseline: Int = 8) throws(Refusal) -> [ChartPoint] {
        let baseline = points.dropLast()
        guard baseline.count >= minimumBaseline else { throw .tooShort(have: baseline.count, need: minimumBaseline) }
        let values = baseline.map(\.value)
        let mean = values.reduce(0, +) / Double(values.count)
        var ranges = 0.0
        for i in 1..<values.count { ranges += abs(values[i] - values[i - 1]) }
        let mrBar = ranges / Double(values.count - 1)
        guard mrBar > 0 else { throw .noVariation }
        // σ = 2.66·MR̄/3 so that the 3σ limits are exactly DESIGN.md's x̄ ± 2.66·MR̄ (2.66 = 3/d₂, d₂ = 1.128).
        return points.map { ChartPoint(week: $0.week, value: $0.value, n: nil, centre: mean, sigma: mrBar * 2.66 / 3) }
    }

    /// The Western Electric rules, each signal with its rule and the weeks that make it:
    /// 1 — a point beyond 3σ; 2 — two of three consecutive points beyond 2σ on the same side;
    /// 3 — four of five consecutive points beyond 1σ on the same side; 4 — eight consecutive points
    /// on the same side of the centre line. Overlapping windows of the same rule merge into one signal.
    ///
    /// Points with exact binomial limits take part in rule 1 (against those limits) and rule 4 (a side of
    /// the centre line) only: the zones of rules 2 and 3 assume the normal approximation.
    static func westernElectric(_ points: [ChartPoint]) -> [ChartSignal] {
        let zs = points.map { $0.exactLimits == nil ? ($0.value - $0.centre) / $0.sigma : ($0.value > $0.centre ? 0.5 : $0.value < $0.centre ? -0.5 : 0) }
        var signals: [ChartSignal] = []
        func add(_ rule: Int, _ indices: [Int], _ text: String) {
            let weeks = indices.map { points[$0].week }
            // A run that overlaps an earlier signal of the same rule and side extends it: one drifting
            // series is one signal, not a line for every window.
            if let index = signals.lastIndex(where: { $0.rule == rule && $0.description == text }),
               let overlap = signals[index].weeks.last, let position = points.firstIndex(where: { $0.week == overlap }),
               indices.first! <= position + 1 {
                signals[index].weeks = Array(Set(signals[index].weeks + weeks)).sorted()
            } else {
                signals.append(ChartSignal(rule: rule, weeks: weeks, description: text))
            }
        }
        for (i, point) in points.enumerated() {
            if point.exactLimits != nil, let n = point.n {
                // Exact: the tail probability of the count itself under Bin(n, p̄), 0.135% a side.
                let pmf = FunnelLimits(centre: point.centre, n: n).probabilities
                let x = Int((point.value * Double(n)).rounded())
                let below = pmf[0...x].reduce(0, +), above = pmf[x...].reduce(0, +)
                if below <= 0.00135 || above <= 0.00135 {
                    add(1, [i], "a point beyond the exact binomial limits (\(above <= 0.00135 ? "above" : "below"))")
                }
            } else if point.value > point.upper || point.value < point.lower {
                add(1, [i], "a point beyond 3σ (\(point.value > point.upper ? "above" : "below") the limits)")
            }
        }
        for side in [1.0, -1.0] {
            for end in zs.indices {
                let w2 = max(0, end - 2)...end
                if w2.count == 3 {
                    let beyond = w2.filter { zs[$0] * side > 2 }
                    if beyond.count >= 2, zs[end] * side > 2 { add(2, beyond, "two of three points beyond 2σ \(side > 0 ? "above" : "below")") }
                }
                let w3 = max(0, end - 4)...end
                if w3.count == 5 {
                    let beyond = w3.filter { zs[$0] * side > 1 }
                    if beyond.count >= 4, zs[end] * side > 1 { add(3, beyond, "four of five points beyond 1σ \(side > 0 ? "above" : "below")") }
                }
                if end >= 7, ((end - 7)...end).allSatisfy({ zs[$0] * side > 0 }) {
                    add(4, Array((end - 7)...end), "eight points in a row \(side > 0 ? "above" : "below") the centre line")
                }
            }
        }
        return signals.sorted { ($0.rule, $0.weeks.first!) < ($1.rule, $1.weeks.first!) }
    }
}

