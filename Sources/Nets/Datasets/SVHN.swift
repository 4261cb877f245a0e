// SVHN cropped digits (`train_32x32.mat`, `test_32x32.mat`, MATLAB 5 MAT-files), as torchvision's
// SVHN dataset reads them: X is uint8 [32, 32, 3, N] in MATLAB's column-major order (pixel
// (row y, column x, channel c) of image n at y + 32x + 1024c + 3072n), y is [N, 1] with digit 0
// labelled 10, which becomes 0. The Model Zoos SVHN generator then applies Grayscale,
// CenterCrop(28), ToTensor, Normalize(0.5, 0.5) and random_split 60000/13257 (seed 42); the test
// set is the release's 26032 test images. The extra set is not used by the paper.

public enum SVHN {
    static func read(folder: String) throws -> (train: (RawImages, [Int32]), test: (RawImages, [Int32])) {
        (try readFile(try PaperDataset.firstReadable(["\(folder)/train_32x32.mat"], dataset: .svhn, folder: folder)),
         try readFile(try PaperDataset.firstReadable(["\(folder)/test_32x32.mat"], dataset: .svhn, folder: folder)))
    }

    /// One .mat file: RGB images [N, 3, 32, 32] and labels 0...9.
    public static func readFile(_ path: String) throws -> (RawImages, [Int32]) {
        let arrays = try MATv5.read(path: path)
        guard let x = arrays["X"] else { throw DatasetError("\(path): no variable 'X' (found \(arrays.keys.sorted())); expected an SVHN *_32x32.mat file") }
        guard let y = arrays["y"] else { throw DatasetError("\(path): no variable 'y' (found \(arrays.keys.sorted())); expected an SVHN *_32x32.mat file") }
        guard x.dimensions.count == 4, x.dimensions[0] == 32, x.dimensions[1] == 32, x.dimensions[2] == 3, let xb = x.bytes else {
            throw DatasetError("\(path): X is \(x.className) \(x.dimensions), expected uint8 [32, 32, 3, N]")
        }
        let n = x.dimensions[3]
        guard y.dimensions == [n, 1] || y.dimensions == [1, n] else {
            throw DatasetError("\(path): y has dimensions \(y.dimensions), expected [\(n), 1] (one label per image of X)")
        }
        let values = y.values ?? y.bytes.map { $0.map(Double.init) } ?? []
        var labels = [Int32](); labels.reserveCapacity(n)
        for (i, v) in values.enumerated() {
            guard v == v.rounded(), v >= 0, v <= 10 else { throw DatasetError("\(path): y[\(i)] = \(v), expected a digit label 1...10 (10 is digit 0)") }
            labels.append(v == 10 ? 0 : Int32(v))
        }
        // Column-major [32, 32, 3, N] to row-major [N, 3, 32, 32].
        var pixels = [UInt8](repeating: 0, count: xb.count)
        xb.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for image in 0..<n {
                    for c in 0..<3 {
                        let from = image * 3072 + c * 1024, to = image * 3072 + c * 1024
                        for col in 0..<32 { for row in 0..<32 { dst[to + row * 32 + col] = src[from + col * 32 + row] } }
                    }
                }
            }
        }
        return (RawImages(pixels: pixels, count: n, channels: 3, height: 32, width: 32), labels)
    }
}
