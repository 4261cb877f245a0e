// hz-train end to end through the real executables: a zoo converted from the shared Model Zoos
// fixture, two epochs of training, a resumed third epoch, encode/decode, and the import of an
// official checkpoint whose encoding must match the official output.
import Foundation
import Testing
import TestSupport
import Formats
@testable import HyperZooCLI

@Suite struct TrainCommandTests {
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.run(tool, arguments)
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs the products built (swift build)"))
    func trainsResumesEncodesDecodesAndImports() throws {
        let dir = TemporaryDirectory()
        let zoo = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
        #expect(try run("hz-convert", [zoo, "-o", dir.path("zoo.h5")]).status == 0)
        let tiny = ["--width", "16", "--ff-width", "32", "--latent", "8", "--head", "1,16,8", "--batch-size", "4"]
        let fit = try run("hz-train", [dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "2"] + tiny)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stderr.contains("epoch 2/2"))
        let metrics = try String(contentsOfFile: dir.path("ae.h5.metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 2)

        let again = try run("hz-train", [dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "2"])
        #expect(again.status == 1 && again.stderr.contains("pass --resume"))
        let resumed = try run("hz-train", [dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "3", "--resume", "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let last = try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any]
        #expect(last?["epoch"] as? Int == 3)

        #expect(try run("hz-train", ["encode", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("z.npy"), "--split", "train"]).status == 0)
        let z = try NumpyArray.read(path: dir.path("z.npy"))
        #expect(z.shape.count == 2 && z.shape[1] == 8 && z.shape[0] > 0)
        #expect(try run("hz-train", ["decode", dir.path("ae.h5"), dir.path("z.npy"), "-o", dir.path("w.npy")]).status == 0)
        #expect(try NumpyArray.read(path: dir.path("w.npy")).shape == [z.shape[0], 2464])

        let official = Fixtures.project.appendingPathComponent("ghrp/small-bounded-repeat")
        let imported = try run("hz-train", ["import-ghrp", official.appendingPathComponent("config_ae.json").path,
                                            official.appendingPathComponent("checkpoint_ae.pt").path, "-o", dir.path("imp.h5")])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try run("hz-train", ["encode", dir.path("imp.h5"), official.appendingPathComponent("inputs.npy").path,
                                     "-o", dir.path("zi.npy")]).status == 0)
        let expected = try NumpyArray.read(path: official.appendingPathComponent("expected_z.npy").path).floats()
        #expect(compareFloats(try NumpyArray.read(path: dir.path("zi.npy")).floats(), expected, relative: 1e-4, absolute: 1e-5) == nil)

        let wrong = try run("hz-train", ["decode", dir.path("imp.h5"), dir.path("z.npy"), "-o", dir.path("bad.npy")])
        #expect(wrong.status == 1 && wrong.stderr.contains("expected [N, 16]"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad.npy")))
    }
    /// The issue-6 measurement: reconstructing a split reports R² and the accuracy of originals
    /// and reconstructions, evaluated by the same code that recorded the zoo's own test accuracy.
    @Test(.enabled(if: ToolRunner.isBuilt("hz-train") && ToolRunner.isBuilt("hz-zoo"), "needs hz-zoo and hz-train built"))
    func reconstructReportsRSquaredAndAccuracyOfOriginalsAndReconstructions() throws {
        let dir = TemporaryDirectory()
        let config = """
        {"name": "tiny", "architecture": {"family": "mlp", "channels": 1, "hidden": [6], "activation": "tanh"},
         "dataset": {"name": "synthetic", "synthetic_counts": [120, 20, 80]},
         "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.003},
         "batch_size": 20, "epochs": 1, "seeds": {"start": 1, "count": 14}}
        """
        try config.write(toFile: dir.path("zoo.json"), atomically: true, encoding: .utf8)
        let zoo = try run("hz-zoo", [dir.path("zoo.json"), "-o", dir.path("zoo.h5"), "--threads", "2"])
        #expect(zoo.status == 0, "\(zoo.stderr)")
        let fit = try run("hz-train", [dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "1", "--width", "8", "--heads", "2",
                                       "--blocks", "1", "--ff-width", "8", "--latent", "4", "--head", "1,8,4", "--batch-size", "4"])
        #expect(fit.status == 0, "\(fit.stderr)")

        let r = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "--split", "test", "--epochs", "1",
                                     "-o", dir.path("w.npy"), "--threads", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let n = try #require(report["checkpoints"] as? Int)
        #expect(n >= 1 && report["epochs"] as? [Int] == [1] && report["normalizedLoss"] as? Bool == true)
        let accuracy = try #require(report["accuracy"] as? [String: Any])
        let original = try #require(accuracy["original"] as? [Double]), stored = try #require(report["storedTestAccuracy"] as? [Double])
        #expect(original.count == n && (accuracy["reconstructed"] as? [Double])?.count == n && accuracy["testImages"] as? Int == 80)
        // The originals, evaluated here, score what hz-zoo recorded for them.
        #expect(zip(original, stored).allSatisfy { abs($0 - $1) < 1e-6 })
        let fitted = try #require(report["fit"] as? [String: Any])
        #expect((fitted["rSquaredPerLayer"] as? [Double])?.count == 2 && (fitted["rSquaredPlain"] as? Double)?.isFinite == true)

        // The written rows are exactly encode then decode of the same checkpoints.
        #expect(try run("hz-train", ["encode", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("z.npy"),
                                     "--split", "test", "--epochs", "1"]).status == 0)
        #expect(try run("hz-train", ["decode", dir.path("ae.h5"), dir.path("z.npy"), "-o", dir.path("w2.npy")]).status == 0)
        #expect(try NumpyArray.read(path: dir.path("w.npy")).floats() == NumpyArray.read(path: dir.path("w2.npy")).floats())

        let again = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("w.npy")])
        #expect(again.status == 1 && again.stderr.contains("pass --force"))
        let none = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "--epochs", "7"])
        #expect(none.status == 1 && none.stderr.contains("no test-split checkpoints at epochs 7"))
    }
}
