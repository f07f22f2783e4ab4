@testable import ContactQA
import ContactQATesting
import Testing

/// Reference values computed once with statsmodels 0.15.0 `proportion_confint(x, n, alpha=0.05, method="wilson")`
/// and scipy 1.17.1 `stats.t.ppf(0.975, df)` / `stats.t.interval(0.95, n-1, loc=mean, scale=sem)` (Python 3.11, 2026-11-23).
@Suite("Intervals and quantiles against scipy and statsmodels")
struct IntervalTests {
    @Test(arguments: [
        (0, 5, 0.0, 0.43448246478317487),
        (3, 4, 0.30064184258240184, 0.9544127391902995),
        (8, 10, 0.49016247153664183, 0.9433178485456247),
        (45, 50, 0.7863976856252034, 0.9565242350681095),
        (1, 1, 0.2065493143772374, 1.0),
        (2, 10, 0.056682151454375246, 0.5098375284633583),
        (1, 8, 0.022417491450056642, 0.47088818221285356),
    ])
    func wilson(successes: Int, trials: Int, lower: Double, upper: Double) throws {
        let ci = try #require(wilsonInterval(successes: successes, trials: trials))
        #expect(abs(ci.lower - lower) < 1e-12)
        #expect(abs(ci.upper - upper) < 1e-12)
    }

    @Test func wilsonOfNothingIsNull() {
        #expect(wilsonInterval(successes: 0, trials: 0) == nil)
    }

    @Test(arguments: [
        (1.0, 12.706204736174694), (2.0, 4.302652729749462), (4.0, 2.7764451051977934), (9.0, 2.262157162798205),
        (10.0, 2.228138851986274), (30.0, 2.0422724563012378), (1000.0, 1.9623390808264083),
    ])
    func studentTQuantiles(df: Double, expected: Double) {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: df) - expected) < 1e-9)
    }

    @Test func tIntervalOfAMean() throws {
        // Handle times of the nine legs of the canonical fixture's week.
        var m = Moments()
        for x in [360.0, 230, 510, 600, 480, 300, 300, 180, 120] { m.add(x) }
        let ci = try #require(tInterval(m))
        #expect(abs(ci.lower - 218.94875288217372) < 1e-9)
        #expect(abs(ci.upper - 465.49569156227074) < 1e-9)
        var one = Moments()
        one.add(5)
        #expect(tInterval(one) == nil)  // null below n = 2
    }

    @Test func hyndmanFanType7() {
        let sorted: [Double] = [120, 180, 230, 300, 300, 360, 480, 510, 600]
        #expect(quantileType7(sorted, 0.5) == 300)
        #expect(quantileType7(sorted, 0.9) == 528)  // numpy.percentile(…, 90) = 528.0
        #expect(quantileType7([7], 0.9) == 7)
        #expect(quantileType7([1, 2], 0.9) == 1.9)
        #expect(quantileType7([], 0.5) == nil)
    }

    /// statsmodels 0.15.0 `confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")`,
    /// run once; the first case is the demo's service level, 29/46 against last week's 40/40.
    @Test func newcombeDifferenceMatchesStatsmodels() throws {
        let cases: [(Int, Int, Int, Int, Double, Double)] = [
            (29, 46, 40, 40, -0.5139990357661031, -0.21746355766091788),
            (56, 70, 48, 80, 0.05243147240236498, 0.33387265403690614),
            (0, 10, 0, 12, -0.24249400665524096, 0.27753279986288926),
            (5, 10, 5, 10, -0.3725136238199143, 0.3725136238199143),
        ]
        for (x1, n1, x2, n2, lower, upper) in cases {
            let d = try #require(newcombeDifference(x1, of: n1, x2, of: n2))
            #expect(abs(d.lower - lower) < 1e-12 && abs(d.upper - upper) < 1e-12, "\(x1)/\(n1) − \(x2)/\(n2): \(d)")
        }
        #expect(newcombeDifference(1, of: 0, 1, of: 2) == nil)
    }

    /// scipy 1.17.1: for a = [300, 320, 280, 310, 290] and b = [250, 260, 240, 270, 255, 265],
    /// `ttest_ind(a, b, equal_var=False)` gives df 6.883259911894273, and x̄a − x̄b ± t.ppf(0.975, df)·se
    /// = [23.560179995900086, 63.10648667076654].
    /// Large, nearly equal values: a day and 1, 2, 3 seconds, and 10⁹ + 1, 2, 3 (variance 1 exactly);
    /// Σx² − (Σx)²/n gives 0 or noise for the second, the shifted sums give 1.
    @Test func varianceOfLargeNearlyEqualValuesDoesNotCollapse() throws {
        for base in [86_400.0, 1e9, 1e12] {
            var m = Moments()
            for d in [1.0, 2, 3] { m.add(base + d) }
            #expect(m.variance == 1, "base \(base): \(m.variance ?? -1)")
            let interval = try #require(tInterval(m))
            #expect(abs((interval.upper - interval.lower) / 2 - 4.302652729911275 / 3.0.squareRoot()) < 1e-6 * base / 1e9 + 1e-9)
        }
        // Combining moments kept on different shifts gives the moments of all the values.
        var a = Moments(), b = Moments(), all = Moments()
        for x in [1e9 + 1, 1e9 + 5] { a.add(x); all.add(x) }
        for x in [1e9 + 2, 1e9 + 4, 1e9 + 3] { b.add(x); all.add(x) }
        let combined = a + b
        #expect(combined.n == 5 && combined.sum == all.sum)
        #expect(combined.variance == 2.5 && all.variance == 2.5)
        // Plain sums (shift 0), as a store that does not shift reads them, give the textbook variance.
        #expect(Moments(n: 3, sum: 6, sumOfSquares: 14).variance == 1)
    }

    @Test func welchDifferenceMatchesScipy() throws {
        var a = Moments(), b = Moments()
        for x in [300.0, 320, 280, 310, 290] { a.add(x) }
        for x in [250.0, 260, 240, 270, 255, 265] { b.add(x) }
        let d = try #require(welchDifference(a, b))
        #expect(abs(d.lower - 23.560179995900086) < 1e-9)
        #expect(abs(d.upper - 63.10648667076654) < 1e-9)
        var one = Moments()
        one.add(5)
        #expect(welchDifference(one, b) == nil)
    }
}

