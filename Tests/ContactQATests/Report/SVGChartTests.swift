@testable import ContactQA
import Foundation
import Testing

@Suite("SVG charts")
struct SVGChartTests {
    /// Team rate 0.5. At n = 10 the 99.8% limits are 0.5 ± 3.0902·√(0.25/10) = 0.5 ± 0.4886
    /// (z = Φ⁻¹(0.999), scipy.stats.norm.ppf(0.999) = 3.090232306167813): 10/10 is outside (red),
    /// 5/10 and 8/10 inside (blue; 8/10 is past the 95% line, 0.5 + 0.3099, a warning, not a flag).
    @Test func funnelMarksOnlyColleaguesOutsideThe998Limit() {
        let svg = SVGChart.funnel([("A & <B>", 10, 10), ("C", 5, 10), ("D", 8, 10)], centre: 0.5,
                                  format: { String(format: "%.0f%%", $0 * 100) })
        #expect(svg.components(separatedBy: "fill=\"#c62828\"").count - 1 == 1)
        #expect(svg.components(separatedBy: "fill=\"#1565c0\"").count - 1 == 2)
        #expect(svg.contains("<title>A &amp; &lt;B&gt;: 10/10 = 100%</title>"))
        #expect(!svg.contains("<B>"))
        // Two limit pairs (95% dashed, 99.8% solid) and the team line.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(svg.components(separatedBy: "stroke-dasharray").count - 1 == 2)
    }

    @Test func funnelOfNoVolumeIsEmpty() {
        #expect(SVGChart.funnel([("A", 0, 0)], centre: 0.5, format: { "\($0)" }) == "")
    }
}
