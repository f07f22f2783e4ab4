import Foundation

/// Small inline SVG charts for self-contained reports: no scripts, no fonts to fetch.
///
/// Drawn on a 400-unit-wide canvas with 12-unit text, so labels stay readable where a phone shows the
/// chart 358 px wide (about 11 px text) and where a wide screen shows it in a column of two. The legend
/// is the page's, in text (``Legend``), so it survives mail clients that drop SVG.
enum SVGChart {
    static let width = 400.0
    static let fontSize = 12

    /// The colours the page's legend names.
    enum Colour {
        package static let value = "#1565c0"
        static let outside = "#c62828"
        package static let centre = "#555"
        static let band = "#dde3ea"
        package static let target = "#2e7d32"
        static let limit = "#888"
    }

    /// One week of a line chart: its value and, on a control chart, its centre and limits.
    struct LinePoint: Sendable {
        package var label: String
        package var value: Double
        package var centre: Double?
        var limits: (lower: Double, upper: Double)?

        package init(label: String, value: Double, centre: Double? = nil, limits: (lower: Double, upper: Double)? = nil) {
            self.label = label
            self.value = value
            self.centre = centre
            self.limits = limits
        }

        var outside: Bool { limits.map { value < $0.lower || value > $0.upper } ?? false }
    }

