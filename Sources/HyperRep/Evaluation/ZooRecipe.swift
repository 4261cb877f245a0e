// The training recipe hz-eval fine-tunes with (network, initialiser, optimizer, batch size,
// dataset), recovered from the zoo or given as overrides. Zoos made by hz-zoo store their spec as
// the zoo config; zoos converted by hz-convert from a Model Zoos folder store that folder's
// config.json (`zoo_config`) and every model's params.json (`hyperparameters`). Overrides win
// over what the zoo says; what neither gives is an error naming the command-line option.
import Foundation
import Nets
import Tensor
import ZooStore

/// Recipe fields given on the command line (nil: the zoo's own), as typed values.
public struct RecipeOverrides: Sendable, Equatable {
    public var dataset: String?
    public var datasetPath: String?
    /// zoo, mnist, fmnist or MEAN,STD on the command line (``parseNormalization(_:)``).
    public var normalization: Normalization?
    public var activation: Activation?
    public var dropout: Float?
    public var initializer: Initializer?
    public var optimizer: OptimizerKind?
    public var learningRate: Float?
    public var weightDecay: Float?
    public var batchSize: Int?

    public init(dataset: String? = nil, datasetPath: String? = nil, normalization: Normalization? = nil, activation: Activation? = nil,
                dropout: Float? = nil, initializer: Initializer? = nil, optimizer: OptimizerKind? = nil, learningRate: Float? = nil,
                weightDecay: Float? = nil, batchSize: Int? = nil) {
        self.dataset = dataset; self.datasetPath = datasetPath; self.normalization = normalization; self.activation = activation
        self.dropout = dropout; self.initializer = initializer; self.optimizer = optimizer; self.learningRate = learningRate
        self.weightDecay = weightDecay; self.batchSize = batchSize
    }

    /// Whether any field is given.
    var isEmpty: Bool { self == RecipeOverrides() }

    /// `zoo` ((x-0.5)/0.5), `mnist`, `fmnist`, or `MEAN,STD` with STD > 0; nil otherwise.
    public static func parseNormalization(_ s: String) -> Normalization? {
        switch s {
        case "zoo": return .zoo
        case "mnist": return .mnist
        case "fmnist": return .fashionMNISTStatistics
        default:
            let parts = s.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts[1] > 0 else { return nil }
            return Normalization(mean: parts[0], std: parts[1])
        }
    }
}

/// Where a ``ZooRecipe`` came from. The description is the text hz-eval prints and stores
/// (report.json `recipe_source`, --show-recipe): keep it unchanged.
public enum RecipeSource: CustomStringConvertible, Sendable, Equatable {
    /// The zoo stores no recipe: every field came from the command line.
    case commandLine
    /// The zoo's own recipe (e.g. "hz-zoo spec"), with or without command-line overrides.
    case stored(String, overridden: Bool)

    public var description: String {
        switch self {
        case .commandLine: "command line"
        case .stored(let origin, false): origin
        case .stored(let origin, true): origin + ", with command-line overrides"
        }
    }
}

/// The zoo's network, initialiser, training recipe and data: from its hz-zoo spec, or the Model
/// Zoos config/params.json that hz-convert stored, or the command line (which wins).
///
/// A grid ("Hyp") zoo mixes activations, dropout, initialisers, optimizers and learning rates:
/// every model's own values come from its record's hyperparameters (Model Zoos keys
/// `model::nlin`, `model::dropout`, `model::init_type`, `optim::optimizer`, `optim::lr`,
/// `optim::wd`, written by hz-zoo and by hz-convert from params.json), over the zoo-level
/// recipe; a command-line option overrides that field for every model.
public struct ZooRecipe: CustomStringConvertible, Sendable {
    /// The first model's network and recipe (every model's, unless `isMixed`).
    public var architecture: ArchitectureSpec
    public var training: TrainingRecipe
    public var initializer: Initializer
    public var dataset: ZooSpec.DatasetChoice
    /// Where the recipe came from.
    public var origin: RecipeSource
    /// `origin` as printed, e.g. "hz-zoo spec" or "Model Zoos config.json (stored by hz-convert)".
    public var source: String { origin.description }
    /// Per zoo model (`zoo.models` order): its own network, recipe and initialiser.
    public var modelRecipes: [MemberRecipe]
    /// The distinct recipes, in order of first use, with the ids of the models using each.
    public var distinctRecipes: [(recipe: MemberRecipe, models: [String])]

    /// Whether the zoo's models use more than one recipe.
    public var isMixed: Bool { distinctRecipes.count > 1 }

    /// The recipe of zoo checkpoint `row`'s model.
    public func recipe(ofRow row: Int, in zoo: ZooReader) -> MemberRecipe { modelRecipes[zoo.modelIndex[row]] }

