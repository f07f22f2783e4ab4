import Foundation

/// What the store says about a leg that makes a problem likely: the signals a targeted (`design: pps`)
/// sample weights its inclusion probabilities by.
struct RiskSignals: Sendable, Equatable {
    var holdSeconds: Double = 0
    var transferred = false
    var escalated = false
    /// Another inbound contact from the same customer within the repeat window after this one.
    var repeated = false
    /// Whether the customer's CSAT counts as satisfied (top boxes); nil without a response.
    package var satisfied: Bool?
    /// The customer's NPS answer, 0–10; nil without one.
    var nps: Int?
    /// The customer's sentiment at the end of the conversation (conversation analytics, −5 to +5); nil
    /// where none was imported.
    var customerEndSentiment: Double?
    /// How many of the scorecards' automatic checks (`auto:`) the leg fails.
    var autoChecksFailed = 0

    package init() {}
}

/// The weight of each risk signal in a leg's size measure, and the thresholds that make a signal fire
/// (`risk:` in a plan). A leg's size is 1 + the sum of the weights of its signals; every leg keeps a
/// size of at least 1, so every leg can be drawn.
struct RiskWeights: Sendable, Equatable {
    var repeatContact = 3.0
    var transfer = 2.0
    var lowCSAT = 3.0
    var detractor = 2.0
    var escalation = 3.0
    var longHold = 1.0
    var longHandle = 1.0
    /// A hold longer than this many seconds is a signal.
    var holdSeconds = 60.0
    /// A handle time above this multiple of its queue's median (in the frame) is a signal.
    var handleRatio = 2.0
    /// The repeat window in days (the FCR window).
    var repeatWindowDays = 7
    /// The customer ended the conversation below this sentiment (conversation analytics): a signal of
    /// weight `negativeSentiment`.
    var negativeSentiment = 2.0
    /// A leg failing any automatic check of its scorecard.
    var autoCheckFailed = 2.0
    var endSentimentBelow = -1.0
    /// A leg of at least this size is in the high band of `strata: [risk_band]`; a leg with no signal
    /// (size 1) is low, the others medium.
    var highFrom = 5.0

    package init() {}

    static let keys = ["repeat", "transfer", "low_csat", "detractor", "escalation", "long_hold", "long_handle", "hold_s", "handle_ratio", "repeat_window_days", "high_from",
                       "negative_sentiment", "end_sentiment_below", "auto_check_failed"]

    /// The size measure of each unit, in the frame's order.
    func sizes(_ units: [FrameUnit]) -> [Double] {
        var handles: [String: [Double]] = [:]
        for u in units { handles[u.queue ?? "", default: []].append(u.handleSeconds) }
        let medians = handles.mapValues { values -> Double in
            let sorted = values.sorted()
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        }
        return units.map { u in
            let s = u.signals
            var size = 1.0
            if s.repeated { size += repeatContact }
            if s.transferred { size += transfer }
            if s.satisfied == false { size += lowCSAT }
            if let nps = s.nps, nps <= 6 { size += detractor }
            if s.escalated { size += escalation }
            if let sentiment = s.customerEndSentiment, sentiment < endSentimentBelow { size += negativeSentiment }
            if s.autoChecksFailed > 0 { size += autoCheckFailed }
            if s.holdSeconds > holdSeconds { size += longHold }
            if let median = medians[u.queue ?? ""], median > 0, u.handleSeconds > handleRatio * median { size += longHandle }
            return size
        }
    }

    /// The band of a size: low (no signal), medium, high (at least `highFrom`).
    func band(_ size: Double) -> String {
        size >= highFrom ? "high" : size > 1 ? "medium" : "low"
    }

    /// `bands`: also the band threshold (only plans stratified on risk bands carry it, so that the
    /// fingerprints of `design: pps` plans written before it stay as they were).
    func json(bands: Bool) -> JSONValue {
        .object([("repeat", .double(repeatContact)), ("transfer", .double(transfer)), ("low_csat", .double(lowCSAT)),
                 ("detractor", .double(detractor)), ("escalation", .double(escalation)), ("long_hold", .double(longHold)),
                 ("long_handle", .double(longHandle)), ("hold_s", .double(holdSeconds)), ("handle_ratio", .double(handleRatio)),
                 ("repeat_window_days", .int(repeatWindowDays))] + (bands ? [("high_from", .double(highFrom))] : [])
                // Only when changed, so that the fingerprints of plans written before analytics stay as they were.
                + (negativeSentiment != RiskWeights().negativeSentiment ? [("negative_sentiment", .double(negativeSentiment))] : [])
                + (endSentimentBelow != RiskWeights().endSentimentBelow ? [("end_sentiment_below", .double(endSentimentBelow))] : [])
                + (autoCheckFailed != RiskWeights().autoCheckFailed ? [("auto_check_failed", .double(autoCheckFailed))] : []))
    }
}

extension Sampler {
    /// Inclusion probabilities proportional to size with an expected sample size of `n` (Särndal,
    /// Swensson & Wretman, *Model Assisted Survey Sampling*, 1992, §3.6): π_i = n·x_i / Σx, where units
    /// whose π would reach 1 are taken with certainty and the rest re-scaled to the remaining size until
    /// none does; then every π is raised to at least `floor`, so that every unit can be drawn (which can
    /// only raise the expected size). Sums run over the units sorted by id, so the result does not
    /// depend on the frame's order.
    static func ppsProbabilities(sizes: [Double], ids: [String], expected n: Int, floor: Double) -> [Double] {
        let order = ids.indices.sorted { ids[$0] < ids[$1] }
        var pi = [Double](repeating: 0, count: sizes.count)
        var certain = [Bool](repeating: false, count: sizes.count)
        var taken = 0
        while true {
            let remaining = Double(n - taken)
            guard remaining > 0 else { break }
            var total = 0.0
            for i in order where !certain[i] { total += sizes[i] }
            guard total > 0 else { break }
            var changed = false
            for i in order where !certain[i] && remaining * sizes[i] / total >= 1 {
                certain[i] = true
                taken += 1
                changed = true
            }
            if !changed {
                for i in order where !certain[i] { pi[i] = remaining * sizes[i] / total }
                break
            }
        }
        for i in pi.indices { pi[i] = certain[i] ? 1 : min(1, max(pi[i], floor)) }
        return pi
    }
}
