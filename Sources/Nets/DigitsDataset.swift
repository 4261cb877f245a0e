// The UCI handwritten digits (Alpaydin & Kaynak; 1,797 images of 8×8 pixels, values 0–16) as
// shipped by Debian's python3-sklearn in `sklearn/datasets/data/digits.csv.gz`: one image per
// line, 64 comma-separated pixel counts then the label. Read here in Swift (no Python at run
// time), upsampled to 28×28 bilinearly so Fashion-MNIST-sized networks take it, and normalised
// like the zoo recipe. Used as the transfer target of F-MNIST hyper-representations.
import Compression
import Tensor
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The sklearn digits dataset: 10 classes, 8×8 images resized for 28×28 networks.
public enum DigitsDataset {
    /// Debian's location (package `python3-sklearn`).
    public static let defaultPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
    /// The Debian package that provides the default file.
    public static let debianPackage = "python3-sklearn"
    /// Images in the file.
    public static let expectedCount = 1797
    /// Pixels per image and the largest pixel value.
    public static let side = 8, maxPixel: Float = 16

    /// Parses the CSV text: every non-empty line holds 64 integers in 0...16 and a label in 0...9.
    ///
    /// - Parameters:
    ///   - bytes: the decompressed file.
    ///   - label: the file name, for errors.
    /// - Returns: pixels `[N * 64]` scaled to [0, 1] and labels `[N]`.
    /// - Throws: ``DatasetError`` naming the file, the line and what was expected.
    public static func parse(_ bytes: [UInt8], label: String) throws -> (pixels: [Float], labels: [Int32]) {
        var pixels: [Float] = [], labels: [Int32] = []
        pixels.reserveCapacity(expectedCount * 64)
        var fields: [Int] = []
        var value = 0, digits = 0, line = 1
        func endField() throws {
            guard digits > 0 else { throw DatasetError("\(label):\(line): empty field, expected 65 integers per line") }
            fields.append(value); value = 0; digits = 0
        }
        func endLine() throws {
            defer { line += 1; fields.removeAll(keepingCapacity: true) }
            if fields.isEmpty && digits == 0 { return }
            try endField()
            guard fields.count == 65 else {
                throw DatasetError("\(label):\(line): \(fields.count) fields, expected 65 (64 pixels and a label)")
            }
            for v in fields.prefix(64) {
                guard v <= 16 else { throw DatasetError("\(label):\(line): pixel value \(v), expected 0...16") }
                pixels.append(Float(v) / maxPixel)
            }
            guard fields[64] <= 9 else { throw DatasetError("\(label):\(line): label \(fields[64]), expected 0...9") }
            labels.append(Int32(fields[64]))
        }
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits < 4 else { throw DatasetError("\(label):\(line): number too long, expected 0...16") }
                value = value * 10 + Int(b - UInt8(ascii: "0")); digits += 1
            case UInt8(ascii: ","): try endField()
            case UInt8(ascii: "\n"): try endLine()
            case UInt8(ascii: "\r"), UInt8(ascii: " "): continue
            default:
                throw DatasetError("\(label):\(line): unexpected character '\(Character(Unicode.Scalar(b)))', expected digits and commas")
            }
        }
        try endLine()
        guard !labels.isEmpty else { throw DatasetError("\(label): no images, expected \(expectedCount) lines of 65 integers") }
        return (pixels, labels)
    }

    /// Loads the digits, resizes them to `size`×`size` (bilinear, align_corners = false), normalises
    /// as (x − mean)/std after scaling to [0, 1], and splits them with a seeded permutation into
    /// train / validation / test (default 70% / 10% / 20%: 1,257 / 180 / 360 images).
    ///
    /// - Throws: ``DatasetError`` when the file is missing (with the apt hint), corrupt or malformed.
    public static func load(path: String = defaultPath, size: Int = 28, normalization: Normalization = .zoo,
                            validationFraction: Double = 0.1, testFraction: Double = 0.2,
                            splitSeed: UInt64 = 42) throws -> DatasetSplits {
        guard access(path, R_OK) == 0 else {
            let hint = path == defaultPath
                ? " (install the Debian package \(debianPackage): sudo apt-get install \(debianPackage), or run tools/setup)"
                : ""
            throw DatasetError("\(path): file not found or not readable\(hint)")
        }
        let bytes: [UInt8]
        do {
            // The real file inflates to ~270 kB; 64 MB bounds a hostile one.
            bytes = path.hasSuffix(".gz") ? try gunzipFile(atPath: path, maxOutput: 64 << 20) : try readFileBytes(atPath: path)
        } catch let e as InflateError {
            throw DatasetError(e.description)
        }
        let (pixels, labels) = try parse(bytes, label: path)
        let shift = normalization.mean, scale = 1 / normalization.std
        let full = ImageDataset(name: "digits", images: pixels, labels: labels, channels: 1,
                                height: side, width: side, classes: 10)
            .resized(height: size, width: size)
        var normalised = full
        normalised.images = full.images.map { ($0 - shift) * scale }
        return split(normalised, validationFraction: validationFraction, testFraction: testFraction, seed: splitSeed)
    }

    /// Deterministic three-way split by a permutation from `RandomStream(seed, "digits-split")`.
    public static func split(_ full: ImageDataset, validationFraction: Double, testFraction: Double, seed: UInt64) -> DatasetSplits {
        precondition(validationFraction >= 0 && testFraction > 0 && validationFraction + testFraction < 1)
        var r = RandomStream(seed: seed, purpose: "digits-split")
        let perm = r.permutation(full.count)
        let nTest = Int((Double(full.count) * testFraction).rounded())
        let nVal = Int((Double(full.count) * validationFraction).rounded())
        let test = full.subset(Array(perm[0..<nTest]), name: "digits-test")
        let val = nVal > 0 ? full.subset(Array(perm[nTest..<(nTest + nVal)]), name: "digits-val") : nil
        let train = full.subset(Array(perm[(nTest + nVal)...]), name: "digits-train")
        return DatasetSplits(train: train, validation: val, test: test)
    }
}
