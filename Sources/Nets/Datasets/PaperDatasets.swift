// The four image datasets of the hyper-representation papers' zoos (MNIST, SVHN, CIFAR-10,
// STL-10), read from the files their releases ship (hyperzoo never downloads) and prepared as the
// Model Zoos generators prepare them (`train_zoo_*_uniform.py`, ../shared/research/paper-notes.md
// §1.3): the same PIL operations before ToTensor, the published normalisation, and the published
// train/validation images via torch's seeded random_split (TorchRandomSplit).
import Compression
import Foundation

/// A whole regular file's bytes (a FIFO or device would block or never end), or a DatasetError naming it.
func readBytes(_ path: String) throws -> [UInt8] {
    var info = stat()
    guard stat(path, &info) == 0 else { throw DatasetError("\(path): cannot read (\(String(cString: strerror(errno))))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw DatasetError("\(path): not a regular file") }
    do { return try readFileBytes(atPath: path) } catch let e as InflateError { throw DatasetError(e.description) }
}

/// Readers of formats that Nets cannot parse itself: the module graph gives Nets no access to
/// Formats (where the restricted unpickler lives), so the CLI hands these in (`DatasetReaders.formats`
/// in HyperZooCLI). Without them, CIFAR-10's python batches are refused with a hint to use the
/// binary batches.
public struct DatasetReaders: Sendable {
    /// Reads one pickled CIFAR-10 python batch (`data_batch_1`, ..., `test_batch`).
    public typealias PythonBatchReader = @Sendable (_ path: String) throws -> CIFAR10.Batch
    public var cifarPythonBatch: PythonBatchReader?
    public init(cifarPythonBatch: PythonBatchReader? = nil) { self.cifarPythonBatch = cifarPythonBatch }
}

/// A dataset of the papers' zoos.
public enum PaperDataset: String, CaseIterable, Sendable {
    case mnist, svhn, cifar10, stl10

    /// The environment variable naming a folder with one subfolder per dataset (mnist/, svhn/,
    /// cifar10/, stl10/), used when no folder is given.
    public static let environmentVariable = "HYPERZOO_DATA"

    /// The generators' Normalize: MNIST's statistics, (x − 0.5)/0.5 for the others.
    public var normalization: Normalization { self == .mnist ? .mnist : .zoo }

    /// Images of the release's training set and the generator's random_split lengths
    /// (train, validation); the test set is the release's test set.
    public var publishedSplit: (train: Int, validation: Int) {
        switch self {
        case .mnist: return (50_000, 10_000)
        case .svhn: return (60_000, 13_257)
        case .cifar10: return (42_000, 8_000)
        case .stl10: return (4_200, 800)
        }
    }

    /// The files the folder must hold, for messages.
    public var expectedFiles: String {
        switch self {
        case .mnist: return "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each optionally .gz)"
        case .svhn: return "train_32x32.mat and test_32x32.mat (the cropped-digits release)"
        case .cifar10: return "data_batch_1..5 and test_batch (python version) or data_batch_1..5.bin and test_batch.bin (binary version)"
        case .stl10: return "train_X.bin, train_y.bin, test_X.bin, test_y.bin (the binary release)"
        }
    }

    /// The folder to read: `directory` if given, else `$HYPERZOO_DATA/<name>`.
    /// - Throws: a DatasetError saying how to point hyperzoo at the files.
    public func folder(directory: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let directory { return directory }
        if let root = environment[Self.environmentVariable], !root.isEmpty {
            let folder = (root as NSString).appendingPathComponent(rawValue)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw DatasetError("\(folder): no such folder (\(Self.environmentVariable)=\(root)); put \(expectedFiles) there, or pass the folder with --dataset-path / dataset.directory")
            }
            return folder
        }
        throw DatasetError("dataset '\(rawValue)': no folder given; pass --dataset-path (or dataset.directory in the config) or set \(Self.environmentVariable) to a folder with a \(rawValue)/ subfolder holding \(expectedFiles). hyperzoo never downloads data")
    }

    /// The native images and labels of the release's training and test sets.
    func readRaw(folder: String, readers: DatasetReaders) throws -> (train: (RawImages, [Int32]), test: (RawImages, [Int32])) {
        switch self {
        case .mnist: return try MNIST.read(folder: folder)
        case .svhn: return try SVHN.read(folder: folder)
        case .cifar10: return try CIFAR10.read(folder: folder, readers: readers)
        case .stl10: return try STL10.read(folder: folder)
        }
    }

    /// Brings native images to the network's input as the generator would: grayscale (PIL L) for
    /// a 1-channel network, channel repetition of grayscale images for a 3-channel one; SVHN is
    /// centre-cropped (CenterCrop(28) for 28×28 networks), the others resized with PIL bilinear.
    func fit(_ raw: RawImages, channels: Int, height: Int, width: Int, label: String) throws -> RawImages {
        var x = raw
        if x.channels == 3 && channels == 1 { x = x.grayscale() }
        if x.channels == 1 && channels > 1 { x = x.repeatingChannel(channels) }
        guard x.channels == channels else { throw DatasetError("\(label): \(x.channels)-channel images cannot feed a \(channels)-channel network") }
        switch self {
        case .svhn:
            guard height <= x.height && width <= x.width else {
                throw DatasetError("\(label): SVHN images are \(x.height)×\(x.width); the recipe centre-crops them, so the network's input \(height)×\(width) must not be larger")
            }
            return x.centerCropped(height: height, width: width)
        default:
            return x.resizedBilinearPIL(height: height, width: width)
        }
    }

    /// The Model Zoos input of this dataset's small zoo: SVHN and MNIST 1×28×28, CIFAR-10 and STL-10 3×28×28.
    public var smallZooInput: (channels: Int, height: Int, width: Int) {
        switch self {
        case .mnist, .svhn: return (1, 28, 28)
        case .cifar10, .stl10: return (3, 28, 28)
        }
    }

    /// Loads train / validation / test splits for a network taking `input` (default: the small
    /// zoo's input). The training set is split by torch's random_split with `splitSeed` into the
    /// published lengths when the file holds the release's image count; otherwise into
    /// `trainSize` (or the published train fraction, rounded) and the rest.
    public func load(directory: String?, input: (channels: Int, height: Int, width: Int)? = nil,
                     normalization: Normalization? = nil, trainSize: Int? = nil, splitSeed: UInt64 = 42,
                     readers: DatasetReaders = DatasetReaders()) throws -> DatasetSplits {
        let folder = try folder(directory: directory)
        let (train, test) = try readRaw(folder: folder, readers: readers)
        let target = input ?? smallZooInput
        let norm = normalization ?? self.normalization
        let published = publishedSplit
        let total = train.0.count
        let trainCount: Int
        if let trainSize {
            guard trainSize >= 1 && trainSize <= total else {
                throw DatasetError("\(folder): dataset.train_size \(trainSize) is outside 1...\(total) (the training file holds \(total) images)")
            }
            trainCount = trainSize
        } else if total == published.train + published.validation {
            trainCount = published.train
        } else {
            trainCount = max(1, Int((Double(total) * Double(published.train) / Double(published.train + published.validation)).rounded()))
        }
        let parts = TorchRandomSplit.split(lengths: [trainCount, total - trainCount], seed: splitSeed)
        func prepare(_ raw: RawImages, _ labels: [Int32], _ suffix: String) throws -> ImageDataset {
            try fit(raw, channels: target.channels, height: target.height, width: target.width, label: folder)
                .normalized(norm, labels: labels, name: "\(rawValue)-\(suffix)")
        }
        let fullTrain = try prepare(train.0, train.1, "train-full")
        let validation = parts[1].isEmpty ? nil : fullTrain.subset(parts[1], name: "\(rawValue)-val")
        return DatasetSplits(train: fullTrain.subset(parts[0], name: "\(rawValue)-train"), validation: validation,
                             test: try prepare(test.0, test.1, "test"))
    }

    /// The first readable path among `candidates`, or an error naming them and the expected files.
    static func firstReadable(_ candidates: [String], dataset: PaperDataset, folder: String) throws -> String {
        for c in candidates where access(c, R_OK) == 0 { return c }
        throw DatasetError("\(candidates[0]): file not found in \(folder) (the \(dataset.rawValue) folder must hold \(dataset.expectedFiles))")
    }

    /// Checks labels are 0...9; `file` names the label source.
    static func checkLabels(_ labels: [Int32], file: String) throws {
        if let i = labels.firstIndex(where: { $0 < 0 || $0 > 9 }) {
            throw DatasetError("\(file): label \(labels[i]) of image \(i), expected 0...9")
        }
    }
}
