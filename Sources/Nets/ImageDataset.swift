// Image classification data in memory: images [N, C, H, W] Float32 (PyTorch's layout), labels [N].
import Tensor

/// A labelled image set, already normalised.
public struct ImageDataset: Sendable {
    public var name: String
    /// Samples × channels × height × width, row-major.
    public var images: [Float]
    /// Class index of each sample.
    public var labels: [Int32]
    public var count: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    public var classes: Int

    public init(name: String, images: [Float], labels: [Int32], channels: Int, height: Int, width: Int, classes: Int = 10) {
        precondition(images.count == labels.count * channels * height * width,
                     "\(name): \(images.count) pixel values for \(labels.count) samples of \(channels)×\(height)×\(width)")
        self.name = name; self.images = images; self.labels = labels; self.count = labels.count
        self.channels = channels; self.height = height; self.width = width; self.classes = classes
    }

    /// Elements per sample.
    public var sampleSize: Int { channels * height * width }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int], name: String? = nil) -> ImageDataset {
        var img = [Float](); img.reserveCapacity(indices.count * sampleSize)
        for i in indices { img.append(contentsOf: images[(i * sampleSize)..<((i + 1) * sampleSize)]) }
        return ImageDataset(name: name ?? self.name, images: img, labels: indices.map { labels[$0] },
                            channels: channels, height: height, width: width, classes: classes)
    }

    /// The first `n` samples (or all, if fewer).
    public func prefix(_ n: Int) -> ImageDataset { n >= count ? self : subset(Array(0..<n)) }

    /// Bilinear resize of every image to height×width (torchvision's `Resize` on tensors with
    /// align_corners = false; upsampling needs no antialiasing).
    public func resized(height oh: Int, width ow: Int) -> ImageDataset {
        if oh == height && ow == width { return self }
        var out = [Float](repeating: 0, count: count * channels * oh * ow)
        let sy = Float(height) / Float(oh), sx = Float(width) / Float(ow)
        // Source coordinates and weights per output row / column, shared by all planes.
        func taps(_ n: Int, _ scale: Float, _ limit: Int) -> [(Int, Int, Float)] {
            (0..<n).map { o in
                let src = max((Float(o) + 0.5) * scale - 0.5, 0)
                let i0 = min(Int(src), limit - 1), i1 = min(i0 + 1, limit - 1)
                return (i0, i1, src - Float(i0))
            }
        }
        let ys = taps(oh, sy, height), xs = taps(ow, sx, width)
        for p in 0..<(count * channels) {
            let src = p * height * width, dst = p * oh * ow
            for (y, (y0, y1, fy)) in ys.enumerated() {
                for (x, (x0, x1, fx)) in xs.enumerated() {
                    let a = images[src + y0 * width + x0], b = images[src + y0 * width + x1]
                    let c = images[src + y1 * width + x0], d = images[src + y1 * width + x1]
                    let top = a + (b - a) * fx, bottom = c + (d - c) * fx
                    out[dst + y * ow + x] = top + (bottom - top) * fy
                }
            }
        }
        return ImageDataset(name: name, images: out, labels: labels, channels: channels, height: oh, width: ow, classes: classes)
    }

    /// Repeats a single channel `n` times (grayscale data for a 3-channel network).
    public func repeatingChannels(_ n: Int) -> ImageDataset {
        precondition(channels == 1, "\(name): only 1-channel data can be repeated")
        if n == 1 { return self }
        let hw = height * width
        var out = [Float](); out.reserveCapacity(count * n * hw)
        for i in 0..<count { for _ in 0..<n { out.append(contentsOf: images[(i * hw)..<((i + 1) * hw)]) } }
        return ImageDataset(name: name, images: out, labels: labels, channels: n, height: height, width: width, classes: classes)
    }

    /// A small random dataset for tests: each class has its own mean image plus noise, so a
    /// network can actually learn it.
    public static func synthetic(count: Int, channels: Int = 1, height: Int = 28, width: Int = 28,
                                 classes: Int = 10, seed: UInt64 = 0) -> ImageDataset {
        var r = RandomStream(seed: seed, purpose: "synthetic-prototypes")
        let size = channels * height * width
        let prototypes = (0..<(classes * size)).map { _ in r.nextNormal() }
        var s = RandomStream(seed: seed, purpose: "synthetic-samples")
        var images = [Float](); images.reserveCapacity(count * size)
        var labels = [Int32]()
        for _ in 0..<count {
            let k = s.nextInt(below: classes)
            labels.append(Int32(k))
            for j in 0..<size { images.append(prototypes[k * size + j] + 0.8 * s.nextNormal()) }
        }
        return ImageDataset(name: "synthetic", images: images, labels: labels, channels: channels,
                            height: height, width: width, classes: classes)
    }
}

/// Train, validation and test sets of one recipe.
public struct DatasetSplits: Sendable {
    public var train: ImageDataset
    public var validation: ImageDataset?
    public var test: ImageDataset

    public init(train: ImageDataset, validation: ImageDataset?, test: ImageDataset) {
        self.train = train; self.validation = validation; self.test = test
    }

    /// Applies `f` to every split.
    public func map(_ f: (ImageDataset) -> ImageDataset) -> DatasetSplits {
        DatasetSplits(train: f(train), validation: validation.map(f), test: f(test))
    }

    /// Brings the data to an architecture's input: resize (e.g. 28→32 for CNN-m) and channel
    /// repetition of grayscale images for 3-channel networks.
    public func adapted(to spec: ArchitectureSpec) -> DatasetSplits {
        map { d in
            var d = d.resized(height: spec.inputHeight, width: spec.inputWidth)
            if d.channels == 1 && spec.inputChannels > 1 { d = d.repeatingChannels(spec.inputChannels) }
            return d
        }
    }
}
