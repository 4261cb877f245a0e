// The Model Zoos importer end to end: the shared PyTorch-written zoo converts bit-exactly to what
// PyTorch flattened (expected/vectors.npy), metrics are joined from result.json, problems are
// reported per model while the rest converts, NaN checkpoints are kept and flagged, and an
// interrupted conversion resumes.
import Foundation
import Testing
import TestSupport
import ZooStore
@testable import Formats

@Suite struct ModelZoosImporterTests {
    static let zoo = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini")

    struct Expected {
        var rows: [[Float]]
        var names: [(model: String, epoch: Int, testAccuracy: Double)]
        var layerOrder: [String]
    }

    static func expected() throws -> Expected {
        let vectors = try NumpyArray.read(path: zoo.appendingPathComponent("expected/vectors.npy").path)
        let flat = vectors.floats()
        let width = vectors.shape[1]
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: zoo.appendingPathComponent("expected/index.json"))) as! [String: Any]
        let rows = (index["rows"] as! [[String: Any]]).map { ($0["model_dir"] as! String, $0["epoch"] as! Int, $0["test_acc"] as! Double) }
        return Expected(rows: (0..<vectors.shape[0]).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) },
                        names: rows, layerOrder: index["layer_order"] as! [String])
    }

    /// A writable copy of the fixture zoo.
    static func copyOfZoo(in dir: TemporaryDirectory) throws -> String {
        let copy = dir.path("zoo")
        try FileManager.default.copyItem(atPath: zoo.path, toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/expected")
        return copy
    }

    /// Every row of `output` equals PyTorch's flattening of the same (model, epoch), bit for bit,
    /// and carries its test accuracy from result.json (unless `unknownMetrics` lists the row's key).
    func assertMatchesExpected(_ output: String, rows: Int = 16, unknownMetrics: Set<String> = []) throws {
        let expected = try Self.expected()
        let reader = try ZooReader(path: output)
        #expect(reader.table.entries.map(\.name) == expected.layerOrder)
        #expect(reader.checkpointCount == rows)
        for row in 0..<reader.checkpointCount {
            let got = try reader.readRow(row)
            let model = reader.model(row: row).id
            let epoch = reader.epoch[row]
            let k = try #require(expected.names.firstIndex { $0.model == model && $0.epoch == epoch })
            #expect(got.map(\.bitPattern) == expected.rows[k].map(\.bitPattern), "\(model) epoch \(epoch)")
            if unknownMetrics.contains("\(model)@\(epoch)") {
                #expect(reader.metrics(row: row).testAccuracy.isNaN)
            } else {
                #expect(reader.metrics(row: row).testAccuracy == Float(expected.names[k].testAccuracy))
            }
        }
    }

    @Test func convertsTheSharedZooBitExactly() throws {
        let dir = TemporaryDirectory()
        let summary = try ModelZoosImporter(sources: [Self.zoo.path], output: dir.path("zoo.h5")).run()
        #expect(summary.sourceKind == "model-zoos")
        #expect(summary.modelsConverted == 4 && summary.checkpointsWritten == 16)
        #expect(summary.problems.isEmpty, "\(summary.problems)")
        #expect(summary.architecture == "cnn" && summary.parameterCount == 2464)
        try assertMatchesExpected(dir.path("zoo.h5"))
        // Rows in source order: models sorted by folder, epochs ascending (as PyTorch wrote them).
        let reader = try ZooReader(path: dir.path("zoo.h5"))
        #expect(reader.epoch == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3])
        #expect(reader.models.map(\.seed) == [1, 2, 3, 4])
        if case .object(let h) = reader.models[0].hyperparameters { #expect(h["optim::lr"] == .number(0.0003)) }
        else { Issue.record("hyperparameters not kept") }
    }

    @Test func selectsEpochsAndLimitsModels() throws {
        let dir = TemporaryDirectory()
        var options = ImportOptions()
        options.epochs = [0, 3]
        options.maxModels = 2
        options.threads = 1
        let summary = try ModelZoosImporter(sources: [Self.zoo.path], output: dir.path("zoo.h5"), options: options).run()
        #expect(summary.checkpointsWritten == 4)
        let reader = try ZooReader(path: dir.path("zoo.h5"))
        #expect(reader.epoch == [0, 3, 0, 3])
    }

    @Test func reportsProblemsPerModelAndConvertsTheRest() throws {
        let dir = TemporaryDirectory()
        let zoo = try Self.copyOfZoo(in: dir)
        let models = try FileManager.default.contentsOfDirectory(atPath: zoo).filter { $0.hasPrefix("NN_") }.sorted()
        // model 1: one checkpoint truncated; model 2: another architecture; model 3: result.json short,
        // checkpoint folders without zero padding.
        let broken = "\(zoo)/\(models[1])/checkpoint_000002/checkpoints"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: broken))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: broken))
        let other = "\(zoo)/\(models[2])/checkpoint_000001/checkpoints"
        try FileManager.default.removeItem(atPath: other)
        try FileManager.default.copyItem(atPath: FixtureManifest.path("crafted_ok.pt"), toPath: other)
        let results = try String(contentsOfFile: "\(zoo)/\(models[3])/result.json", encoding: .utf8).split(separator: "\n")
        try results.prefix(3).joined(separator: "\n").write(toFile: "\(zoo)/\(models[3])/result.json", atomically: true, encoding: .utf8)
        for e in 0..<4 {
            try FileManager.default.moveItem(atPath: "\(zoo)/\(models[3])/checkpoint_00000\(e)", toPath: "\(zoo)/\(models[3])/checkpoint_\(e)")
        }

        let summary = try ModelZoosImporter(sources: [zoo], output: dir.path("zoo.h5")).run()
        #expect(summary.modelsConverted == 3)
        #expect(summary.modelsRejected == 1)
        #expect(summary.checkpointsWritten == 4 + 3 + 4)
        #expect(summary.problems.contains { $0.model == models[1] && $0.epoch == 2 && $0.message.contains("zip") })
        #expect(summary.problems.contains { $0.model == models[2] && $0.message.contains("architecture differs") })
        #expect(summary.problems.contains { $0.model == models[3] && $0.epoch == 3 && $0.message.contains("result.json") })
        let reader = try ZooReader(path: dir.path("zoo.h5"))
        #expect(reader.models.map(\.id) == [models[0], models[1], models[3]])
        try assertMatchesExpected(dir.path("zoo.h5"), rows: 11, unknownMetrics: ["\(models[3])@3"])

        // --strict turns the first problem into a failure.
        var strict = ImportOptions()
        strict.strict = true
        #expect(throws: FormatError.self) {
            _ = try ModelZoosImporter(sources: [zoo], output: dir.path("strict.h5"), options: strict).run()
        }
    }

    @Test func refusesWhenNothingIsUsable() throws {
        let dir = TemporaryDirectory()
        var options = ImportOptions()
        options.epochs = [99]
        #expect(throws: FormatError.self) {
            _ = try ModelZoosImporter(sources: [Self.zoo.path], output: dir.path("zoo.h5"), options: options).run()
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path("zoo.h5")))
    }

    @Test func resumesAnInterruptedConversion() throws {
        let dir = TemporaryDirectory()
        let output = dir.path("zoo.h5")
        // Simulate an interruption after the first model: write it with the store, flush, close.
        let expected = try Self.expected()
        let first = expected.names[0].model
        let checkpoint = try TorchCheckpoint.read(path: "\(Self.zoo.path)/\(first)/checkpoint_000000/checkpoints")
        let table = try ParameterTable(stateDict: checkpoint.tensors.map { ($0.name, $0.tensor.shape) })
        let writer = try ZooWriter.create(path: output, architecture: "cnn", table: table)
        try writer.addModel(ModelRecord(id: first))
        for e in 0..<4 { try writer.appendCheckpoint(model: first, epoch: e, row: expected.rows[e]) }
        try writer.flush()
        writer.close()
        #expect(ZooWriter.canResume(path: output))

        let summary = try ModelZoosImporter(sources: [Self.zoo.path], output: output).run()
        #expect(summary.resumed)
        #expect(summary.modelsAlreadyDone == 1)
        #expect(summary.checkpointsWritten == 12)
        #expect(try ZooReader(path: output).checkpointCount == 16)
        // A finished output is not overwritten without `overwrite`.
        #expect(throws: (any Error).self) { _ = try ModelZoosImporter(sources: [Self.zoo.path], output: output).run() }
    }

    @Test func exportedSafetensorsRoundTripAndNaNIsFlagged() throws {
        let dir = TemporaryDirectory()
        _ = try ModelZoosImporter(sources: [Self.zoo.path], output: dir.path("zoo.h5")).run()
        let written = try ZooExporter.exportSafetensors(zoo: dir.path("zoo.h5"), to: dir.path("out"))
        #expect(written == 16)
        let expected = try Self.expected()
        let first = expected.names[0].model
        let tensors = try Safetensors.read(path: dir.path("out/\(first)/epoch_0.safetensors"))
        #expect(tensors.map(\.name) == expected.layerOrder)
        #expect(tensors.flatMap { $0.tensor.floats() }.map(\.bitPattern) == expected.rows[0].map(\.bitPattern))

        // Poison one exported checkpoint with NaN and import the export folder back.
        var poisoned = tensors.map { ($0.name, $0.tensor.shape, $0.tensor.floats()) }
        poisoned[0].2[3] = .nan
        try Safetensors.write(poisoned.map { (name: $0.0, shape: $0.1, values: $0.2) }, to: dir.path("out/\(first)/epoch_0.safetensors"))
        let summary = try ModelZoosImporter(sources: [dir.path("out")], output: dir.path("back.h5")).run()
        #expect(summary.sourceKind == "export")
        #expect(summary.checkpointsWritten == 16)
        #expect(summary.nonFiniteCheckpoints == [.init(model: first, epoch: 0)])
        let back = try ZooReader(path: dir.path("back.h5"))
        #expect(try back.readRow(0)[3].isNaN)
        #expect(try back.readRow(1).map(\.bitPattern) == expected.rows[1].map(\.bitPattern))
    }
}

