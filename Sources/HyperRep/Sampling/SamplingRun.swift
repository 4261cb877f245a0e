// One sampling run (hz-sample's work): a population drawn from an autoencoder's latent space, or
// the noise control (zoo anchors plus isotropic noise at a given or matched novelty), with its
// diagnostics, written as a population file. The command parses, calls `SamplingRun.run`, prints.
import Foundation
import ZooStore

/// What one sampling run is asked to do (hz-sample's options as typed values).
public struct SamplingRequest: Sendable {
    /// How the population is made.
    public enum Method: Sendable, Equatable {
        /// Encode anchors with the autoencoder, fit a latent sampler, decode samples.
        case latent(SamplerOptions)
        /// The anchors plus noise at a novelty (no autoencoder).
        case noiseControl(NoiseTarget)
    }

    /// The novelty the noise control reaches.
    public enum NoiseTarget: Sendable, Equatable {
        /// This novelty.
        case novelty(Double)
        /// The novelty of the population in `path` (sampled from the same zoo); with
        /// `matchScale`, every parameter tensor is then rescaled to that population's RMS.
        case population(path: String, matchScale: Bool)
    }

    /// The autoencoder checkpoint (read by `.latent`; nil: none given, the noise control alone).
    public var autoencoder: String?
    public var zoo: String
    /// The population file (written atomically).
    public var output: String
    public var method: Method
    public var anchors: AnchorSpec
    public var count = 100
    public var seed: UInt64 = 0
    /// Latents decoded (and training latents encoded) per batch.
    public var batchSize = 256
    /// Replace an existing output.
    public var force = false
    /// The command line and tool recorded in the provenance.
    public var commandLine = ""
    public var generator = "hyperzoo"

    public init(autoencoder: String?, zoo: String, output: String, method: Method, anchors: AnchorSpec) {
        self.autoencoder = autoencoder; self.zoo = zoo; self.output = output; self.method = method; self.anchors = anchors
    }
}

/// The sample stage as a library call.
public enum SamplingRun {
    /// What a run wrote (hz-sample --json prints it).
    public struct Summary: Encodable, Sendable {
        public var output: String, population: String, count: Int, anchors: Int, seed: UInt64
        public var sampler: [String: String]
        /// Wall time per phase (load, encode_and_fit_and_sample, decode, map, noise_control, diagnostics, write).
        public var seconds: [String: Double]
        public var diagnostics: PopulationDiagnostics
    }

    /// Runs `request` and writes its population file.
    /// - Parameters:
    ///   - decoding: called with (models decoded, total) while decoding, then once with nil.
    ///   - note: a remark for the user (an input the run does not use).
    /// - Throws: ``SamplingError`` naming the input that is wrong (an existing output, an
    ///   autoencoder of another architecture, a damaged matched population), or the readers' errors.
    public static func run(_ request: SamplingRequest, decoding: ((Int, Int)?) -> Void = { _ in },
                           note: (String) -> Void = { _ in }) throws -> Summary {
        let r = request
        if !r.force && FileManager.default.fileExists(atPath: r.output) {
            throw SamplingError.invalidSetting("\(r.output) already exists; pass --force to replace it")
        }
        var seconds: [String: Double] = [:]
        var clock = Date()
        func lap(_ name: String) { seconds[name] = Date().timeIntervalSince(clock); clock = Date() }

        let reader = try ZooReader(path: r.zoo, formats: [.zoo])
        let population: SampledPopulation
        var mapLatents: LatentMatrix?
        switch r.method {
        case .noiseControl(let target):
            if let autoencoder = r.autoencoder { note("--sampler noise-control does not use the autoencoder \(autoencoder)") }
            lap("load")
            population = try noiseControlPopulation(r, target: target, zoo: reader)
            lap("noise_control")
        case .latent(let options):
            (population, mapLatents) = try decodedPopulation(r, options: options, zoo: reader, lap: lap, decoding: decoding)
        }
        let reference = try NoveltyReference(zoo: reader)
        let diagnostics = try PopulationDiagnostics(population: population.name, samples: population.rows,
                                                    reference: reference.rows.flatMap { $0 },
                                                    anchors: try reader.readRows(indices: population.anchorRows), width: reader.parameterCount)
        lap("diagnostics")
        let provenance: JSONValue = [
            "command": .string(r.commandLine), "tool": .string(r.generator),
            "autoencoder": .string(r.autoencoder ?? r.zoo), "zoo": .string(r.zoo),
        ]  // no clock time: the same request gives the same bytes (the pipeline's cache hashes them)
        try PopulationSampling.write(population, to: r.output, zoo: reader, anchors: r.anchors, provenance: provenance,
                                     trainingLatents: mapLatents, diagnostics: diagnostics, overwrite: r.force)
        lap("write")
        return Summary(output: r.output, population: population.name, count: population.count, anchors: population.anchorRows.count,
                       seed: r.seed, sampler: population.samplerSettings, seconds: seconds, diagnostics: diagnostics)
    }

