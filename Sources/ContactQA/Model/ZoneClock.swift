import Foundation

/// Converts between UTC instants and one time zone's wall-clock time, DST-correct.
///
/// The zone's offset changes are read once from the system's tz data into a sorted table, so each
/// conversion is a binary search instead of a `TimeZone` call on the hot path of an import.
package struct ZoneClock: Sendable {
    /// How to read a wall-clock time that happens twice, in the hour repeated when clocks go back.
    enum AmbiguousTime: String, Sendable, CaseIterable {
        case earlier, later, reject
    }

    /// What a local wall-clock time means as an instant.
    enum Resolution: Equatable, Sendable {
        case unique(Int64)
        case ambiguous(earlier: Int64, later: Int64)
        /// The time was skipped when clocks went forward.
        case gap
    }

    package let identifier: String
    /// Instants (seconds since the epoch, UTC) where the offset changes, ascending.
    private let changes: [Int64]
    /// `offsets[i]` holds before `changes[i]`; the last one after the last change.
    private let offsets: [Int]

    /// - Returns: nil when the identifier is not a known IANA time zone.
    package init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        var changes: [Int64] = []
        var offsets: [Int] = []
        let start = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
        let end = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        var cursor = start
        offsets.append(zone.secondsFromGMT(for: start))
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            let after = zone.secondsFromGMT(for: next)
            if after != offsets[offsets.count - 1] {
                changes.append(Int64(next.timeIntervalSince1970.rounded()))
                offsets.append(after)
            }
            cursor = next
        }
        self.changes = changes
        self.offsets = offsets
    }

    package static let utc = ZoneClock(identifier: "UTC")!

    /// The zone's offset from UTC, in seconds, at an instant.
    package func offset(atUTC seconds: Int64) -> Int {
        var lo = 0
        var hi = changes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if changes[mid] <= seconds { lo = mid + 1 } else { hi = mid }
        }
        return offsets[lo]
    }

    /// Local wall-clock seconds (as if the zone were UTC) at an instant.
    func localSeconds(atUTC seconds: Int64) -> Int64 {
        seconds + Int64(offset(atUTC: seconds))
    }

    /// The local calendar date of an instant.
    package func localDate(atUTC seconds: Int64) -> LocalDate {
        let local = localSeconds(atUTC: seconds)
        return LocalDate(dayNumber: Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
    }

    /// Every instant a local wall-clock time can denote.
    ///
    /// - Parameter local: wall-clock seconds since 1970-01-01T00:00 in this zone.
    /// - Complexity: O(log t) for t offset changes.
    func resolve(local: Int64) -> Resolution {
        let before = offset(atUTC: local - 86_400)
        let after = offset(atUTC: local + 86_400)
        var candidates: [Int64] = []
        for o in before == after ? [before] : [before, after] {
            let instant = local - Int64(o)
            if offset(atUTC: instant) == o { candidates.append(instant) }
        }
        candidates.sort()
        switch candidates.count {
        case 0: return .gap
        case 1: return .unique(candidates[0])
        default: return .ambiguous(earlier: candidates[0], later: candidates[candidates.count - 1])
        }
    }

    /// The instant local midnight opens `date`; when midnight is skipped, the first instant of the day.
    func startOfDay(_ date: LocalDate) -> Int64 {
        let local = Int64(date.dayNumber) * 86_400
        switch resolve(local: local) {
        case .unique(let t), .ambiguous(let t, _): return t
        case .gap: return local - Int64(offset(atUTC: local - 86_400))
        }
    }

    /// The offset changes inside `[from, to)` with the offset in force before each, for building
    /// a SQL `CASE` that turns instants into local time inside the database.
    func offsetSegments(fromUTC from: Int64, toUTC to: Int64) -> (initial: Int, changes: [(at: Int64, offset: Int)]) {
        var result: [(at: Int64, offset: Int)] = []
        for (i, change) in changes.enumerated() where change >= from && change < to {
            result.append((change, offsets[i + 1]))
        }
        return (offset(atUTC: from), result)
    }
}
