// The hyper-representation autoencoder: the official code's `AE_attn` (encoder
// `EncoderTransformer` + decoder `DecoderTransformer`) with neuron tokens and a compression
// token, forward and backward over buffers allocated once per batch shape.
//
// Encoder: flat rows [B,P] → per-layer token embedders Linear(w_l → D) → [comp_token; tokens]
//          + learned positions [S,D] → N blocks → output of the compression token [B,D]
//          → Linear(D → L) (→ tanh if bounded) = z [B,L].
// Decoder: z (+ learned bias) → Linear(L → T·D) reshaped [B,T,D] (or Linear(L → D) repeated)
//          + learned positions [T,D] → N blocks → per-layer debedders Linear(D → w_l) scattered
//          back into the flat row [B,P].
//
// Size legend: B = rows in the batch, P = parameters of a zoo model, T = tokens, S = T + 1,
// D = model width, L = latent size, n_l / w_l = tokens / token width of layer l.
import Tensor

/// A hyper-representation autoencoder with its parameters, gradients and activation buffers.
///
/// Typical use (e.g. by samplers):
///
///     let (ae, _) = try AutoencoderCheckpoint.load(path: "ae.h5")
///     let z = ae.encode(rows: rows, count: n)         // [n, L]
///     let w = ae.decode(latents: z, count: n)         // [n, P]
///
/// Not safe for concurrent use, so not Sendable: calls share the activation workspaces; use one
/// instance per thread.
public final class Autoencoder {
    /// Sizes and switches.
    public let config: AutoencoderConfig
    /// The neuron tokens of the zoo architecture.
    public let layout: TokenLayout
    /// All learnable tensors (AE and projection head), named as the PyTorch state_dict.
    public let parameters: FlatParameters
    /// Running statistics of the projection head's BatchNorm layers (`…running_mean`, `…running_var`).
    public let buffers: FlatParameters

    /// Parameters per zoo model (P).
    public var parameterCount: Int { layout.parameterCount }
    /// Latent size (L).
    public var latentSize: Int { config.latentSize }

    private var workspaces: [WorkspaceKey: AutoencoderWorkspace] = [:]
    var objectiveWorkspaceCache: ObjectiveWorkspace?

    /// A freshly initialised autoencoder (PyTorch's default initialisation, drawn from `seed`).
    public init(config: AutoencoderConfig, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        do { layout = try TokenLayout(table: config.table) } catch {
            throw AutoencoderError("cannot derive neuron tokens from the parameter table: \(error)")
        }
        parameters = FlatParameters(AutoencoderParameterNames.tensors(config, layout: layout))
        var bufs: [(name: String, shape: [Int])] = []
        for h in AutoencoderParameterNames.headLayers(config) where h.batchNorm {
            bufs.append(("projection_head.layers.\(h.index + 1).running_mean", [h.outputs]))
            bufs.append(("projection_head.layers.\(h.index + 1).running_var", [h.outputs]))
        }
        buffers = FlatParameters(bufs)
        for v in buffers.views where v.name.hasSuffix("running_var") {
            buffers.values.advanced(by: v.offset).update(repeating: 1, count: v.count)
        }
        var stream = RandomStream(seed: seed, purpose: "hyperrep.ae.init")
        AutoencoderParameterNames.initialize(parameters, stream: &stream)
    }

    func workspace(batch: Int, training: Bool) -> AutoencoderWorkspace {
        let key = WorkspaceKey(batch: batch, training: training)
        if let w = workspaces[key] { return w }
        // Keep a few shapes (training, validation, encode/decode); beyond that, start over.
        if workspaces.count >= 4 { workspaces.removeAll() }
        let w = AutoencoderWorkspace(model: self, batch: batch, training: training)
        workspaces[key] = w
        return w
    }

    /// Floats held in activation buffers (for memory reports).
    public var activationFloats: Int {
        workspaces.values.reduce(0) { $0 + $1.arena.floats } + (objectiveWorkspaceCache.map { $0.arena.floats + $0.head.arena.floats } ?? 0)
    }

    // MARK: Eval-mode API

    /// Latents [count, L] of flat rows [count, P] (eval mode: no dropout).
    public func encode(rows: [Float], count: Int, batchSize: Int = 256) -> [Float] {
        precondition(rows.count == count * parameterCount, "encode: \(rows.count) values for \(count) rows of \(parameterCount)")
        return inBatches(rows, count: count, inWidth: parameterCount, outWidth: latentSize, batchSize: batchSize) { ws, x in
            var none: RandomStream? = nil
            ws.encoderForward(x, stream: &none)
            return UnsafePointer(ws.z)
        }
    }

    /// Flat rows [count, P] decoded from latents [count, L] (eval mode).
    public func decode(latents: [Float], count: Int, batchSize: Int = 256) -> [Float] {
        precondition(latents.count == count * latentSize, "decode: \(latents.count) values for \(count) latents of \(latentSize)")
        return inBatches(latents, count: count, inWidth: latentSize, outWidth: parameterCount, batchSize: batchSize) { ws, z in
            var none: RandomStream? = nil
            ws.decoderForward(z, stream: &none)
            return UnsafePointer(ws.y)
        }
    }

    /// Runs `pass` over eval workspaces batch by batch, copying each batch's output rows out.
    private func inBatches(_ input: [Float], count: Int, inWidth: Int, outWidth: Int, batchSize: Int,
                           _ pass: (AutoencoderWorkspace, UnsafePointer<Float>) -> UnsafePointer<Float>) -> [Float] {
        var out = [Float](repeating: 0, count: count * outWidth)
        input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                var start = 0
                while start < count {
                    let n = min(max(batchSize, 1), count - start)
                    let result = pass(workspace(batch: n, training: false), i.baseAddress! + start * inWidth)
                    (o.baseAddress! + start * outWidth).update(from: result, count: n * outWidth)
                    start += n
                }
            }
        }
        return out
    }
}

struct WorkspaceKey: Hashable {
    var batch: Int
    var training: Bool
}