/// FCR by customer clusters and ASA by day: the ratio's linearised interval with clusters as units.
@Suite("Clustered ratio intervals")
struct ClusteredRatioTests {
    /// Six customers (resolved, judged): (1,1) (0,3) (2,2) (1,2) (3,4) (0,1). Computed with Python and
    /// scipy 1.17.1 (t.ppf(0.975, 5)): R = 7/13 = 0.5384615384615384, 95% CI 0.06954241598238486 to
    /// 1.007380660940692.
    @Test func byHand() throws {
        let ratio = ClusteredRatio([(1, 1), (0, 3), (2, 2), (1, 2), (3, 4), (0, 1)])
        #expect(abs(ratio.value! - 0.5384615384615384) < 1e-15)
        let ci = try #require(ratio.ci95)
        #expect(abs(ci.lower - 0.06954241598238486) < 1e-12 && abs(ci.upper - 1.007380660940692) < 1e-12)
        #expect(ClusteredRatio([(1, 2)]).ci95 == nil)
    }

    /// Customers who differ in how often they call and how often they are resolved (resolution
    /// probability Beta(2, 1) per customer, 1–5 contacts each), 400 customers a week, 2,000 seeded weeks:
    /// the clustered interval covers the true ratio at its rate (within 2 points of 95%); Wilson's,
    /// which treats the ~1,200 contacts as independent, covers well under it.
    @Test func customerClustersCoverWhereIndependentContactsDoNot() {
        var rng = SplitMix64(seed: 5)
        // The superpopulation ratio E[y]/E[m]: contacts m uniform on 1…5 independent of p ~ Beta(2, 1), so
        // E[y]/E[m] = E[p] = 2/3.
        let truth = 2.0 / 3
        var clusteredCovered = 0
        var wilsonCovered = 0
        let weeks = 2_000
        for _ in 0..<weeks {
            var totals: [(y: Double, m: Double)] = []
            for _ in 0..<400 {
                let p = max(rng.unit(), rng.unit())  // the maximum of two uniforms is Beta(2, 1)
                let m = 1 + Int(rng.next() % 5)
                var y = 0
                for _ in 0..<m where rng.unit() < p { y += 1 }
                totals.append((Double(y), Double(m)))
            }
            let ratio = ClusteredRatio(totals)
            if let ci = ratio.ci95, ci.lower <= truth, truth <= ci.upper { clusteredCovered += 1 }
            let successes = Int(totals.reduce(0) { $0 + $1.y }), trials = Int(totals.reduce(0) { $0 + $1.m })
            if let ci = wilsonInterval(successes: successes, trials: trials), ci.lower <= truth, truth <= ci.upper { wilsonCovered += 1 }
        }
        let clustered = Double(clusteredCovered) / Double(weeks)
        let wilson = Double(wilsonCovered) / Double(weeks)
        #expect(abs(clustered - 0.95) <= 0.02, "clustered coverage \(clustered)")
        #expect(wilson < 0.93, "Wilson coverage \(wilson)")
    }
}

