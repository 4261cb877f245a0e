// `hz-train probe` end to end through the real executables: a tiny zoo whose epoch, test
// accuracy and activation are written into its weights, a small AE trained on it, and the probe
// report: learnable properties beat the constant predictor, scores are in range, the report is
// the same for the same seed, and inputs with nothing to predict are refused with one line.
import Foundation
import Testing
import TestSupport
import HyperRep
import Tensor
import ZooStore

@Suite(.serialized) struct ProbeCommandTests {
    static let table = try! ParameterTable(stateDict: [("0.weight", [4, 6]), ("0.bias", [4]), ("2.weight", [3, 4]), ("2.bias", [3])])
    static let tiny = ["--width", "8", "--heads", "2", "--blocks", "1", "--ff-width", "16", "--latent", "6", "--head", "1,8,4",
                       "--batch-size", "8", "--seed", "3", "--epochs", "3"]
    static let fast = ["--mlp-epochs", "30", "--hidden", "16"]

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.run("hz-train", arguments)
    }

    /// 30 models × epochs 1-5 (18 train, 6 val, 6 test models). A checkpoint is its model's
    /// starting point moved along one direction in proportion to its epoch; relu models carry
    /// +0.5 on their biases; the recorded test accuracy rises with the epoch. `splits` false puts
    /// every model in train.
    static func zoo(_ path: String, splits: Bool = true) throws {
        let writer = try ZooWriter.create(path: path, architecture: "mlp", table: table)
        let P = table.parameterCount
        var stream = RandomStream(seed: 11, purpose: "probe-zoo")
        let biases = Set(table.entries.filter { $0.role == .bias }.flatMap { Array($0.range) })
        for m in 0..<30 {
            let split: Split = !splits ? .train : m % 5 == 3 ? .val : m % 5 == 4 ? .test : .train
            let activation = m % 2 == 0 ? "tanh" : "relu"
            try writer.addModel(ModelRecord(id: "m\(m)", seed: m, split: split,
                                            hyperparameters: ["activation": .string(activation), "lr": .number(m % 3 == 0 ? 1e-3 : 1e-2),
                                                              "epochs": 5]))
            let start: [Float] = (0..<P).map { _ in 0.3 * stream.nextNormal() }
            for epoch in 1...5 {
                let shift: Float = activation == "relu" ? 0.5 : 0
                let row: [Float] = (0..<P).map { k in
                    let along: Float = 0.2 * Float(epoch) * Float(cos(Double(k)))
                    return start[k] + along + (biases.contains(k) ? shift : 0)
                }
                try writer.appendCheckpoint(model: "m\(m)", epoch: epoch, row: row,
                                            metrics: CheckpointMetrics(testAccuracy: 0.4 + 0.1 * Float(epoch) + 0.01 * stream.nextNormal()))
            }
        }
        try writer.finish()
    }

    static func report(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// The test score of `predictor` on `features` for `property`.
    static func test(_ report: [String: Any], _ property: String, _ features: String, _ predictor: String) -> Double? {
        (report["results"] as! [[String: Any]]).first {
            $0["property"] as? String == property && $0["features"] as? String == features && $0["predictor"] as? String == predictor
        }?["test"] as? Double
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs hz-train built"))
    func learnablePropertiesBeatTheConstantPredictorAndTheReportIsDeterministic() throws {
        let dir = TemporaryDirectory("probe")
        try Self.zoo(dir.path("zoo.h5"))
        let fit = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5")] + Self.tiny)
        #expect(fit.status == 0, "\(fit.stderr)")
        let probe = try run(["probe", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("probe.json")] + Self.fast)
        #expect(probe.status == 0, "\(probe.stderr)")
        #expect(probe.stdout.contains("epoch") && probe.stdout.contains("weight_statistics") && probe.stdout.contains("report → "))

        let report = try Self.report(dir.path("probe.json"))
        #expect(report["format"] as? String == "hyperzoo.probe" && report["version"] as? Int == 1)
        #expect((report["checkpoints"] as? [String: Int]) == ["train": 90, "val": 30, "test": 30])
        let properties = (report["properties"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(properties == ["test_accuracy", "epoch", "activation", "lr"])
        #expect((report["properties"] as! [[String: Any]])[2]["classes"] as? [String] == ["relu", "tanh"])
        #expect((report["skipped"] as! [[String: Any]]).map { $0["name"] as! String } == ["epochs"])
        let features = (report["features"] as! [[String: Any]]).map { ($0["name"] as! String, $0["dimension"] as! Int) }
        #expect(features.map(\.0) == ["latent", "weights", "weight_statistics"] && features.map(\.1) == [6, 43, 28])

        for property in ["epoch", "test_accuracy"] {
            let floor = try #require(Self.test(report, property, "none", "constant"))
            #expect(floor <= 0.05)
            for features in ["latent", "weights", "weight_statistics"] {
                let ridge = try #require(Self.test(report, property, features, "ridge"))
                #expect(ridge > floor + 0.5, "\(property) ridge on \(features): \(ridge) vs constant \(floor)")
            }
            #expect(try #require(Self.test(report, property, "weights", "mlp")) > floor + 0.5)
        }
        #expect(try #require(Self.test(report, "activation", "weights", "ridge")) > 0.9)
        // Every score is an R² (≤ 1) or an accuracy (in [0, 1]), and finite.
        for row in report["results"] as! [[String: Any]] {
            for split in ["train", "val", "test"] {
                let v = try #require(row[split] as? Double, "\(row)")
                #expect(v.isFinite && v <= 1 + 1e-12 && (row["metric"] as? String == "r2" || v >= 0), "\(row)")
            }
        }

        // Same seed, same bytes; another seed changes only what is random (the MLPs).
        let again = try run(["probe", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("again.json"), "--json"] + Self.fast)
        #expect(again.status == 0, "\(again.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("probe.json")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("again.json"))) == bytes)
        #expect(Data(again.stdout.utf8.dropLast()) == bytes || Data(again.stdout.utf8) == bytes)
        let other = try run(["probe", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("other.json"), "--seed", "2"] + Self.fast)
        #expect(other.status == 0, "\(other.stderr)")
        let second = try Self.report(dir.path("other.json"))
        #expect(Self.test(second, "epoch", "weights", "ridge") == Self.test(report, "epoch", "weights", "ridge"))
        #expect(Self.test(second, "epoch", "weights", "mlp") != Self.test(report, "epoch", "weights", "mlp"))

        // The old report survives a refused run.
        let exists = try run(["probe", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("probe.json")] + Self.fast)
        #expect(exists.status == 1 && exists.stderr.contains("output exists; pass --force"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("probe.json"))) == bytes)
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs hz-train built"))
    func propertiesWithoutVarianceAndEmptySplitsAreRefused() throws {
        let dir = TemporaryDirectory("probe-refused")
        try Self.zoo(dir.path("zoo.h5"))
        try Self.zoo(dir.path("train-only.h5"), splits: false)
        #expect(try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5")] + Self.tiny).status == 0)
        let cases: [([String], String)] = [
            (["--properties", "epochs"], "property 'epochs' takes one value (5) on the training-split checkpoints: nothing to predict; drop it from --properties"),
            (["--epochs", "3", "--properties", "epoch"], "property 'epoch' takes one value (3) on the training-split checkpoints: nothing to predict; drop it from --properties or select more epochs"),
            (["--properties", "momentum"], "property 'momentum' is not in the zoo; it has test_accuracy, epoch, activation, epochs, lr"),
            (["--epochs", "9"], "no checkpoints at epochs 9 to probe"),
            (["--features", "latent,pixels"], "'pixels' is not one of latent, weights, weight_statistics"),
        ]
        for (options, message) in cases {
            let r = try run(["probe", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("p.json")] + options + Self.fast)
            #expect(r.status != 0 && r.status < 128 && r.stderr.contains(message), "\(options): \(r.stderr)")
            // One line, except ArgumentParser's usage hint after an option it validated.
            if options[0] != "--features" { #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)") }
        }
        let empty = try run(["probe", dir.path("ae.h5"), dir.path("train-only.h5"), "-o", dir.path("p.json")] + Self.fast)
        #expect(empty.status == 1 && empty.stderr.contains("no val-split checkpoints: the probes fit on train"), "\(empty.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("p.json")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("p.json.partial")))
    }
}
