// hz-zoo → hz-sample → hz-eval end to end through the real executables on a tiny synthetic zoo
// (an MLP on 28×28 synthetic images), with digits transfer, ensembles and novelty.
import Foundation
import Testing
import TestSupport
import HyperRep
import Nets
import ZooStore
@testable import HyperZooCLI

/// Trains dir/zoo.h5 with hz-zoo (an MLP 784-6-10 on `dataset`, a ZooSpec dataset object) and
/// writes an untrained small autoencoder for it to dir/ae.h5.
func trainTinyMLPZooWithAutoencoder(in dir: TemporaryDirectory, dataset: String, models: Int, epochs: Int) throws {
    let config = """
    {"name": "tiny", "architecture": {"family": "mlp", "channels": 1, "hidden": [6], "activation": "tanh"},
     "dataset": \(dataset), "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.003},
     "batch_size": 20, "epochs": \(epochs), "seeds": {"start": 1, "count": \(models)}}
    """
    try config.write(toFile: dir.path("zoo.json"), atomically: true, encoding: .utf8)
    let zoo = try runStage("hz-zoo", [dir.path("zoo.json"), "-o", dir.path("zoo.h5"), "--threads", "2"])
    #expect(zoo.status == 0, "\(zoo.stderr)")
    let architecture = ArchitectureSpec.mlp(hidden: [6])
    let aeConfig = AutoencoderConfig(table: architecture.parameterTable, modelWidth: 8, heads: 2, blocks: 1, feedForwardWidth: 8, latentSize: 4)
    try AutoencoderCheckpoint.save(try Autoencoder(config: aeConfig, seed: 1), source: "test", to: dir.path("ae.h5"))
}

