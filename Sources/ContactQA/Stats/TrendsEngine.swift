import Foundation

/// A KPI followed over weeks (DESIGN.md §5).
enum TrackedKPI: String, CaseIterable, Sendable {
    case serviceLevel = "service_level"
    case abandonmentRate = "abandonment_rate"
    case fcr
    case csat
    case transferRate = "transfer_rate"
    case ahtSeconds = "aht_s"
    case asaSeconds = "asa_s"

    var isRate: Bool { ![.ahtSeconds, .asaSeconds].contains(self) }

    /// The name a manager reads in the reports.
    package var label: String {
        switch self {
        case .serviceLevel: "Service level"
        case .abandonmentRate: "Abandonment rate"
        case .fcr: "First contact resolution"
        case .csat: "Customer satisfaction (CSAT)"
        case .transferRate: "Transfer rate"
        case .ahtSeconds: "Average handle time"
        case .asaSeconds: "Average speed of answer"
        }
    }
    /// Whether a higher value is better (for targets and funnel wording).
    var higherIsBetter: Bool { [.serviceLevel, .fcr, .csat].contains(self) }

    func rate(_ k: KPISet) -> RateEstimate? {
        switch self {
        case .serviceLevel: k.serviceLevel
        case .abandonmentRate: k.abandonmentRate
        case .fcr: k.fcr
        case .csat: k.csat
        case .transferRate: k.transferRate
        case .ahtSeconds, .asaSeconds: nil
        }
    }

    func mean(_ k: KPISet) -> MeanEstimate? {
        switch self {
        case .ahtSeconds: k.aht
        case .asaSeconds: k.asa
        default: nil
        }
    }

    /// The week's value, its numerator and denominator (rates) or n (means); nil without data.
    func point(_ k: KPISet) -> (value: Double, x: Int, n: Int)? {
        if let r = rate(k), let v = r.value { return (v, r.numerator, r.denominator) }
        if let m = mean(k), let v = m.value { return (v, 0, m.n) }
        return nil
    }
}

/// One KPI of one group over the weeks, with its trend test and control chart, or why not.
struct KPISeries: Sendable {
    var kpi: TrackedKPI
    package var dimension: GroupDimension?
    var group: String?
    var points: [(week: ISOWeek, value: Double, n: Int)]
    package var trend: TrendTest?
    var trendNote: String?
    var chart: [ChartPoint]
    var chartNote: String?
    var signals: [ChartSignal]
    /// Weeks left out of the chart and the trend because their FCR is still provisional.
    var provisionalWeeks: [ISOWeek] = []
}

/// An agent's rate against the funnel of their team.
package struct FunnelEntry: Sendable {
    var kpi: TrackedKPI
    package var team: String?
    package var agent: String?
    var numerator: Int
    var denominator: Int
    /// Limits around the rest of the team's rate (the colleague left out of their own comparison).
    var limits: FunnelLimits
    var position: FunnelLimits.Position
    /// The whole team's rate, the colleague included: the centre line of the team's chart.
    var teamRate: Double
}

/// A contact reason whose weekly share broke its upper control limit: a customer issue to look at.
package struct ReasonSurge: Sendable {
    package var reason: String
    package var week: ISOWeek
    var volume: Int
    var share: Double
    var upperLimit: Double
    /// The first week of the surge (consecutive weeks above the limit, ending at `week`).
    var firstWeek: ISOWeek
}

/// A data-consistency check: how many records fail it, with example ids.
struct ConsistencyCheck: Sendable {
    package var name: String
    package var count: Int
    var examples: [String]
}

/// Whether quality scores agree with other evidence: a rank correlation and what it was computed over.
struct EvidenceCorrelation: Sendable {
    /// `agents: qa_score ~ csat`, `criterion accuracy ~ fcr`, …
    package var name: String
    var correlation: SpearmanCorrelation?
    package var note: String?
}

/// A KPI's baseline and a suggested target.
struct Baseline: Sendable {
    var kpi: TrackedKPI
    /// Median of the trailing weeks' values.
    var baseline: Double?
    /// The top-quartile agent level over the same weeks (75th percentile, or 25th where lower is better).
    var topQuartileAgents: Double?
    /// The baseline improved by the configured share.
    package var improved: Double?
}

/// Everything `contactqa trends` reports, and the report writers consume.
package struct TrendsReport: Sendable {
    package var week: ISOWeek
    package var weeks: [ISOWeek]
    var series: [KPISeries]
    package var funnels: [FunnelEntry]
    package var surges: [ReasonSurge]
    /// Offered, service level and AHT by weekday (1–7) and hour of the current week.
    var timePattern: [KPIGroup]
    var consistency: [ConsistencyCheck]
    var baselines: [Baseline]
    /// QA scores against CSAT and FCR, for agents and per criterion (DESIGN.md §5).
    var validation: [EvidenceCorrelation]
    package var parameters: KPIParameters
}

/// Builds the trends of a week against its history from the store's aggregates.
package struct TrendsEngine {
    package let store: any SQLStore
    package var history = 13
    var minimumWeeks = 8
    /// Targets suggested as the baseline improved by this share (0.05 = 5%).
    package var improvement = 0.05

    package init(store: any SQLStore) { self.store = store }

    /// The KPIs the trends read, fetched in two scans of the weeks shown: one grouped by week, team,
    /// queue, channel and reason, one by week, team and agent.
    package struct Rollups {
        package let contacts: KPIRollup
        package let agents: KPIRollup
    }

    /// The weeks shown for `week`: it and the `history - 1` before it.
    func span(_ week: ISOWeek, clock: ZoneClock) -> Period {
        Period(from: LocalDate(dayNumber: week.monday.dayNumber - 7 * (history - 1)), to: week.sunday, clock: clock)
    }

    package func rollups(week: ISOWeek, clock: ZoneClock, parameters: KPIParameters, asOf: LocalDate) throws -> Rollups {
        let span = span(week, clock: clock)
        let grains: [[GroupDimension]] = [[.week, .team, .queue, .channel, .reason], [.week, .team, .agent]]
        try store.prepareRollups(grains.map { AggregateQuery(fromUTC: span.fromUTC, toUTC: span.toUTC, clock: span.clock, groupBy: $0, parameters: parameters) })
        return Rollups(contacts: try KPIRollup(store: store, span: span, dimensions: [.team, .queue, .channel, .reason], parameters: parameters, asOf: asOf),
                       agents: try KPIRollup(store: store, span: span, dimensions: [.team, .agent], parameters: parameters, asOf: asOf))
    }

    /// - Parameter rollups: the span's KPIs when the caller fetched them already (`rollups(week:…)`).
    package func report(week: ISOWeek, clock: ZoneClock, parameters: KPIParameters, asOf: LocalDate, rollups: Rollups? = nil) throws -> TrendsReport {
        guard history >= 2 else { throw ParameterError("--weeks must be at least 2") }
        let span = span(week, clock: clock)
        let first = span.from
        let weeks = (0..<history).map { ISOWeek(containing: first.adding(days: 7 * $0)) }
        let r = try rollups ?? self.rollups(week: week, clock: clock, parameters: parameters, asOf: asOf)
        var series: [KPISeries] = []
        // The series, funnels, surges and baselines read means and rates: no grouping here needs the
        // median or p90 handle time (the total by week has them).
        let total = try r.contacts.report(period: span, groupBy: [.week])
        series += makeSeries(total, dimension: nil, weeks: weeks)
        for dimension in [GroupDimension.team, .queue, .channel] {
            let grouped = try r.contacts.report(period: span, groupBy: [dimension, .week], handleTimeQuantiles: false)
            series += makeSeries(grouped, dimension: dimension, weeks: weeks)
        }
        let current = Period(week: week, clock: clock)
        let agents = try r.agents.report(period: current, groupBy: [.team, .agent], handleTimeQuantiles: false)
        let reasons = try r.contacts.report(period: span, groupBy: [.reason, .week], handleTimeQuantiles: false)
        let pattern = try KPIEngine(store: store).report(period: current, groupBy: [.dow, .hour], parameters: parameters, asOf: asOf)
        let baselinePeriod = Period(from: first, to: week.monday.adding(days: -1), clock: clock)
        let baselineAgents = try r.agents.report(period: baselinePeriod, groupBy: [.agent], handleTimeQuantiles: false)
        return TrendsReport(week: week, weeks: weeks, series: series, funnels: funnels(agents),
                            surges: surges(reasons, total: total, weeks: weeks), timePattern: pattern.groups,
                            consistency: try store.consistencyChecks(span, windowDays: parameters.fcrWindowDays),
                            baselines: baselines(total, agents: baselineAgents, weeks: weeks),
                            validation: try validation(span, agentsOver: try r.agents.report(period: span, groupBy: [.agent], handleTimeQuantiles: false), parameters: parameters),
                            parameters: parameters)
    }

    func makeSeries(_ report: KPIReport, dimension: GroupDimension?, weeks: [ISOWeek]) -> [KPISeries] {
        var byGroup: [String?: [ISOWeek: KPISet]] = [:]
        // Weeks whose repeat window is still open: their FCR is not comparable with complete weeks.
        var provisional = Set<ISOWeek>()
        for group in report.groups {
            let weekValue = group.key.last!
            guard case .integer(let thursday)? = weekValue else { continue }
            let w = ISOWeek(containing: LocalDate(dayNumber: Int(thursday)))
            let name = dimension == nil ? nil : report.display(group.key[0], dimension!)
            byGroup[name, default: [:]][w] = group.kpis
            if report.isProvisional(group) { provisional.insert(w) }
        }
        var result: [KPISeries] = []
        for name in byGroup.keys.sorted(by: { ($0 ?? "\u{10FFFF}") < ($1 ?? "\u{10FFFF}") }) {
            let sets = byGroup[name]!
            for kpi in TrackedKPI.allCases {
                var points: [(week: ISOWeek, value: Double, n: Int)] = []
                var raw: [(week: ISOWeek, x: Int, n: Int)] = []
                // A provisional FCR is left out of the chart and the trend, which would read its missing
                // repeats as a rise.
                let leftOut = kpi == .fcr ? weeks.filter(provisional.contains) : []
                for w in weeks where !leftOut.contains(w) {
                    guard let k = sets[w], let p = kpi.point(k) else { continue }
                    points.append((w, p.value, p.n))
                    raw.append((w, p.x, p.n))
                }
                var s = KPISeries(kpi: kpi, dimension: dimension, group: name, points: points, trend: nil, trendNote: nil,
                                  chart: [], chartNote: nil, signals: [])
                // Theil–Sen per week: a missing week is a gap of two in the slopes' denominators.
                let positions = points.map { p in weeks.firstIndex(of: p.week)! }
                do { s.trend = try TrendTest(points.map(\.value), positions: positions, minimumLength: minimumWeeks) } catch { s.trendNote = error.description }
                do {
                    s.chart = kpi.isRate ? try ControlChart.p(raw, minimumBaseline: minimumWeeks)
                        : try ControlChart.xmr(points.map { ($0.week, $0.value) }, minimumBaseline: minimumWeeks)
                    s.signals = ControlChart.westernElectric(s.chart)
                } catch {
                    s.chartNote = error.description
                }
                s.provisionalWeeks = leftOut
                if points.isEmpty { continue }
                result.append(s)
            }
        }
        return result
    }

    func funnels(_ report: KPIReport) -> [FunnelEntry] {
        var entries: [FunnelEntry] = []
        let teams = Dictionary(grouping: report.groups) { report.display($0.key[0], .team) }
        for (team, members) in teams.sorted(by: { ($0.key ?? "\u{10FFFF}") < ($1.key ?? "\u{10FFFF}") }) {
            for kpi in [TrackedKPI.fcr, .csat, .transferRate] {
                let rates = members.compactMap { m in kpi.rate(m.kpis).map { (m, $0) } }.filter { $0.1.denominator > 0 }
                entries += TrendsEngine.funnel(kpi: kpi, team: team,
                                               rates.map { (report.display($0.0.key[1], .agent), $0.1.numerator, $0.1.denominator) })

            }
        }
        return entries
    }

    /// Agents' levels shrunk towards their mean by how much of their spread is noise (Efron & Morris,
    /// "Data analysis using Stein's estimator and its generalizations", JASA 70, 1975): the spread of
    /// the true levels τ² = max(0, Var(θ̂) − mean(v)), and θ̃ = μ + τ²/(τ² + v)·(θ̂ − μ). A quantile of
    /// raw rates is inflated by noise — with 10 contacts an agent at the team's rate reads 90% one week
    /// in ten — so the top-quartile target is taken over the shrunk levels.
    static func shrunk(_ estimates: [(value: Double, variance: Double)]) -> [Double] {
        guard estimates.count >= 2 else { return estimates.map(\.value) }
        let k = Double(estimates.count)
        let mean = estimates.reduce(0) { $0 + $1.value } / k
        let spread = estimates.reduce(0) { $0 + ($1.value - mean) * ($1.value - mean) } / (k - 1)
        let noise = estimates.reduce(0) { $0 + $1.variance } / k
        let tau2 = max(0, spread - noise)
        return estimates.map { e in e.variance > 0 ? mean + tau2 / (tau2 + e.variance) * (e.value - mean) : e.value }
    }

    /// One team's colleagues, each against the rest of the team: left in, a colleague would pull the
    /// centre towards themselves (most in a small team) and hide their own difference.
    static func funnel(kpi: TrackedKPI, team: String?, _ members: [(agent: String?, x: Int, n: Int)]) -> [FunnelEntry] {
        let x = members.reduce(0) { $0 + $1.x }
        let n = members.reduce(0) { $0 + $1.n }
        guard n > 0 else { return [] }
        return members.map { member in
            let restN = n - member.n
            let restX = x - member.x
            // A rest of the team at exactly 0% or 100% is an estimate too: it is moved half a contact
            // inward, (x + ½)/(n + 1), so that one miss against a perfect record is not certain evidence.
            let rest = restN == 0 ? Double(x) / Double(n)
                : restX == 0 || restX == restN ? (Double(restX) + 0.5) / (Double(restN) + 1) : Double(restX) / Double(restN)
            let limits = FunnelLimits(centre: rest, n: member.n)
            return FunnelEntry(kpi: kpi, team: team, agent: member.agent, numerator: member.x, denominator: member.n, limits: limits,
                               position: restN > 0 ? limits.classify(count: member.x) : .inside, teamRate: Double(x) / Double(n))
        }
    }

    func surges(_ reasons: KPIReport, total: KPIReport, weeks: [ISOWeek]) -> [ReasonSurge] {
        var offered: [ISOWeek: Int] = [:]
        for group in total.groups { if case .integer(let t)? = group.key[0] { offered[ISOWeek(containing: LocalDate(dayNumber: Int(t)))] = group.kpis.offered } }
        var byReason: [String: [ISOWeek: Int]] = [:]
        for group in reasons.groups {
            guard let reason = reasons.display(group.key[0], .reason), case .integer(let t)? = group.key[1] else { continue }
            byReason[reason, default: [:]][ISOWeek(containing: LocalDate(dayNumber: Int(t)))] = group.kpis.offered
        }
        var result: [ReasonSurge] = []
        for reason in byReason.keys.sorted() {
            let points = weeks.compactMap { w -> (week: ISOWeek, x: Int, n: Int)? in
                guard let n = offered[w], n > 0 else { return nil }
                return (w, byReason[reason]![w] ?? 0, n)
            }
            guard let chart = try? ControlChart.p(points, minimumBaseline: minimumWeeks), let last = chart.last, last.week == weeks.last,
                  last.value > last.upper else { continue }
            var firstWeek = last.week
            for point in chart.dropLast().reversed() {
                guard point.value > point.upper else { break }
                firstWeek = point.week
            }
            result.append(ReasonSurge(reason: reason, week: last.week, volume: byReason[reason]![last.week] ?? 0, share: last.value,
                                      upperLimit: last.upper, firstWeek: firstWeek))
        }
        return result
    }

    /// Spearman correlations of agents' mean QA score with their CSAT and FCR over the history, and of
    /// each criterion's rating (as a share of its scale) with the evaluated contact's satisfaction and
    /// first-contact resolution (which criteria predict outcomes).
    func validation(_ span: Period, agentsOver agents: KPIReport, parameters: KPIParameters) throws -> [EvidenceCorrelation] {
        let quality = try QualityEngine(store: store).report(period: span, groupBy: .agent)
        var scores: [String: [Double]] = [:]
        for e in quality.evaluations { if let agent = e.agent, let score = e.score { scores[agent, default: []].append(score) } }
        var result: [EvidenceCorrelation] = []
        for kpi in [TrackedKPI.csat, .fcr] {
            var x: [Double] = []
            var y: [Double] = []
            for group in agents.groups {
                guard let agent = agents.display(group.key[0], .agent), let s = scores[agent], let r = kpi.rate(group.kpis), let v = r.value else { continue }
                x.append(s.reduce(0, +) / Double(s.count))
                y.append(v)
            }
            let c = SpearmanCorrelation(x, y)
            result.append(EvidenceCorrelation(name: "agents: qa_score ~ \(kpi.rawValue)", correlation: c,
                                              note: c == nil ? "not enough data: \(x.count) agents with both a QA score and \(kpi.rawValue)" : nil))
        }
        let rows = try store.criterionOutcomes(in: span, parameters: parameters)
        let cards = try store.scorecards()
        var byCriterion: [String: (csat: [(Double, Double)], fcr: [(Double, Double)])] = [:]
        for r in rows {
            guard let card = cards[r.scorecardKey], let criterion = card.criterion(r.criterion) else { continue }
            let share = (r.rating - criterion.min) / (criterion.max - criterion.min)
            if let satisfied = r.satisfied { byCriterion[r.criterion, default: ([], [])].csat.append((share, satisfied ? 1 : 0)) }
            if let resolved = r.resolved { byCriterion[r.criterion, default: ([], [])].fcr.append((share, resolved ? 1 : 0)) }
        }
        for criterion in byCriterion.keys.sorted() {
            for (outcome, pairs) in [("csat", byCriterion[criterion]!.csat), ("fcr", byCriterion[criterion]!.fcr)] {
                let c = SpearmanCorrelation(pairs.map(\.0), pairs.map(\.1))
                result.append(EvidenceCorrelation(name: "criterion \(criterion) ~ \(outcome)", correlation: c,
                                                  note: c == nil ? "not enough data: \(pairs.count) evaluated contacts with \(outcome), or no variation" : nil))
            }
        }
        return result
    }

    func baselines(_ total: KPIReport, agents: KPIReport, weeks: [ISOWeek]) -> [Baseline] {
        TrackedKPI.allCases.map { kpi in
            var values: [Double] = []
            for group in total.groups {
                guard case .integer(let t)? = group.key[0], ISOWeek(containing: LocalDate(dayNumber: Int(t))) != weeks.last,
                      let p = kpi.point(group.kpis) else { continue }
                values.append(p.value)
            }
            let baseline = quantileType7(values.sorted(), 0.5)
            // Each agent's level with its sampling variance: a rate's p(1 − p)/n at the pooled rate, a mean's s²/n.
            let levels = agents.groups.compactMap { g -> (value: Double, x: Int, n: Int, variance: Double?)? in
                guard g.key[0] != nil, let p = kpi.point(g.kpis), p.n >= 10 else { return nil }
                let variance = kpi.isRate ? nil : kpi.mean(g.kpis)?.moments.variance.map { $0 / Double(p.n) }
                if !kpi.isRate, variance == nil { return nil }
                return (p.value, p.x, p.n, variance)
            }
            let trials = levels.reduce(0) { $0 + $1.n }
            let pooled = trials > 0 ? Double(levels.reduce(0) { $0 + $1.x }) / Double(trials) : 0
            let withVariances = levels.map { l in (value: l.value, variance: l.variance ?? pooled * (1 - pooled) / Double(l.n)) }
            let agentValues = TrendsEngine.shrunk(withVariances).sorted()
            let top = quantileType7(agentValues, kpi.higherIsBetter ? 0.75 : 0.25)
            // A rate improves by closing a share of its gap to 100% (97% → 97.15% at 5%), never by a
            // percentage of itself (97% → 101.85%); a lower-is-better rate or a time falls by that share.
            let improved = baseline.map { b -> Double in
                if kpi.higherIsBetter { return kpi.isRate ? b + improvement * (1 - b) : b * (1 + improvement) }
                return b * (1 - improvement)
            }
            return Baseline(kpi: kpi, baseline: baseline, topQuartileAgents: top, improved: improved)
        }
    }
}
