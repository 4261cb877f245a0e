import Testing
import Foundation
@testable import HyperRep
import Tensor
import TestSupport
import ZooStore

/// A tiny zoo on disk: `models` models × `epochs` epochs of a 2-layer linear net (P = 3·4+4 + 2·4+2 = 26),
/// rows = a model-specific direction scaled by the epoch, test accuracy rising with the model index.
func writeTinyZoo(_ path: String, models: Int = 10, epochs: [Int] = [1, 2]) throws -> ParameterTable {
    let table = try ParameterTable(stateDict: [("module_list.0.weight", [4, 3]), ("module_list.0.bias", [4]),
                                               ("module_list.2.weight", [2, 4]), ("module_list.2.bias", [2])])
    let writer = try ZooWriter.create(path: path, architecture: "tiny", table: table, config: ["dataset": "synthetic"])
    var stream = RandomStream(seed: 3, purpose: "test.zoo")
    for m in 0..<models {
        let id = "m\(m)"
        try writer.addModel(ModelRecord(id: id, seed: m, dataset: "synthetic", split: m < models - 2 ? .train : .test))
        let base = (0..<26).map { _ in stream.nextNormal() }
        for e in epochs {
            let row = base.map { $0 * Float(e) }
            try writer.appendCheckpoint(model: id, epoch: e, row: row,
                                        metrics: CheckpointMetrics(testAccuracy: Float(m) / Float(models) + Float(e) * 0.01))
        }
    }
    try writer.finish()
    return table
}

@Suite struct PopulationSamplingTests {
    @Test func samplesAreDecodedWrittenAndReadBackWithProvenance() throws {
        let dir = TemporaryDirectory()
        let zooPath = dir.path("zoo.h5"), popPath = dir.path("pop.h5")
        _ = try writeTinyZoo(zooPath)
        let zoo = try ZooReader(path: zooPath)
        // A linear "autoencoder": the first L coordinates are the latent, the rest are dropped
        // and restored as zeros, so decode(encode(x)) is x truncated.
        let p = zoo.parameterCount, l = 5
        let encode: EncodeFunction = { rows, n in (0..<n).flatMap { Array(rows[($0 * p)..<($0 * p + l)]) } }
        let decode: DecodeFunction = { z, n in (0..<n).flatMap { Array(z[($0 * l)..<($0 * l + l)]) + [Float](repeating: 0, count: p - l) } }
        let spec = AnchorSpec(fraction: 0.3, epochs: [2])
        let pop = try PopulationSampling.sample(zoo: zoo, anchors: spec, options: SamplerOptions(kind: .kde), count: 7, seed: 11,
                                                latentSize: l, encode: encode, decode: decode)
        // 8 training models at epoch 2; the top 30% by test accuracy are models 6 and 7 and part of 5.
        let anchorModels = pop.anchorRows.map { zoo.models[zoo.modelIndex[$0]].id }
        #expect(Set(anchorModels).isSubset(of: ["m5", "m6", "m7"]) && anchorModels.contains("m7"))
        #expect(pop.anchorRows.allSatisfy { zoo.epoch[$0] == 2 })
        #expect(pop.name == "S_KDE30")
        try PopulationSampling.write(pop, to: popPath, zoo: zoo, anchors: spec, provenance: ["command": "test"],
                                     trainingLatents: pop.anchorLatents, overwrite: false)
        let back = try ZooReader(path: popPath)
        #expect(back.format == .population)
        #expect(back.checkpointCount == 7 && back.models.count == 7)
        #expect(try back.readRows(0..<7) == pop.rows)
        #expect(back.metadata("seed")?.intValue == 11)
        #expect(back.metadata("sampler")?["sampler"]?.stringValue == "kde")
        #expect(back.metadata("anchors")?["rows"]?.arrayValue?.count == pop.anchorRows.count)
        #expect(back.metadata("provenance")?["command"]?.stringValue == "test")
        let projection = try back.metadata("latent_projection")!.decode(as: LatentProjection.self)
        #expect(projection.samples["S_KDE30"]?.count == 7)
        // Same seed → same population; refusing to overwrite without permission.
        let again = try PopulationSampling.sample(zoo: zoo, anchors: spec, options: SamplerOptions(kind: .kde), count: 7, seed: 11,
                                                  latentSize: l, encode: encode, decode: decode)
        #expect(again.rows == pop.rows)
        #expect(throws: ZooStoreError.self) {
            try PopulationSampling.write(pop, to: popPath, zoo: zoo, anchors: spec, provenance: [:], trainingLatents: nil, overwrite: false)
        }
    }

    @Test func anchorRulesParseAndEmptySelectionsExplainThemselves() throws {
        #expect(AnchorSpec(rule: "top30")?.fraction == 0.3)
        #expect(AnchorSpec(rule: "all")?.fraction == 1)
        #expect(AnchorSpec(rule: "best") == nil && AnchorSpec(rule: "top0") == nil)
        let dir = TemporaryDirectory()
        _ = try writeTinyZoo(dir.path("zoo.h5"))
        let zoo = try ZooReader(path: dir.path("zoo.h5"))
        #expect(try AnchorSpec(fraction: 1, epochs: [1]).select(in: zoo).count == 8)
        do {
            _ = try AnchorSpec(epochs: [99]).select(in: zoo)
            Issue.record("expected an error")
        } catch let e as SamplingError {
            #expect(e.description.contains("zoo.h5: no anchors: no train checkpoints at epochs 99"))
        }
    }
}