/// A Model Zoos folder mixing dropout 0 and 0.5 (fixtures/modelzoo-mixed-dropout, written by
/// tools/fixtures/make_mixed_dropout_zoo.py with PyTorch): one zoo file, two architecture groups, each
/// model with its own state_dict names, bit for bit.
@Suite struct MixedDropoutImportTests {
    static let zoo = Fixtures.project.appendingPathComponent("modelzoo-mixed-dropout")

    struct Row { var model: String; var epoch: Int; var dropout: Double; var keys: [String]; var values: [Float] }

    static func expected() throws -> [Row] {
        let vectors = try NumpyArray.read(path: zoo.appendingPathComponent("expected/vectors.npy").path)
        let flat = vectors.floats(), width = vectors.shape[1]
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: zoo.appendingPathComponent("expected/index.json"))) as! [String: Any]
        return (index["rows"] as! [[String: Any]]).enumerated().map { k, r in
            Row(model: r["model_dir"] as! String, epoch: r["epoch"] as! Int, dropout: r["dropout"] as! Double,
                keys: r["keys"] as! [String], values: Array(flat[(k * width)..<((k + 1) * width)]))
        }
    }

    /// Every row of `path` is its checkpoint, bit for bit, under that checkpoint's own names.
    func assertMatches(_ path: String, rows: Int = 6) throws {
        let reader = try ZooReader(path: path)
        #expect(reader.checkpointCount == rows && reader.layouts.count == 2 && reader.formatVersion == 2)
        let expected = try Self.expected()
        for row in 0..<reader.checkpointCount {
            let model = reader.model(row: row).id, epoch = reader.epoch[row]
            let want = try #require(expected.first { $0.model == model && $0.epoch == epoch })
            #expect(reader.table(ofRow: row).entries.map(\.name) == want.keys, "\(model)")
            #expect(try reader.readRow(row).map(\.bitPattern) == want.values.map(\.bitPattern), "\(model) epoch \(epoch)")
        }
    }

    @Test func convertsIntoTwoArchitectureGroups() throws {
        let dir = TemporaryDirectory()
        let summary = try ModelZoosImporter(sources: [Self.zoo.path], output: dir.path("zoo.h5")).run()
        #expect(summary.architectures == ["cnn", "cnn_dropout"])
        #expect(summary.modelsConverted == 3 && summary.modelsRejected == 0 && summary.problems.isEmpty)
        #expect(summary.description.contains("architectures cnn, cnn_dropout"))
        try assertMatches(dir.path("zoo.h5"))
        let reader = try ZooReader(path: dir.path("zoo.h5"))
        #expect(reader.layouts[1].table.layers.map(\.prefix) == ["module_list.0", "module_list.4", "module_list.8", "module_list.11", "module_list.14"])
        for row in 0..<reader.checkpointCount {
            let dropout = reader.model(row: row).hyperparameters["model::dropout"]
            #expect(dropout == .number(reader.layoutIndex(ofRow: row) == 1 ? 0.5 : 0))
        }

        // Exported safetensors keep each model's names; importing the export folder regroups them.
        #expect(try ZooExporter.exportSafetensors(zoo: dir.path("zoo.h5"), to: dir.path("out")) == 6)
        for row in Self.expectedRows() {
            let tensors = try Safetensors.read(path: dir.path("out/\(row.model)/epoch_\(row.epoch).safetensors"))
            #expect(tensors.map(\.name) == row.keys)
            #expect(tensors.flatMap { $0.tensor.floats() }.map(\.bitPattern) == row.values.map(\.bitPattern))
        }
        let back = try ModelZoosImporter(sources: [dir.path("out")], output: dir.path("back.h5")).run()
        #expect(back.architectures.count == 2 && back.checkpointsWritten == 6)
        try assertMatches(dir.path("back.h5"))
    }

    static func expectedRows() -> [Row] { (try? expected()) ?? [] }

    /// An interrupted conversion holding only the first layout resumes and adds the second.
    @Test func resumeAddsTheSecondLayout() throws {
        let dir = TemporaryDirectory()
        let output = dir.path("zoo.h5")
        let first = try #require(try Self.expected().first)
        let table = try ParameterTable(stateDict: try TorchCheckpoint.read(path: "\(Self.zoo.path)/\(first.model)/checkpoint_000000/checkpoints")
            .tensors.map { ($0.name, $0.tensor.shape) })
        let writer = try ZooWriter.create(path: output, architecture: "cnn", table: table)
        try writer.addModel(ModelRecord(id: first.model))
        for row in try Self.expected().prefix(2) { try writer.appendCheckpoint(model: first.model, epoch: row.epoch, row: row.values) }
        try writer.flush()
        writer.close()

        let summary = try ModelZoosImporter(sources: [Self.zoo.path], output: output).run()
        #expect(summary.resumed && summary.modelsAlreadyDone == 1 && summary.checkpointsWritten == 4)
        #expect(summary.architectures == ["cnn", "cnn_dropout"])
        try assertMatches(output)
    }

    /// A model of other shapes is still rejected with the first difference.
    @Test func otherShapesAreRejected() throws {
        let dir = TemporaryDirectory()
        let copy = dir.path("zoo")
        try FileManager.default.copyItem(atPath: Self.zoo.path, toPath: copy)
        let models = try FileManager.default.contentsOfDirectory(atPath: copy).filter { $0.hasPrefix("NN_") }.sorted()
        for e in 0..<2 {
            let path = "\(copy)/\(models[2])/checkpoint_00000\(e)/checkpoints"
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: FixtureManifest.path("crafted_ok.pt"), toPath: path)
        }
        let summary = try ModelZoosImporter(sources: [copy], output: dir.path("zoo.h5")).run()
        #expect(summary.modelsRejected == 1 && summary.architectures == ["cnn", "cnn_dropout"])
        #expect(summary.problems.contains { $0.model == models[2] && $0.message.hasPrefix("architecture differs from the zoo's: ") })
    }
}
