// One `hz-train probe` as a library call: encode a zoo's checkpoints with an AE, build the feature
// sets (latents, raw weights, per-layer weight statistics), choose the properties that vary on the
// training models, and fit and score the ridge and MLP probes (PropertyProbe) into a ProbeReport.
import Foundation
import ZooStore

/// What to probe (hz-train probe's options as typed values).
public struct ProbeRequest: Sendable {
    /// A feature set a probe can read.
    public enum Feature: String, CaseIterable, Sendable {
        case latent, weights
        case weightStatistics = "weight_statistics"
    }

    /// The AE file (hyperzoo.ae) and the zoo whose checkpoints are probed.
    public var ae: String, zoo: String
    /// Only these checkpoint epochs (nil: every stored one), with the list as written for messages.
    public var epochs: Set<Int>?
    public var epochsText: String?
    /// Properties to predict (nil: every one that varies on the training models).
    public var properties: [String]?
    public var features: [Feature] = Feature.allCases
    public var mlp = MLPProbeOptions()
    public var seed: UInt64 = 1

    public init(ae: String, zoo: String) { self.ae = ae; self.zoo = zoo }
}

/// The probe subcommand's work.
public enum ProbeRun {
    /// Runs the probes `r` asks for.
    /// - Parameter step: each probe as it starts (e.g. "latent → test_accuracy (ridge)").
    /// - Throws: ``AutoencoderError`` for an AE of another parameter table, ``ProbeError`` naming
    ///   the zoo for an empty split or an unusable property, or the readers' errors.
    public static func run(_ r: ProbeRequest, step: (String) -> Void = { _ in }) throws -> ProbeReport {
        let (model, _) = try AutoencoderCheckpoint.load(path: r.ae)
        let reader = try ZooReader(path: r.zoo, formats: [.zoo])
        defer { reader.close() }
        guard reader.table == model.config.table else {
            throw AutoencoderError("\(r.zoo): its parameter table differs from the one \(r.ae) was trained on")
        }
        let at = r.epochsText.map { " at epochs \($0)" } ?? ""
        let rows = reader.select(epochs: r.epochs)
        guard !rows.isEmpty else { throw ProbeError("\(r.zoo): no checkpoints\(at) to probe") }
        let splits = rows.map { reader.model(row: $0).split }
        for split in [Split.train, .val, .test] where !splits.contains(split) {
            throw ProbeError("\(r.zoo): no \(split.rawValue)-split checkpoints\(at): the probes fit on train, pick the ridge penalty and the MLP's epoch on val, and report on test")
        }
        let (chosen, skipped): ([ProbeProperty], [ProbePropertySummary])
        do { (chosen, skipped) = try PropertyProbe.choose(ProbeProperty.all(of: reader, rows: rows), splits: splits, requested: r.properties) } catch {
            throw ProbeError("\(r.zoo): \(error)")
        }

        let n = rows.count, p = reader.parameterCount
        let weights = try reader.readRows(indices: rows)
        let sets: [ProbeFeatureSet] = r.features.map { feature in
            switch feature {
            case .latent:
                ProbeFeatureSet(name: feature.rawValue, matrix: ProbeMatrix(rows: n, columns: model.latentSize, floats: model.encode(rows: weights, count: n)))
            case .weights:
                ProbeFeatureSet(name: feature.rawValue, matrix: ProbeMatrix(rows: n, columns: p, floats: weights))
            case .weightStatistics:
                ProbeFeatureSet(name: feature.rawValue, matrix: WeightStatistics(table: reader.table).features(rows: weights, count: n))
            }
        }
        let results = try PropertyProbe.run(features: sets, properties: chosen, splits: splits, mlp: r.mlp, seed: r.seed, progress: step)
        return ProbeReport(
            ae: r.ae, zoo: r.zoo, seed: r.seed, epochs: Array(Set(rows.map { reader.epoch[$0] })).sorted(),
            checkpoints: .init(train: splits.filter { $0 == .train }.count, val: splits.filter { $0 == .val }.count,
                               test: splits.filter { $0 == .test }.count),
            mlp: r.mlp, features: sets.map { .init(name: $0.name, dimension: $0.matrix.columns) },
            properties: try chosen.map { try PropertyProbe.summary($0, splits: splits) }, skipped: skipped, results: results)
    }
}
