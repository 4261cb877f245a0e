// hz-train end to end through the real executables: a zoo converted from the shared Model Zoos
// fixture, two epochs of training, a resumed third epoch, encode/decode, and the import of an
// official checkpoint whose encoding must match the official output.
import Foundation
import Testing
import TestSupport
import Formats
import HDF5
import HyperRep
import ZooStore
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
                                     "--rows", dir.path("w.npy"), "-o", dir.path("recon.json"), "--threads", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let n = try #require(report["checkpoints"] as? Int)
        #expect(n >= 1 && report["epochs"] as? [Int] == [1] && report["normalizedLoss"] as? Bool == true)
        let accuracy = try #require(report["accuracy"] as? [String: Any])
        let original = try #require(accuracy["original"] as? [Double]), stored = try #require(report["storedTestAccuracy"] as? [Double])
        #expect(original.count == n && (accuracy["reconstructed"] as? [Double])?.count == n)
        // Both are evaluated on the same, named images.
        let images = try #require(accuracy["images"] as? [String: Any])
        #expect(images["count"] as? Int == 80 && images["split"] as? String == "test" && images["dataset"] as? String == "synthetic")
        // The originals, evaluated here, score what hz-zoo recorded for them.
        #expect(zip(original, stored).allSatisfy { abs($0 - $1) < 1e-6 } && report["storedMatchesOriginal"] as? Bool == true)
        // --output holds the same report as stdout (before, the JSON went to stdout only).
        #expect(try String(contentsOfFile: dir.path("recon.json"), encoding: .utf8) + "\n" == r.stdout)
        let npy = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("r.npy")])
        #expect(npy.status != 0 && npy.stderr.contains("write the reconstructed rows with --rows"), "\(npy.stderr)")
        let fitted = try #require(report["fit"] as? [String: Any])
        #expect((fitted["rSquaredPerLayer"] as? [Double])?.count == 2 && (fitted["rSquaredPlain"] as? Double)?.isFinite == true)

        // The written rows are exactly encode then decode of the same checkpoints.
        #expect(try run("hz-train", ["encode", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("z.npy"),
                                     "--split", "test", "--epochs", "1"]).status == 0)
        #expect(try run("hz-train", ["decode", dir.path("ae.h5"), dir.path("z.npy"), "-o", dir.path("w2.npy")]).status == 0)
        #expect(try NumpyArray.read(path: dir.path("w.npy")).floats() == NumpyArray.read(path: dir.path("w2.npy")).floats())

        let again = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "--rows", dir.path("w.npy")])
        #expect(again.status == 1 && again.stderr.contains("pass --force"))
        let exists = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "-o", dir.path("recon.json")])
        #expect(exists.status == 1 && exists.stderr.contains("pass --force"))

        // A zoo whose recorded accuracies came from other images (here: altered) is flagged, and
        // the summary says which comparison is like for like.
        let architecture = try ZooReader(path: dir.path("zoo.h5")).architecture
        do {
            let file = try File(path: dir.path("zoo.h5"), mode: .readWrite)
            let column = try file.openDataset("architectures/\(architecture)/test_acc")
            let values: [Float] = try column.read()
            try column.write(values.map { $0 + 0.05 })
            file.close()
        }
        let other = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "--epochs", "1", "--threads", "2"])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stdout.contains("accuracy on the same 80 test-split images of synthetic"), "\(other.stdout)")
        #expect(other.stdout.contains("it was measured on other images; compare originals with reconstructions only"), "\(other.stdout)")
        let none = try run("hz-train", ["reconstruct", dir.path("ae.h5"), dir.path("zoo.h5"), "--epochs", "7"])
        #expect(none.status == 1 && none.stderr.contains("no test-split checkpoints at epochs 7"))
    }
}

