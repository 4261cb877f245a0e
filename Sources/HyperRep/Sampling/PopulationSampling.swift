// The whole of hz-sample as a library call: select anchors in a zoo, encode them, fit a sampler,
// draw latents, decode them to weights, and write a population file (zoo layout, format
// hyperzoo.population) with the sampler, anchors, seed and provenance as metadata.
//
// Sizes: A = anchors, K = samples, L = latent size, P = parameters per model.
// The encoder and decoder are passed as functions so any autoencoder (or a test double) fits.

import Foundation
import Tensor
import ZooStore

/// Latents of rows: `(rows [count * P], count) -> [count * L]`.
public typealias EncodeFunction = ([Float], Int) throws -> [Float]
/// Rows of latents: `(latents [count * L], count) -> [count * P]`.
public typealias DecodeFunction = ([Float], Int) throws -> [Float]

/// A sampled population in memory, before or after writing.
public struct SampledPopulation: Sendable {
    /// Paper-style name, e.g. "S_KDE30".
    public var name: String
    /// Sampled weights `[K * P]`.
    public var rows: [Float]
    /// The latents they were decoded from `[K, L]`.
    public var latents: LatentMatrix
    /// Zoo checkpoint rows used as anchors, and their latents `[A, L]`.
    public var anchorRows: [Int]
    public var anchorLatents: LatentMatrix
    /// The fitted sampler's settings.
    public var samplerSettings: [String: String]
    public var seed: UInt64
    public var count: Int { latents.count }
}

/// hz-sample's pipeline.
public enum PopulationSampling {
    /// Selects anchors, encodes them, fits the sampler and draws `count` decoded samples.
    ///
    /// - Throws: ``SamplingError`` (no anchors, bad options), store errors reading the zoo, or
    ///   errors of `encode`/`decode`; also when a decoded row is not finite.
    public static func sample(zoo: ZooReader, anchors spec: AnchorSpec, options: SamplerOptions, count: Int, seed: UInt64,
                              latentSize: Int, encode: EncodeFunction, decode: DecodeFunction,
                              progress: ((String) -> Void)? = nil) throws -> SampledPopulation {
        guard count > 0 else { throw SamplingError.invalidSetting("--count must be positive, got \(count)") }
        let anchorRows = try spec.select(in: zoo)
        progress?("encoding \(anchorRows.count) anchors")
        let anchorWeights = try zoo.readRows(indices: anchorRows)
        if let (k, parameter) = WeightSpaceDistance.firstNonFinite(anchorWeights, width: zoo.parameterCount) {
            throw SamplingError.invalidSetting("\(zoo.path): anchor \(describe(row: anchorRows[k], in: zoo)) has a NaN or infinite weight at parameter \(parameter) (a diverged model); choose other anchors with --anchor-epochs or --anchor-metric")
        }
        let z = try encode(anchorWeights, anchorRows.count)
        guard z.count == anchorRows.count * latentSize else {
            throw SamplingError.invalidSetting("encoder returned \(z.count) values for \(anchorRows.count) anchors of latent size \(latentSize)")
        }
        let anchorLatents = LatentMatrix(count: anchorRows.count, dimension: latentSize, values: z)
        let sampler = try options.makeSampler(anchors: anchorLatents)
        progress?("sampling \(count) latents (\(options.kind.rawValue))")
        let latents = sampler.sample(count: count, seed: seed)
        progress?("decoding \(count) models")
        let rows = try decode(latents.values, count)
        let p = zoo.parameterCount
        guard rows.count == count * p else {
            throw SamplingError.invalidSetting("decoder returned \(rows.count) values for \(count) models of \(p) parameters")
        }
        if let bad = rows.firstIndex(where: { !$0.isFinite }) {
            throw SamplingError.invalidSetting("decoded sample \(bad / p) has a non-finite weight at parameter \(bad % p) (is the autoencoder trained for this zoo?)")
        }
        return SampledPopulation(name: options.populationName(anchorFraction: spec.fraction), rows: rows, latents: latents,
                                 anchorRows: anchorRows, anchorLatents: anchorLatents,
                                 samplerSettings: sampler.settings, seed: seed)
    }

