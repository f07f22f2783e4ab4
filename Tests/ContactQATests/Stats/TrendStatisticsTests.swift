@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

/// Mann–Kendall and Theil–Sen against pymannkendall 1.4.3 `original_test` and scipy 1.17.1
/// `stats.theilslopes` (Python 3.11, 2026-11-23); exact binomial funnel limits against
/// `scipy.stats.binom` 1.17.1 (Python 3.11.7, 2026-11-29): limits by Spiegelhalter's interpolation of
/// `binom.ppf`/`cdf`/`pmf`, flag probabilities by summing `binom.pmf` over the counts whose tail
/// (`cdf`, `sf`) is at most 0.001.
@Suite("Trend tests, control charts, funnels")
struct TrendStatisticsTests {
    @Test(arguments: [
        ("rising", [0.71, 0.74, 0.72, 0.76, 0.78, 0.75, 0.79, 0.81, 0.80, 0.83, 0.82, 0.85, 0.86], 68, 268.6666666666667, 4.087595469779973, 4.358673270377089e-05, 0.011250000000000003),
        ("ties", [300, 310, 310, 305, 320, 320, 320, 330, 325, 340, 335, 335, 350], 63, 263.0, 3.823083779064886, 0.00013179297445575777, 3.416666666666667),
        ("flat", [0.52, 0.48, 0.50, 0.53, 0.47, 0.51, 0.49, 0.52, 0.50, 0.48, 0.51, 0.49, 0.50], -7, 261.0, -0.3713906763541038, 0.7103465689955666, -0.0005000000000000004),
        ("eight", [5, 3, 6, 2, 7, 1, 8, 0], -4, 65.33333333333333, -0.3711537444790451, 0.7105230229164894, -0.5),
    ])
    func mannKendallAndTheilSen(name: String, values: [Double], s: Int, variance: Double, z: Double, p: Double, slope: Double) throws {
        let t = try TrendTest(values)
        #expect(t.s == s)
        #expect(abs(t.variance - variance) < 1e-9)
        #expect(abs(t.z - z) < 1e-12)
        #expect(abs(t.p - p) < 1e-9)
        #expect(abs(t.slope - slope) < 1e-12)
        #expect(t.significant() == (name == "rising" || name == "ties"))
    }

    @Test func tooShortOrConstantSeriesSayWhy() {
        #expect(throws: TrendTest.Refusal.tooShort(have: 5, need: 8)) { try TrendTest([1, 2, 3, 4, 5]) }
        #expect(throws: TrendTest.Refusal.constant) { try TrendTest(Array(repeating: 0.8, count: 10)) }
        #expect(TrendTest.Refusal.tooShort(have: 5, need: 8).description == "not enough data: 5 weeks with a value, the trend test needs at least 8")
    }

    static let weeks = (0..<20).map { ISOWeek(containing: LocalDate(iso: "2026-06-01")!.adding(days: 7 * $0)) }

    /// Points with centre 0 and σ = 1, so values are in σ units; the baseline part alternates ±0.5σ.
    func signals(_ tail: [Double]) -> [ChartSignal] {
        let values = (0..<10).map { $0 % 2 == 0 ? -0.5 : 0.5 } + tail
        let points = zip(TrendStatisticsTests.weeks, values).map { ChartPoint(week: $0, value: $1, n: nil, centre: 0, sigma: 1) }
        return ControlChart.westernElectric(points)
    }

    @Test func westernElectricRulesEachOnAConstructedSeries() {
        let w = TrendStatisticsTests.weeks
        #expect(signals([-0.5, 0.5, -0.5]).isEmpty)
        #expect(signals([3.2]).map(\.rule) == [1])
        #expect(signals([3.2])[0].weeks == [w[10]])
        #expect(signals([-2.5, 0.5, -2.5]).map(\.rule) == [2])
        #expect(signals([-2.5, 0.5, -2.5])[0].weeks == [w[10], w[12]])
        #expect(signals([1.5, 1.5, -0.2, 1.5, 1.5]).map(\.rule) == [3])
        let rule4 = signals(Array(repeating: 0.3, count: 8))
        #expect(rule4.map(\.rule) == [4])
        // The last baseline point (+0.5σ) is above the centre too: the run is nine weeks long.
        #expect(rule4[0].weeks == Array(w[9..<18]))
    }

