/// Krippendorff's alpha for one criterion across the legs several evaluators scored (K. Krippendorff,
/// *Content Analysis*, 2004, ch. 11; "Computing Krippendorff's Alpha-Reliability", 2011):
/// α = 1 − D_o/D_e, with D_o the disagreement within units over pairable values and D_e the
/// disagreement expected between any two pairable values. Units with fewer than two values are not pairable.
enum KrippendorffAlpha {
    enum Metric: Sendable { case nominal, interval }

    /// - Parameter units: for each unit, the values the evaluators gave it.
    /// - Returns: nil when fewer than two values are pairable or every value is the same (D_e = 0).
    static func alpha(_ units: [[Double]], metric: Metric) -> Double? {
        let pairable = units.filter { $0.count >= 2 }
        let values = pairable.flatMap { $0 }
        let n = Double(values.count)
        guard n >= 2 else { return nil }
        func delta(_ a: Double, _ b: Double) -> Double {
            switch metric {
            case .nominal: a == b ? 0 : 1
            case .interval: (a - b) * (a - b)
            }
        }
        var observed = 0.0
        for unit in pairable {
            var within = 0.0
            for i in unit.indices { for j in unit.indices where i != j { within += delta(unit[i], unit[j]) } }
            observed += within / Double(unit.count - 1)
        }
        observed /= n
        var expected = 0.0
        for i in values.indices { for j in values.indices where i != j { expected += delta(values[i], values[j]) } }
        expected /= n * (n - 1)
        guard expected > 0 else { return nil }
        return 1 - observed / expected
    }
}
