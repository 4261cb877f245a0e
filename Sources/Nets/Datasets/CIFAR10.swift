// CIFAR-10 in either release: the binary batches (`cifar-10-batches-bin/data_batch_1.bin` ...
// `data_batch_5.bin`, `test_batch.bin`: records of one label byte and 3072 pixel bytes, the red,
// green and blue 32×32 planes row by row) or the python batches (`cifar-10-batches-py/data_batch_1`
// ..., pickled dicts with b'data' uint8 [N, 3072] and b'labels'), read through the restricted
// unpickler in Formats (see DatasetReaders). The five training batches are concatenated in order,
// as torchvision does. The Model Zoos small CIFAR-10 zoo resizes to 28×28 (PIL bilinear), the
// large (CNN-m) zoo keeps 32×32; both use Normalize(0.5, 0.5) and random_split 42000/8000 (seed 42).
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

public enum CIFAR10 {
    /// One batch: `labels.count` images of 3072 bytes each, and their labels.
    public struct Batch: Sendable {
        public var pixels: [UInt8]
        public var labels: [Int32]
        public init(pixels: [UInt8], labels: [Int32]) { self.pixels = pixels; self.labels = labels }
    }

    public static let imageBytes = 3 * 32 * 32
    static let trainBatches = (1...5).map { "data_batch_\($0)" }

    static func read(folder: String, readers: DatasetReaders) throws -> (train: (RawImages, [Int32]), test: (RawImages, [Int32])) {
        let folders = [folder, folder + "/cifar-10-batches-bin", folder + "/cifar-10-batches-py"]
        let names = trainBatches + ["test_batch"]
        // The binary batches need no unpickler; prefer them when they are there.
        let binary = folders.first { dir in access("\(dir)/data_batch_1.bin", R_OK) == 0 }
        let python = folders.first { dir in access("\(dir)/data_batch_1", R_OK) == 0 }
        var batches: [Batch] = []
        if let dir = binary {
            for name in names {
                batches.append(try readBinaryBatch(try PaperDataset.firstReadable(["\(dir)/\(name).bin"], dataset: .cifar10, folder: folder)))
            }
        } else if let dir = python {
            guard let reader = readers.cifarPythonBatch else {
                throw DatasetError("\(dir)/data_batch_1: CIFAR-10's python batches are read by the hyperzoo commands (through the restricted unpickler); from the library, use the binary batches (data_batch_*.bin) or pass DatasetReaders")
            }
            for name in names {
                let path = try PaperDataset.firstReadable(["\(dir)/\(name)"], dataset: .cifar10, folder: folder)
                let batch = try reader(path)
                guard batch.pixels.count == batch.labels.count * imageBytes else {
                    throw DatasetError("\(path): \(batch.pixels.count) pixel bytes for \(batch.labels.count) labels, expected \(imageBytes) per image")
                }
                try PaperDataset.checkLabels(batch.labels, file: path)
                batches.append(batch)
            }
        } else {
            _ = try PaperDataset.firstReadable(folders.map { "\($0)/data_batch_1" } + folders.map { "\($0)/data_batch_1.bin" }, dataset: .cifar10, folder: folder)
        }
        var trainPixels: [UInt8] = [], trainLabels: [Int32] = []
        for b in batches.prefix(5) { trainPixels += b.pixels; trainLabels += b.labels }
        let test = batches[5]
        return ((RawImages(pixels: trainPixels, count: trainLabels.count, channels: 3, height: 32, width: 32), trainLabels),
                (RawImages(pixels: test.pixels, count: test.labels.count, channels: 3, height: 32, width: 32), test.labels))
    }

    /// A binary batch: N records of 1 label byte + 3072 pixel bytes.
    public static func readBinaryBatch(_ path: String) throws -> Batch {
        let bytes = try readBytes(path)
        let record = 1 + imageBytes
        guard !bytes.isEmpty, bytes.count % record == 0 else {
            throw DatasetError("\(path): \(bytes.count) bytes, expected a multiple of \(record) (records of a label byte and 3072 pixel bytes)")
        }
        let n = bytes.count / record
        var pixels = [UInt8](); pixels.reserveCapacity(n * imageBytes)
        var labels = [Int32](); labels.reserveCapacity(n)
        for i in 0..<n {
            let label = bytes[i * record]
            guard label <= 9 else { throw DatasetError("\(path): label \(label) of record \(i), expected 0...9") }
            labels.append(Int32(label))
            pixels.append(contentsOf: bytes[(i * record + 1)..<((i + 1) * record)])
        }
        return Batch(pixels: pixels, labels: labels)
    }
}
