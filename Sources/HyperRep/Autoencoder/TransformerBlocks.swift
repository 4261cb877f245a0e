// A stack of the paper's pre-norm transformer blocks (GHRP `EncoderLayer`, used by both the
// encoder and the decoder), forward and backward over buffers allocated once per batch shape:
//     x ← x + Drop(MHA(Norm1(x)))        MHA: q/k/v/out linears, softmax(QKᵀ/√hs) with Drop
//     x ← x + Drop(FF(Norm2(x)))          FF: Linear → ReLU → Drop → Linear
//
// Size legend: B = batch, S = sequence, R = B·S rows, D = width, F = FF width, H = heads.
import Tensor

/// Activations of one block for one batch shape (each [R,D] unless noted).
struct BlockActivations {
    var input: UnsafeMutablePointer<Float>       // block input (residual stream)
    var norm1: UnsafeMutablePointer<Float>
    var mean1: UnsafeMutablePointer<Float>       // [R]
    var std1: UnsafeMutablePointer<Float>        // [R]
    var q: UnsafeMutablePointer<Float>
    var k: UnsafeMutablePointer<Float>
    var v: UnsafeMutablePointer<Float>
    var att: UnsafeMutablePointer<Float>         // [B,H,S,S]
    var attDropped: UnsafeMutablePointer<Float>  // [B,H,S,S]
    var attMask: UnsafeMutablePointer<Float>     // [B,H,S,S]
    var attended: UnsafeMutablePointer<Float>    // attention output before the out linear
    var mask1: UnsafeMutablePointer<Float>       // dropout on the attention branch
    var mid: UnsafeMutablePointer<Float>         // stream after the attention residual
    var norm2: UnsafeMutablePointer<Float>
    var mean2: UnsafeMutablePointer<Float>       // [R]
    var std2: UnsafeMutablePointer<Float>        // [R]
    var hidden: UnsafeMutablePointer<Float>      // [R,F]
    var activated: UnsafeMutablePointer<Float>   // [R,F]
    var ffMask: UnsafeMutablePointer<Float>      // [R,F]
    var mask2: UnsafeMutablePointer<Float>       // dropout on the FF branch
}

/// Pointers to one block's parameters (or their gradients) inside the flat buffers.
struct BlockWeights {
    var n1a, n1b, n2a, n2b: UnsafeMutablePointer<Float>?
    var wq, bq, wk, bk, wv, bv, wo, bo: UnsafeMutablePointer<Float>
    var w1, b1, w2, b2: UnsafeMutablePointer<Float>

    init(_ p: FlatParameters, prefix: String, gradients: Bool, normalize: Bool) {
        func at(_ n: String) -> UnsafeMutablePointer<Float> {
            gradients ? p.gradient("\(prefix).\(n)") : p.value("\(prefix).\(n)")
        }
        if normalize {
            n1a = at("norm_1.alpha"); n1b = at("norm_1.bias"); n2a = at("norm_2.alpha"); n2b = at("norm_2.bias")
        }
        wq = at("attn.q_linear.weight"); bq = at("attn.q_linear.bias")
        wk = at("attn.k_linear.weight"); bk = at("attn.k_linear.bias")
        wv = at("attn.v_linear.weight"); bv = at("attn.v_linear.bias")
        wo = at("attn.out.weight"); bo = at("attn.out.bias")
        w1 = at("ff.linear_1.weight"); b1 = at("ff.linear_1.bias")
        w2 = at("ff.linear_2.weight"); b2 = at("ff.linear_2.bias")
    }
}

/// N blocks over [B,S,D] sequences; `output` [R,D] holds the last block's result.
final class TransformerBlocks {
    let B: Int, S: Int, D: Int, F: Int, H: Int, count: Int
    let dropout: Float, normalize: Bool
    var R: Int { B * S }
    private let weights: [BlockWeights]
    private let grads: [BlockWeights]
    private var acts: [BlockActivations] = []
    /// Position of the dropout stream at the start of each block's last forward.
    private var maskStreams: [RandomStream?] = []
    /// [R,D] the stream after the last block.
    let output: UnsafeMutablePointer<Float>
    // Scratch shared by all blocks.
    private let branch: UnsafeMutablePointer<Float>     // [R,D]
    private let dNorm: UnsafeMutablePointer<Float>      // [R,D]
    private let dq, dk, dv, dAttended: UnsafeMutablePointer<Float>
    private let ffScratch: UnsafeMutablePointer<Float>  // [R,F]
    private let attScratch: UnsafeMutablePointer<Float> // [S,S]

