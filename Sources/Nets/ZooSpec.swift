// The JSON description of a zoo to train (hz-zoo's CONFIG.json): architecture, data, recipe,
// seeds and an optional hyperparameter grid like the Model Zoos "Hyp" zoos. Keys are snake_case;
// see fixtures/zoo/fmnist-cnn-s.json. A Model Zoos generator config (keys `model::type`,
// `optim::lr`, `seed: {grid_search: [...]}`, ...) is accepted too and translated.
import FileIO
import Foundation
import Tensor
import ZooStore

/// A zoo to train.
public struct ZooSpec: Codable, Sendable, Equatable {
    /// The zoo's name (recorded in the file).
    public var name: String
    public var architecture: ArchitectureChoice
    public var dataset: DatasetChoice
    /// Weight initialiser (`model::init_type`); biases are always 0.01.
    public var initializer: Initializer
    public var optimizer: OptimizerChoice
    /// Samples per step (the published recipe: 10).
    public var batchSize: Int
    /// Training epochs after the epoch-0 evaluation.
    public var epochs: Int
    /// Training seeds: each seed keys a member's initial weights, data order and dropout.
    public var seeds: [Int]
    /// Values to vary; every combination is trained with every seed.
    public var grid: HyperparameterGrid?
    /// How models are assigned to train/val/test splits of the zoo itself.
    public var modelSplit: ModelSplitChoice
    /// The epochs whose checkpoints are written and evaluated (sorted); nil keeps every epoch.
    /// The paper's AE trains on epochs 21-25, so a zoo for it needs only `[0, 21, ..., 25]`:
    /// evaluation at the other epochs is skipped (unless a plateau schedule needs the
    /// validation loss), and the file holds a fifth of the rows.
    public var checkpointEpochs: [Int]?

    public struct ArchitectureChoice: Codable, Sendable, Equatable {
        public var family: ArchitectureFamily
        public var channels: Int?
        public var activation: Activation?
        public var dropout: Float?
        /// MLP hidden widths.
        public var hidden: [Int]?

        public init(family: ArchitectureFamily, channels: Int? = nil, activation: Activation? = nil,
                    dropout: Float? = nil, hidden: [Int]? = nil) {
            self.family = family; self.channels = channels; self.activation = activation
            self.dropout = dropout; self.hidden = hidden
        }
    }

    public struct DatasetChoice: Codable, Sendable, Equatable {
        /// `fashion-mnist` (the Debian package), `idx` (MNIST-format files in `directory`), `digits`
        /// (sklearn's UCI digits, 8×8 resized to the network's input; `directory` may name the
        /// CSV), `synthetic` (generated; for tests and smoke runs), or one of the papers' datasets
        /// `mnist`, `svhn`, `cifar10`, `stl10` (``PaperDataset``: their release files in
        /// `directory`, else in `$HYPERZOO_DATA/<name>`).
        public var name: String
        public var directory: String?
        public var normalization: Normalization?
        /// Training images (the rest of the 60000 training set is the validation set).
        public var trainSize: Int?
        public var splitSeed: Int?
        /// Use only the first n images of each split after splitting (quick runs).
        public var limitTrain: Int?
        public var limitValidation: Int?
        public var limitTest: Int?
        /// For `synthetic`: samples in train / val / test.
        public var syntheticCounts: [Int]?

        public init(name: String, directory: String? = nil, normalization: Normalization? = nil, trainSize: Int? = nil,
                    splitSeed: Int? = nil, limitTrain: Int? = nil, limitValidation: Int? = nil, limitTest: Int? = nil,
                    syntheticCounts: [Int]? = nil) {
            self.name = name; self.directory = directory; self.normalization = normalization; self.trainSize = trainSize
            self.splitSeed = splitSeed; self.limitTrain = limitTrain; self.limitValidation = limitValidation
            self.limitTest = limitTest; self.syntheticCounts = syntheticCounts
        }
    }

    public struct OptimizerChoice: Codable, Sendable, Equatable {
        public var kind: OptimizerKind
        public var learningRate: Float
        public var weightDecay: Float?
        public var momentum: Float?

        public init(kind: OptimizerKind, learningRate: Float, weightDecay: Float? = nil, momentum: Float? = nil) {
            self.kind = kind; self.learningRate = learningRate; self.weightDecay = weightDecay; self.momentum = momentum
        }
    }

    public struct HyperparameterGrid: Codable, Sendable, Equatable {
        public var activation: [Activation]?
        public var dropout: [Float]?
        public var initializer: [Initializer]?
        public var optimizer: [OptimizerKind]?
        public var learningRate: [Float]?
        public var weightDecay: [Float]?
    }

    public struct ModelSplitChoice: Codable, Sendable, Equatable {
        public var seed: Int
        public var fractions: [Double]
        public static let standard = ModelSplitChoice(seed: 42, fractions: [0.7, 0.15, 0.15])
    }

