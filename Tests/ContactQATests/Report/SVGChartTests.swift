@testable import ContactQA
import ContactQATesting
import Foundation
import Testing

@Suite("SVG charts")
struct SVGChartTests {
    static func funnel(_ points: [(String, Int, Int, FunnelLimits.Position)], centre: Double) -> String {
        var mark = 0
        return SVGChart.funnel(points.map { p in
            SVGChart.FunnelPoint(label: p.0, numerator: p.1, denominator: p.2, position: p.3, mark: p.3 == .inside ? nil : { mark += 1; return mark }())
        }, centre: centre, format: { String(format: "%.0f%%", $0 * 100) }, description: "test funnel")
    }

    /// The chart draws what the engine decided: flagged colleagues red, warned orange, the others blue,
    /// each flagged or warned one numbered beside its point (the page names them); names escaped.
    /// Limits are exact binomial around the team's rate: at n = 10 and 0.5 the 99.8% upper limit is
    /// 1.0 (scipy.stats.binom.ppf(0.999, 10, 0.5) = 10, interpolated), so no curve leaves the chart.
    @Test func funnelMarksAndNumbersOnlyColleaguesTheEngineFlaggedOrWarned() {
        let svg = SVGChartTests.funnel([("A & <B>", 10, 10, .flagged), ("C", 5, 10, .inside), ("D", 8, 10, .inside), ("E", 9, 10, .warning)], centre: 0.5)
        #expect(svg.components(separatedBy: "fill=\"#c62828\"").count - 1 == 1)
        #expect(svg.components(separatedBy: "fill=\"#ef6c00\"").count - 1 == 1)
        #expect(svg.components(separatedBy: "fill=\"#1565c0\"").count - 1 == 2)
        #expect(svg.contains("<title>A &amp; &lt;B&gt;: 10/10 = 100%</title>"))
        #expect(!svg.contains("<B>"))
        #expect(svg.contains("font-weight=\"bold\" fill=\"#333\">1</text>") && svg.contains("font-weight=\"bold\" fill=\"#333\">2</text>"))
        // Two limit pairs (95% dashed, 99.8% solid).
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2)
    }

    /// Limit lines stay inside the plot: none for a team whose colleagues all have fewer than 5 contacts
    /// (no one can be flagged there), and none past the largest volume drawn.
    @Test func funnelLimitsStayInsideThePlot() throws {
        let small = SVGChartTests.funnel([("A", 1, 2, .inside), ("B", 2, 2, .inside)], centre: 0.75)
        #expect(!small.contains("<polyline"))
        let svg = SVGChartTests.funnel([("A", 3, 8, .inside), ("B", 5, 6, .inside)], centre: 0.55)
        let right = SVGChart.width - 14
        for line in svg.components(separatedBy: "points=\"").dropFirst() {
            let xs = line.prefix { $0 != "\"" }.split(separator: " ").compactMap { Double($0.split(separator: ",")[0]) }
            #expect(xs.allSatisfy { $0 <= right }, "\(xs)")
        }
    }

    /// The four limit curves, in order: the 95% lower and upper (dashed), then the 99.8% lower and
    /// upper, at every volume drawn nested around the team's rate (the centre line): each lower limit
    /// below the warning line it lies outside of, each upper limit above it.
    @Test func funnelCurvesAreEachVolumesLimitsInOrder() throws {
        let svg = SVGChartTests.funnel([("A", 12, 40, .inside), ("B", 30, 120, .inside), ("C", 20, 60, .inside)], centre: 0.3)
        let lines = svg.components(separatedBy: "<polyline").dropFirst().map { String($0.prefix { $0 != ">" }) }
        #expect(lines.count == 4 && lines[0].contains("stroke-dasharray") && lines[1].contains("stroke-dasharray")
                && !lines[2].contains("stroke-dasharray") && !lines[3].contains("stroke-dasharray"))
        let curves = lines.map { line in
            line.components(separatedBy: "points=\"")[1].prefix { $0 != "\"" }.split(separator: " ").map { pair in
                pair.split(separator: ",").map { Double($0)! }
            }
        }
        let centreLine = try #require(svg.components(separatedBy: "<line ").first { $0.contains("stroke-width=\"1.2\"") })
        let centreY = try #require(Double(centreLine.components(separatedBy: "y1=\"")[1].prefix { $0 != "\"" }))
        #expect(curves[0].count > 20)
        // y grows downwards: the flag's lower limit lowest on the page, its upper limit highest.
        for i in curves[0].indices {
            let (warnLow, warnHigh, flagLow, flagHigh) = (curves[0][i][1], curves[1][i][1], curves[2][i][1], curves[3][i][1])
            #expect(Set(curves.map { $0[i][0] }).count == 1)
            #expect(flagLow >= warnLow && warnLow > centreY && centreY > warnHigh && warnHigh >= flagHigh, "\(curves.map { $0[i] })")
        }
    }

    @Test func funnelOfNoVolumeIsEmpty() {
        #expect(SVGChartTests.funnel([("A", 0, 0, .inside)], centre: 0.5) == "")
    }

    /// A control chart shows its limits as one band, its centre, the target as a dashed line and the
    /// point outside the limits in red; every label is 12 units on a 400-unit canvas (11 px on a phone).
    @Test func lineChartDrawsBandCentreTargetAndOutliers() {
        let points = (0..<5).map { i in
            SVGChart.LinePoint(label: "W\(40 + i)", value: i == 4 ? 0.95 : 0.7, centre: 0.7, limits: (0.6, 0.8))
        }
        let svg = SVGChart.line(points, target: 0.8, bounds: 0...1, format: { String(format: "%.0f%%", $0 * 100) }, description: "Service level")
        #expect(svg.components(separatedBy: "<polygon").count - 1 == 1)
        #expect(svg.contains("stroke=\"\(SVGChart.Colour.target)\""))
        #expect(svg.contains("stroke=\"\(SVGChart.Colour.centre)\""))
        #expect(svg.components(separatedBy: "fill=\"\(SVGChart.Colour.outside)\"").count - 1 == 1)
        #expect(svg.contains(">W40</text>") && svg.contains(">W42</text>") && svg.contains(">W44</text>") && !svg.contains(">W41</text>"))
        #expect(!svg.contains("font-size=\"10\"") && svg.contains("font-size=\"12\""))
        #expect(svg.contains("aria-label=\"Service level\""))
    }

    /// A rate's axis never leaves 0–100% even when a limit would.
    @Test func rateAxisStaysWithinItsBounds() {
        let points = (0..<4).map { SVGChart.LinePoint(label: "W\($0)", value: 0.98, centre: 0.97, limits: (0.9, 1.04)) }
        let svg = SVGChart.line(points, bounds: 0...1, format: { String(format: "%.0f%%", $0 * 100) }, description: "FCR")
        #expect(!svg.contains(">104%<") && svg.contains(">100%<"))
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
        legs.handleTimes = CountedValues(handleTimes)
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
