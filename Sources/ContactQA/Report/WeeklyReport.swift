import Foundation

/// The weekly report for management (DESIGN.md §7): headline KPIs against last week and targets,
/// 13-week trend charts, tables by team, queue and channel, flagged colleagues, QA and data quality.
/// A draft until the as-of date passes the week's end + the FCR window, then final.
struct WeeklyReport {
    package var week: ISOWeek
    package var asOf: LocalDate
    package var final: Bool
    package var kpis: KPIReport
    var lastWeek: KPIReport
    var byTeam: KPIReport
    var byQueue: KPIReport
    var byChannel: KPIReport
    package var trends: TrendsReport
    package var quality: QualityReport
    package var targets: [String: Double]
    package var ingest: [IngestLogEntry]
    /// The week's routine sample, when the pipeline has a plan: coverage and frame exclusions.
    package var sample: SampleCoverage?
    /// Criteria rated in the week's evaluations, weakest first (share of ratings at or above target).
    var criteria: [CriterionShare]
    /// What the nightly job knows of the week's data: which sources are behind, gaps. Nil when the
    /// report was built outside a pipeline run (then the calendar alone decides `final`).
    var readiness: WeekReadiness?
    /// Set while this week's repeat window is still open in the data: last week's KPIs of its contacts
    /// up to the same point of the week (`upTo`, UTC milliseconds), repeats counted up to it too — what
    /// this week's FCR is compared with.
    var lastWeekSameFollowUp: (set: KPISet, upTo: Int64)?
    /// FCR clustered by customer and ASA by day (``ClusteredRatio``): the headline's intervals for them.
    var clustered: [TrackedKPI: ClusteredRatio] = [:]
    /// How the site treats contacts without a monitoring-notice flag, said in the data-quality section.
    var monitoringNotice: String?
    /// Agents who handled contacts of the week but are missing from a loaded roster.
    var agentsNotInRoster: [String] = []
    /// Action plans whose review is due by the as-of date.
    var plansDue: [ActionPlan] = []
    /// Design-weighted QA scores by team (sampled evaluations only).
    var qualityByTeam: [(team: String?, estimate: QAEstimate)] = []
    /// Acknowledgements and disputes of the week's feedback, when the site records them.
    var feedback: FeedbackLoop?
    /// The scorecards' automatic checks over every handled leg of the week; nil without `auto:` rules.
    var autoChecks: AutoCheckReport?
    /// Re-issues of a final report after late evaluations of its sample, oldest first.
    var revisions: [Revision] = []
    /// The roster's display names by agent id, shown beside the id; empty where names are hidden.
    var agentNames: [String: String] = [:]
    /// Draw the FCR funnel of every team, not only of teams with a colleague flagged or warned.
    var allFunnels = false

    /// One re-issue of a final report: what changed in its quality section, and where the version it
    /// replaced is kept (`previous/<date>/` inside the week's folder).
    struct Revision: Sendable, Equatable {
        package var date: LocalDate
        var evaluationsBefore: Int
        var evaluationsAfter: Int
        var qaBefore: Double?
        var qaAfter: Double?
        /// The date of the version this one replaced.
        var previous: LocalDate
        /// Set when the week's KPIs differ from the version replaced (contact rows loaded since).
        var kpisChanged = false

        package init(date: LocalDate, evaluationsBefore: Int, evaluationsAfter: Int, qaBefore: Double?, qaAfter: Double?, previous: LocalDate) {
            self.date = date
            self.evaluationsBefore = evaluationsBefore
            self.evaluationsAfter = evaluationsAfter
            self.qaBefore = qaBefore
            self.qaAfter = qaAfter
            self.previous = previous
        }

        var sentence: String {
            let added = evaluationsAfter - evaluationsBefore
            let what = added >= 0 ? "\(added) evaluation\(added == 1 ? "" : "s") added" : "\(-added) evaluation\(added == -1 ? "" : "s") withdrawn"
            let qa = qaBefore == qaAfter ? "" : "; QA score \(qaBefore.map { String(format: "%.1f", $0) } ?? "–") → \(qaAfter.map { String(format: "%.1f", $0) } ?? "–")"
            var text = "Revised \(date): \(what)\(qa). The version of \(previous) is kept in previous/\(previous)/."
            if kpisChanged { text += " The KPIs changed too: contact data of the week loaded since then; compare with that version." }
            return text
        }
    }

    /// The week's design-weighted QA score over its sampled evaluations.
    var qaScore: QAEstimate? { QualityEngine.hajek(quality.evaluations.filter { $0.inSample && $0.score != nil }) { _ in true } }

    /// What the week's sample manifest records: frame size, exclusions, requested and drawn size.
    struct SampleCoverage: Sendable, Equatable {
        var frameUnits: Int
        var requested: Int
        package var drawn: Int
        var exclusions: [ExclusionReason: Int]
        /// The plan's design: `pps` for a risk-targeted sample, nil for the default.
        package var design: String?
        /// Who was assigned what (`assignments.csv` beside the manifest): evaluator → `interaction_id|leg`
        /// of each scoring asked of them, calibration included.
        var assigned: [String: [String]] = [:]

