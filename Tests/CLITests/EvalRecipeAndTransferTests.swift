// hz-eval on zoos without an hz-zoo recipe (a Model Zoos folder converted by hz-convert; a zoo
// that stores no recipe at all) and the reverse transfer, digits → Fashion-MNIST, through the real
// executables. Fashion-MNIST is a tiny IDX folder cut from the real Debian files so the tests stay
// fast; the digits are the real sklearn CSV.
import Foundation
import Testing
import TestSupport
import HyperRep
import Nets
import Tensor
import ZooStore
@testable import HyperZooCLI

/// The first `train` training and `test` test images of the real Fashion-MNIST as plain IDX files.
func writeTinyFashionMNIST(in dir: TemporaryDirectory, train: Int, test: Int) throws -> String {
    let folder = dir.path("fmnist")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (stem, header, n, bytesPerItem) in [("train-images-idx3-ubyte", 16, train, 784), ("train-labels-idx1-ubyte", 8, train, 1),
                                             ("t10k-images-idx3-ubyte", 16, test, 784), ("t10k-labels-idx1-ubyte", 8, test, 1)] {
        var bytes = try gunzippedPrefix(of: "\(FashionMNIST.defaultDirectory)/\(stem).gz", byteCount: header + n * bytesPerItem)
        // The item count (big-endian, bytes 4...7) becomes n.
        bytes.replaceSubrange(4..<8, with: [UInt8(n >> 24 & 255), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)])
        _ = FileManager.default.createFile(atPath: folder + "/" + stem, contents: Data(bytes))
    }
    return folder
}

private let fashionMNISTInstalled = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")

