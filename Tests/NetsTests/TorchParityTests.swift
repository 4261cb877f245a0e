import Foundation
import Testing
import TestSupport
import Tensor
@testable import Nets

/// CNN-s against PyTorch (fixtures/torch/cnn_s_grad.*, written by tools/fixtures/make_cnn_grad_fixture.py):
/// logits, loss, every parameter gradient, and the weights after three Adam steps.
@Suite struct TorchParityTests {
    struct Fixture {
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        var scalars: [String: Double] = [:]

        init() throws {
            let dir = Fixtures.project.appendingPathComponent("torch")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cnn_s_grad.json"))) as! [String: Any]
            #expect(manifest["version"] as? Int == 1)
            let blob = try Data(contentsOf: dir.appendingPathComponent("cnn_s_grad.bin"))
            let floats = blob.withUnsafeBytes { raw in
                (0..<(blob.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            }
            for t in manifest["tensors"] as! [[String: Any]] {
                let shape = t["shape"] as! [Int], offset = t["offset"] as! Int
                tensors[t["name"] as! String] = (shape, Array(floats[offset..<(offset + shape.reduce(1, *))]))
            }
            scalars = manifest["scalars"] as! [String: Double]
        }

        /// A flat row from the state_dict tensors stored under `prefix`, in table order.
        func row(_ prefix: String, _ spec: ArchitectureSpec) -> [Float] {
            spec.parameterTable.entries.flatMap { tensors["\(prefix)/\($0.name)"]!.values }
        }
    }

    /// max |a − e| / max |e| over a tensor: the error relative to the tensor's scale.
    static func scaledError(_ a: ArraySlice<Float>, _ e: [Float]) -> Double {
        let scale = e.map { abs(Double($0)) }.max() ?? 0
        let diff = zip(a, e).map { abs(Double($0) - Double($1)) }.max() ?? 0
        return diff / max(scale, 1e-30)
    }

    @Test(arguments: ["uniform", "kaiming_uniform"])
    func gradientsMatchPyTorch(initialization: String) throws {
        let f = try Fixture()
        let spec = ArchitectureSpec.cnnS()
        let inputs = f.tensors["inputs"]!.values, labels = f.tensors["labels"]!.values.map { Int32($0) }
        let data = ImageDataset(name: "fixture", images: inputs, labels: labels, channels: 1, height: 28, width: 28)
        let row = f.row("\(initialization)/weights", spec)
        let ws = NetworkWorkspace(architecture: spec, capacity: 10)
        ws.loadBatch(from: data, indices: 0..<10)
        var unused = RandomStream(key: 0)
        let logits = row.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: ws.forward(row: $0.baseAddress!, batch: 10, training: false, stream: &unused), count: 100)) }
        #expect(Self.scaledError(logits[...], f.tensors["\(initialization)/logits"]!.values) < 1e-5)
        let loss = labels.withUnsafeBufferPointer { ws.loss(labels: $0.baseAddress!, batch: 10, gradient: true).loss }
        #expect(abs(Double(loss) - f.scalars["\(initialization)/loss"]!) < 1e-5)
        var grad = [Float](repeating: 0, count: row.count)
        row.withUnsafeBufferPointer { r in grad.withUnsafeMutableBufferPointer { ws.backward(row: r.baseAddress!, dRow: $0.baseAddress!, batch: 10) } }
        for e in spec.parameterTable.entries {
            let expected = f.tensors["\(initialization)/grads/\(e.name)"]!.values
            let err = Self.scaledError(grad[e.range], expected)
            #expect(err < 1e-4, "\(initialization) \(e.name): relative error \(err)")
        }
    }

    @Test(arguments: ["uniform", "kaiming_uniform"])
    func threeAdamStepsMatchPyTorch(initialization: String) throws {
        let f = try Fixture()
        let spec = ArchitectureSpec.cnnS()
        let inputs = f.tensors["inputs"]!.values, labels = f.tensors["labels"]!.values.map { Int32($0) }
        let data = ImageDataset(name: "fixture", images: inputs, labels: labels, channels: 1, height: 28, width: 28)
        var row = f.row("\(initialization)/weights", spec)
        let ws = NetworkWorkspace(architecture: spec, capacity: 10)
        let opt = Optimizer(.adam(learningRate: 3e-4), count: row.count)
        var grad = [Float](repeating: 0, count: row.count)
        var unused = RandomStream(key: 0)
        for step in 0..<3 {
            ws.loadBatch(from: data, indices: (10 * step)..<(10 * step + 10))
            row.withUnsafeMutableBufferPointer { r in
                grad.withUnsafeMutableBufferPointer { g in
                    ws.forward(row: r.baseAddress!, batch: 10, training: false, stream: &unused)
                    _ = labels.withUnsafeBufferPointer { ws.loss(labels: $0.baseAddress! + 10 * step, batch: 10, gradient: true) }
                    g.update(repeating: 0)
                    ws.backward(row: r.baseAddress!, dRow: g.baseAddress!, batch: 10)
                    opt.step(values: r.baseAddress!, gradients: g.baseAddress!)
                }
            }
        }
        let expected = f.row("\(initialization)/after_adam3", spec)
        let start = f.row("\(initialization)/weights", spec)
        // Compare the update (after − before), which is what Adam computes, at its own scale.
        let ours = zip(row, start).map { $0 - $1 }, theirs = zip(expected, start).map { $0 - $1 }
        let err = Self.scaledError(ours[...], theirs)
        #expect(err < 1e-3, "\(initialization): Adam update relative error \(err)")
    }
}
