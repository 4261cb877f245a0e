import Testing
import TestSupport
@testable import Tensor

@Suite struct InitializerTests {
    @Test func fansFollowPyTorch() {
        #expect(fans(of: [8, 1, 5, 5]) == (25, 200))
        #expect(fans(of: [20, 36]) == (36, 20))
    }

    /// Sample moments of each initialiser against the distribution PyTorch draws from.
    @Test(arguments: Initializer.allCases)
    func momentsMatchTheDistribution(kind: Initializer) {
        let shape = [64, 32, 3, 3]           // fan_in 288, fan_out 576, 18432 draws
        let n = shape.reduce(1, *)
        var w = [Float](repeating: 0, count: n)
        var s = RandomStream(seed: 3, purpose: "init")
        initializeWeight(&w, shape: shape, kind, stream: &s)
        let mean = w.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = w.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n)
        let fanIn = 288.0, fanOut = 576.0
        let expected: (mean: Double, variance: Double, bound: Double?) = switch kind {
        case .uniform: (0.5, 1.0 / 12, nil)
        case .normal: (0, 1, nil)
        case .kaimingUniform: (0, 2 / fanIn, (6 / fanIn).squareRoot())
        case .kaimingNormal: (0, 2 / fanIn, nil)
        case .xavierUniform: (0, 2 / (fanIn + fanOut), (6 / (fanIn + fanOut)).squareRoot())
        case .xavierNormal: (0, 2 / (fanIn + fanOut), nil)
        }
        #expect(abs(mean - expected.mean) < 0.03 * max(expected.variance.squareRoot(), 0.1))
        #expect(abs(variance / expected.variance - 1) < 0.05)
        if let bound = expected.bound { #expect(w.allSatisfy { abs(Double($0)) <= bound }) }
        if kind == .uniform { #expect(w.allSatisfy { $0 >= 0 && $0 < 1 }) }
    }
}
