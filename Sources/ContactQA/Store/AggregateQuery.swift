/// A way to group KPIs (DESIGN.md §3).
package enum GroupDimension: String, CaseIterable, Sendable {
    case week, day, hour, dow, agent, team, queue, channel, reason

    var isTime: Bool { [.week, .day, .hour, .dow].contains(self) }
}

/// The value of one grouping dimension for a group; nil (unassigned) is represented by `Optional`.
package enum GroupValue: Hashable, Sendable, Comparable {
    /// Week (the day number of its Thursday), day (day number), hour 0–23, or ISO weekday 1–7.
    case integer(Int64)
    case text(String)

    package static func < (a: GroupValue, b: GroupValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): x < y
        case (.text(let x), .text(let y)): x < y
        case (.integer, .text): true
        case (.text, .integer): false
        }
    }
}

/// Parameters of the contact-level KPIs, recorded in every output (DESIGN.md §3).
package struct KPIParameters: Sendable, Equatable {
    /// How first-contact resolution is measured.
    package enum FCRMethod: String, Sendable, CaseIterable {
        /// No later inbound contact of the same customer within the window (the default).
        case repeatContact = "repeat_contact"
        /// The source's own `resolved` flag (a CRM field, or a survey's "was it resolved?" mapped to it).
        case resolved
    }

    /// What makes a later contact a repeat.
    package enum FCRMatch: String, Sendable, CaseIterable {
        /// Any later inbound contact of the same customer.
        case customer
        /// Only one with the same contact reason; a contact without a reason matches any.
        case customerAndReason = "customer+reason"
    }

    /// Abandons with a known wait below this are short abandons [5 s].
    package var shortAbandonSeconds: Double = 5
    /// Service-level threshold per channel; channels not listed take `Channel.defaultServiceLevelSeconds`.
    package var serviceLevelSeconds: [Channel: Double] = [:]
    /// W of the FCR definition, in days [7]; SQM's internal method uses 30.
    package var fcrWindowDays = 7
    package var fcrMatch = FCRMatch.customer
    package var fcrMethod = FCRMethod.repeatContact
    /// How many top boxes count as satisfied; nil applies DESIGN.md's rule (two on scales of 4 or
    /// more points, one on 2–3 points).
    package var csatTopBoxes: Int?
    /// When set (UTC milliseconds), only contacts before this instant count as repeats: last week's FCR
    /// measured over the same follow-up as a week whose repeat window is still open, so that the two
    /// compare like with like.
    var followUpBeforeUTC: Int64?

    package init(shortAbandonSeconds: Double = 5, serviceLevelSeconds: [Channel: Double] = [:], fcrWindowDays: Int = 7,
                fcrMatch: FCRMatch = .customer, fcrMethod: FCRMethod = .repeatContact, csatTopBoxes: Int? = nil) {
        self.shortAbandonSeconds = shortAbandonSeconds
        self.serviceLevelSeconds = serviceLevelSeconds
        self.fcrWindowDays = fcrWindowDays
        self.fcrMatch = fcrMatch
        self.fcrMethod = fcrMethod
        self.csatTopBoxes = csatTopBoxes
    }

    func serviceLevelThreshold(for channel: Channel) -> Double {
        serviceLevelSeconds[channel] ?? channel.defaultServiceLevelSeconds
    }

    /// Checks the parameters, with a message fit for the user.
    package func validate() throws(ParameterError) {
        guard shortAbandonSeconds >= 0 else { throw ParameterError("the short-abandon threshold must not be negative") }
        guard fcrWindowDays >= 1 else { throw ParameterError("the FCR window must be at least 1 day, not \(fcrWindowDays)") }
        for (channel, seconds) in serviceLevelSeconds where seconds < 0 {
            throw ParameterError("the service-level threshold of \(channel.rawValue) must not be negative")
        }
        if let boxes = csatTopBoxes, boxes < 1 { throw ParameterError("csat top boxes must be at least 1") }
    }
}