    init(parameters p: FlatParameters, prefix: String, config c: AutoencoderConfig,
         batch B: Int, sequence S: Int, arena: Arena, training: Bool) {
        self.B = B; self.S = S; D = c.modelWidth; F = c.feedForwardWidth; H = c.heads; count = c.blocks
        dropout = c.dropout; normalize = c.normalize
        weights = (0..<c.blocks).map { BlockWeights(p, prefix: "\(prefix).\($0)", gradients: false, normalize: c.normalize) }
        grads = (0..<c.blocks).map { BlockWeights(p, prefix: "\(prefix).\($0)", gradients: true, normalize: c.normalize) }
        let R = B * S, RD = R * D, att = B * H * S * S
        let dropping = training && c.dropout > 0
        // In eval mode the saved activations are not needed by a backward pass, but the forward
        // still writes them: keep one set and reuse it for every block.
        // Dropout masks, the dropped attention weights and the FF activations are not kept per
        // block: backward redraws the masks from the saved stream position and recomputes the
        // products (bit for bit the same), which saves about 40 % of the activation memory.
        let shared = (attDropped: dropping ? arena.make(att) : arena.make(0), attMask: dropping ? arena.make(att) : arena.make(0),
                      mask1: dropping ? arena.make(RD) : arena.make(0), activated: arena.make(R * F),
                      ffMask: dropping ? arena.make(R * F) : arena.make(0), mask2: dropping ? arena.make(RD) : arena.make(0))
        // In eval mode the saved activations are not needed by a backward pass, but the forward
        // still writes them: keep one set and reuse it for every block.
        var first: BlockActivations?
        for _ in 0..<c.blocks {
            if !training, let f = first { acts.append(f); continue }
            let a = BlockActivations(
                input: arena.make(RD), norm1: arena.make(RD), mean1: arena.make(R), std1: arena.make(R),
                q: arena.make(RD), k: arena.make(RD), v: arena.make(RD),
                att: arena.make(att), attDropped: shared.attDropped, attMask: shared.attMask,
                attended: arena.make(RD), mask1: shared.mask1,
                mid: arena.make(RD), norm2: arena.make(RD), mean2: arena.make(R), std2: arena.make(R),
                hidden: arena.make(R * F), activated: shared.activated, ffMask: shared.ffMask, mask2: shared.mask2)
            acts.append(a)
            first = a
        }
        maskStreams = Array(repeating: nil, count: c.blocks)
        output = arena.make(RD)
        branch = arena.make(RD)
        if training {
            dNorm = arena.make(RD); dq = arena.make(RD); dk = arena.make(RD); dv = arena.make(RD)
            dAttended = arena.make(RD); ffScratch = arena.make(R * F); attScratch = arena.make(S * S)
        } else {
            dNorm = branch; dq = branch; dk = branch; dv = branch; dAttended = branch
            ffScratch = branch; attScratch = branch
        }
    }

    /// Draws one block's dropout masks, always in this order (forward and backward must agree).
    /// With `rows`, each mask is drawn for the whole global batch and this rank keeps its rows.
    private func fillMasks(_ a: BlockActivations, stream: inout RandomStream) {
        fillDropoutMask(a.attMask, rowLength: H * S * S, rows: B, window: dropoutRows, p: dropout, stream: &stream)
        fillDropoutMask(a.mask1, rowLength: S * D, rows: B, window: dropoutRows, p: dropout, stream: &stream)
        fillDropoutMask(a.ffMask, rowLength: S * F, rows: B, window: dropoutRows, p: dropout, stream: &stream)
        fillDropoutMask(a.mask2, rowLength: S * D, rows: B, window: dropoutRows, p: dropout, stream: &stream)
    }

    /// Which rows of the global batch this workspace's B rows are (data-parallel training; nil
    /// when it holds the whole batch).
    var dropoutRows: DropoutRows?

    /// Runs the blocks on `input` [R,D]; the result is in `output`. With `stream`, dropout is on.
    func forward(_ input: UnsafePointer<Float>, stream: inout RandomStream?) {
        let RD = R * D
        var x = input
        for i in 0..<count {
            let a = acts[i], w = weights[i]
            a.input.update(from: x, count: RD)
            let drop = stream != nil && dropout > 0
            if drop {
                maskStreams[i] = stream
                fillMasks(a, stream: &stream!)
            }
            // Attention branch.
            if normalize {
                unbiasedNormForward(out: a.norm1, mean: a.mean1, std: a.std1, inp: a.input, alpha: w.n1a!, bias: w.n1b!,
                                    rows: R, features: D)
            } else {
                a.norm1.update(from: a.input, count: RD)
            }
            linearForward(out: a.q, inp: a.norm1, weight: w.wq, bias: w.bq, rows: R, inFeatures: D, outFeatures: D)
            linearForward(out: a.k, inp: a.norm1, weight: w.wk, bias: w.bk, rows: R, inFeatures: D, outFeatures: D)
            linearForward(out: a.v, inp: a.norm1, weight: w.wv, bias: w.bv, rows: R, inFeatures: D, outFeatures: D)
            attentionForward(out: a.attended, att: a.att, attDropped: drop ? a.attDropped : nil,
                             q: a.q, k: a.k, v: a.v, dropMask: drop ? a.attMask : nil,
                             batch: B, sequence: S, channels: D, heads: H)
            linearForward(out: branch, inp: a.attended, weight: w.wo, bias: w.bo, rows: R, inFeatures: D, outFeatures: D)
            if drop {
                for j in 0..<RD { a.mid[j] = a.input[j] + branch[j] * a.mask1[j] }
            } else {
                for j in 0..<RD { a.mid[j] = a.input[j] + branch[j] }
            }
            // Feed-forward branch.
            if normalize {
                unbiasedNormForward(out: a.norm2, mean: a.mean2, std: a.std2, inp: a.mid, alpha: w.n2a!, bias: w.n2b!,
                                    rows: R, features: D)
            } else {
                a.norm2.update(from: a.mid, count: RD)
            }
            feedForwardForward(out: branch, hidden: a.hidden, activated: a.activated, inp: a.norm2,
                               w1: w.w1, b1: w.b1, w2: w.w2, b2: w.b2, dropMask: drop ? a.ffMask : nil,
                               rows: R, channels: D, hiddenWidth: F)
            // The block's result goes to `output`; the next block copies it as its saved input.
            let out = output
            if drop {
                for j in 0..<RD { out[j] = a.mid[j] + branch[j] * a.mask2[j] }
            } else {
                for j in 0..<RD { out[j] = a.mid[j] + branch[j] }
            }
            x = UnsafePointer(out)
        }
        if count == 0 { output.update(from: input, count: RD) }
    }

