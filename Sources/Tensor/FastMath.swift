// Branch-free exp and tanh for the activation kernels, written so that loops over arrays
// auto-vectorise (glibc's tanhf, through expm1f, was a quarter of CNN-s training time).
//
// exp: y = n·ln2 + r with n rounded by the 1.5·2^23 trick, e^r by a degree-7 Taylor polynomial on
// |r| ≤ ln2/2, 2^n built in the exponent bits. tanh: an odd Taylor polynomial (to x^19) for
// |x| < 0.625, where 1 − 2/(e^{2|x|} + 1) would cancel, that identity elsewhere, saturating
// beyond |x| = 10. Both stay within about 1.3e-7 relative error of the exact value (checked
// against Double in TensorTests).

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

/// tanh(x) to about 1.3e-7 relative error.
@inline(__always)
public func fastTanh(_ x: Float) -> Float {
    let a = abs(x)
    let e = fastExp(2 * min(a, 10))
    let large = 1 - 2 / (e + 1)
    let z = x * x
    // (tanh x − x) / x³ as a series in z = x²; Horner from the x^19 term down.
    var q: Float = -2.391291142e-04
    q = q * z + 5.900274409e-04
    q = q * z - 1.455834387e-03
    q = q * z + 3.592128037e-03
    q = q * z - 8.863235530e-03
    q = q * z + 2.186948854e-02
    q = q * z - 5.396825397e-02
    q = q * z + 2.0 / 15
    q = q * z - 1.0 / 3
    let small = x + x * z * q
    let signed = x < 0 ? -large : large
    return a < 0.625 ? small : signed
}

/// The logistic function 1 / (1 + e^{−x}).
@inline(__always)
public func fastSigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }
