// hz-train fit's settings as typed values: what the command line gave (nil: not given), the
// model config and training options a new run builds from them (with the defaults for what was
// not given), and the check a resumed run makes (a given value that differs from the run's own
// is a conflict). The command parses; this decides.
import Tensor
import ZooStore

/// The projection head's shape: Linear/BatchNorm/ReLU layers, hidden width, output width.
public struct ProjectionHeadShape: Sendable, Equatable, CustomStringConvertible {
    public var layers: Int, hidden: Int, output: Int

    public init(layers: Int, hidden: Int, output: Int) { self.layers = layers; self.hidden = hidden; self.output = output }

    /// `l,h,o`: three positive integers, or nil.
    public init?(_ text: String) {
        let parts = text.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ $0 >= 1 }) else { return nil }
        self.init(layers: parts[0], hidden: parts[1], output: parts[2])
    }

    /// `4,400,50`.
    public var description: String { "\(layers),\(hidden),\(output)" }
}

/// A learning-rate schedule as written on the command line; cosine takes the run's epochs.
public enum ScheduleChoice: Sendable, Equatable {
    case constant, cosine
    case step(epochs: Int, factor: Float)
    case plateau(factor: Float, patience: Int)

    /// `constant`, `cosine`, `step:<epochs>:<factor>` or `plateau:<factor>:<patience>`, or nil.
    public init?(_ text: String) {
        let parts = text.split(separator: ":").map(String.init)
        switch parts.first {
        case "constant": self = .constant
        case "cosine": self = .cosine
        case "step" where parts.count == 3:
            guard let n = Int(parts[1]), let f = Float(parts[2]) else { return nil }
            self = .step(epochs: n, factor: f)
        case "plateau" where parts.count == 3:
            guard let f = Float(parts[1]), let p = Int(parts[2]) else { return nil }
            self = .plateau(factor: f, patience: p)
        default: return nil
        }
    }

    /// The schedule of a run of `epochs` epochs.
    public func schedule(epochs: Int) -> LearningRateSchedule {
        switch self {
        case .constant: .constant
        case .cosine: .cosine(epochs: epochs, minimum: 0)
        case .step(let n, let f): .step(stepSize: n, gamma: f)
        case .plateau(let f, let p): .reduceOnPlateau(factor: f, patience: p, threshold: 1e-4, minimum: 0)
        }
    }
}

/// The settings of an AE training run as given (nil: not given; a new run then uses `Defaults`).
public struct AutoencoderRunSettings: Sendable {
    // Architecture.
    public var width, heads, blocks, feedForwardWidth, latent: Int?
    public var dropout: Float?
    public var bottleneck: BottleneckKind?
    public var decompression: DecompressionKind?
    public var head: ProjectionHeadShape?
    // Objective.
    public var gamma, temperature: Float?
    public var noLayerNorm = false
    public var reduction: ReconstructionReduction?
    public var layerWeights: [Float]?
    // Augmentation.
    public var permute: Bool?
    public var noise, erase: Float?
    // Optimisation.
    public var epochs = 10
    public var batchSize: Int?
    public var optimizer: OptimizerKind?
    public var learningRate, weightDecay: Float?
    public var schedule: ScheduleChoice?
    public var clipNorm, clipValue: Float?
    public var seed: UInt64?

    public init() {}

    /// What a new run uses for a setting that was not given.
    public enum Defaults {
        public static let width = 64, heads = 4, blocks = 2, feedForwardWidth = 128, latent = 32
        public static let dropout: Float = 0.1
        public static let bottleneck = BottleneckKind.linear, decompression = DecompressionKind.linear
        public static let head = ProjectionHeadShape(layers: 4, hidden: 400, output: 50)
        public static let gamma: Float = 0.1, temperature: Float = 0.1
        public static let reduction = ReconstructionReduction.globalMean
        public static let permute = true
        public static let noise: Float = 0, erase: Float = 0.5
        public static let batchSize = 32
        public static let optimizer = OptimizerKind.adamW
        public static let learningRate: Float = 1e-4, weightDecay: Float = 1e-9
        public static let schedule = ScheduleChoice.constant
        public static let seed: UInt64 = 42
    }

