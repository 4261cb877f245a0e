// Classification losses.
//
// Size legend:  B = batch rows, V = classes (logits per row).
// The zoo recipes use log_softmax followed by NLLLoss with mean reduction; `crossEntropy*` is the
// fused pair (one pass, numerically the same) that Nets and the MLP probe train with. The
// unfused `logSoftmax*` and `nll*` pairs are its reference: LossTests checks the fused loss and
// gradient against them and against finite differences. Mirrors torch.nn.functional.log_softmax,
// nll_loss and cross_entropy (reduction 'mean'). (The AE's reconstruction loss is its own fused
// layer-wise MSE, HyperRep/Autoencoder/ReconstructionLoss.swift.)
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// out[B, V] = log_softmax(inp[B, V]) along V.
public func logSoftmaxForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                              rows B: Int, classes V: Int) {
    for b in 0..<B {
        let x = inp + b * V, y = out + b * V
        var m = -Float.infinity
        for v in 0..<V { m = max(m, x[v]) }
        var s: Float = 0
        for v in 0..<V { s += expf(x[v] - m) }
        let lse = m + logf(s)
        for v in 0..<V { y[v] = x[v] - lse }
    }
}

/// Backward of `logSoftmaxForward`: dInp[B, V] += dOut − softmax · Σ_v dOut, from out = log-probs.
public func logSoftmaxBackward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                               out: UnsafePointer<Float>, rows B: Int, classes V: Int) {
    for b in 0..<B {
        let g = dOut + b * V, y = out + b * V, d = dInp + b * V
        var s: Float = 0
        for v in 0..<V { s += g[v] }
        for v in 0..<V { d[v] += g[v] - expf(y[v]) * s }
    }
}

/// Mean negative log-likelihood of labels[B] under logProbs[B, V]; returns the loss.
public func nllForward(logProbs: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                       rows B: Int, classes V: Int) -> Float {
    var s: Float = 0
    for b in 0..<B { s -= logProbs[b * V + Int(labels[b])] }
    return s / Float(B)
}

/// Backward of `nllForward`: dLogProbs[B, V] += −dLoss / B at each row's label.
public func nllBackward(dLogProbs: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>,
                        dLoss: Float = 1, rows B: Int, classes V: Int) {
    let g = dLoss / Float(B)
    for b in 0..<B { dLogProbs[b * V + Int(labels[b])] -= g }
}

/// Fused log_softmax + NLL: logProbs[B, V] ← log_softmax(logits); returns the mean loss.
/// `losses` (optional, [B]) receives each row's loss.
@discardableResult
public func crossEntropyForward(logProbs: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>?,
                                logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                                rows B: Int, classes V: Int) -> Float {
    logSoftmaxForward(out: logProbs, inp: logits, rows: B, classes: V)
    var s: Float = 0
    for b in 0..<B {
        let l = -logProbs[b * V + Int(labels[b])]
        losses?[b] = l
        s += l
    }
    return s / Float(B)
}

/// Backward of `crossEntropyForward`: dLogits[B, V] += dLoss · (softmax − onehot(label)) / B.
public func crossEntropyBackward(dLogits: UnsafeMutablePointer<Float>, logProbs: UnsafePointer<Float>,
                                 labels: UnsafePointer<Int32>, dLoss: Float = 1,
                                 rows B: Int, classes V: Int) {
    let g = dLoss / Float(B)
    for b in 0..<B {
        let y = logProbs + b * V, d = dLogits + b * V
        for v in 0..<V { d[v] += g * expf(y[v]) }
        d[Int(labels[b])] -= g
    }
}
