// Training the hyper-representation autoencoder: epochs over the training models' rows, two
// augmented views per model, the γ-weighted contrastive + reconstruction objective, an
// optimizer with an LR schedule and gradient clipping, validation on held-out models only.
//
// Determinism: every random draw is keyed by the run seed. The shuffle of epoch e and the views
// of (epoch, model, view) come from stateless streams; dropout draws from one stream whose
// counter is part of the training state. Saving parameters, optimizer moments, BatchNorm
// running statistics, the scheduler and that counter is therefore enough to resume bit for bit.
//
// Size legend: N = training rows, V = validation rows, B = models per batch, P = parameters.
import Foundation
import Tensor

/// Gradient clipping before each optimizer step (GHRP `training::gradient_clipping`).
public enum GradientClipping: Codable, Sendable, Equatable {
    case none
    /// Scale all gradients so their global L2 norm is at most the value.
    case norm(Float)
    /// Clamp each gradient to ±value.
    case value(Float)
}

/// Everything a training run is configured with.
public struct AutoencoderTrainingOptions: Codable, Sendable, Equatable {
    public var epochs: Int
    /// Models per batch (each contributes two views); batches are drop-last, as NT-Xent needs.
    public var batchSize: Int
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule
    public var clipping: GradientClipping
    public var seed: UInt64
    /// γ: weight of the contrastive loss (0 = reconstruction only).
    public var gamma: Float
    public var temperature: Float
    /// Layer-wise loss normalisation (σ_l from the training rows); false = plain MSE ablation.
    public var normalizeLoss: Bool
    public var reduction: ReconstructionReduction
    /// Optional per-layer loss weights (default 1 each).
    public var layerWeights: [Float]?
    /// How the two views of a model are made.
    public var augment: AugmentOptions

    public init(epochs: Int = 10, batchSize: Int = 32,
                optimizer: OptimizerConfig = .adamW(learningRate: 1e-4, weightDecay: 1e-9),
                schedule: LearningRateSchedule = .constant, clipping: GradientClipping = .none, seed: UInt64 = 42,
                gamma: Float = 0.1, temperature: Float = 0.1, normalizeLoss: Bool = true,
                reduction: ReconstructionReduction = .globalMean, layerWeights: [Float]? = nil,
                augment: AugmentOptions = .paper) {
        self.epochs = epochs; self.batchSize = batchSize; self.optimizer = optimizer; self.schedule = schedule
        self.clipping = clipping; self.seed = seed; self.gamma = gamma; self.temperature = temperature
        self.normalizeLoss = normalizeLoss; self.reduction = reduction; self.layerWeights = layerWeights
        self.augment = augment
    }
}

/// Metrics of one epoch.
public struct AutoencoderEpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Float
    public var trainContrast: Float
    public var trainReconstruction: Float
    /// Losses on two views of each held-out model, eval mode (NaN without validation rows).
    public var validationLoss: Float
    public var validationContrast: Float
    public var validationReconstruction: Float
    /// R² of reconstructing the held-out rows themselves (no augmentation), overall and per layer.
    public var validationRSquared: Float
    public var validationRSquaredPerLayer: [Float]
    public var seconds: Double
}

/// The resumable state of a run (saved in AE checkpoints beside the weights).
public struct AutoencoderTrainingState: Sendable {
    public var options: AutoencoderTrainingOptions
    public var objective: AutoencoderObjective
    /// Epochs completed.
    public var epoch: Int
    public var optimizerSteps: Int
    public var optimizerState: [Float]
    public var scheduler: LearningRateScheduler
    public var dropoutStream: RandomStream
    public var history: [AutoencoderEpochMetrics]
    /// What the finished run says about itself (set by hz-train after the last epoch; nil while
    /// a run is under way and in files written before diagnostics existed).
    public var diagnostics: AutoencoderDiagnostics? = nil
}

/// The two views of every training model in one epoch.
public enum EpochViews {
    /// Made by the trainer's own `Augmenter` from `rows` [count, P]. The views of row r draw from
    /// `Augmenter.viewStream(seed:epoch:sample:view:)` with sample `sampleIDs[r]` (the checkpoint
    /// ids, as hz-augment keys them) or, without ids, r.
    case augmented(rows: UnsafeBufferPointer<Float>, sampleIDs: [Int]?)
    /// Made elsewhere (hz-augment's view stream): [2, count, P], view v of row r at (v·count + r)·P.
    case given(UnsafeBufferPointer<Float>)

