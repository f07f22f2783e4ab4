import Foundation
import GRDB
import Mustache

/// The weekly report for management (DESIGN.md §7): headline KPIs against last week and targets,
/// 13-week trend charts, tables by team, queue and channel, flagged colleagues, QA and data quality.
/// A draft until the as-of date passes the week's end + the FCR window, then final.
public struct WeeklyReport {
    public var week: ISOWeek
    public var asOf: LocalDate
    public var final: Bool
    public var kpis: KPIReport
    public var lastWeek: KPIReport
    public var byTeam: KPIReport
    public var byQueue: KPIReport
    public var byChannel: KPIReport
    public var trends: TrendsReport
    public var quality: QualityReport
    public var targets: [String: Double]
    public var ingest: [IngestLogEntry]
    /// The week's routine sample, when the pipeline has a plan: coverage and frame exclusions.
    public var sample: SampleCoverage?
    /// Criteria rated in the week's evaluations, weakest first (share of ratings at or above target).
    public var criteria: [CriterionShare]
    /// What the nightly job knows of the week's data: which sources are behind, gaps. Nil when the
    /// report was built outside a pipeline run (then the calendar alone decides `final`).
    public var readiness: WeekReadiness?
    /// Set while this week's repeat window is still open in the data: last week's KPIs of its contacts
    /// up to the same point of the week (`upTo`, UTC milliseconds), repeats counted up to it too — what
    /// this week's FCR is compared with.
    public var lastWeekSameFollowUp: (set: KPISet, upTo: Int64)?
    /// FCR clustered by customer and ASA by day (``ClusteredRatio``): the headline's intervals for them.
    public var clustered: [TrackedKPI: ClusteredRatio] = [:]
    /// How the site treats contacts without a monitoring-notice flag, said in the data-quality section.
    public var monitoringNotice: String?
    /// Agents who handled contacts of the week but are missing from a loaded roster.
    public var agentsNotInRoster: [String] = []
    /// Action plans whose review is due by the as-of date.
    public var plansDue: [ActionPlan] = []
    /// Design-weighted QA scores by team (sampled evaluations only).
    public var qualityByTeam: [(team: String?, estimate: QAEstimate)] = []
    /// Re-issues of a final report after late evaluations of its sample, oldest first.
    public var revisions: [Revision] = []

    /// One re-issue of a final report: what changed in its quality section, and where the version it
    /// replaced is kept (`previous/<date>/` inside the week's folder).
    public struct Revision: Sendable, Equatable {
        public var date: LocalDate
        public var evaluationsBefore: Int
        public var evaluationsAfter: Int
        public var qaBefore: Double?
        public var qaAfter: Double?
        /// The date of the version this one replaced.
        public var previous: LocalDate
        /// Set when the week's KPIs differ from the version replaced (contact rows loaded since).
        public var kpisChanged = false

        public init(date: LocalDate, evaluationsBefore: Int, evaluationsAfter: Int, qaBefore: Double?, qaAfter: Double?, previous: LocalDate) {
            self.date = date
            self.evaluationsBefore = evaluationsBefore
            self.evaluationsAfter = evaluationsAfter
            self.qaBefore = qaBefore
            self.qaAfter = qaAfter
            self.previous = previous
        }

        public var sentence: String {
            let added = evaluationsAfter - evaluationsBefore
            let what = added >= 0 ? "\(added) evaluation\(added == 1 ? "" : "s") added" : "\(-added) evaluation\(added == -1 ? "" : "s") withdrawn"
            let qa = qaBefore == qaAfter ? "" : "; QA score \(qaBefore.map { String(format: "%.1f", $0) } ?? "–") → \(qaAfter.map { String(format: "%.1f", $0) } ?? "–")"
            var text = "Revised \(date): \(what)\(qa). The version of \(previous) is kept in previous/\(previous)/."
            if kpisChanged { text += " The KPIs changed too: contact data of the week loaded since then; compare with that version." }
            return text
        }
    }

    /// The week's design-weighted QA score over its sampled evaluations.
    public var qaScore: QAEstimate? { QualityEngine.hajek(quality.evaluations.filter { $0.inSample && $0.score != nil }) { _ in true } }

    /// What the week's sample manifest records: frame size, exclusions, requested and drawn size.
    public struct SampleCoverage: Sendable, Equatable {
        public var frameUnits: Int
        public var requested: Int
        public var drawn: Int
        public var exclusions: [ExclusionReason: Int]

        /// The week's sample folder: its `manifest.json`, or for a daily release the sum of its days'
        /// (`<date>/manifest.json`); nil when there is none.
        public init?(folder: String) {
            if let data = FileManager.default.contents(atPath: folder + "/manifest.json") {
                self.init(manifest: data)
                return
            }
            let days = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
                .compactMap { FileManager.default.contents(atPath: "\(folder)/\($0)/manifest.json") }.compactMap(SampleCoverage.init(manifest:))
            guard var total = days.first else { return nil }
            for day in days.dropFirst() {
                total.frameUnits += day.frameUnits
                total.requested += day.requested
                total.drawn += day.drawn
                for (reason, count) in day.exclusions { total.exclusions[reason, default: 0] += count }
            }
            self = total
        }

        /// Reads the numbers of a `manifest.json` (the same file whether the sample was drawn or reused).
        public init?(manifest data: Data) {
            guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let frame = top["frame"] as? [String: Any], let size = top["size"] as? [String: Any],
                  let units = frame["units"] as? Int, let requested = size["requested"] as? Int, let drawn = size["drawn"] as? Int
            else { return nil }
            let excluded = frame["excluded"] as? [String: Any] ?? [:]
            frameUnits = units
            self.requested = requested
            self.drawn = drawn
            exclusions = Dictionary(uniqueKeysWithValues: ExclusionReason.allCases.map { ($0, excluded[$0.rawValue] as? Int ?? 0) })
        }
    }

    /// How often a criterion was rated at or above its target in a week's evaluations.
    public struct CriterionShare: Sendable, Equatable {
        /// `scorecard/criterion`, e.g. `voice-standard/empathy`.
        public var criterionID: String
        public var label: String
        public var ratings: Int
        public var atTarget: Int
        public var share: Double { ratings == 0 ? 0 : Double(atTarget) / Double(ratings) }
    }