@Suite struct EvalCommandTests {
    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-zoo") && stageBuilt("hz-sample"), "needs hz-zoo, hz-sample, hz-eval built"))
    func zooSampleEvalWritesACompleteReport() throws {
        let dir = TemporaryDirectory()
        try trainTinyMLPZooWithAutoencoder(in: dir, dataset: #"{"name": "synthetic", "synthetic_counts": [120, 20, 80]}"#, models: 10, epochs: 2)
        let sampled = try runStage("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "4", "--anchors", "top50", "-o", dir.path("pop.h5")])
        #expect(sampled.status == 0, "\(sampled.stderr)")

        let out = dir.path("report")
        let eval = try runStage("hz-eval", [dir.path("pop.h5"), "--zoo", dir.path("zoo.h5"), "--epochs", "0,1", "--models", "3",
                                            "--ensemble-sizes", "2", "--ensemble-trials", "3", "--transfer", "digits",
                                            "--bootstrap", "50", "--threads", "2", "-o", out, "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        let means = summary?["meanAccuracy"] as? [String: [String: Double]]
        #expect(Set(means?.keys.map { $0 } ?? []) == ["S_KDE50", "B_T", "B_F"])

        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        #expect(report.populations.map(\.name) == ["S_KDE50", "B_T", "B_F"])
        for p in report.populations {
            #expect(p.epochs.map(\.epoch) == [0, 1] && p.modelCount == 3)
            #expect(p.epochs.allSatisfy { $0.accuracies.count == 3 && $0.accuracy.mean >= 0 && $0.accuracy.mean <= 1 })
        }
        // Zoo models trained 2 epochs on separable synthetic data beat fresh initialisations at epoch 0.
        let bt = report.populations[1].epochs[0].accuracy.mean, bf = report.populations[2].epochs[0].accuracy.mean
        #expect(bf > bt)
        #expect(report.transfers.count == 1 && report.transfers[0].target == "digits" && report.transfers[0].populations.count == 3)
        #expect(report.novelty.count == 1 && report.novelty[0].relativeDistances.count == 3)
        #expect(report.ensembles.contains { $0.population == "S_KDE50" && $0.size == 2 && $0.accuracies.count == 3 })
        #expect(!report.ensembles.contains { $0.population == "B_T" && $0.epoch == 0 })
        #expect(report.commands.count == 2 && report.commands[0].contains("hz-sample"))
        #expect(report.latentProjection?.samples["S_KDE50"]?.count == 4)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Transfer: synthetic → digits"))

        // Re-rendering from the JSON alone gives the same page.
        try FileManager.default.removeItem(atPath: out + "/report.html")
        let rendered = try runStage("hz-eval", ["--zoo", "unused", "--render-only", out + "/report.json", "-o", out])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(try String(contentsOfFile: out + "/report.html", encoding: .utf8) == html)

        let missing = try runStage("hz-eval", [dir.path("nope.h5"), "--zoo", dir.path("zoo.h5"), "-o", dir.path("r2")])
        #expect(missing.status == 1 && missing.stderr.contains("nope.h5"))
    }
}

/// Copies a zoo or population file with `change(row index, row)` applied to every checkpoint row.
func copyZooFile(_ source: String, to path: String, change: (Int, inout [Float]) -> Void) throws {
    let reader = try ZooReader(path: source)
    let writer = try ZooWriter.create(path: path, layouts: reader.layouts, config: reader.config, format: reader.format)
    for (index, model) in reader.models.enumerated() {
        let firstRow = reader.modelIndex.firstIndex(of: index) ?? 0
        try writer.addModel(model, layout: reader.layouts[reader.layoutIndex(ofRow: firstRow)].name)
    }
    for row in 0..<reader.checkpointCount {
        var values = try reader.readRow(row)
        change(row, &values)
        try writer.appendCheckpoint(model: reader.models[reader.modelIndex[row]].id, epoch: reader.epoch[row], row: values)
    }
    for name in ["sampler", "anchors", "seed", "provenance"] { if let v = reader.metadata(name) { try writer.setMetadata(name, v) } }
    try writer.finish()
}

@Suite struct EvalReportSafetyAndControlTests {
    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-zoo") && stageBuilt("hz-sample"), "needs hz-zoo, hz-sample, hz-eval built"))
    func noiseControlSummaryDiagnosticsBootstrapAndTheRefusals() throws {
        let dir = TemporaryDirectory()
        try trainTinyMLPZooWithAutoencoder(in: dir, dataset: #"{"name": "synthetic", "synthetic_counts": [120, 20, 80]}"#, models: 10, epochs: 2)
        let zoo = dir.path("zoo.h5")
        for args in [[dir.path("ae.h5"), zoo, "--count", "4", "--anchors", "top50", "-o", dir.path("pop.h5")],
                     [zoo, "--sampler", "noise-control", "--match-novelty", dir.path("pop.h5"), "--count", "4", "-o", dir.path("nc.h5")],
                     [zoo, "--sampler", "noise-control", "--novelty", "0", "--anchors", "top1", "--count", "3", "-o", dir.path("collapsed.h5")]] {
            let r = try runStage("hz-sample", args)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let out = dir.path("report")
        let common = ["--zoo", zoo, "--epochs", "0,1", "--models", "3", "--ensemble-sizes", "2", "--ensemble-trials", "3",
                      "--bootstrap", "40", "--threads", "2", "-o", out]
        let eval = try runStage("hz-eval", [dir.path("pop.h5"), dir.path("nc.h5"), dir.path("collapsed.h5")] + common)
        #expect(eval.status == 0, "\(eval.stderr)")
        let reportPath = out + "/report.json"
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: reportPath)))
        #expect(report.populations.map(\.name) == ["S_KDE50", "C_noise(S_KDE50)", "C_noise(0)", "B_T", "B_F"])
        #expect(report.populations.map(\.role) == ["sampled", "control", "control", "baseline", "baseline"])
        // Every population has exactly --models members.
        #expect(report.populations.allSatisfy { $0.modelCount == 3 && $0.epochs.allSatisfy { $0.accuracies.count == 3 } })
        // --bootstrap reaches ensembles and novelty.
        #expect(!report.ensembles.isEmpty && report.ensembles.allSatisfy { $0.accuracy.bootstrapResamples == 40 })
        #expect(report.novelty.count == 3 && report.novelty.allSatisfy { $0.relativeDistance.bootstrapResamples == 40 && $0.disagreement.bootstrapResamples == 40 })
        // The sampled population beside its noise control, in report.json and report.html.
        #expect(report.noiseControls?.map(\.control) == ["C_noise(S_KDE50)"] && report.noiseControls?[0].matchedBy == "matched_population")
        #expect((report.comparisons ?? []).filter { $0.experiment == NoiseControlPairing.experiment }.map(\.epoch) == [0, 1])
        let summary = report.summary ?? []
        #expect(summary.first?.hasPrefix("S_KDE50 against training from scratch (B_T): epoch 0: ") == true)
        #expect(summary.contains { $0.hasPrefix("S_KDE50 against its noise control C_noise(S_KDE50)") })
        // The collapsed population is flagged in report.json, the summary, and on the terminal.
        #expect(report.diagnostics?.first { $0.population == "C_noise(0)" }?.collapsed == true)
        #expect(summary.contains { $0.hasPrefix("Warning: C_noise(0) collapsed") })
        #expect(eval.stderr.contains("hz-eval: warning: C_noise(0) collapsed"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.range(of: "<h2>Summary</h2>")!.lowerBound < html.range(of: "<svg")!.lowerBound)
        #expect(html.contains("Against the noise control at equal novelty") && html.contains("<h2>Diagnostics</h2>"))

        // An existing report is not replaced without --force, and survives a failing --force run.
        let before = try Data(contentsOf: URL(fileURLWithPath: reportPath))
        let refused = try runStage("hz-eval", [dir.path("pop.h5")] + common)
        #expect(refused.status == 1 && refused.stderr.contains("report.json already exists; pass --force"))
        let failing = try runStage("hz-eval", [dir.path("pop.h5"), dir.path("missing.h5")] + common + ["--force"])
        #expect(failing.status == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: reportPath)) == before)
        let forced = try runStage("hz-eval", [dir.path("pop.h5"), "--no-novelty"] + common + ["--force", "--ensemble-sizes", ""])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: reportPath))).populations.count == 3)
        #expect(!FileManager.default.fileExists(atPath: reportPath + ".partial"))

