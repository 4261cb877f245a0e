// hz-sample end to end through the real executable: a tiny zoo and an (untrained) autoencoder
// written with the library, then sampling, reproducibility, and the refusals.
import Foundation
import Testing
import TestSupport
import Tensor
import ZooStore
import HyperRep
@testable import HyperZooCLI

/// Runs a built hz-* executable (through TestSupport.ToolRunner; the name is kept for the tests using it).
func runStage(_ name: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    try ToolRunner.run(name, arguments)
}

/// Whether a hz-* executable is built (TestSupport.ToolRunner).
func stageBuilt(_ name: String) -> Bool { ToolRunner.isBuilt(name) }

/// A tiny zoo (two linear layers, 26 parameters) and a small untrained autoencoder for it.
func writeTinyZooAndAutoencoder(in dir: TemporaryDirectory) throws -> (zoo: String, ae: String) {
    let table = try ParameterTable(stateDict: [("module_list.0.weight", [4, 3]), ("module_list.0.bias", [4]),
                                               ("module_list.2.weight", [2, 4]), ("module_list.2.bias", [2])])
    let zoo = dir.path("zoo.h5"), ae = dir.path("ae.h5")
    let writer = try ZooWriter.create(path: zoo, architecture: "tiny", table: table)
    var stream = RandomStream(seed: 3, purpose: "test.zoo")
    for m in 0..<10 {
        try writer.addModel(ModelRecord(id: "m\(m)", seed: m, dataset: "synthetic", split: m < 8 ? .train : .test))
        for e in [1, 2] {
            try writer.appendCheckpoint(model: "m\(m)", epoch: e, row: (0..<26).map { _ in stream.nextNormal() },
                                        metrics: CheckpointMetrics(testAccuracy: Float(m) / 10 + Float(e) / 100))
        }
    }
    try writer.finish()
    let config = AutoencoderConfig(table: table, modelWidth: 8, heads: 2, blocks: 1, feedForwardWidth: 16, latentSize: 4)
    try AutoencoderCheckpoint.save(try Autoencoder(config: config, seed: 1), source: "test", to: ae)
    return (zoo, ae)
}

@Suite struct SampleCommandTests {
    @Test(.enabled(if: stageBuilt("hz-sample"), "needs the hz-sample product built (swift build)"))
    func samplesReproduciblyAndRefusesBadRequests() throws {
        let dir = TemporaryDirectory()
        let (zoo, ae) = try writeTinyZooAndAutoencoder(in: dir)
        let out = dir.path("pop.h5")
        let first = try runStage("hz-sample", [ae, zoo, "--sampler", "kde", "--count", "12", "--seed", "3", "-o", out, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        #expect(summary?["population"] as? String == "S_KDE30")
        #expect(summary?["count"] as? Int == 12)
        let population = try ZooReader(path: out)
        #expect(population.format == .population && population.checkpointCount == 12)
        #expect(population.metadata("provenance")?["command"]?.stringValue?.contains("--sampler kde") == true)
        let rows = try population.readRows(0..<12)
        #expect(rows.allSatisfy { $0.isFinite })

        let again = try runStage("hz-sample", [ae, zoo, "--sampler", "kde", "--count", "12", "--seed", "3", "-o", out, "--force"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try ZooReader(path: out).readRows(0..<12) == rows)

        let exists = try runStage("hz-sample", [ae, zoo, "-o", out])
        #expect(exists.status != 0 && exists.stderr.contains("already exists; pass --force"))
        let badFlag = try runStage("hz-sample", [ae, zoo, "--sampler", "gaussian", "--paper-seeding", "-o", dir.path("x.h5")])
        #expect(badFlag.status != 0 && badFlag.stderr.contains("--paper-seeding applies to --sampler kde only"))
        let noAnchors = try runStage("hz-sample", [ae, zoo, "--anchor-epochs", "7", "-o", dir.path("y.h5")])
        #expect(noAnchors.status == 1 && noAnchors.stderr.contains("no anchors"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("y.h5")) && !FileManager.default.fileExists(atPath: dir.path("y.h5.partial")))
        let notAE = try runStage("hz-sample", [zoo, zoo, "-o", dir.path("z.h5")])
        #expect(notAE.status == 1 && notAE.stderr.contains("zoo.h5"), "\(notAE.stderr)")
    }
}
