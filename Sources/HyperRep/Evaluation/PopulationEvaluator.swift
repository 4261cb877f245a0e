// Fine-tuning populations and measuring them, the core of hz-eval. Every population (sampled
// ones and the baselines) goes through the same code: PopulationTrainer from Nets, the same
// data, and the same per-index training seeds (member i of every population sees the same data
// order), so differences come from the starting weights alone. Each member carries its own
// network and recipe (a "Hyp" grid zoo mixes activations, dropout, optimizers and learning
// rates); a zoo of one recipe gives every member the same one.
//
// Sizes: M = models in a population, P = parameters per model, E = largest reported epoch.

import Nets
import Tensor
import ZooStore

/// The network and training recipe one member is evaluated and fine-tuned with.
public struct MemberRecipe: Sendable, Equatable {
    public var architecture: ArchitectureSpec
    public var training: TrainingRecipe
    /// The initialiser of fresh models of this recipe (B_T).
    public var initializer: Initializer

    public init(architecture: ArchitectureSpec, training: TrainingRecipe, initializer: Initializer) {
        self.architecture = architecture; self.training = training; self.initializer = initializer
    }
}

/// What every fine-tuning run shares.
public struct EvaluationSetup: Sendable {
    /// The default network and recipe, for members given none of their own.
    public var architecture: ArchitectureSpec
    public var recipe: TrainingRecipe
    /// Epochs at which test metrics are reported, ascending, starting at 0 (as sampled).
    public var epochs: [Int]
    public var threads: Int
    /// Member i of every population trains with data-order/dropout seed `seed + i`.
    public var seed: UInt64
    /// Bootstrap resamples of every interval (accuracy, ensembles, novelty).
    public var bootstrapResamples: Int

    public init(architecture: ArchitectureSpec, recipe: TrainingRecipe, epochs: [Int], threads: Int = defaultThreadCount(),
                seed: UInt64 = 0, bootstrapResamples: Int = 1000) {
        self.architecture = architecture; self.recipe = recipe
        self.epochs = Array(Set(epochs + [0])).sorted()
        self.threads = threads; self.seed = seed; self.bootstrapResamples = bootstrapResamples
    }
}

/// A fine-tuned population: its report entry and, for the epochs asked for, its members' rows.
public struct FineTuneOutcome: Sendable {
    public var result: PopulationResult
    /// Rows `[M][P]` after k epochs, for each k requested in `keepRowsAt`.
    public var rowsAtEpoch: [Int: [[Float]]]
}

/// Fine-tunes populations with the shared setup.
public enum PopulationEvaluator {
    /// Fine-tunes `rows` on `data` for the setup's largest epoch, recording test accuracy and loss
    /// of every member at each reported epoch (epoch 0 = the rows as given).
    ///
    /// - Parameters:
    ///   - data: train and test sets (a validation set, if any, is ignored to save time).
    ///   - recipes: per member (`[M]`) its network and recipe; nil gives everyone the setup's.
    ///   - memberIndices: each row's member index in the whole population (its training seed is
    ///     `setup.seed + index`); nil: 0..<M. A shard passes its members' global indices, so its
    ///     numbers equal a whole run's.
    ///   - keepRowsAt: epochs whose rows are returned (e.g. for ensembles).
    ///   - onSamples: training samples processed (any thread), for progress bars.
    public static func fineTune(name: String, role: String, details: [String: String], rows: [[Float]], data: DatasetSplits,
                                setup: EvaluationSetup, recipes: [MemberRecipe]? = nil, memberIndices: [Int]? = nil, keepRowsAt: Set<Int> = [],
                                onSamples: (@Sendable (Int) -> Void)? = nil) -> FineTuneOutcome {
        precondition(recipes == nil || recipes!.count == rows.count, "one recipe per member")
        precondition(memberIndices == nil || memberIndices!.count == rows.count, "one index per member")
        var splits = data
        splits.validation = nil
        let last = setup.epochs.last ?? 0
        let reported = Set(setup.epochs)
        var epochs: [EpochResult] = []
        var kept: [Int: [[Float]]] = [:]
        let trainer = PopulationTrainer(threads: setup.threads, evaluateTrainAtEpochZero: false)
        let members = rows.enumerated().map { i, row in
            PopulationMember(architecture: recipes?[i].architecture ?? setup.architecture, recipe: recipes?[i].training ?? setup.recipe,
                             seed: setup.seed &+ UInt64(memberIndices?[i] ?? i), initialRow: row)
        }
        trainer.train(members: members, data: splits, epochs: last, evaluateEpochZero: true, onSamples: onSamples) { report in
            if reported.contains(report.epoch) {
                let seed = bootstrapSeed(setup.seed, name: name, epoch: report.epoch)
                epochs.append(EpochResult(epoch: report.epoch, accuracies: report.metrics.map { Double($0.testAccuracy) },
                                          losses: report.metrics.map { Double($0.testLoss) }, bootstrapSeed: seed,
                                          resamples: setup.bootstrapResamples))
            }
            if keepRowsAt.contains(report.epoch) { kept[report.epoch] = report.rows }
        }
        return FineTuneOutcome(result: PopulationResult(name: name, role: role, details: details, modelCount: rows.count, epochs: epochs),
                               rowsAtEpoch: kept)
    }