        // --models asks for more than a population holds: an error naming it, no report.
        let tooMany = try runStage("hz-eval", [dir.path("pop.h5"), "--zoo", zoo, "--models", "5", "-o", dir.path("r5")])
        #expect(tooMany.status == 1 && tooMany.stderr.contains("pop.h5: holds 4 models, --models asks for 5"), "\(tooMany.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("r5")))

        // A NaN weight in a population is a clear error; in the zoo, a diverged model is left out.
        try copyZooFile(dir.path("pop.h5"), to: dir.path("nan-pop.h5")) { row, values in if row == 1 { values[7] = .nan } }
        let nanPop = try runStage("hz-eval", [dir.path("nan-pop.h5"), "--zoo", zoo, "--models", "3", "-o", dir.path("r6")])
        #expect(nanPop.status == 1 && nanPop.stderr.contains("nan-pop.h5: model sample-000001 has a NaN or infinite weight at parameter 7"), "\(nanPop.stderr)")
        let zooReader = try ZooReader(path: zoo)
        let firstTrain = zooReader.models.first { $0.split == .train }!.id
        try copyZooFile(zoo, to: dir.path("nan-zoo.h5")) { row, values in
            if zooReader.models[zooReader.modelIndex[row]].id == firstTrain { values[0] = .infinity }
        }
        let nanZoo = try runStage("hz-eval", [dir.path("pop.h5"), "--zoo", dir.path("nan-zoo.h5"), "--epochs", "0", "--models", "3",
                                              "--ensemble-sizes", "", "--bootstrap", "20", "--threads", "2", "-o", dir.path("r7")])
        #expect(nanZoo.status == 0, "\(nanZoo.stderr)")
        let diverged = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir.path("r7/report.json"))))
        #expect(diverged.notes.contains { $0.contains("diverged models) were left out of the novelty reference") })
        #expect(diverged.notes.contains { $0.hasPrefix("B_F skipped 1 diverged zoo model") })
        #expect(diverged.novelty[0].relativeDistances.allSatisfy { $0.isFinite })
    }
}
