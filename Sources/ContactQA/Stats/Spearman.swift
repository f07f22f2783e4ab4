import Foundation

/// Spearman's rank correlation (C. Spearman, 1904): Pearson's correlation of the ranks, ties given
/// their average rank; two-sided p from t = r·√((n − 2)/(1 − r²)) with n − 2 degrees of freedom — the
/// approximation scipy's `spearmanr` uses.
struct SpearmanCorrelation: Sendable, Equatable {
    var rho: Double
    package var n: Int
    package var p: Double?

    /// - Returns: nil with fewer than 3 pairs, or when either side is constant.
    package init?(_ x: [Double], _ y: [Double]) {
        precondition(x.count == y.count)
        let n = x.count
        guard n >= 3 else { return nil }
        let rx = SpearmanCorrelation.ranks(x)
        let ry = SpearmanCorrelation.ranks(y)
        let mx = rx.reduce(0, +) / Double(n)
        let my = ry.reduce(0, +) / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            sxy += (rx[i] - mx) * (ry[i] - my)
            sxx += (rx[i] - mx) * (rx[i] - mx)
            syy += (ry[i] - my) * (ry[i] - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        rho = sxy / (sxx * syy).squareRoot()
        self.n = n
        if n > 2, abs(rho) < 1 {
            let t = rho * (Double(n - 2) / (1 - rho * rho)).squareRoot()
            p = 2 * (1 - StudentT.cdf(abs(t), degreesOfFreedom: Double(n - 2)))
        } else {
            p = 0
        }
    }

    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }
}
