/// A way to group KPIs (DESIGN.md §3).
public enum GroupDimension: String, CaseIterable, Sendable {
    case week, day, hour, dow, agent, team, queue, channel, reason

    public var isTime: Bool { [.week, .day, .hour, .dow].contains(self) }
}

/// The value of one grouping dimension for a group; nil (unassigned) is represented by `Optional`.
public enum GroupValue: Hashable, Sendable, Comparable {
    /// Week (the day number of its Thursday), day (day number), hour 0–23, or ISO weekday 1–7.
    case integer(Int64)
    case text(String)

    public static func < (a: GroupValue, b: GroupValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): x < y
        case (.text(let x), .text(let y)): x < y
        case (.integer, .text): true
        case (.text, .integer): false
        }
    }
}

/// Parameters of the contact-level KPIs, recorded in every output.
public struct KPIParameters: Sendable, Equatable {
    /// Abandons with a known wait below this are short abandons [5 s].
    public var shortAbandonSeconds: Double = 5
    /// Service-level threshold per channel; channels not listed take `Channel.defaultServiceLevelSeconds`.
    public var serviceLevelSeconds: [Channel: Double] = [:]

    public init(shortAbandonSeconds: Double = 5, serviceLevelSeconds: [Channel: Double] = [:]) {
        self.shortAbandonSeconds = shortAbandonSeconds
        self.serviceLevelSeconds = serviceLevelSeconds
    }

    public func serviceLevelThreshold(for channel: Channel) -> Double {
        serviceLevelSeconds[channel] ?? channel.defaultServiceLevelSeconds
    }
}

/// A period and grouping to aggregate over.
public struct AggregateQuery: Sendable {
    /// First instant of the period, UTC milliseconds.
    public var fromUTC: Int64
    /// First instant after the period, UTC milliseconds.
    public var toUTC: Int64
    /// The zone whose local days and weeks group the contacts.
    public var clock: ZoneClock
    public var groupBy: [GroupDimension]
    public var parameters: KPIParameters

    public init(fromUTC: Int64, toUTC: Int64, clock: ZoneClock, groupBy: [GroupDimension], parameters: KPIParameters) {
        self.fromUTC = fromUTC
        self.toUTC = toUTC
        self.clock = clock
        self.groupBy = groupBy
        self.parameters = parameters
    }
}

/// Running count, sum and sum of squares: enough for a mean and its t-interval.
public struct Moments: Sendable, Equatable {
    public var n = 0
    public var sum = 0.0
    public var sumOfSquares = 0.0

    public init(n: Int = 0, sum: Double = 0, sumOfSquares: Double = 0) {
        self.n = n
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    public mutating func add(_ x: Double) {
        n += 1
        sum += x
        sumOfSquares += x * x
    }

    public static func + (a: Moments, b: Moments) -> Moments {
        Moments(n: a.n + b.n, sum: a.sum + b.sum, sumOfSquares: a.sumOfSquares + b.sumOfSquares)
    }
}

/// Contact-level sums for one group.
public struct ContactAggregate: Sendable, Equatable {
    public var key: [GroupValue?]
    public var offered = 0
    public var handled = 0
    public var abandoned = 0
    public var shortAbandoned = 0
    /// Handled contacts answered within their channel's service-level threshold.
    public var serviceLevelMet = 0
    public var transferred = 0
    public var escalated = 0
    /// Waits of handled contacts with a known wait (for ASA).
    public var wait = Moments()
    public var csatResponses = 0
    public var csatSatisfied = 0
    /// Responses normalised to 0–1 on their own scale.
    public var csatNormalised = Moments()
    public var npsResponses = 0
    public var promoters = 0
    public var detractors = 0

    public init(key: [GroupValue?]) { self.key = key }
}

/// Handle times of the handled legs in one group.
public struct LegAggregate: Sendable, Equatable {
    public var key: [GroupValue?]
    public var handle = Moments()
    /// Every leg's handle time, ascending, for the median and p90.
    public var sortedHandleTimes: [Double] = []

    public init(key: [GroupValue?]) { self.key = key }
}
