// The training recipe hz-eval fine-tunes with (network, initialiser, optimizer, batch size,
// dataset), found in the zoo or given on the command line. Zoos made by hz-zoo store their spec as
// the zoo config; zoos converted by hz-convert from a Model Zoos folder store that folder's
// config.json (`zoo_config`) and every model's params.json (`hyperparameters`). Options given on
// the command line override what the zoo says; what neither gives is an error naming the option.
import ArgumentParser
import Foundation
import Formats
import Nets
import Tensor
import HyperRep
import ZooStore

/// Recipe options of hz-eval, for zoos without an hz-zoo recipe or to override parts of it.
public struct RecipeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Dataset the zoo was trained on: fashion-mnist, digits, idx, synthetic, mnist, svhn, cifar10 or stl10. Default: the zoo's recipe.", valueName: "name"))
    public var dataset: String?

    @Option(help: ArgumentHelp("Folder of MNIST-format IDX files (fashion-mnist, idx), the digits CSV, or the folder of mnist/svhn/cifar10/stl10's release files. Default: the Debian location, or $HYPERZOO_DATA/<name>.", valueName: "path"))
    public var datasetPath: String?

    @Option(help: ArgumentHelp("Pixel normalisation after scaling to [0, 1]: zoo ((x-0.5)/0.5), mnist, fmnist, or MEAN,STD.", valueName: "rule"))
    public var normalization: String?

    @Option(help: ArgumentHelp("Activation of the zoo's networks: tanh, relu, leakyrelu, sigmoid, silu, gelu.", valueName: "name"))
    public var activation: String?

    @Option(help: ArgumentHelp("Dropout probability of the zoo's networks.", valueName: "p"))
    public var dropout: Float?

    @Option(help: ArgumentHelp("Initialiser of B_T's fresh models: \(Initializer.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    public var initializer: String?

    @Option(help: ArgumentHelp("Fine-tuning optimizer: adam, adamw or sgd.", valueName: "name"))
    public var optimizer: String?

    @Option(name: .customLong("lr"), help: ArgumentHelp("Fine-tuning learning rate.", valueName: "lr"))
    public var learningRate: Float?

    @Option(help: ArgumentHelp("Fine-tuning weight decay.", valueName: "wd"))
    public var weightDecay: Float?

    @Option(help: ArgumentHelp("Fine-tuning batch size.", valueName: "n"))
    public var batchSize: Int?

    public init() {}

    public func validate() throws {
        if let dataset, !ZooSpec.datasetNames.contains(dataset) {
            throw ValidationError("--dataset '\(dataset)' is not one of \(ZooSpec.datasetNames.joined(separator: ", "))")
        }
        if let normalization, Self.parseNormalization(normalization) == nil {
            throw ValidationError("--normalization '\(normalization)' is not zoo, mnist, fmnist or MEAN,STD (STD > 0)")
        }
        if let activation, Activation(name: activation) == nil { throw ValidationError("--activation '\(activation)' is not a known activation") }
        if let initializer, Initializer(rawValue: initializer) == nil { throw ValidationError("--initializer '\(initializer)' is not a known initialiser") }
        if let optimizer, OptimizerKind(rawValue: optimizer.lowercased()) == nil { throw ValidationError("--optimizer must be adam, adamw or sgd") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--lr must be positive") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
    }

    static func parseNormalization(_ s: String) -> Normalization? {
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

/// The zoo's network, initialiser, training recipe and data: from its hz-zoo spec, or the Model
/// Zoos config/params.json that hz-convert stored, or the command line (which wins).
///
/// A grid ("Hyp") zoo mixes activations, dropout, initialisers, optimizers and learning rates:
/// every model's own values come from its record's hyperparameters (Model Zoos keys
/// `model::nlin`, `model::dropout`, `model::init_type`, `optim::optimizer`, `optim::lr`,
/// `optim::wd`, written by hz-zoo and by hz-convert from params.json), over the zoo-level
/// recipe; a command-line option overrides that field for every model.
struct ZooRecipe: CustomStringConvertible {
    /// The first model's network and recipe (every model's, unless `isMixed`).
    var architecture: ArchitectureSpec
    var training: TrainingRecipe
    var initializer: Initializer
    var dataset: ZooSpec.DatasetChoice
    /// Where the recipe came from, e.g. "hz-zoo spec" or "Model Zoos config.json (via hz-convert)".
    var source: String
    /// Per zoo model (`zoo.models` order): its own network, recipe and initialiser.
    var modelRecipes: [MemberRecipe]
    /// The distinct recipes, in order of first use, with the ids of the models using each.
    var distinctRecipes: [(recipe: MemberRecipe, models: [String])]

    /// Whether the zoo's models use more than one recipe.
    var isMixed: Bool { distinctRecipes.count > 1 }

    /// The recipe of zoo checkpoint `row`'s model.
    func recipe(ofRow row: Int, in zoo: ZooReader) -> MemberRecipe { modelRecipes[zoo.modelIndex[row]] }

    init(zoo: ZooReader, options: RecipeOptions = RecipeOptions()) throws {
        var (spec, source, datasetKnown) = try Self.storedSpec(zoo)
        let o = options
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
                throw ValidationError("\(zoo.path): the zoo stores no training recipe (no hz-zoo spec, no Model Zoos config.json or params.json); pass \(missing.joined(separator: " ")) (see hz-eval --help, \"Recipe\")")
            }
            guard let family = Self.family(of: zoo.table) else {
                throw ValidationError("\(zoo.path): its parameter table (\(zoo.table.entries.map(\.name).joined(separator: ", "))) is not CNN-s or CNN-m; hz-eval can only rebuild these networks without an hz-zoo spec")
            }
            spec = ZooSpec(name: zoo.architecture, architecture: .init(family: family.family, channels: family.channels),
                           dataset: .init(name: o.dataset!), initializer: .uniform, optimizer: .init(kind: .adam, learningRate: 1),
                           epochs: 0, seeds: [0])
            source = "command line"
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
            throw ValidationError("\(zoo.path): the zoo's config does not say which dataset it was trained on; pass --dataset (\(ZooSpec.datasetNames.joined(separator: ", ")); idx needs --dataset-path)")
        }
        if let v = o.normalization { s.dataset.normalization = RecipeOptions.parseNormalization(v) }
        if let v = o.activation { s.architecture.activation = Activation(name: v); s.grid?.activation = nil }
        if let v = o.dropout { s.architecture.dropout = v; s.grid?.dropout = nil }
        if let v = o.initializer { s.initializer = Initializer(rawValue: v)!; s.grid?.initializer = nil }
        if let v = o.optimizer { s.optimizer.kind = OptimizerKind(rawValue: v.lowercased())!; s.grid?.optimizer = nil }
        if let v = o.learningRate { s.optimizer.learningRate = v; s.grid?.learningRate = nil }
        if let v = o.weightDecay { s.optimizer.weightDecay = v; s.grid?.weightDecay = nil }
        if let v = o.batchSize { s.batchSize = v }
        let overridden = [o.dataset, o.datasetPath, o.normalization, o.activation, o.initializer, o.optimizer].contains { $0 != nil }
            || o.dropout != nil || o.learningRate != nil || o.weightDecay != nil || o.batchSize != nil
        if overridden && source != "command line" { source += ", with command-line overrides" }

        guard let combination = s.combinations.first else { throw ValidationError("\(zoo.path): the zoo's recipe has no model combinations") }
        dataset = s.dataset
        self.source = source
        // Each model's own grid point over the zoo-level one; options given on the command line win.
        let fixed = Overrides(activation: o.activation != nil, dropout: o.dropout != nil, initializer: o.initializer != nil,
                              optimizer: o.optimizer != nil, learningRate: o.learningRate != nil, weightDecay: o.weightDecay != nil)
        let perModel = source != "command line"
        var recipes: [MemberRecipe] = []
        var distinct: [(recipe: MemberRecipe, models: [String])] = []
        for model in zoo.models.isEmpty ? [ModelRecord(id: "-")] : zoo.models {
            let c = perModel ? try Self.combination(combination, of: model, keeping: fixed, zoo: zoo.path) : combination
            let recipe = MemberRecipe(architecture: s.architecture(for: c), training: s.recipe(for: c), initializer: c.initializer)
            // Shapes decide whether the recipe's network can run the zoo's rows; names may differ
            // (a zoo holding CNN-s with and without Dropout modules has both).
            guard recipe.architecture.parameterTable.hasSameStructure(as: zoo.table) else {
                throw ValidationError("\(zoo.path): the recipe's architecture \(recipe.architecture.name) (\(source), model \(model.id)) does not match the stored parameter table")
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
        func bad(_ key: String, _ expected: String) -> ValidationError {
            ValidationError("\(zoo): model \(model.id): hyperparameter \(key) = \(h[key]?.jsonText ?? "?") is not \(expected); fix the zoo or pass the option on the command line")
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
                throw ValidationError("\(zoo.path): its config is not a usable recipe (\(error)); pass the recipe options (see hz-eval --help)")
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

    /// CNN-s or CNN-m (1 or 3 channels) whose parameter shapes are those of `table` (state_dict
    /// names may differ: CNN-s with Dropout modules numbers its layers differently).
    static func family(of table: ParameterTable) -> (family: ArchitectureFamily, channels: Int)? {
        let candidates: [ArchitectureSpec] = [.cnnS(channels: 1), .cnnS(channels: 3), .cnnM(channels: 1), .cnnM(channels: 3)]
        return candidates.first { $0.parameterTable.hasSameStructure(as: table) }.map { ($0.family, $0.inputChannels) }
    }

    var datasetName: String { dataset.name }

    func loadData() throws -> DatasetSplits { try dataset.load(for: architecture, readers: .formats).adapted(to: architecture) }

    var description: String {
        if isMixed {
            return "\(distinctRecipes.count) recipes over \(modelRecipes.count) models (each model fine-tuned with its own): "
                + distinctRecipes.map { "\(Self.describe($0.recipe)) ×\($0.models.count)" }.joined(separator: "; ") + ", \(dataset.name) (\(source))"
        }
        return "\(Self.describe(modelRecipes[0])), \(dataset.name) (\(source))"
    }

    /// "cnn_s tanh dropout 0.0, adam lr 0.001 wd 0.0 batch 10, init uniform".
    static func describe(_ r: MemberRecipe) -> String {
        let o = r.training.optimizer
        return "\(r.architecture.name) \(r.architecture.activation.rawValue) dropout \(r.architecture.dropout), \(o.kind.rawValue) lr \(o.learningRate) wd \(o.weightDecay) batch \(r.training.batchSize), init \(r.initializer.rawValue)"
    }
}

extension DatasetReaders {
    /// The readers the commands use: CIFAR-10's python batches through Formats' restricted
    /// unpickler (Nets cannot import Formats; see docs/formats.md, "Datasets").
    public static let formats = DatasetReaders(cifarPythonBatch: { path in
        let batch = try CIFARPickle.readBatch(path: path)
        return CIFAR10.Batch(pixels: batch.pixels, labels: batch.labels)
    })
}
