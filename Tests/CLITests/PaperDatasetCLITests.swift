// The papers' datasets through the real executables: CIFAR-10's python batches through the
// restricted unpickler (equal to the binary batches), a CIFAR-10 zoo (python-batch format, the
// 3-channel CNN-s recipe) and an SVHN zoo (a Model Zoos config whose dataset::dump names SVHN,
// data found through HYPERZOO_DATA) trained by hz-zoo, evaluated by hz-eval and transferred
// (SVHN → MNIST, the paper's pair); a config naming a dataset hyperzoo cannot read is refused.
import Foundation
import Testing
import TestSupport
import Formats
import HyperRep
import Nets
import ZooStore
@testable import HyperZooCLI

private let datasets = Fixtures.project.appendingPathComponent("datasets").path

/// Runs a stage with extra environment variables.
private func runStage(_ name: String, _ arguments: [String], environment extra: [String: String]) throws -> (status: Int32, stderr: String) {
    let scratch = TemporaryDirectory("tool-stderr")
    let errPath = scratch.path("stderr")
    FileManager.default.createFile(atPath: errPath, contents: nil)
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let p = Process()
    p.executableURL = ToolRunner.executable(name)
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    p.waitUntilExit()
    try err.close()
    return (p.terminationStatus, String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self))
}

