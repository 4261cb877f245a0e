// The choice-valued options of every stage as types. swift-argument-parser then lists the
// choices in --help and in `--experimental-dump-help` (`allValues`, which the pipeline's operator
// catalogue turns into spec validation), and refuses any other value with its own message before
// the command runs. Library enums are conformed here rather than copied; the few choices that
// exist only on the command line are declared here too. The spelled values are the ones scripts,
// README, tests and pipeline specs use: never rename one. Lists and names: ArgumentLists.swift.
import ArgumentParser
import Archive
import HyperRep
import Nets
import Pipeline
import Tensor
import ZooStore

// MARK: Library enums, conformed where they are spelled on the command line

extension Split: ExpressibleByArgument {}
extension Metric: ExpressibleByArgument {}
extension SamplerKind: ExpressibleByArgument {}
extension EraseMode: ExpressibleByArgument {}
extension ArchiveFormat: ExpressibleByArgument {}
extension TokenizerChoice.Kind: ExpressibleByArgument {}
extension Initializer: ExpressibleByArgument {}

extension BottleneckKind: ExpressibleByArgument {}
extension DecompressionKind: ExpressibleByArgument {}
extension ReconstructionReduction: ExpressibleByArgument {}

extension ProjectionHeadShape: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension ScheduleChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension Activation: ExpressibleByArgument {
    /// Model Zoos spellings too, as before the option was typed: any case, `leaky_relu`.
    public init?(argument: String) { self.init(name: argument) }
}

extension OptimizerKind: ExpressibleByArgument {
    /// Any case, as before the option was typed (`Adam`).
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension Normalization: ExpressibleByArgument {
    /// `zoo`, `mnist`, `fmnist` or `MEAN,STD` with STD > 0 (no fixed list: the pipeline checks it as text).
    public init?(argument: String) {
        guard let rule = RecipeOverrides.parseNormalization(argument) else { return nil }
        self = rule
    }
}

extension NeighbourhoodSampler.BoxShape: ExpressibleByArgument {
    // The enum is not CaseIterable in HyperRep; the choice list must still reach --help and the
    // pipeline catalogue, so it is spelled once here.
    public static var allValueStrings: [String] { [Self.perComponent, .cube].map(\.rawValue) }
}

// MARK: Choices that exist only on the command line

/// `hz-sample --sampler`: a latent-space sampler, or the noise control (which perturbs zoo
/// models directly and needs no autoencoder, so it is no ``SamplerKind``).
enum SamplerChoice: Equatable, CaseIterable, ExpressibleByArgument {
    case latent(SamplerKind)
    case noiseControl

    static var allCases: [SamplerChoice] { SamplerKind.allCases.map(SamplerChoice.latent) + [.noiseControl] }

    init?(argument: String) {
        if argument == "noise-control" { self = .noiseControl; return }
        guard let kind = SamplerKind(rawValue: argument) else { return nil }
        self = .latent(kind)
    }

    var argument: String {
        switch self {
        case .latent(let kind): kind.rawValue
        case .noiseControl: "noise-control"
        }
    }

    var defaultValueDescription: String { argument }
    static var allValueStrings: [String] { allCases.map(\.argument) }
}

/// `hz-sample --anchor-split`: one split, or every model.
enum SplitFilter: Equatable, CaseIterable, ExpressibleByArgument {
    case only(Split)
    case any

    static var allCases: [SplitFilter] { Split.allCases.map(SplitFilter.only) + [.any] }

    init?(argument: String) {
        if argument == "any" { self = .any; return }
        guard let split = Split(rawValue: argument) else { return nil }
        self = .only(split)
    }

    var argument: String {
        switch self {
        case .only(let split): split.rawValue
        case .any: "any"
        }
    }

    /// The split to keep, nil for every model.
    var split: Split? {
        if case .only(let split) = self { return split }
        return nil
    }

    var defaultValueDescription: String { argument }
    static var allValueStrings: [String] { allCases.map(\.argument) }
}

/// `hz-eval --scratch`: where B_T's starting weights come from. HyperRep's EvaluationOptions
/// takes the raw value.
enum ScratchSource: String, CaseIterable, ExpressibleByArgument {
    /// Fresh initialisations drawn with the zoo's initialiser.
    case fresh = "init"
    /// The zoo's own test-split models at epoch 0.
    case zooTest = "zoo-test"
}

/// One of `hz-eval --baselines` (a comma-separated list of these, or none).
enum BaselineChoice: String, CaseIterable {
    /// Training from scratch.
    case bt
    /// Fine-tuning the zoo's own models.
    case bf
}

/// `hz-eval --transfer`: the fine-tuning target of the transfer experiment. "fmnist" is an alias
/// of fashion-mnist; a value is matched case-insensitively, as before it was typed.
enum TransferChoice: Equatable, CaseIterable, ExpressibleByArgument {
    case none
    case digits
    case fashionMNIST
    case paper(PaperDataset)

    static var allCases: [TransferChoice] { [.digits, .fashionMNIST] + PaperDataset.allCases.map(TransferChoice.paper) + [.none] }

    init?(argument: String) {
        switch argument.lowercased() {
        case "none": self = .none
        case "digits": self = .digits
        case "fashion-mnist", "fmnist": self = .fashionMNIST
        case let name:
            guard let dataset = PaperDataset(rawValue: name) else { return nil }
            self = .paper(dataset)
        }
    }

    var argument: String {
        switch self {
        case .none: "none"
        case .digits: "digits"
        case .fashionMNIST: "fashion-mnist"
        case .paper(let dataset): dataset.rawValue
        }
    }

    /// The name HyperRep's EvaluationOptions takes: "" for no transfer.
    var target: String { self == .none ? "" : argument }

    var defaultValueDescription: String { argument }
    // The alias is listed too, so a pipeline spec that says "fmnist" still validates.
    static var allValueStrings: [String] { allCases.map(\.argument) + ["fmnist"] }
}

/// `hz-convert --to`: the export format (the reverse of an import).
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case safetensors
}
