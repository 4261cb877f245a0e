// report.html: one self-contained page (inline CSS and SVG, no scripts, no network) showing
// everything in report.json: charts first, then the tables with every summary number.

import Foundation

/// Renders an ``EvaluationReport`` as a self-contained HTML page.
public enum ReportHTML {
    public static func render(_ report: EvaluationReport) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>hyperzoo evaluation report</title>
        <style>
        body{font-family:sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}
        h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
        table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
        th{background:#f3f3f3} td.l,th.l{text-align:left} pre{background:#f6f6f6;padding:8px;font-size:12px;white-space:pre-wrap}
        .charts svg{margin:6px 12px 6px 0;border:1px solid #eee}
        </style></head><body>
        <h1>hyperzoo evaluation report</h1>
        <p>\(escapeXML(report.generator)), \(escapeXML(report.createdAt)). Accuracies are test-set accuracies;
        intervals are percentile-bootstrap 95% intervals of the mean.</p>

        """
        if let summary = report.summary, !summary.isEmpty {
            h += "<h2>Summary</h2>\n<ul class=\"summary\">" + summary.map { "<li>\(escapeXML($0))</li>" }.joined() + "</ul>\n"
        }
        if !report.populations.isEmpty {
            h += "<h2>In-distribution fine-tuning</h2>\n<div class=\"charts\">"
            h += ReportCharts.accuracyCurves(report.populations, title: "Accuracy vs fine-tuning epochs")
            let epochs = Set(report.populations.flatMap { $0.epochs.map(\.epoch) }).sorted()
            if let first = epochs.first {
                h += ReportCharts.accuracyDistribution(report.populations, epoch: first, title: "Accuracy at epoch \(first)")
            }
            if let last = epochs.last, epochs.count > 1 {
                h += ReportCharts.accuracyDistribution(report.populations, epoch: last, title: "Accuracy at epoch \(last)")
            }
            h += "</div>\n" + populationTable(report.populations)
            h += comparisonTable(report.comparisons ?? [], experiment: "in-distribution")
            h += noiseControlTable(report)
        }
        if let projection = report.latentProjection {
            h += "<h2>Latent space</h2>\n<div class=\"charts\">" + ReportCharts.latentMap(projection) + "</div>\n"
        }
        if !report.ensembles.isEmpty {
            h += "<h2>Ensembles</h2>\n" + ensembleTable(report.ensembles)
        }
        for t in report.transfers {
            h += "<h2>Transfer: \(escapeXML(t.source)) → \(escapeXML(t.target))</h2>\n<div class=\"charts\">"
            h += ReportCharts.accuracyCurves(t.populations, title: "\(t.source) → \(t.target): accuracy vs fine-tuning epochs")
            h += "</div>\n" + populationTable(t.populations)
            h += comparisonTable(report.comparisons ?? [], experiment: TransferResult.experimentName(source: t.source, target: t.target))
        }
        if !report.novelty.isEmpty {
            h += "<h2>Novelty</h2>\n<div class=\"charts\">" + ReportCharts.noveltyHistogram(report.novelty) + "</div>\n"
            h += noveltyTable(report.novelty)
        }
        if let probe = report.probe {
            h += "<h2>Property prediction</h2>\n" + probeTable(probe)
        }
        if let diagnostics = report.diagnostics, !diagnostics.isEmpty {
            h += "<h2>Diagnostics</h2>\n" + diagnosticsTable(diagnostics)
        }
        if !report.notes.isEmpty {
            h += "<h2>Notes</h2>\n<ul>" + report.notes.map { "<li>\(escapeXML($0))</li>" }.joined() + "</ul>\n"
        }
        h += "<h2>Reproduce</h2>\n<pre>" + escapeXML(report.commands.joined(separator: "\n")) + "</pre>\n"
        h += keyValueTable("Seeds", report.seeds.sorted { $0.key < $1.key }.map { ($0.key, String($0.value)) })
        h += keyValueTable("Settings", report.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return h + "</body></html>\n"
    }

    static func percent(_ v: Double) -> String { v.isFinite ? String(format: "%.2f", v * 100) : "–" }
    static func number(_ v: Double) -> String { v.isFinite ? String(format: "%.3f", v) : "–" }

    /// A header or body cell: `html` is markup already (numbers, entities, escaped names);
    /// `left` aligns it left (class "l"), as names are, numbers being right-aligned.
    struct Cell {
        let html: String
        let left: Bool
    }
    /// A left-aligned cell of plain text (escaped).
    static func name(_ text: String) -> Cell { Cell(html: escapeXML(text), left: true) }
    /// A right-aligned cell of markup.
    static func value(_ html: String) -> Cell { Cell(html: html, left: false) }

    /// One report table: the header row, then one row per entry, each row on its own line.
    static func table(_ header: [Cell], _ rows: [[Cell]]) -> String {
        func row(_ cells: [Cell], _ tag: String) -> String {
            "<tr>" + cells.map { "<\(tag)\($0.left ? " class=\"l\"" : "")>\($0.html)</\(tag)>" }.joined() + "</tr>\n"
        }
        return "<table>" + row(header, "th") + rows.map { row($0, "td") }.joined() + "</table>\n"
    }
    /// Header cells: the first `names` left-aligned, the rest right-aligned (markup as given).
    static func header(names: Int, _ titles: String...) -> [Cell] {
        titles.enumerated().map { Cell(html: $0.element, left: $0.offset < names) }
    }

    static func populationTable(_ populations: [PopulationResult]) -> String {
        let rows = populations.flatMap { p in
            p.epochs.map { e in
                let s = e.accuracy
                return [name(p.name), value("\(p.modelCount)"), value("\(e.epoch)"), value(percent(s.mean)),
                        value(percent(s.standardDeviation)), value(percent(s.median)),
                        value("\(percent(s.meanInterval.low))–\(percent(s.meanInterval.high))"),
                        value("\(percent(s.quantiles[1])) / \(percent(s.quantiles[5]))"), value(number(meanOf(e.losses)))]
            }
        }
        return table(header(names: 1, "population", "models", "epoch", "mean %", "std", "median %", "95% CI of mean",
                            "5% / 95% quantile", "mean loss"), rows)
    }

    /// Sampled populations against baselines: difference of means with its bootstrap interval,
    /// Welch and Mann–Whitney p-values, raw and Holm-adjusted.
    static func comparisonTable(_ all: [PairwiseComparison], experiment: String) -> String {
        let rows = all.filter { $0.experiment == experiment }
        guard !rows.isEmpty else { return "" }
        func p(_ v: Double) -> String { v.isFinite ? (v < 1e-4 ? String(format: "%.1e", v) : String(format: "%.4f", v)) : "–" }
        let h = "<h3>Sampled populations against baselines</h3>\n<p>Difference of mean test accuracy (sampled − baseline, "
            + "percentage points) with a percentile-bootstrap 95% interval; two-sided p-values of Welch's t-test and of the "
            + "Mann–Whitney U test (normal approximation), raw and Holm-adjusted over this table.</p>\n"
        let cells = rows.map { c in
            [name(c.population), name(c.baseline), value("\(c.epoch)"), value("\(c.populationCount) / \(c.baselineCount)"),
             value(percent(c.meanDifference)), value("\(percent(c.meanDifferenceInterval.low))–\(percent(c.meanDifferenceInterval.high))"),
             value(number(c.welch.statistic)), value(p(c.welch.pValue)), value(p(c.welchHolmP)),
             value(number(c.mannWhitney.probabilityOfSuperiority)), value(p(c.mannWhitney.pValue)), value(p(c.mannWhitneyHolmP))]
        }
        return h + table(header(names: 2, "population", "baseline", "epoch", "n / m", "Δ mean (pp)", "95% CI of Δ", "Welch t",
                                "p (Welch)", "p Holm", "P(a&gt;b)", "p (M–W)", "p Holm"), cells)
    }

    static func ensembleTable(_ ensembles: [EnsembleResult]) -> String {
        table(header(names: 1, "population", "epoch", "k", "ensembles", "ensemble mean %", "95% CI", "member mean %"),
              ensembles.map { e in
                  [name(e.population), value("\(e.epoch)"), value("\(e.size)"), value("\(e.accuracies.count)"),
                   value(percent(e.accuracy.mean)), value("\(percent(e.accuracy.meanInterval.low))–\(percent(e.accuracy.meanInterval.high))"),
                   value(percent(e.memberMeanAccuracy))]
              })
    }

    static func noveltyTable(_ novelty: [NoveltyResult]) -> String {
        table(header(names: 1, "population", "samples", "typical distance", "relative distance: median", "5% / 95%",
                     "prediction disagreement: mean %"),
              novelty.map { n in
                  [name(n.population), value("\(n.relativeDistances.count)"), value(number(n.typicalDistance)),
                   value(number(n.relativeDistance.median)),
                   value("\(number(n.relativeDistance.quantiles[1])) / \(number(n.relativeDistance.quantiles[5]))"),
                   value(percent(n.disagreement.mean))]
              })
    }

    /// Each sampled population beside its noise control at equal novelty, at every epoch.
    static func noiseControlTable(_ report: EvaluationReport) -> String {
        guard let pairings = report.noiseControls, !pairings.isEmpty else { return "" }
        let comparisons = (report.comparisons ?? []).filter { $0.experiment == NoiseControlPairing.experiment }
        func mean(_ name: String, _ epoch: Int) -> Double {
            report.populations.first { $0.name == name }?.epochs.first { $0.epoch == epoch }?.accuracy.mean ?? .nan
        }
        let h = "<h3>Against the noise control at equal novelty</h3>\n<p>The noise control is training models plus isotropic "
            + "Gaussian noise scaled to the population's novelty (hz-sample --sampler noise-control). A sampler makes new good "
            + "models only if it beats it.</p>\n"
        let rows = pairings.flatMap { pairing in
            comparisons.filter { $0.population == pairing.population && $0.baseline == pairing.control }.map { c in
                [name(pairing.population), name(pairing.control),
                 value("\(number(pairing.populationNovelty)) / \(number(pairing.controlNovelty))"), value("\(c.epoch)"),
                 value(percent(mean(pairing.population, c.epoch))), value(percent(mean(pairing.control, c.epoch))),
                 value(percent(c.meanDifference)), value("\(percent(c.meanDifferenceInterval.low))–\(percent(c.meanDifferenceInterval.high))"),
                 value(number(c.welchHolmP))]
            }
        }
        return h + table(header(names: 2, "population", "noise control", "novelty (pop / control)", "epoch", "population mean %",
                                "control mean %", "Δ mean (pp)", "95% CI of Δ", "p Holm (Welch)"), rows)
    }

    static func diagnosticsTable(_ diagnostics: [PopulationDiagnostics]) -> String {
        table(header(names: 1, "population", "models", "spread ratio", "collapsed (&lt; \(PopulationDiagnostics.collapseThreshold))",
                     "near copies (&lt; \(PopulationDiagnostics.nearCopyThreshold))"),
              diagnostics.map { d in
                  [name(d.population), value("\(d.samples)"), value(number(d.spreadRatio)), value(d.collapsed ? "yes" : "no"),
                   value("\(d.nearCopies)")]
              })
    }

    /// Test-split scores of `hz-train probe`: per property and feature set, ridge and MLP beside
    /// the constant predictor (R² for numbers, accuracy for classes).
    static func probeTable(_ probe: ProbeReport) -> String {
        var h = "<p>Fitted on \(probe.checkpoints.train) training-split checkpoints, ridge penalty and MLP epoch chosen on "
            + "\(probe.checkpoints.val) val, scored on \(probe.checkpoints.test) test checkpoints of \(escapeXML(probe.zoo)) "
            + "(AE \(escapeXML(probe.ae)), epochs \(probe.epochs.map(String.init).joined(separator: ", "))). "
            + "weights and weight_statistics are the baselines.</p>\n"
        func cell(_ v: Double?) -> Cell { value(v.map(number) ?? "–") }
        var rows: [[Cell]] = []
        for p in probe.properties {
            let results = probe.results.filter { $0.property == p.name }
            let constant = results.first { $0.predictor == "constant" }?.test
            for set in probe.features {
                func score(_ predictor: String) -> Double? { results.first { $0.features == set.name && $0.predictor == predictor }?.test }
                rows.append([name(p.name), name(results.first?.metric ?? ""), name(set.name),
                             cell(score("ridge")), cell(score("mlp")), cell(constant)])
            }
        }
        h += table(header(names: 3, "property", "metric", "features", "ridge", "MLP", "constant"), rows)
        if !probe.skipped.isEmpty {
            h += "<ul>" + probe.skipped.map { "<li>\(escapeXML($0.name)) skipped: \(escapeXML($0.reason ?? ""))</li>" }.joined() + "</ul>\n"
        }
        return h
    }

    static func keyValueTable(_ title: String, _ rows: [(String, String)]) -> String {
        guard !rows.isEmpty else { return "" }
        return "<h3>\(escapeXML(title))</h3><table>" + rows.map { "<tr><td class=\"l\">\(escapeXML($0.0))</td><td class=\"l\">\(escapeXML($0.1))</td></tr>" }.joined() + "</table>\n"
    }
}
