import Foundation

extension WeeklyReport {
    /// The fewest weeks a trend chart draws: fewer say nothing of a trend.
    static let minimumChartedWeeks = 3

    /// A colleague as the report names them: "Name (id)" where the roster has a name and names are
    /// allowed, the id (or label) otherwise.
    func name(_ agent: String?) -> String {
        guard let agent else { return "(none)" }
        return agentNames[agent].map { "\($0) (\(agent))" } ?? agent
    }

    /// A trend chart of a headline KPI, from the weeks with enough contacts to say something: a week
    /// with fewer than ``tooFew`` is left out (a one-contact week reads 0% or 100%); with fewer than
    /// ``minimumChartedWeeks`` weeks left, a sentence says so instead of a chart.
    func chart(_ s: KPISeries) -> ReportPage.Chart {
        let sizes = Dictionary(s.points.map { ($0.week, $0.n) }, uniquingKeysWith: { a, _ in a })
        func enough(_ week: ISOWeek) -> Bool { (sizes[week] ?? 0) >= WeeklyReport.tooFew }
        func label(_ week: ISOWeek) -> String { "W" + String(week.description.suffix(2)) }
        let points: [SVGChart.LinePoint] = s.chart.isEmpty
            ? s.points.filter { enough($0.week) }.map { SVGChart.LinePoint(label: label($0.week), value: $0.value) }
            : s.chart.filter { enough($0.week) }.map { SVGChart.LinePoint(label: label($0.week), value: $0.value, centre: $0.centre, limits: ($0.lower, $0.upper)) }
        let thin = s.points.filter { !enough($0.week) }.map(\.week.description)
        var trend = s.trend.map { $0.significant() ? ($0.s > 0 ? "significant rising trend" : "significant falling trend") : "no significant trend" } ?? (s.trendNote ?? "")
        if !s.provisionalWeeks.isEmpty {
            trend += "; \(s.provisionalWeeks.map(\.description).joined(separator: ", ")) not charted yet: provisional until the repeat window has passed"
        }
        var notes: [String] = []
        if !thin.isEmpty {
            notes.append("Left out, fewer than \(WeeklyReport.tooFew) \(s.kpi == .csat ? "responses" : "contacts"): \(thin.joined(separator: ", ")).")
        }
        let target = targets[s.kpi.rawValue]
        var svg = ""
        if points.count >= WeeklyReport.minimumChartedWeeks {
            let first = s.points.first { enough($0.week) }!.week, last = s.points.last { enough($0.week) }!.week
            svg = SVGChart.line(points, target: target, bounds: s.kpi.isRate ? 0...1 : 0...Double.greatestFiniteMagnitude,
                                format: { WeeklyReport.format(s.kpi, $0) },
                                description: "\(s.kpi.label) by week, \(first) to \(last)")
        } else {
            notes = ["Not charted: \(points.count) of the \(trends.weeks.count) weeks \(points.count == 1 ? "has" : "have") at least \(WeeklyReport.tooFew) \(s.kpi == .csat ? "responses" : "contacts"); a chart needs \(WeeklyReport.minimumChartedWeeks)."]
        }
        if s.chart.isEmpty, let why = s.chartNote, !svg.isEmpty { notes.append("No control limits: \(why).") }
        return ReportPage.Chart(kpi: s.kpi.label, svg: svg, trend: trend,
                                signals: s.signals.map { "rule \($0.rule): \($0.description) (\($0.weeks.map(\.description).joined(separator: ", ")))" },
                                note: notes.isEmpty ? nil : notes.joined(separator: " "))
    }

    /// One FCR funnel per team of two or more colleagues; by default only teams with a colleague
    /// flagged or warned (``allFunnels`` draws every team). The colleagues flagged or warned are
    /// numbered on the chart and named beside it.
    func funnelCharts() -> (charts: [ReportPage.Funnel], leftOut: String?) {
        let fcrFunnels = Dictionary(grouping: trends.funnels.filter { $0.kpi == .fcr && $0.team != nil }, by: { $0.team! })
        var charts: [ReportPage.Funnel] = []
        var quiet = 0
        for team in fcrFunnels.keys.sorted() {
            let entries = fcrFunnels[team]!.sorted { ($0.denominator, $0.agent ?? "") < ($1.denominator, $1.agent ?? "") }
            guard entries.count >= 2, let centre = entries.first?.teamRate else { continue }
            let outside = entries.filter { $0.position != .inside }
            guard allFunnels || !outside.isEmpty else {
                quiet += 1
                continue
            }
            var named: [ReportPage.Named] = []
            let points = entries.map { e -> SVGChart.FunnelPoint in
                var mark: Int?
                if e.position != .inside {
                    mark = named.count + 1
                    named.append(.init(mark: mark!, agent: name(e.agent),
                                       value: "\(e.numerator) of \(e.denominator) (\(WeeklyReport.format(.fcr, Double(e.numerator) / Double(e.denominator))))",
                                       position: e.position == .flagged ? "outside the 99.8% limits (flagged)" : "outside the 95% limits (a warning)"))
                }
                return SVGChart.FunnelPoint(label: e.agent ?? "(none)", numerator: e.numerator, denominator: e.denominator, position: e.position, mark: mark)
            }
            let svg = SVGChart.funnel(points, centre: centre, format: { WeeklyReport.format(.fcr, $0) },
                                      description: "First contact resolution of each colleague of \(team) against their contacts")
            charts.append(.init(team: team, svg: svg, rate: WeeklyReport.format(.fcr, centre), agents: entries.count, named: named, hasNamed: !named.isEmpty))
        }
        let leftOut = quiet == 0 ? nil
            : "\(quiet) other team\(quiet == 1 ? "" : "s") not drawn: every colleague inside the 95% limits."
        return (charts, leftOut)
    }

    /// A targeted (pps) sample's reviewed legs were chosen for their risk: their own mean describes
    /// them, the design-weighted score the centre. Both, side by side.
    var targetedNote: String? {
        guard sample?.design == "pps" else { return nil }
        let scored = quality.evaluations.filter { $0.inSample && !$0.calibration }.compactMap(\.score)
        guard !scored.isEmpty, let centre = qaScore else { return nil }
        return String(format: "Targeted sample: the %d reviewed legs were chosen for their risk; their own mean score is %.1f and describes them. The QA score of %.1f weights each by the inverse of its chance of being drawn and describes the whole centre.",
                      scored.count, scored.reduce(0, +) / Double(scored.count), centre.value)
    }