    public static func build(store: any SQLStore, week: ISOWeek, asOf: LocalDate, parameters: KPIParameters, targets: [String: Double],
                             sample: SampleCoverage? = nil, readiness: WeekReadiness? = nil) throws -> WeeklyReport {
        let clock = ZoneClock(identifier: store.siteTimeZone) ?? .utc
        let period = Period(week: week, clock: clock)
        let engine = KPIEngine(store: store)
        let last = ISOWeek(containing: week.monday.adding(days: -7))
        // While this week's repeat window is still open in the data, last week's FCR is measured over
        // the same follow-up (repeats up to the data's horizon less 7 days): a complete week against a
        // truncated one would show a rise that is only missing repeats.
        // Last week's contacts are then taken up to the same point of their week, and their repeats
        // counted up to it.
        let lastPeriod = Period(week: last, clock: clock)
        let horizon = min(try store.query("SELECT MAX(arrived_at) FROM contacts").first?.first?.int64 ?? .max,
                          clock.startOfDay(asOf.adding(days: 1)) * 1000)
        let windowEnd = clock.startOfDay(week.sunday.adding(days: 1 + parameters.fcrWindowDays)) * 1000
        var sameFollowUp: (set: KPISet, upTo: Int64)?
        let final = readiness?.final ?? (asOf.dayNumber > week.sunday.dayNumber + parameters.fcrWindowDays)
        if parameters.fcrMethod == .repeatContact, !final, horizon < windowEnd {
            var lastParameters = parameters
            let cutoff = horizon + 1 - 7 * 86_400_000  // this week's data runs to `horizon` inclusive
            lastParameters.followUpBeforeUTC = cutoff
            let query = AggregateQuery(fromUTC: lastPeriod.fromUTC, toUTC: min(lastPeriod.toUTC, cutoff), clock: clock, groupBy: [],
                                       parameters: lastParameters)
            sameFollowUp = (KPISet(contacts: try store.contactAggregates(query).first, legs: nil), cutoff)
        }
        var report = WeeklyReport(
            week: week, asOf: asOf, final: final,
            kpis: try engine.report(period: period, groupBy: [], parameters: parameters, asOf: asOf),
            lastWeek: try engine.report(period: lastPeriod, groupBy: [], parameters: parameters, asOf: asOf),
            byTeam: try engine.report(period: period, groupBy: [.team], parameters: parameters, asOf: asOf),
            byQueue: try engine.report(period: period, groupBy: [.queue], parameters: parameters, asOf: asOf),
            byChannel: try engine.report(period: period, groupBy: [.channel], parameters: parameters, asOf: asOf),
            trends: try TrendsEngine(store: store).report(week: week, clock: clock, parameters: parameters, asOf: asOf),
            quality: try QualityEngine(store: store).report(period: period, groupBy: .agent),
            targets: targets, ingest: try store.ingestLog(), sample: sample, criteria: try criterionShares(store: store, period: period),
            readiness: readiness)
        report.lastWeekSameFollowUp = sameFollowUp
        report.clustered = try clusteredIntervals(store: store, period: period, parameters: parameters, asOf: asOf)
        report.qualityByTeam = try QualityEngine(store: store).report(period: period, groupBy: .team).groups.map { ($0.key, $0.estimate) }
        report.plansDue = try store.actionPlans().filter { $0.isDue(asOf: asOf) }
        if try (store.query("SELECT COUNT(*) FROM roster").first?.first?.int ?? 0) > 0 {
            report.agentsNotInRoster = try store.query("""
                SELECT DISTINCT l.agent_id FROM legs l JOIN contacts c ON c.source = l.source AND c.interaction_id = l.interaction_id
                WHERE c.arrived_at >= ? AND c.arrived_at < ? AND l.agent_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM roster r WHERE r.agent_id = l.agent_id) ORDER BY 1
                """, [.integer(period.fromUTC), .integer(period.toUTC)]).compactMap { $0.first?.string }
        }
        return report
    }

    /// FCR's per-customer and ASA's per-day totals of the period, for intervals that do not assume
    /// independent contacts.
    static func clusteredIntervals(store: any SQLStore, period: Period, parameters: KPIParameters, asOf: LocalDate) throws -> [TrackedKPI: ClusteredRatio] {
        var result: [TrackedKPI: ClusteredRatio] = [:]
        if parameters.fcrMethod == .repeatContact {
            let (judged, resolved) = SQLiteStore.fcrExpressions(parameters)
            let row = try store.query("""
                SELECT COUNT(*), SUM(y), SUM(m), SUM(y * y), SUM(y * m), SUM(m * m) FROM (
                    SELECT COUNT(*) AS m, SUM(CASE WHEN \(resolved) THEN 1 ELSE 0 END) AS y
                    FROM contacts c WHERE c.direction = 'inbound' AND c.arrived_at >= ? AND c.arrived_at < ? AND \(judged)
                    GROUP BY c.customer_key) t
                """, [.integer(period.fromUTC), .integer(period.toUTC)]).first ?? []
            func number(_ i: Int) -> Double { i < row.count ? row[i].double ?? row[i].int64.map(Double.init) ?? 0 : 0 }
            if let clusters = row.first?.int, clusters > 0 {
                result[.fcr] = ClusteredRatio(clusters: clusters, sumY: number(1), sumM: number(2), sumYY: number(3), sumYM: number(4), sumMM: number(5))
            }
        }
        let days = try KPIEngine(store: store).report(period: period, groupBy: [.day], parameters: parameters, asOf: asOf)
        result[.asaSeconds] = ClusteredRatio(days.groups.map { g in (g.kpis.asa.moments.sum, Double(g.kpis.asa.moments.n)) })
        return result
    }

    /// Every rated criterion of the period's evaluations (all of them, sampled or spot), weakest first;
    /// a criterion without a target counts ratings at its scale maximum, as the feedback packs do.
    static func criterionShares(store: any SQLStore, period: Period) throws -> [CriterionShare] {
        let cards = try store.scorecards()
        let rows = try store.query("""
            SELECT e.scorecard_id, e.scorecard_version, a.criterion_id, a.rating
            FROM evaluations e JOIN contacts c ON c.source = e.source AND c.interaction_id = e.interaction_id
            JOIN evaluation_answers a ON a.evaluation_id = e.evaluation_id
            WHERE c.arrived_at >= ? AND c.arrived_at < ? AND a.rating IS NOT NULL
            """, [.integer(period.fromUTC), .integer(period.toUTC)])
        var shares: [String: CriterionShare] = [:]
        for r in rows {
            guard let card = cards["\(r[0].string!)#\(r[1].int!)"],
                  let criterion = card.criterion(r[2].string!), let rating = r[3].double else { continue }
            // Criteria of different scorecards are different criteria, even when they share an id
            // (voice and written both have `empathy`, with their own wording and targets).
            let key = "\(card.id)/\(criterion.id)"
            shares[key, default: CriterionShare(criterionID: key, label: criterion.label, ratings: 0, atTarget: 0)].ratings += 1
            if rating >= (criterion.target ?? criterion.max) { shares[key]!.atTarget += 1 }
        }
        return shares.values.sorted { ($0.share, $0.criterionID) < ($1.share, $1.criterionID) }
    }