    @Test func xmrLimitsComeFromTheWeeksBeforeTheCurrentOne() throws {
        let values: [Double] = [100, 110, 100, 110, 100, 110, 100, 110, 100, 110, 150]
        let chart = try ControlChart.xmr(Array(zip(TrendStatisticsTests.weeks, values)).map { ($0.0, $0.1) })
        // Baseline: the first ten, x̄ = 105, MR̄ = 10 → limits 105 ± 26.6; 150 is beyond.
        #expect(chart.last!.centre == 105)
        #expect(abs(chart.last!.upper - 131.6) < 1e-9)
        #expect(ControlChart.westernElectric(chart).map(\.rule) == [1])
    }

    @Test func pChartLimitsVaryWithTheDenominator() throws {
        let points = (0..<10).map { (week: TrendStatisticsTests.weeks[$0], x: 80, n: 100) } + [(week: TrendStatisticsTests.weeks[10], x: 30, n: 50)]
        let chart = try ControlChart.p(points)
        // p̄ = 800/1000 = 0.8 over the baseline; σ at n = 50 is √(0.8 · 0.2 / 50) = 0.0565685…
        #expect(abs(chart.last!.sigma - (0.16 / 50).squareRoot()) < 1e-15)
        #expect(ControlChart.westernElectric(chart).map(\.rule) == [1])  // 0.6 is 3.54σ below
        #expect(throws: ControlChart.Refusal.tooShort(have: 3, need: 8)) { try ControlChart.p(Array(points.prefix(4))) }
    }

    @Test(arguments: [
        (0.75, 40, 0.5978804744377711, 0.8667763616320858, 0.5094100705299873, 0.9254507695437905),
        (0.75, 400, 0.7057020179926803, 0.7906065698694812, 0.6801806343624404, 0.8138294419252461),
        (0.2, 10, 0.0, 0.4294938829210066, 0.0, 0.5975360398065475),
        (0.089, 20, 0.0, 0.20658779122166998, 0.0, 0.31010569364393337),
    ])
    func funnelLimits(p: Double, n: Int, wl: Double, wu: Double, fl: Double, fu: Double) {
        let f = FunnelLimits(centre: p, n: n)
        #expect(abs(f.warning.lower - wl) < 1e-9 && abs(f.warning.upper - wu) < 1e-9)
        #expect(abs(f.flag.lower - fl) < 1e-9 && abs(f.flag.upper - fu) < 1e-9)
    }

    /// Exact tails: who is flagged, and the chance a stable colleague is.
    @Test func funnelFlagsByExactBinomialTails() {
        // 1 of 1 transfer against 8.9%: one contact says nothing (the normal limits flagged it).
        #expect(FunnelLimits(centre: 0.089, n: 1).classify(count: 1) == .inside)
        // 0 of 12 resolved against 75%: P(X ≤ 0) = 0.25^12 = 5.96e-8 → flagged.
        #expect(FunnelLimits(centre: 0.75, n: 12).classify(count: 0) == .flagged)
        // 6 of 20 transfers against 8.9%: P(X ≥ 6) = 0.00643 → a warning, not a flag; 7: 0.00121 → warning; 8 → flag.
        #expect(FunnelLimits(centre: 0.089, n: 20).classify(count: 6) == .warning)
        #expect(FunnelLimits(centre: 0.089, n: 20).classify(count: 7) == .warning)
        #expect(FunnelLimits(centre: 0.089, n: 20).classify(count: 8) == .flagged)
        #expect(FunnelLimits(centre: 0.089, n: 20).classify(count: 4) == .inside)  // P(X ≥ 4)… well inside
        for (p, n, expected) in [(0.75, 60, 0.001548648931535346), (0.089, 20, 0.00018562651477365932), (0.089, 5, 0.0002913749672039998), (0.5, 5, 0)] {
            #expect(abs(FunnelLimits(centre: p, n: n).falseFlagProbability - expected) < 1e-12, "p \(p), n \(n)")
            #expect(FunnelLimits(centre: p, n: n).falseFlagProbability <= 0.002)
        }
        #expect(FunnelLimits(centre: 0.089, n: 4).falseFlagProbability == 0)  // below the minimum volume
    }

