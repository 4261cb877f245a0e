// The torch reader against files written by real PyTorch (fixtures/torch, made by
// tools/fixtures/make_torch_fixtures.py): every dtype, views, nested checkpoints, the legacy format,
// protocol 4, big-endian storages, and hostile or broken files that must be refused.
import Foundation
import Testing
import TestSupport
@testable import Formats

@Suite struct TorchCheckpointTests {
    static let torchFiles = ["dtypes.pt", "views.pt", "nested.pt", "legacy.pt", "proto4.pt",
                             "parameters.pt", "big_endian.pt", "crafted_ok.pt"]

    @Test(arguments: torchFiles)
    func readsWhatTorchWrote(_ file: String) throws {
        let manifest = try FixtureManifest.load()
        let expected = try #require(manifest.load[file])
        let checkpoint = try TorchCheckpoint.read(path: FixtureManifest.path(file))
        #expect(checkpoint.tensors.map(\.name) == expected.tensors.map(\.name))
        #expect(checkpoint.skipped == expected.skipped)
        for (got, want) in zip(checkpoint.tensors, expected.tensors) {
            #expect(got.tensor.dtype.rawValue == dtypeName(want.dtype), "\(file):\(want.name)")
            #expect(got.tensor.shape == want.shape, "\(file):\(want.name)")
            // Every value is exact in Float64 (the fixtures use exactly representable numbers).
            #expect(got.tensor.doubles() == want.values, "\(file):\(want.name)")
        }
    }

    @Test func containerIsReported() throws {
        #expect(try TorchCheckpoint.read(path: FixtureManifest.path("legacy.pt")).container == .legacy)
        #expect(try TorchCheckpoint.read(path: FixtureManifest.path("dtypes.pt")).container == .zip)
    }

    @Test(arguments: ["hostile_os_system.pt", "hostile_legacy.pt", "absurd_shape.pt", "offset_past_end.pt",
                      "storage_missing.pt", "numel_lies.pt", "negative_stride.pt", "truncated.pt",
                      "absurd_entry_size.pt"])
    func refusesHostileAndBrokenFiles(_ file: String) throws {
        let manifest = try FixtureManifest.load()
        let word = try #require(manifest.reject[file])
        try? FileManager.default.removeItem(atPath: "/tmp/hyperzoo-pwned")
        do {
            let checkpoint = try TorchCheckpoint.read(path: FixtureManifest.path(file))
            Issue.record("\(file) was accepted with \(checkpoint.tensors.count) tensors")
        } catch let error as FormatError {
            #expect(error.description.contains(word), "\(error)")
            #expect(error.description.hasPrefix(FixtureManifest.path(file)), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hyperzoo-pwned"))
    }

    @Test func modelZooCheckpointMatchesExpectedVectors() throws {
        let zoo = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: zoo.appendingPathComponent("expected/index.json"))) as! [String: Any]
        let order = index["layer_order"] as! [String]
        let rows = index["rows"] as! [[String: Any]]
        let vectors = try NumpyArray.read(path: zoo.appendingPathComponent("expected/vectors.npy").path)
        let expected = vectors.floats()
        let width = vectors.shape[1]
        for (r, row) in rows.enumerated() {
            let folder = zoo.appendingPathComponent(row["model_dir"] as! String)
                .appendingPathComponent(String(format: "checkpoint_%06d", row["epoch"] as! Int))
            let checkpoint = try TorchCheckpoint.read(path: folder.appendingPathComponent("checkpoints").path)
            #expect(checkpoint.tensors.map(\.name) == order)
            let flat = checkpoint.tensors.flatMap { $0.tensor.floats() }
            #expect(flat.count == width)
            // Bit-exact: compare bit patterns, not values.
            #expect(flat.map(\.bitPattern) == expected[(r * width)..<((r + 1) * width)].map(\.bitPattern), "row \(r)")
        }
    }

    @Test func optimizerFileReadsAsNestedTensors() throws {
        let zoo = Fixtures.shared.appendingPathComponent("modelzoo-fmnist-mini")
        let model = try FileManager.default.contentsOfDirectory(atPath: zoo.path).sorted().first { $0.hasPrefix("NN_") }!
        let path = zoo.appendingPathComponent(model).appendingPathComponent("checkpoint_000001/optimizer").path
        let checkpoint = try TorchCheckpoint.read(path: path)
        // Adam state: state.<param>.{step, exp_avg, exp_avg_sq}; param_groups has no tensors.
        #expect(checkpoint.tensors.contains { $0.name == "state.0.exp_avg" })
        #expect(checkpoint.skipped.contains("param_groups"))
    }

    static let aeCheckpoint = "/work/shared/fixtures/ghrp-ae-small/checkpoint_ae.pt"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: aeCheckpoint), "needs ../shared/fixtures (1.1 MB, not committed)"))
    func readsOfficialAutoencoderCheckpoint() throws {
        let checkpoint = try TorchCheckpoint.read(path: Self.aeCheckpoint)
        let shapes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "/work/shared/fixtures/ghrp-ae-small/state_dict_shapes.json")))
        let names = checkpoint.tensors.map(\.name)
        if let dict = shapes as? [String: [Int]] {
            #expect(Set(names) == Set(dict.keys))
            for (name, tensor) in checkpoint.tensors { #expect(tensor.shape == dict[name], "\(name)") }
        }
        #expect(checkpoint.tensors.count > 10)
        #expect(checkpoint.tensors.allSatisfy { $0.tensor.dtype == .float32 })
    }
}
