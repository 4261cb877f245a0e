// The report's charts as inline SVG: accuracy against fine-tuning epoch per population,
// accuracy distributions, the 2-D latent map with anchors and samples, and novelty histograms.

import Foundation
import Tensor

/// Builders of the report's SVG charts.
public enum ReportCharts {
    /// Mean test accuracy against fine-tuning epoch, one line per population, with the bootstrap
    /// 95% interval of the mean as a band.
    public static func accuracyCurves(_ populations: [PopulationResult], title: String) -> String {
        let epochs = Set(populations.flatMap { $0.epochs.map(\.epoch) }).sorted()
        let values = populations.flatMap { $0.epochs.flatMap { [$0.accuracy.meanInterval.low, $0.accuracy.meanInterval.high, $0.accuracy.mean] } }
            .filter(\.isFinite)
        let lo = max(0, (values.min() ?? 0) - 0.02), hi = min(1, (values.max() ?? 1) + 0.02)
        var plot = SVGPlot(width: 720, x: Double(epochs.first ?? 0)...Double(epochs.last ?? 1), y: lo...hi, legendWidth: 150)
        plot.axes(title: title, xLabel: "fine-tuning epochs", yLabel: "test accuracy (mean, 95% CI)",
                  xTicks: epochs.map(Double.init), percentY: true)
        for (i, p) in populations.enumerated() {
            let color = reportPalette[i % reportPalette.count]
            let x = p.epochs.map { Double($0.epoch) }
            plot.band(x: x, lower: p.epochs.map(\.accuracy.meanInterval.low), upper: p.epochs.map(\.accuracy.meanInterval.high), color: color)
            plot.polyline(zip(x, p.epochs.map(\.accuracy.mean)).map { ($0, $1) }, color: color, dashed: p.role == "baseline")
            for e in p.epochs { plot.circle(Double(e.epoch), e.accuracy.mean, r: 3, color: color, opacity: 1) }
        }
        plot.legend(populations.enumerated().map { ($1.name, reportPalette[$0 % reportPalette.count]) })
        return plot.svg
    }

    /// Per population: every model's accuracy at `epoch` (deterministically jittered points), a box
    /// from the 30% to the 70% quantile, whiskers from 5% to 95%, and the median.
    public static func accuracyDistribution(_ populations: [PopulationResult], epoch: Int, title: String) -> String {
        let rows = populations.compactMap { p in p.epochs.first { $0.epoch == epoch }.map { (p.name, $0) } }
        let all = rows.flatMap { $0.1.accuracies }.filter(\.isFinite)
        let lo = max(0, (all.min() ?? 0) - 0.02), hi = min(1, (all.max() ?? 1) + 0.02)
        var plot = SVGPlot(width: max(360, 110 * Double(rows.count) + 80), x: -0.5...(Double(max(rows.count, 1)) - 0.5), y: lo...hi)
        plot.axes(title: title, xLabel: "population", yLabel: "test accuracy", xTicks: [], percentY: true)
        for (i, (name, e)) in rows.enumerated() {
            let color = reportPalette[populations.firstIndex { $0.name == name }! % reportPalette.count]
            let x = Double(i), q = e.accuracy.quantiles
            plot.segment(x, q[1], x, q[5], color: "#555")
            plot.rect(x0: x - 0.22, x1: x + 0.22, y0: q[2], y1: q[4], color: color, opacity: 0.25)
            plot.segment(x - 0.22, q[3], x + 0.22, q[3], color: "#222", width: 2)
            var jitter = RandomStream(seed: 0, purpose: "report.jitter", index: UInt64(i))
            for a in e.accuracies { plot.circle(x + Double(jitter.nextFloat(in: -0.18, 0.18)), a, r: 2, color: color, opacity: 0.55) }
            plot.raw(#"<text x="\#(String(format: "%.1f", plot.px(x)))" y="\#(String(format: "%.1f", plot.height - plot.bottom + 16))" text-anchor="middle" font-size="11">\#(escapeXML(name))</text>"#)
        }
        return plot.svg
    }

    /// Training models (grey), anchors (black rings) and each population's samples in a 2-D map.
    public static func latentMap(_ projection: LatentProjection) -> String {
        let names = projection.samples.keys.sorted()
        let points = projection.training + projection.anchors + names.flatMap { projection.samples[$0]! }
        let xs = points.map { $0[0] }, ys = points.map { $0[1] }
        var plot = SVGPlot(width: 720, height: 480, x: (xs.min() ?? 0)...(xs.max() ?? 1), y: (ys.min() ?? 0)...(ys.max() ?? 1),
                           legendWidth: 150, margin: 0.04)
        let ev = projection.explainedVariance.map { String(format: "%.0f%%", $0 * 100) }
        plot.axes(title: "Latent space (\(projection.method))", xLabel: "axis 1" + (ev.count > 0 ? " (\(ev[0]) of variance)" : ""),
                  yLabel: "axis 2" + (ev.count > 1 ? " (\(ev[1]))" : ""))
        for p in projection.training { plot.circle(p[0], p[1], r: 2.5, color: "#999999", opacity: 0.6) }
        for (i, name) in names.enumerated() {
            for p in projection.samples[name]! { plot.circle(p[0], p[1], r: 2.5, color: reportPalette[i % reportPalette.count], opacity: 0.65) }
        }
        for p in projection.anchors { plot.circle(p[0], p[1], r: 3.5, color: "none", opacity: 0, stroke: "#000") }
        plot.legend([("training models", "#999999"), ("anchors (rings)", "#000000")]
                    + names.enumerated().map { ($1, reportPalette[$0 % reportPalette.count]) })
        return plot.svg
    }

    /// Histogram of relative distance to the nearest training model, one outline per population.
    public static func noveltyHistogram(_ novelty: [NoveltyResult], bins: Int = 30) -> String {
        let all = novelty.flatMap(\.relativeDistances).filter(\.isFinite)
        let top = max(all.max() ?? 1, 1e-6) * 1.02
        let width = top / Double(bins)
        let counts = novelty.map { n -> [Double] in
            var c = [Double](repeating: 0, count: bins)
            for d in n.relativeDistances where d.isFinite { c[min(bins - 1, Int(d / width))] += 1 }
            let total = max(1, Double(n.relativeDistances.count))
            return c.map { $0 / total }
        }
        var plot = SVGPlot(width: 720, x: 0...top, y: 0...max(counts.flatMap { $0 }.max() ?? 1, 0.01), legendWidth: 150)
        plot.axes(title: "Novelty: distance to the nearest training model", xLabel: "distance / typical distance between training models",
                  yLabel: "fraction of samples", percentY: true)
        for (i, c) in counts.enumerated() {
            var pts: [(Double, Double)] = [(0, 0)]
            for (b, v) in c.enumerated() { pts.append((Double(b) * width, v)); pts.append((Double(b + 1) * width, v)) }
            pts.append((top, 0))
            plot.polyline(pts, color: reportPalette[i % reportPalette.count], width: 1.8)
        }
        plot.legend(novelty.enumerated().map { ($1.population, reportPalette[$0 % reportPalette.count]) })
        return plot.svg
    }
}
