// 8-bit images as the dataset files hold them, and the PIL operations torchvision applies to them
// before ToTensor in the Model Zoos generators: Grayscale (PIL convert("L")), CenterCrop and
// Resize (PIL's bilinear resampling, which antialiases when it shrinks). Done on bytes exactly as
// Pillow does (fixed-point weights, rounding and clipping to 8 bits between the two passes), so the
// tensors equal torchvision's; checked against Pillow itself on generated images.

/// Images [N, C, H, W] of bytes, row-major (PyTorch's layout after ToTensor).
public struct RawImages: Sendable, Equatable {
    public var pixels: [UInt8]
    public var count: Int
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(pixels: [UInt8], count: Int, channels: Int, height: Int, width: Int) {
        precondition(pixels.count == count * channels * height * width, "RawImages: \(pixels.count) bytes for \(count)×\(channels)×\(height)×\(width)")
        self.pixels = pixels; self.count = count; self.channels = channels; self.height = height; self.width = width
    }

    var planeSize: Int { height * width }

    /// PIL's RGB → L: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 (ITU-R 601-2 luma in 16-bit
    /// fixed point, Pillow's `rgb2l`).
    public func grayscale() -> RawImages {
        precondition(channels == 3, "grayscale needs RGB images")
        let hw = planeSize
        var out = [UInt8](repeating: 0, count: count * hw)
        pixels.withUnsafeBufferPointer { p in
            for n in 0..<count {
                let r = n * 3 * hw, g = r + hw, b = g + hw
                for i in 0..<hw {
                    let l = UInt32(p[r + i]) * 19595 + UInt32(p[g + i]) * 38470 + UInt32(p[b + i]) * 7471 + 0x8000
                    out[n * hw + i] = UInt8(l >> 16)
                }
            }
        }
        return RawImages(pixels: out, count: count, channels: 1, height: height, width: width)
    }

    /// One channel repeated `n` times (grayscale images for a 3-channel network).
    public func repeatingChannel(_ n: Int) -> RawImages {
        precondition(channels == 1)
        var out = [UInt8](); out.reserveCapacity(count * n * planeSize)
        for i in 0..<count { for _ in 0..<n { out.append(contentsOf: pixels[(i * planeSize)..<((i + 1) * planeSize)]) } }
        return RawImages(pixels: out, count: count, channels: n, height: height, width: width)
    }

    /// torchvision's CenterCrop on a larger image: top = round((H − h) / 2), left likewise
    /// (Python's round, half to even).
    public func centerCropped(height h: Int, width w: Int) -> RawImages {
        precondition(h <= height && w <= width, "center crop \(h)×\(w) of \(height)×\(width) images")
        let top = Int((Double(height - h) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(width - w) / 2).rounded(.toNearestOrEven))
        var out = [UInt8](); out.reserveCapacity(count * channels * h * w)
        for plane in 0..<(count * channels) {
            let base = plane * planeSize
            for y in top..<(top + h) { out.append(contentsOf: pixels[(base + y * width + left)..<(base + y * width + left + w)]) }
        }
        return RawImages(pixels: out, count: count, channels: channels, height: h, width: w)
    }

    /// PIL `Image.resize((w, h), BILINEAR)`: a triangle filter whose support grows with the
    /// shrink factor, weights normalised per output pixel and turned into 22-bit fixed point,
    /// a horizontal pass rounded to bytes, then a vertical pass (Pillow's Resample.c).
    public func resizedBilinearPIL(height h: Int, width w: Int) -> RawImages {
        if h == height && w == width { return self }
        let horizontal = Self.pilCoefficients(inSize: width, outSize: w)
        let vertical = Self.pilCoefficients(inSize: height, outSize: h)
        let halfUnit = Int32(1) << (Self.precisionBits - 1)
        func clip8(_ v: Int32) -> UInt8 {
            if v >= Int32(1) << (Self.precisionBits + 8) { return 255 }
            if v <= 0 { return 0 }
            return UInt8(v >> Self.precisionBits)
        }
        var out = [UInt8](repeating: 0, count: count * channels * h * w)
        var temp = [UInt8](repeating: 0, count: height * w)
        for plane in 0..<(count * channels) {
            let src = plane * planeSize
            for y in 0..<height {
                for x in 0..<w {
                    let (start, k) = horizontal[x]
                    var s = halfUnit
                    for (i, c) in k.enumerated() { s &+= Int32(pixels[src + y * width + start + i]) &* c }
                    temp[y * w + x] = clip8(s)
                }
            }
            let dst = plane * h * w
            for y in 0..<h {
                let (start, k) = vertical[y]
                for x in 0..<w {
                    var s = halfUnit
                    for (i, c) in k.enumerated() { s &+= Int32(temp[(start + i) * w + x]) &* c }
                    out[dst + y * w + x] = clip8(s)
                }
            }
        }
        return RawImages(pixels: out, count: count, channels: channels, height: h, width: w)
    }

    /// Pillow's `PRECISION_BITS` for 8-bit images.
    static let precisionBits: Int32 = 32 - 8 - 2

    /// Per output index: the first input index and the fixed-point weights (`precompute_coeffs`
    /// and `normalize_coeffs_8bpc`, with box = the whole image).
    static func pilCoefficients(inSize: Int, outSize: Int) -> [(start: Int, weights: [Int32])] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale   // the bilinear filter's support is 1
        return (0..<outSize).map { o in
            let center = (Double(o) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize)
            var weights: [Double] = []
            var total = 0.0
            for x in xmin..<max(xmax, xmin) {
                let t = abs((Double(x) - center + 0.5) / filterScale)
                let w = t < 1 ? 1 - t : 0
                weights.append(w); total += w
            }
            let unit = Double(Int32(1) << precisionBits)
            let fixed = weights.map { w -> Int32 in
                let v = total != 0 ? w / total : w
                return Int32(v < 0 ? -0.5 + v * unit : 0.5 + v * unit)
            }
            return (xmin, fixed)
        }
    }

    /// torchvision's ToTensor then Normalize(mean, std): (x / 255 − mean) / std in Float.
    public func normalized(_ n: Normalization, labels: [Int32], name: String, classes: Int = 10) -> ImageDataset {
        precondition(labels.count == count)
        let mean = n.mean, std = n.std
        let values = pixels.map { (Float($0) / 255 - mean) / std }
        return ImageDataset(name: name, images: values, labels: labels, channels: channels, height: height, width: width, classes: classes)
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> RawImages {
        let size = channels * planeSize
        var out = [UInt8](); out.reserveCapacity(indices.count * size)
        for i in indices { out.append(contentsOf: pixels[(i * size)..<((i + 1) * size)]) }
        return RawImages(pixels: out, count: indices.count, channels: channels, height: height, width: width)
    }
}