    /// Encodes anchors, samples latents and decodes them; also the training latents for the 2-D map.
    static func decodedPopulation(_ r: SamplingRequest, options: SamplerOptions, zoo reader: ZooReader, lap: (String) -> Void,
                                  decoding: ((Int, Int)?) -> Void) throws -> (SampledPopulation, LatentMatrix) {
        guard let path = r.autoencoder else { throw SamplingError.invalidSetting("\(options.kind.rawValue): no autoencoder to encode and decode with") }
        let (model, _) = try AutoencoderCheckpoint.load(path: path)
        guard reader.table == model.config.table else {
            throw SamplingError.invalidSetting("\(path) was trained for a different architecture than \(r.zoo) (\(model.parameterCount) vs \(reader.parameterCount) parameters, or other tensor names/shapes)")
        }
        lap("load")
        let batch = r.batchSize
        let population = try PopulationSampling.sample(
            zoo: reader, anchors: r.anchors, options: options, count: r.count, seed: r.seed, latentSize: model.latentSize,
            encode: { rows, n in model.encode(rows: rows, count: n, batchSize: batch) },
            decode: { latents, n in
                lap("encode_and_fit_and_sample")
                var out = [Float]()
                out.reserveCapacity(n * model.parameterCount)
                var start = 0
                while start < n {
                    let m = min(batch, n - start)
                    out += model.decode(latents: Array(latents[(start * model.latentSize)..<((start + m) * model.latentSize)]), count: m, batchSize: batch)
                    start += m
                    decoding((start, n))
                }
                decoding(nil)
                lap("decode")
                return out
            })
        // Training latents for the report's 2-D map: at most 1000 eligible training checkpoints.
        let spec = r.anchors
        let eligible = AnchorSpec(fraction: 1, metric: spec.metric, epochs: spec.epochs, split: spec.split).eligibleRows(in: reader)
        let step = max(1, eligible.count / 1000)
        let mapRows = Array(stride(from: 0, to: eligible.count, by: step)).map { eligible[$0] }
        let mapLatents = LatentMatrix(count: mapRows.count, dimension: model.latentSize,
                                      values: model.encode(rows: try reader.readRows(indices: mapRows), count: mapRows.count, batchSize: batch))
        lap("map")
        return (population, mapLatents)
    }

    /// The noise control at the target novelty, or at the novelty of the matched population.
    static func noiseControlPopulation(_ r: SamplingRequest, target: SamplingRequest.NoiseTarget,
                                       zoo reader: ZooReader) throws -> SampledPopulation {
        var novelty = 0.0
        var matchedName: String?
        var matchedFile: String?
        var scaleRows: [Float]?
        switch target {
        case .novelty(let x):
            novelty = x
        case .population(let path, let matchScale):
            let matched = try ZooReader(path: path, formats: [.population])
            guard matched.table == reader.table else {
                throw SamplingError.invalidSetting("\(path): its architecture differs from \(r.zoo)'s; --match-novelty needs a population sampled from this zoo")
            }
            let rows = try matched.readRows(0..<matched.checkpointCount)
            if let (k, parameter) = WeightSpaceDistance.firstNonFinite(rows, width: matched.parameterCount) {
                throw SamplingError.invalidSetting("\(path): model \(matched.models[matched.modelIndex[k]].id) has a NaN or infinite weight at parameter \(parameter); the population is damaged, sample it again")
            }
            novelty = try NoiseControlSampler.novelty(of: rows, reference: try NoveltyReference(zoo: reader), width: reader.parameterCount)
            if matchScale { scaleRows = rows }
            matchedFile = path
            matchedName = matched.metadata("sampler")?["population"]?.stringValue
                ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
        return try PopulationSampling.noiseControl(zoo: reader, anchors: r.anchors, count: r.count, seed: r.seed, target: novelty,
                                                   matchedPopulation: matchedName, matchedFile: matchedFile, scaleOf: scaleRows)
    }
}