    func check(count: Int, parameters P: Int) {
        switch self {
        case .augmented(let rows, let ids):
            precondition(rows.count >= count * P && (ids?.count ?? count) == count, "trainEpoch: \(count) rows of \(P) values expected")
        case .given(let views):
            precondition(views.count == 2 * count * P, "trainEpoch: views of \(views.count) values, expected 2 × \(count) × \(P)")
        }
    }
}

/// Trains an `Autoencoder` epoch by epoch. Not Sendable: a run (its model, optimizer and
/// streams) is driven by one thread; data-parallel ranks are processes, each with its own trainer.
public final class AutoencoderTrainer {
    public let model: Autoencoder
    public let options: AutoencoderTrainingOptions
    public let objective: AutoencoderObjective
    public let optimizer: Optimizer
    public private(set) var scheduler: LearningRateScheduler
    public private(set) var epoch = 0
    public private(set) var history: [AutoencoderEpochMetrics] = []
    private var dropoutStream: RandomStream
    private let augmenter: Augmenter
    /// Data-parallel training over these ranks (nil or one rank: this process alone). Every rank
    /// shuffles the same way, takes its equal slice of each batch and applies the same summed
    /// gradients, so all ranks hold the same weights and state as one process would.
    public var group: (any TrainingGroup)?

    /// A new run. σ_l (if normalising) and the R² reference come from `trainRows` [count, P].
    public convenience init(model: Autoencoder, options: AutoencoderTrainingOptions, trainRows: UnsafeBufferPointer<Float>, count: Int) throws {
        var recon = ReconstructionLoss(table: model.config.table, reduction: options.reduction, layerWeights: options.layerWeights)
        let P = model.parameterCount
        if options.normalizeLoss { recon.normalize(by: trainRows, count: count, parameters: P) }
        recon.setMeanLoss(rows: trainRows, count: count, parameters: P)
        let objective = AutoencoderObjective(gamma: options.gamma, temperature: options.temperature, reconstruction: recon)
        try self.init(model: model, options: options, objective: objective,
                      scheduler: LearningRateScheduler(options.schedule, base: options.optimizer.learningRate),
                      dropoutStream: RandomStream(seed: options.seed, purpose: "hyperrep.train.dropout"))
    }

    /// Continues a run from a saved state (see `AutoencoderCheckpoint`).
    public convenience init(model: Autoencoder, resuming state: AutoencoderTrainingState) throws {
        try self.init(model: model, options: state.options, objective: state.objective, scheduler: state.scheduler,
                      dropoutStream: state.dropoutStream)
        optimizer.loadState(steps: state.optimizerSteps, state: state.optimizerState)
        epoch = state.epoch
        history = state.history
    }

    private init(model: Autoencoder, options: AutoencoderTrainingOptions, objective: AutoencoderObjective,
                 scheduler: LearningRateScheduler, dropoutStream: RandomStream) throws {
        guard options.batchSize >= 2 else { throw AutoencoderError("batch size must be ≥ 2 (NT-Xent needs negatives), got \(options.batchSize)") }
        guard options.epochs >= 0 else { throw AutoencoderError("epochs must be ≥ 0") }
        if let w = options.layerWeights, w.count != objective.reconstruction.layerRanges.count {
            throw AutoencoderError("\(w.count) layer weights given, the architecture has \(objective.reconstruction.layerRanges.count) layers")
        }
        self.model = model
        self.options = options
        self.objective = objective
        self.optimizer = Optimizer(options.optimizer, count: model.parameters.count)
        self.scheduler = scheduler
        self.dropoutStream = dropoutStream
        do { augmenter = try Augmenter(table: model.config.table, options: options.augment, bankSeed: options.seed) } catch {
            throw AutoencoderError("augmentation: \(error)")
        }
    }

    /// The state to save so that the run can resume exactly here.
    public var state: AutoencoderTrainingState {
        let saved = optimizer.saveState()
        return AutoencoderTrainingState(options: options, objective: objective, epoch: epoch, optimizerSteps: saved.steps,
                                        optimizerState: saved.state, scheduler: scheduler, dropoutStream: dropoutStream,
                                        history: history)
    }

    /// Training steps per epoch for `count` training rows (drop-last: a rest smaller than a batch is
    /// left out of that epoch; the shuffle changes which rows it is).
    public func stepsPerEpoch(count: Int) -> Int { count / options.batchSize }