    public init(zoo: ZooReader, options: RecipeOverrides = RecipeOverrides()) throws {
        var (spec, storedSource, datasetKnown) = try Self.storedSpec(zoo)
        let o = options
        let perModel = spec != nil
        if spec == nil {
            // Nothing stored: the architecture comes from the parameter table, the rest from options.
            var missing: [String] = []
            if o.dataset == nil { missing.append("--dataset") }
            if o.activation == nil { missing.append("--activation") }
            if o.initializer == nil { missing.append("--initializer") }
            if o.optimizer == nil { missing.append("--optimizer") }
            if o.learningRate == nil { missing.append("--lr") }
            if o.batchSize == nil { missing.append("--batch-size") }
            guard missing.isEmpty else {
                throw EvaluationError("\(zoo.path): the zoo stores no training recipe (no hz-zoo spec, no Model Zoos config.json or params.json); pass \(missing.joined(separator: " ")) (see hz-eval --help, \"Recipe\")")
            }
            guard let family = ArchitectureSpec.convolutionalFamily(matching: zoo.table) else {
                throw EvaluationError("\(zoo.path): its parameter table (\(zoo.table.entries.map(\.name).joined(separator: ", "))) is not CNN-s or CNN-m; hz-eval can only rebuild these networks without an hz-zoo spec")
            }
            spec = ZooSpec(name: zoo.architecture, architecture: .init(family: family.family, channels: family.channels),
                           dataset: .init(name: o.dataset!), initializer: .uniform, optimizer: .init(kind: .adam, learningRate: 1),
                           epochs: 0, seeds: [0])
            datasetKnown = true
        }
        var s = spec!
        if let v = o.dataset {
            s.dataset = ZooSpec.DatasetChoice(name: v, directory: o.datasetPath, normalization: s.dataset.normalization)
            datasetKnown = true
        } else if let p = o.datasetPath {
            s.dataset.directory = p
        }
        guard datasetKnown else {
            throw EvaluationError("\(zoo.path): the zoo's config does not say which dataset it was trained on; pass --dataset (\(ZooSpec.datasetNames.joined(separator: ", ")); idx needs --dataset-path)")
        }
        if let v = o.normalization { s.dataset.normalization = v }
        if let v = o.activation { s.architecture.activation = v; s.grid?.activation = nil }
        if let v = o.dropout { s.architecture.dropout = v; s.grid?.dropout = nil }
        if let v = o.initializer { s.initializer = v; s.grid?.initializer = nil }
        if let v = o.optimizer { s.optimizer.kind = v; s.grid?.optimizer = nil }
        if let v = o.learningRate { s.optimizer.learningRate = v; s.grid?.learningRate = nil }
        if let v = o.weightDecay { s.optimizer.weightDecay = v; s.grid?.weightDecay = nil }
        if let v = o.batchSize { s.batchSize = v }
        let source: RecipeSource = perModel ? .stored(storedSource, overridden: !o.isEmpty) : .commandLine

        guard let combination = s.combinations.first else { throw EvaluationError("\(zoo.path): the zoo's recipe has no model combinations") }
        dataset = s.dataset
        origin = source
        // Each model's own grid point over the zoo-level one; options given on the command line win.
        let fixed = Overrides(activation: o.activation != nil, dropout: o.dropout != nil, initializer: o.initializer != nil,
                              optimizer: o.optimizer != nil, learningRate: o.learningRate != nil, weightDecay: o.weightDecay != nil)
        var recipes: [MemberRecipe] = []
        var distinct: [(recipe: MemberRecipe, models: [String])] = []
        for model in zoo.models.isEmpty ? [ModelRecord(id: "-")] : zoo.models {
            let c = perModel ? try Self.combination(combination, of: model, keeping: fixed, zoo: zoo.path) : combination
            let recipe = MemberRecipe(architecture: s.architecture(for: c), training: s.recipe(for: c), initializer: c.initializer)
            // Shapes decide whether the recipe's network can run the zoo's rows; names may differ
            // (a zoo holding CNN-s with and without Dropout modules has both).
            guard recipe.architecture.parameterTable.hasSameStructure(as: zoo.table) else {
                throw EvaluationError("\(zoo.path): the recipe's architecture \(recipe.architecture.name) (\(source), model \(model.id)) does not match the stored parameter table")
            }
            recipes.append(recipe)
            if let k = distinct.firstIndex(where: { $0.recipe == recipe }) { distinct[k].models.append(model.id) } else { distinct.append((recipe, [model.id])) }
        }
        modelRecipes = recipes
        distinctRecipes = distinct
        architecture = recipes[0].architecture
        training = recipes[0].training
        initializer = recipes[0].initializer
    }

    /// Which recipe fields the command line fixed for every model.
    struct Overrides {
        var activation, dropout, initializer, optimizer, learningRate, weightDecay: Bool
    }

