// Issue 18.4: property prediction joins the evaluation report. hz-train probe's report, given to
// hz-eval --probe, is in report.json under "probe" unchanged and in report.html as its own
// section with the baselines; a file that is not a probe report is refused before any
// fine-tuning, with one line and no report written.
import Foundation
import Testing
import TestSupport
import HyperRep
@testable import HyperZooCLI

@Suite(.serialized) struct ProbeEvalReportTests {
    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-zoo") && stageBuilt("hz-sample") && stageBuilt("hz-train"),
                   "needs hz-zoo, hz-sample, hz-train, hz-eval built"))
    func theProbeReportJoinsReportJSONAndHTMLAndAWrongFileIsRefused() throws {
        let dir = TemporaryDirectory("probe-eval")
        try trainTinyMLPZooWithAutoencoder(in: dir, dataset: #"{"name": "synthetic", "synthetic_counts": [120, 20, 80]}"#, models: 10, epochs: 2)
        let probe = try runStage("hz-train", ["probe", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("probe.json"),
                                              "--mlp-epochs", "5", "--hidden", "8"])
        #expect(probe.status == 0, "\(probe.stderr)")
        let sampled = try runStage("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "2", "--anchors", "top50", "-o", dir.path("pop.h5")])
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let common = [dir.path("pop.h5"), "--zoo", dir.path("zoo.h5"), "--epochs", "0", "--models", "2", "--baselines", "bt",
                      "--ensemble-sizes", "", "--bootstrap", "20", "--threads", "2"]

        // Not a probe report (the zoo's spec JSON): refused before fine-tuning, nothing written.
        let wrong = try runStage("hz-eval", common + ["--probe", dir.path("zoo.json"), "-o", dir.path("wrong")])
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("--probe \(dir.path("zoo.json")): format is missing, expected 'hyperzoo.probe'"), "\(wrong.stderr)")
        #expect(wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("wrong/report.json")))
        let folder = try runStage("hz-eval", common + ["--probe", dir.url.path, "-o", dir.path("wrong")])
        #expect(folder.status == 1 && folder.stderr.contains("is a folder, expected a regular file"), "\(folder.stderr)")

        let out = dir.path("report")
        let eval = try runStage("hz-eval", common + ["--probe", dir.path("probe.json"), "-o", out])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        let joined = try #require(report.probe)
        let original = try ProbeReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir.path("probe.json"))), name: "probe.json")
        #expect(joined.results == original.results && joined.features == original.features && joined.properties == original.properties)
        #expect(joined.features.map(\.name) == ["latent", "weights", "weight_statistics"])
        #expect(joined.properties.contains { $0.name == "epoch" })
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<h2>Property prediction</h2>"))
        let epochRidge = try #require(original.results.first { $0.property == "epoch" && $0.features == "weight_statistics" && $0.predictor == "ridge" }?.test)
        #expect(html.contains("<td class=\"l\">epoch</td><td class=\"l\">r2</td><td class=\"l\">weight_statistics</td><td>\(String(format: "%.3f", epochRidge))</td>"))

        // --render-only keeps the section: it comes from report.json alone.
        try FileManager.default.removeItem(atPath: out + "/report.html")
        let rendered = try runStage("hz-eval", ["--zoo", "unused", "--render-only", out + "/report.json", "-o", out])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(try String(contentsOfFile: out + "/report.html", encoding: .utf8) == html)
    }
}