        /// The week's sample folder: its `manifest.json`, or for a daily release the sum of its days'
        /// (`<date>/manifest.json`); nil when there is none.
        package init?(folder: String) {
            if let data = FileManager.default.contents(atPath: folder + "/manifest.json") {
                self.init(manifest: data)
                assigned = SampleCoverage.assignments(folder + "/assignments.csv")
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

        /// `assignments.csv` read back: evaluator → `interaction_id|leg` (empty when there is none).
        static func assignments(_ path: String) -> [String: [String]] {
            guard FileManager.default.fileExists(atPath: path) else { return [:] }
            var assigned: [String: [String]] = [:]
            try? CSVReader(path: path).forEachRecord { record in
                guard record.line > 1, record.count == 4, let id = record.string(0), let leg = record.string(1), let evaluator = record.string(2) else { return }
                assigned[evaluator, default: []].append("\(id)|\(leg)")
            }
            return assigned
        }

        /// Reads the numbers of a `manifest.json` (the same file whether the sample was drawn or reused).
        package init?(manifest data: Data) {
            guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let frame = top["frame"] as? [String: Any], let size = top["size"] as? [String: Any],
                  let units = frame["units"] as? Int, let requested = size["requested"] as? Int, let drawn = size["drawn"] as? Int
            else { return nil }
            let excluded = frame["excluded"] as? [String: Any] ?? [:]
            design = (top["plan"] as? [String: Any])?["design"] as? String
            frameUnits = units
            self.requested = requested
            self.drawn = drawn
            exclusions = Dictionary(uniqueKeysWithValues: ExclusionReason.allCases.map { ($0, excluded[$0.rawValue] as? Int ?? 0) })
        }
    }

    /// How often a criterion was rated at or above its target in a week's evaluations.
    struct CriterionShare: Sendable, Equatable {
        /// `scorecard/criterion`, e.g. `voice-standard/empathy`.
        var criterionID: String
        package var label: String
        var ratings: Int
        var atTarget: Int
        var share: Double { ratings == 0 ? 0 : Double(atTarget) / Double(ratings) }
    }

    package static func build(store: any SQLStore, week: ISOWeek, asOf: LocalDate, parameters: KPIParameters, targets: [String: Double],
                             sample: SampleCoverage? = nil, readiness: WeekReadiness? = nil) throws -> WeeklyReport {
        let clock = ZoneClock(identifier: store.siteTimeZone) ?? .utc
        let period = Period(week: week, clock: clock)
        let last = ISOWeek(containing: week.monday.adding(days: -7))
        // While this week's repeat window is still open in the data, last week's FCR is measured over
        // the same follow-up (repeats up to the data's horizon less 7 days): a complete week against a
        // truncated one would show a rise that is only missing repeats.
        // Last week's contacts are then taken up to the same point of their week, and their repeats
        // counted up to it.
        let lastPeriod = Period(week: last, clock: clock)
        let horizon = min(try store.latestArrival() ?? .max,
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
        // The week, last week and the trends' 13 weeks all come from two scans of those weeks.
        let trendsEngine = TrendsEngine(store: store)
        MemoryProbe.mark("weekly report: last week's same follow-up")
        let rollups = try trendsEngine.rollups(week: week, clock: clock, parameters: parameters, asOf: asOf)
        MemoryProbe.mark("weekly report: roll-ups")
        var report = WeeklyReport(
            week: week, asOf: asOf, final: final,
            kpis: try rollups.contacts.report(period: period, groupBy: []),
            lastWeek: try rollups.contacts.report(period: lastPeriod, groupBy: []),
            byTeam: try rollups.contacts.report(period: period, groupBy: [.team], handleTimeQuantiles: false),
            byQueue: try rollups.contacts.report(period: period, groupBy: [.queue], handleTimeQuantiles: false),
            byChannel: try rollups.contacts.report(period: period, groupBy: [.channel], handleTimeQuantiles: false),
            trends: try trendsEngine.report(week: week, clock: clock, parameters: parameters, asOf: asOf, rollups: rollups),
            quality: try QualityEngine(store: store).report(period: period, groupBy: .agent),
            targets: targets, ingest: try store.ingestLog(), sample: sample, criteria: try criterionShares(store: store, period: period),
            readiness: readiness)
        report.lastWeekSameFollowUp = sameFollowUp
        MemoryProbe.mark("weekly report: KPIs, trends, quality, criteria from the roll-ups")
        report.clustered = try clusteredIntervals(store: store, period: period, parameters: parameters, asOf: asOf)
        MemoryProbe.mark("weekly report: clustered intervals")
        report.qualityByTeam = try QualityEngine(store: store).report(period: period, groupBy: .team).groups.map { ($0.key, $0.estimate) }
        report.plansDue = try store.actionPlans().filter { $0.isDue(asOf: asOf) }
        report.feedback = try store.feedbackLoop(period, week: week)
        MemoryProbe.mark("weekly report: quality by team, plans, feedback loop")
        let checks = try AutoCheckReport.build(store: store, period: period)
        MemoryProbe.mark("weekly report: automatic checks")
        report.autoChecks = checks.checks.isEmpty ? nil : checks
        let roster = try store.rosterNamesAndTeams()
        report.agentNames = roster.compactMapValues(\.name)
        if !roster.isEmpty { report.agentsNotInRoster = try store.agentsNotInRoster(period) }
        return report
    }

    /// FCR's per-customer and ASA's per-day totals of the period, for intervals that do not assume
    /// independent contacts.
    static func clusteredIntervals(store: any SQLStore, period: Period, parameters: KPIParameters, asOf: LocalDate) throws -> [TrackedKPI: ClusteredRatio] {
        var result: [TrackedKPI: ClusteredRatio] = [:]
        if parameters.fcrMethod == .repeatContact, let clustered = try store.fcrByCustomer(period, parameters: parameters) {
            result[.fcr] = clustered
        }
        let days = try KPIEngine(store: store).report(period: period, groupBy: [.day], parameters: parameters, asOf: asOf)
        result[.asaSeconds] = ClusteredRatio(days.groups.map { g in (g.kpis.asa.moments.sum, Double(g.kpis.asa.moments.n)) })
        return result
    }

    /// Every rated criterion of the period's evaluations (all of them, sampled or spot), weakest first;
    /// a criterion without a target counts ratings at its scale maximum, as the feedback packs do.
    static func criterionShares(store: any SQLStore, period: Period) throws -> [CriterionShare] {
        let cards = try store.scorecards()
        let rows = try store.ratings(in: period)
        var shares: [String: CriterionShare] = [:]
        for r in rows {
            guard let card = cards[r.scorecardKey], let criterion = card.criterion(r.criterion) else { continue }
            let rating = r.rating
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
    func headline() -> (rows: [ReportPage.HeadlineRow], missed: [String], changes: [String]) {
        var headline: [ReportPage.HeadlineRow] = []
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
            headline.append(.init(kpi: kpi.label, value: WeeklyReport.format(kpi, now.value), n: nowCount,
                                  ci: now.ci.map { WeeklyReport.formatInterval(kpi, $0) } ?? "–",
                                  last: WeeklyReport.format(kpi, before.value) + (before.value == nil ? "" : " (\(lastCount)\(lastN < WeeklyReport.tooFew ? ", too few" : ""))"),
                                  change: change, target: target.map { WeeklyReport.format(kpi, $0) } ?? "–", meets: meets))
        }
        return (headline, missed, changes)
    }

    /// Critical fails of the week's evaluations, calibration re-scores left out.
    var criticalFails: [EvaluationSummary] { quality.evaluations.filter { $0.criticalFailed && !$0.calibration } }

    /// One paragraph a manager can read in 30 seconds.
    package var summary: String {
        let (_, missed, changes) = headline()
        var summary = "\(kpis.total.offered) contacts offered. "
        summary += changes.isEmpty ? "No significant change from last week. " : "Significant changes: \(changes.joined(separator: "; ")). "
        summary += missed.isEmpty ? (targets.isEmpty ? "" : "Every KPI with a target meets it. ") : "Missing target: \(missed.joined(separator: "; ")). "
        summary += "Critical fails: \(criticalFails.count)."
        if let sample { summary += " QA sample: \(quality.evaluations.filter(\.inSample).count) of \(sample.drawn) evaluated." }
        return summary
    }

    func markdown() throws -> String { Templates.render(page, "report.md") }
    func html() throws -> String { Templates.render(page, "report.html") }

    /// `report.json`: the status, the week's KPIs (§6 shape), trends and quality, all machine-readable.
    /// report.json: the weekly figures, and `auto_checks` (before `sample`) when a scorecard has automatic checks.
    package var json: JSONValue {
        guard let autoChecks, case .object(var fields) = figuresJSON else { return figuresJSON }
        fields.insert(("auto_checks", autoChecks.json), at: fields.count - 1)
        return .object(fields)
    }

    private var figuresJSON: JSONValue {
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
                              ("design", .string(s.design ?? "cells")),
                              ("evaluated", .int(quality.evaluations.filter(\.inSample).count)),
                              ("excluded", .object(ExclusionReason.allCases.map { ($0.rawValue, .int(s.exclusions[$0] ?? 0)) }))])
                 } ?? .null)])
    }

    /// Writes report.md, report.html and report.json (those of `formats`) into a folder, and `.status`
    /// ("draft" or "final"), which later runs read to leave a final report alone whatever its formats.
    package func write(to folder: String, formats: Set<String> = ["md", "html", "json"]) throws {
        if formats.contains("md") { try markdown().write(toFile: folder + "/report.md", atomically: true, encoding: .utf8) }
        if formats.contains("html") { try html().write(toFile: folder + "/report.html", atomically: true, encoding: .utf8) }
        if formats.contains("json") { try (json.rendered() + "\n").write(toFile: folder + "/report.json", atomically: true, encoding: .utf8) }
        try (final ? "final\n" : "draft\n").write(toFile: folder + "/.status", atomically: true, encoding: .utf8)
    }
}
