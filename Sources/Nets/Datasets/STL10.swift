// STL-10's binary release (`stl10_binary/train_X.bin`, `train_y.bin`, `test_X.bin`, `test_y.bin`):
// X is uint8 images of 3 × 96 × 96, each channel stored column by column (torchvision reshapes to
// [N, 3, 96, 96] and transposes the last two axes); y is one uint8 label 1...10 per image (minus 1
// gives the class). The Model Zoos small STL-10 zoo resizes to 28×28 (PIL bilinear) and splits
// the 5000 training images 4200/800 (seed 42); the test set is the 8000 test images. The
// unlabeled set is not used.

public enum STL10 {
    public static let side = 96
    static let imageBytes = 3 * 96 * 96

    static func read(folder: String) throws -> (train: (RawImages, [Int32]), test: (RawImages, [Int32])) {
        func path(_ name: String) throws -> String {
            try PaperDataset.firstReadable(["\(folder)/\(name)", "\(folder)/stl10_binary/\(name)"], dataset: .stl10, folder: folder)
        }
        return (try readPair(images: try path("train_X.bin"), labels: try path("train_y.bin")),
                try readPair(images: try path("test_X.bin"), labels: try path("test_y.bin")))
    }

    /// One X/y pair: RGB images [N, 3, 96, 96] and labels 0...9.
    public static func readPair(images: String, labels: String) throws -> (RawImages, [Int32]) {
        let x = try readBytes(images), y = try readBytes(labels)
        guard !x.isEmpty, x.count % imageBytes == 0 else {
            throw DatasetError("\(images): \(x.count) bytes, expected a multiple of \(imageBytes) (3×96×96 uint8 images)")
        }
        let n = x.count / imageBytes
        guard y.count == n else { throw DatasetError("\(labels): \(y.count) labels for the \(n) images of \(images)") }
        var out = [Int32](); out.reserveCapacity(n)
        for (i, v) in y.enumerated() {
            guard v >= 1 && v <= 10 else { throw DatasetError("\(labels): label \(v) of image \(i), expected 1...10") }
            out.append(Int32(v) - 1)
        }
        var pixels = [UInt8](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(n * 3) {
                    let base = plane * side * side
                    for col in 0..<side { for row in 0..<side { dst[base + row * side + col] = src[base + col * side + row] } }
                }
            }
        }
        return (RawImages(pixels: pixels, count: n, channels: 3, height: side, width: side), out)
    }
}
