// MNIST in its IDX release (gzip or plain), as the Model Zoos MNIST generator uses it:
// ToTensor, Normalize(0.1307, 0.3081), random_split 50000/10000 with seed 42, the t10k test set.
import Foundation

public enum MNIST {
    /// Reads the four IDX files from `folder` (or its raw/ or MNIST/raw/ subfolder, torchvision's layout).
    static func read(folder: String) throws -> (train: (RawImages, [Int32]), test: (RawImages, [Int32])) {
        func file(_ stem: String) throws -> String {
            var candidates: [String] = []
            for dir in [folder, folder + "/raw", folder + "/MNIST/raw"] { candidates += ["\(dir)/\(stem)", "\(dir)/\(stem).gz"] }
            return try PaperDataset.firstReadable(candidates, dataset: .mnist, folder: folder)
        }
        func pair(_ images: String, _ labels: String) throws -> (RawImages, [Int32]) {
            let imagePath = try file(images), labelPath = try file(labels)
            let (shape, pixels) = try IDX.read(path: imagePath)
            guard shape.count == 3, shape[1] == 28, shape[2] == 28 else {
                throw DatasetError("\(imagePath): image file has shape \(shape), expected [N, 28, 28]")
            }
            let (lshape, lbytes) = try IDX.read(path: labelPath)
            guard lshape == [shape[0]] else { throw DatasetError("\(labelPath): \(lshape) labels for \(shape[0]) images in \(imagePath)") }
            let labels = lbytes.map { Int32($0) }
            try PaperDataset.checkLabels(labels, file: labelPath)
            return (RawImages(pixels: pixels, count: shape[0], channels: 1, height: 28, width: 28), labels)
        }
        return (try pair("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                try pair("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
    }
}
