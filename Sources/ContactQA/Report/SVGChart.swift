import Foundation

/// Small inline SVG charts for self-contained reports: no scripts, no fonts to fetch.
public enum SVGChart {
    /// A weekly line chart with optional control limits, points outside them in red.
    public static func line(_ points: [(label: String, value: Double)], lower: [Double]? = nil, upper: [Double]? = nil,
                            format: (Double) -> String, width: Int = 560, height: Int = 160) -> String {
        guard points.count >= 1 else { return "" }
        let values = points.map(\.value) + (lower ?? []) + (upper ?? [])
        var lo = values.min()!, hi = values.max()!
        if hi - lo < 1e-9 { lo -= 1; hi += 1 }
        let left = 48.0, right = 12.0, top = 10.0, bottom = 24.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        func x(_ i: Int) -> Double { left + (points.count == 1 ? w / 2 : w * Double(i) / Double(points.count - 1)) }
        func y(_ v: Double) -> Double { top + h * (1 - (v - lo) / (hi - lo)) }
        func f(_ d: Double) -> String { String(format: "%.1f", d) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\">"
        svg += "<text x=\"4\" y=\"\(f(y(hi) + 4))\" font-size=\"10\">\(format(hi))</text><text x=\"4\" y=\"\(f(y(lo)))\" font-size=\"10\">\(format(lo))</text>"
        for (band, color) in [(lower, "#999"), (upper, "#999")] {
            if let band, band.count == points.count {
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-dasharray=\"4 3\" points=\"" + band.enumerated().map { "\(f(x($0))),\(f(y($1)))" }.joined(separator: " ") + "\"/>"
            }
        }
        svg += "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"" + points.enumerated().map { "\(f(x($0))),\(f(y($1.value)))" }.joined(separator: " ") + "\"/>"
        for (i, p) in points.enumerated() {
            let outside = (lower.map { i < $0.count && p.value < $0[i] } ?? false) || (upper.map { i < $0.count && p.value > $0[i] } ?? false)
            svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(p.value)))\" r=\"3\" fill=\"\(outside ? "#c62828" : "#1565c0")\"><title>\(p.label): \(format(p.value))</title></circle>"
        }
        svg += "<text x=\"\(f(x(0)))\" y=\"\(height - 6)\" font-size=\"10\">\(points.first!.label)</text>"
        svg += "<text x=\"\(f(x(points.count - 1) - 40))\" y=\"\(height - 6)\" font-size=\"10\">\(points.last!.label)</text></svg>"
        return svg
    }

    /// A funnel plot (Spiegelhalter 2005): each colleague's rate against their volume, with the team's
    /// rate and its 95% (dashed, a warning) and 99.8% (solid, a flag) limits as they narrow with n.
    /// Points outside the 99.8% funnel are red.
    public static func funnel(_ points: [(label: String, numerator: Int, denominator: Int, flagged: Bool)], centre: Double,
                              format: (Double) -> String, width: Int = 560, height: Int = 160) -> String {
        guard let maxN = points.map(\.denominator).max(), maxN > 0 else { return "" }
        let left = 48.0, right = 12.0, top = 10.0, bottom = 24.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        let nMax = Double(maxN) * 1.1
        func x(_ n: Double) -> Double { left + w * n / nMax }
        func y(_ v: Double) -> Double { top + h * (1 - min(1, max(0, v))) }
        func f(_ d: Double) -> String { String(format: "%.1f", d) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\">"
        svg += "<text x=\"4\" y=\"\(f(y(1) + 4))\" font-size=\"10\">\(format(1))</text><text x=\"4\" y=\"\(f(y(0)))\" font-size=\"10\">\(format(0))</text>"
        svg += "<line x1=\"\(f(x(0)))\" x2=\"\(f(x(nMax)))\" y1=\"\(f(y(centre)))\" y2=\"\(f(y(centre)))\" stroke=\"#1565c0\"/>"
        // Exact binomial limits around the team's rate, from the minimum volume on (no flag below it).
        // Inside the plot only: a team whose colleagues all have fewer contacts gets no limit lines.
        let steps = Array(Set((1...60).map { max(FunnelLimits.minimumVolume, Int((nMax * Double($0) / 60).rounded())) }))
            .filter { Double($0) <= nMax }.sorted()
        for (tail, dash) in [(FunnelLimits.warningTail, " stroke-dasharray=\"4 3\""), (FunnelLimits.flagTail, "")] {
            for probability in [tail, 1 - tail] where !steps.isEmpty {
                let curve = steps.map { n in (Double(n), FunnelLimits(centre: centre, n: n).limit(at: probability)) }
                svg += "<polyline fill=\"none\" stroke=\"#999\"\(dash) points=\"" + curve.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ") + "\"/>"
            }
        }
        for p in points where p.denominator > 0 {
            let rate = Double(p.numerator) / Double(p.denominator)
            svg += "<circle cx=\"\(f(x(Double(p.denominator))))\" cy=\"\(f(y(rate)))\" r=\"4\" fill=\"\(p.flagged ? "#c62828" : "#1565c0")\">"
            svg += "<title>\(escape(p.label)): \(p.numerator)/\(p.denominator) = \(format(rate))</title></circle>"
        }
        svg += "<text x=\"\(f(x(0)))\" y=\"\(height - 6)\" font-size=\"10\">0</text>"
        svg += "<text x=\"\(f(x(nMax) - 60))\" y=\"\(height - 6)\" font-size=\"10\">n = \(Int(nMax.rounded()))</text></svg>"
        return svg
    }

    /// Text for SVG/XML content: names come from exports and may hold &, < or quotes.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
