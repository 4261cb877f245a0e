// hz-convert end to end through the real executable: convert the shared Model Zoos fixture,
// export it to safetensors, refuse an existing output and a hostile pickle with exit status 1.
import Foundation
import Testing
import TestSupport
import ZooStore
@testable import HyperZooCLI

@Suite struct ConvertCommandTests {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try ToolRunner.run("hz-convert", arguments)
    }

    @Test(.enabled(if: ToolRunner.isBuilt("hz-convert"), "needs the hz-convert product built (swift build)"))
    func convertsExportsAndRefuses() throws {
        let dir = TemporaryDirectory()
        let zoo = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini").path
        let converted = try run([zoo, "-o", dir.path("zoo.h5"), "--json", "--threads", "2"])
        #expect(converted.status == 0, "\(converted.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(converted.stdout.utf8)) as? [String: Any]
        #expect(summary?["checkpointsWritten"] as? Int == 16)
        #expect(summary?["parameterCount"] as? Int == 2464)

        let again = try run([zoo, "-o", dir.path("zoo.h5")])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists; pass --force"))

        let exported = try run([dir.path("zoo.h5"), "--to", "safetensors", "-o", dir.path("weights"), "--epochs", "0-1"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let models = try FileManager.default.contentsOfDirectory(atPath: dir.path("weights")).sorted()
        #expect(models.count == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("weights/\(models[0])")).sorted()
                == ["epoch_0.safetensors", "epoch_1.safetensors"])

        let hostile = try run([Fixtures.project.appendingPathComponent("torch/hostile_os_system.pt").path, "-o", dir.path("h.h5")])
        #expect(hostile.status == 1)
        #expect(hostile.stderr.contains("GLOBAL posix.system is not allowed"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("h.h5")))
    }

    /// 15.14: two models whose ids name one export folder ("run/1" is written as run_1) are
    /// refused before anything is written (the export counted 4 files while 2 existed).
    @Test(.enabled(if: ToolRunner.isBuilt("hz-convert"), "needs the hz-convert product built (swift build)"))
    func modelsSharingAnExportFolderAreRefused() throws {
        let dir = TemporaryDirectory()
        let table = try ParameterTable(stateDict: [("fc.weight", [2, 3]), ("fc.bias", [2])])
        let writer = try ZooWriter.create(path: dir.path("zoo.h5"), architecture: "tiny", table: table)
        for id in ["run/1", "run_1"] {
            try writer.addModel(ModelRecord(id: id, seed: 0, dataset: "synthetic", split: .train))
            for epoch in [0, 1] { try writer.appendCheckpoint(model: id, epoch: epoch, row: [Float](repeating: Float(epoch), count: 8)) }
        }
        try writer.finish()
        let refused = try run([dir.path("zoo.h5"), "--to", "safetensors", "-o", dir.path("weights")])
        let lines = refused.stderr.split(separator: "\n")
        #expect(refused.status == 1 && lines.count == 1, "\(refused)")
        #expect(refused.stderr.contains("zoo.h5:models: models 0 and 1 both have id 'run_1'") && refused.stderr.contains("'run_1'"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["zoo.h5"])
    }

    /// A Model Zoos folder mixing dropout 0 and 0.5: one file, two architecture groups, and the
    /// human summary says so.
    @Test(.enabled(if: ToolRunner.isBuilt("hz-convert"), "needs the hz-convert product built (swift build)"))
    func convertsAMixedDropoutFolderIntoTwoGroups() throws {
        let dir = TemporaryDirectory()
        let zoo = Fixtures.project.appendingPathComponent("modelzoo-mixed-dropout").path
        let converted = try run([zoo, "-o", dir.path("zoo.h5"), "--json"])
        #expect(converted.status == 0, "\(converted.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(converted.stdout.utf8)) as? [String: Any]
        #expect(summary?["architectures"] as? [String] == ["cnn", "cnn_dropout"])
        #expect(summary?["checkpointsWritten"] as? Int == 6)
        let text = try run([zoo, "-o", dir.path("again.h5")])
        #expect(text.status == 0 && text.stdout.contains("(architectures cnn, cnn_dropout, 2464 parameters)"), "\(text.stdout)")
    }

    @Test func parsesEpochLists() throws {
        #expect(try ConvertCommand.parse(["models/", "-o", "zoo.h5", "--epochs", "0,5,10-12"]).epochs?.epochs == [0, 5, 10, 11, 12])
        #expect(throws: (any Error).self) { try ConvertCommand.parse(["models/", "-o", "zoo.h5", "--epochs", "3-1"]) }
        #expect(throws: (any Error).self) { try ConvertCommand.parse(["models/", "-o", "zoo.h5", "--epochs", "x"]) }
    }
}

// GHRP's dataset.pt through the real executable: converted on its own, refused with one line
// when it holds a class outside the allow-list, never leaving an output behind.
@Suite struct ConvertGHRPDatasetCLITests {
    @Test(.enabled(if: ToolRunner.isBuilt("hz-convert"), "needs the hz-convert product built (swift build)"))
    func convertsTheOfficialFormatAndRefusesOtherClasses() throws {
        let dir = TemporaryDirectory()
        let folder = Fixtures.project.appendingPathComponent("ghrp/datasets")
        let converted = try ToolRunner.run("hz-convert", [folder.appendingPathComponent("vector.pt").path, "-o", dir.path("zoo.h5"), "--json"])
        #expect(converted.status == 0, "\(converted.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(converted.stdout.utf8)) as? [String: Any]
        #expect(summary?["sourceKind"] as? String == "ghrp-dataset")
        #expect(summary?["checkpointsWritten"] as? Int == 8)
        #expect(summary?["modelsConverted"] as? Int == 4)

        let refused = try ToolRunner.run("hz-convert", [folder.appendingPathComponent("refused-erase-augment.pt").path, "-o", dir.path("other.h5")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("RandomErasingVector is not allowed"))
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("other.h5")))
    }
}