    /// Stable colleagues at small volumes, through the engine's own funnel (each against the rest of their
    /// team): 6,000 seeded teams of eight at a true transfer rate of 8.9%, volumes 1 to 30. The flag may
    /// fire on at most 0.2% of them by chance — the bound the report prints. Observed with this seed: 70 of
    /// 48,000 (0.146%); the normal limits around the whole team's rate flagged 1-of-1 transfers and ran at
    /// several times nominal. (Summing each colleague's exact flag probability at the estimated rest-of-
    /// team rate gives 17.4: the noise of that estimate adds flags, so the report states the bound.)
    @Test func stableColleaguesAtSmallVolumesAreFlaggedNoMoreThanStated() {
        var rng = SplitMix64(seed: 16)
        var flags = 0
        var comparisons = 0
        var expected = 0.0
        var smallFlags = 0
        for _ in 0..<6_000 {
            let members = (0..<8).map { i -> (agent: String?, x: Int, n: Int) in
                let n = 1 + Int(rng.next() % 30)
                var x = 0
                for _ in 0..<n where rng.unit() < 0.089 { x += 1 }
                return ("A\(i)", x, n)
            }
            for entry in TrendsEngine.funnel(kpi: .transferRate, team: "T", members) {
                comparisons += 1
                expected += entry.limits.falseFlagProbability
                if entry.position == .flagged {
                    flags += 1
                    if entry.denominator < 5 { smallFlags += 1 }
                }
            }
        }
        let rate = Double(flags) / Double(comparisons)
        #expect(smallFlags == 0)
        #expect(rate <= 0.002, "false-flag rate \(rate) (\(flags) of \(comparisons)); the sum of probabilities says \(expected)")
        #expect(expected < Double(flags))  // the per-colleague probabilities alone would understate it
    }

    /// Theil–Sen per week when weeks are missing (weeks 3 and 8 of 12 have no value): scipy 1.17.1
    /// `theilslopes(y, x)` with x the week numbers gives 6.142857142857143; by position (the old way)
    /// `theilslopes(y)` gives 7.555555555555555 — per point, not per week.
    @Test func theilSenSlopeIsPerWeekWhenWeeksAreMissing() throws {
        let y: [Double] = [100, 105, 112, 125, 131, 138, 141, 155, 160, 168]
        let weeks = [0, 1, 2, 4, 5, 6, 7, 9, 10, 11]
        #expect(abs(try TrendTest(y, positions: weeks).slope - 6.142857142857143) < 1e-12)
        #expect(abs(try TrendTest(y).slope - 7.555555555555555) < 1e-12)
    }

    /// FCR near 100% on small weeks: n·p̄(1 − p̄) = 20·0.99·0.01 = 0.2, far below 5, so the normal limits
    /// (lower 0.99 − 3·√(0.99·0.01/20) = 0.923) would signal on 18 of 20. Exact binomial limits: P(X ≤ 18)
    /// under Bin(20, 0.99) = 0.0169 (scipy.stats.binom.cdf), well above 0.135% — no signal.
    @Test func pChartsNearCertaintyUseExactLimits() throws {
        let weeks = (36...48).map { ISOWeek("2026-W\($0)")! }
        var points = weeks.dropLast().enumerated().map { (i, w) in (week: w, x: i % 4 == 0 ? 19 : 20, n: 20) }
        points.append((weeks.last!, 18, 20))
        let chart = try ControlChart.p(points)
        #expect(chart.last?.exactLimits != nil)
        #expect(chart.last!.lower < 0.9)
        #expect(ControlChart.westernElectric(chart).filter { $0.rule == 1 }.isEmpty)
        // With a wide denominator the normal limits stand: 1800 of 2000 against p̄ ≈ 0.99 is a signal.
        var wide = weeks.dropLast().map { (week: $0, x: 1980, n: 2000) }
        wide.append((weeks.last!, 1800, 2000))
        let wideChart = try ControlChart.p(wide)
        #expect(wideChart.last?.exactLimits == nil)
        #expect(ControlChart.westernElectric(wideChart).contains { $0.rule == 1 })
    }

    /// A series drifting upwards breaks rules 2, 3 and 4 in many overlapping windows, on both sides of a
    /// centre that the drift itself moves: each rule and side is one signal covering its weeks, not a line
    /// per window (rule 1's isolated points stay apart).
    @Test func overlappingRunsOfOneRuleAreOneSignal() throws {
        let weeks = (30...48).map { ISOWeek("2026-W\($0)")! }
        let values = [0.0, 1, -1, 0.5, -0.5, 1, -1, 0.5, -0.5, 2.5, 2.6, 2.8, 3.0, 3.1, 3.3, 3.4, 3.6, 3.8, 4.0]
        let chart = try ControlChart.xmr(Array(zip(weeks, values)).map { (week: $0.0, value: $0.1) })
        let signals = ControlChart.westernElectric(chart)
        #expect(!signals.isEmpty)
        for rule in 2...4 {
            for side in ["above", "below"] {
                let runs = signals.filter { $0.rule == rule && $0.description.contains(side) }
                #expect(runs.count <= 1, "rule \(rule) \(side): \(runs.map(\.weeks))")
            }
        }
        #expect(signals.filter { $0.rule == 2 }.map(\.weeks.count).max()! >= 4)
    }