    /// Refuses `count` training rows that cannot fill one batch: drop-last would leave nothing to
    /// train on, and shrinking the batch would silently change what the user asked for.
    public func checkTrainingRows(_ count: Int) throws {
        guard count >= options.batchSize else {
            throw AutoencoderError("\(count) training rows are fewer than the batch size \(options.batchSize): batches are drop-last, so no batch could be formed; lower the batch size to at most \(count) or train on more checkpoints")
        }
    }

    /// Trains one epoch on `trainRows` [count, P], then validates on `validationRows` [validationCount, P]
    /// (held-out models). `progress(step, steps, losses)` is called after every step.
    /// The views of row r are keyed by r; `trainEpoch(views:…)` can key them by checkpoint ids instead.
    /// - Throws: see `trainEpoch(views:…)`.
    @discardableResult
    public func trainEpoch(trainRows: UnsafeBufferPointer<Float>, count: Int,
                           validationRows: UnsafeBufferPointer<Float>?, validationCount: Int,
                           progress: (Int, Int, AutoencoderLosses) -> Void = { _, _, _ in }) throws -> AutoencoderEpochMetrics {
        try trainEpoch(views: .augmented(rows: trainRows, sampleIDs: nil), count: count, validationRows: validationRows,
                   validationCount: validationCount, validationIDs: nil, progress: progress)
    }

    /// Trains one epoch of `count` training models on `views`, then validates on `validationRows`
    /// [validationCount, P] (held-out models; their fixed views are keyed by `validationIDs`, default
    /// the row index). The shuffle, batching, dropout and optimizer steps do not depend on where the
    /// views come from, so the same views give the same weights bit for bit.
    /// - Throws: when `count` rows cannot fill a batch (`checkTrainingRows`), and when a step's loss
    ///   is NaN or infinite (the run diverged): the step is not applied, but earlier steps of the
    ///   epoch were, so the trainer must not be used or saved after that error (the last
    ///   checkpoint holds the last good epoch).
    @discardableResult
    public func trainEpoch(views source: EpochViews, count: Int,
                           validationRows: UnsafeBufferPointer<Float>?, validationCount: Int, validationIDs: [Int]? = nil,
                           progress: (Int, Int, AutoencoderLosses) -> Void = { _, _, _ in }) throws -> AutoencoderEpochMetrics {
        let started = Date()
        let P = model.parameterCount
        try checkTrainingRows(count)
        let B = options.batchSize
        source.check(count: count, parameters: P)
        let lr = scheduler.advance(toEpoch: epoch, metric: history.last?.validationLoss ?? .nan)
        var shuffle = RandomStream(seed: options.seed, purpose: "hyperrep.train.shuffle", index: UInt64(epoch))
        let order = shuffle.permutation(count)
        let steps = count / B
        var sums = (loss: 0.0, contrast: 0.0, recon: 0.0)
        let slice = try dataParallelSlice()
        let b = slice.localModels, rank = slice.group.rank
        var views = [Float](repeating: 0, count: 2 * b * P)
        for step in 0..<steps {
            let mine = Array(order[(step * B + rank * b)..<(step * B + (rank + 1) * b)])
            batchViews(source, count: count, indices: mine, epoch: epoch, into: &views)
            let losses = try views.withUnsafeBufferPointer {
                try model.lossAndGradients(views: $0.baseAddress!, slice: slice, objective: objective, stream: &dropoutStream)
            }
            guard losses.total.isFinite else {
                throw AutoencoderError("epoch \(epoch + 1), step \(step + 1) of \(steps): the training loss is \(losses.total) (contrast \(losses.contrast), reconstruction \(losses.reconstruction.loss)): training diverged; try a lower learning rate or gradient clipping")
            }
            switch options.clipping {
            case .none: break
            case .norm(let maxNorm): clipGradientNorm(model.parameters.gradients, count: model.parameters.count, maxNorm: maxNorm)
            case .value(let limit): clipGradientValue(model.parameters.gradients, count: model.parameters.count, limit: limit)
            }
            optimizer.step(model.parameters, learningRate: lr)
            sums.loss += Double(losses.total); sums.contrast += Double(losses.contrast)
            sums.recon += Double(losses.reconstruction.loss)
            progress(step + 1, steps, losses)
        }
        let n = Double(max(steps, 1))
        var metrics = AutoencoderEpochMetrics(
            epoch: epoch + 1, learningRate: lr, trainLoss: Float(sums.loss / n), trainContrast: Float(sums.contrast / n),
            trainReconstruction: Float(sums.recon / n), validationLoss: .nan, validationContrast: .nan,
            validationReconstruction: .nan, validationRSquared: .nan, validationRSquaredPerLayer: [], seconds: 0)
        if let validationRows, validationCount >= 2 {
            let v = validate(rows: validationRows, count: validationCount, ids: validationIDs)
            metrics.validationLoss = v.loss; metrics.validationContrast = v.contrast
            metrics.validationReconstruction = v.recon; metrics.validationRSquared = v.rsq
            metrics.validationRSquaredPerLayer = v.rsqPerLayer
            guard v.loss.isFinite else {
                throw AutoencoderError("epoch \(epoch + 1): the validation loss is \(v.loss) while the training loss is \(metrics.trainLoss): the model gives non-finite outputs on held-out rows; try a lower learning rate or gradient clipping")
            }
        }
        metrics.seconds = Date().timeIntervalSince(started)
        epoch += 1
        history.append(metrics)
        return metrics
    }

