/// A rate with what it was computed from (DESIGN.md §6 `RATE`).
package struct RateEstimate: Sendable, Equatable {
    var numerator: Int
    var denominator: Int
    package var value: Double? { denominator > 0 ? Double(numerator) / Double(denominator) : nil }
    var ci95: (lower: Double, upper: Double)? { wilsonInterval(successes: numerator, trials: denominator) }

    package init(_ numerator: Int, of denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    package static func == (a: RateEstimate, b: RateEstimate) -> Bool {
        a.numerator == b.numerator && a.denominator == b.denominator
    }
}

/// A mean with its sample size and 95% t-interval (DESIGN.md §6 `MEAN`).
struct MeanEstimate: Sendable, Equatable {
    var moments: Moments
    package var n: Int { moments.n }
    package var value: Double? { moments.n > 0 ? moments.sum / Double(moments.n) : nil }
    var ci95: (lower: Double, upper: Double)? { tInterval(moments) }

    package init(_ moments: Moments) { self.moments = moments }

    static func == (a: MeanEstimate, b: MeanEstimate) -> Bool { a.moments == b.moments }
}

/// Net promoter score from its counts.
struct NPSEstimate: Sendable, Equatable {
    var responses: Int
    var promoters: Int
    var detractors: Int
    /// % promoters − % detractors, −100…100.
    package var value: Double? {
        responses > 0 ? 100 * Double(promoters - detractors) / Double(responses) : nil
    }

    /// The 95% **adjusted Wald** interval (Rocks, "Interval estimation for the 'Net Promoter Score'", *The
    /// American Statistician* 70, 2016, the method it found best): ¾ added to the promoters and to the
    /// detractors and 3 to n, then p − d ± z·√((p + d − (p − d)²)/n), within −100…100. Nil without responses.
    var ci95: (lower: Double, upper: Double)? {
        guard responses > 0 else { return nil }
        let n = Double(responses) + 3
        let p = (Double(promoters) + 0.75) / n
        let d = (Double(detractors) + 0.75) / n
        let half = z95 * ((p + d - (p - d) * (p - d)) / n).squareRoot()
        return (100 * max(-1, p - d - half), 100 * min(1, p - d + half))
    }
}

/// Every KPI of DESIGN.md §3 for one group.
package struct KPISet: Sendable, Equatable {
    package var offered: Int
    var handled: Int
    var abandoned: Int
    var shortAbandoned: Int
    var transferred: Int
    var escalated: Int
    var abandonmentRate: RateEstimate
    package var serviceLevel: RateEstimate
    var transferRate: RateEstimate
    var escalationRate: RateEstimate
    package var fcr: RateEstimate
    /// 1 − FCR, with the complementary numerator.
    var repeatContactRate: RateEstimate
    package var csat: RateEstimate
    var asa: MeanEstimate
    var csatMean: MeanEstimate
    var aht: MeanEstimate
    var ahtMedian: Double?
    var ahtP90: Double?
    var nps: NPSEstimate

    /// Turns a group's aggregates into KPIs. Either side may be missing (a group with legs but no
    /// contacts of its own, or the reverse, e.g. agent groups).
    package init(contacts c: ContactAggregate?, legs l: LegAggregate?) {
        let c = c ?? ContactAggregate(key: [])
        offered = c.offered
        handled = c.handled
        abandoned = c.abandoned
        shortAbandoned = c.shortAbandoned
        transferred = c.transferred
        escalated = c.escalated
        abandonmentRate = RateEstimate(c.abandoned - c.shortAbandoned, of: c.offered - c.shortAbandoned)
        serviceLevel = RateEstimate(c.serviceLevelMet, of: c.offered - c.shortAbandoned)
        transferRate = RateEstimate(c.transferred, of: c.handled)
        escalationRate = RateEstimate(c.escalated, of: c.handled)
        csat = RateEstimate(c.csatSatisfied, of: c.csatResponses)
        fcr = RateEstimate(c.fcrResolved, of: c.fcrJudged)
        repeatContactRate = RateEstimate(c.fcrJudged - c.fcrResolved, of: c.fcrJudged)
        asa = MeanEstimate(c.wait)
        csatMean = MeanEstimate(c.csatNormalised)
        aht = MeanEstimate(l?.handle ?? Moments())
        ahtMedian = l.flatMap { $0.quantiles?.median ?? $0.handleTimes.quantileType7(0.5) }
        ahtP90 = l.flatMap { $0.quantiles?.p90 ?? $0.handleTimes.quantileType7(0.9) }
        nps = NPSEstimate(responses: c.npsResponses, promoters: c.promoters, detractors: c.detractors)
    }
}