    /// A bootstrap seed per (run seed, population, epoch), so every interval is reproducible on its own.
    public static func bootstrapSeed(_ seed: UInt64, name: String, epoch: Int) -> UInt64 {
        RandomStream(seed: seed, purpose: "bootstrap." + name, index: UInt64(epoch)).value(at: 0)
    }

    /// Evaluates each row with its own network (`architectures[i]`), rows of one network together.
    public static func evaluate(rows: [[Float]], architectures: [ArchitectureSpec], dataset: ImageDataset, threads: Int,
                                keepPredictions: Bool = false) -> [EvaluationResult] {
        precondition(rows.count == architectures.count, "one architecture per row")
        var results = [EvaluationResult?](repeating: nil, count: rows.count)
        var distinct: [ArchitectureSpec] = []
        for a in architectures where !distinct.contains(a) { distinct.append(a) }
        for a in distinct {
            let members = rows.indices.filter { architectures[$0] == a }
            let measured = Nets.evaluate(rows: members.map { rows[$0] }, architecture: a, dataset: dataset, threads: threads,
                                         keepPredictions: keepPredictions)
            for (i, r) in zip(members, measured) { results[i] = r }
        }
        return results.map { $0! }
    }

    /// Novelty of `samples` against `training` rows: nearest training model, relative distance,
    /// and the fraction of test predictions on which each sample disagrees with it.
    ///
    /// - Parameters:
    ///   - sampleArchitectures / trainingArchitectures: each row's network (for predictions).
    /// - Throws: ``NoveltyError`` when a row is not finite or there are too few training rows.
    public static func novelty(name: String, samples: [[Float]], training: [[Float]], sampleArchitectures: [ArchitectureSpec],
                               trainingArchitectures: [ArchitectureSpec], test: ImageDataset, threads: Int, seed: UInt64,
                               resamples: Int = 1000) throws -> NoveltyResult {
        let p = sampleArchitectures.first?.parameterCount ?? 0
        let summary = try NoveltySummary(samples: samples.flatMap { $0 }, training: training.flatMap { $0 }, width: p, seed: seed)
        let nearestRows = summary.nearestIndices.map { training[$0] }
        let nearestArchitectures = summary.nearestIndices.map { trainingArchitectures[$0] }
        let sampled = evaluate(rows: samples, architectures: sampleArchitectures, dataset: test, threads: threads, keepPredictions: true)
        let nearest = evaluate(rows: nearestRows, architectures: nearestArchitectures, dataset: test, threads: threads, keepPredictions: true)
        let disagreements = zip(sampled, nearest).map { predictionDisagreement($0.predictions, $1.predictions) }
        return NoveltyResult(population: name, relativeDistances: summary.relativeDistances, disagreements: disagreements,
                             typicalDistance: summary.typicalDistance, bootstrapSeed: bootstrapSeed(seed, name: "novelty." + name, epoch: 0),
                             resamples: resamples)
    }

    /// Random ensembles of `sizes` members from the first `poolSize` rows, on `test`; member i
    /// runs with `architectures[i]`.
    public static func ensembles(name: String, epoch: Int, rows: [[Float]], architectures: [ArchitectureSpec], sizes: [Int], trials: Int,
                                 poolSize: Int, test: ImageDataset, threads: Int, seed: UInt64, resamples: Int = 1000) -> [EnsembleResult] {
        let pool = Array(rows.prefix(poolSize))
        guard !pool.isEmpty, let classes = architectures.first?.classes else { return [] }
        let probabilities = EnsembleEvaluation.probabilities(rows: pool, architectures: Array(architectures.prefix(pool.count)),
                                                             dataset: test, threads: threads)
        let members = (0..<pool.count).map {
            EnsembleEvaluation.accuracy(pool: probabilities, members: [$0], labels: test.labels, classes: classes)
        }
        let memberMean = meanOf(members)
        return sizes.filter { $0 <= pool.count }.map { k in
            let s = bootstrapSeed(seed, name: "ensemble.\(name).\(k)", epoch: epoch)
            let accuracies = EnsembleEvaluation.randomEnsembles(pool: probabilities, labels: test.labels, classes: classes,
                                                                size: k, trials: trials, seed: s)
            return EnsembleResult(population: name, epoch: epoch, size: k, accuracies: accuracies, memberMeanAccuracy: memberMean,
                                  bootstrapSeed: s, resamples: resamples)
        }
    }
}
