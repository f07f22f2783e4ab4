@testable import ContactQA
import Foundation
import Testing

/// Handle-time quantiles are kept as distinct values with their counts (`CountedValues`) so that
/// memory follows the distinct values, not the legs. They must give exactly what the sorted list gives.
@Suite("Counted values")
struct CountedValuesTests {
    /// Values with many ties (tenths of a second, as exports give them) and a few singletons.
    static func values(_ n: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<n).map { i in
            i % 17 == 0 ? (random.unit() * 3_600).rounded() : (random.unit() * 600 * 10).rounded() / 10
        }
    }

    @Test func quantilesAreThoseOfTheSortedValues() throws {
        for (n, seed) in [(1, 1), (2, 2), (3, 3), (10, 4), (101, 5), (5_000, 6)] as [(Int, UInt64)] {
            let xs = CountedValuesTests.values(n, seed: seed)
            let counted = CountedValues(xs)
            #expect(counted.total == n)
            #expect(counted.values.count < n || n < 50)  // ties were coalesced
            for p in [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0] {
                #expect(counted.quantileType7(p) == quantileType7(xs.sorted(), p), "n \(n), p \(p)")
            }
        }
        #expect(CountedValues().quantileType7(0.5) == nil)
        // Hand-checked: 1, 2, 2, 2, 10 → median the third value, 2; p90 at h = 3.6: 2 + 0.6 × 8 = 6.8.
        let small = CountedValues([10, 2, 1, 2, 2])
        #expect(small.values == [1, 2, 10] && small.counts == [1, 3, 1])
        #expect(small.quantileType7(0.5) == 2)
        #expect(abs(try #require(small.quantileType7(0.9)) - 6.8) < 1e-12)
    }

    @Test func mergingIsTheUnion() {
        let parts = (0..<5).map { CountedValuesTests.values(300 * ($0 + 1), seed: UInt64(40 + $0)) }
        let merged = CountedValues(merging: parts.map(CountedValues.init))
        #expect(merged == CountedValues(parts.flatMap { $0 }))
        #expect(CountedValues(merging: []) == CountedValues())
        var counts: [Double: Int] = [:]
        for x in parts[0] { counts[x, default: 0] += 1 }
        #expect(CountedValues(counts: counts) == CountedValues(parts[0]))
    }

    /// A group's moments from (value, count) rows are the same bits as from one row per leg.
    @Test func momentsFromCountsAreTheSameBits() {
        let xs = CountedValuesTests.values(2_000, seed: 9).sorted()
        var perLeg = LegAggregate(key: [])
        for x in xs { perLeg.handle.add(x) }
        var counted = LegAggregate(key: [])
        let runs = CountedValues(xs)
        for (value, count) in zip(runs.values, runs.counts) { counted.add(value, legs: count) }
        #expect(counted.handle.sum.bitPattern == perLeg.handle.sum.bitPattern)
        #expect(counted.handle.sumOfSquares.bitPattern == perLeg.handle.sumOfSquares.bitPattern)
        #expect(counted.handle.n == perLeg.handle.n && counted.handle.shift == perLeg.handle.shift)
    }
}