@Suite struct PaperDatasetCLITests {
    @Test func cifarPythonBatchesReadThroughTheRestrictedUnpicklerEqualTheBinaryBatches() throws {
        for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"] {
            let py = try CIFARPickle.readBatch(path: "\(datasets)/cifar10-python/cifar-10-batches-py/\(name)")
            let bin = try CIFAR10.readBinaryBatch("\(datasets)/cifar10-binary/cifar-10-batches-bin/\(name).bin")
            #expect(py.pixels == bin.pixels && py.labels == bin.labels, "\(name)")
        }
        let a = try PaperDataset.cifar10.load(directory: datasets + "/cifar10-python", readers: .formats)
        let b = try PaperDataset.cifar10.load(directory: datasets + "/cifar10-binary")
        #expect(a.train.images == b.train.images && a.test.images == b.test.images && a.train.labels == b.train.labels)
    }

    @Test func hostileCIFARPicklesAreRefusedByName() throws {
        let dir = TemporaryDirectory()
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(datasets)/cifar10-python/cifar-10-batches-py/test_batch")))
        func refusal(_ bytes: [UInt8]) -> String {
            do { _ = try CIFARPickle.parseBatch(bytes, label: "batch"); return "no error" } catch { return "\(error)" }
        }
        // A pickle calling os.system.
        let evil: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x55, 2] + Array("ls".utf8) + [0x85, 0x52, 0x2E]
        #expect(refusal(evil).contains("GLOBAL os.system is not allowed"))
        #expect(refusal(Array(good.prefix(good.count / 2))).contains("batch: the pickle ends before its STOP opcode"))
        // The data array's declared shape no longer matches its bytes: patch N = 16 (BININT1 after the
        // state tuple's version) to 17.
        let shapeAt = try #require(findSubsequence([0x4B, 0x10, 0x4D, 0x00, 0x0C], in: good))
        var wrongShape = good
        wrongShape[shapeAt + 1] = 17
        #expect(refusal(wrongShape).contains("array of shape [17, 3072] needs 52224 bytes, holds 49152"))
        _ = dir
    }

    @Test(.enabled(if: stageBuilt("hz-zoo") && stageBuilt("hz-eval"), "needs hz-zoo and hz-eval"))
    func aCIFAR10ZooFromPythonBatchesTrainsEvaluatesAndTransfersToSTL10() throws {
        let dir = TemporaryDirectory()
        // The CIFAR-10 small recipe (3-channel CNN-s, gelu, kaiming_uniform, wd 1e-2), 4 models, 1 epoch.
        let spec = """
        {"name": "cifar10-mini", "architecture": {"family": "cnn_s", "channels": 3, "activation": "gelu", "dropout": 0},
         "dataset": {"name": "cifar10", "directory": "/nonexistent/replaced-by-the-option", "split_seed": 42},
         "initializer": "kaiming_uniform", "optimizer": {"kind": "adam", "learning_rate": 0.001, "weight_decay": 0.01},
         "batch_size": 10, "epochs": 1, "seeds": {"start": 1, "count": 4}, "model_split": {"seed": 42, "fractions": [0.5, 0.25, 0.25]}}
        """
        _ = FileManager.default.createFile(atPath: dir.path("c.json"), contents: Data(spec.utf8))
        let zoo = try runStage("hz-zoo", [dir.path("c.json"), "-o", dir.path("zoo.h5"), "--threads", "2", "--dataset-path", datasets + "/cifar10-python"], environment: [:])
        #expect(zoo.status == 0, "\(zoo.stderr)")
        let reader = try ZooReader(path: dir.path("zoo.h5"), formats: [.zoo])
        #expect(reader.architecture == "cnn_s_3ch" && reader.table.parameterCount == 2864)
        #expect(reader.models.allSatisfy { $0.dataset == "cifar10" })
        let out = dir.path("report")
        let eval = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--epochs", "0,1", "--models", "2", "--ensemble-sizes", "",
                                            "--bootstrap", "20", "--threads", "2", "--transfer", "stl10", "--transfer-path", datasets + "/stl10",
                                            "-o", out], environment: [:])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        #expect(report.settings["dataset"] == "cifar10")
        // The 16 CIFAR-10 test images, and STL-10's 5 test images resized to 28×28.
        #expect(report.transfers.map { "\($0.source)→\($0.target)" } == ["cifar10→stl10"])
        #expect(report.transfers[0].populations.map(\.name) == ["B_T", "B_F"] && report.transfers[0].populations.allSatisfy { $0.epochs.count == 2 })
    }

    @Test(.enabled(if: stageBuilt("hz-zoo") && stageBuilt("hz-eval"), "needs hz-zoo and hz-eval"))
    func anSVHNModelZoosConfigTrainsOnSVHNAndTransfersToMNIST() throws {
        let dir = TemporaryDirectory()
        // The generator's own config (train_zoo_svhn_uniform.py), cut to 3 seeds and 1 epoch.
        let config = """
        {"model::type": "CNN", "model::channels_in": 1, "model::o_dim": 4, "model::nlin": "tanh", "model::dropout": 0.0,
         "model::init_type": "uniform", "model::use_bias": false, "optim::optimizer": "adam", "optim::lr": 0.003, "optim::wd": 0.0,
         "seed": {"grid_search": [1, 2, 3, 4]}, "training::batchsize": 10, "training::epochs_train": 1, "cuda": false,
         "dataset::dump": "/data/zoos/SVHN/tune_zoo_svhn_uniform/dataset.pt"}
        """
        _ = FileManager.default.createFile(atPath: dir.path("config.json"), contents: Data(config.utf8))
        let env = ["HYPERZOO_DATA": datasets]
        let zoo = try runStage("hz-zoo", [dir.path("config.json"), "-o", dir.path("zoo.h5"), "--threads", "2"], environment: env)
        #expect(zoo.status == 0, "\(zoo.stderr)")
        let reader = try ZooReader(path: dir.path("zoo.h5"), formats: [.zoo])
        #expect(reader.architecture == "cnn_s" && reader.models.allSatisfy { $0.dataset == "svhn" })
        let out = dir.path("report")
        let eval = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--epochs", "0,1", "--models", "2", "--ensemble-sizes", "",
                                            "--bootstrap", "20", "--threads", "2", "--transfer", "mnist", "-o", out], environment: env)
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try EvaluationReport.decode(try Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))
        #expect(report.settings["dataset"] == "svhn")
        #expect(report.transfers.map { "\($0.source)→\($0.target)" } == ["svhn→mnist"])
        #expect(report.seeds["mnist_split"] == 42)
        // Without HYPERZOO_DATA or a path, hz-eval says how to point it at the data, and writes no report.
        let unset = try runStage("hz-eval", ["--zoo", dir.path("zoo.h5"), "--epochs", "0", "--models", "1", "--ensemble-sizes", "",
                                             "--transfer", "mnist", "-o", dir.path("r2")],
                                 environment: ["HYPERZOO_DATA": "", "HOME": dir.url.path])
        #expect(unset.status != 0 && unset.status < 128 && unset.stderr.contains("HYPERZOO_DATA"), "\(unset.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("r2") + "/report.json"))
    }

    @Test(.enabled(if: stageBuilt("hz-zoo"), "needs hz-zoo"))
    func aModelZoosConfigNamingAnUnreadableDatasetIsRefused() throws {
        let dir = TemporaryDirectory()
        // A CIFAR-100 config: before, hz-zoo trained a cnn_s_3ch zoo on Fashion-MNIST and exited 0.
        let config = """
        {"model::type": "CNN", "model::channels_in": 3, "model::nlin": "gelu", "model::init_type": "kaiming_uniform",
         "optim::lr": 0.0001, "seed": {"grid_search": [1, 2]}, "training::epochs_train": 1,
         "dataset::dump": "/data/zoos/CIFAR100/small/tune_zoo_cifar100_uniform_small/dataset.pt"}
        """
        _ = FileManager.default.createFile(atPath: dir.path("config.json"), contents: Data(config.utf8))
        let r = try runStage("hz-zoo", [dir.path("config.json"), "-o", dir.path("zoo.h5")], environment: [:])
        #expect(r.status == 1)
        #expect(r.stderr.contains("CIFAR-100, which hyperzoo has no reader for"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.path("zoo.h5")) && !FileManager.default.fileExists(atPath: dir.path("zoo.h5.partial")))
    }
}

/// The first index of `needle` in `haystack`.
private func findSubsequence(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count <= haystack.count else { return nil }
    return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}
