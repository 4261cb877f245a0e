// Models, splits and metrics: the per-model and per-checkpoint records of a zoo.

/// Which part of a train/val/test split a model belongs to (all its checkpoints with it).
public enum Split: String, Sendable, Codable, CaseIterable, Hashable {
    case train, val, test

    /// Assigns each model to a split, deterministically from `seed`.
    ///
    /// The IDs are sorted first, so the result does not depend on their order; a seeded
    /// Fisher–Yates shuffle then gives the first `round(n·train)` models to train, the next
    /// `round(n·val)` to val and the rest to test. Splitting by model keeps every epoch of a
    /// model in one split.
    /// - Returns: one split per entry of `modelIDs`, in the same order.
    public static func assign(modelIDs: [String], seed: UInt64,
                              fractions: (train: Double, val: Double, test: Double) = (0.7, 0.15, 0.15)) -> [Split] {
        let unique = Array(Set(modelIDs)).sorted()
        var order = unique
        var state = seed
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(splitMix64(&state) % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        let total = max(fractions.train + fractions.val + fractions.test, .ulpOfOne)
        let n = Double(order.count)
        let trainCount = Int((n * fractions.train / total).rounded())
        let valCount = min(order.count - trainCount, Int((n * fractions.val / total).rounded()))
        var result: [String: Split] = [:]
        for (position, id) in order.enumerated() {
            result[id] = position < trainCount ? .train : (position < trainCount + valCount ? .val : .test)
        }
        return modelIDs.map { result[$0]! }
    }
}

/// SplitMix64: a tiny, well-known seeded generator, enough for shuffling split orders.
func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// One model of a zoo (a row of the `/models` table).
public struct ModelRecord: Sendable, Equatable, Codable {
    /// Unique within the file, e.g. `NN_tune_trainable_8f2a1_00003` or `m0042`.
    public var id: String
    /// The model's training seed, if known (stored as -1 when unknown).
    public var seed: Int?
    /// The dataset it was trained on, e.g. `fashion-mnist`.
    public var dataset: String?
    public var split: Split
    /// Training hyperparameters (JSON object).
    public var hyperparameters: JSONValue
    /// Where the model came from: generator, source files, versions (JSON object).
    public var provenance: JSONValue

    public init(id: String, seed: Int? = nil, dataset: String? = nil, split: Split = .train,
                hyperparameters: JSONValue = [:], provenance: JSONValue = [:]) {
        self.id = id
        self.seed = seed
        self.dataset = dataset
        self.split = split
        self.hyperparameters = hyperparameters
        self.provenance = provenance
    }
}

/// Per-checkpoint metrics. NaN means unknown.
public struct CheckpointMetrics: Sendable, Equatable {
    public var trainLoss: Float
    public var trainAccuracy: Float
    public var valLoss: Float
    public var valAccuracy: Float
    public var testLoss: Float
    public var testAccuracy: Float

    public init(trainLoss: Float = .nan, trainAccuracy: Float = .nan, valLoss: Float = .nan,
                valAccuracy: Float = .nan, testLoss: Float = .nan, testAccuracy: Float = .nan) {
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.valLoss = valLoss
        self.valAccuracy = valAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
    }

    /// All metrics unknown.
    public static let unknown = CheckpointMetrics()

    /// The value of one metric.
    public subscript(metric: Metric) -> Float {
        get {
            switch metric {
            case .trainLoss: trainLoss
            case .trainAccuracy: trainAccuracy
            case .valLoss: valLoss
            case .valAccuracy: valAccuracy
            case .testLoss: testLoss
            case .testAccuracy: testAccuracy
            }
        }
        set {
            switch metric {
            case .trainLoss: trainLoss = newValue
            case .trainAccuracy: trainAccuracy = newValue
            case .valLoss: valLoss = newValue
            case .valAccuracy: valAccuracy = newValue
            case .testLoss: testLoss = newValue
            case .testAccuracy: testAccuracy = newValue
            }
        }
    }

    /// NaN-aware equality (two unknowns are equal).
    public static func == (a: CheckpointMetrics, b: CheckpointMetrics) -> Bool {
        Metric.allCases.allSatisfy { m in a[m] == b[m] || (a[m].isNaN && b[m].isNaN) }
    }
}

/// A per-checkpoint metric; the raw value is its dataset name in the file.
public enum Metric: String, Sendable, CaseIterable, Codable {
    case trainLoss = "train_loss"
    case trainAccuracy = "train_acc"
    case valLoss = "val_loss"
    case valAccuracy = "val_acc"
    case testLoss = "test_loss"
    case testAccuracy = "test_acc"

    /// Whether larger values are better (accuracies) or smaller (losses).
    public var higherIsBetter: Bool {
        switch self {
        case .trainAccuracy, .valAccuracy, .testAccuracy: true
        case .trainLoss, .valLoss, .testLoss: false
        }
    }
}
