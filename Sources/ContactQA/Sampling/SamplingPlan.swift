import Crypto
import Foundation

/// A sampling plan (DESIGN.md §4): which handled legs form the frame, how it is stratified, how many
/// units to draw and how, from which seed.
package struct SamplingPlan: Sendable, Equatable {
    /// A field a frame unit can be stratified on.
    package enum StratumField: String, Sendable, CaseIterable, Comparable {
        case channel, team, agent, queue, direction, reason
        /// The leg's band of risk (low, medium, high) from its size measure under the plan's `risk:` weights.
        case riskBand = "risk_band"

        package static func < (a: StratumField, b: StratumField) -> Bool { a.rawValue < b.rawValue }
    }

    package enum Size: Sendable, Equatable {
        /// A fixed total n.
        case fixed(Int)
        /// Cochran's n for a proportion: margin of error e in (0, 1), confidence, anticipated p.
        case proportion(marginOfError: Double, confidence: Double, p: Double)
        /// Cochran's n for a mean: margin of error in score points (> 0), confidence, standard deviation.
        case mean(marginOfError: Double, confidence: Double, sd: Double)
        /// Poisson sampling: every unit with u < rate.
        case rate(Double)
    }

    enum Allocation: String, Sendable, CaseIterable { case proportional, equal, neyman }

    enum Method: String, Sendable, CaseIterable { case fixed, poisson }

    package var name: String
    var channels: [String]?
    var queues: [String]?
    var teams: [String]?
    var direction: String?
    var minHandleSeconds: Double?
    var excludeNoMonitoringNotice = true
    var excludeUnacknowledgedAgents = true
    var excludeAlreadyEvaluated = true
    /// Contacts whose monitoring notice is unknown are excluded too (notice given per contact, not
    /// announced to every caller). Set from the pipeline's `privacy.monitoring_notice: per_contact`.
    var excludeUnknownNotice = false
    var strata: [StratumField] = []
    package var size: Size
    var allocation = Allocation.proportional
    /// For Neyman allocation: the standard deviation of each stratum, by stratum label.
    var stratumSD: [String: Double] = [:]
    var perAgentMin: Int?
    var perAgentMax: Int?
    var method = Method.fixed
    package var seed: UInt64
    /// How many days after a week's final report its evaluations are awaited: late ones revise the
    /// report's quality section until then. Not part of the draw (nor of the fingerprint).
    var evaluateWithinDays = 14
    /// The share of each evaluator's assignments scored a second time by another evaluator, for
    /// calibration (``AssignmentPlan``). Not part of the draw (nor of the fingerprint).
    package var calibrationShare = 0.0
    /// `release: daily`: each day's units drawn the morning after, by Poisson sampling with the week's
    /// inclusion probabilities (``DailyRelease``); `weekly` (the default) draws the complete week once.
    var release = Release.weekly
    /// Inclusion probability per stratum label for Poisson sampling, overriding `size.rate`: what a daily
    /// release records in each day's plan, so that anyone can re-derive the day's sample.
    var stratumRates: [String: Double] = [:]

    enum Release: String, Sendable { case weekly, daily }

    /// `design: cells` (the default): fixed sizes or rates per stratum cell. `design: pps`: Poisson
    /// sampling with each leg's inclusion probability proportional to its risk (``RiskWeights``).
    enum Design: String, Sendable { case cells, pps }
    var design = Design.cells
    /// The weights of the risk signals, for `design: pps`.
    var risk = RiskWeights()
    /// The weights the frame's risk signals are read with, when the design or the strata use them.
    var riskSignals: RiskWeights? { design == .pps || strata.contains(.riskBand) ? risk : nil }
    /// The least inclusion probability of a leg under `design: pps`.
    var piMin = 0.02

    package init(name: String, size: Size, seed: UInt64) {
        self.name = name
        self.size = size
        self.seed = seed
    }

    static let topKeys = ["name", "frame", "strata", "size", "allocation", "stratum_sd", "per_agent", "method", "seed", "evaluate_within_days",
                          "release", "stratum_rates", "design", "risk", "pi_min", "calibration_share"]

    package static func load(file: String) throws -> SamplingPlan {
        try parse(ConfigNode.load(file: file))
    }

    package static func parse(yaml: String, file: String) throws -> SamplingPlan {
        try parse(ConfigNode.parse(yaml, file: file))
    }

    static func parse(_ root: ConfigNode) throws -> SamplingPlan {
        let top = try root.dictionary(allowed: topKeys)
        guard let sizeNode = top["size"] else { throw root.error("a plan needs `size:` ({n: 200}, {margin_of_error, confidence, proportion|sd} or {rate})") }
        guard let seedNode = top["seed"] else { throw root.error("a plan needs `seed:` so that anyone can re-draw its samples") }
        guard let seed = UInt64(try seedNode.string()) else { throw seedNode.error("the seed is a whole number ≥ 0") }
        var plan = SamplingPlan(name: try top["name"]?.string() ?? "plan", size: try parseSize(sizeNode), seed: seed)
        if let node = top["evaluate_within_days"] {
            let days = try node.int()
            guard (0...365).contains(days) else { throw node.error("evaluate_within_days is 0 to 365") }
            plan.evaluateWithinDays = days
        }
        if let node = top["calibration_share"] {
            let share = try node.double()
            guard share >= 0, share <= 1 else { throw node.error("calibration_share lies in 0–1: the share of each evaluator's assignments scored twice") }
            plan.calibrationShare = share
        }
        if let node = top["release"] {
            guard let release = Release(rawValue: try node.string()) else { throw node.error("release is weekly or daily") }
            plan.release = release
        }
        if let node = top["stratum_rates"] {
            for (key, value) in try node.entries() {
                let rate = try value.double()
                guard rate > 0, rate <= 1 else { throw value.error("an inclusion probability lies in (0, 1]") }
                plan.stratumRates[key] = rate
            }
        }
        if let frame = try top["frame"]?.dictionary(allowed: ["channels", "queues", "teams", "direction", "min_handle_s", "exclude"]) {
            if let node = frame["channels"] {
                let channels = try node.stringList()
                for c in channels where Channel(rawValue: c) == nil {
                    throw node.error("unknown channel \"\(c)\"; use \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                plan.channels = channels
            }
            plan.queues = try frame["queues"]?.stringList()
            plan.teams = try frame["teams"]?.stringList()
            if let node = frame["direction"] {
                let d = try node.string()
                guard Direction(rawValue: d) != nil else { throw node.error("direction is inbound or outbound") }
                plan.direction = d
            }
            if let node = frame["min_handle_s"] {
                let v = try node.double()
                guard v >= 0 else { throw node.error("min_handle_s must not be negative") }
                plan.minHandleSeconds = v
            }
            if let exclude = try frame["exclude"]?.dictionary(allowed: ["no_monitoring_notice", "unacknowledged_agents", "already_evaluated",
                                                                      "unknown_monitoring_notice"]) {
                plan.excludeUnknownNotice = try exclude["unknown_monitoring_notice"]?.bool() ?? false
                if let node = exclude["no_monitoring_notice"] {
                    guard try node.bool() else { throw node.error("contacts without monitoring notice are never sampled; this exclusion cannot be turned off") }
                }
                plan.excludeUnacknowledgedAgents = try exclude["unacknowledged_agents"]?.bool() ?? true
                plan.excludeAlreadyEvaluated = try exclude["already_evaluated"]?.bool() ?? true
            }
        }
        if let node = top["strata"] {
            plan.strata = try node.stringList().map { name in
                guard let field = StratumField(rawValue: name) else {
                    let hint = closest(name, in: StratumField.allCases.map(\.rawValue)).map { " (did you mean \"\($0)\"?)" } ?? ""
                    throw node.error("cannot stratify on \"\(name)\"\(hint); use \(StratumField.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return field
            }
            if Set(plan.strata).count != plan.strata.count { throw node.error("a stratum field is named twice") }
        }
        if let node = top["allocation"] {
            guard let a = Allocation(rawValue: try node.string()) else { throw node.error("allocation is proportional, equal or neyman") }
            plan.allocation = a
        }
        if let node = top["stratum_sd"] {
            for (key, value) in try node.entries() {
                let sd = try value.double()
                guard sd > 0, sd <= 1e6 else { throw value.error("a standard deviation lies in (0, 1000000]") }
                plan.stratumSD[key] = sd
            }
        }
        if plan.allocation == .neyman, plan.stratumSD.isEmpty {
            throw (top["allocation"] ?? root).error("neyman allocation needs `stratum_sd:` (the standard deviation of each stratum, by its label)")
        }
        if let perAgent = try top["per_agent"]?.dictionary(allowed: ["min", "max"]) {
            plan.perAgentMin = try perAgent["min"]?.int()
            plan.perAgentMax = try perAgent["max"]?.int()
            if let lo = plan.perAgentMin, lo < 0 { throw perAgent["min"]!.error("the minimum per agent must not be negative") }
            if let hi = plan.perAgentMax, hi < 1 { throw perAgent["max"]!.error("the cap per agent must be at least 1") }
            if let lo = plan.perAgentMin, let hi = plan.perAgentMax, lo > hi { throw perAgent["min"]!.error("the minimum per agent (\(lo)) is above the cap (\(hi))") }
        }
        if let node = top["method"] {
            guard let m = Method(rawValue: try node.string()) else { throw node.error("method is fixed or poisson") }
            plan.method = m
        }
        if plan.release == .daily, plan.perAgentMin != nil || plan.perAgentMax != nil {
            throw (top["per_agent"] ?? root).error("per_agent cannot be kept with release: daily (each day's units are drawn by Poisson sampling, not in fixed numbers per agent)")
        }
        if let node = top["design"] {
            guard let design = Design(rawValue: try node.string()) else { throw node.error("design is cells or pps") }
            plan.design = design
        }
        if plan.design == .pps {
            // Risk-targeted Poisson sampling: the size is the expected number of legs drawn.
            if case .rate = plan.size { throw sizeNode.error("design pps takes the expected size as `n` or from a margin of error, not a rate") }
            if plan.perAgentMin != nil || plan.perAgentMax != nil { throw (top["per_agent"] ?? root).error("per_agent cannot be kept with design: pps (legs are drawn by Poisson sampling)") }
            if plan.release == .daily { throw (top["release"] ?? root).error("release: daily is not available with design: pps yet") }
            if let node = top["method"], try node.string() != "poisson" { throw node.error("design pps draws by Poisson sampling: leave method out or write poisson") }
            plan.method = .poisson
            if let node = top["pi_min"] {
                let value = try node.double()
                guard value > 0, value <= 1 else { throw node.error("pi_min lies in (0, 1]: every leg must keep a chance to be drawn") }
                plan.piMin = value
            }
        }
        if plan.design == .pps || plan.strata.contains(.riskBand) {
            if let risk = try top["risk"]?.dictionary(allowed: RiskWeights.keys) {
                func weight(_ key: String, _ path: WritableKeyPath<RiskWeights, Double>, range: ClosedRange<Double>) throws {
                    guard let node = risk[key] else { return }
                    let value = try node.double()
                    guard range.contains(value) else { throw node.error("\(key) lies in \(range.lowerBound)–\(range.upperBound)") }
                    plan.risk[keyPath: path] = value
                }
                try weight("repeat", \.repeatContact, range: 0...100)
                try weight("transfer", \.transfer, range: 0...100)
                try weight("low_csat", \.lowCSAT, range: 0...100)
                try weight("detractor", \.detractor, range: 0...100)
                try weight("escalation", \.escalation, range: 0...100)
                try weight("long_hold", \.longHold, range: 0...100)
                try weight("long_handle", \.longHandle, range: 0...100)
                try weight("hold_s", \.holdSeconds, range: 0...86_400)
                try weight("handle_ratio", \.handleRatio, range: 1...100)
                try weight("high_from", \.highFrom, range: 1...1000)
                try weight("negative_sentiment", \.negativeSentiment, range: 0...100)
                try weight("end_sentiment_below", \.endSentimentBelow, range: -5...5)
                try weight("auto_check_failed", \.autoCheckFailed, range: 0...100)
                if let node = risk["high_from"], !plan.strata.contains(.riskBand) {
                    throw node.error("high_from sets the high risk band: it goes with `strata: [risk_band]`")
                }
                if let node = risk["repeat_window_days"] {
                    let days = try node.int()
                    guard (1...366).contains(days) else { throw node.error("repeat_window_days lies in 1–366") }
                    plan.risk.repeatWindowDays = days
                }
            }
        } else if top["risk"] != nil {
            throw top["risk"]!.error("risk belongs to `design: pps` or to a plan stratified on risk_band")
        }
        if plan.design != .pps, let node = top["pi_min"] {
            throw node.error("pi_min belongs to `design: pps`")
        }
        if plan.design != .pps {
            if plan.method == .poisson {
                guard case .rate = plan.size else { throw sizeNode.error("method poisson needs `size: {rate: r}` (each unit is selected with probability r)") }
            } else if case .rate = plan.size {
                throw sizeNode.error("`size: {rate: …}` goes with `method: poisson`")
            }
        }
        return plan
    }

    private static func parseSize(_ node: ConfigNode) throws -> Size {
        let keys = try node.dictionary(allowed: ["n", "margin_of_error", "confidence", "proportion", "sd", "rate"])
        if let n = keys["n"] {
            let value = try n.int()
            guard value >= 1 else { throw n.error("n must be at least 1") }
            return .fixed(value)
        }
        if let rate = keys["rate"] {
            let value = try rate.double()
            guard value > 0, value <= 1 else { throw rate.error("the rate is a probability in (0, 1]") }
            return .rate(value)
        }
        guard let eNode = keys["margin_of_error"] else { throw node.error("give `n`, `rate`, or `margin_of_error` with `proportion` or `sd`") }
        let e = try eNode.double()
        let confidence = try keys["confidence"]?.double() ?? 0.95
        guard confidence >= 0.5, confidence <= 0.999999 else { throw keys["confidence"]!.error("confidence lies in 0.5–0.999999, e.g. 0.95") }
        if let sdNode = keys["sd"] {
            guard e >= 1e-6, e <= 1e6 else { throw eNode.error("for a mean the margin of error is in score points, 0.000001–1000000") }
            let sd = try sdNode.double()
            guard sd > 0, sd <= 1e6 else { throw sdNode.error("sd lies in (0, 1000000] score points") }
            return .mean(marginOfError: e, confidence: confidence, sd: sd)
        }
        guard e >= 1e-6, e < 1 else { throw eNode.error("for a proportion the margin of error lies in [0.000001, 1), e.g. 0.05") }
        let p = try keys["proportion"]?.double() ?? 0.5
        guard p > 0, p < 1 else { throw keys["proportion"]!.error("the anticipated proportion lies in (0, 1); 0.5 is the safe choice") }
        return .proportion(marginOfError: e, confidence: confidence, p: p)
    }

    /// The plan as JSON, every choice spelled out, for the manifest.
    package var json: JSONValue {
        var frame: [(String, JSONValue)] = []
        frame.append(("channels", channels.map { .array($0.map(JSONValue.string)) } ?? .null))
        frame.append(("queues", queues.map { .array($0.map(JSONValue.string)) } ?? .null))
        frame.append(("teams", teams.map { .array($0.map(JSONValue.string)) } ?? .null))
        frame.append(("direction", .text(direction)))
        frame.append(("min_handle_s", .number(minHandleSeconds)))
        frame.append(("exclude", .object([
            ("no_monitoring_notice", .bool(excludeNoMonitoringNotice)),
            ("unacknowledged_agents", .bool(excludeUnacknowledgedAgents)),
            ("already_evaluated", .bool(excludeAlreadyEvaluated)),
        ] + (excludeUnknownNotice ? [("unknown_monitoring_notice", JSONValue.bool(true))] : []))))
        let sizeJSON: JSONValue
        switch size {
        case .fixed(let n): sizeJSON = .object([("n", .int(n))])
        case .rate(let r): sizeJSON = .object([("rate", .double(r))])
        case .proportion(let e, let c, let p): sizeJSON = .object([("margin_of_error", .double(e)), ("confidence", .double(c)), ("proportion", .double(p))])
        case .mean(let e, let c, let sd): sizeJSON = .object([("margin_of_error", .double(e)), ("confidence", .double(c)), ("sd", .double(sd))])
        }
        var fields: [(String, JSONValue)] = [
            ("name", .string(name)),
            ("frame", .object(frame)),
            ("strata", .array(strata.map { .string($0.rawValue) })),
            ("size", sizeJSON),
            ("allocation", .string(allocation.rawValue)),
            ("stratum_sd", .object(stratumSD.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
            ("per_agent", perAgentMin == nil && perAgentMax == nil ? .null
                : .object([("min", perAgentMin.map { .int($0) } ?? .null), ("max", perAgentMax.map { .int($0) } ?? .null)])),
            ("method", .string(method.rawValue)),
            ("seed", .string(String(seed))),
        ]
        // Only when used, so that the fingerprints of plans written before these keys stay as they were.
        if release == .daily { fields.append(("release", .string(release.rawValue))) }
        if !stratumRates.isEmpty {
            fields.append(("stratum_rates", .object(stratumRates.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })))
        }
        if design == .pps {
            fields.append(("design", .string(design.rawValue)))
            fields.append(("risk", risk.json(bands: strata.contains(.riskBand))))
            fields.append(("pi_min", .double(piMin)))
        } else if strata.contains(.riskBand) {
            fields.append(("risk", risk.json(bands: true)))
        }
        return .object(fields)
    }

    /// SHA-256 of the plan's JSON: two plans with the same fingerprint draw the same sample from the same frame.
    var fingerprint: String {
        SHA256.hash(data: Data(json.rendered().utf8)).map { pad16($0) }.joined()
    }
}
