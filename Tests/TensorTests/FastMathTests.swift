import Foundation
import Testing
@testable import Tensor

@Suite struct FastMathTests {
    @Test func tanhExpAndSigmoidAreAccurateOverTheRange() {
        var worstTanh = 0.0, worstExp = 0.0, worstSigmoid = 0.0
        var x = -20.0
        while x < 20 {
            let f = Float(x), d = Double(f)
            worstTanh = max(worstTanh, abs(Double(fastTanh(f)) - tanh(d)) / max(abs(tanh(d)), 1e-30))
            worstSigmoid = max(worstSigmoid, abs(Double(fastSigmoid(f)) - 1 / (1 + exp(-d))) / (1 / (1 + exp(-d))))
            if abs(x) < 80 { worstExp = max(worstExp, abs(Double(fastExp(f)) - exp(d)) / exp(d)) }
            x += 0.000913
        }
        #expect(worstTanh < 1.5e-7, "tanh relative error \(worstTanh)")
        #expect(worstExp < 3e-7, "exp relative error \(worstExp)")
        #expect(worstSigmoid < 3e-7, "sigmoid relative error \(worstSigmoid)")
        #expect(fastTanh(0) == 0 && fastTanh(1e-30) == 1e-30 && fastTanh(50) == 1 && fastTanh(-50) == -1)
        #expect(fastTanh(.nan).isNaN && fastTanh(.infinity) == 1 && fastTanh(-.infinity) == -1)
        #expect(fastExp(-200) > 0 && fastExp(-200) < 1e-37)
    }

    /// Every 241st float from 2^-20 to 10 (all binades, both branches of fastTanh and the switch
    /// between them at |x| = 0.7) and their negatives, against Double.
    @Test func tanhIsAccurateOnADenseGrid() {
        var worst = 0.0, worstAt: Float = 0, odd = true
        var bits = Float(0x1p-20).bitPattern
        while bits < Float(10).bitPattern {
            let f = Float(bitPattern: bits), d = Double(f)
            let e = abs(Double(fastTanh(f)) - tanh(d)) / tanh(d)
            if e > worst { worst = e; worstAt = f }
            odd = odd && fastTanh(-f) == -fastTanh(f)
            bits += 241
        }
        #expect(worst < 1.5e-7, "tanh relative error \(worst) at \(worstAt)")
        #expect(odd)
    }

    @Test func maxPoolTiesGoToTheFirstMaximum() {
        // One 2×2 window of equal values, one with the maximum last, one with a NaN.
        let x: [Float] = [1, 1, 0, 5, .nan, 0,
                          1, 1, 0, 5, 0, 0]
        var y = [Float](repeating: 0, count: 3), arg = [Int32](repeating: 0, count: 3)
        maxPool2dForward(out: &y, argmax: &arg, inp: x, planes: 1, height: 2, width: 6, kernel: 2, stride: 2)
        #expect(y[0] == 1 && y[1] == 5 && y[2].isNaN)
        #expect(arg == [0, 3, 4])
    }
}
