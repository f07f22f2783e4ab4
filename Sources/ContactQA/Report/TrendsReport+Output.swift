import Foundation

extension TrendsReport {
    /// `contactqa trends --format json`: one object, keys in a fixed order (docs/cli.md).
    package var json: JSONValue {
        .object([
            ("week", .string(week.description)),
            ("weeks", .array(weeks.map { .string($0.description) })),
            ("parameters", .object([("history_weeks", .int(weeks.count)), ("alpha", .double(0.05)),
                                    ("funnel_flag", .string("99.8%, exact binomial, against the rest of the team")), ("funnel_warning", .string("95%")),
                                    ("funnel_minimum_volume", .int(FunnelLimits.minimumVolume)),
                                    ("fcr_window_days", .int(parameters.fcrWindowDays))])),
            ("series", .array(series.map(TrendsReport.seriesJSON))),
            ("funnels", .array(funnels.map { f in
                .object([("kpi", .string(f.kpi.rawValue)), ("team", .text(f.team)), ("agent", .text(f.agent)),
                         ("numerator", .int(f.numerator)), ("denominator", .int(f.denominator)),
                         ("value", .double(Double(f.numerator) / Double(f.denominator))), ("team_rate", .double(f.teamRate)),
                         ("rest_of_team_rate", .double(f.limits.centre)), ("false_flag_probability", .double(f.limits.falseFlagProbability)),
                         ("warning", .array([.double(f.limits.warning.lower), .double(f.limits.warning.upper)])),
                         ("flag", .array([.double(f.limits.flag.lower), .double(f.limits.flag.upper)])),
                         ("position", .string(f.position.rawValue))])
            })),
            ("surges", .array(surges.map { s in
                .object([("reason", .string(s.reason)), ("week", .string(s.week.description)), ("first_week", .string(s.firstWeek.description)),
                         ("volume", .int(s.volume)), ("share", .double(s.share)), ("upper_limit", .double(s.upperLimit))])
            })),
            ("time_pattern", .array(timePattern.map { g in
                .object([("dow", g.key[0].flatMap { if case .integer(let n) = $0 { JSONValue.int(Int(n)) } else { nil } } ?? .null),
                         ("hour", g.key[1].flatMap { if case .integer(let n) = $0 { JSONValue.int(Int(n)) } else { nil } } ?? .null),
                         ("offered", .int(g.kpis.offered)), ("service_level", .number(g.kpis.serviceLevel.value)),
                         ("aht_s", .number(g.kpis.aht.value))])
            })),
            ("consistency", .array(consistency.map { c in
                .object([("check", .string(c.name)), ("count", .int(c.count)), ("examples", .array(c.examples.map(JSONValue.string)))])
            })),
            ("validation", .array(validation.map { v in
                .object([("name", .string(v.name)), ("spearman_rho", .number(v.correlation?.rho)), ("n", .int(v.correlation?.n ?? 0)),
                         ("p", .number(v.correlation?.p)), ("note", .text(v.note))])
            })),
            ("baselines", .array(baselines.map { b in
                .object([("kpi", .string(b.kpi.rawValue)), ("baseline", .number(b.baseline)),
                         ("top_quartile_agents", .number(b.topQuartileAgents)), ("baseline_improved", .number(b.improved))])
            })),
        ])
    }

    static func seriesJSON(_ s: KPISeries) -> JSONValue {
        var trend: JSONValue = .null
        if let t = s.trend {
            trend = .object([("n", .int(t.n)), ("s", .int(t.s)), ("var_s", .double(t.variance)), ("z", .double(t.z)), ("p", .double(t.p)),
                             ("theil_sen_slope_per_week", .double(t.slope)), ("significant", .bool(t.significant())),
                             ("direction", .string(!t.significant() ? "none" : t.s > 0 ? "increasing" : "decreasing"))])
        }
        return .object([
            ("kpi", .string(s.kpi.rawValue)), ("group_by", .text(s.dimension?.rawValue)), ("group", .text(s.group)),
            ("points", .array(s.points.map { .object([("week", .string($0.week.description)), ("value", .double($0.value)), ("n", .int($0.n))]) })),
            ("trend", trend), ("trend_note", .text(s.trendNote)),
            ("chart", .array(s.chart.map { p in
                .object([("week", .string(p.week.description)), ("value", .double(p.value)), ("centre", .double(p.centre)),
                         ("lower", .double(p.lower)), ("upper", .double(p.upper))])
            })),
            ("chart_note", .text(s.chartNote)),
            ("provisional_weeks_left_out", .array(s.provisionalWeeks.map { .string($0.description) })),
            ("signals", .array(s.signals.map { .object([("rule", .int($0.rule)), ("weeks", .array($0.weeks.map { .string($0.description) })),
                                                        ("description", .string($0.description))]) })),
        ])
    }

    /// A short table for the terminal: what changed, and only what is significant.
    package var table: String {
        var out = "Trends for \(week) over \(weeks.count) weeks (\(weeks.first!)…\(weeks.last!))\n"
        let totals = series.filter { $0.dimension == nil }
        out += "\nKPI                now        baseline   trend\n"
        for s in totals {
            let now = s.points.last.map { format(s.kpi, $0.value) } ?? "-"
            let baseline = baselines.first { $0.kpi == s.kpi }?.baseline.map { format(s.kpi, $0) } ?? "-"
            let trend = s.trend.map { t in t.significant() ? "\(t.s > 0 ? "rising" : "falling") (p = \(String(format: "%.3f", t.p)))" : "no significant trend" } ?? (s.trendNote ?? "")
            out += s.kpi.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + now.padding(toLength: 10, withPad: " ", startingAt: 0)
                + " " + baseline.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + trend + "\n"
        }
        let signals = series.flatMap { s in s.signals.map { (s, $0) } }
        out += "\nControl-chart signals: \(signals.isEmpty ? "none" : "")\n"
        for (s, signal) in signals {
            out += "- \(s.kpi.rawValue)\(s.group.map { " (\(s.dimension!.rawValue) \($0))" } ?? ""): rule \(signal.rule), \(signal.description), weeks \(signal.weeks.map(\.description).joined(separator: ", "))\n"
        }
        let flagged = funnels.filter { $0.position == .flagged }
        out += "\nAgents outside their team's 99.8% funnel: \(flagged.isEmpty ? "none" : "")\n"
        for f in flagged {
            out += "- \(f.agent ?? "(none)") (\(f.team ?? "(none)")): \(f.kpi.rawValue) \(f.numerator)/\(f.denominator) against the rest of the team's \(String(format: "%.1f%%", f.limits.centre * 100))\n"
        }
        out += "\nContact-reason surges: \(surges.isEmpty ? "none" : "")\n"
        for s in surges { out += "- \(s.reason): \(s.volume) contacts, \(String(format: "%.1f%%", s.share * 100)) of the week, since \(s.firstWeek)\n" }
        out += "\nData consistency:\n"
        for c in consistency { out += "- \(c.name): \(c.count)\(c.examples.isEmpty ? "" : " (e.g. \(c.examples.joined(separator: ", ")))")\n" }
        return out
    }

    private func format(_ kpi: TrackedKPI, _ v: Double) -> String {
        kpi.isRate ? String(format: "%.1f%%", v * 100) : String(format: "%.0f s", v)
    }
}
