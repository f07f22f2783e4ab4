/// Integer allocation of a total over parts by the largest-remainder method (Hamilton's method),
/// never giving a part more than it holds.
enum Apportionment {
    /// Splits `total` over parts in proportion to `weights`, each at most its `capacity`.
    ///
    /// Quotas are `total · wᵢ / Σw`; each part gets its floor, and the units left go one each to the
    /// largest fractional remainders, ties to the part that comes first. A part whose share exceeds its
    /// capacity is fixed at the capacity and the rest is apportioned again over the others.
    ///
    /// - Returns: shares summing to `min(total, Σ capacity)`.
    /// - Complexity: O(k² log k) for k parts in the worst case (one re-run per capped part).
    static func largestRemainder(total: Int, weights: [Double], capacities: [Int]) -> [Int] {
        precondition(weights.count == capacities.count)
        var shares = [Int](repeating: 0, count: weights.count)
        var open = weights.indices.filter { capacities[$0] > 0 && weights[$0] > 0 }
        var remaining = min(total, open.reduce(0) { $0 + capacities[$1] })
        while remaining > 0, !open.isEmpty {
            let sum = open.reduce(0.0) { $0 + weights[$1] }
            var trial: [Int: Int] = [:]
            var remainders: [(index: Int, fraction: Double)] = []
            var given = 0
            for i in open {
                // The remainder as (total·w mod Σw) — exact for whole-number weights (frame counts) —
                // rather than quota − ⌊quota⌋, whose rounding decided ties: 2 over 4/1/1 gave [1, 1, 0].
                let scaled = Double(remaining) * weights[i]
                let remainder = scaled.truncatingRemainder(dividingBy: sum)
                let floor = Int(((scaled - remainder) / sum).rounded())
                trial[i] = floor
                given += floor
                remainders.append((i, remainder))
            }
            // Remainders within a relative 1e-9 are ties (non-integer weights, e.g. Neyman's N·S): the
            // part that comes first wins, as the rule says.
            let grid = 1e-9 * sum
            remainders = remainders.map { ($0.index, ($0.fraction / grid).rounded()) }
            remainders.sort { $0.fraction != $1.fraction ? $0.fraction > $1.fraction : $0.index < $1.index }
            for r in remainders.prefix(remaining - given) { trial[r.index]! += 1 }
            let over = open.filter { trial[$0]! > capacities[$0] }
            if over.isEmpty {
                for i in open { shares[i] = trial[i]! }
                return shares
            }
            for i in over {
                shares[i] = capacities[i]
                remaining -= capacities[i]
            }
            open.removeAll { over.contains($0) }
        }
        return shares
    }
}
