import Foundation

/// A ratio R = Σy / Σm over clusters — FCR over customers (y resolved, m judged contacts of a customer),
/// ASA over days (y total wait, m answered contacts of a day) — with its 95% interval by linearisation,
/// the clusters as the independent units: V = C/(C − 1) · Σ_c (y_c − R·m_c)² / M², M = Σ m_c, and
/// R ± t(0.975; C − 1)·√V (Lohr, *Sampling: Design and Analysis*, 2nd ed., 2010, §5.3 and eq. 9.5; for
/// days as batches, the batch-means method of Law, *Simulation Modeling and Analysis*, 5th ed., 2015, §9.5.3).
///
/// Contacts of one customer are not independent (a customer who calls back often is unresolved often),
/// nor are the waits of one day (a queue that builds up keeps every wait of the afternoon long): the
/// binomial and t intervals that assume independent contacts cover far less than 95% then.
struct ClusteredRatio: Sendable, Equatable {
    /// Clusters with m > 0.
    var clusters: Int
    var sumY = 0.0
    var sumM = 0.0
    var sumYY = 0.0
    var sumYM = 0.0
    var sumMM = 0.0

    package init(clusters: Int, sumY: Double, sumM: Double, sumYY: Double, sumYM: Double, sumMM: Double) {
        self.clusters = clusters
        self.sumY = sumY
        self.sumM = sumM
        self.sumYY = sumYY
        self.sumYM = sumYM
        self.sumMM = sumMM
    }

    /// From each cluster's (y, m).
    package init(_ totals: [(y: Double, m: Double)]) {
        let used = totals.filter { $0.m > 0 }
        clusters = used.count
        for (y, m) in used {
            sumY += y
            sumM += m
            sumYY += y * y
            sumYM += y * m
            sumMM += m * m
        }
    }

    package var value: Double? { sumM > 0 ? sumY / sumM : nil }

    /// The 95% interval; nil with fewer than two clusters.
    var ci95: (lower: Double, upper: Double)? {
        guard clusters >= 2, let r = value else { return nil }
        let residual = max(0, sumYY - 2 * r * sumYM + r * r * sumMM)
        let c = Double(clusters)
        let variance = c / (c - 1) * residual / (sumM * sumM)
        let t = StudentT.quantile(0.975, degreesOfFreedom: c - 1)
        return (r - t * variance.squareRoot(), r + t * variance.squareRoot())
    }
}