    /// Stable agents (every one at the team's true rate 0.75), 200 agents × 50 seeded weeks: the 99.8%
    /// funnel may flag 0.2% by chance (20 of 10,000; binomial sd 4.5), the 95% line 5% (500, sd 22).
    /// Exact binomial tails are conservative (discrete): at n = 60 the flag fires on 0.15% and the bands
    /// allow 4.5 sd above the stated rates. Fixed seed: the count is the same on every run.
    @Test func stableAgentsRaiseNoMoreFlagsThanTheStatedRates() {
        var rng = SplitMix64(seed: 2026)
        var flags = 0
        var warnings = 0
        for _ in 0..<50 {
            for _ in 0..<200 {
                let n = 60
                var x = 0
                for _ in 0..<n where rng.unit() < 0.75 { x += 1 }
                switch FunnelLimits(centre: 0.75, n: n).classify(count: x) {
                case .flagged: flags += 1
                case .warning: warnings += 1
                case .inside: break
                }
            }
        }
        #expect(flags <= 20 + 20, "\(flags) flags")
        #expect(warnings + flags <= 500 + 100, "\(warnings + flags) beyond the warning line")
        // Stable weekly series: the Mann–Kendall test at α = 0.05 calls a trend in about 5% of them.
        var trends = 0
        for _ in 0..<400 {
            let series = (0..<13).map { _ in 0.8 + 0.05 * rng.normal() }
            if let t = try? TrendTest(series), t.significant() { trends += 1 }
        }
        #expect(trends <= 20 + 18, "\(trends) of 400 stable series called trending")
    }

    /// How often a stable chart signals in its current week, with limits estimated from its 12
    /// baseline weeks as the report draws them (not the 1/91.75 of known limits): 12,000 seeded XmR
    /// charts of normal weekly means and 12,000 p-charts of 150 contacts a week at 70%. The report's
    /// trend note states `ControlChart.stableSignalRate(rate:)`; this is where that figure comes from.
    @Test func stableChartsSignalAtTheStatedRate() throws {
        var rng = SplitMix64(seed: 16)
        let weeks = (36...48).map { ISOWeek("2026-W\($0)")! }
        var xmrSignals = 0, pSignals = 0
        let charts = 12_000
        for _ in 0..<charts {
            let xmr = try ControlChart.xmr(weeks.map { ($0, 100 + 10 * rng.normal()) })
            if ControlChart.westernElectric(xmr).contains(where: { $0.weeks.contains(weeks.last!) }) { xmrSignals += 1 }
            let p = try ControlChart.p(weeks.map { w in (w, (0..<150).reduce(0) { n, _ in n + (rng.unit() < 0.7 ? 1 : 0) }, 150) })
            if ControlChart.westernElectric(p).contains(where: { $0.weeks.contains(weeks.last!) }) { pSignals += 1 }
        }
        let xmrRate = Double(xmrSignals) / Double(charts), pRate = Double(pSignals) / Double(charts)
        print("stable charts signalling in the current week: XmR \(xmrRate), p \(pRate)")
        #expect(xmrRate <= ControlChart.stableSignalRate(rate: false) && pRate <= ControlChart.stableSignalRate(rate: true))
        #expect(xmrRate > ControlChart.stableSignalRate(rate: false) - 0.01 && pRate > ControlChart.stableSignalRate(rate: true) - 0.005,
                "a stated rate is far above what charts do")
    }
}

/// Against scipy 1.17.1 `stats.spearmanr` (2026-11-23).
@Suite("Spearman correlation")
struct SpearmanTests {
    @Test func againstScipy() throws {
        let a = try #require(SpearmanCorrelation([72.5, 80, 65, 90, 85, 70, 60], [0.8, 0.85, 0.7, 0.95, 0.9, 0.6, 0.65]))
        #expect(abs(a.rho - 0.8928571428571429) < 1e-12)
        #expect(abs(a.p! - 0.006807187408935393) < 1e-9)
        // Ties on both sides (a criterion's ratings against a binary outcome).
        let b = try #require(SpearmanCorrelation([1, 2, 2, 3, 4, 4, 5, 6], [0, 0, 1, 0, 1, 1, 1, 1]))
        #expect(abs(b.rho - 0.6843191382146413) < 1e-12)
        #expect(abs(b.p! - 0.06120248100900809) < 1e-9)
        #expect(SpearmanCorrelation([1, 2], [3, 4]) == nil)
        #expect(SpearmanCorrelation([1, 2, 3], [5, 5, 5]) == nil)
    }
}
