import Testing
import TestSupport
@testable import Tensor

@Suite struct LinearTests {
    // Loss L = Σ out ⊙ probe, so dOut = probe. The Double closure recomputes L for the check.
    @Test func gradientsMatchFiniteDifferences() {
        let B = 3, C = 4, OC = 5
        var r = RandomStream(seed: 11, purpose: "linear")
        let x = (0..<(B * C)).map { _ in r.nextNormal() }
        let w = (0..<(OC * C)).map { _ in r.nextNormal() }
        let bias = (0..<OC).map { _ in r.nextNormal() }
        let probe = (0..<(B * OC)).map { _ in r.nextNormal() }
        var dx = [Float](repeating: 0, count: B * C)
        var dw = [Float](repeating: 0, count: OC * C)
        var db = [Float](repeating: 0, count: OC)
        linearBackward(dInp: &dx, dWeight: &dw, dBias: &db, dOut: probe, inp: x, weight: w,
                       rows: B, inFeatures: C, outFeatures: OC)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var s = 0.0
            for i in 0..<B { for o in 0..<OC {
                var y = b[o]
                for c in 0..<C { y += x[i * C + c] * w[o * C + c] }
                s += y * Double(probe[i * OC + o])
            } }
            return s
        }
        let xd = x.map(Double.init), wd = w.map(Double.init), bd = bias.map(Double.init)
        #expect(maxRelativeError(dx, numericalGradient(xd) { loss($0, wd, bd) }) < 1e-4)
        #expect(maxRelativeError(dw, numericalGradient(wd) { loss(xd, $0, bd) }) < 1e-4)
        #expect(maxRelativeError(db, numericalGradient(bd) { loss(xd, wd, $0) }) < 1e-4)
        // Forward agrees with the Double reference.
        var y = [Float](repeating: 0, count: B * OC)
        linearForward(out: &y, inp: x, weight: w, bias: bias, rows: B, inFeatures: C, outFeatures: OC)
        var expected = [Float](repeating: 0, count: B * OC)
        for i in 0..<B { for o in 0..<OC {
            var s = bd[o]; for c in 0..<C { s += xd[i * C + c] * wd[o * C + c] }
            expected[i * OC + o] = Float(s)
        } }
        #expect(compareFloats(y, expected, relative: 1e-5, absolute: 1e-5) == nil)
    }
}
