import Foundation

extension KPIReport {
    /// The `kpis --format json` document of DESIGN.md §6.
    package var json: JSONValue {
        .object([
            ("period", .object([
                ("from", .string(period.from.description)),
                ("to", .string(period.to.description)),
                ("timezone", .string(period.clock.identifier)),
                ("provisional", .bool(provisional)),
            ])),
            ("parameters", parametersJSON),
            ("group_by", .array(groupBy.map { .string($0.rawValue) })),
            ("groups", .array(groups.map { group in
                .object([("key", keyJSON(group.key)), ("provisional", .bool(isProvisional(group))), ("kpis", KPIReport.kpisJSON(group.kpis))])
            })),
            ("total", .object([("kpis", KPIReport.kpisJSON(total))])),
        ])
    }

    var parametersJSON: JSONValue {
        .object([
            ("as_of", .string(asOf.description)),
            ("short_abandon_s", .double(parameters.shortAbandonSeconds)),
            ("service_level_s", .object(Channel.allCases.map { ($0.rawValue, .double(parameters.serviceLevelThreshold(for: $0))) })),
            ("fcr", .object([("method", .string(parameters.fcrMethod.rawValue)), ("window_days", .int(parameters.fcrWindowDays)),
                             ("match", .string(parameters.fcrMatch.rawValue))]
                            + (parameters.followUpBeforeUTC.map { [("repeats_before_utc_ms", JSONValue.int(Int($0)))] } ?? []))),
            ("csat_top_boxes", parameters.csatTopBoxes.map { .int($0) } ?? .string("auto: 2 on scales of 4 or more points, 1 on 2 or 3")),
            ("quantiles", .string("hyndman-fan type 7")),
            ("ci", .string("95%: Wilson for rates, Student t for means")),
        ])
    }

    func keyJSON(_ key: [GroupValue?]) -> JSONValue {
        .object(zip(groupBy, key).map { dimension, value in
            switch (dimension, value) {
            case (.hour, .integer(let n)?), (.dow, .integer(let n)?): (dimension.rawValue, .int(Int(n)))
            default: (dimension.rawValue, .text(display(value, dimension)))
            }
        })
    }

    static func rateJSON(_ r: RateEstimate) -> JSONValue {
        .object([
            ("value", .number(r.value)), ("numerator", .int(r.numerator)), ("denominator", .int(r.denominator)),
            ("ci95", r.ci95.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null),
        ])
    }

    static func meanJSON(_ m: MeanEstimate, extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([
            ("value", .number(m.value)), ("n", .int(m.n)),
            ("ci95", m.ci95.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null),
        ] + extra)
    }

    static func kpisJSON(_ k: KPISet) -> JSONValue {
        .object([
            ("offered", .int(k.offered)), ("handled", .int(k.handled)), ("abandoned", .int(k.abandoned)),
            ("short_abandoned", .int(k.shortAbandoned)), ("transferred", .int(k.transferred)), ("escalated", .int(k.escalated)),
            ("abandonment_rate", rateJSON(k.abandonmentRate)), ("service_level", rateJSON(k.serviceLevel)),
            ("transfer_rate", rateJSON(k.transferRate)), ("escalation_rate", rateJSON(k.escalationRate)),
            ("fcr", rateJSON(k.fcr)), ("repeat_contact_rate", rateJSON(k.repeatContactRate)), ("csat", rateJSON(k.csat)),
            ("asa_s", meanJSON(k.asa)), ("csat_mean", meanJSON(k.csatMean)),
            ("aht_s", meanJSON(k.aht, extra: [("median", .number(k.ahtMedian)), ("p90", .number(k.ahtP90))])),
            ("nps", .object([
                ("value", .number(k.nps.value)), ("responses", .int(k.nps.responses)),
                ("promoters", .int(k.nps.promoters)), ("detractors", .int(k.nps.detractors)),
                ("ci95", k.nps.ci95.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null),
            ])),
        ])
    }

    /// Columns of `kpis --format csv`, after one column per grouping dimension (docs/cli.md).
    static let csvColumns: [String] = {
        var columns = ["offered", "handled", "abandoned", "short_abandoned", "transferred", "escalated"]
        for rate in ["abandonment_rate", "service_level", "transfer_rate", "escalation_rate", "fcr", "repeat_contact_rate", "csat"] {
            columns += [rate, "\(rate)_numerator", "\(rate)_denominator", "\(rate)_ci95_lo", "\(rate)_ci95_hi"]
        }
        for mean in ["asa_s", "csat_mean", "aht_s"] {
            columns += [mean, "\(mean)_n", "\(mean)_ci95_lo", "\(mean)_ci95_hi"]
        }
        return columns + ["aht_s_median", "aht_s_p90", "nps", "nps_responses", "nps_promoters", "nps_detractors"]
    }()

