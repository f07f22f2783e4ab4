@testable import ContactQA
import Foundation
import Testing

@Suite("SVG charts")
struct SVGChartTests {
    /// The chart draws what the engine decided: flagged colleagues red, the others blue; names escaped.
    /// Limits are exact binomial around the team's rate: at n = 10 and 0.5 the 99.8% upper limit is
    /// 1.0 (scipy.stats.binom.ppf(0.999, 10, 0.5) = 10, interpolated), so no curve leaves the chart.
    @Test func funnelMarksOnlyColleaguesTheEngineFlagged() {
        let svg = SVGChart.funnel([("A & <B>", 10, 10, true), ("C", 5, 10, false), ("D", 8, 10, false)], centre: 0.5,
                                  format: { String(format: "%.0f%%", $0 * 100) })
        #expect(svg.components(separatedBy: "fill=\"#c62828\"").count - 1 == 1)
        #expect(svg.components(separatedBy: "fill=\"#1565c0\"").count - 1 == 2)
        #expect(svg.contains("<title>A &amp; &lt;B&gt;: 10/10 = 100%</title>"))
        #expect(!svg.contains("<B>"))
        // Two limit pairs (95% dashed, 99.8% solid) and the team line.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2)
    }

    /// Limit lines stay inside the plot: none for a team whose colleagues all have fewer than 5 contacts
    /// (no one can be flagged there), and none past the largest volume drawn.
    @Test func funnelLimitsStayInsideThePlot() throws {
        let small = SVGChart.funnel([("A", 1, 2, false), ("B", 2, 2, false)], centre: 0.75, format: { "\($0)" })
        #expect(!small.contains("<polyline"))
        let svg = SVGChart.funnel([("A", 3, 8, false), ("B", 5, 6, false)], centre: 0.55, format: { "\($0)" })
        let right = 560.0 - 12
        for line in svg.components(separatedBy: "points=\"").dropFirst() {
            let xs = line.prefix { $0 != "\"" }.split(separator: " ").compactMap { Double($0.split(separator: ",")[0]) }
            #expect(xs.allSatisfy { $0 <= right }, "\(xs)")
        }
    }

    @Test func funnelOfNoVolumeIsEmpty() {
        #expect(SVGChart.funnel([("A", 0, 0, false)], centre: 0.5, format: { "\($0)" }) == "")
    }
}

@Suite("Week-on-week changes in the report")
struct ReportChangeTests {
    static func week(offered: Int, met: Int, handleTimes: [Double]) -> KPISet {
        var contacts = ContactAggregate(key: [])
        contacts.offered = offered
        contacts.handled = offered
        contacts.serviceLevelMet = met
        var legs = LegAggregate(key: [])
        for h in handleTimes { legs.handle.add(h) }
        legs.sortedHandleTimes = handleTimes.sorted()
        return KPISet(contacts: contacts, legs: legs)
    }

    /// 56/70 against 48/80: Newcombe [0.0524, 0.3339] excludes 0, a rise (statsmodels, IntervalTests);
    /// 5/10 against 5/10 does not. Handle times as in the Welch test: [23.56, 63.11], a rise.
    @Test func aChangeIsMarkedWhenTheDifferencesIntervalExcludesZero() throws {
        let now = ReportChangeTests.week(offered: 70, met: 56, handleTimes: [300, 320, 280, 310, 290])
        let before = ReportChangeTests.week(offered: 80, met: 48, handleTimes: [250, 260, 240, 270, 255, 265])
        let sl = try #require(WeeklyReport.difference(.serviceLevel, now, before))
        #expect(sl.lower > 0 && abs(sl.lower - 0.05243147240236498) < 1e-12)
        let aht = try #require(WeeklyReport.difference(.ahtSeconds, now, before))
        #expect(abs(aht.lower - 23.560179995900086) < 1e-9)
        let same = try #require(WeeklyReport.difference(.serviceLevel, ReportChangeTests.week(offered: 10, met: 5, handleTimes: []),
                                                        ReportChangeTests.week(offered: 10, met: 5, handleTimes: [])))
        #expect(same.lower < 0 && same.upper > 0)
        #expect(WeeklyReport.difference(.ahtSeconds, ReportChangeTests.week(offered: 1, met: 1, handleTimes: [70]), before) == nil)
    }
}