/// hz-train's promises about its files and its numbers, through the real executable: an old AE
/// survives until the new one is complete, non-finite inputs and losses are errors, resumed runs
/// do what their options say, and the run's diagnostics call a collapsed AE collapsed.
@Suite(.serialized) struct TrainRunSafetyTests {
    static let tiny = ["--width", "8", "--heads", "2", "--blocks", "1", "--ff-width", "16", "--latent", "4", "--head", "1,8,4",
                       "--batch-size", "4", "--seed", "3"]
    static let table = try! ParameterTable(stateDict: [("0.weight", [3, 4]), ("0.bias", [3]), ("2.weight", [2, 3]), ("2.bias", [2])])

    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.run("hz-train", arguments)
    }

    /// A zoo whose 24 models lie on a line through weight space (row = base + t·direction), every
    /// fourth one held out for validation: an AE can learn it in a few seconds, so a healthy tiny
    /// run exists to compare a collapsed one with.
    static func lineZoo(_ path: String) throws {
        let writer = try ZooWriter.create(path: path, architecture: "mlp", table: table)
        let P = table.parameterCount
        for m in 0..<24 {
            let t = -1 + 2 * Float(m) / 23
            try writer.addModel(ModelRecord(id: "m\(m)", seed: m, split: m % 4 == 3 ? .val : .train))
            let row = (0..<P).map { k in sin(Float(k)) + t * cos(3 * Float(k)) }
            try writer.appendCheckpoint(model: "m\(m)", epoch: 1, row: row, metrics: CheckpointMetrics(testAccuracy: 0.5))
        }
        try writer.finish()
    }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
    static func trainedEpochs(_ path: String) throws -> Int? { try AutoencoderCheckpoint.load(path: path).training?.epoch }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs hz-train built"))
    func forcedRunKeepsTheOldAEUntilTheNewOneIsCompleteEvenWhenKilled() throws {
        let dir = TemporaryDirectory("train-force")
        try Self.lineZoo(dir.path("zoo.h5"))
        let first = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "1"] + Self.tiny)
        #expect(first.status == 0, "\(first.stderr)")
        let oldAE = try Self.bytes(dir.path("ae.h5")), oldMetrics = try Self.bytes(dir.path("ae.h5.metrics.jsonl"))

        // kill -9 in the middle of a forced run: before, the half-trained AE sat at ae.h5.
        let killed = try StageBinaries.shell("""
            hz-train zoo.h5 -o ae.h5 --force --epochs 400 \(Self.tiny.joined(separator: " ")) 2>/dev/null & pid=$!
            i=0; while [ ! -f ae.h5.partial ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
            sleep 0.3; kill -9 $pid; wait $pid; exit 0
            """, in: dir.url.path)
        #expect(killed.status == 0, "\(killed.stderr)")
        #expect(try Self.bytes(dir.path("ae.h5")) == oldAE)
        #expect(try Self.bytes(dir.path("ae.h5.metrics.jsonl")) == oldMetrics)
        let reached = try #require(try Self.trainedEpochs(dir.path("ae.h5.partial")))
        #expect(reached >= 1 && reached < 400)

        // A new run without --force refuses to start over the interrupted one; --resume finishes it.
        let again = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "1"] + Self.tiny)
        #expect(again.status == 1 && again.stderr.contains("an interrupted run exists; pass --resume"), "\(again.stderr)")
        let resumed = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--resume", "--epochs", "\(reached + 1)"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming the interrupted run in"), "\(resumed.stderr)")
        #expect(try Self.trainedEpochs(dir.path("ae.h5")) == reached + 1)
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5.partial")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5.metrics.jsonl.partial")))
        let lines = try String(contentsOfFile: dir.path("ae.h5.metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == reached + 1)
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs hz-train built"))
    func nonFiniteWeightsAndLossesStopTheRunWithAnError() throws {
        let dir = TemporaryDirectory("train-nan")
        try Self.lineZoo(dir.path("zoo.h5"))
        // A diverged run: before, `loss nan` for every epoch and exit 0.
        let diverged = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "3", "--lr", "1e30"] + Self.tiny)
        #expect(diverged.status == 1, "\(diverged.stderr)")
        #expect(diverged.stderr.contains("training diverged"), "\(diverged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("ae.h5")))

        // A NaN weight in one training checkpoint is refused before training, naming it.
        let architecture = try ZooReader(path: dir.path("zoo.h5")).architecture
        do {
            let file = try File(path: dir.path("zoo.h5"), mode: .readWrite)
            let weights = try file.openDataset("architectures/\(architecture)/weights")
            var row: [Float] = try weights.read(rows: 5..<6)
            row[13] = .infinity
            try weights.write(row, rows: 5..<6)
            file.close()
        }
        let poisoned = try run([dir.path("zoo.h5"), "-o", dir.path("bad.h5"), "--epochs", "1"] + Self.tiny)
        #expect(poisoned.status == 1, "\(poisoned.stderr)")
        #expect(poisoned.stderr.contains("checkpoint 5 (model m5, epoch 1) has inf in 0.bias"), "\(poisoned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad.h5")) && !FileManager.default.fileExists(atPath: dir.path("bad.h5.partial")))
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs hz-train built"))
    func resumedRunsApplyANewLearningRateAndRefuseOtherChanges() throws {
        let dir = TemporaryDirectory("train-resume-options")
        try Self.lineZoo(dir.path("zoo.h5"))
        #expect(try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--epochs", "1"] + Self.tiny).status == 0)
        // Before: --lr was ignored on resume (the run kept 1e-4 without a word).
        let faster = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--resume", "--epochs", "2", "--lr", "0.5", "--json"])
        #expect(faster.status == 0, "\(faster.stderr)")
        #expect(faster.stderr.contains("--lr 0.5 replaces the run's learning rate 0.0001 from epoch 2 on"), "\(faster.stderr)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(faster.stdout.utf8)) as? [String: Any])
        #expect(last["epoch"] as? Int == 2 && last["learningRate"] as? Double == 0.5)
        let state = try #require(try AutoencoderCheckpoint.load(path: dir.path("ae.h5")).training)
        #expect(state.options.optimizer.learningRate == 0.5 && state.history.map(\.learningRate) == [1e-4, 0.5])

        // Options that define the run cannot change on resume: an error, and the file stays as it was.
        let before = try Self.bytes(dir.path("ae.h5"))
        let wider = try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--resume", "--epochs", "3", "--width", "16", "--batch-size", "6"])
        #expect(wider.status == 1, "\(wider.stderr)")
        #expect(wider.stderr.contains("--width 16 (the run has 8), --batch-size 6 (the run has 4)"), "\(wider.stderr)")
        #expect(try Self.bytes(dir.path("ae.h5")) == before)
        // Giving the run's own values is not a change.
        #expect(try run([dir.path("zoo.h5"), "-o", dir.path("ae.h5"), "--resume", "--epochs", "2", "--width", "8"]).status == 0)

        // Fewer training checkpoints (18) than the batch: before, the batch shrank to 18 silently.
        let big = try run([dir.path("zoo.h5"), "-o", dir.path("big.h5"), "--epochs", "1", "--width", "8", "--heads", "2", "--head", "1,8,4"])
        #expect(big.status == 1, "\(big.stderr)")
        #expect(big.stderr.contains("18 training rows are fewer than the batch size 32: batches are drop-last") && big.stderr.contains("--batch-size 32, the default"), "\(big.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("big.h5")))
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-train"), "needs hz-train built"))
    func diagnosticsWarnOfACollapsedDecoderAndStayQuietForAHealthyRun() throws {
        let dir = TemporaryDirectory("train-diagnostics")
        try Self.lineZoo(dir.path("zoo.h5"))
        let common = [dir.path("zoo.h5"), "--no-permute", "--erase", "0", "--gamma", "0", "--dropout", "0", "--json"] + Self.tiny
        // Weight decay so large that AdamW zeroes every weight in the first step: the decoder's
        // output no longer depends on the latent.
        let collapsed = try run(common + ["-o", dir.path("collapsed.h5"), "--epochs", "1", "--lr", "1e-3", "--weight-decay", "1000"])
        #expect(collapsed.status == 0, "\(collapsed.stderr)")
        #expect(collapsed.stderr.contains("hz-train: warning: the decoder barely uses its latent"), "\(collapsed.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(collapsed.stdout.utf8)) as? [String: Any])
        let diagnostics = try #require(report["diagnostics"] as? [String: Any])
        #expect((diagnostics["decoderSpreadRatio"] as? Double).map { $0 < 0.01 } == true, "\(diagnostics)")
        let codes = (diagnostics["warnings"] as? [[String: Any]])?.compactMap { $0["code"] as? String }
        #expect(codes?.contains("decoder_collapse") == true && codes?.contains("validation_r2_negative") == true, "\(diagnostics)")
        // The same numbers are in the AE file, for hz-eval and reports.
        let stored = try #require(try AutoencoderCheckpoint.load(path: dir.path("collapsed.h5")).training?.diagnostics)
        #expect(stored.warnings.map(\.code) == codes && stored.decoderSpreadRatio < 0.01)

        let healthy = try run(common + ["-o", dir.path("healthy.h5"), "--epochs", "24", "--lr", "3e-3"])
        #expect(healthy.status == 0, "\(healthy.stderr)")
        #expect(!healthy.stderr.contains("warning"), "\(healthy.stderr)")
        let fine = try #require(try AutoencoderCheckpoint.load(path: dir.path("healthy.h5")).training?.diagnostics)
        #expect(fine.warnings.isEmpty && fine.decoderSpreadRatio > AutoencoderDiagnostics.collapseThreshold, "\(fine)")
        #expect((fine.validationRSquared ?? -1) > 0, "\(fine)")
    }
}
