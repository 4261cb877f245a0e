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

    static func populationTable(_ populations: [PopulationResult]) -> String {
        var h = "<table><tr><th class=\"l\">population</th><th>models</th><th>epoch</th><th>mean %</th><th>std</th><th>median %</th>"
            + "<th>95% CI of mean</th><th>5% / 95% quantile</th><th>mean loss</th></tr>\n"
        for p in populations {
            for e in p.epochs {
                let s = e.accuracy
                h += "<tr><td class=\"l\">\(escapeXML(p.name))</td><td>\(p.modelCount)</td><td>\(e.epoch)</td><td>\(percent(s.mean))</td>"
                    + "<td>\(percent(s.standardDeviation))</td><td>\(percent(s.median))</td>"
                    + "<td>\(percent(s.meanInterval.low))–\(percent(s.meanInterval.high))</td>"
                    + "<td>\(percent(s.quantiles[1])) / \(percent(s.quantiles[5]))</td><td>\(number(meanOf(e.losses)))</td></tr>\n"
            }
        }
        return h + "</table>\n"
    }

    /// Sampled populations against baselines: difference of means with its bootstrap interval,
    /// Welch and Mann–Whitney p-values, raw and Holm-adjusted.
    static func comparisonTable(_ all: [PairwiseComparison], experiment: String) -> String {
        let rows = all.filter { $0.experiment == experiment }
        guard !rows.isEmpty else { return "" }
        func p(_ v: Double) -> String { v.isFinite ? (v < 1e-4 ? String(format: "%.1e", v) : String(format: "%.4f", v)) : "–" }
        var h = "<h3>Sampled populations against baselines</h3>\n<p>Difference of mean test accuracy (sampled − baseline, "
            + "percentage points) with a percentile-bootstrap 95% interval; two-sided p-values of Welch's t-test and of the "
            + "Mann–Whitney U test (normal approximation), raw and Holm-adjusted over this table.</p>\n"
            + "<table><tr><th class=\"l\">population</th><th class=\"l\">baseline</th><th>epoch</th><th>n / m</th>"
            + "<th>Δ mean (pp)</th><th>95% CI of Δ</th><th>Welch t</th><th>p (Welch)</th><th>p Holm</th>"
            + "<th>P(a&gt;b)</th><th>p (M–W)</th><th>p Holm</th></tr>\n"
        for c in rows {
            h += "<tr><td class=\"l\">\(escapeXML(c.population))</td><td class=\"l\">\(escapeXML(c.baseline))</td><td>\(c.epoch)</td>"
                + "<td>\(c.populationCount) / \(c.baselineCount)</td><td>\(percent(c.meanDifference))</td>"
                + "<td>\(percent(c.meanDifferenceInterval.low))–\(percent(c.meanDifferenceInterval.high))</td>"
                + "<td>\(number(c.welch.statistic))</td><td>\(p(c.welch.pValue))</td><td>\(p(c.welchHolmP))</td>"
                + "<td>\(number(c.mannWhitney.probabilityOfSuperiority))</td><td>\(p(c.mannWhitney.pValue))</td><td>\(p(c.mannWhitneyHolmP))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    static func ensembleTable(_ ensembles: [EnsembleResult]) -> String {
        var h = "<table><tr><th class=\"l\">population</th><th>epoch</th><th>k</th><th>ensembles</th><th>ensemble mean %</th>"
            + "<th>95% CI</th><th>member mean %</th></tr>\n"
        for e in ensembles {
            h += "<tr><td class=\"l\">\(escapeXML(e.population))</td><td>\(e.epoch)</td><td>\(e.size)</td><td>\(e.accuracies.count)</td>"
                + "<td>\(percent(e.accuracy.mean))</td><td>\(percent(e.accuracy.meanInterval.low))–\(percent(e.accuracy.meanInterval.high))</td>"
                + "<td>\(percent(e.memberMeanAccuracy))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    static func noveltyTable(_ novelty: [NoveltyResult]) -> String {
        var h = "<table><tr><th class=\"l\">population</th><th>samples</th><th>typical distance</th><th>relative distance: median</th>"
            + "<th>5% / 95%</th><th>prediction disagreement: mean %</th></tr>\n"
        for n in novelty {
            h += "<tr><td class=\"l\">\(escapeXML(n.population))</td><td>\(n.relativeDistances.count)</td><td>\(number(n.typicalDistance))</td>"
                + "<td>\(number(n.relativeDistance.median))</td><td>\(number(n.relativeDistance.quantiles[1])) / \(number(n.relativeDistance.quantiles[5]))</td>"
                + "<td>\(percent(n.disagreement.mean))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    /// Each sampled population beside its noise control at equal novelty, at every epoch.
    static func noiseControlTable(_ report: EvaluationReport) -> String {
        guard let pairings = report.noiseControls, !pairings.isEmpty else { return "" }
        let comparisons = (report.comparisons ?? []).filter { $0.experiment == NoiseControlPairing.experiment }
        func mean(_ name: String, _ epoch: Int) -> Double {
            report.populations.first { $0.name == name }?.epochs.first { $0.epoch == epoch }?.accuracy.mean ?? .nan
        }
        var h = "<h3>Against the noise control at equal novelty</h3>\n<p>The noise control is training models plus isotropic "
            + "Gaussian noise scaled to the population's novelty (hz-sample --sampler noise-control). A sampler makes new good "
            + "models only if it beats it.</p>\n<table><tr><th class=\"l\">population</th><th class=\"l\">noise control</th>"
            + "<th>novelty (pop / control)</th><th>epoch</th><th>population mean %</th><th>control mean %</th><th>Δ mean (pp)</th>"
            + "<th>95% CI of Δ</th><th>p Holm (Welch)</th></tr>\n"
        for pairing in pairings {
            for c in comparisons where c.population == pairing.population && c.baseline == pairing.control {
                h += "<tr><td class=\"l\">\(escapeXML(pairing.population))</td><td class=\"l\">\(escapeXML(pairing.control))</td>"
                    + "<td>\(number(pairing.populationNovelty)) / \(number(pairing.controlNovelty))</td><td>\(c.epoch)</td>"
                    + "<td>\(percent(mean(pairing.population, c.epoch)))</td><td>\(percent(mean(pairing.control, c.epoch)))</td>"
                    + "<td>\(percent(c.meanDifference))</td><td>\(percent(c.meanDifferenceInterval.low))–\(percent(c.meanDifferenceInterval.high))</td>"
                    + "<td>\(number(c.welchHolmP))</td></tr>\n"
            }
        }
        return h + "</table>\n"
    }

    static func diagnosticsTable(_ diagnostics: [PopulationDiagnostics]) -> String {
        var h = "<table><tr><th class=\"l\">population</th><th>models</th><th>spread ratio</th><th>collapsed (&lt; \(PopulationDiagnostics.collapseThreshold))</th>"
            + "<th>near copies (&lt; \(PopulationDiagnostics.nearCopyThreshold))</th></tr>\n"
        for d in diagnostics {
            h += "<tr><td class=\"l\">\(escapeXML(d.population))</td><td>\(d.samples)</td><td>\(number(d.spreadRatio))</td>"
                + "<td>\(d.collapsed ? "yes" : "no")</td><td>\(d.nearCopies)</td></tr>\n"
        }
        return h + "</table>\n"
    }

    /// Test-split scores of `hz-train probe`: per property and feature set, ridge and MLP beside
    /// the constant predictor (R² for numbers, accuracy for classes).
    static func probeTable(_ probe: ProbeReport) -> String {
        var h = "<p>Fitted on \(probe.checkpoints.train) training-split checkpoints, ridge penalty and MLP epoch chosen on "
            + "\(probe.checkpoints.val) val, scored on \(probe.checkpoints.test) test checkpoints of \(escapeXML(probe.zoo)) "
            + "(AE \(escapeXML(probe.ae)), epochs \(probe.epochs.map(String.init).joined(separator: ", "))). "
            + "weights and weight_statistics are the baselines.</p>\n"
        h += "<table><tr><th class=\"l\">property</th><th class=\"l\">metric</th><th class=\"l\">features</th><th>ridge</th><th>MLP</th><th>constant</th></tr>\n"
        func cell(_ v: Double?) -> String { "<td>\(v.map(number) ?? "–")</td>" }
        for p in probe.properties {
            let rows = probe.results.filter { $0.property == p.name }
            let constant = rows.first { $0.predictor == "constant" }?.test
            for set in probe.features {
                func score(_ predictor: String) -> Double? { rows.first { $0.features == set.name && $0.predictor == predictor }?.test }
                h += "<tr><td class=\"l\">\(escapeXML(p.name))</td><td class=\"l\">\(escapeXML(rows.first?.metric ?? ""))</td>"
                    + "<td class=\"l\">\(escapeXML(set.name))</td>" + cell(score("ridge")) + cell(score("mlp")) + cell(constant) + "</tr>\n"
            }
        }
        h += "</table>\n"
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
