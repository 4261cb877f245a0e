// A small Double-precision forward pass of the zoo architectures (valid conv, 2×2 max-pool,
// tanh, flatten, linear), used only to check that permuted networks compute the same function.
// It reads parameters through the table's names, so it knows nothing about tokens or specs.
import Foundation
import ZooStore

enum ReferenceOp {
    case conv(String)      // state_dict prefix
    case linear(String)
    case maxPool2
    case tanh
}

enum ReferenceForward {
    static let cnnS: [ReferenceOp] = [.conv("module_list.0"), .maxPool2, .tanh, .conv("module_list.3"), .maxPool2, .tanh,
                                      .conv("module_list.6"), .tanh, .linear("module_list.9"), .tanh, .linear("module_list.11")]
    static let cnnM: [ReferenceOp] = [.conv("module_list.0"), .maxPool2, .tanh, .conv("module_list.4"), .maxPool2, .tanh,
                                      .conv("module_list.8"), .maxPool2, .tanh, .linear("module_list.13"), .tanh, .linear("module_list.16")]
    static let mlp: [ReferenceOp] = [.linear("module_list.0"), .tanh, .linear("module_list.2"), .tanh, .linear("module_list.4")]

    /// Logits of one image [C, H, W] (flattened) through `ops` with weights from `row`.
    static func run(_ ops: [ReferenceOp], table: ParameterTable, row: [Float], image: [Double], shape: (c: Int, h: Int, w: Int)) -> [Double] {
        var x = image
        var (c, h, w) = shape
        func tensor(_ name: String) -> (shape: [Int], values: [Double]) {
            let e = table.entry(named: name)!
            return (e.shape, row[e.range].map(Double.init))
        }
        for op in ops {
            switch op {
            case .conv(let p):
                let (ws, wv) = tensor(p + ".weight"), (_, bv) = tensor(p + ".bias")
                let (o, k) = (ws[0], ws[2])
                let (oh, ow) = (h - k + 1, w - k + 1)
                var y = [Double](repeating: 0, count: o * oh * ow)
                for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
                    var s = bv[oc]
                    for ic in 0..<c { for u in 0..<k { for v in 0..<k {
                        s += wv[((oc * c + ic) * k + u) * k + v] * x[(ic * h + i + u) * w + j + v]
                    } } }
                    y[(oc * oh + i) * ow + j] = s
                } } }
                (x, c, h, w) = (y, o, oh, ow)
            case .maxPool2:
                let (oh, ow) = (h / 2, w / 2)
                var y = [Double](repeating: 0, count: c * oh * ow)
                for ch in 0..<c { for i in 0..<oh { for j in 0..<ow {
                    let a = x[(ch * h + 2 * i) * w + 2 * j], b = x[(ch * h + 2 * i) * w + 2 * j + 1]
                    let d = x[(ch * h + 2 * i + 1) * w + 2 * j], e = x[(ch * h + 2 * i + 1) * w + 2 * j + 1]
                    y[(ch * oh + i) * ow + j] = max(max(a, b), max(d, e))
                } } }
                (x, h, w) = (y, oh, ow)
            case .tanh:
                x = x.map { Foundation.tanh($0) }
            case .linear(let p):
                let (ws, wv) = tensor(p + ".weight"), (_, bv) = tensor(p + ".bias")
                let (o, n) = (ws[0], ws[1])
                precondition(n == x.count, "linear \(p): \(x.count) inputs, expected \(n)")
                x = (0..<o).map { r in (0..<n).reduce(bv[r]) { $0 + wv[r * n + $1] * x[$1] } }
                (c, h, w) = (o, 1, 1)
            }
        }
        return x
    }
}

/// The first `count` Fashion-MNIST test images, scaled to [-1, 1] as the zoos do ((x - 0.5) / 0.5).
enum FashionMNISTSample {
    static let directory = "/usr/share/datasets/fashion-mnist"

    static func images(count: Int) throws -> [[Double]] {
        let bytes = 16 + count * 784
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc \(directory)/t10k-images-idx3-ubyte.gz | head -c \(bytes)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard data.count == bytes else { throw TokenizerTestError("\(directory)/t10k-images-idx3-ubyte.gz: read \(data.count) bytes, expected \(bytes)") }
        let pixels = [UInt8](data)
        return (0..<count).map { i in pixels[(16 + i * 784)..<(16 + (i + 1) * 784)].map { (Double($0) / 255 - 0.5) / 0.5 } }
    }

    /// An image padded to 32×32 and repeated over 3 channels (the CNN-m input shape).
    static func threeChannel32(_ image: [Double]) -> [Double] {
        var plane = [Double](repeating: -1, count: 32 * 32)
        for i in 0..<28 { for j in 0..<28 { plane[(i + 2) * 32 + j + 2] = image[i * 28 + j] } }
        return plane + plane + plane
    }
}

struct TokenizerTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
