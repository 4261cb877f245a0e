// The data of an evaluation report (report.json): every number hz-eval measured, with the
// commands and seeds that produced it. `ReportHTML` renders the same value as a self-contained
// page. Keys are encoded sorted, so the same run writes the same bytes.

import Foundation
import ZooStore

/// Everything hz-eval measured, as written to report.json.
public struct EvaluationReport: Codable, Sendable {
    /// Layout version of this JSON.
    public var formatVersion: Int = 1
    /// The tool and its version, e.g. "hyperzoo 0.1.0".
    public var generator: String
    /// UTC time of the run (ISO 8601); the only field that differs between identical runs.
    public var createdAt: String
    /// Command lines that produced the inputs (from their provenance) and this report, in order.
    public var commands: [String]
    /// Every seed used, by purpose (sampling, fine-tuning, bootstrap, ensembles...).
    public var seeds: [String: UInt64]
    /// Input files and settings (paths, recipe, epochs, dataset sizes), as strings.
    public var settings: [String: String]
    /// In-distribution fine-tuning: one entry per population (sampled and baselines).
    public var populations: [PopulationResult]
    /// Ensembles of k models per population.
    public var ensembles: [EnsembleResult]
    /// Transfer experiments (source zoo → target dataset), each with its populations.
    public var transfers: [TransferResult]
    /// Novelty of every sampled population against the training models.
    public var novelty: [NoveltyResult]
    /// Every sampled population against every baseline at every epoch, in-distribution and per
    /// transfer (absent in reports written before the tests were added).
    public var comparisons: [PairwiseComparison]?
    /// A 2-D map of the latent space with training models, anchors and samples (when available).
    public var latentProjection: LatentProjection?
    /// Plain-language notes (what was skipped and why, known caveats).
    public var notes: [String]
    /// What the numbers mean, in plain words (``ReportSummary``): better or worse than scratch
    /// training, new or copied, against the noise control. The report opens with it.
    public var summary: [String]?
    /// Collapse and copy diagnostics of every sampled population, on the models evaluated.
    public var diagnostics: [PopulationDiagnostics]?
    /// Each sampled population beside its noise control at equal novelty (when one was evaluated).
    public var noiseControls: [NoiseControlPairing]?
    /// Property prediction from the latents beside the weight and weight-statistics baselines:
    /// the report of `hz-train probe`, joined by `hz-eval --probe` (schemas/probe-report.md).
    public var probe: ProbeReport?

    public init(generator: String, createdAt: String, commands: [String], seeds: [String: UInt64],
                settings: [String: String], populations: [PopulationResult] = [], ensembles: [EnsembleResult] = [],
                transfers: [TransferResult] = [], novelty: [NoveltyResult] = [],
                latentProjection: LatentProjection? = nil, notes: [String] = [], comparisons: [PairwiseComparison]? = nil) {
        self.generator = generator; self.createdAt = createdAt; self.commands = commands; self.seeds = seeds
        self.settings = settings; self.populations = populations; self.ensembles = ensembles
        self.transfers = transfers; self.novelty = novelty; self.latentProjection = latentProjection; self.notes = notes
        self.comparisons = comparisons
    }

    /// Sorted, pretty JSON; NaN and infinities are written as strings ("NaN", "Infinity").
    public func jsonData() throws -> Data { try Self.jsonEncoder(pretty: true).encode(self) }

    /// Reads a report written by ``jsonData()``.
    public static func decode(_ data: Data) throws -> EvaluationReport { try NonFiniteJSON.decode(EvaluationReport.self, from: data) }

    /// The encoder of reports and evaluation parts: sorted keys; NaN and infinities as strings
    /// (NonFiniteJSON).
    public static func jsonEncoder(pretty: Bool = false) -> JSONEncoder { NonFiniteJSON.encoder(pretty: pretty) }
}

/// One population followed through fine-tuning.
public struct PopulationResult: Codable, Sendable {
    /// Display name, e.g. "S_KDE30", "B_T", "B_F".
    public var name: String
    /// "sampled" or "baseline".
    public var role: String
    /// How it was made (sampler settings, source file, baseline definition).
    public var details: [String: String]
    /// Models in the population.
    public var modelCount: Int
    /// One entry per evaluated fine-tuning epoch (0 = as sampled, before any training).
    public var epochs: [EpochResult]

