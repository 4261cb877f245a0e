import Foundation
import Testing
import TestSupport
@testable import Tensor

@Suite struct LossTests {
    static let B = 4, V = 5

    static func logSoftmax(_ x: [Double]) -> [Double] {
        var out: [Double] = []
        for b in 0..<B {
            let row = x[(b * V)..<((b + 1) * V)]
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            out += row.map { $0 - lse }
        }
        return out
    }

    @Test func crossEntropyEqualsLogSoftmaxPlusNLLAndMatchesFiniteDifferences() {
        let B = Self.B, V = Self.V
        var r = RandomStream(seed: 2, purpose: "ce")
        let logits = (0..<(B * V)).map { _ in 3 * r.nextNormal() }
        let labels: [Int32] = [0, 4, 2, 2]
        var lp = [Float](repeating: 0, count: B * V), losses = [Float](repeating: 0, count: B)
        let loss = crossEntropyForward(logProbs: &lp, losses: &losses, logits: logits, labels: labels, rows: B, classes: V)
        let xd = logits.map(Double.init)
        func ref(_ x: [Double]) -> Double {
            let l = Self.logSoftmax(x)
            return -(0..<B).reduce(0) { $0 + l[$1 * V + Int(labels[$1])] } / Double(B)
        }
        #expect(abs(Double(loss) - ref(xd)) < 1e-5)
        #expect(abs(losses.reduce(0, +) / Float(B) - loss) < 1e-6)
        var separate = [Float](repeating: 0, count: B * V)
        logSoftmaxForward(out: &separate, inp: logits, rows: B, classes: V)
        #expect(nllForward(logProbs: separate, labels: labels, rows: B, classes: V) == loss)

        var dFused = [Float](repeating: 0, count: B * V)
        crossEntropyBackward(dLogits: &dFused, logProbs: lp, labels: labels, rows: B, classes: V)
        let numeric = numericalGradient(xd, ref)
        #expect(maxRelativeError(dFused, numeric) < 1e-4)

        // The unfused pair gives the same gradient.
        var dLogProbs = [Float](repeating: 0, count: B * V), dSeparate = dLogProbs
        nllBackward(dLogProbs: &dLogProbs, labels: labels, rows: B, classes: V)
        logSoftmaxBackward(dInp: &dSeparate, dOut: dLogProbs, out: separate, rows: B, classes: V)
        #expect(maxRelativeError(dSeparate, numeric) < 1e-4)
        #expect(maxRelativeError(dFused, dSeparate.map(Double.init)) < 1e-5, "the fused gradient is the unfused pair's")
    }

    @Test func logSoftmaxBackwardMatchesFiniteDifferences() {
        let B = Self.B, V = Self.V
        var r = RandomStream(seed: 3, purpose: "lsm")
        let x = (0..<(B * V)).map { _ in r.nextNormal() }
        let probe = (0..<(B * V)).map { _ in r.nextNormal() }
        var y = [Float](repeating: 0, count: B * V), dx = y
        logSoftmaxForward(out: &y, inp: x, rows: B, classes: V)
        logSoftmaxBackward(dInp: &dx, dOut: probe, out: y, rows: B, classes: V)
        let numeric = numericalGradient(x.map(Double.init)) { v in
            zip(Self.logSoftmax(v), probe).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        #expect(maxRelativeError(dx, numeric) < 1e-4)
    }
}