@Suite("NPS interval")
struct NPSIntervalTests {
    /// Adjusted Wald (Rocks 2016), computed with Python: 3 promoters and 1 detractor of 5 → −29.78 to 79.78;
    /// 40 and 25 of 120 → −0.62 to 25.01.
    @Test func adjustedWald() throws {
        let small = try #require(NPSEstimate(responses: 5, promoters: 3, detractors: 1).ci95)
        #expect(abs(small.lower - -29.782658786036354) < 1e-9 && abs(small.upper - 79.78265878603635) < 1e-9)
        let larger = try #require(NPSEstimate(responses: 120, promoters: 40, detractors: 25).ci95)
        #expect(abs(larger.lower - -0.6192364636053216) < 1e-9 && abs(larger.upper - 25.009480366044347) < 1e-9)
        #expect(NPSEstimate(responses: 0, promoters: 0, detractors: 0).ci95 == nil)
        let all = try #require(NPSEstimate(responses: 4, promoters: 4, detractors: 0).ci95)
        #expect(all.upper <= 100)
    }
}

extension ClusteredRatioTests {
    /// Waits from a queue that builds up: each day has its own level (sd 25 s around 60 s) and waits
    /// within a day follow an AR(1) process (φ = 0.8), 120 answered contacts a day, seven days a week,
    /// 2,000 seeded weeks. The interval with days as batches covers the process mean within 2 points of
    /// 95% (observed 94.3%); the t interval over the 840 waits as if independent covered 16.2%.
    @Test func asaByDayCoversWhereIndependentWaitsDoNot() {
        var rng = SplitMix64(seed: 9)
        let truth = 60.0
        var byDay = 0, independent = 0
        let weeks = 2_000
        for _ in 0..<weeks {
            var days: [(y: Double, m: Double)] = []
            var all = Moments()
            for _ in 0..<7 {
                let level = truth + 25 * rng.normal()
                var deviation = 0.0
                var total = 0.0
                for _ in 0..<120 {
                    deviation = 0.8 * deviation + 12 * rng.normal()
                    let wait = level + deviation
                    total += wait
                    all.add(wait)
                }
                days.append((total, 120))
            }
            if let ci = ClusteredRatio(days).ci95, ci.lower <= truth, truth <= ci.upper { byDay += 1 }
            if let ci = tInterval(all), ci.lower <= truth, truth <= ci.upper { independent += 1 }
        }
        let dayCoverage = Double(byDay) / Double(weeks)
        let naive = Double(independent) / Double(weeks)
        #expect(abs(dayCoverage - 0.95) <= 0.02, "by day \(dayCoverage)")
        #expect(naive < 0.5, "independent \(naive)")
    }
}

extension TrendStatisticsTests {
    /// The exact funnel never flags a colleague at the comparison rate more often than 0.2%, at any volume:
    /// every n from 1 to 300 and rates from 1% to 99%.
    @Test func theFlagRateIsAtMostNominalAtEveryVolume() {
        for n in 1...300 {
            for p in stride(from: 0.01, through: 0.99, by: 0.07) {
                #expect(FunnelLimits(centre: p, n: n).falseFlagProbability <= 0.002, "n \(n), p \(p)")
            }
        }
    }
}
