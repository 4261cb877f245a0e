// Weight initialisers of the zoo recipes (`model::init_type`), with PyTorch's fan conventions.
//
// fan_in = shape[1] · receptive field, fan_out = shape[0] · receptive field, where the receptive
// field is the product of shape[2...] (1 for linear layers). Kaiming uses PyTorch's defaults
// (a = 0, mode fan_in, nonlinearity leaky_relu → gain √2); Xavier uses gain 1.
// Note `uniform` is torch.nn.init.uniform_ with its default bounds: U(0, 1), not symmetric,
// exactly as the Model Zoos code calls it. Biases are set to 0.01 by the zoo code.
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How a layer's weight is drawn.
public enum Initializer: String, Codable, Sendable, CaseIterable {
    case uniform, normal
    case kaimingUniform = "kaiming_uniform", kaimingNormal = "kaiming_normal"
    case xavierUniform = "xavier_uniform", xavierNormal = "xavier_normal"

    /// The zoo code's constant bias.
    public static let zooBias: Float = 0.01
}

/// PyTorch's (fan_in, fan_out) of a weight of this shape.
public func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    precondition(shape.count >= 2, "fan in/out need a weight of rank ≥ 2, got \(shape)")
    let receptive = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptive, shape[0] * receptive)
}

/// Fills weight[count(shape)] with draws of `kind` from `stream`.
public func initializeWeight(_ weight: UnsafeMutablePointer<Float>, shape: [Int], _ kind: Initializer,
                             stream: inout RandomStream) {
    let n = shape.reduce(1, *)
    let (fanIn, fanOut) = fans(of: shape)
    func uniform(_ bound: Float) { for i in 0..<n { weight[i] = stream.nextFloat(in: -bound, bound) } }
    func normal(_ std: Float) { for i in 0..<n { weight[i] = std * stream.nextNormal() } }
    switch kind {
    case .uniform: for i in 0..<n { weight[i] = stream.nextFloat() }
    case .normal: normal(1)
    case .kaimingUniform: uniform(Float(2.0.squareRoot() * (3.0 / Double(fanIn)).squareRoot()))
    case .kaimingNormal: normal(Float(2.0.squareRoot() / Double(fanIn).squareRoot()))
    case .xavierUniform: uniform(Float((6.0 / Double(fanIn + fanOut)).squareRoot()))
    case .xavierNormal: normal(Float((2.0 / Double(fanIn + fanOut)).squareRoot()))
    }
}
