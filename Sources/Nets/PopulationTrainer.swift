// Training many zoo networks at once.
//
// Each member (architecture, recipe, seed, initial row) trains on its own worker thread for a
// whole epoch at a time, with single-threaded BLAS: the networks are tiny, so parallelism across
// models is what fills the cores, and no thread ever waits for another inside an epoch. Every
// member's arithmetic is independent of thread count and scheduling, so results are identical
// bit for bit however many threads run, which is what makes an interrupted zoo resumable.
//
// Epoch semantics follow the Model Zoos trainable: epoch 0 evaluates the untrained model; each
// later epoch trains over a fresh shuffle, reports the running train loss/accuracy of that pass
// (as `NNmodule.train` does), then evaluates on validation and test data.
import Foundation
import Tensor

/// The optimisation recipe of a member (Model Zoos `optim::*`, `training::batchsize`).
public struct TrainingRecipe: Codable, Sendable, Equatable {
    public var optimizer: OptimizerConfig
    public var batchSize: Int
    public var schedule: LearningRateSchedule
    /// Clip the gradient's global L2 norm to this value before each step (nil: no clipping).
    public var gradientClipNorm: Float?

    public init(optimizer: OptimizerConfig, batchSize: Int = 10, schedule: LearningRateSchedule = .constant,
                gradientClipNorm: Float? = nil) {
        self.optimizer = optimizer; self.batchSize = batchSize; self.schedule = schedule
        self.gradientClipNorm = gradientClipNorm
    }

    /// The published zoo recipe: Adam, lr 3e-4, no weight decay, batch 10.
    public static let modelZoos = TrainingRecipe(optimizer: .adam(learningRate: 3e-4))
}

/// One network to train.
public struct PopulationMember: Sendable {
    public var architecture: ArchitectureSpec
    public var recipe: TrainingRecipe
    /// Keys the member's data order (`purpose "shuffle"`, index = epoch) and dropout masks.
    public var seed: UInt64
    public var initialRow: [Float]
    /// Optimizer and schedule state to continue from (a resumed run); nil starts fresh.
    public var resumeState: MemberTrainingState?

    public init(architecture: ArchitectureSpec, recipe: TrainingRecipe, seed: UInt64, initialRow: [Float],
                resumeState: MemberTrainingState? = nil) {
        precondition(initialRow.count == architecture.parameterCount,
                     "initial row has \(initialRow.count) values, \(architecture.name) has \(architecture.parameterCount)")
        self.architecture = architecture; self.recipe = recipe; self.seed = seed; self.initialRow = initialRow
        self.resumeState = resumeState
    }
}

/// What, beyond its row, a member needs to continue training exactly where it stopped.
public struct MemberTrainingState: Sendable, Codable, Equatable {
    public var optimizerSteps: Int
    /// The optimizer's flat state (Adam m then v, or SGD momentum).
    public var optimizerState: [Float]
    public var scheduler: LearningRateScheduler

    public init(optimizerSteps: Int, optimizerState: [Float], scheduler: LearningRateScheduler) {
        self.optimizerSteps = optimizerSteps; self.optimizerState = optimizerState; self.scheduler = scheduler
    }
}

/// Loss and accuracy of a member at one epoch (NaN = not measured).
public struct EpochMetrics: Sendable, Equatable, Codable {
    public var trainLoss: Float, trainAccuracy: Float
    public var validationLoss: Float, validationAccuracy: Float
    public var testLoss: Float, testAccuracy: Float

    public init(trainLoss: Float = .nan, trainAccuracy: Float = .nan, validationLoss: Float = .nan,
                validationAccuracy: Float = .nan, testLoss: Float = .nan, testAccuracy: Float = .nan) {
        self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
        self.validationLoss = validationLoss; self.validationAccuracy = validationAccuracy
        self.testLoss = testLoss; self.testAccuracy = testAccuracy
    }
}

/// The state of every member after one epoch, handed to the caller in member order.
public struct EpochReport: Sendable {
    /// 0 = untrained, k = after k epochs of training.
    public var epoch: Int
    /// Each member's row after this epoch.
    public var rows: [[Float]]
    public var metrics: [EpochMetrics]
    /// Each member's optimizer and schedule state after this epoch (to resume from it).
    public var states: [MemberTrainingState]
    /// Wall-clock seconds spent training (all members) and evaluating in this epoch.
    public var trainingSeconds: Double = 0
    public var evaluationSeconds: Double = 0
}

