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

/// The median relative distance of a population file's models to the zoo's novelty reference.
func measuredNovelty(population: String, zoo: String) throws -> Double {
    let z = try ZooReader(path: zoo), p = try ZooReader(path: population)
    return try NoiseControlSampler.novelty(of: try p.readRows(0..<p.checkpointCount), reference: try NoveltyReference(zoo: z), width: z.parameterCount)
}

@Suite struct NoiseControlCommandTests {
    @Test(.enabled(if: stageBuilt("hz-sample"), "needs the hz-sample product built (swift build)"))
    func noiseControlIsBitIdenticalPerSeedAndMatchesTheRequestedNovelty() throws {
        let dir = TemporaryDirectory()
        let (zoo, ae) = try writeTinyZooAndAutoencoder(in: dir)
        let first = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "--novelty", "0.4", "--count", "6", "--seed", "2",
                                               "-o", dir.path("nc.h5"), "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "--novelty", "0.4", "--count", "6", "--seed", "2",
                                               "-o", dir.path("nc2.h5")])
        #expect(again.status == 0, "\(again.stderr)")
        let a = try ZooReader(path: dir.path("nc.h5")), b = try ZooReader(path: dir.path("nc2.h5"))
        let rows = try a.readRows(0..<6)
        #expect(rows.withUnsafeBytes { Array($0) } == (try b.readRows(0..<6)).withUnsafeBytes { Array($0) })
        #expect(abs(try measuredNovelty(population: dir.path("nc.h5"), zoo: zoo) - 0.4) <= NoiseControlSampler.tolerance)
        let summary = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        #expect(summary?["population"] as? String == "C_noise(0.4)")
        let sampler = summary?["sampler"] as? [String: String]
        #expect(sampler?["sampler"] == "noise-control" && Double(sampler?["target_novelty"] ?? "") == 0.4)
        #expect((summary?["diagnostics"] as? [String: Any])?["spreadRatio"] is Double)
        #expect(a.metadata("diagnostics")?["collapsed"] != nil)

        // Matching a sampled population: the control's novelty is that population's.
        let kde = try runStage("hz-sample", [ae, zoo, "--count", "6", "--anchors", "top50", "-o", dir.path("kde.h5")])
        #expect(kde.status == 0, "\(kde.stderr)")
        let matched = try runStage("hz-sample", [ae, zoo, "--sampler", "noise-control", "--match-novelty", dir.path("kde.h5"), "--count", "6",
                                                 "-o", dir.path("match.h5")])
        #expect(matched.status == 0 && matched.stderr.contains("does not use the autoencoder"), "\(matched.stderr)")
        let target = try measuredNovelty(population: dir.path("kde.h5"), zoo: zoo)
        #expect(abs(try measuredNovelty(population: dir.path("match.h5"), zoo: zoo) - target) <= NoiseControlSampler.tolerance)
        let control = try ZooReader(path: dir.path("match.h5"))
        #expect(control.metadata("sampler")?["population"]?.stringValue == "C_noise(S_KDE50)")
        #expect(control.metadata("sampler")?["matched_population"]?.stringValue == "S_KDE50")

        // --match-scale: the same control rescaled per tensor to the matched population's RMS.
        let scaled = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "--match-novelty", dir.path("kde.h5"), "--match-scale",
                                                "--count", "6", "-o", dir.path("scale.h5")])
        #expect(scaled.status == 0, "\(scaled.stderr)")
        let scaleReader = try ZooReader(path: dir.path("scale.h5"))
        #expect(scaleReader.metadata("sampler")?["population"]?.stringValue == "C_scale(S_KDE50)")
        #expect(scaleReader.metadata("sampler")?["scale_matched"]?.stringValue == "true")
        let kdeReader = try ZooReader(path: dir.path("kde.h5"))
        let scaledRows = try scaleReader.readRows(0..<scaleReader.checkpointCount), kdeRows = try kdeReader.readRows(0..<kdeReader.checkpointCount)
        let width = kdeReader.parameterCount
        for entry in kdeReader.table.entries {
            func rms(_ v: [Float]) -> Double {
                var s = 0.0, n = 0
                for start in stride(from: 0, to: v.count, by: width) { for i in entry.range { s += Double(v[start + i] * v[start + i]); n += 1 } }
                return (s / Double(n)).squareRoot()
            }
            #expect(abs(rms(scaledRows) - rms(kdeRows)) <= 1e-4 * max(1, rms(kdeRows)), "\(entry.name)")
        }
        let scaledAgain = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "--match-novelty", dir.path("kde.h5"), "--match-scale",
                                               "--count", "6", "-o", dir.path("scale2.h5")])
        #expect(scaledAgain.status == 0)
        #expect(try ZooReader(path: dir.path("scale2.h5")).readRows(0..<6) == scaledRows, "the scale-matched control is deterministic")
        let scaleAlone = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "--novelty", "0.3", "--match-scale", "-o", dir.path("x.h5")])
        #expect(scaleAlone.status != 0 && scaleAlone.stderr.contains("--match-scale needs --match-novelty"), "\(scaleAlone.stderr)")

        let neither = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "-o", dir.path("x.h5")])
        #expect(neither.status != 0 && neither.stderr.contains("exactly one of --novelty X or --match-novelty"))
        let noZoo = try runStage("hz-sample", [zoo, "--sampler", "kde", "-o", dir.path("x.h5")])
        #expect(noZoo.status != 0 && noZoo.stderr.contains("missing the zoo"))
        let stray = try runStage("hz-sample", [ae, zoo, "--novelty", "0.2", "-o", dir.path("x.h5")])
        #expect(stray.status != 0 && stray.stderr.contains("apply to --sampler noise-control only"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("x.h5")))
    }

    @Test(.enabled(if: stageBuilt("hz-sample"), "needs the hz-sample product built (swift build)"))
    func aCollapsedPopulationOfCopiesWarnsWithWhatToTry() throws {
        let dir = TemporaryDirectory()
        let (zoo, _) = try writeTinyZooAndAutoencoder(in: dir)
        // One anchor, no noise: five identical copies of one training model.
        let run = try runStage("hz-sample", [zoo, "--sampler", "noise-control", "--novelty", "0", "--anchors", "top1", "--count", "5",
                                             "-o", dir.path("collapsed.h5"), "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("hz-sample: warning: C_noise(0) collapsed") && run.stderr.contains("Try:"))
        #expect(run.stderr.contains("5 of 5 samples are near copies"))
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let diagnostics = summary?["diagnostics"] as? [String: Any]
        #expect(diagnostics?["collapsed"] as? Bool == true && diagnostics?["nearCopies"] as? Int == 5)
        #expect((diagnostics?["warnings"] as? [String])?.count == 2)
    }
}