/// A KPI parameter out of range.
package struct ParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// A period and grouping to aggregate over.
package struct AggregateQuery: Sendable {
    /// First instant of the period, UTC milliseconds.
    var fromUTC: Int64
    /// First instant after the period, UTC milliseconds.
    var toUTC: Int64
    /// The zone whose local days and weeks group the contacts.
    package var clock: ZoneClock
    package var groupBy: [GroupDimension]
    package var parameters: KPIParameters

    package init(fromUTC: Int64, toUTC: Int64, clock: ZoneClock, groupBy: [GroupDimension], parameters: KPIParameters) {
        self.fromUTC = fromUTC
        self.toUTC = toUTC
        self.clock = clock
        self.groupBy = groupBy
        self.parameters = parameters
    }
}

/// Running count, sum and sum of squares: enough for a mean and its t-interval.
///
/// The squares are taken about a shift K (`Σ(x − K)²`), the first value added or a value of the data
/// the store picks, so that large, nearly equal values (waits of a day ± a second) keep their variance:
/// `Σx² − (Σx)²/n` would cancel to noise there (Chan, Golub & LeVeque 1983, "Algorithms for computing
/// the sample variance: analysis and recommendations", The American Statistician 37:242–247, the
/// shifted-data algorithm). With K = 0 the sums are the plain ones.
struct Moments: Sendable, Equatable {
    package var n = 0
    /// Σx, unshifted.
    var sum = 0.0
    /// Σ(x − shift)².
    var sumOfSquares = 0.0
    var shift = 0.0

    package init(n: Int = 0, sum: Double = 0, sumOfSquares: Double = 0, shift: Double = 0) {
        self.n = n
        self.sum = sum
        self.sumOfSquares = sumOfSquares
        self.shift = shift
    }

    package mutating func add(_ x: Double) {
        if n == 0 { shift = x }
        n += 1
        sum += x
        sumOfSquares += (x - shift) * (x - shift)
    }

    /// Adds `x` `count` times, one after the other: the same sums to the last bit as adding each.
    mutating func add(_ x: Double, count: Int) {
        for _ in 0..<count { add(x) }
    }

    /// The sample variance from the sums, nil below two values.
    var variance: Double? {
        guard n >= 2 else { return nil }
        let count = Double(n)
        let deviations = shift == 0 ? sum : sum - count * shift  // Σ(x − K)
        return max(0, (sumOfSquares - deviations * (deviations / count)) / (count - 1))
    }

    /// The moments of both sets of values, on `a`'s shift.
    static func + (a: Moments, b: Moments) -> Moments {
        if a.n == 0 { return b }
        if b.n == 0 { return a }
        let delta = b.shift - a.shift
        let bDeviations = b.sum - Double(b.n) * b.shift
        let bSquares = delta == 0 ? b.sumOfSquares : b.sumOfSquares + 2 * delta * bDeviations + Double(b.n) * delta * delta
        return Moments(n: a.n + b.n, sum: a.sum + b.sum, sumOfSquares: a.sumOfSquares + bSquares, shift: a.shift)
    }
}

/// Contact-level sums for one group.
package struct ContactAggregate: Sendable, Equatable {
    package var key: [GroupValue?]
    package var offered = 0
    var handled = 0
    var abandoned = 0
    var shortAbandoned = 0
    /// Handled contacts answered within their channel's service-level threshold.
    var serviceLevelMet = 0
    var transferred = 0
    var escalated = 0
    /// Waits of handled contacts with a known wait (for ASA).
    var wait = Moments()
    /// Handled contacts FCR judges (with a customer key, or with a resolved flag for that method).
    var fcrJudged = 0
    /// Of those, the ones resolved first time.
    var fcrResolved = 0
    var csatResponses = 0
    var csatSatisfied = 0
    /// Responses normalised to 0–1 on their own scale.
    var csatNormalised = Moments()
    var npsResponses = 0
    var promoters = 0
    var detractors = 0

    package init(key: [GroupValue?]) { self.key = key }

    /// Adds another group's sums (for totals over groups).
    package mutating func add(_ o: ContactAggregate) {
        offered += o.offered
        handled += o.handled
        abandoned += o.abandoned
        shortAbandoned += o.shortAbandoned
        serviceLevelMet += o.serviceLevelMet
        transferred += o.transferred
        escalated += o.escalated
        wait = wait + o.wait
        fcrJudged += o.fcrJudged
        fcrResolved += o.fcrResolved
        csatResponses += o.csatResponses
        csatSatisfied += o.csatSatisfied
        csatNormalised = csatNormalised + o.csatNormalised
        npsResponses += o.npsResponses
        promoters += o.promoters
        detractors += o.detractors
    }
}