    /// A weekly line chart: the control limits as a shaded band, the centre line, a target line when
    /// there is one, points outside the limits in red. `bounds` clamps the axis (a rate stays in 0–1).
    package static func line(_ points: [LinePoint], target: Double? = nil, bounds: ClosedRange<Double>? = nil,
                            format: (Double) -> String, description: String) -> String {
        guard !points.isEmpty else { return "" }
        let height = 190.0
        let left = 58.0, right = 10.0, top = 12.0, bottom = 34.0
        let w = width - left - right, h = height - top - bottom
        var values = points.map(\.value) + points.compactMap(\.centre) + [target].compactMap { $0 }
        values += points.compactMap(\.limits).flatMap { [$0.lower, $0.upper] }
        var lo = values.min()!, hi = values.max()!
        if let bounds { lo = max(lo, bounds.lowerBound); hi = min(hi, bounds.upperBound) }
        if hi - lo < 1e-9 { lo -= max(1e-3, abs(lo) * 0.05); hi += max(1e-3, abs(hi) * 0.05) }
        let pad = (hi - lo) * 0.06
        lo -= pad
        hi += pad
        func x(_ i: Int) -> Double { left + (points.count == 1 ? w / 2 : w * Double(i) / Double(points.count - 1)) }
        func y(_ v: Double) -> Double { top + h * (1 - (min(hi, max(lo, v)) - lo) / (hi - lo)) }
        var svg = open(height: height, description: description)
        // Axis: three values on the left, a base line.
        for v in [lo + pad, (lo + hi) / 2, hi - pad] {
            svg += text(x: left - 6, y: y(v) + 4, anchor: "end", format(v))
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#eee\"/>"
        }
        // The control limits as a band, where the chart has them.
        let limited = points.enumerated().filter { $0.element.limits != nil }
        if limited.count >= 2 {
            let upper = limited.map { "\(f(x($0.offset))),\(f(y($0.element.limits!.upper)))" }
            let lower = limited.reversed().map { "\(f(x($0.offset))),\(f(y($0.element.limits!.lower)))" }
            svg += "<polygon fill=\"\(Colour.band)\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>"
        }
        let centred = points.enumerated().filter { $0.element.centre != nil }
        if centred.count >= 2 {
            svg += "<polyline fill=\"none\" stroke=\"\(Colour.centre)\" stroke-width=\"1.2\" points=\""
                + centred.map { "\(f(x($0.offset))),\(f(y($0.element.centre!)))" }.joined(separator: " ") + "\"/>"
        }
        if let target {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(target)))\" y2=\"\(f(y(target)))\" stroke=\"\(Colour.target)\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
        }
        if points.count >= 2 {
            svg += "<polyline fill=\"none\" stroke=\"\(Colour.value)\" stroke-width=\"2\" points=\""
                + points.enumerated().map { "\(f(x($0))),\(f(y($1.value)))" }.joined(separator: " ") + "\"/>"
        }
        for (i, p) in points.enumerated() {
            svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(p.value)))\" r=\"\(p.outside ? "5" : "3.5")\" fill=\"\(p.outside ? Colour.outside : Colour.value)\">"
            svg += "<title>\(escape(p.label)): \(escape(format(p.value)))</title></circle>"
        }
        // Week labels: the first, the last and one between, never overlapping.
        var labelled = [0, points.count - 1]
        if points.count >= 5 { labelled.insert(points.count / 2, at: 1) }
        for i in Set(labelled).sorted() {
            let anchor = i == 0 ? "start" : i == points.count - 1 ? "end" : "middle"
            svg += text(x: points.count == 1 ? x(i) : x(i), y: height - 12, anchor: points.count == 1 ? "middle" : anchor, points[i].label)
        }
        return svg + "</svg>"
    }

    /// One colleague on a funnel plot. `mark` numbers the colleagues the page names beside the chart.
    struct FunnelPoint: Sendable {
        package var label: String
        var numerator: Int
        var denominator: Int
        var position: FunnelLimits.Position
        var mark: Int?

        package init(label: String, numerator: Int, denominator: Int, position: FunnelLimits.Position, mark: Int? = nil) {
            self.label = label
            self.numerator = numerator
            self.denominator = denominator
            self.position = position
            self.mark = mark
        }
    }

    /// A funnel plot (Spiegelhalter 2005): each colleague's rate against their volume, with the team's
    /// rate and its 95% (dashed, a warning) and 99.8% (solid, a flag) limits as they narrow with n.
    /// Flagged colleagues are red, warned ones orange; both carry their number, which the page explains.
    static func funnel(_ points: [FunnelPoint], centre: Double, format: (Double) -> String, description: String) -> String {
        guard let maxN = points.map(\.denominator).max(), maxN > 0 else { return "" }
        let height = 210.0
        let left = 58.0, right = 14.0, top = 12.0, bottom = 34.0
        let w = width - left - right, h = height - top - bottom
        let nMax = Double(maxN) * 1.1
        func x(_ n: Double) -> Double { left + w * n / nMax }
        func y(_ v: Double) -> Double { top + h * (1 - min(1, max(0, v))) }
        var svg = open(height: height, description: description)
        for v in [0.0, 0.5, 1.0] {
            svg += text(x: left - 6, y: y(v) + 4, anchor: "end", format(v))
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#eee\"/>"
        }
        svg += "<line x1=\"\(f(x(0)))\" x2=\"\(f(x(nMax)))\" y1=\"\(f(y(centre)))\" y2=\"\(f(y(centre)))\" stroke=\"\(Colour.centre)\" stroke-width=\"1.2\"/>"
        // Exact binomial limits around the team's rate, from the minimum volume on (no flag below it).
        // Inside the plot only: a team whose colleagues all have fewer contacts gets no limit lines.
        let steps = Array(Set((1...60).map { max(FunnelLimits.minimumVolume, Int((nMax * Double($0) / 60).rounded())) }))
            .filter { Double($0) <= nMax }.sorted()
        let tails = [(FunnelLimits.warningTail, " stroke-dasharray=\"4 3\""), (FunnelLimits.flagTail, "")]
        // Each volume's four limits from one computation of its binomial probabilities.
        let limits = steps.map { n in FunnelLimits(centre: centre, n: n).limits(at: tails.flatMap { [$0.0, 1 - $0.0] }) }
        for (i, (_, dash)) in tails.enumerated() {
            for j in 0..<2 where !steps.isEmpty {  // the lower limit, then the upper
                let curve = zip(steps, limits).map { n, limit in (Double(n), limit[2 * i + j]) }
                svg += "<polyline fill=\"none\" stroke=\"\(Colour.limit)\"\(dash) points=\"" + curve.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ") + "\"/>"
            }
        }
        for p in points where p.denominator > 0 {
            let rate = Double(p.numerator) / Double(p.denominator)
            let colour = switch p.position {
            case .flagged: Colour.outside
            case .warning: "#ef6c00"
            case .inside: Colour.value
            }
            svg += "<circle cx=\"\(f(x(Double(p.denominator))))\" cy=\"\(f(y(rate)))\" r=\"\(p.position == .inside ? "3.5" : "5")\" fill=\"\(colour)\" fill-opacity=\"0.85\">"
            svg += "<title>\(escape(p.label)): \(p.numerator)/\(p.denominator) = \(escape(format(rate)))</title></circle>"
            if let mark = p.mark {
                // The number beside the point, on the side with room.
                let px = x(Double(p.denominator)), py = y(rate)
                let leftSide = px > width - right - 24
                svg += text(x: leftSide ? px - 8 : px + 8, y: py < top + 14 ? py + 14 : py - 6, anchor: leftSide ? "end" : "start", "\(mark)", bold: true)
            }
        }
        svg += text(x: x(0), y: height - 12, anchor: "start", "0")
        svg += text(x: x(nMax), y: height - 12, anchor: "end", "\(Int(nMax.rounded())) contacts")
        return svg + "</svg>"
    }

    static func open(height: Double, description: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-label=\"\(escape(description))\">"
            + "<title>\(escape(description))</title>"
    }

    static func text(x: Double, y: Double, anchor: String, _ content: String, bold: Bool = false) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(fontSize)\" text-anchor=\"\(anchor)\"\(bold ? " font-weight=\"bold\"" : "") fill=\"#333\">\(escape(content))</text>"
    }

    static func f(_ d: Double) -> String { String(format: "%.1f", d) }

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
