// A minimal SVG plotting surface for the report: a frame with data coordinates, "nice" axis
// ticks, and marks (lines, points, rectangles, text). Output is plain SVG markup with no
// scripts, fonts or external references, so the report renders offline in any browser.

import Foundation

/// XML-escapes text for SVG/HTML content and attribute values.
public func escapeXML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

/// Colours for populations, in order (colour-blind-friendly Okabe–Ito, then greys).
public let reportPalette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000", "#777777", "#AAAAAA"]

/// One chart: a plot area mapping data coordinates to pixels, with accumulated SVG marks.
struct SVGPlot {
    let width: Double, height: Double
    let left = 62.0, top = 28.0, bottom = 46.0
    /// Right margin: room for the legend when there is one.
    let right: Double
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    private(set) var body = ""
    static let grid = "#e4e4e4", ink = "#333"

    /// - Parameters:
    ///   - legendWidth: pixels reserved right of the plot area for ``legend(_:)``.
    ///   - margin: fraction of each range added on both sides (so points do not sit on the frame).
    init(width: Double = 640, height: Double = 360, x: ClosedRange<Double>, y: ClosedRange<Double>,
         legendWidth: Double = 0, margin: Double = 0) {
        self.width = width; self.height = height
        right = 16 + legendWidth
        xRange = SVGPlot.widened(SVGPlot.padded(x), by: margin); yRange = SVGPlot.widened(SVGPlot.padded(y), by: margin)
    }

    static func widened(_ r: ClosedRange<Double>, by fraction: Double) -> ClosedRange<Double> {
        let w = (r.upperBound - r.lowerBound) * fraction
        return (r.lowerBound - w)...(r.upperBound + w)
    }

    /// Widens a degenerate range so it can be drawn.
    static func padded(_ r: ClosedRange<Double>) -> ClosedRange<Double> {
        guard r.lowerBound.isFinite, r.upperBound.isFinite else { return 0...1 }
        if r.upperBound - r.lowerBound > 1e-12 { return r }
        let c = r.lowerBound, w = max(abs(c) * 0.1, 0.5)
        return (c - w)...(c + w)
    }

