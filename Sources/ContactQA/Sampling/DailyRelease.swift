import Foundation

/// A plan with `release: daily`: QA teams that evaluate through the week get each day's units the
/// morning after, and the week's estimates stay design-unbiased however the week's volume turns out.
///
/// Each day is its own recorded Poisson sample (period = that day) on the permanent random numbers: a
/// unit of stratum h is selected when u < π_h. The week's π_h are fixed on its first draw and recorded
/// in every day's plan (`stratum_rates`), so `sample verify` re-derives each day like any sample:
/// - N_h, the expected weekly frame of stratum h, is the mean of the frame counts of the four weeks
///   before (weeks with no frame left out); without any, seven times the first day's frame.
/// - n, the weekly target, is the plan's `size` with N = Σ N_h (fixed n, or Cochran's n for a
///   proportion or a mean); `size: {rate: r}` sets π_h = r directly.
/// - n_h follows the plan's allocation over the N_h (proportional: n·N_h/N; equal: n/H; Neyman:
///   n·N_h·S_h/Σ N_j·S_j), and π_h = min(1, n_h / N_h), rounded to six decimals. A stratum the history
///   has not seen takes n / N.
///
/// Under Poisson sampling the realised size is random (expected n); the estimates weight each
/// evaluated unit by 1/π (docs/quality.md).
struct DailyRelease {
    package let store: any SQLStore
    package let plan: SamplingPlan

    package init(store: any SQLStore, plan: SamplingPlan) {
        self.store = store
        self.plan = plan
    }

    /// The plan of one day: Poisson on the week's inclusion probabilities.
    func dayPlan(week: ISOWeek, clock: ZoneClock, firstDay: LocalDate) throws -> SamplingPlan {
        var day = plan
        day.method = .poisson
        day.perAgentMin = nil
        day.perAgentMax = nil
        // The week's probabilities, once recorded, hold for all its days.
        for offset in 0..<7 {
            let date = week.monday.adding(days: offset)
            if let recorded = try store.recordedSample(planName: plan.name, from: date, to: date, selectedOnly: true) {
                let root = try ConfigNode.parse(recorded.manifest, file: "recorded sample of \(date)")
                if let node = try root.dictionary(allowed: nil)["plan"] {
                    let recordedPlan = try SamplingPlan.parse(node)
                    day.stratumRates = recordedPlan.stratumRates
                    day.size = recordedPlan.size
                    return day
                }
            }
        }
        let (rates, fallback) = try weekRates(week: week, clock: clock, firstDay: firstDay)
        day.stratumRates = rates
        day.size = .rate(fallback)
        return day
    }

    /// π per stratum for a week from the frames of the weeks before, and the rate of unseen strata.
    func weekRates(week: ISOWeek, clock: ZoneClock, firstDay: LocalDate) throws -> ([String: Double], Double) {
        var totals: [String: Int] = [:]
        var weeks = 0
        for back in 1...4 {
            let earlier = ISOWeek(containing: week.monday.adding(days: -7 * back))
            let frame = SamplingFrame(candidates: try store.frameCandidates(Period(week: earlier, clock: clock), risk: plan.riskSignals), plan: plan)
            guard !frame.units.isEmpty else { continue }
            weeks += 1
            for unit in frame.units { totals[Sampler.stratumLabel(unit, plan), default: 0] += 1 }
        }
        var expected: [String: Double] = totals.mapValues { Double($0) / Double(weeks) }
        if weeks == 0 {
            let frame = SamplingFrame(candidates: try store.frameCandidates(Period(from: firstDay, to: firstDay, clock: clock), risk: plan.riskSignals), plan: plan)
            for unit in frame.units { expected[Sampler.stratumLabel(unit, plan), default: 0] += 7 }
        }
        let population = expected.values.reduce(0, +)
        guard population > 0 else { return ([:], 1) }
        let n: Double
        switch plan.size {
        case .fixed(let fixed): n = Double(fixed)
        case .proportion(let e, let c, let p): n = Double(SampleSize.forProportion(marginOfError: e, confidence: c, p: p, population: Int(population.rounded())))
        case .mean(let e, let c, let sd): n = Double(SampleSize.forMean(marginOfError: e, confidence: c, sd: sd, population: Int(population.rounded())))
        case .rate(let r): return (expected.mapValues { _ in r }, r)
        }
        func rounded(_ x: Double) -> Double { min(1, (x * 1_000_000).rounded() / 1_000_000) }
        let weights: [String: Double] = try expected.reduce(into: [:]) { result, entry in
            switch plan.allocation {
            case .proportional: result[entry.key] = entry.value
            case .equal: result[entry.key] = 1
            case .neyman:
                guard let sd = plan.stratumSD[entry.key] else { throw SamplingError("neyman allocation needs the sd of stratum \"\(entry.key)\" in `stratum_sd:`") }
                result[entry.key] = entry.value * sd
            }
        }
        let weightSum = weights.values.reduce(0, +)
        let rates = expected.reduce(into: [String: Double]()) { result, entry in
            result[entry.key] = rounded(n * weights[entry.key]! / weightSum / entry.value)
        }
        return (rates, rounded(n / population))
    }

    /// Draws (or reuses) each day of the week that is due: days before `asOf` whose data every source
    /// has delivered (`deliveredThrough`), written to `out/<date>/`.
    /// - Returns: the manifests of the week's days drawn so far.
    @discardableResult
    func release(week: ISOWeek, clock: ZoneClock, asOf: LocalDate, deliveredThrough: LocalDate?, out: String) throws -> [SampleManifest] {
        var manifests: [SampleManifest] = []
        let service = SamplingService(store: store)
        var dayPlan: SamplingPlan?
        for offset in 0..<7 {
            let day = week.monday.adding(days: offset)
            guard day < asOf, let delivered = deliveredThrough, day <= delivered else { break }
            let period = Period(from: day, to: day, clock: clock)
            if dayPlan == nil { dayPlan = try self.dayPlan(week: week, clock: clock, firstDay: day) }
            // A day without a unit to sample (a closed day) has no sample.
            if SamplingFrame(candidates: try store.frameCandidates(period, risk: dayPlan!.riskSignals), plan: dayPlan!).units.isEmpty { continue }
            let (manifest, _) = try service.sample(plan: dayPlan!, period: period, out: "\(out)/\(day)")
            manifests.append(manifest)
        }
        return manifests
    }
}