    /// "model m3 epoch 5" for checkpoint `row` of `zoo`, for messages.
    public static func describe(row: Int, in zoo: ZooReader) -> String {
        "model \(zoo.models[zoo.modelIndex[row]].id) epoch \(zoo.epoch[row])"
    }

    /// Writes `population` as a zoo-layout file with format hyperzoo.population: one model per
    /// sample (`sample-000000`…, split test, epoch 0, metrics unknown) and root metadata
    /// `sampler`, `anchors`, `seed`, `provenance`, `latent_projection` and (when given)
    /// `diagnostics` (``PopulationDiagnostics``).
    ///
    /// - Parameters:
    ///   - provenance: command line, input paths, versions (a JSON object).
    ///   - trainingLatents: latents of (some) training models, for the 2-D map; may be empty.
    public static func write(_ population: SampledPopulation, to path: String, zoo: ZooReader, anchors spec: AnchorSpec,
                             provenance: JSONValue, trainingLatents: LatentMatrix?, diagnostics: PopulationDiagnostics? = nil,
                             overwrite: Bool) throws {
        let dataset = zoo.models.first?.dataset
        let writer = try ZooWriter.create(path: path, architecture: zoo.architecture, table: zoo.table, config: zoo.config,
                                          format: .population, overwrite: overwrite)
        do {
            let p = zoo.parameterCount
            try population.rows.withUnsafeBufferPointer { all in
                for k in 0..<population.count {
                    let id = String(format: "sample-%06d", k)
                    try writer.addModel(ModelRecord(id: id, seed: nil, dataset: dataset, split: .test,
                                                    hyperparameters: [:], provenance: ["population": .string(population.name), "index": .number(Double(k))]))
                    try writer.appendCheckpoint(model: id, epoch: 0, row: UnsafeBufferPointer(rebasing: all[(k * p)..<((k + 1) * p)]))
                }
            }
            var sampler: [String: JSONValue] = population.samplerSettings.mapValues { .string($0) }
            sampler["population"] = .string(population.name)
            try writer.setMetadata("sampler", .object(sampler))
            var anchors = spec.json.objectValue ?? [:]
            anchors["count"] = .number(Double(population.anchorRows.count))
            anchors["rows"] = .array(population.anchorRows.map { .number(Double($0)) })
            anchors["zoo"] = .string(zoo.path)
            try writer.setMetadata("anchors", .object(anchors))
            try writer.setMetadata("seed", .number(Double(population.seed)))
            try writer.setMetadata("provenance", provenance)
            if let diagnostics { try writer.setMetadata("diagnostics", try JSONValue(encoding: diagnostics)) }
            let projection = latentProjection(population, training: trainingLatents)
            try writer.setMetadata("latent_projection", try JSONValue(encoding: projection))
            try writer.finish()
        } catch {
            // A population is written in one go and never resumed: a failed write (a full disk,
            // say) leaves nothing behind, not a .partial that a rerun would refuse.
            writer.close()
            unlink(writer.partialPath)
            throw error
        }
    }

    /// A 2-D PCA map of the latent space (fitted on training latents when given, else on the
    /// anchors) with at most `limit` points per group.
    public static func latentProjection(_ population: SampledPopulation, training: LatentMatrix?, limit: Int = 1000) -> LatentProjection {
        let basis = (training?.count ?? 0) >= 3 ? training! : population.anchorLatents
        let dims = min(2, basis.dimension)
        guard basis.count >= 2, dims == 2, let map = try? NeighbourhoodSampler(anchors: basis, mapDimension: 2) else {
            return LatentProjection(method: "none (too few latents)", explainedVariance: [], training: [], anchors: [], samples: [:])
        }
        func points(_ m: LatentMatrix?) -> [[Double]] {
            guard let m, m.count > 0 else { return [] }
            let step = max(1, m.count / limit)
            return map.map(m.selecting(rows: Array(stride(from: 0, to: m.count, by: step))))
        }
        let total = basis.covariance().enumerated().filter { $0.offset % (basis.dimension + 1) == 0 }.reduce(0) { $0 + $1.element }
        return LatentProjection(method: (training?.count ?? 0) >= 3 ? "pca of training latents" : "pca of anchor latents",
                                explainedVariance: map.componentVariances.map { total > 0 ? $0 / total : 0 },
                                training: points(training), anchors: points(population.anchorLatents),
                                samples: [population.name: points(population.latents)])
    }
}