    func px(_ x: Double) -> Double { left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - left - right) }
    func py(_ y: Double) -> Double { height - bottom - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - top - bottom) }

    mutating func raw(_ s: String) { body += s + "\n" }

    /// Axes with ticks, grid lines, labels and a title.
    mutating func axes(title: String, xLabel: String, yLabel: String, xTicks: [Double]? = nil, percentY: Bool = false) {
        let x0 = left, x1 = width - right, y0 = height - bottom, y1 = top
        for t in SVGPlot.niceTicks(yRange) {
            let y = py(t)
            raw(#"<line x1="\#(f(x0))" y1="\#(f(y))" x2="\#(f(x1))" y2="\#(f(y))" stroke="\#(SVGPlot.grid)"/>"#)
            let label = percentY ? SVGPlot.format(t * 100) + "%" : SVGPlot.format(t)
            raw(#"<text x="\#(f(x0 - 6))" y="\#(f(y + 4))" text-anchor="end" font-size="11">\#(label)</text>"#)
        }
        for t in xTicks ?? SVGPlot.niceTicks(xRange) {
            let x = px(t)
            raw(#"<line x1="\#(f(x))" y1="\#(f(y0))" x2="\#(f(x))" y2="\#(f(y0 + 5))" stroke="\#(SVGPlot.ink)"/>"#)
            raw(#"<text x="\#(f(x))" y="\#(f(y0 + 18))" text-anchor="middle" font-size="11">\#(SVGPlot.format(t))</text>"#)
        }
        raw(#"<rect x="\#(f(x0))" y="\#(f(y1))" width="\#(f(x1 - x0))" height="\#(f(y0 - y1))" fill="none" stroke="\#(SVGPlot.ink)"/>"#)
        raw(#"<text x="\#(f((x0 + x1) / 2))" y="\#(f(height - 8))" text-anchor="middle" font-size="12">\#(escapeXML(xLabel))</text>"#)
        raw(#"<text x="14" y="\#(f((y0 + y1) / 2))" text-anchor="middle" font-size="12" transform="rotate(-90 14 \#(f((y0 + y1) / 2)))">\#(escapeXML(yLabel))</text>"#)
        raw(#"<text x="\#(f(x0))" y="18" font-size="13" font-weight="bold">\#(escapeXML(title))</text>"#)
    }

    mutating func polyline(_ points: [(Double, Double)], color: String, width w: Double = 2, dashed: Bool = false) {
        let finite = points.filter { $0.0.isFinite && $0.1.isFinite }
        guard finite.count > 1 else { return }
        let d = finite.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
        raw(#"<polyline points="\#(d)" fill="none" stroke="\#(color)" stroke-width="\#(w)"\#(dashed ? #" stroke-dasharray="5,4""# : "")/>"#)
    }

    /// A filled band between `lower` and `upper` curves (same x values).
    mutating func band(x: [Double], lower: [Double], upper: [Double], color: String) {
        let pts = zip(x, zip(lower, upper)).filter { $0.0.isFinite && $0.1.0.isFinite && $0.1.1.isFinite }
        guard pts.count > 1 else { return }
        let top = pts.map { "\(f(px($0.0))),\(f(py($0.1.1)))" }
        let bottom = pts.reversed().map { "\(f(px($0.0))),\(f(py($0.1.0)))" }
        raw(#"<polygon points="\#((top + bottom).joined(separator: " "))" fill="\#(color)" fill-opacity="0.15" stroke="none"/>"#)
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double = 3, color: String, opacity: Double = 0.8, stroke: String? = nil) {
        guard x.isFinite, y.isFinite else { return }
        let s = stroke.map { #" stroke="\#($0)" stroke-width="1""# } ?? ""
        raw(#"<circle cx="\#(f(px(x)))" cy="\#(f(py(y)))" r="\#(r)" fill="\#(color)" fill-opacity="\#(opacity)"\#(s)/>"#)
    }

    /// A rectangle in data coordinates.
    mutating func rect(x0: Double, x1: Double, y0: Double, y1: Double, color: String, opacity: Double = 0.6) {
        let a = px(min(x0, x1)), b = px(max(x0, x1)), c = py(max(y0, y1)), d = py(min(y0, y1))
        raw(#"<rect x="\#(f(a))" y="\#(f(c))" width="\#(f(max(b - a, 0.5)))" height="\#(f(max(d - c, 0)))" fill="\#(color)" fill-opacity="\#(opacity)"/>"#)
    }

    mutating func segment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: String, width w: Double = 1.5) {
        raw(#"<line x1="\#(f(px(x0)))" y1="\#(f(py(y0)))" x2="\#(f(px(x1)))" y2="\#(f(py(y1)))" stroke="\#(color)" stroke-width="\#(w)"/>"#)
    }

    /// A legend right of the plot area (reserve `legendWidth` at init).
    mutating func legend(_ entries: [(String, String)]) {
        let x = width - right + 10
        for (i, (name, color)) in entries.enumerated() {
            let y = top + 14 + Double(i) * 16
            raw(#"<rect x="\#(f(x))" y="\#(f(y - 9))" width="10" height="10" fill="\#(color)"/>"#)
            raw(#"<text x="\#(f(x + 15))" y="\#(f(y))" font-size="11">\#(escapeXML(name))</text>"#)
        }
    }

    /// The finished `<svg>` element.
    var svg: String {
        #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="sans-serif">"#
            + "\n" + body + "</svg>"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Short number formatting for tick labels.
    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        let a = abs(v)
        if a >= 0.01 && a < 1000 { return String(format: "%.3g", v) }
        return String(format: "%.2e", v)
    }

    /// About five round tick values covering `r` (1, 2 or 5 × 10^k steps).
    static func niceTicks(_ r: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = r.upperBound - r.lowerBound
        guard span > 0, span.isFinite else { return [r.lowerBound] }
        let raw = span / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var t = (r.lowerBound / step).rounded(.up) * step
        var ticks: [Double] = []
        while t <= r.upperBound + step * 1e-9 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return ticks
    }
}