    /// The clipping given (validated elsewhere: not both).
    var clipping: GradientClipping? { clipNorm.map { .norm($0) } ?? clipValue.map { .value($0) } }

    /// The network of a new run over `table`.
    public func modelConfig(table: ParameterTable) -> AutoencoderConfig {
        let h = head ?? Defaults.head
        return AutoencoderConfig(
            table: table, modelWidth: width ?? Defaults.width, heads: heads ?? Defaults.heads, blocks: blocks ?? Defaults.blocks,
            feedForwardWidth: feedForwardWidth ?? Defaults.feedForwardWidth, latentSize: latent ?? Defaults.latent,
            dropout: dropout ?? Defaults.dropout, bottleneck: bottleneck ?? Defaults.bottleneck,
            decompression: decompression ?? Defaults.decompression, projectionLayers: h.layers,
            projectionHidden: h.hidden, projectionOutput: h.output)
    }

    /// The training options of a new run.
    public func trainingOptions() -> AutoencoderTrainingOptions {
        let kind = optimizer ?? Defaults.optimizer
        return AutoencoderTrainingOptions(
            epochs: epochs, batchSize: batchSize ?? Defaults.batchSize,
            optimizer: OptimizerConfig(kind: kind, learningRate: learningRate ?? Defaults.learningRate,
                                       weightDecay: weightDecay ?? Defaults.weightDecay, momentum: kind == .sgd ? 0.9 : 0),
            schedule: (schedule ?? Defaults.schedule).schedule(epochs: epochs),
            clipping: clipping ?? GradientClipping.none,
            seed: seed ?? Defaults.seed, gamma: gamma ?? Defaults.gamma, temperature: temperature ?? Defaults.temperature,
            normalizeLoss: !noLayerNorm, reduction: reduction ?? Defaults.reduction,
            layerWeights: layerWeights,
            augment: AugmentOptions(permute: permute ?? Defaults.permute, noise: noise ?? Defaults.noise,
                                    eraseProbability: erase ?? Defaults.erase))
    }

    /// The given settings that differ from what the resumed run was trained with, each as
    /// "--option given (the run has stored)" (a resumed run cannot change them; the learning rate
    /// and the epochs can change and are not listed).
    public func resumeConflicts(config c: AutoencoderConfig, options o: AutoencoderTrainingOptions) -> [String] {
        var found: [String] = []
        func check<T: Equatable>(_ name: String, _ given: T?, _ stored: T) {
            if let given, given != stored { found.append("\(name) \(given) (the run has \(stored))") }
        }
        check("--width", width, c.modelWidth); check("--heads", heads, c.heads); check("--blocks", blocks, c.blocks)
        check("--ff-width", feedForwardWidth, c.feedForwardWidth); check("--latent", latent, c.latentSize)
        check("--dropout", dropout, c.dropout); check("--bottleneck", bottleneck?.rawValue, c.bottleneck.rawValue)
        check("--decompression", decompression?.rawValue, c.decompression.rawValue)
        check("--head", head?.description, "\(c.projectionLayers),\(c.projectionHidden),\(c.projectionOutput)")
        check("--gamma", gamma, o.gamma); check("--temperature", temperature, o.temperature)
        if noLayerNorm && o.normalizeLoss { found.append("--no-layer-norm (the run normalises the loss per layer)") }
        check("--reduction", reduction?.rawValue, o.reduction.rawValue)
        check("--layer-weights", layerWeights, o.layerWeights ?? [])
        check("--permute", permute, o.augment.permute); check("--noise", noise, o.augment.noise)
        check("--erase", erase, o.augment.eraseProbability)
        check("--batch-size", batchSize, o.batchSize); check("--optimizer", optimizer?.rawValue, o.optimizer.kind.rawValue)
        check("--weight-decay", weightDecay, o.optimizer.weightDecay)
        check("--schedule", schedule.map { "\($0.schedule(epochs: epochs))" }, "\(o.schedule)")
        check("--clip-norm/--clip-value", clipping.map { "\($0)" }, "\(o.clipping)")
        check("--seed", seed, o.seed)
        return found
    }
}