/// Handle times of the handled legs in one group.
package struct LegAggregate: Sendable, Equatable {
    package var key: [GroupValue?]
    var handle = Moments()
    /// Every leg's handle time, as distinct values with their counts, for the median and p90 (stores
    /// that ship the values).
    var handleTimes = CountedValues()
    /// The median and p90 computed inside the database (stores that push quantiles down); then
    /// `handleTimes` stays empty.
    var quantiles: (median: Double, p90: Double)?

    package static func == (a: LegAggregate, b: LegAggregate) -> Bool {
        a.key == b.key && a.handle == b.handle && a.handleTimes == b.handleTimes
            && a.quantiles?.median == b.quantiles?.median && a.quantiles?.p90 == b.quantiles?.p90
    }

    package init(key: [GroupValue?]) { self.key = key }

    /// Adds `legs` legs of handle time `h`, not below any added before.
    mutating func add(_ h: Double, legs: Int) {
        handle.add(h, count: legs)
        handleTimes.append(h, count: legs)
    }

    /// The union of several groups' legs.
    package init(merging parts: [LegAggregate]) {
        key = []
        for part in parts { handle = handle + part.handle }
        handleTimes = CountedValues(merging: parts.map(\.handleTimes))
    }
}

/// Legs grouped finely for a roll-up: moments per group, handle-time values per week.
package struct LegRollup: Sendable {
    /// Moments per group, `handleTimes` empty, in key order.
    var legs: [LegAggregate] = []
    /// Each week's handle times, by the week's key (the first key value).
    var weekHandleTimes: [GroupValue?: CountedValues] = [:]
}

/// A multiset of numbers kept as its distinct values, ascending, each with how often it occurs: the
/// exact quantiles of the values in memory that grows with the distinct values, not with their count
/// (handle times recorded to the second or the tenth take a few thousand distinct values whatever
/// the number of legs).
struct CountedValues: Sendable, Equatable {
    private(set) var values: [Double] = []
    private(set) var counts: [Int] = []
    private(set) var total = 0

    init() {}

    init(_ values: [Double]) {
        for x in values.sorted() { append(x) }
    }

    /// From each distinct value's count.
    init(counts: [Double: Int]) {
        for (value, count) in counts.sorted(by: { $0.key < $1.key }) { append(value, count: count) }
    }

    /// The union of several multisets.
    init(merging parts: [CountedValues]) {
        let nonEmpty = parts.filter { $0.total > 0 }
        if nonEmpty.count == 1 { self = nonEmpty[0]; return }
        var pairs: [(value: Double, count: Int)] = []
        pairs.reserveCapacity(nonEmpty.reduce(0) { $0 + $1.values.count })
        for part in nonEmpty { for i in part.values.indices { pairs.append((part.values[i], part.counts[i])) } }
        pairs.sort { $0.value < $1.value }
        for pair in pairs { append(pair.value, count: pair.count) }
    }

    /// Adds `count` occurrences of `value`, which is not below any value already held.
    mutating func append(_ value: Double, count: Int = 1) {
        precondition(values.last.map { $0 <= value } ?? true, "values are appended in ascending order")
        if values.last == value {
            counts[counts.count - 1] += count
        } else {
            values.append(value)
            counts.append(count)
        }
        total += count
    }

    /// The value at `position` (0-based) of the sorted values.
    func value(at position: Int) -> Double {
        var seen = 0
        for i in values.indices {
            seen += counts[i]
            if position < seen { return values[i] }
        }
        return values[values.count - 1]
    }

    /// Hyndman and Fan's type 7 quantile of the values (`quantileType7` of the sorted list), nil when empty.
    func quantileType7(_ p: Double) -> Double? {
        guard total > 0 else { return nil }
        let h = Double(total - 1) * p
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, total - 1)
        let low = value(at: lo), high = value(at: hi)
        return low + (h - Double(lo)) * (high - low)
    }
}
