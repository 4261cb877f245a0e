// The IDX format of MNIST and Fashion-MNIST (gzip-compressed or plain), and the Fashion-MNIST
// recipe of the Model Zoos generator `train_zoo_f_mnist_uniform.py`.
import Compression
import FileIO
import Tensor
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A dataset file could not be read; the message names the file and what was expected.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// IDX files: a big-endian header (magic 0x0000 08 nd, then nd dimension sizes) and uint8 data.
public enum IDX {
    /// Largest IDX data accepted (MNIST-format files hold at most ~50 MB): the header's dimensions
    /// are checked against it before anything is inflated or copied.
    public static let maximumBytes = 256 << 20

    /// Reads an IDX file of unsigned bytes (gzip if the name ends in .gz); returns shape and bytes.
    /// A .gz is inflated in two steps: the header first, then exactly the bytes it declares (≤
    /// `maximumBytes`), so a small file cannot inflate into gigabytes.
    public static func read(path: String) throws -> (shape: [Int], bytes: [UInt8]) {
        let raw: [UInt8]
        let shape: [Int]
        do {
            let file = try readFileBytes(atPath: path)
            let gzip = path.hasSuffix(".gz")
            let head = gzip ? try inflatePrefix(file, wrapping: .gzip, count: 4 + 4 * 255, label: path) : Array(file.prefix(4 + 4 * 255))
            shape = try header(head, path: path)
            let n = checkedElementCount(shape) ?? 0
            let total = 4 + 4 * shape.count + n
            raw = gzip ? try inflate(file, wrapping: .gzip, expectedSize: total, label: path) : file
        } catch let e as InflateError {
            throw DatasetError(e.description)
        }
        let n = checkedElementCount(shape) ?? 0, start = 4 + 4 * shape.count
        guard raw.count - start == n else {
            throw DatasetError("\(path): IDX shape \(shape) needs \(n) bytes, file holds \(raw.count - start)")
        }
        return (shape, Array(raw[start...]))
    }

    /// The dimensions in an IDX header, checked: 1–4 of them, their product ≤ `maximumBytes`.
    static func header(_ raw: [UInt8], path: String) throws -> [Int] {
        guard raw.count >= 4, raw[0] == 0, raw[1] == 0 else {
            throw DatasetError("\(path): not an IDX file (bad magic number)")
        }
        guard raw[2] == 0x08 else { throw DatasetError("\(path): IDX element type 0x\(String(raw[2], radix: 16)), expected 0x08 (unsigned byte)") }
        let nd = Int(raw[3])
        guard nd >= 1, nd <= 4, raw.count >= 4 + 4 * nd else { throw DatasetError("\(path): IDX header with \(nd) dimensions is truncated or unsupported (1 to 4)") }
        var shape: [Int] = []
        for d in 0..<nd {
            let o = 4 + 4 * d
            shape.append(Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3]))
        }
        guard let n = checkedElementCount(shape), n <= maximumBytes else {
            throw DatasetError("\(path): IDX shape \(shape) declares more than the \(maximumBytes >> 20) MiB this reader accepts (corrupt header?)")
        }
        return shape
    }

    /// Reads an image file [N, H, W] and its label file [N] into a dataset, normalising pixels as
    /// (x/255 − mean) / std.
    public static func loadImages(images: String, labels: String, name: String, mean: Float, std: Float) throws -> ImageDataset {
        let (shape, pixels) = try read(path: images)
        guard shape.count == 3 else { throw DatasetError("\(images): image file has shape \(shape), expected [N, H, W]") }
        let (lshape, lbytes) = try read(path: labels)
        guard lshape == [shape[0]] else {
            throw DatasetError("\(labels): \(lshape) labels for \(shape[0]) images in \(images)")
        }
        let scale = 1 / (255 * std), shift = mean / std
        let x = pixels.map { Float($0) * scale - shift }
        let classes = Int(lbytes.max() ?? 0) + 1
        return ImageDataset(name: name, images: x, labels: lbytes.map { Int32($0) }, channels: 1,
                            height: shape[1], width: shape[2], classes: max(classes, 10))
    }
}

/// How pixels are normalised after scaling to [0, 1].
public struct Normalization: Codable, Sendable, Equatable {
    public var mean: Float
    public var std: Float
    public init(mean: Float, std: Float) { self.mean = mean; self.std = std }
    /// (x − 0.5) / 0.5, the Model Zoos F-MNIST recipe (and SVHN, CIFAR, STL).
    public static let zoo = Normalization(mean: 0.5, std: 0.5)
    /// MNIST's mean/std (the Model Zoos MNIST recipe).
    public static let mnist = Normalization(mean: 0.1307, std: 0.3081)
    /// Fashion-MNIST's own mean/std (used by the PyTorch peer script).
    public static let fashionMNISTStatistics = Normalization(mean: 0.2860, std: 0.3530)
}

/// Fashion-MNIST (or any MNIST-format folder), split as the Model Zoos F-MNIST zoo.
public enum FashionMNIST {
    /// Debian's location (package `dataset-fashion-mnist`).
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The Debian package that provides the default directory.
    public static let debianPackage = "dataset-fashion-mnist"

    /// Loads `train-*` and `t10k-*` IDX files (gzip or plain) from `directory`, normalises them
    /// and splits the 60000 training images into `trainCount` / rest with a seeded permutation
    /// (the zoo recipe: 50000/10000, seed 42, (x − 0.5)/0.5). The split is deterministic for a
    /// seed but is not torch.random_split's permutation.
    public static func load(directory: String = defaultDirectory, normalization: Normalization = .zoo,
                            trainCount: Int = 50_000, splitSeed: UInt64 = 42) throws -> DatasetSplits {
        func file(_ stem: String) throws -> String {
            for candidate in ["\(directory)/\(stem).gz", "\(directory)/\(stem)"] where access(candidate, R_OK) == 0 {
                return candidate
            }
            let hint = directory == defaultDirectory
                ? " (install the Debian package \(debianPackage): sudo apt-get install \(debianPackage), or run tools/setup)"
                : " (expected MNIST-format IDX files, optionally .gz)"
            throw DatasetError("\(directory)/\(stem)[.gz]: file not found\(hint)")
        }
        let full = try IDX.loadImages(images: file("train-images-idx3-ubyte"), labels: file("train-labels-idx1-ubyte"),
                                      name: "fashion-mnist", mean: normalization.mean, std: normalization.std)
        let test = try IDX.loadImages(images: file("t10k-images-idx3-ubyte"), labels: file("t10k-labels-idx1-ubyte"),
                                      name: "fashion-mnist-test", mean: normalization.mean, std: normalization.std)
        return split(full, trainCount: trainCount, seed: splitSeed, test: test)
    }

    /// Splits `full` into train (`trainCount` samples) and validation (the rest) by a permutation
    /// drawn from `RandomStream(seed: seed, purpose: "dataset-split")`.
    public static func split(_ full: ImageDataset, trainCount: Int, seed: UInt64, test: ImageDataset) -> DatasetSplits {
        var r = RandomStream(seed: seed, purpose: "dataset-split")
        let perm = r.permutation(full.count)
        let n = min(trainCount, full.count)
        let train = full.subset(Array(perm[0..<n]), name: full.name + "-train")
        let val = n < full.count ? full.subset(Array(perm[n...]), name: full.name + "-val") : nil
        return DatasetSplits(train: train, validation: val, test: test)
    }
}