    static func value(_ kpi: TrackedKPI, _ k: KPISet) -> (value: Double?, ci: (lower: Double, upper: Double)?) {
        if let r = kpi.rate(k) { return (r.value, r.ci95) }
        if let m = kpi.mean(k) { return (m.value, m.ci95) }
        return (nil, nil)
    }

    /// The 95% interval of this week's value minus last week's, or nil when either is unknown.
    static func difference(_ kpi: TrackedKPI, _ now: KPISet, _ before: KPISet) -> (lower: Double, upper: Double)? {
        if let a = kpi.rate(now), let b = kpi.rate(before) {
            return newcombeDifference(a.numerator, of: a.denominator, b.numerator, of: b.denominator)
        }
        if let a = kpi.mean(now), let b = kpi.mean(before) { return welchDifference(a.moments, b.moments) }
        return nil
    }

    /// A time can't be negative: a t interval's lower bound below zero is shown as 0 s (docs/kpis.md).
    static func formatInterval(_ kpi: TrackedKPI, _ ci: (lower: Double, upper: Double)) -> String {
        "\(format(kpi, kpi.isRate ? ci.lower : max(0, ci.lower)))–\(format(kpi, ci.upper))"
    }

    /// 20 s, 5 min, 24 h.
    static func duration(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) min" }
        return String(format: "%.0f s", seconds)
    }

    static func format(_ kpi: TrackedKPI, _ v: Double?) -> String {
        guard let v else { return "–" }
        if kpi.isRate { return String(format: "%.1f%%", v * 100) }
        // An e-mail's reply in hours, a call's answer in seconds.
        return abs(v) >= 3600 ? String(format: "%.1f h", v / 3600) : String(format: "%.0f s", v)
    }

    /// The data every format renders, with fixed key order.
    /// Below this many contacts (or responses) last week's figure is shown as too few to compare.
    static let tooFew = 10

    /// "29 of 46" for a rate, "n 40" for a mean.
    static func count(_ kpi: TrackedKPI, _ k: KPISet) -> String {
        if let r = kpi.rate(k) { return "\(r.numerator) of \(r.denominator)" }
        if let m = kpi.mean(k) { return "n \(m.n)" }
        return "–"
    }

    static func size(_ kpi: TrackedKPI, _ k: KPISet) -> Int {
        kpi.rate(k)?.denominator ?? kpi.mean(k)?.n ?? 0
    }

    /// The headline rows, and the KPIs that missed their target or changed significantly (for the summary).
    func headline() -> (rows: [[String: Any]], missed: [String], changes: [String]) {
        var headline: [[String: Any]] = []
        var missed: [String] = []
        var changes: [String] = []
        for kpi in TrackedKPI.allCases {
            var now = WeeklyReport.value(kpi, kpis.total)
            if let clustered = clustered[kpi] { now.ci = clustered.ci95 }
            let lastSet = kpi == .fcr ? lastWeekSameFollowUp?.set ?? lastWeek.total : lastWeek.total
            let before = WeeklyReport.value(kpi, lastSet)
            // A change is marked only when the 95% interval of the difference from last week excludes
            // zero: Newcombe's hybrid score interval for rates, Welch's for means (docs/kpis.md).
            var change = ""
            if let d = WeeklyReport.difference(kpi, kpis.total, lastSet), d.lower > 0 || d.upper < 0 {
                change = d.lower > 0 ? "▲ significant rise" : "▼ significant fall"
            }
            let target = targets[kpi.rawValue]
            var meets = ""
            if let target, let v = now.value {
                let met = kpi.higherIsBetter ? v >= target : v <= target
                meets = met ? "meets target" : "misses target"
                if !met { missed.append("\(kpi.label) \(WeeklyReport.format(kpi, v)) (target \(WeeklyReport.format(kpi, target)))") }
            }
            if !change.isEmpty { changes.append("\(kpi.label) \(change.dropFirst(2)) to \(WeeklyReport.format(kpi, now.value))") }
            // The counts behind each figure: a rate's numerator of denominator, a mean's n; last week's too,
            // marked when too few to compare.
            let nowCount = WeeklyReport.count(kpi, kpis.total)
            let lastCount = WeeklyReport.count(kpi, lastSet)
            let lastN = WeeklyReport.size(kpi, lastSet)
            headline.append(["kpi": kpi.label, "value": WeeklyReport.format(kpi, now.value), "n": nowCount,
                             "ci": now.ci.map { WeeklyReport.formatInterval(kpi, $0) } ?? "–",
                             "last": WeeklyReport.format(kpi, before.value) + (before.value == nil ? "" : " (\(lastCount)\(lastN < WeeklyReport.tooFew ? ", too few" : ""))"),
                             "change": change,
                             "target": target.map { WeeklyReport.format(kpi, $0) } ?? "–", "meets": meets])
        }
        return (headline, missed, changes)
    }

    /// Critical fails of the week's evaluations, calibration re-scores left out.
    var criticalFails: [EvaluationSummary] { quality.evaluations.filter { $0.criticalFailed && !$0.calibration } }

    /// One paragraph a manager can read in 30 seconds.
    public var summary: String {
        let (_, missed, changes) = headline()
        var summary = "\(kpis.total.offered) contacts offered. "
        summary += changes.isEmpty ? "No significant change from last week. " : "Significant changes: \(changes.joined(separator: "; ")). "
        summary += missed.isEmpty ? (targets.isEmpty ? "" : "Every KPI with a target meets it. ") : "Missing target: \(missed.joined(separator: "; ")). "
        summary += "Critical fails: \(criticalFails.count)."
        if let sample { summary += " QA sample: \(quality.evaluations.filter(\.inSample).count) of \(sample.drawn) evaluated." }
        return summary
    }

    /// A QA estimate as a table row.
    static func qaRow(_ key: String, _ name: String?, _ estimate: QAEstimate) -> [String: Any] {
        [key: name ?? "(none)", "score": String(format: "%.1f", estimate.value),
         "ci": estimate.ci95.map { String(format: "%.1f–%.1f", max(0, $0.lower), min(100, $0.upper)) } ?? "–",
         "n": estimate.n, "df": estimate.degreesOfFreedom.map(String.init) ?? "–"]
    }

    var context: [String: Any] {
        let headline = headline().rows
        func rows(_ r: KPIReport, _ d: GroupDimension) -> [[String: Any]] {
            r.groups.map { g in
                ["name": r.display(g.key[0], d) ?? "(none)", "offered": g.kpis.offered,
                 "sl": WeeklyReport.format(.serviceLevel, g.kpis.serviceLevel.value), "aht": WeeklyReport.format(.ahtSeconds, g.kpis.aht.value),
                 "asa": WeeklyReport.format(.asaSeconds, g.kpis.asa.value),
                 "fcr": WeeklyReport.format(.fcr, g.kpis.fcr.value), "csat": WeeklyReport.format(.csat, g.kpis.csat.value)]
            }
        }
        let charts: [[String: Any]] = trends.series.filter { $0.dimension == nil && [.serviceLevel, .ahtSeconds, .fcr, .abandonmentRate].contains($0.kpi) }.map { s in
            let chartPoints = s.chart.isEmpty ? s.points.map { ($0.week.description, $0.value) } : s.chart.map { ($0.week.description, $0.value) }
            let svg = SVGChart.line(chartPoints, lower: s.chart.isEmpty ? nil : s.chart.map(\.lower), upper: s.chart.isEmpty ? nil : s.chart.map(\.upper),
                                    format: { WeeklyReport.format(s.kpi, $0) })
            var trend = s.trend.map { $0.significant() ? ($0.s > 0 ? "significant rising trend" : "significant falling trend") : "no significant trend" } ?? (s.trendNote ?? "")
            if !s.provisionalWeeks.isEmpty {
                trend += "; \(s.provisionalWeeks.map(\.description).joined(separator: ", ")) not charted yet: provisional until the repeat window has passed"
            }
            return ["kpi": s.kpi.label, "svg": svg, "trend": trend,
                    "signals": s.signals.map { "rule \($0.rule): \($0.description) (\($0.weeks.map(\.description).joined(separator: ", ")))" }]
        }
        let flagged = trends.funnels.filter { $0.position == .flagged }.map { f -> [String: Any] in
            let rate: String = String(format: "%.1f%%", f.limits.centre * 100)
            return ["agent": f.agent ?? "(none)", "team": f.team ?? "(none)", "kpi": f.kpi.label, "value": "\(f.numerator)/\(f.denominator)", "teamRate": rate]
        }
        // One funnel chart of FCR per team of two or more colleagues: each colleague's rate against their volume.
        let fcrFunnels = Dictionary(grouping: trends.funnels.filter { $0.kpi == .fcr && $0.team != nil }, by: { $0.team! })
        let funnelCharts: [[String: Any]] = fcrFunnels.keys.sorted().compactMap { team in
            let entries = fcrFunnels[team]!
            guard entries.count >= 2, let centre = entries.first?.teamRate else { return nil }
            let svg = SVGChart.funnel(entries.map { ($0.agent ?? "(none)", $0.numerator, $0.denominator, $0.position == .flagged) }, centre: centre,
                                      format: { WeeklyReport.format(.fcr, $0) })
            return ["team": team, "svg": svg, "rate": WeeklyReport.format(.fcr, centre), "agents": entries.count]
        }
        let overall = qaScore
        var bySource: [[String: Any]] = []
        for (source, entries) in Dictionary(grouping: ingest, by: { $0.source }).sorted(by: { $0.key < $1.key }) {
            var row: [String: Any] = ["source": source, "files": entries.count]
            row["rows"] = entries.reduce(0) { $0 + $1.rowsRead }
            row["rejected"] = entries.reduce(0) { $0 + $1.rejected }
            row["failed"] = entries.filter { $0.status != .loaded }.count
            bySource.append(row)
        }
        var context: [String: Any] = [:]
        context["week"] = week.description
        context["from"] = kpis.period.from.description
        context["to"] = kpis.period.to.description
        context["timezone"] = kpis.period.clock.identifier
        context["asOf"] = asOf.description
        context["status"] = final ? (revisions.isEmpty ? "final" : "final, revised") : "draft"
        context["revisions"] = revisions.map(\.sentence)
        context["provisional"] = kpis.provisional
        if let sameFollowUp = lastWeekSameFollowUp.map({ same -> String in
            let local = kpis.period.clock.localSeconds(atUTC: same.upTo / 1000)
            let time = String(format: "%02d:%02d", Int(local % 86_400 / 3600), Int(local % 3600 / 60))
            return "First contact resolution is provisional: last week's is shown for its contacts up to \(kpis.period.clock.localDate(atUTC: same.upTo / 1000)) \(time), with repeats counted up to then — the same follow-up this week's contacts have had so far, so the two compare like with like."
        }) {
            context["sameFollowUp"] = sameFollowUp
        }
        context["offered"] = kpis.total.offered
        context["empty"] = kpis.total.offered == 0
        context["headline"] = headline
        context["summary"] = summary
        // Many comparisons, some false alarms: say how many chance alone makes on a stable week.
        let changesCompared = TrackedKPI.allCases.filter { WeeklyReport.difference($0, kpis.total, $0 == .fcr ? lastWeekSameFollowUp?.set ?? lastWeek.total : lastWeek.total) != nil }.count
        context["changeNote"] = changesCompared == 0 ? "" : String(format: "Intervals: first contact resolution's counts customers, not contacts, as the independent units (a customer who calls back often is unresolved often); the speed of answer's counts days (waits within a day move together); the others, and the week-on-week changes, assume independent contacts. A change is marked when the 95%% interval of the difference from last week excludes zero. With %d KPIs compared, a stable week shows about %.2f such marks by chance alone.", changesCompared, Double(changesCompared) * 0.05)
        let tested = trends.series.filter { $0.dimension == nil && [.serviceLevel, .ahtSeconds, .fcr, .abandonmentRate].contains($0.kpi) && $0.trend != nil }.count
        context["trendNote"] = tested == 0 ? "" : String(format: "Each trend is a Mann–Kendall test at the 5%% level: over these %d charts a stable history shows about %.2f trend calls by chance. A chart's Western Electric rules 1–4 signal in at most %.1f%% of stable weeks for a rate and %.1f%% for a mean: their limits come from the 12 weeks before, themselves noisy.", tested, Double(tested) * 0.05, 100 * ControlChart.stableSignalRate(rate: true), 100 * ControlChart.stableSignalRate(rate: false))
        context["charts"] = charts
        context["teams"] = rows(byTeam, .team)
        context["queues"] = rows(byQueue, .queue)
        context["channels"] = rows(byChannel, .channel)
        context["flagged"] = flagged
        context["hasFlagged"] = !flagged.isEmpty
        // What chance alone may put on that list: at most 0.2% of the comparisons made (each colleague
        // with enough contacts, per KPI) — a bound the seeded simulation of docs/trends.md holds to.
        let compared = trends.funnels.filter { $0.denominator >= FunnelLimits.minimumVolume }.count
        context["expectedFalseFlags"] = String(format: "%.2f", Double(compared) * 2 * FunnelLimits.flagTail)
        context["funnelCount"] = compared
        context["funnels"] = funnelCharts
        context["surges"] = trends.surges.map { s -> [String: Any] in
            ["reason": s.reason, "volume": s.volume, "share": String(format: "%.1f%%", s.share * 100), "since": s.firstWeek.description]
        }
        // Critical fails reach the report: every one, by team, with the agent (a label where names are hidden).
        let fails = criticalFails
        context["criticalCount"] = fails.count
        context["criticalByTeam"] = Dictionary(grouping: fails, by: { $0.team ?? "(no team)" }).sorted { $0.key < $1.key }.map { team, members in
            ["team": team, "count": members.count,
             "agents": members.map { "\($0.agent ?? "(none)") (\($0.evaluationID))" }.joined(separator: ", ")] as [String: Any]
        }
        context["qaTeams"] = qualityByTeam.map { WeeklyReport.qaRow("team", $0.team ?? "(no team)", $0.estimate) }
        context["hasQATeams"] = !qualityByTeam.isEmpty
        context["qaAgents"] = quality.groups.map { WeeklyReport.qaRow("agent", $0.key, $0.estimate) }
        context["hasQAAgents"] = !quality.groups.isEmpty
        // More of what ContactQA computes, for the manager: thresholds, NPS, escalations, calibration,
        // suggested targets and coaching reviews due.
        let p = kpis.parameters
        let channelsSeen = Set(byChannel.groups.compactMap { byChannel.display($0.key[0], .channel) })
        context["thresholds"] = Channel.allCases.filter { channelsSeen.contains($0.rawValue) }
            .map { "\($0.rawValue) \(WeeklyReport.duration(p.serviceLevelThreshold(for: $0)))" }.joined(separator: ", ")
        let nps = kpis.total.nps
        context["nps"] = nps.value.map { v in
            String(format: "%.0f", v) + (nps.ci95.map { String(format: " (95%% CI %.0f to %.0f)", $0.lower, $0.upper) } ?? "") + " from \(nps.responses) responses"
        } ?? "no responses"
        let escalation = kpis.total.escalationRate
        context["escalations"] = "\(escalation.numerator) of \(escalation.denominator) handled" + (escalation.value.map { String(format: " (%.1f%%)", $0 * 100) } ?? "")
        context["evaluators"] = quality.evaluators.map { e -> [String: Any] in
            ["evaluator": e.evaluator, "deviation": String(format: "%+.1f", e.meanDeviation), "n": e.n == 1 ? "1 leg" : "\(e.n) legs",
             "drifting": e.drifting ? " — drifting" : ""]
        }
        context["hasEvaluators"] = !quality.evaluators.isEmpty
        context["validation"] = trends.validation.filter { $0.name.hasPrefix("agents") }.map { v -> String in
            guard let c = v.correlation else { return "\(v.name): \(v.note ?? "not enough data")" }
            return String(format: "%@: Spearman ρ %.2f over %d colleagues", v.name, c.rho, c.n) + (c.p.map { String(format: ", p = %.3f", $0) } ?? "")
        }
        // Targets from history only when there is history: at least 8 earlier weeks with a value.
        context["baselines"] = trends.baselines.compactMap { b -> [String: Any]? in
            let history = (trends.series.first { $0.dimension == nil && $0.kpi == b.kpi }?.points.count ?? 0) - 1
            guard history >= 8, b.baseline != nil || b.topQuartileAgents != nil else { return nil }
            return ["kpi": b.kpi.label, "baseline": WeeklyReport.format(b.kpi, b.baseline), "top": WeeklyReport.format(b.kpi, b.topQuartileAgents),
                    "improved": WeeklyReport.format(b.kpi, b.improved)]
        }
        context["hasBaselines"] = !(context["baselines"] as! [[String: Any]]).isEmpty
        context["plansDue"] = plansDue.map { "\($0.agent): \($0.action) (\($0.criterion)), review by \($0.reviewBy)" }
        context["hasPlansDue"] = !plansDue.isEmpty
        context["evaluations"] = quality.evaluations.count
        context["inSample"] = quality.evaluations.filter(\.inSample).count
        context["qaScore"] = overall.map { String(format: "%.1f", $0.value) } ?? "–"
        // A QA score lies in 0–100: an interval end beyond is shown at the bound (JSON keeps it as computed).
        let qaCI: String = overall.flatMap { o in
            o.ci95.map { String(format: "%.1f–%.1f", max(0, $0.lower), min(100, $0.upper)) + (o.degreesOfFreedom.map { ", \($0) df" } ?? "") }
        } ?? "–"
        context["qaCI"] = qaCI
        context["alpha"] = quality.alpha.map { a -> [String: Any] in ["criterion": a.criterion, "value": a.value.map { String(format: "%.2f", $0) } ?? "–"] }
        context["consistency"] = trends.consistency.map { c -> [String: Any] in ["check": c.name, "count": c.count] }
        context["ingest"] = bySource
        // Files rejected (or failed) and not since loaded: neither the same bytes nor a corrected file
        // of the same name and source.
        var superseded = Set<String>()
        var seen = Set<String>()
        var notLoaded: [IngestLogEntry] = []
        for e in ingest.reversed() {
            if e.status == .loaded {
                superseded.insert(e.sha256)
                superseded.insert(e.source + "/" + e.file)
            } else if !superseded.contains(e.sha256), !superseded.contains(e.source + "/" + e.file), seen.insert(e.sha256).inserted {
                notLoaded.append(e)
            }
        }
        context["rejectedFiles"] = notLoaded.reversed().map { e -> [String: Any] in
                ["file": e.file, "source": e.source, "date": String(e.startedAt.prefix(10)), "reason": e.message ?? e.status.rawValue]
            }
        let waiting = final ? [] : (readiness?.reasons ?? [])
        context["waiting"] = waiting
        context["hasWaiting"] = !waiting.isEmpty
        context["gaps"] = (readiness?.gaps ?? []).map { "\($0.source): no contacts on \($0.day)" }
        context["future"] = readiness?.futureNotes ?? []
        context["notInRoster"] = agentsNotInRoster.isEmpty ? [] : ["\(agentsNotInRoster.count) agent\(agentsNotInRoster.count == 1 ? "" : "s") handled contacts but \(agentsNotInRoster.count == 1 ? "is" : "are") missing from the roster (no team, name or monitoring acknowledgement on record): \(agentsNotInRoster.joined(separator: ", "))"]
        if let monitoringNotice { context["monitoringNotice"] = monitoringNotice }
        context["weakest"] = criteria.prefix(3).map { c -> [String: Any] in
            ["label": c.label, "share": String(format: "%.0f%%", c.share * 100), "atTarget": c.atTarget, "ratings": c.ratings]
        }
        context["hasCriteria"] = !criteria.isEmpty
        if let sample {
            let drawn = sample.drawn
            let evaluated = quality.evaluations.filter(\.inSample).count
            context["sample"] = ["frame": sample.frameUnits, "requested": sample.requested, "drawn": drawn, "evaluated": evaluated,
                                 "coverage": drawn == 0 ? "–" : String(format: "%.0f%%", Double(evaluated) / Double(drawn) * 100),
                                 "noNotice": sample.exclusions[.noMonitoringNotice] ?? 0,
                                 "unacknowledged": sample.exclusions[.unacknowledgedAgent] ?? 0,
                                 "alreadyEvaluated": sample.exclusions[.alreadyEvaluated] ?? 0] as [String: Any]
        }
        return context
    }

    static let markdownTemplate = """
        # Weekly quality report — {{{week}}} ({{{status}}})

        {{{from}}} to {{{to}}}, {{{timezone}}}, as of {{{asOf}}}.{{#provisional}} FCR is provisional: repeat contacts can still arrive.{{/provisional}}
        {{#empty}}

        **No inbound contacts this week.**
        {{/empty}}
        {{#revisions}}

        **{{{.}}}**
        {{/revisions}}
        {{#hasWaiting}}

        This report stays a draft until the week's data is complete:
        {{/hasWaiting}}
        {{#waiting}}
        - {{{.}}}
        {{/waiting}}

        **Summary.** {{{summary}}}

        ## Headline KPIs

        | KPI | this week | of | 95% CI | last week | change | target | |
        |---|---:|---|---|---:|---|---:|---|
        {{#headline}}
        | {{{kpi}}} | {{{value}}} | {{{n}}} | {{{ci}}} | {{{last}}} | {{{change}}} | {{{target}}} | {{{meets}}} |
        {{/headline}}

        Change: ▲/▼ a significant rise or fall from last week; blank, no significant change. Service level counts contacts answered within: {{{thresholds}}}. NPS: {{{nps}}}. Escalations: {{{escalations}}}.
        {{#sameFollowUp}}

        {{{sameFollowUp}}}
        {{/sameFollowUp}}

        {{{changeNote}}}

        ## Trends (13 weeks)

        {{#charts}}
        - **{{{kpi}}}**: {{{trend}}}{{#signals}}; {{{.}}}{{/signals}}
        {{/charts}}

        {{{trendNote}}}

        ## By team

        | team | offered | service level | AHT | FCR | CSAT |
        |---|---:|---:|---:|---:|---:|
        {{#teams}}
        | {{{name}}} | {{{offered}}} | {{{sl}}} | {{{aht}}} | {{{fcr}}} | {{{csat}}} |
        {{/teams}}

        ## By queue

        | queue | offered | service level | AHT | FCR | CSAT |
        |---|---:|---:|---:|---:|---:|
        {{#queues}}
        | {{{name}}} | {{{offered}}} | {{{sl}}} | {{{aht}}} | {{{fcr}}} | {{{csat}}} |
        {{/queues}}

        ## By channel

        Speed of answer and handle time are best read per channel: an e-mail's reply takes hours where a call's answer takes seconds.

        | channel | offered | service level | ASA | AHT | FCR | CSAT |
        |---|---:|---:|---:|---:|---:|---:|
        {{#channels}}
        | {{{name}}} | {{{offered}}} | {{{sl}}} | {{{asa}}} | {{{aht}}} | {{{fcr}}} | {{{csat}}} |
        {{/channels}}

        ## Colleagues outside their team's 99.8% funnel

        {{#flagged}}
        - {{{agent}}} ({{{team}}}): {{{kpi}}} {{{value}}} against the rest of the team's {{{teamRate}}}
        {{/flagged}}
        {{^hasFlagged}}
        None.
        {{/hasFlagged}}

        Each colleague with at least 5 contacts is compared with the rest of their team by an exact binomial test; on stable data chance alone puts at most {{{expectedFalseFlags}}} of these {{{funnelCount}}} comparisons on this list.

        ## Quality

        {{{evaluations}}} evaluations, {{{inSample}}} in the representative sample; QA score {{{qaScore}}} (95% CI {{{qaCI}}}).

        {{#hasQATeams}}
        | team | QA score | 95% CI | legs evaluated | df |
        |---|---:|---|---:|---:|
        {{#qaTeams}}
        | {{{team}}} | {{{score}}} | {{{ci}}} | {{{n}}} | {{{df}}} |
        {{/qaTeams}}

        {{/hasQATeams}}
        {{#hasQAAgents}}
        | colleague | QA score | 95% CI | legs evaluated | df |
        |---|---:|---|---:|---:|
        {{#qaAgents}}
        | {{{agent}}} | {{{score}}} | {{{ci}}} | {{{n}}} | {{{df}}} |
        {{/qaAgents}}

        {{/hasQAAgents}}
        **Critical fails: {{{criticalCount}}}**{{#criticalByTeam}}
        - {{{team}}}: {{{count}}} — {{{agents}}}{{/criticalByTeam}}

        {{#sample}}
        Sample coverage: {{{evaluated}}} of {{{drawn}}} sampled interactions evaluated ({{{coverage}}}); the plan asked for {{{requested}}} from a frame of {{{frame}}}.
        {{/sample}}
        {{#hasCriteria}}

        Weakest criteria (share of ratings at target):
        {{#weakest}}
        - {{{label}}}: {{{share}}} ({{{atTarget}}} of {{{ratings}}})
        {{/weakest}}
        {{/hasCriteria}}
        {{#alpha}}
        - calibration {{{criterion}}}: alpha {{{value}}}
        {{/alpha}}

        Do QA scores agree with what customers say and do?
        {{#validation}}
        - {{{.}}}
        {{/validation}}

        {{#hasEvaluators}}
        Evaluator calibration (mean deviation from the median of the others on shared legs):
        {{#evaluators}}
        - {{{evaluator}}}: {{{deviation}}} points over {{{n}}}{{{drifting}}}
        {{/evaluators}}

        {{/hasEvaluators}}
        {{#hasPlansDue}}
        Coaching reviews due:
        {{#plansDue}}
        - {{{.}}}
        {{/plansDue}}

        {{/hasPlansDue}}
        ## Suggested targets

        {{#hasBaselines}}
        | KPI | baseline (median week) | top-quartile colleagues | baseline improved by 5% |
        |---|---:|---:|---:|
        {{#baselines}}
        | {{{kpi}}} | {{{baseline}}} | {{{top}}} | {{{improved}}} |
        {{/baselines}}
        {{/hasBaselines}}
        {{^hasBaselines}}
        Suggested targets need at least 8 earlier weeks of history.
        {{/hasBaselines}}

        ## Data quality

        | source | files | rows | rejected | failed files |
        |---|---:|---:|---:|---:|
        {{#ingest}}
        | {{{source}}} | {{{files}}} | {{{rows}}} | {{{rejected}}} | {{{failed}}} |
        {{/ingest}}
        {{#sample}}
        - excluded from the sampling frame: {{{noNotice}}} without a monitoring notice, {{{unacknowledged}}} handled by agents who have not acknowledged monitoring, {{{alreadyEvaluated}}} already evaluated
        {{/sample}}
        {{#provisional}}
        - FCR is provisional until the repeat-contact window has passed
        {{/provisional}}
        {{#gaps}}
        - gap: {{{.}}}
        {{/gaps}}
        {{#future}}
        - {{{.}}}
        {{/future}}
        {{#notInRoster}}
        - {{{.}}}
        {{/notInRoster}}
        {{#monitoringNotice}}
        - {{{.}}}
        {{/monitoringNotice}}
        {{#rejectedFiles}}
        - file not loaded: {{{file}}} ({{{source}}}, rejected on {{{date}}}: {{{reason}}}); skipped each night until a corrected file arrives
        {{/rejectedFiles}}
        {{#consistency}}
        - {{{check}}}: {{{count}}}
        {{/consistency}}

        """

    static let htmlTemplate = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Weekly quality report {{week}}</title>
        <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
        table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}
        td.n{text-align:right}td.n,td.c{white-space:nowrap}.scroll{overflow-x:auto}.status{display:inline-block;padding:.1rem .5rem;border-radius:.25rem;background:#eee}
        .up{color:#2e7d32}.down{color:#c62828}figure{margin:0 0 1rem}@media print{a{color:inherit}}</style></head>
        <body><h1>Weekly quality report — {{week}} <span class="status">{{status}}</span></h1>
        <p>{{from}} to {{to}}, {{timezone}}, as of {{asOf}}.{{#provisional}} FCR is provisional: repeat contacts can still arrive.{{/provisional}}</p>
        {{#empty}}<p><strong>No inbound contacts this week.</strong></p>{{/empty}}
        {{#revisions}}<p><strong>{{.}}</strong></p>{{/revisions}}
        {{#hasWaiting}}<p>This report stays a draft until the week's data is complete:</p><ul>{{/hasWaiting}}{{#waiting}}<li>{{.}}</li>{{/waiting}}{{#hasWaiting}}</ul>{{/hasWaiting}}
        <p><strong>Summary.</strong> {{summary}}</p>
        <h2>Headline KPIs</h2><div class="scroll"><table><tr><th>KPI</th><th>this week</th><th>of</th><th>95% CI</th><th>last week</th><th>change</th><th>target</th><th></th></tr>
        {{#headline}}<tr><td>{{kpi}}</td><td class="n">{{value}}</td><td class="c">{{n}}</td><td class="c">{{ci}}</td><td class="n">{{last}}</td><td>{{change}}</td><td class="n">{{target}}</td><td>{{meets}}</td></tr>{{/headline}}</table></div>
        <p>Change: ▲/▼ a significant rise or fall from last week; blank, no significant change. Service level counts contacts answered within: {{thresholds}}. NPS: {{nps}}. Escalations: {{escalations}}.</p>
        {{#sameFollowUp}}<p>{{sameFollowUp}}</p>{{/sameFollowUp}}
        <p>{{changeNote}}</p>
        <h2>Trends and control charts (13 weeks)</h2>
        {{#charts}}<figure><figcaption><strong>{{kpi}}</strong>: {{trend}}{{#signals}}; {{.}}{{/signals}}</figcaption>{{{svg}}}</figure>{{/charts}}
        <p>{{trendNote}}</p>
        <h2>By team</h2><div class="scroll"><table><tr><th>team</th><th>offered</th><th>service level</th><th>AHT</th><th>FCR</th><th>CSAT</th></tr>
        {{#teams}}<tr><td>{{name}}</td><td class="n">{{offered}}</td><td class="n">{{sl}}</td><td class="n">{{aht}}</td><td class="n">{{fcr}}</td><td class="n">{{csat}}</td></tr>{{/teams}}</table></div>
        <h2>By queue</h2><div class="scroll"><table><tr><th>queue</th><th>offered</th><th>service level</th><th>AHT</th><th>FCR</th><th>CSAT</th></tr>
        {{#queues}}<tr><td>{{name}}</td><td class="n">{{offered}}</td><td class="n">{{sl}}</td><td class="n">{{aht}}</td><td class="n">{{fcr}}</td><td class="n">{{csat}}</td></tr>{{/queues}}</table></div>
        <h2>By channel</h2><p>Speed of answer and handle time are best read per channel: an e-mail's reply takes hours where a call's answer takes seconds.</p><div class="scroll"><table><tr><th>channel</th><th>offered</th><th>service level</th><th>ASA</th><th>AHT</th><th>FCR</th><th>CSAT</th></tr>
        {{#channels}}<tr><td>{{name}}</td><td class="n">{{offered}}</td><td class="n">{{sl}}</td><td class="n">{{asa}}</td><td class="n">{{aht}}</td><td class="n">{{fcr}}</td><td class="n">{{csat}}</td></tr>{{/channels}}</table></div>
        <h2>Colleagues outside their team's 99.8% funnel</h2>
        {{#hasFlagged}}<ul>{{#flagged}}<li>{{agent}} ({{team}}): {{kpi}} {{value}} against the rest of the team's {{teamRate}}</li>{{/flagged}}</ul>{{/hasFlagged}}{{^hasFlagged}}<p>None.</p>{{/hasFlagged}}
        <p>Each colleague with at least 5 contacts is compared with the rest of their team by an exact binomial test; on stable data chance alone puts at most {{expectedFalseFlags}} of these {{funnelCount}} comparisons on this list.</p>
        {{#funnels}}<figure><figcaption><strong>{{team}}</strong>: first contact resolution of {{agents}} colleagues against their volume; team rate {{rate}}, 95% (dashed) and 99.8% (solid) limits</figcaption>{{{svg}}}</figure>{{/funnels}}
        <h2>Quality</h2><p>{{evaluations}} evaluations, {{inSample}} in the representative sample; QA score {{qaScore}} (95% CI {{qaCI}}).</p>
        {{#hasQATeams}}<div class="scroll"><table><tr><th>team</th><th>QA score</th><th>95% CI</th><th>legs evaluated</th><th>df</th></tr>{{#qaTeams}}<tr><td>{{team}}</td><td class="n">{{score}}</td><td class="c">{{ci}}</td><td class="n">{{n}}</td><td class="n">{{df}}</td></tr>{{/qaTeams}}</table></div>{{/hasQATeams}}
        {{#hasQAAgents}}<div class="scroll"><table><tr><th>colleague</th><th>QA score</th><th>95% CI</th><th>legs evaluated</th><th>df</th></tr>{{#qaAgents}}<tr><td>{{agent}}</td><td class="n">{{score}}</td><td class="c">{{ci}}</td><td class="n">{{n}}</td><td class="n">{{df}}</td></tr>{{/qaAgents}}</table></div>{{/hasQAAgents}}
        <p><strong>Critical fails: {{criticalCount}}</strong></p><ul>{{#criticalByTeam}}<li>{{team}}: {{count}} — {{agents}}</li>{{/criticalByTeam}}</ul>
        {{#sample}}<p>Sample coverage: {{evaluated}} of {{drawn}} sampled interactions evaluated ({{coverage}}); the plan asked for {{requested}} from a frame of {{frame}}.</p>{{/sample}}
        {{#hasCriteria}}<p>Weakest criteria (share of ratings at target):</p><ul>{{#weakest}}<li>{{label}}: {{share}} ({{atTarget}} of {{ratings}})</li>{{/weakest}}</ul>{{/hasCriteria}}
        {{#alpha}}<p>Calibration {{criterion}}: alpha {{value}}</p>{{/alpha}}
        <p>Do QA scores agree with what customers say and do?</p><ul>{{#validation}}<li>{{.}}</li>{{/validation}}</ul>
        {{#hasEvaluators}}<p>Evaluator calibration (mean deviation from the median of the others on shared legs):</p><ul>{{#evaluators}}<li>{{evaluator}}: {{deviation}} points over {{n}}{{drifting}}</li>{{/evaluators}}</ul>{{/hasEvaluators}}
        {{#hasPlansDue}}<p>Coaching reviews due:</p><ul>{{#plansDue}}<li>{{.}}</li>{{/plansDue}}</ul>{{/hasPlansDue}}
        <h2>Suggested targets</h2>{{#hasBaselines}}<div class="scroll"><table><tr><th>KPI</th><th>baseline (median week)</th><th>top-quartile colleagues</th><th>baseline improved by 5%</th></tr>{{#baselines}}<tr><td>{{kpi}}</td><td class="n">{{baseline}}</td><td class="n">{{top}}</td><td class="n">{{improved}}</td></tr>{{/baselines}}</table></div>{{/hasBaselines}}{{^hasBaselines}}<p>Suggested targets need at least 8 earlier weeks of history.</p>{{/hasBaselines}}
        <h2>Data quality</h2><div class="scroll"><table><tr><th>source</th><th>files</th><th>rows</th><th>rejected</th><th>failed files</th></tr>
        {{#ingest}}<tr><td>{{source}}</td><td class="n">{{files}}</td><td class="n">{{rows}}</td><td class="n">{{rejected}}</td><td class="n">{{failed}}</td></tr>{{/ingest}}</table></div>
        <ul>{{#sample}}<li>excluded from the sampling frame: {{noNotice}} without a monitoring notice, {{unacknowledged}} handled by agents who have not acknowledged monitoring, {{alreadyEvaluated}} already evaluated</li>{{/sample}}
        {{#provisional}}<li>FCR is provisional until the repeat-contact window has passed</li>{{/provisional}}{{#gaps}}<li>gap: {{.}}</li>{{/gaps}}{{#future}}<li>{{.}}</li>{{/future}}{{#notInRoster}}<li>{{.}}</li>{{/notInRoster}}{{#monitoringNotice}}<li>{{.}}</li>{{/monitoringNotice}}
        {{#rejectedFiles}}<li>file not loaded: {{file}} ({{source}}, rejected on {{date}}: {{reason}}); skipped each night until a corrected file arrives</li>{{/rejectedFiles}}
        {{#consistency}}<li>{{check}}: {{count}}</li>{{/consistency}}</ul>
        </body></html>
        """

    public func markdown() throws -> String { try MustacheTemplate(string: WeeklyReport.markdownTemplate).render(context) }
    public func html() throws -> String { try MustacheTemplate(string: WeeklyReport.htmlTemplate).render(context) }

    /// `report.json`: the status, the week's KPIs (§6 shape), trends and quality, all machine-readable.
    public var json: JSONValue {
        .object([("week", .string(week.description)), ("status", .string(final ? "final" : "draft")), ("as_of", .string(asOf.description)),
                 ("revisions", .array(revisions.map { r in
                     .object([("date", .string(r.date.description)), ("evaluations_before", .int(r.evaluationsBefore)),
                              ("evaluations_after", .int(r.evaluationsAfter)), ("qa_score_before", .number(r.qaBefore)),
                              ("qa_score_after", .number(r.qaAfter)), ("previous", .string("previous/\(r.previous)")),
                              ("kpis_changed", .bool(r.kpisChanged))])
                 })),
                 ("kpis", kpis.json), ("last_week", lastWeek.json), ("trends", trends.json), ("quality", quality.json),
                 ("summary", .string(summary)),
                 ("quality_by_team", .array(qualityByTeam.map { g in
                     .object([("team", .text(g.team)), ("qa_score", .double(g.estimate.value)), ("se", .number(g.estimate.se)),
                              ("ci95", g.estimate.ci95.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null),
                              ("n", .int(g.estimate.n)), ("df", g.estimate.degreesOfFreedom.map { .int($0) } ?? .null)])
                 })),
                 ("critical_fails", .array(criticalFails.map { e in
                     .object([("evaluation_id", .string(e.evaluationID)), ("agent", .text(e.agent)), ("team", .text(e.team)),
                              ("interaction_id", .string(e.interactionID))])
                 })),
                 ("weakest_criteria", .array(criteria.map { c in
                     .object([("criterion", .string(c.criterionID)), ("label", .string(c.label)), ("ratings", .int(c.ratings)),
                              ("at_target", .int(c.atTarget)), ("share_at_target", .number(c.share))])
                 })),
                 ("sample", sample.map { s in
                     .object([("frame_units", .int(s.frameUnits)), ("requested", .int(s.requested)), ("drawn", .int(s.drawn)),
                              ("evaluated", .int(quality.evaluations.filter(\.inSample).count)),
                              ("excluded", .object(ExclusionReason.allCases.map { ($0.rawValue, .int(s.exclusions[$0] ?? 0)) }))])
                 } ?? .null)])
    }

    /// Writes report.md, report.html and report.json (those of `formats`) into a folder, and `.status`
    /// ("draft" or "final"), which later runs read to leave a final report alone whatever its formats.
    public func write(to folder: String, formats: Set<String> = ["md", "html", "json"]) throws {
        if formats.contains("md") { try markdown().write(toFile: folder + "/report.md", atomically: true, encoding: .utf8) }
        if formats.contains("html") { try html().write(toFile: folder + "/report.html", atomically: true, encoding: .utf8) }
        if formats.contains("json") { try (json.rendered() + "\n").write(toFile: folder + "/report.json", atomically: true, encoding: .utf8) }
        try (final ? "final\n" : "draft\n").write(toFile: folder + "/.status", atomically: true, encoding: .utf8)
    }
}