    /// `base` with the grid values stored in `model`'s hyperparameters (Model Zoos keys), except
    /// the fields the command line fixed.
    /// - Throws: a ValidationError naming the model and key for a value hz-eval cannot use.
    static func combination(_ base: ZooSpec.Combination, of model: ModelRecord, keeping fixed: Overrides,
                            zoo: String) throws -> ZooSpec.Combination {
        var c = base
        let h = model.hyperparameters
        func bad(_ key: String, _ expected: String) -> EvaluationError {
            EvaluationError("\(zoo): model \(model.id): hyperparameter \(key) = \(h[key]?.jsonText ?? "?") is not \(expected); fix the zoo or pass the option on the command line")
        }
        func number(_ key: String) throws -> Float? {
            guard let v = h[key], v != .null else { return nil }
            guard let d = v.doubleValue, d.isFinite else { throw bad(key, "a number") }
            return Float(d)
        }
        func text(_ key: String) throws -> String? {
            guard let v = h[key], v != .null else { return nil }
            guard let t = v.stringValue else { throw bad(key, "a string") }
            return t
        }
        if !fixed.activation, let t = try text("model::nlin") {
            guard let a = Activation(name: t) else { throw bad("model::nlin", "a known activation") }
            c.activation = a
        }
        if !fixed.dropout, let v = try number("model::dropout") {
            guard v >= 0 && v < 1 else { throw bad("model::dropout", "in [0, 1)") }
            c.dropout = v
        }
        if !fixed.initializer, let t = try text("model::init_type") {
            guard let i = Initializer(rawValue: t) else { throw bad("model::init_type", "a known initialiser") }
            c.initializer = i
        }
        if !fixed.optimizer, let t = try text("optim::optimizer") {
            guard let k = OptimizerKind(rawValue: t.lowercased()) else { throw bad("optim::optimizer", "adam, adamw or sgd") }
            c.optimizer = k
        }
        if !fixed.learningRate, let v = try number("optim::lr") {
            guard v > 0 else { throw bad("optim::lr", "positive") }
            c.learningRate = v
        }
        if !fixed.weightDecay, let v = try number("optim::wd") {
            guard v >= 0 else { throw bad("optim::wd", "≥ 0") }
            c.weightDecay = v
        }
        return c
    }

    /// The recipe stored in the zoo, where from, and whether it names the dataset.
    static func storedSpec(_ zoo: ZooReader) throws -> (ZooSpec?, String, Bool) {
        let config = zoo.config
        if config["converted_by"] == nil, config["architecture"] != nil || config["model::type"] != nil {
            do {
                // A Model Zoos config names its data only by the dump path.
                if config["model::type"] != nil { return try modelZoos(config, label: zoo.path + ":config", source: "Model Zoos config.json") }
                return (try ZooSpec.parse(Data(config.jsonText.utf8), label: zoo.path + ":config"), "hz-zoo spec", true)
            } catch {
                throw EvaluationError("\(zoo.path): its config is not a usable recipe (\(error)); pass the recipe options (see hz-eval --help)")
            }
        }
        // hz-convert: the folder's config.json, else the first model's params.json.
        let candidates: [(JSONValue?, String)] = [
            (config["zoo_config"], "Model Zoos config.json (stored by hz-convert)"),
            (zoo.models.first?.hyperparameters, "params.json of \(zoo.models.first?.id ?? "the first model") (stored by hz-convert)"),
        ]
        for case let (json?, source) in candidates where json["model::type"] != nil {
            if let found = try? modelZoos(json, label: source, source: source) { return found }
        }
        return (nil, "", false)
    }

    /// A Model Zoos recipe. Its dataset is the one `dataset::dump` names; when the dump is
    /// missing or names no dataset hyperzoo reads, the rest of the recipe is still used and the
    /// dataset is unknown (hz-eval then asks for --dataset; it never guesses).
    static func modelZoos(_ json: JSONValue, label: String, source: String) throws -> (ZooSpec?, String, Bool) {
        let dump = json["dataset::dump"]?.stringValue ?? ""
        if (try? ZooSpec.modelZoosDataset(dump: dump, label: label)) != nil {
            return (try ZooSpec.parse(Data(json.jsonText.utf8), label: label), source, true)
        }
        guard case .object(var fields) = json else { return (nil, "", false) }
        fields["dataset::dump"] = .string("unknown/fashion-mnist/dataset.pt")   // a placeholder, replaced by --dataset
        return (try ZooSpec.parse(Data(JSONValue.object(fields).jsonText.utf8), label: label), source, false)
    }

    public var datasetName: String { dataset.name }

    /// The zoo's dataset for its network (`readers`: the file readers Nets cannot import).
    public func loadData(readers: DatasetReaders) throws -> DatasetSplits {
        try dataset.load(for: architecture, readers: readers).adapted(to: architecture)
    }

    public var description: String {
        if isMixed {
            return "\(distinctRecipes.count) recipes over \(modelRecipes.count) models (each model fine-tuned with its own): "
                + distinctRecipes.map { "\(Self.describe($0.recipe)) ×\($0.models.count)" }.joined(separator: "; ") + ", \(dataset.name) (\(source))"
        }
        return "\(Self.describe(modelRecipes[0])), \(dataset.name) (\(source))"
    }

    /// "cnn_s tanh dropout 0.0, adam lr 0.001 wd 0.0 batch 10, init uniform".
    public static func describe(_ r: MemberRecipe) -> String {
        let o = r.training.optimizer
        return "\(r.architecture.name) \(r.architecture.activation.rawValue) dropout \(r.architecture.dropout), \(o.kind.rawValue) lr \(o.learningRate) wd \(o.weightDecay) batch \(r.training.batchSize), init \(r.initializer.rawValue)"
    }
}
