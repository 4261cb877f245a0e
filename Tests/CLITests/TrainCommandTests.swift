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
}