/// Trains populations; see the file comment for the threading model.
public struct PopulationTrainer: Sendable {
    /// Worker threads (models trained concurrently).
    public var threads: Int
    /// Samples per forward pass when evaluating. 50 CNN-s samples' activations (1.7 MB) stay in
    /// L2 cache; 500 (17 MB) did not, and evaluated 2–2.5× slower.
    public var evaluationBatch: Int
    /// Whether epoch 0 also evaluates the full training set (the published code logs no train
    /// metrics at epoch 0; measuring them costs about a third of an epoch once).
    public var evaluateTrainAtEpochZero: Bool

    public init(threads: Int = defaultThreadCount(), evaluationBatch: Int = 50, evaluateTrainAtEpochZero: Bool = true) {
        self.threads = threads; self.evaluationBatch = evaluationBatch
        self.evaluateTrainAtEpochZero = evaluateTrainAtEpochZero
    }

    /// Trains `members` for `epochs` epochs on `data`, calling `onEpoch` (on the calling thread)
    /// with epoch 0 (if `evaluateEpochZero`) and after every epoch. `onSamples` (any thread)
    /// receives counts of training samples processed, for progress bars. Returns the final rows.
    /// `evaluates(epoch)` says after which trained epochs validation and test are measured (all
    /// by default); elsewhere the report carries only the training pass's running loss, except
    /// for members whose plateau schedule needs the validation loss every epoch.
    @discardableResult
    public func train(members: [PopulationMember], data: DatasetSplits, epochs: Int,
                      evaluateEpochZero: Bool = true, startEpoch: Int = 0,
                      evaluates: (@Sendable (Int) -> Bool)? = nil,
                      onSamples: (@Sendable (Int) -> Void)? = nil,
                      onEpoch: (EpochReport) throws -> Void) rethrows -> [[Float]] {
        let states = members.map { MemberState($0) }
        let evalBatch = evaluationBatch
        func report(_ epoch: Int, _ train: Double, _ eval: Double) -> EpochReport {
            EpochReport(epoch: epoch, rows: states.map { $0.rowArray() }, metrics: states.map { $0.metrics },
                        states: states.map { $0.trainingState() }, trainingSeconds: train, evaluationSeconds: eval)
        }
        if evaluateEpochZero && startEpoch == 0 {
            let withTrain = evaluateTrainAtEpochZero
            let t0 = Date()
            parallelForEach(count: states.count, threads: threads) { i, _ in
                states[i].metrics = states[i].evaluate(data, includeTrain: withTrain, batch: evalBatch)
            }
            try onEpoch(report(0, 0, Date().timeIntervalSince(t0)))
        }
        for epoch in (startEpoch + 1)..<(max(epochs, startEpoch) + 1) {
            // Train everyone, then evaluate everyone: two barriers per epoch, so training time
            // can be reported on its own.
            let t0 = Date()
            parallelForEach(count: states.count, threads: threads) { i, _ in
                let s = states[i]
                (s.metrics.trainLoss, s.metrics.trainAccuracy) = s.trainEpoch(epoch, on: data.train, onSamples: onSamples)
            }
            let t1 = Date()
            let measured = evaluates?(epoch) ?? true
            parallelForEach(count: states.count, threads: threads) { i, _ in
                let s = states[i]
                guard measured || s.scheduler.needsMetric else {
                    s.metrics = EpochMetrics(trainLoss: s.metrics.trainLoss, trainAccuracy: s.metrics.trainAccuracy)
                    s.scheduler.advance(toEpoch: epoch)
                    return
                }
                var m = s.evaluate(data, includeTrain: false, batch: evalBatch)
                m.trainLoss = s.metrics.trainLoss; m.trainAccuracy = s.metrics.trainAccuracy
                s.metrics = m
                s.scheduler.advance(toEpoch: epoch, metric: m.validationLoss.isNaN ? m.testLoss : m.validationLoss)
            }
            try onEpoch(report(epoch, t1.timeIntervalSince(t0), Date().timeIntervalSince(t1)))
        }
        return states.map { $0.rowArray() }
    }

    /// `train(members:…)` without a per-epoch callback; returns the final rows.
    @discardableResult
    public func train(members: [PopulationMember], data: DatasetSplits, epochs: Int,
                      evaluateEpochZero: Bool = true) -> [[Float]] {
        train(members: members, data: data, epochs: epochs, evaluateEpochZero: evaluateEpochZero) { _ in }
    }

    /// Fine-tunes (or trains) rows that share one architecture and recipe: the contract form used
    /// by hz-eval. Member i's data order is keyed by `seeds[i]` (default: i).
    @discardableResult
    public func train(initialRows: [[Float]], architecture: ArchitectureSpec, recipe: TrainingRecipe,
                      on data: DatasetSplits, epochs: Int, seeds: [UInt64]? = nil, evaluateEpochZero: Bool = true,
                      onSamples: (@Sendable (Int) -> Void)? = nil,
                      onEpoch: (EpochReport) throws -> Void) rethrows -> [[Float]] {
        let members = initialRows.enumerated().map { i, row in
            PopulationMember(architecture: architecture, recipe: recipe, seed: seeds?[i] ?? UInt64(i), initialRow: row)
        }
        return try train(members: members, data: data, epochs: epochs, evaluateEpochZero: evaluateEpochZero,
                         onSamples: onSamples, onEpoch: onEpoch)
    }
}