@Suite struct EvalRecipeAndTransferTests {
    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-convert") && fashionMNISTInstalled, "needs hz-convert, hz-eval and F-MNIST"))
    func aConvertedModelZoosFolderIsEvaluatedWithItsStoredRecipe() throws {
        let dir = TemporaryDirectory()
        let folder = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
        let converted = try runStage("hz-convert", [folder, "-o", dir.path("zoo.h5")])
        #expect(converted.status == 0, "\(converted.stderr)")

        let shown = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe", "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let shownObject = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        let recipe = shownObject?.compactMapValues { $0 as? String }
        #expect(shownObject?["mixed"] as? Bool == false && (shownObject?["recipes"] as? [Any])?.count == 1)
        // The fixture's config.json: CNN, tanh, uniform init, Adam 3e-4, batch 10, an F_MNIST dump.
        #expect(recipe?["source"] == "Model Zoos config.json (stored by hz-convert)")
        #expect(recipe?["architecture"] == "cnn_s" && recipe?["activation"] == "tanh" && recipe?["initializer"] == "uniform")
        #expect(recipe?["optimizer"] == "adam" && recipe?["lr"] == "0.0003" && recipe?["batch_size"] == "10")
        #expect(recipe?["dataset"] == "fashion-mnist" && recipe?["normalization"] == "0.5,0.5")

        let overridden = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe", "--json", "--lr", "0.001", "--batch-size", "32"])
        let o = (try JSONSerialization.jsonObject(with: Data(overridden.stdout.utf8)) as? [String: Any])?.compactMapValues { $0 as? String }
        #expect(o?["lr"] == "0.001" && o?["batch_size"] == "32" && o?["source"]?.hasSuffix("with command-line overrides") == true)

        // A real evaluation of the converted zoo's baselines on real (few) F-MNIST images.
        let fmnist = try writeTinyFashionMNIST(in: dir, train: 60, test: 80)
        let out = dir.path("report")
        let eval = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--dataset-path", fmnist, "--epochs", "0,1", "--models", "2",
                                            "--ensemble-sizes", "", "--bootstrap", "20", "--threads", "2", "-o", out])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        #expect(report.populations.map(\.name) == ["B_T", "B_F"])
        #expect(report.settings["recipe_source"] == "Model Zoos config.json (stored by hz-convert), with command-line overrides")
        #expect(report.settings["train_images"] == "60" && report.settings["test_images"] == "80")
        // B_F at epoch 0 is the zoo's last checkpoint of its first training models, as stored.
        let zoo = try ZooReader(path: dir.path("zoo.h5"))
        let rows = try zoo.select(split: .train, epochs: [zoo.epoch.max()!]).prefix(2).map { try zoo.readRow($0) }
        let test = try FashionMNIST.load(directory: fmnist).test
        let expected = evaluate(rows: rows, architecture: .cnnS(), dataset: test, threads: 1).map { Double($0.accuracy) }
        #expect(report.populations[1].epochs[0].accuracies == expected)
    }

    @Test(.enabled(if: stageBuilt("hz-eval"), "needs hz-eval built"))
    func aZooWithoutARecipeNamesTheMissingOptionsAndRunsWithThem() throws {
        let dir = TemporaryDirectory()
        let architecture = ArchitectureSpec.cnnS()
        let writer = try ZooWriter.create(path: dir.path("zoo.h5"), architecture: "converted", table: architecture.parameterTable,
                                          config: ["note": "no recipe here"])
        for m in 0..<3 {
            try writer.addModel(ModelRecord(id: "m\(m)", seed: m, split: .train))
            try writer.appendCheckpoint(model: "m\(m)", epoch: 0, row: architecture.initialRow(initializer: .kaimingUniform, seed: UInt64(m)))
        }
        try writer.finish()

        let refused = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "-o", dir.path("r")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("stores no training recipe") && refused.stderr.contains("pass --dataset --activation --initializer --optimizer --lr --batch-size"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("r")))

        let options = ["--dataset", "synthetic", "--activation", "tanh", "--initializer", "kaiming_uniform", "--optimizer", "adam",
                       "--lr", "0.003", "--batch-size", "10"]
        let eval = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--epochs", "0,1", "--models", "2", "--train-subset", "40",
                                            "--test-subset", "40", "--ensemble-sizes", "", "--bootstrap", "20", "--threads", "2",
                                            "-o", dir.path("r"), "--json"] + options)
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: dir.path("r/report.json"))))
        #expect(report.settings["recipe_source"] == "command line" && report.settings["dataset"] == "synthetic")
        #expect(report.populations.allSatisfy { $0.epochs.map(\.epoch) == [0, 1] })
        // Comparisons need sampled populations; with baselines only there are none.
        #expect(report.comparisons == [])

        let shown = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe"] + options)
        #expect(shown.status == 0 && shown.stdout.contains("command line") && shown.stdout.contains("kaiming_uniform"))
    }

    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-zoo") && stageBuilt("hz-sample") && fashionMNISTInstalled
                   && FileManager.default.fileExists(atPath: DigitsDataset.defaultPath), "needs the stages, F-MNIST and the digits"))
    func aDigitsZoosSamplesTransferToFashionMNISTWithPairwiseTests() throws {
        let dir = TemporaryDirectory()
        try trainTinyMLPZooWithAutoencoder(in: dir, dataset: #"{"name": "digits", "limit_train": 150, "limit_validation": 20, "limit_test": 100}"#, models: 8, epochs: 1)
        let sampled = try runStage("hz-sample", [dir.path("ae.h5"), dir.path("zoo.h5"), "--count", "3", "--anchors", "top50", "-o", dir.path("pop.h5")])
        #expect(sampled.status == 0, "\(sampled.stderr)")

        let fmnist = try writeTinyFashionMNIST(in: dir, train: 60, test: 80)
        let out = dir.path("report")
        let eval = try runStage("hz-eval", [dir.path("pop.h5"), "--zoo", dir.path("zoo.h5"), "--epochs", "0,1", "--models", "3",
                                            "--ensemble-sizes", "", "--no-novelty", "--transfer", "fmnist", "--transfer-path", fmnist,
                                            "--transfer-train-subset", "50", "--bootstrap", "50", "--threads", "2", "-o", out])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        #expect(report.settings["dataset"] == "digits")
        #expect(report.transfers.count == 1 && report.transfers[0].source == "digits" && report.transfers[0].target == "fashion-mnist")
        #expect(report.transfers[0].populations.map(\.name) == ["S_KDE50", "B_T", "B_F"])
        #expect(report.notes.contains("Transfer to fashion-mnist fine-tuned on 50 training images and tested on 80."))
        // One comparison per (sampled, baseline, epoch), in each experiment, matching the accuracies.
        let comparisons = report.comparisons ?? []
        #expect(comparisons.count == 8)
        let transfer = comparisons.filter { $0.experiment == "transfer digits → fashion-mnist" }
        #expect(transfer.map { "\($0.baseline)/\($0.epoch)" } == ["B_T/0", "B_T/1", "B_F/0", "B_F/1"])
        let sampledAt1 = report.transfers[0].populations[0].epochs[1].accuracies
        let scratchAt1 = report.transfers[0].populations[1].epochs[1].accuracies
        #expect(transfer[1].welch == WelchTTest(sampledAt1, scratchAt1) && transfer[1].mannWhitney == MannWhitneyUTest(sampledAt1, scratchAt1))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Transfer: digits → fashion-mnist") && html.components(separatedBy: "Sampled populations against baselines").count == 3)

        let same = try runStage("hz-eval", [dir.path("pop.h5"), "--zoo", dir.path("zoo.h5"), "--models", "3", "--transfer", "digits", "-o", dir.path("r2")])
        #expect(same.status == 1 && same.stderr.contains("trained on digits already"))
    }

    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-zoo"), "needs hz-zoo and hz-eval built"))
    func aGridZooFineTunesEveryModelWithItsOwnRecipe() throws {
        let dir = TemporaryDirectory()
        // A "Hyp"-style grid: tanh and relu networks, each with its own learning rate; all training models.
        let config = """
        {"name": "grid", "architecture": {"family": "mlp", "channels": 1, "hidden": [6], "activation": "tanh"},
         "dataset": {"name": "synthetic", "synthetic_counts": [120, 20, 80]}, "initializer": "kaiming_uniform",
         "optimizer": {"kind": "adam", "learning_rate": 0.003}, "batch_size": 20, "epochs": 1, "seeds": {"start": 1, "count": 2},
         "grid": {"activation": ["tanh", "relu"], "learning_rate": [0.003, 0.05]}, "model_split": {"seed": 1, "fractions": [1, 0, 0]}}
        """
        try config.write(toFile: dir.path("grid.json"), atomically: true, encoding: .utf8)
        let zooRun = try runStage("hz-zoo", [dir.path("grid.json"), "-o", dir.path("zoo.h5"), "--threads", "2"])
        #expect(zooRun.status == 0, "\(zooRun.stderr)")

        let shown = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("recipe 4 (2 models") && shown.stdout.contains("warning: the zoo mixes 4 recipes"))
        #expect(shown.stderr.contains("hz-eval: warning: the zoo mixes 4 recipes"))
        let json = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["mixed"] as? Bool == true && object?["activation"] as? String == "mixed" && object?["lr"] as? String == "mixed")
        let recipes = object?["recipes"] as? [[String: Any]] ?? []
        #expect(recipes.map { "\($0["activation"]!)/\($0["lr"]!)" } == ["tanh/0.003", "tanh/0.05", "relu/0.003", "relu/0.05"])
        // --activation fixes the activation for every model; the learning rates stay per model.
        let fixed = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe", "--json", "--activation", "gelu"])
        let fixedObject = try JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8)) as? [String: Any]
        #expect(fixedObject?["activation"] as? String == "gelu" && (fixedObject?["recipes"] as? [Any])?.count == 2)

        let out = dir.path("report")
        let eval = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--baselines", "bf", "--epochs", "0,1", "--models", "8",
                                            "--ensemble-sizes", "", "--bootstrap", "20", "--threads", "2", "-o", out])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        let bf = try #require(report.populations.first { $0.name == "B_F" })
        #expect(bf.details["recipes"]?.contains(" relu dropout 0.0, adam lr 0.05") == true && report.settings["recipe"]?.hasPrefix("4 recipes over 8 models") == true)

        // The same fine-tuning by hand, each model with its own network and optimizer.
        let zoo = try ZooReader(path: dir.path("zoo.h5"))
        let spec = try ZooSpec.parse(Data(zoo.config.jsonText.utf8))
        var data = try spec.dataset.load().adapted(to: .mlp(hidden: [6]))
        data.validation = nil
        let rows = zoo.select(split: .train, epochs: [1])
        let members = try rows.enumerated().map { i, row -> PopulationMember in
            let h = zoo.models[zoo.modelIndex[row]].hyperparameters
            let activation = Activation(name: h["model::nlin"]!.stringValue!)!
            let lr = Float(h["optim::lr"]!.doubleValue!)
            return PopulationMember(architecture: .mlp(hidden: [6], activation: activation), recipe: TrainingRecipe(optimizer: .adam(learningRate: lr), batchSize: 20),
                                    seed: UInt64(i), initialRow: try zoo.readRow(row))
        }
        #expect(Set(members.map(\.architecture.activation)) == [.tanh, .relu])
        var expected: [Int: [Double]] = [:]
        PopulationTrainer(threads: 2, evaluateTrainAtEpochZero: false).train(members: members, data: data, epochs: 1) { r in
            expected[r.epoch] = r.metrics.map { Double($0.testAccuracy) }
        }
        #expect(bf.epochs[0].accuracies == expected[0] && bf.epochs[1].accuracies == expected[1])
        // Evaluating everyone as tanh (the old behaviour) gives other numbers, so the check above can fail.
        let asTanh = evaluate(rows: members.map(\.initialRow), architecture: .mlp(hidden: [6]), dataset: data.test, threads: 1).map { Double($0.accuracy) }
        #expect(asTanh != expected[0])
    }

    @Test(.enabled(if: stageBuilt("hz-eval") && stageBuilt("hz-convert"), "needs hz-convert and hz-eval built"))
    func aConvertedMixedDropoutZooShowsBothDropouts() throws {
        let dir = TemporaryDirectory()
        let converted = try runStage("hz-convert", [Fixtures.project.appendingPathComponent("modelzoo-mixed-dropout").path,
                                                    "-o", dir.path("zoo.h5")])
        #expect(converted.status == 0, "\(converted.stderr)")
        let shown = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--show-recipe", "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect(object?["dropout"] as? String == "mixed" && shown.stderr.contains("warning: the zoo mixes 2 recipes"))
        let recipes = object?["recipes"] as? [[String: Any]] ?? []
        #expect(recipes.map { $0["dropout"] as? String } == ["0.0", "0.5"])
        #expect(recipes.map { ($0["models"] as? [String])?.count } == [2, 1])
    }
}
