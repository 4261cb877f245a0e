import Foundation
import Testing
import TestSupport
@testable import Tensor

@Suite struct ActivationTests {
    static func reference(_ f: Activation, _ x: Double) -> Double {
        switch f {
        case .tanh: return Foundation.tanh(x)
        case .relu: return max(x, 0)
        case .leakyRelu: return x > 0 ? x : 0.01 * x
        case .sigmoid: return 1 / (1 + exp(-x))
        case .silu: return x / (1 + exp(-x))
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        }
    }

    @Test(arguments: Activation.allCases)
    func forwardAndBackwardMatchDoubleReference(f: Activation) {
        let n = 40
        var r = RandomStream(seed: 8, purpose: "act")
        // Keep away from the kinks of relu/leaky-relu where central differences are undefined.
        let x = (0..<n).map { _ -> Float in let v = 3 * r.nextNormal(); return abs(v) < 0.01 ? v + 0.1 : v }
        let probe = (0..<n).map { _ in r.nextNormal() }
        var y = [Float](repeating: 0, count: n)
        activationForward(out: &y, inp: x, count: n, f)
        let xd = x.map(Double.init)
        #expect(compareFloats(y, xd.map { Float(Self.reference(f, $0)) }, relative: 1e-5, absolute: 1e-6) == nil)
        var dx = [Float](repeating: 0, count: n)
        activationBackward(dInp: &dx, dOut: probe, inp: x, out: y, count: n, f)
        let numeric = numericalGradient(xd) { v in zip(v, probe).reduce(0) { $0 + Self.reference(f, $1.0) * Double($1.1) } }
        #expect(maxRelativeError(dx, numeric) < 1e-4)
    }

    @Test func parsesModelZooNames() {
        #expect(Activation(name: "tanh") == .tanh)
        #expect(Activation(name: "LeakyReLU") == .leakyRelu)
        #expect(Activation(name: "leaky_relu") == .leakyRelu)
        #expect(Activation(name: "swish") == nil)
    }

    @Test func dropoutKeepsExpectedFractionAndScales() {
        let n = 20_000, p: Float = 0.3
        let x = [Float](repeating: 2, count: n)
        var y = [Float](repeating: 0, count: n), mask = y
        var s = RandomStream(seed: 1, purpose: "dropout")
        dropoutForward(out: &y, mask: &mask, inp: x, count: n, probability: p, stream: &s)
        let kept = y.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / Double(n) - 0.7) < 0.02)
        #expect(kept.allSatisfy { abs($0 - 2 / 0.7) < 1e-5 })
        // Backward is linear in dOut with the same mask: d/dx Σ y·probe = mask·probe.
        let probe = (0..<n).map { Float($0 % 7) - 3 }
        var dx = [Float](repeating: 0, count: n)
        dropoutBackward(dInp: &dx, dOut: probe, mask: mask, count: n)
        for i in 0..<n { #expect(dx[i] == probe[i] * mask[i]) }
        // Same stream key and counter: same mask.
        var s2 = RandomStream(seed: 1, purpose: "dropout")
        var y2 = [Float](repeating: 0, count: n), mask2 = y2
        dropoutForward(out: &y2, mask: &mask2, inp: x, count: n, probability: p, stream: &s2)
        #expect(mask2 == mask)
    }
}