    var page: ReportPage {
        func rows(_ r: KPIReport, _ d: GroupDimension) -> [ReportPage.GroupRow] {
            r.groups.map { g in
                ReportPage.GroupRow(name: r.display(g.key[0], d) ?? "(none)", offered: g.kpis.offered,
                                    sl: WeeklyReport.format(.serviceLevel, g.kpis.serviceLevel.value), asa: WeeklyReport.format(.asaSeconds, g.kpis.asa.value),
                                    aht: WeeklyReport.format(.ahtSeconds, g.kpis.aht.value), fcr: WeeklyReport.format(.fcr, g.kpis.fcr.value),
                                    csat: WeeklyReport.format(.csat, g.kpis.csat.value))
            }
        }
        func qaRow(_ name: String, _ estimate: QAEstimate) -> ReportPage.QARow {
            ReportPage.QARow(name: name, score: String(format: "%.1f", estimate.value),
                             ci: estimate.ci95.map { String(format: "%.1f–%.1f", max(0, $0.lower), min(100, $0.upper)) } ?? "–",
                             n: estimate.n, df: estimate.degreesOfFreedom.map(String.init) ?? "–")
        }
        let headlineKPIs: [TrackedKPI] = [.serviceLevel, .ahtSeconds, .fcr, .abandonmentRate]
        let charts = trends.series.filter { $0.dimension == nil && headlineKPIs.contains($0.kpi) }.map(chart)
        let flagged = trends.funnels.filter { $0.position == .flagged }.map { f in
            ReportPage.Flagged(agent: name(f.agent), team: f.team ?? "(none)", kpi: f.kpi.label, value: "\(f.numerator)/\(f.denominator)",
                               teamRate: String(format: "%.1f%%", f.limits.centre * 100))
        }
        let funnels = funnelCharts()
        let overall = qaScore
        let bySource = Dictionary(grouping: ingest, by: { $0.source }).sorted(by: { $0.key < $1.key }).map { source, entries in
            ReportPage.SourceRow(source: source, files: entries.count, rows: entries.reduce(0) { $0 + $1.rowsRead },
                                 rejected: entries.reduce(0) { $0 + $1.rejected }, failed: entries.filter { $0.status != .loaded }.count)
        }
        let sameFollowUp = lastWeekSameFollowUp.map { same -> String in
            let local = kpis.period.clock.localSeconds(atUTC: same.upTo / 1000)
            let time = String(format: "%02d:%02d", Int(local % 86_400 / 3600), Int(local % 3600 / 60))
            return "First contact resolution is provisional: last week's is shown for its contacts up to \(kpis.period.clock.localDate(atUTC: same.upTo / 1000)) \(time), with repeats counted up to then — the same follow-up this week's contacts have had so far, so the two compare like with like."
        }
        // Many comparisons, some false alarms: say how many chance alone makes on a stable week.
        let changesCompared = TrackedKPI.allCases.filter { WeeklyReport.difference($0, kpis.total, $0 == .fcr ? lastWeekSameFollowUp?.set ?? lastWeek.total : lastWeek.total) != nil }.count
        let changeNote = changesCompared == 0 ? "" : String(format: "Intervals: first contact resolution's counts customers, not contacts, as the independent units (a customer who calls back often is unresolved often); the speed of answer's counts days (waits within a day move together); the others, and the week-on-week changes, assume independent contacts. A change is marked when the 95%% interval of the difference from last week excludes zero. With %d KPIs compared, a stable week shows about %.2f such marks by chance alone.", changesCompared, Double(changesCompared) * 0.05)
        let tested = trends.series.filter { $0.dimension == nil && headlineKPIs.contains($0.kpi) && $0.trend != nil }.count
        let trendNote = tested == 0 ? "" : String(format: "Each trend is a Mann–Kendall test at the 5%% level: over these %d charts a stable history shows about %.2f trend calls by chance. A chart's Western Electric rules 1–4 signal in at most %.1f%% of stable weeks for a rate and %.1f%% for a mean: their limits come from the 12 weeks before, themselves noisy.", tested, Double(tested) * 0.05, 100 * ControlChart.stableSignalRate(rate: true), 100 * ControlChart.stableSignalRate(rate: false))
        // What chance alone may put on the flagged list: at most 0.2% of the comparisons made (each
        // colleague with enough contacts, per KPI) — a bound the seeded simulation of docs/trends.md holds to.
        let compared = trends.funnels.filter { $0.denominator >= FunnelLimits.minimumVolume }.count
        // Critical fails reach the report: every one, by team, with the agent (a label where names are hidden).
        let criticalByTeam = Dictionary(grouping: criticalFails, by: { $0.team ?? "(no team)" }).sorted { $0.key < $1.key }.map { team, members in
            ReportPage.CriticalTeam(team: team, count: members.count, agents: members.map { "\(name($0.agent)): \($0.evaluationID)" }.joined(separator: "; "))
        }
        let p = kpis.parameters
        let channelsSeen = Set(byChannel.groups.compactMap { byChannel.display($0.key[0], .channel) })
        let nps = kpis.total.nps
        let escalation = kpis.total.escalationRate
        // Targets from history only when there is history: at least 8 earlier weeks with a value.
        let baselines = trends.baselines.compactMap { b -> ReportPage.BaselineRow? in
            let history = (trends.series.first { $0.dimension == nil && $0.kpi == b.kpi }?.points.count ?? 0) - 1
            guard history >= 8, b.baseline != nil || b.topQuartileAgents != nil else { return nil }
            return .init(kpi: b.kpi.label, baseline: WeeklyReport.format(b.kpi, b.baseline), top: WeeklyReport.format(b.kpi, b.topQuartileAgents),
                         improved: WeeklyReport.format(b.kpi, b.improved))
        }
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
        let waiting = final ? [] : (readiness?.reasons ?? [])
        let evaluated = quality.evaluations.filter(\.inSample).count
        let plural = agentsNotInRoster.count == 1
        return ReportPage(
            week: week.description, from: kpis.period.from.description, to: kpis.period.to.description,
            timezone: kpis.period.clock.identifier, asOf: asOf.description,
            status: final ? (revisions.isEmpty ? "final" : "final, revised") : "draft",
            revisions: revisions.map(\.sentence), provisional: kpis.provisional, sameFollowUp: sameFollowUp,
            offered: kpis.total.offered, empty: kpis.total.offered == 0, waiting: waiting, hasWaiting: !waiting.isEmpty,
            summary: summary, headline: headline().rows,
            thresholds: Channel.allCases.filter { channelsSeen.contains($0.rawValue) }
                .map { "\($0.rawValue) \(WeeklyReport.duration(p.serviceLevelThreshold(for: $0)))" }.joined(separator: ", "),
            nps: nps.value.map { v in
                String(format: "%.0f", v) + (nps.ci95.map { String(format: " (95%% CI %.0f to %.0f)", $0.lower, $0.upper) } ?? "") + " from \(nps.responses) responses"
            } ?? "no responses",
            escalations: "\(escalation.numerator) of \(escalation.denominator) handled" + (escalation.value.map { String(format: " (%.1f%%)", $0 * 100) } ?? ""),
            changeNote: changeNote,
            historyWeeks: trends.weeks.count, charts: charts, hasCharts: !charts.isEmpty, trendNote: trendNote,
            minimumWeekSize: WeeklyReport.tooFew,
            groupTables: [
                .init(dimension: "team", note: nil, showASA: false, rows: rows(byTeam, .team)),
                .init(dimension: "queue", note: nil, showASA: false, rows: rows(byQueue, .queue)),
                .init(dimension: "channel", note: "Speed of answer and handle time are best read per channel: an e-mail's reply takes hours where a call's answer takes seconds.",
                      showASA: true, rows: rows(byChannel, .channel)),
            ],
            flagged: flagged, hasFlagged: !flagged.isEmpty,
            expectedFalseFlags: String(format: "%.2f", Double(compared) * 2 * FunnelLimits.flagTail), funnelCount: compared,
            funnels: funnels.charts, funnelsLeftOut: funnels.leftOut,
            surges: trends.surges.map { .init(reason: $0.reason, volume: $0.volume, share: String(format: "%.1f%%", $0.share * 100), since: $0.firstWeek.description) },
            evaluations: quality.evaluations.count, inSample: evaluated,
            targeted: targetedNote,
            qaScore: overall.map { String(format: "%.1f", $0.value) } ?? "–",
            // A QA score lies in 0–100: an interval end beyond is shown at the bound (JSON keeps it as computed).
            qaCI: overall.flatMap { o in
                o.ci95.map { String(format: "%.1f–%.1f", max(0, $0.lower), min(100, $0.upper)) + (o.degreesOfFreedom.map { ", \($0) df" } ?? "") }
            } ?? "–",
            qaTeams: qualityByTeam.map { qaRow($0.team ?? "(no team)", $0.estimate) }, hasQATeams: !qualityByTeam.isEmpty,
            qaAgents: quality.groups.map { qaRow(name($0.key), $0.estimate) }, hasQAAgents: !quality.groups.isEmpty,
            criticalCount: criticalFails.count, feedback: feedbackLine, hasFeedback: feedback != nil,
            autoChecks: autoChecks?.checks.map(\.line) ?? [], hasAutoChecks: autoChecks != nil, criticalByTeam: criticalByTeam,
            sample: sample.map { s in
                .init(frame: s.frameUnits, requested: s.requested, drawn: s.drawn, evaluated: evaluated,
                      coverage: s.drawn == 0 ? "–" : String(format: "%.0f%%", Double(evaluated) / Double(s.drawn) * 100),
                      noNotice: s.exclusions[.noMonitoringNotice] ?? 0, unacknowledged: s.exclusions[.unacknowledgedAgent] ?? 0,
                      alreadyEvaluated: s.exclusions[.alreadyEvaluated] ?? 0,
                      evaluators: s.assigned.keys.sorted().map { evaluator in
                          let done = Set(quality.evaluations.filter { $0.evaluator == evaluator }.map { "\($0.interactionID)|\($0.leg)" })
                          let asked = s.assigned[evaluator] ?? []
                          return "\(evaluator) \(asked.filter(done.contains).count) of \(asked.count)"
                      }.joined(separator: ", "),
                      hasEvaluators: !s.assigned.isEmpty)
            },
            weakest: criteria.prefix(3).map { .init(label: $0.label, share: String(format: "%.0f%%", $0.share * 100), atTarget: $0.atTarget, ratings: $0.ratings) },
            hasCriteria: !criteria.isEmpty,
            alpha: quality.alpha.map { .init(criterion: $0.criterion, value: $0.value.map { String(format: "%.2f", $0) } ?? "–") },
            validation: trends.validation.filter { $0.name.hasPrefix("agents") }.map { v -> String in
                guard let c = v.correlation else { return "\(v.name): \(v.note ?? "not enough data")" }
                return String(format: "%@: Spearman ρ %.2f over %d colleagues", v.name, c.rho, c.n) + (c.p.map { String(format: ", p = %.3f", $0) } ?? "")
            },
            evaluators: quality.evaluators.map { e in
                .init(evaluator: e.evaluator, deviation: String(format: "%+.1f", e.meanDeviation), n: e.n == 1 ? "1 leg" : "\(e.n) legs",
                      drifting: e.drifting ? " — drifting" : "")
            },
            hasEvaluators: !quality.evaluators.isEmpty,
            plansDue: plansDue.map { "\(name($0.agent)): \($0.action) (\($0.criterion)), review by \($0.reviewBy)" }, hasPlansDue: !plansDue.isEmpty,
            baselines: baselines, hasBaselines: !baselines.isEmpty,
            ingest: bySource,
            gaps: (readiness?.gaps ?? []).map { "\($0.source): no contacts on \($0.day)" },
            future: readiness?.futureNotes ?? [],
            notInRoster: agentsNotInRoster.isEmpty ? [] : ["\(agentsNotInRoster.count) agent\(plural ? "" : "s") handled contacts but \(plural ? "is" : "are") missing from the roster (no team, name or monitoring acknowledgement on record): \(agentsNotInRoster.joined(separator: ", "))"],
            monitoringNotice: monitoringNotice,
            rejectedFiles: notLoaded.reversed().map { .init(file: $0.file, source: $0.source, date: String($0.startedAt.prefix(10)), reason: $0.message ?? $0.status.rawValue) },
            consistency: trends.consistency.map { .init(check: $0.name, count: $0.count) })
    }
}

extension WeeklyReport {
    /// "packs acknowledged: Team A 2 of 3, …; disputed: Team A 1 of 6 evaluations (1 overturned), …;
    /// overturned by first evaluator: Q1 1" — empty when the site records neither.
    var feedbackLine: String {
        guard let feedback else { return "" }
        let teams = feedback.byTeam
        var parts = ["packs acknowledged: " + teams.map { "\($0.team) \($0.acknowledged) of \($0.packs)" }.joined(separator: ", "),
                     "disputed: " + teams.map { t in
                         "\(t.team) \(t.disputed) of \(t.evaluations) evaluation\(t.evaluations == 1 ? "" : "s")" + (t.overturned > 0 ? " (\(t.overturned) overturned)" : "")
                     }.joined(separator: ", ")]
        if feedback.open > 0 { parts.append("\(feedback.open) dispute\(feedback.open == 1 ? "" : "s") waiting for re-evaluation") }
        let overturned = feedback.overturnedByEvaluator
        if !overturned.isEmpty { parts.append("overturned by first evaluator: " + overturned.map { "\($0.evaluator) \($0.count)" }.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }
}
