// SIMD8 helpers of the direct convolution kernels: loads, stores, row chunks, lane masks, FMA.
// Part of the direct convolution; Conv2dDirect.swift has the size legend, the layout and why.

/// A run of 8 floats read from (possibly unaligned) memory.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores 8 floats at (possibly unaligned) p.
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// The SIMD8 column chunks covering an output row of OW ≥ 8: starts 0, 8, 16, … and, when 8 does
/// not divide OW, a last chunk ending at OW whose first `skip` lanes repeat its predecessor's.
@inline(__always)
func chunkStart(_ j: Int, rowWidth OW: Int) -> (start: Int, skip: Int) {
    let start = min(j * 8, OW - 8)
    return (start, j * 8 - start)
}

/// acc + a·b. Where the build host has FMA (Package.swift defines HZ_FMA with the AVX2 target)
/// it is one fused multiply-add: half the arithmetic instructions of a multiply and an add,
/// which is what the convolution loops are bound by, and one rounding instead of two.
@_transparent
func multiplyAdd(_ acc: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    #if HZ_FMA
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

/// Lanes 0..<skip false, the rest true.
@inline(__always)
func lanesFrom(_ skip: Int) -> SIMDMask<SIMD8<Int32>> {
    SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(skip))
}
