// Initial weights of a zoo member, as the Model Zoos `initialize_weights` draws them: every
// conv/linear weight from the chosen initialiser, every bias 0.01.
import Tensor

extension ArchitectureSpec {
    /// A fresh flat row: weights from `initializer`, biases 0.01, drawn from
    /// `RandomStream(seed: seed, purpose: "init")` layer by layer in row order.
    public func initialRow(initializer: Initializer, seed: UInt64) -> [Float] {
        var row = [Float](repeating: 0, count: parameterCount)
        var stream = RandomStream(seed: seed, purpose: "init")
        row.withUnsafeMutableBufferPointer { buf in
            for e in parameterTable.entries {
                let p = buf.baseAddress! + e.offset
                if e.role == .bias {
                    p.update(repeating: Initializer.zooBias, count: e.count)
                } else {
                    initializeWeight(p, shape: e.shape, initializer, stream: &stream)
                }
            }
        }
        return row
    }
}
