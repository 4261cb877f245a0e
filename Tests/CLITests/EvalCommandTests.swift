// hz-zoo → hz-sample → hz-eval end to end through the real executables on a tiny synthetic zoo
// (an MLP on 28×28 synthetic images), with digits transfer, ensembles and novelty.
import Foundation
import Testing
import TestSupport
import HyperRep
import Nets
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
