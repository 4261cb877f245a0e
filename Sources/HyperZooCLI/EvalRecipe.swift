// hz-eval's recipe options: the fields of the fine-tuning recipe given on the command line, for
// zoos that store none or to override what they store. HyperRep's ZooRecipe recovers the recipe
// from the zoo and applies them.
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
    var dataset: DatasetName?

    @Option(help: ArgumentHelp("Folder of MNIST-format IDX files (fashion-mnist, idx), the digits CSV, or the folder of mnist/svhn/cifar10/stl10's release files. Default: the Debian location, or $HYPERZOO_DATA/<name>.", valueName: "path"))
    public var datasetPath: String?

    @Option(help: ArgumentHelp("Pixel normalisation after scaling to [0, 1]: zoo ((x-0.5)/0.5), mnist, fmnist, or MEAN,STD.", valueName: "rule"))
    public var normalization: Normalization?

    @Option(help: ArgumentHelp("Activation of the zoo's networks: tanh, relu, leakyrelu, sigmoid, silu, gelu.", valueName: "name"))
    public var activation: Activation?

    @Option(help: ArgumentHelp("Dropout probability of the zoo's networks.", valueName: "p"))
    public var dropout: Float?

    @Option(help: ArgumentHelp("Initialiser of B_T's fresh models.", valueName: "name"))
    public var initializer: Initializer?

    @Option(help: ArgumentHelp("Fine-tuning optimizer: adam, adamw or sgd.", valueName: "name"))
    public var optimizer: OptimizerKind?

    @Option(name: .customLong("lr"), help: ArgumentHelp("Fine-tuning learning rate.", valueName: "lr"))
    public var learningRate: Float?

    @Option(help: ArgumentHelp("Fine-tuning weight decay.", valueName: "wd"))
    public var weightDecay: Float?

    @Option(help: ArgumentHelp("Fine-tuning batch size.", valueName: "n"))
    public var batchSize: Int?

    public init() {}

    public func validate() throws {
        if let learningRate, !(learningRate > 0) { throw ValidationError("--lr must be positive") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
    }

    /// The options as the library's plain overrides.
    var overrides: RecipeOverrides {
        RecipeOverrides(dataset: dataset?.name, datasetPath: datasetPath, normalization: normalization, activation: activation,
                        dropout: dropout, initializer: initializer, optimizer: optimizer, learningRate: learningRate,
                        weightDecay: weightDecay, batchSize: batchSize)
    }
}

extension ZooRecipe {
    /// The zoo's recipe with the command line's overrides (HyperRep's ZooRecipe does the work).
    init(zoo: ZooReader, options: RecipeOptions) throws { try self.init(zoo: zoo, options: options.overrides) }

    /// The zoo's dataset, read with the commands' readers.
    func loadData() throws -> DatasetSplits { try loadData(readers: .formats) }
}

extension DatasetReaders {
    /// The readers the commands use: CIFAR-10's python batches through Formats' restricted
    /// unpickler (Nets cannot import Formats; see docs/formats.md, "Datasets").
    public static let formats = DatasetReaders(cifarPythonBatch: { path in
        let batch = try CIFARPickle.readBatch(path: path)
        return CIFAR10.Batch(pixels: batch.pixels, labels: batch.labels)
    })
}