    public init(name: String, role: String, details: [String: String], modelCount: Int, epochs: [EpochResult]) {
        self.name = name; self.role = role; self.details = details; self.modelCount = modelCount; self.epochs = epochs
    }
}

/// Test metrics of every model of a population after some fine-tuning epochs.
public struct EpochResult: Codable, Sendable {
    /// Fine-tuning epochs done (0 = straight from the sampler / zoo / initialiser).
    public var epoch: Int
    /// Test accuracy of each model, in [0, 1].
    public var accuracies: [Double]
    /// Test loss of each model.
    public var losses: [Double]
    /// Statistics of `accuracies`.
    public var accuracy: SummaryStatistics

    public init(epoch: Int, accuracies: [Double], losses: [Double], bootstrapSeed: UInt64, resamples: Int = 1000) {
        self.epoch = epoch; self.accuracies = accuracies; self.losses = losses
        accuracy = SummaryStatistics(accuracies, resamples: resamples, seed: bootstrapSeed)
    }
}

/// Accuracy of ensembles (averaged softmax outputs) of k models drawn from one population.
public struct EnsembleResult: Codable, Sendable {
    public var population: String
    /// Fine-tuning epochs of the members.
    public var epoch: Int
    /// Members per ensemble.
    public var size: Int
    /// Test accuracy of each random ensemble (members drawn without replacement, seeded).
    public var accuracies: [Double]
    /// Mean test accuracy of the members themselves, for comparison.
    public var memberMeanAccuracy: Double
    public var accuracy: SummaryStatistics

    public init(population: String, epoch: Int, size: Int, accuracies: [Double], memberMeanAccuracy: Double, bootstrapSeed: UInt64,
                resamples: Int = 1000) {
        self.population = population; self.epoch = epoch; self.size = size; self.accuracies = accuracies
        self.memberMeanAccuracy = memberMeanAccuracy
        accuracy = SummaryStatistics(accuracies, resamples: resamples, seed: bootstrapSeed)
    }
}

/// A transfer experiment: populations from a source zoo fine-tuned on a target dataset.
public struct TransferResult: Codable, Sendable {
    public var source: String
    public var target: String
    public var populations: [PopulationResult]

    public init(source: String, target: String, populations: [PopulationResult]) {
        self.source = source; self.target = target; self.populations = populations
    }

    /// The `experiment` of this transfer's ``PairwiseComparison``s.
    public static func experimentName(source: String, target: String) -> String { "transfer \(source) → \(target)" }
}

/// Novelty of one sampled population (see ``NoveltySummary``).
public struct NoveltyResult: Codable, Sendable {
    public var population: String
    /// Per sample: distance to the nearest training model / typical training-pair distance.
    public var relativeDistances: [Double]
    /// Per sample: fraction of test predictions differing from that nearest model.
    public var disagreements: [Double]
    /// The typical distance (median pairwise distance between training models).
    public var typicalDistance: Double
    public var relativeDistance: SummaryStatistics
    public var disagreement: SummaryStatistics

    public init(population: String, relativeDistances: [Double], disagreements: [Double], typicalDistance: Double, bootstrapSeed: UInt64,
                resamples: Int = 1000) {
        self.population = population; self.relativeDistances = relativeDistances; self.disagreements = disagreements
        self.typicalDistance = typicalDistance
        relativeDistance = SummaryStatistics(relativeDistances, resamples: resamples, seed: bootstrapSeed)
        disagreement = SummaryStatistics(disagreements, resamples: resamples, seed: bootstrapSeed)
    }
}

/// Points of a 2-D map of the latent space (PCA of the training latents).
public struct LatentProjection: Codable, Sendable {
    /// How the map was made, e.g. "pca of training latents".
    public var method: String
    /// Fraction of latent variance the two axes explain.
    public var explainedVariance: [Double]
    /// Training models (`[x, y]` each), anchors, and samples per population.
    public var training: [[Double]]
    public var anchors: [[Double]]
    public var samples: [String: [[Double]]]

    public init(method: String, explainedVariance: [Double], training: [[Double]], anchors: [[Double]], samples: [String: [[Double]]]) {
        self.method = method; self.explainedVariance = explainedVariance; self.training = training
        self.anchors = anchors; self.samples = samples
    }
}
