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
}
