import Testing
import Foundation
@testable import HyperRep
import Tensor
import TestSupport
import ZooStore

/// hz-sample's work called as a library: the latent and the noise-control runs, without a subprocess.
@Suite struct SamplingRunTests {
    @Test func latentRunWritesTheSamePopulationForTheSameSeedAndRefusesAnExistingOutput() throws {
        let dir = TemporaryDirectory()
        let zoo = dir.path("zoo.h5"), ae = dir.path("ae.h5")
        let table = try writeTinyZoo(zoo)
        let config = AutoencoderConfig(table: table, modelWidth: 8, heads: 2, blocks: 1, feedForwardWidth: 16, latentSize: 4)
        try AutoencoderCheckpoint.save(try Autoencoder(config: config, seed: 1), source: "test", to: ae)
        func request(_ output: String) -> SamplingRequest {
            var r = SamplingRequest(autoencoder: ae, zoo: zoo, output: output, method: .latent(SamplerOptions(kind: .kde)),
                                    anchors: AnchorSpec(fraction: 0.3))
            r.count = 5; r.seed = 9; r.batchSize = 2; r.commandLine = "test"
            return r
        }
        var decoded: [Int] = []
        var finished = 0
        let summary = try SamplingRun.run(request(dir.path("a.h5")), decoding: { step in
            if let (done, total) = step { #expect(total == 5); decoded.append(done) } else { finished += 1 }
        })
        #expect(decoded == [2, 4, 5] && finished == 1)
        #expect(summary.count == 5 && summary.population == "S_KDE30" && summary.seed == 9 && summary.output == dir.path("a.h5"))
        #expect(summary.diagnostics.samples == 5)
        #expect(Set(summary.seconds.keys) == ["load", "encode_and_fit_and_sample", "decode", "map", "diagnostics", "write"])
        Thread.sleep(forTimeInterval: 1.1)  // a clock time in the file would differ now
        _ = try SamplingRun.run(request(dir.path("b.h5")))
        #expect(FileManager.default.contents(atPath: dir.path("a.h5")) == FileManager.default.contents(atPath: dir.path("b.h5")),
                "the same request written a second later must give the same bytes")
        let a = try ZooReader(path: dir.path("a.h5")), b = try ZooReader(path: dir.path("b.h5"))
        #expect(try a.readRows(0..<5) == b.readRows(0..<5))
        #expect(a.metadata("provenance")?["autoencoder"]?.stringValue == ae)
        #expect(a.metadata("provenance")?["command"]?.stringValue == "test")
        #expect(throws: SamplingError.invalidSetting("\(dir.path("a.h5")) already exists; pass --force to replace it")) {
            try SamplingRun.run(request(dir.path("a.h5")))
        }
        var forced = request(dir.path("a.h5"))
        forced.force = true
        #expect(try SamplingRun.run(forced).count == 5)
    }

    @Test func noiseControlReachesAGivenOrAMatchedNoveltyAndSaysTheAutoencoderIsUnused() throws {
        let dir = TemporaryDirectory()
        let zoo = dir.path("zoo.h5")
        _ = try writeTinyZoo(zoo)
        var first = SamplingRequest(autoencoder: nil, zoo: zoo, output: dir.path("n.h5"), method: .noiseControl(.novelty(0.3)),
                                    anchors: AnchorSpec(fraction: 1))
        first.count = 6; first.seed = 4
        var notes: [String] = []
        let summary = try SamplingRun.run(first, note: { notes.append($0) })
        #expect(notes.isEmpty)
        #expect(summary.count == 6 && summary.sampler["sampler"] == "noise-control")
        #expect(Set(summary.seconds.keys) == ["load", "noise_control", "diagnostics", "write"])
        let written = try ZooReader(path: dir.path("n.h5"), formats: [.population])
        #expect(written.metadata("provenance")?["autoencoder"]?.stringValue == zoo)
        let reference = try NoveltyReference(zoo: try ZooReader(path: zoo))
        let reached = try NoiseControlSampler.novelty(of: try written.readRows(0..<6), reference: reference, width: written.parameterCount)
        #expect(abs(reached - 0.3) <= 0.001)

        var matched = SamplingRequest(autoencoder: "ae.h5", zoo: zoo, output: dir.path("m.h5"),
                                      method: .noiseControl(.population(path: dir.path("n.h5"), matchScale: false)),
                                      anchors: AnchorSpec(fraction: 1))
        matched.count = 6; matched.seed = 5
        _ = try SamplingRun.run(matched, note: { notes.append($0) })
        #expect(notes == ["--sampler noise-control does not use the autoencoder ae.h5"])
        let again = try ZooReader(path: dir.path("m.h5"), formats: [.population])
        let matchedNovelty = try NoiseControlSampler.novelty(of: try again.readRows(0..<6), reference: reference, width: again.parameterCount)
        #expect(abs(matchedNovelty - reached) <= 0.002)
    }

    @Test func anAutoencoderOfAnotherArchitectureIsRefusedByName() throws {
        let dir = TemporaryDirectory()
        let zoo = dir.path("zoo.h5"), ae = dir.path("ae.h5")
        _ = try writeTinyZoo(zoo)
        let other = try ParameterTable(stateDict: [("module_list.0.weight", [2, 3]), ("module_list.0.bias", [2])])
        let config = AutoencoderConfig(table: other, modelWidth: 8, heads: 2, blocks: 1, feedForwardWidth: 16, latentSize: 4)
        try AutoencoderCheckpoint.save(try Autoencoder(config: config, seed: 1), source: "test", to: ae)
        let r = SamplingRequest(autoencoder: ae, zoo: zoo, output: dir.path("p.h5"), method: .latent(SamplerOptions(kind: .gaussian)),
                                anchors: AnchorSpec(fraction: 1))
        #expect(throws: SamplingError.self) { try SamplingRun.run(r) }
        #expect(!FileManager.default.fileExists(atPath: dir.path("p.h5")))
    }
}
