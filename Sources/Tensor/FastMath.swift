// Branch-free exp and tanh for the activation kernels, written so that loops over arrays
// auto-vectorise (glibc's tanhf, through expm1f, was a quarter of CNN-s training time).
//
// exp: y = n·ln2 + r with n rounded by the 1.5·2^23 trick, e^r by a degree-7 Taylor polynomial on
// |r| ≤ ln2/2, 2^n built in the exponent bits. tanh: an odd minimax polynomial for |x| < 0.7,
// where 1 − 2/(e^{2|x|} + 1) would cancel, that identity elsewhere (its own shorter exp),
// saturating beyond |x| = 9.1. Both stay within about 1.4e-7 relative error of the exact value
// (checked against Double in TensorTests).

/// e^y, for y clamped to [−87, 88] (the float range).
@inline(__always)
public func fastExp(_ y0: Float) -> Float {
    let y = min(max(y0, -87), 88)
    let magic: Float = 12_582_912   // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
    let t = y * 1.442695040888963 + magic
    let n = t - magic
    // r = y − n·ln2, ln2 split in two parts so that n·ln2_hi is exact.
    let r = (y - n * 0.693145751953125) - n * 1.428606765330187e-06
    var p: Float = 1.0 / 5040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let bits = (t.bitPattern &- magic.bitPattern &+ 127) << 23
    return p * Float(bitPattern: bits)
}

/// tanh(x) within 1.1e-7 relative error of the exact value (every fifth float checked), NaN for NaN.
///
/// |x| < 0.7: x + x³·q(x²), q a degree-4 minimax fit of (tanh x − x)/x³ on that interval.
/// Elsewhere 1 − 2/(e^{2|x|} + 1) with the sign of x, e^y as in `fastExp` but with a degree-6
/// minimax polynomial for e^r on |r| ≤ ln2/2 (the Taylor one needs degree 7), and |x| clamped at
/// 9.1, beyond which tanh rounds to ±1. Multiply-adds are fused where the host has FMA (HZ_FMA):
/// with AVX2 and FMA the loop body is 48 instructions per 8 values (87 with the Taylor forms and
/// no FMA). tools/experiments/fit_tanh.py fits the coefficients and checks the error of both builds.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let a = abs(x)
    // e^y for y = 2·min(|x|, 9.1) ∈ [0, 18.2]: y = n·ln2 + r, 2^n from the exponent bits.
    let y = 2 * min(a, 9.1)
    let magic: Float = 12_582_912   // 1.5·2^23: adding it rounds to an integer in the low mantissa bits
    let t = multiplyAdd(magic, y, 1.442695040888963)
    let n = t - magic
    let r = multiplyAdd(multiplyAdd(y, n, -0.693145751953125), n, -1.428606765330187e-06)
    var p: Float = 1.3843616470694542e-03
    p = multiplyAdd(8.374198339879513e-03, p, r)
    p = multiplyAdd(4.166800528764725e-02, p, r)
    p = multiplyAdd(1.6666430234909058e-01, p, r)
    p = multiplyAdd(4.999999403953552e-01, p, r)
    p = multiplyAdd(1, p, r)
    p = multiplyAdd(1, p, r)
    let e = p * Float(bitPattern: (t.bitPattern &- magic.bitPattern &+ 127) << 23)
    let large = 1 - 2 / (e + 1)
    let z = x * x
    var q: Float = -5.138604436069727e-03
    q = multiplyAdd(2.0091908052563667e-02, q, z)
    q = multiplyAdd(-5.35588376224041e-02, q, z)
    q = multiplyAdd(1.332911103963852e-01, q, z)
    q = multiplyAdd(-3.333319127559662e-01, q, z)
    let small = multiplyAdd(x, x * z, q)
    let signed = x < 0 ? -large : large
    return a < 0.7 ? small : signed
}

/// acc + a·b: one fused multiply-add where the build host has FMA (Package.swift's HZ_FMA),
/// as the SIMD8 `multiplyAdd` of the convolutions; else a multiply and an add.
@_transparent
func multiplyAdd(_ acc: Float, _ a: Float, _ b: Float) -> Float {
    #if HZ_FMA
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

/// The logistic function 1 / (1 + e^{−x}).
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }
