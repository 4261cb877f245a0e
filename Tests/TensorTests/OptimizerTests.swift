import Foundation
import Testing
import TestSupport
@testable import Tensor

/// Optimizers against hand-written Double versions of PyTorch's update rules.
@Suite struct OptimizerTests {
    static let grads: [[Float]] = [[0.5, -1, 2], [0.1, 0.3, -0.2], [-0.4, 0, 1]]
    static let start: [Float] = [1, -2, 0.5]

    @Test(arguments: [OptimizerKind.adam, .adamW])
    func adamFollowsTorchFormula(kind: OptimizerKind) {
        let lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8
        let opt = Optimizer(OptimizerConfig(kind: kind, learningRate: Float(lr), weightDecay: Float(wd)), count: 3)
        var p = Self.start
        var pd = Self.start.map(Double.init), m = [Double](repeating: 0, count: 3), v = m
        for (t, g) in Self.grads.enumerated() {
            g.withUnsafeBufferPointer { gp in p.withUnsafeMutableBufferPointer { opt.step(values: $0.baseAddress!, gradients: gp.baseAddress!) } }
            let step = Double(t + 1)
            for i in 0..<3 {
                var gi = Double(g[i])
                if kind == .adam { gi += wd * pd[i] } else { pd[i] *= 1 - lr * wd }
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mh = m[i] / (1 - pow(b1, step)), vh = v[i] / (1 - pow(b2, step))
                pd[i] -= lr * mh / (vh.squareRoot() + eps)
            }
        }
        #expect(compareFloats(p, pd.map(Float.init), relative: 1e-5, absolute: 1e-6) == nil)
        #expect(opt.steps == 3)
    }

    /// 37 parameters: the vectorised body (8 lanes, square roots as one instruction) and the
    /// scalar tail give bit-identical updates for identical inputs, and match the Double formula.
    @Test func adamVectorBodyAndTailAgree() {
        let n = 37, lr = 3e-4, b1 = 0.9, b2 = 0.999, eps = 1e-8
        let opt = Optimizer(.adam(learningRate: Float(lr)), count: n)
        var p = (0..<n).map { Self.start[$0 % 3] }
        var pd = Self.start.map(Double.init), m = [Double](repeating: 0, count: 3), v = m
        for (t, g3) in Self.grads.enumerated() {
            let g = (0..<n).map { g3[$0 % 3] }
            g.withUnsafeBufferPointer { gp in p.withUnsafeMutableBufferPointer { opt.step(values: $0.baseAddress!, gradients: gp.baseAddress!) } }
            for i in 0..<3 {
                let gi = Double(g3[i])
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mh = m[i] / (1 - pow(b1, Double(t + 1))), vh = v[i] / (1 - pow(b2, Double(t + 1)))
                pd[i] -= lr * mh / (vh.squareRoot() + eps)
            }
        }
        for i in 3..<n { #expect(p[i].bitPattern == p[i % 3].bitPattern, "parameter \(i)") }
        #expect(compareFloats(Array(p[0..<3]), pd.map(Float.init), relative: 1e-5, absolute: 1e-6) == nil)
    }

    @Test func sgdMomentumFollowsTorchFormula() {
        let lr = 0.1, mu = 0.9, wd = 0.01
        let opt = Optimizer(.sgd(learningRate: Float(lr), momentum: Float(mu), weightDecay: Float(wd)), count: 3)
        var p = Self.start
        var pd = Self.start.map(Double.init), buf = [Double](repeating: 0, count: 3)
        for (t, g) in Self.grads.enumerated() {
            g.withUnsafeBufferPointer { gp in p.withUnsafeMutableBufferPointer { opt.step(values: $0.baseAddress!, gradients: gp.baseAddress!) } }
            for i in 0..<3 {
                let gi = Double(g[i]) + wd * pd[i]
                buf[i] = t == 0 ? gi : mu * buf[i] + gi
                pd[i] -= lr * buf[i]
            }
        }
        #expect(compareFloats(p, pd.map(Float.init), relative: 1e-5, absolute: 1e-6) == nil)
    }

    @Test func stateRoundTripsAndResumesIdentically() {
        let a = Optimizer(.adam(learningRate: 0.01), count: 3), b = Optimizer(.adam(learningRate: 0.01), count: 3)
        var pa = Self.start
        for g in Self.grads.prefix(2) { g.withUnsafeBufferPointer { gp in pa.withUnsafeMutableBufferPointer { a.step(values: $0.baseAddress!, gradients: gp.baseAddress!) } } }
        let saved = a.saveState()
        b.loadState(steps: saved.steps, state: saved.state)
        var pb = pa
        let g = Self.grads[2]
        g.withUnsafeBufferPointer { gp in pa.withUnsafeMutableBufferPointer { a.step(values: $0.baseAddress!, gradients: gp.baseAddress!) } }
        g.withUnsafeBufferPointer { gp in pb.withUnsafeMutableBufferPointer { b.step(values: $0.baseAddress!, gradients: gp.baseAddress!) } }
        #expect(pa == pb)
    }

    @Test func clippingBoundsTheNorm() {
        var g: [Float] = [3, 4]
        let norm = g.withUnsafeMutableBufferPointer { clipGradientNorm($0.baseAddress!, count: 2, maxNorm: 1) }
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs((g[0] * g[0] + g[1] * g[1]).squareRoot() - 1) < 1e-5)
        var small: [Float] = [0.3, 0.4]
        small.withUnsafeMutableBufferPointer { _ = clipGradientNorm($0.baseAddress!, count: 2, maxNorm: 1) }
        #expect(small == [0.3, 0.4])
        var v: [Float] = [-3, 0.5, 9]
        v.withUnsafeMutableBufferPointer { clipGradientValue($0.baseAddress!, count: 3, limit: 1) }
        #expect(v == [-1, 0.5, 1])
    }

    @Test func schedulesFollowTheirClosedForms() {
        var step = LearningRateScheduler(.step(stepSize: 2, gamma: 0.5), base: 1)
        #expect((0..<5).map { step.advance(toEpoch: $0) } == [1, 1, 0.5, 0.5, 0.25])
        var cosine = LearningRateScheduler(.cosine(epochs: 4, minimum: 0), base: 1)
        let c = (0...4).map { cosine.advance(toEpoch: $0) }
        #expect(abs(c[0] - 1) < 1e-6 && abs(c[2] - 0.5) < 1e-6 && abs(c[4]) < 1e-6)
        var constant = LearningRateScheduler(.constant, base: 0.3)
        #expect(constant.advance(toEpoch: 9) == 0.3)
        var plateau = LearningRateScheduler(.reduceOnPlateau(factor: 0.1, patience: 1, threshold: 1e-4, minimum: 1e-4), base: 1)
        let rates = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95].enumerated().map { plateau.advance(toEpoch: $0.offset, metric: Float($0.element)) }
        // 0.9 improves; then two bad epochs (> patience 1) cut the rate, twice over four epochs.
        #expect(rates.map { ($0 * 1000).rounded() / 1000 } == [1, 1, 1, 0.1, 0.1, 0.01])
    }
}