    /// The parameters in one line: `as_of=2026-11-30; short_abandon_s=5; service_level_s=voice:20,…; fcr=…`.
    var parameterSummary: String {
        let levels = Channel.allCases.map { "\($0.rawValue):\(JSONValue.double(parameters.serviceLevelThreshold(for: $0)).rendered())" }
        return "as_of=\(asOf); short_abandon_s=\(JSONValue.double(parameters.shortAbandonSeconds).rendered()); service_level_s=\(levels.joined(separator: ","))"
            + "; fcr=\(parameters.fcrMethod.rawValue),window_days:\(parameters.fcrWindowDays),match:\(parameters.fcrMatch.rawValue)"
            + "; csat_top_boxes=\(parameters.csatTopBoxes.map(String.init) ?? "auto")"
    }

    /// One row per group then a `total` row; empty cells for unknown values; the period, the
    /// parameters and the provisional flag in leading columns.
    package var csv: String {
        var lines = [CSVText.line(["from", "to", "timezone", "parameters", "provisional"] + groupBy.map(\.rawValue) + KPIReport.csvColumns)]
        let lead = [period.from.description, period.to.description, period.clock.identifier, parameterSummary]
        for group in groups {
            let key = zip(groupBy, group.key).map { display($1, $0) ?? "" }
            lines.append(CSVText.line(lead + [String(isProvisional(group))] + key + KPIReport.csvCells(group.kpis)))
        }
        let totalKey = groupBy.isEmpty ? [] : ["total"] + Array(repeating: "", count: groupBy.count - 1)
        lines.append(CSVText.line(lead + [String(provisional)] + totalKey + KPIReport.csvCells(total)))
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvCells(_ k: KPISet) -> [String] {
        func n(_ d: Double?) -> String { d.map { JSONValue.double($0).rendered() } ?? "" }
        var cells = [k.offered, k.handled, k.abandoned, k.shortAbandoned, k.transferred, k.escalated].map(String.init)
        for rate in [k.abandonmentRate, k.serviceLevel, k.transferRate, k.escalationRate, k.fcr, k.repeatContactRate, k.csat] {
            cells += [n(rate.value), String(rate.numerator), String(rate.denominator), n(rate.ci95?.lower), n(rate.ci95?.upper)]
        }
        for mean in [k.asa, k.csatMean, k.aht] {
            cells += [n(mean.value), String(mean.n), n(mean.ci95?.lower), n(mean.ci95?.upper)]
        }
        return cells + [n(k.ahtMedian), n(k.ahtP90), n(k.nps.value), String(k.nps.responses), String(k.nps.promoters), String(k.nps.detractors)]
    }

    /// An aligned table for the terminal: rates as percentages with their 95% interval.
    package var table: String {
        let headers = groupBy.map(\.rawValue) + ["offered", "handled", "aband", "short", "aband_rate", "service_level", "asa_s", "aht_s", "aht_med", "aht_p90", "transfer", "fcr", "csat", "nps"]
        var rows: [[String]] = groups.map { group in zip(groupBy, group.key).map { display($1, $0) ?? "(none)" } + KPIReport.tableCells(group.kpis) }
        rows.append((groupBy.isEmpty ? [] : ["TOTAL"] + Array(repeating: "", count: groupBy.count - 1)) + KPIReport.tableCells(total))
        let widths = headers.indices.map { i in max(headers[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return i < groupBy.count ? cell + padding : padding + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = "Period \(period.from) to \(period.to) (\(period.clock.identifier))"
        out += provisional ? ", provisional: FCR can change until \(period.to.adding(days: parameters.fcrWindowDays + 1))\n" : "\n"
        out += "Parameters: \(parameterSummary)\n"
        out += render(headers) + "\n" + render(widths.map { String(repeating: "-", count: $0) }) + "\n"
        out += rows.map(render).joined(separator: "\n") + "\n"
        return out
    }

    static func tableCells(_ k: KPISet) -> [String] {
        func pct(_ r: RateEstimate) -> String {
            guard let v = r.value, let ci = r.ci95 else { return "-" }
            return String(format: "%.1f%% [%.0f–%.0f]", v * 100, ci.lower * 100, ci.upper * 100)
        }
        func secs(_ d: Double?) -> String { d.map { String(format: "%.0f", $0) } ?? "-" }
        return [String(k.offered), String(k.handled), String(k.abandoned), String(k.shortAbandoned),
                pct(k.abandonmentRate), pct(k.serviceLevel), secs(k.asa.value), secs(k.aht.value), secs(k.ahtMedian), secs(k.ahtP90),
                pct(k.transferRate), pct(k.fcr), pct(k.csat), k.nps.value.map { String(format: "%.0f", $0) } ?? "-"]
    }
}
