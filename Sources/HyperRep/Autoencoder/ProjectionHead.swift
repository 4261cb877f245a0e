// The contrastive branch's projection head (GHRP `ProjectionHead`): Linear → BatchNorm → ReLU,
// repeated, then Linear → BatchNorm. The official loss calls the head once per view, so
// BatchNorm statistics are computed per view: rows [2B, ·] are two groups of B.
//
// Size legend: G = groups (views) normalised separately, B = rows per group, R = G·B,
// I/O = a layer's input/output width.
import Tensor

final class ProjectionHeadWorkspace {
    private struct Layer {
        var index: Int, inputs: Int, outputs: Int, batchNorm: Bool, relu: Bool
        var input: UnsafeMutablePointer<Float>     // [R,I]
        var linear: UnsafeMutablePointer<Float>    // [R,O]
        var normed: UnsafeMutablePointer<Float>    // [R,O]
        var mean: UnsafeMutablePointer<Float>      // [G,O]
        var rstd: UnsafeMutablePointer<Float>      // [G,O]
    }
    let arena = Arena()
    let G: Int, B: Int
    private unowned let model: Autoencoder
    private var layers: [Layer] = []
    /// [R, O_last] projections of the last forward.
    let output: UnsafeMutablePointer<Float>
    private let dA: UnsafeMutablePointer<Float>, dB: UnsafeMutablePointer<Float>

    init(model: Autoencoder, groups G: Int, rowsPerGroup B: Int) {
        self.model = model; self.G = G; self.B = B
        let R = G * B
        var widest = model.config.latentSize
        for h in AutoencoderParameterNames.headLayers(model.config) {
            layers.append(Layer(index: h.index, inputs: h.inputs, outputs: h.outputs, batchNorm: h.batchNorm, relu: h.relu,
                                input: arena.make(R * h.inputs), linear: arena.make(R * h.outputs),
                                normed: arena.make(R * h.outputs), mean: arena.make(G * h.outputs),
                                rstd: arena.make(G * h.outputs)))
            widest = max(widest, h.outputs)
        }
        output = arena.make(R * model.config.projectionOutput)
        dA = arena.make(R * widest); dB = arena.make(R * widest)
    }

    private func p(_ name: String) -> UnsafeMutablePointer<Float> { model.parameters.value(name) }
    private func g(_ name: String) -> UnsafeMutablePointer<Float> { model.parameters.gradient(name) }

    /// Forward of latents z [R,L]. Training mode normalises each group by its batch statistics and
    /// updates the running statistics once per group; eval mode uses the running statistics.
    func forward(_ z: UnsafePointer<Float>, training: Bool) {
        let R = G * B
        var x = z
        for (i, l) in layers.enumerated() {
            l.input.update(from: x, count: R * l.inputs)
            let lin = "projection_head.layers.\(l.index)", bn = "projection_head.layers.\(l.index + 1)"
            linearForward(out: l.linear, inp: l.input, weight: p("\(lin).weight"), bias: p("\(lin).bias"),
                          rows: R, inFeatures: l.inputs, outFeatures: l.outputs)
            if l.batchNorm && !training {
                batchNormInference(out: l.normed, inp: l.linear, runningMean: model.buffers.value("\(bn).running_mean"),
                                   runningVar: model.buffers.value("\(bn).running_var"), weight: p("\(bn).weight"),
                                   bias: p("\(bn).bias"), rows: R, features: l.outputs)
            } else if l.batchNorm {
                for grp in 0..<G {
                    let o = grp * B * l.outputs
                    batchNormForward(out: l.normed + o, mean: l.mean + grp * l.outputs, rstd: l.rstd + grp * l.outputs,
                                     runningMean: model.buffers.value("\(bn).running_mean"),
                                     runningVar: model.buffers.value("\(bn).running_var"),
                                     inp: l.linear + o, weight: p("\(bn).weight"), bias: p("\(bn).bias"),
                                     rows: B, features: l.outputs)
                }
            } else {
                l.normed.update(from: l.linear, count: R * l.outputs)
            }
            let dst = i == layers.count - 1 ? output : layers[i + 1].input
            if l.relu {
                for j in 0..<(R * l.outputs) { dst[j] = max(l.normed[j], 0) }
            } else {
                dst.update(from: l.normed, count: R * l.outputs)
            }
            x = UnsafePointer(dst)
        }
    }

    /// Backward from dOut [R,O_last]; accumulates parameter gradients and adds dL/dz into dZ [R,L].
    func backward(_ dOut: UnsafePointer<Float>, dZ: UnsafeMutablePointer<Float>) {
        let R = G * B
        var grad = dA, spare = dB
        grad.update(from: dOut, count: R * model.config.projectionOutput)
        for (i, l) in layers.enumerated().reversed() {
            let n = R * l.outputs
            if l.relu { for j in 0..<n where !(l.normed[j] > 0) { grad[j] = 0 } }
            let lin = "projection_head.layers.\(l.index)", bn = "projection_head.layers.\(l.index + 1)"
            if l.batchNorm {
                spare.update(repeating: 0, count: n)
                for grp in 0..<G {
                    let o = grp * B * l.outputs
                    batchNormBackward(dInp: spare + o, dWeight: g("\(bn).weight"), dBias: g("\(bn).bias"),
                                      dOut: grad + o, inp: l.linear + o, weight: p("\(bn).weight"),
                                      mean: l.mean + grp * l.outputs, rstd: l.rstd + grp * l.outputs,
                                      rows: B, features: l.outputs)
                }
                swap(&grad, &spare)
            }
            let dInput = i == 0 ? dZ : spare
            if i != 0 { spare.update(repeating: 0, count: R * l.inputs) }
            linearBackward(dInp: dInput, dWeight: g("\(lin).weight"), dBias: g("\(lin).bias"), dOut: grad,
                           inp: l.input, weight: p("\(lin).weight"), rows: R, inFeatures: l.inputs, outFeatures: l.outputs)
            if i != 0 { swap(&grad, &spare) }
        }
    }
}