    enum CodingKeys: String, CodingKey {
        case name, architecture, dataset, initializer, optimizer, batchSize, epochs, seeds, grid, modelSplit, checkpointEpochs
    }

    public init(name: String, architecture: ArchitectureChoice, dataset: DatasetChoice, initializer: Initializer,
                optimizer: OptimizerChoice, batchSize: Int = 10, epochs: Int, seeds: [Int],
                grid: HyperparameterGrid? = nil, modelSplit: ModelSplitChoice = .standard) {
        self.name = name; self.architecture = architecture; self.dataset = dataset; self.initializer = initializer
        self.optimizer = optimizer; self.batchSize = batchSize; self.epochs = epochs; self.seeds = seeds
        self.grid = grid; self.modelSplit = modelSplit
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "zoo"
        architecture = try c.decode(ArchitectureChoice.self, forKey: .architecture)
        dataset = try c.decode(DatasetChoice.self, forKey: .dataset)
        initializer = try c.decodeIfPresent(Initializer.self, forKey: .initializer) ?? .uniform
        optimizer = try c.decode(OptimizerChoice.self, forKey: .optimizer)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 10
        epochs = try c.decode(Int.self, forKey: .epochs)
        // Seeds: a list, or {"start": s, "count": n}.
        if let list = try? c.decode([Int].self, forKey: .seeds) {
            seeds = list
        } else {
            struct Range: Codable { var start: Int; var count: Int }
            let r = try c.decode(Range.self, forKey: .seeds)
            // Checked before the list is built: a count from a file must not allocate or overflow.
            guard r.start >= 0, r.count >= 0, r.count <= ZooSpec.Limits.seeds, r.start <= Int.max - r.count else {
                throw DecodingError.dataCorruptedError(forKey: .seeds, in: c, debugDescription:
                    "seeds {start \(r.start), count \(r.count)}: expected start ≥ 0 and 0 < count ≤ \(ZooSpec.Limits.seeds)")
            }
            seeds = Array(r.start..<(r.start + r.count))
        }
        grid = try c.decodeIfPresent(HyperparameterGrid.self, forKey: .grid)
        modelSplit = try c.decodeIfPresent(ModelSplitChoice.self, forKey: .modelSplit) ?? .standard
        checkpointEpochs = try c.decodeIfPresent([Int].self, forKey: .checkpointEpochs).map { Array(Set($0)).sorted() }
    }

    /// Reads a spec file (ours or a Model Zoos config.json); errors name the file and the key.
    public static func load(path: String) throws -> ZooSpec {
        let bytes: [UInt8]
        do { bytes = try readRegularFile(atPath: path, limit: maxConfigFileBytes) } catch let error as InputFileError {
            throw DatasetError("\(path): cannot read the zoo config: \(error.reason)")
        }
        return try parse(Data(bytes), label: path)
    }

