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

@Suite struct NoiseControlAndDiagnosticsTests {
    @Test func noiseControlIsDeterministicAndReachesTheRequestedNovelty() throws {
        let dir = TemporaryDirectory()
        _ = try writeTinyZoo(dir.path("zoo.h5"), models: 12)
        let zoo = try ZooReader(path: dir.path("zoo.h5"))
        let spec = AnchorSpec(fraction: 0.5, epochs: [2])
        let reference = try NoveltyReference(zoo: zoo)
        for target in [0.05, 0.3, 0.8] {
            let a = try PopulationSampling.noiseControl(zoo: zoo, anchors: spec, count: 9, seed: 4, target: target)
            let b = try PopulationSampling.noiseControl(zoo: zoo, anchors: spec, count: 9, seed: 4, target: target)
            #expect(a.rows == b.rows && a.name == "C_noise(\(String(format: "%.3g", target)))")
            // Measured independently, as hz-eval does: the median relative distance of the rows as written.
            let summary = try NoveltySummary(samples: a.rows, training: reference.rows.flatMap { $0 }, width: zoo.parameterCount)
            let achieved = quantile(sorted: summary.relativeDistances.sorted(), 0.5)
            #expect(abs(achieved - target) <= NoiseControlSampler.tolerance, "target \(target), achieved \(achieved)")
            #expect(Double(a.samplerSettings["achieved_novelty"]!) == achieved)
            #expect(a.samplerSettings["sampler"] == "noise-control" && Double(a.samplerSettings["noise_scale"]!)! > 0)
        }
        let other = try PopulationSampling.noiseControl(zoo: zoo, anchors: spec, count: 9, seed: 5, target: 0.3)
        #expect(other.rows != (try PopulationSampling.noiseControl(zoo: zoo, anchors: spec, count: 9, seed: 4, target: 0.3)).rows)
        // Every anchor is used: 9 samples over the anchors, each ⌊9/A⌋ or ⌈9/A⌉ times.
        let sampler = try NoiseControlSampler(anchors: try spec.select(in: zoo).map { try zoo.readRow($0) }, reference: reference, count: 9, seed: 4)
        let uses = Dictionary(grouping: sampler.anchorOfSample, by: { $0 }).mapValues(\.count)
        #expect(uses.count == sampler.anchors.count && uses.values.max()! - uses.values.min()! <= 1)
        #expect(throws: SamplingError.self) { try sampler.solve(novelty: .nan) }
    }

    @Test func identicalSamplesAreReportedCollapsedAndCopied() throws {
        let dir = TemporaryDirectory()
        _ = try writeTinyZoo(dir.path("zoo.h5"))
        let zoo = try ZooReader(path: dir.path("zoo.h5"))
        let reference = try NoveltyReference(zoo: zoo)
        let one = reference.rows[3]
        let collapsed = try PopulationDiagnostics(population: "S_X", samples: Array([[Float]](repeating: one, count: 5).joined()),
                                                  reference: reference.rows.flatMap { $0 }, width: zoo.parameterCount)
        #expect(collapsed.collapsed && collapsed.spreadRatio == 0 && collapsed.nearCopies == 5)
        #expect(collapsed.warnings.count == 2 && collapsed.warnings[0].contains("collapsed") && collapsed.warnings[0].contains("Try:"))
        #expect(collapsed.warnings[1].contains("near copies") && collapsed.warnings[1].contains("noise-control"))
        // Spread-out samples far from the zoo: no warning.
        var stream = RandomStream(seed: 1, purpose: "test.far")
        let far = (0..<(5 * zoo.parameterCount)).map { _ in stream.nextNormal() * 50 }
        let fine = try PopulationDiagnostics(population: "S_Y", samples: far, reference: reference.rows.flatMap { $0 }, width: zoo.parameterCount)
        #expect(!fine.collapsed && fine.nearCopies == 0 && fine.warnings.isEmpty)
    }

    @Test func nonFiniteWeightsAreAnErrorNotATrap() throws {
        let training: [Float] = [0, 0, 1, 1, 2, 0]
        #expect(throws: NoveltyError.nonFinite(what: "samples", row: 1, parameter: 0)) {
            try NoveltySummary(samples: [0, 1, .nan, 0], training: training, width: 2)
        }
        #expect(throws: NoveltyError.nonFinite(what: "training models", row: 2, parameter: 1)) {
            try NoveltySummary(samples: [0, 1], training: [0, 0, 1, 1, 2, .infinity], width: 2)
        }
        // Distances that overflow to infinity still name a neighbour (the old code indexed -1).
        let huge = WeightSpaceDistance.nearest(queries: [3e38, -3e38], references: [-3e38, 3e38, 0, 0], width: 2)
        #expect(huge[0].index >= 0)
    }
}