    /// Backward through the blocks: `dStream` [R,D] holds dL/d(output) on entry and dL/d(input)
    /// on return (updated in place). Parameter gradients accumulate. Needs a training forward.
    func backward(_ dStream: UnsafeMutablePointer<Float>, dropped: Bool) {
        let RD = R * D
        for i in stride(from: count - 1, through: 0, by: -1) {
            let a = acts[i], w = weights[i], g = grads[i]
            let drop = dropped && dropout > 0
            // Redraw this block's masks and recompute what the forward pass did not keep.
            if drop {
                var s = maskStreams[i]!
                fillMasks(a, stream: &s)
                for j in 0..<(B * H * S * S) { a.attDropped[j] = a.att[j] * a.attMask[j] }
                for j in 0..<(R * F) { a.activated[j] = max(a.hidden[j], 0) * a.ffMask[j] }
            } else {
                for j in 0..<(R * F) { a.activated[j] = max(a.hidden[j], 0) }
            }
            // x_out = mid + Drop2(FF(Norm2(mid)))
            if drop { for j in 0..<RD { branch[j] = dStream[j] * a.mask2[j] } }
            else { branch.update(from: dStream, count: RD) }
            dNorm.update(repeating: 0, count: RD)
            feedForwardBackward(dInp: dNorm, dW1: g.w1, dB1: g.b1, dW2: g.w2, dB2: g.b2, scratch: ffScratch,
                                dOut: branch, inp: a.norm2, hidden: a.hidden, activated: a.activated,
                                w1: w.w1, w2: w.w2, dropMask: drop ? a.ffMask : nil, rows: R, channels: D, hiddenWidth: F)
            if normalize {
                unbiasedNormBackward(dInp: dStream, dAlpha: g.n2a!, dBias: g.n2b!, dOut: dNorm, inp: a.mid, alpha: w.n2a!,
                                     mean: a.mean2, std: a.std2, rows: R, features: D)
            } else {
                for j in 0..<RD { dStream[j] += dNorm[j] }
            }
            // mid = input + Drop1(Out(Attention(Q, K, V of Norm1(input))))
            if drop { for j in 0..<RD { branch[j] = dStream[j] * a.mask1[j] } }
            else { branch.update(from: dStream, count: RD) }
            dAttended.update(repeating: 0, count: RD)
            linearBackward(dInp: dAttended, dWeight: g.wo, dBias: g.bo, dOut: branch, inp: a.attended, weight: w.wo,
                           rows: R, inFeatures: D, outFeatures: D)
            dq.update(repeating: 0, count: RD); dk.update(repeating: 0, count: RD); dv.update(repeating: 0, count: RD)
            attentionBackward(dq: dq, dk: dk, dv: dv, scratch: attScratch, dOut: dAttended, q: a.q, k: a.k, v: a.v,
                              att: a.att, attDropped: drop ? a.attDropped : nil, dropMask: drop ? a.attMask : nil,
                              batch: B, sequence: S, channels: D, heads: H)
            dNorm.update(repeating: 0, count: RD)
            linearBackward(dInp: dNorm, dWeight: g.wq, dBias: g.bq, dOut: dq, inp: a.norm1, weight: w.wq,
                           rows: R, inFeatures: D, outFeatures: D)
            linearBackward(dInp: dNorm, dWeight: g.wk, dBias: g.bk, dOut: dk, inp: a.norm1, weight: w.wk,
                           rows: R, inFeatures: D, outFeatures: D)
            linearBackward(dInp: dNorm, dWeight: g.wv, dBias: g.bv, dOut: dv, inp: a.norm1, weight: w.wv,
                           rows: R, inFeatures: D, outFeatures: D)
            if normalize {
                unbiasedNormBackward(dInp: dStream, dAlpha: g.n1a!, dBias: g.n1b!, dOut: dNorm, inp: a.input, alpha: w.n1a!,
                                     mean: a.mean1, std: a.std1, rows: R, features: D)
            } else {
                for j in 0..<RD { dStream[j] += dNorm[j] }
            }
        }
    }
}