    /// Parses spec JSON (ours or a Model Zoos config).
    public static func parse(_ data: Data, label: String = "config") throws -> ZooSpec {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let spec: ZooSpec
        var parsed: JSONValue?
        do {
            let json = try JSONDecoder().decode(JSONValue.self, from: data)
            parsed = json
            if json["model::type"] != nil {
                spec = try fromModelZoos(json, label: label)
            } else {
                spec = try decoder.decode(ZooSpec.self, from: data)
            }
        } catch let e as DatasetError {
            throw e
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw DatasetError("\(label): missing key '\(snake(ctx.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw DatasetError("\(label): bad value at '\(snake(ctx.codingPath))': \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            // Valid JSON whose number does not fit its field (Foundation then says "not valid JSON",
            // with no path): name the number.
            if ctx.codingPath.isEmpty, let parsed, let (path, value) = outOfRangeNumber(in: parsed) {
                throw DatasetError("\(label): at '\(path)': \(value) is out of range (rates and sizes in a zoo config must fit float32, about ±3.4e38 and not below 1.2e-38 except 0; counts must be integers)")
            }
            throw DatasetError("\(label): \(ctx.codingPath.isEmpty ? "" : "at '\(snake(ctx.codingPath))': ")\(ctx.debugDescription)")
        } catch {
            throw DatasetError("\(label): \(error)")
        }
        try spec.validate(label: label)
        return spec
    }

    /// The first number in `json` (depth first, keys sorted) that no config field can hold: beyond
    /// float32's range or below its smallest normal value, or an integer beyond Int64.
    static func outOfRangeNumber(in json: JSONValue, path: String = "") -> (path: String, value: Double)? {
        switch json {
        case .number(let x):
            let magnitude = x.magnitude
            let misfit = magnitude > Double(Float.greatestFiniteMagnitude) || (x != 0 && magnitude < Double(Float.leastNormalMagnitude))
                || (x.rounded() == x && magnitude >= 0x1p63)
            return misfit ? (path, x) : nil
        case .array(let items):
            for (i, item) in items.enumerated() { if let hit = outOfRangeNumber(in: item, path: path + "[\(i)]") { return hit } }
            return nil
        case .object(let members):
            for key in members.keys.sorted() {
                if let hit = outOfRangeNumber(in: members[key]!, path: path.isEmpty ? key : path + "." + key) { return hit }
            }
            return nil
        default:
            return nil
        }
    }

    static func snake(_ path: [any CodingKey]) -> String {
        path.map { k in
            k.intValue.map { "[\($0)]" } ?? k.stringValue.reduce(into: "") { s, ch in
                if ch.isUppercase { s += "_" + ch.lowercased() } else { s.append(ch) }
            }
        }.joined(separator: ".")
    }

    /// Plausibility bounds on the sizes a spec may ask for (a typo such as 1e12 must be an error
    /// line, not an allocation failure); generous for anything this toolkit trains.
    public enum Limits {
        public static let epochs = 100_000
        public static let batchSize = 1 << 16
        public static let channels = 4096
        public static let hiddenLayers = 64
        public static let hiddenWidth = 1 << 16
        public static let seeds = 1_000_000
    }

    /// Checks ranges and that every grid combination has the same parameter shapes.
    public func validate(label: String = "config") throws {
        func fail(_ m: String) -> DatasetError { DatasetError("\(label): \(m)") }
        guard epochs >= 0, epochs <= Limits.epochs else { throw fail("epochs must be in 0...\(Limits.epochs), got \(epochs)") }
        guard batchSize >= 1, batchSize <= Limits.batchSize else { throw fail("batch_size must be in 1...\(Limits.batchSize), got \(batchSize)") }
        if let ch = architecture.channels, !(1...Limits.channels).contains(ch) {
            throw fail("architecture.channels must be in 1...\(Limits.channels), got \(ch)")
        }
        if let hidden = architecture.hidden, hidden.count > Limits.hiddenLayers || hidden.contains(where: { !(1...Limits.hiddenWidth).contains($0) }) {
            throw fail("architecture.hidden must list at most \(Limits.hiddenLayers) widths in 1...\(Limits.hiddenWidth), got \(hidden.prefix(8))")
        }
        guard seeds.count <= Limits.seeds else { throw fail("\(seeds.count) seeds, at most \(Limits.seeds)") }
        if let kept = checkpointEpochs {
            guard !kept.isEmpty else { throw fail("checkpoint_epochs is empty: list the epochs to keep, e.g. [0, 21, 22, 23, 24, 25]") }
            if let bad = kept.first(where: { $0 < 0 || $0 > epochs }) {
                throw fail("checkpoint_epochs holds epoch \(bad), outside 0...\(epochs) (the run trains \(epochs) epochs)")
            }
        }
        guard !seeds.isEmpty else { throw fail("seeds is empty: give a list or {\"start\": 1, \"count\": n}") }
        guard Set(seeds).count == seeds.count else { throw fail("seeds contains duplicates") }
        guard seeds.allSatisfy({ $0 >= 0 }) else { throw fail("seeds must be non-negative") }
        guard modelSplit.fractions.count == 3, modelSplit.fractions.allSatisfy({ $0 >= 0 }) else {
            throw fail("model_split.fractions must be three non-negative numbers (train, val, test)")
        }
        if !Self.datasetNames.contains(dataset.name) {
            throw fail("dataset.name '\(dataset.name)' is not one of \(Self.datasetNames.joined(separator: ", "))")
        }
        if PaperDataset(rawValue: dataset.name) != nil, let n = dataset.trainSize, n < 1 {
            throw fail("dataset.train_size must be ≥ 1, got \(n)")
        }
        if dataset.name == "idx" && dataset.directory == nil { throw fail("dataset.directory is required for an idx dataset") }
        // Several layouts (dropout > 0 inserts Dropout modules and renames layers) share one file
        // only if their parameter shapes agree.
        let layouts = self.layouts
        for layout in layouts.dropFirst() {
            if let difference = layout.table.structureDifference(from: layouts[0].table) {
                throw fail("the grid gives networks of different parameter shapes (\(layout.name) vs \(layouts[0].name): \(difference)); a zoo file holds networks of one shape")
            }
        }
    }

    /// The zoo file's parameter layouts, in order of first use by `combinations`: one, unless the
    /// grid mixes dropout 0 and > 0 for CNN-s or the MLP, whose Dropout modules shift the
    /// `module_list` indices. Then the layout without Dropout modules keeps the architecture's
    /// name (`cnn_s`) and the other gets `_dropout` (`cnn_s_dropout`); shapes are the same.
    public var layouts: [ZooLayout] {
        var tables: [ParameterTable] = []
        var dropoutModules: [Bool] = []
        var baseName = ""
        for c in combinations {
            let arch = architecture(for: c)
            baseName = arch.name
            let table = arch.parameterTable
            if !tables.contains(table) {
                tables.append(table)
                dropoutModules.append(arch.modules.contains { if case .dropout = $0 { return true } else { return false } })
            }
        }
        guard tables.count > 1 else { return tables.map { ZooLayout(name: baseName, table: $0) } }
        var used = Set<String>()
        return zip(tables, dropoutModules).enumerated().map { k, pair in
            var name = baseName + (pair.1 ? "_dropout" : "")
            if !used.insert(name).inserted { name += "_\(k)"; used.insert(name) }
            return ZooLayout(name: name, table: pair.0)
        }
    }

    /// The name of the layout (in `layouts`) that the networks of combination `c` use.
    public func layoutName(for c: Combination) -> String {
        let table = architecture(for: c).parameterTable
        return layouts.first { $0.table == table }!.name
    }

    /// One point of the hyperparameter grid.
    public struct Combination: Sendable, Equatable {
        public var activation: Activation
        public var dropout: Float
        public var initializer: Initializer
        public var optimizer: OptimizerKind
        public var learningRate: Float
        public var weightDecay: Float

        /// As JSON with Model Zoos-style keys, for the model records.
        public var json: JSONValue {
            ["model::nlin": .string(activation.rawValue), "model::dropout": .number(Double(dropout)),
             "model::init_type": .string(initializer.rawValue), "optim::optimizer": .string(optimizer.rawValue),
             "optim::lr": .number(Double(learningRate)), "optim::wd": .number(Double(weightDecay))]
        }
    }

    /// Every grid combination, in a fixed order (activation, dropout, init, optimizer, lr, wd).
    public var combinations: [Combination] {
        let g = grid
        var out: [Combination] = []
        for a in g?.activation ?? [architecture.activation ?? .tanh] {
            for d in g?.dropout ?? [architecture.dropout ?? 0] {
                for i in g?.initializer ?? [initializer] {
                    for o in g?.optimizer ?? [optimizer.kind] {
                        for lr in g?.learningRate ?? [optimizer.learningRate] {
                            for wd in g?.weightDecay ?? [optimizer.weightDecay ?? 0] {
                                out.append(Combination(activation: a, dropout: d, initializer: i, optimizer: o,
                                                       learningRate: lr, weightDecay: wd))
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The network of one combination.
    public func architecture(for c: Combination) -> ArchitectureSpec {
        let ch = architecture.channels ?? 1
        switch architecture.family {
        case .cnnS: return .cnnS(channels: ch, activation: c.activation, dropout: c.dropout)
        case .cnnM: return .cnnM(channels: ch, activation: c.activation, dropout: c.dropout)
        case .mlp: return .mlp(channels: ch, hidden: architecture.hidden ?? [32], activation: c.activation, dropout: c.dropout)
        }
    }

    /// The training recipe of one combination.
    public func recipe(for c: Combination) -> TrainingRecipe {
        let config: OptimizerConfig
        switch c.optimizer {
        case .adam: config = .adam(learningRate: c.learningRate, weightDecay: c.weightDecay)
        case .adamW: config = .adamW(learningRate: c.learningRate, weightDecay: c.weightDecay)
        case .sgd: config = .sgd(learningRate: c.learningRate, momentum: optimizer.momentum ?? 0.9, weightDecay: c.weightDecay)
        }
        return TrainingRecipe(optimizer: config, batchSize: batchSize)
    }

    /// The spec with `trainSize` etc. overridden (command-line knobs).
    public func overriding(models: Int? = nil, epochs: Int? = nil, trainSize: Int? = nil, seed: Int? = nil,
                           checkpointEpochs: Set<Int>? = nil) -> ZooSpec {
        var s = self
        if let checkpointEpochs { s.checkpointEpochs = checkpointEpochs.sorted() }
        if let seed { s.seeds = Array(seed..<(seed + (models ?? seeds.count))) }
        else if let models { s.seeds = Array((seeds.first ?? 1)..<((seeds.first ?? 1) + models)) }
        if let epochs { s.epochs = epochs }
        if let trainSize { s.dataset.limitTrain = trainSize }
        return s
    }

    /// Whether the checkpoint after `epoch` (0 = untrained) is kept.
    public func keepsCheckpoint(atEpoch epoch: Int) -> Bool {
        checkpointEpochs.map { $0.contains(epoch) } ?? true
    }

    /// The dataset names a spec may give.
    public static let datasetNames = ["fashion-mnist", "idx", "digits", "synthetic"] + PaperDataset.allCases.map(\.rawValue)
}
