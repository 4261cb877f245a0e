// Property prediction from hyper-representations (GHRP's DownstreamTaskLearner): for every
// property of a zoo's checkpoints and every feature set (the AE's latents, the raw weights, the
// per-layer weight statistics), fit on the training models' checkpoints, pick the ridge penalty
// and the MLP's epoch on val, and report the scores on the test models beside the constant
// predictor. The report's JSON shape is documented in schemas/probe-report.md.
import Foundation
import Tensor
import ZooStore

/// A property probe's input error (a split without checkpoints, a property that does not vary).
public struct ProbeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Features of every selected checkpoint, named as in the report ("latent", "weights", "weight_statistics").
public struct ProbeFeatureSet: Sendable {
    public let name: String
    public let matrix: ProbeMatrix
    public init(name: String, matrix: ProbeMatrix) { self.name = name; self.matrix = matrix }
}

/// One predictor on one feature set for one property (a row of the report's `results`).
public struct ProbeResult: Codable, Sendable, Equatable {
    public var property: String
    /// "latent", "weights", "weight_statistics", or "none" for the constant predictor.
    public var features: String
    /// "ridge", "mlp" or "constant".
    public var predictor: String
    /// "r2" or "accuracy".
    public var metric: String
    public var train: Double?
    public var val: Double?
    public var test: Double?
    public var regularization: Double?
    public var epoch: Int?
}

/// A property the probe predicted, or one it left out and why.
public struct ProbePropertySummary: Codable, Sendable, Equatable {
    public struct Rows: Codable, Sendable, Equatable { public var train, val, test: Int }
    public var name: String
    public var source: ProbeProperty.Source
    /// "regression" or "classification" (nil for a skipped property).
    public var task: String?
    public var classes: [String]?
    /// Checkpoints with a recorded value, per split.
    public var rows: Rows?
    /// Why it was skipped (skipped properties only).
    public var reason: String?
}

public enum PropertyProbe {
    /// The properties to predict among `all` on checkpoints split as `splits` (one per selected
    /// checkpoint). With `requested` nil: every property that varies on the training models, the
    /// rest returned as skipped with the reason. With names: exactly those, and a name that is
    /// unknown or does not vary is an error.
    /// - Throws: `ProbeError` naming the property and what to do.
    public static func choose(_ all: [ProbeProperty], splits: [Split], requested: [String]?)
        throws -> (chosen: [ProbeProperty], skipped: [ProbePropertySummary]) {
        let trainRows = splits.indices.filter { splits[$0] == .train }
        func problem(_ p: ProbeProperty) -> String? {
            let rows = trainRows.filter { p.values[$0].isFinite }
            if rows.isEmpty { return "not recorded for any training-split checkpoint" }
            if p.distinctValues(among: rows) < 2 {
                return "takes one value (\(p.display(p.values[rows[0]]))) on the training-split checkpoints: nothing to predict"
            }
            return nil
        }
        guard let requested else {
            var chosen: [ProbeProperty] = [], skipped: [ProbePropertySummary] = []
            for p in all {
                if let reason = problem(p) { skipped.append(.init(name: p.name, source: p.source, reason: reason)) } else { chosen.append(p) }
            }
            guard !chosen.isEmpty else {
                throw ProbeError("no property varies on the training-split checkpoints (\(all.map(\.name).joined(separator: ", "))): select more epochs or a zoo whose models differ")
            }
            return (chosen, skipped)
        }
        let chosen = try requested.map { name -> ProbeProperty in
            guard let p = all.first(where: { $0.name == name }) else {
                throw ProbeError("property '\(name)' is not in the zoo; it has \(all.map(\.name).joined(separator: ", "))")
            }
            if let reason = problem(p) {
                throw ProbeError("property '\(name)' \(reason); drop it from --properties\(p.source == .epoch ? " or select more epochs" : "")")
            }
            return p
        }
        return (chosen, [])
    }

    /// The constant, ridge and MLP scores of every property on every feature set. Rows whose
    /// value is not recorded are left out of that property's problem.
    /// - Throws: `ProbeError` when a split has no checkpoint with the property recorded.
    public static func run(features: [ProbeFeatureSet], properties: [ProbeProperty], splits: [Split],
                           mlp: MLPProbeOptions, seed: UInt64,
                           progress: (String) -> Void = { _ in }) throws -> [ProbeResult] {
        var results: [ProbeResult] = []
        for property in properties {
            let rows = try rowsBySplit(property, splits: splits)
            let y = { (split: Split) in rows[split]!.map { property.values[$0] } }
            func problem(_ set: ProbeFeatureSet) -> ProbeProblem {
                ProbeProblem(task: property.task, train: (set.matrix.selecting(rows: rows[.train]!), y(.train)),
                             val: (set.matrix.selecting(rows: rows[.val]!), y(.val)),
                             test: (set.matrix.selecting(rows: rows[.test]!), y(.test)))
            }
            func result(_ features: String, _ predictor: String, _ s: ProbeScores) -> ProbeResult {
                ProbeResult(property: property.name, features: features, predictor: predictor, metric: property.task.metric,
                            train: s.train, val: s.val, test: s.test, regularization: s.regularization, epoch: s.epoch)
            }
            guard let first = features.first else { break }
            results.append(result("none", "constant", problem(first).constantScores()))
            for (index, set) in features.enumerated() {
                progress("\(property.name) from \(set.name)")
                let p = problem(set)
                results.append(result(set.name, "ridge", p.ridgeScores()))
                let stream = RandomStream(seed: seed, purpose: "probe.mlp.\(property.name)", index: UInt64(index))
                results.append(result(set.name, "mlp", p.mlpScores(options: mlp, stream: stream)))
            }
        }
        return results
    }