/// One member's row, gradient and optimizer; touched by one worker at a time.
// unchecked because: parallelForEach hands each state's index to exactly one worker, and its join
// orders one parallel region's writes before the next region's (or the caller's) reads.
final class MemberState: @unchecked Sendable {
    let member: PopulationMember
    let count: Int
    let row: UnsafeMutablePointer<Float>
    let gradient: UnsafeMutablePointer<Float>
    let optimizer: Optimizer
    var scheduler: LearningRateScheduler
    var metrics = EpochMetrics()

    init(_ m: PopulationMember) {
        member = m
        count = m.initialRow.count
        let n = m.initialRow.count
        let row = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        m.initialRow.withUnsafeBufferPointer { row.initialize(from: $0.baseAddress!, count: n) }
        self.row = row
        gradient = .allocate(capacity: max(count, 1))
        gradient.initialize(repeating: 0, count: max(count, 1))
        optimizer = Optimizer(m.recipe.optimizer, count: count)
        scheduler = LearningRateScheduler(m.recipe.schedule, base: m.recipe.optimizer.learningRate)
        if let r = m.resumeState {
            optimizer.loadState(steps: r.optimizerSteps, state: r.optimizerState)
            scheduler = r.scheduler
        }
    }

    func trainingState() -> MemberTrainingState {
        let (steps, state) = optimizer.saveState()
        return MemberTrainingState(optimizerSteps: steps, optimizerState: state, scheduler: scheduler)
    }

    deinit { row.deallocate(); gradient.deallocate() }

    func rowArray() -> [Float] { Array(UnsafeBufferPointer(start: row, count: count)) }

    /// One pass over `train` in a fresh order; returns the running mean loss and accuracy.
    func trainEpoch(_ epoch: Int, on train: ImageDataset, onSamples: (@Sendable (Int) -> Void)?) -> (Float, Float) {
        let B = member.recipe.batchSize
        let ws = NetworkWorkspace(architecture: member.architecture, capacity: B)
        var order = RandomStream(seed: member.seed, purpose: "shuffle", index: UInt64(epoch))
        let perm = order.permutation(train.count)
        var dropout = RandomStream(seed: member.seed, purpose: "dropout", index: UInt64(epoch))
        let lr = scheduler.current
        var lossSum: Double = 0, correct = 0, reported = 0
        var batchLabels = [Int32](repeating: 0, count: B)
        var start = 0
        while start < train.count {
            let n = min(B, train.count - start)
            let idx = perm[start..<(start + n)]
            ws.loadBatch(from: train, indices: idx)
            for (j, k) in idx.enumerated() { batchLabels[j] = train.labels[k] }
            ws.forward(row: row, batch: n, training: true, stream: &dropout)
            let r = batchLabels.withUnsafeBufferPointer { ws.loss(labels: $0.baseAddress!, batch: n, gradient: true) }
            gradient.update(repeating: 0, count: count)
            ws.backward(row: row, dRow: gradient, batch: n)
            if let clip = member.recipe.gradientClipNorm { clipGradientNorm(gradient, count: count, maxNorm: clip) }
            optimizer.step(values: row, gradients: gradient, learningRate: lr)
            lossSum += Double(r.loss) * Double(n)
            correct += r.correct
            start += n
            if let onSamples, start - reported >= 1000 || start == train.count {
                onSamples(start - reported)
                reported = start
            }
        }
        let N = Double(max(train.count, 1))
        return (Float(lossSum / N), Float(Double(correct) / N))
    }

    /// Validation and test (and optionally train) loss and accuracy of the current row.
    func evaluate(_ data: DatasetSplits, includeTrain: Bool, batch: Int) -> EpochMetrics {
        var m = EpochMetrics()
        let ws = NetworkWorkspace(architecture: member.architecture, capacity: batch)
        if includeTrain {
            let r = Nets.evaluate(row: row, workspace: ws, dataset: data.train)
            m.trainLoss = r.loss; m.trainAccuracy = r.accuracy
        }
        if let v = data.validation {
            let r = Nets.evaluate(row: row, workspace: ws, dataset: v)
            m.validationLoss = r.loss; m.validationAccuracy = r.accuracy
        }
        let t = Nets.evaluate(row: row, workspace: ws, dataset: data.test)
        m.testLoss = t.loss; m.testAccuracy = t.accuracy
        return m
    }
}
