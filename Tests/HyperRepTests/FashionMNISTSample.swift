// A few real Fashion-MNIST test images for function-preservation checks, read with the system
// gzip (only the bytes needed), normalised as the zoos do: (x/255 − 0.5) / 0.5.
import Foundation
import Nets
import TestSupport

enum FashionMNISTSample {
    static let directory = "/usr/share/datasets/fashion-mnist"

    /// The first `count` test images as a 1×28×28 dataset (labels unused, set to 0).
    static func images(count: Int) throws -> ImageDataset {
        let bytes = 16 + count * 784
        let data = try gunzippedPrefix(of: "\(directory)/t10k-images-idx3-ubyte.gz", byteCount: bytes)
        let pixels = data[16...].map { (Float($0) / 255 - 0.5) / 0.5 }
        return ImageDataset(name: "fashion-mnist-test", images: Array(pixels), labels: Array(repeating: 0, count: count),
                            channels: 1, height: 28, width: 28)
    }
}