    /// Refuses a group whose rank count does not divide the batch size.
    public func checkGroup() throws { _ = try dataParallelSlice() }

    /// This rank's share of every batch: the whole batch when training alone.
    private func dataParallelSlice() throws -> DataParallelSlice {
        guard let group, group.size > 1 else { return .whole(models: options.batchSize) }
        guard options.batchSize % group.size == 0 else {
            throw AutoencoderError("--batch-size \(options.batchSize) is not a multiple of the \(group.size) MPI ranks: every rank takes an equal slice of each batch; use a batch size divisible by the rank count")
        }
        return DataParallelSlice(group: group, localModels: options.batchSize / group.size)
    }

    /// Writes views [2B, P] of the models at `indices`: view 1 of every model, then view 2.
    private func batchViews(_ source: EpochViews, count: Int, indices: [Int], epoch: Int, into views: inout [Float]) {
        let P = model.parameterCount, B = indices.count
        views.withUnsafeMutableBufferPointer { out in
            for (i, r) in indices.enumerated() {
                for v in 0..<2 {
                    let dst = UnsafeMutableBufferPointer(rebasing: out[((v * B + i) * P)..<((v * B + i + 1) * P)])
                    switch source {
                    case .augmented(let rows, let ids):
                        let row = UnsafeBufferPointer(rebasing: rows[(r * P)..<((r + 1) * P)])
                        var stream = Augmenter.viewStream(seed: options.seed, epoch: epoch, sample: ids?[r] ?? r, view: v)
                        augmenter.view(row: row, into: dst, stream: &stream)
                    case .given(let given):
                        let k = v * count + r
                        _ = dst.update(fromContentsOf: given[(k * P)..<((k + 1) * P)])
                    }
                }
            }
        }
    }

    /// Eval-mode losses on fixed views of the held-out rows, and R² of reconstructing them clean.
    private func validate(rows: UnsafeBufferPointer<Float>, count: Int, ids: [Int]?)
        -> (loss: Float, contrast: Float, recon: Float, rsq: Float, rsqPerLayer: [Float]) {
        let P = model.parameterCount
        let B = min(options.batchSize, count)
        var views = [Float](repeating: 0, count: 2 * B * P)
        var sums = (0.0, 0.0, 0.0)
        let batches = count / B
        for k in 0..<batches {
            // Fixed views (epoch −1) so validation losses are comparable across epochs.
            batchViews(.augmented(rows: rows, sampleIDs: ids), count: count, indices: Array((k * B)..<((k + 1) * B)), epoch: -1, into: &views)
            let l = views.withUnsafeBufferPointer { model.evaluationLosses(views: $0.baseAddress!, batch: B, objective: objective) }
            sums.0 += Double(l.total); sums.1 += Double(l.contrast); sums.2 += Double(l.reconstruction.loss)
        }
        let clean = Array(rows.prefix(count * P))
        let decoded = model.decode(latents: model.encode(rows: clean, count: count), count: count)
        let r = decoded.withUnsafeBufferPointer { d in
            objective.reconstruction.evaluate(output: d.baseAddress!, target: rows.baseAddress!, rows: count, parameters: P, gradient: nil)
        }
        let n = Double(max(batches, 1))
        return (Float(sums.0 / n), Float(sums.1 / n), Float(sums.2 / n), r.rSquared, r.rSquaredPerLayer)
    }
}
