// Elementwise activations of the zoo recipes.
//
// Size legend:  N = number of elements (any shape; activations are pointwise).
// Backward takes both the forward input and output because each derivative is cheapest from
// one of them (tanh and sigmoid from the output, the others from the input).
// tanh, sigmoid and silu use the vectorisable FastMath.swift forms (≈1e-7 relative error).
// Mirrors torch.nn.Tanh, ReLU, LeakyReLU (slope 0.01), Sigmoid, SiLU and GELU (exact erf form,
// PyTorch's default approximate='none').
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The nonlinearities of the Model Zoos recipes (`model::nlin`).
public enum Activation: String, Codable, Sendable, CaseIterable {
    case tanh, relu, leakyRelu = "leakyrelu", sigmoid, silu, gelu

    /// PyTorch's default negative slope of LeakyReLU.
    public static let leakySlope: Float = 0.01

    /// Parses a Model Zoos `model::nlin` value (case-insensitive; `leaky_relu` accepted).
    public init?(name: String) {
        let n = String(name.lowercased().filter { $0 != "_" })
        guard let a = Activation(rawValue: n) else { return nil }
        self = a
    }
}

/// out[N] = f(inp[N]). Keep `out` and `inp` apart: the backward pass reads both.
public func activationForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                              count N: Int, _ f: Activation) {
    switch f {
    case .tanh: for i in 0..<N { out[i] = fastTanh(inp[i]) }
    case .relu: for i in 0..<N { out[i] = max(inp[i], 0) }
    case .leakyRelu:
        let s = Activation.leakySlope
        for i in 0..<N { let x = inp[i]; out[i] = x > 0 ? x : s * x }
    case .sigmoid: for i in 0..<N { out[i] = fastSigmoid(inp[i]) }
    case .silu: for i in 0..<N { let x = inp[i]; out[i] = x * fastSigmoid(x) }
    case .gelu:
        let r: Float = 0.70710678118654752   // 1/√2
        for i in 0..<N { let x = inp[i]; out[i] = 0.5 * x * (1 + erff(x * r)) }
    }
}

/// Backward of `activationForward`: dInp[N] += f'(inp) · dOut[N], given inp[N] and out[N].
/// With `accumulate: false` it stores dInp[N] = f'(inp) · dOut[N] instead, so a caller whose
/// dInp holds nothing yet need not zero it first.
public func activationBackward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                               inp: UnsafePointer<Float>, out: UnsafePointer<Float>,
                               count N: Int, _ f: Activation, accumulate: Bool = true) {
    switch f {
    case .tanh: storeGradient(dInp, N, accumulate) { i in let y = out[i]; return (1 - y * y) * dOut[i] }
    case .relu: storeGradient(dInp, N, accumulate) { i in inp[i] > 0 ? dOut[i] : 0 }
    case .leakyRelu:
        let s = Activation.leakySlope
        storeGradient(dInp, N, accumulate) { i in (inp[i] > 0 ? 1 : s) * dOut[i] }
    case .sigmoid: storeGradient(dInp, N, accumulate) { i in let y = out[i]; return y * (1 - y) * dOut[i] }
    case .silu:
        storeGradient(dInp, N, accumulate) { i in
            let x = inp[i], sg = fastSigmoid(x)
            return sg * (1 + x * (1 - sg)) * dOut[i]
        }
    case .gelu:
        let r: Float = 0.70710678118654752, c: Float = 0.39894228040143268   // 1/√2, 1/√(2π)
        storeGradient(dInp, N, accumulate) { i in
            let x = inp[i]
            return (0.5 * (1 + erff(x * r)) + x * c * expf(-0.5 * x * x)) * dOut[i]
        }
    }
}

/// dst[i] += g(i) (accumulate) or dst[i] = g(i) for i < N: two plain loops so that each vectorises.
@inline(__always)
func storeGradient(_ dst: UnsafeMutablePointer<Float>, _ N: Int, _ accumulate: Bool, _ g: (Int) -> Float) {
    if accumulate {
        for i in 0..<N { dst[i] += g(i) }
    } else {
        for i in 0..<N { dst[i] = g(i) }
    }
}