    /// Rows (indices into the selection) of each split where `property` is recorded.
    public static func rowsBySplit(_ property: ProbeProperty, splits: [Split]) throws -> [Split: [Int]] {
        var rows: [Split: [Int]] = [.train: [], .val: [], .test: []]
        for (i, s) in splits.enumerated() where property.values[i].isFinite { rows[s]!.append(i) }
        for split in [Split.train, .val, .test] where rows[split]!.isEmpty {
            throw ProbeError("no \(split.rawValue)-split checkpoint has '\(property.name)' recorded: the probes fit on train, pick the ridge penalty and the MLP's epoch on val, and report on test")
        }
        return rows
    }

    /// The summary of a predicted property for the report.
    public static func summary(_ p: ProbeProperty, splits: [Split]) throws -> ProbePropertySummary {
        let rows = try rowsBySplit(p, splits: splits)
        let task: String = { if case .classification = p.task { return "classification" }; return "regression" }()
        return ProbePropertySummary(name: p.name, source: p.source, task: task, classes: p.classes.isEmpty ? nil : p.classes,
                                    rows: .init(train: rows[.train]!.count, val: rows[.val]!.count, test: rows[.test]!.count))
    }
}

/// What `hz-train probe` writes (schemas/probe-report.md).
public struct ProbeReport: Codable, Sendable {
    public struct FeatureSummary: Codable, Sendable, Equatable {
        public var name: String
        public var dimension: Int
        public init(name: String, dimension: Int) { self.name = name; self.dimension = dimension }
    }
    public struct Checkpoints: Codable, Sendable, Equatable {
        public var train, val, test: Int
        public init(train: Int, val: Int, test: Int) { self.train = train; self.val = val; self.test = test }
    }

    public var format = "hyperzoo.probe"
    public var version = 1
    public var ae: String
    public var zoo: String
    public var seed: UInt64
    public var epochs: [Int]
    public var checkpoints: Checkpoints
    public var regularizations: [Double]
    public var mlp: MLPProbeOptions
    public var features: [FeatureSummary]
    public var properties: [ProbePropertySummary]
    public var skipped: [ProbePropertySummary]
    public var results: [ProbeResult]

    public init(ae: String, zoo: String, seed: UInt64, epochs: [Int], checkpoints: Checkpoints, mlp: MLPProbeOptions,
                features: [FeatureSummary], properties: [ProbePropertySummary], skipped: [ProbePropertySummary],
                results: [ProbeResult]) {
        self.ae = ae; self.zoo = zoo; self.seed = seed; self.epochs = epochs; self.checkpoints = checkpoints
        regularizations = RidgeSolver.regularizations; self.mlp = mlp; self.features = features
        self.properties = properties; self.skipped = skipped; self.results = results
    }

    /// The largest probe report read back (hz-eval --probe); real ones are a few kB to a few MB.
    public static let maximumFileBytes = 64 << 20

    /// Reads a report written by `hz-train probe`, checking its format and version.
    /// - Throws: `ProbeError` naming `name` and what was expected.
    public static func decode(_ data: Data, name: String) throws -> ProbeReport {
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let header = try? NonFiniteJSON.decode(Header.self, from: data) else {
            throw ProbeError("\(name): not a JSON object; expected the report of hz-train probe -o")
        }
        guard header.format == "hyperzoo.probe" else {
            throw ProbeError("\(name): format is \(header.format.map { "'\($0)'" } ?? "missing"), expected 'hyperzoo.probe' (the report of hz-train probe -o)")
        }
        guard header.version == 1 else {
            throw ProbeError("\(name): probe report version \(header.version.map(String.init) ?? "missing"), this hyperzoo reads version 1")
        }
        do { return try NonFiniteJSON.decode(ProbeReport.self, from: data) } catch {
            throw ProbeError("\(name): a hyperzoo.probe report with missing or mistyped fields (\(decodingPath(error))); write it again with hz-train probe -o")
        }
    }

    /// The printed table: one line per property and feature set, the test score of each predictor.
    public var table: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%7.3f", $0) } ?? "      –" }
        var lines = ["property              metric    features           ridge      mlp    (constant)"]
        for p in properties {
            let rows = results.filter { $0.property == p.name }
            let constant = rows.first { $0.predictor == "constant" }?.test
            for set in features {
                let ridge = rows.first { $0.features == set.name && $0.predictor == "ridge" }?.test
                let mlp = rows.first { $0.features == set.name && $0.predictor == "mlp" }?.test
                let metric = rows.first?.metric ?? ""
                lines.append(p.name.padding(toLength: 22, withPad: " ", startingAt: 0) + metric.padding(toLength: 10, withPad: " ", startingAt: 0)
                             + set.name.padding(toLength: 17, withPad: " ", startingAt: 0) + "\(f(ridge))  \(f(mlp))    \(f(constant))")
            }
        }
        for s in skipped { lines.append("skipped \(s.name): \(s.reason ?? "")") }
        return lines.joined(separator: "\n")
    }
}

/// Where a JSON decoding error happened, as "key.key[2]: what", for one-line messages.
func decodingPath(_ error: Error) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return keys.isEmpty ? context.debugDescription : "\(keys): \(context.debugDescription)"
    }
    switch error as? DecodingError {
    case .keyNotFound(let key, let context)?: return "\(path(context)) missing key '\(key.stringValue)'"
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?: return path(context)
    default: return "\(error)"
    }
}
