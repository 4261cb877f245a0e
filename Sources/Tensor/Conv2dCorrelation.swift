// The valid cross-correlation kernels: the forward pass, and the input gradient of narrow rows
// (a correlation of the padded output gradient with the flipped kernel).
// Part of the direct convolution; Conv2dDirect.swift has the size legend, the layout and why.

/// out[OC, B, OH, OW] (=, or += with `accumulate`) the valid cross-correlation of
/// inp[C, B, H, W] with weight[OC, C, K, K], plus bias[OC]. The core of the forward pass and of
/// the narrow-row input gradient (a correlation of the padded output gradient with the flipped
/// kernel). The zoo CNNs' geometries get their own copies of the loop with K and W known at
/// compile time: the kernel loops unroll and every row offset becomes an immediate.
func directCorrelation(
    out: UnsafeMutablePointer<Float>, accumulate: Bool,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int
) {
    if W - K + 1 < 8 {
        directCorrelationNarrow(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                                batch: B, inChannels: C, height: H, width: W, outChannels: OC, kernel: K)
        return
    }
    switch (K, W) {
    case (5, 28):   // CNN-s conv1
        correlationRowsK5W28(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                             batch: B, inChannels: C, height: H, outChannels: OC)
    case (5, 12):   // CNN-s conv2
        correlationRowsK5W12(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                             batch: B, inChannels: C, height: H, outChannels: OC)
    case (3, 32):   // CNN-m conv1
        correlationRowsK3W32(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                             batch: B, inChannels: C, height: H, outChannels: OC)
    default:
        correlationRows(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                        batch: B, inChannels: C, height: H, width: W, outChannels: OC, kernel: K)
    }
}

// One function per zoo geometry, so that K and W are constants inside: inlined into larger
// callers, the specialised loops were left rolled and generic.
@inline(never)
func correlationRowsK5W28(out: UnsafeMutablePointer<Float>, accumulate: Bool, inp: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    correlationRows(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                    batch: B, inChannels: C, height: H, width: 28, outChannels: OC, kernel: 5)
}

@inline(never)
func correlationRowsK5W12(out: UnsafeMutablePointer<Float>, accumulate: Bool, inp: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    correlationRows(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                    batch: B, inChannels: C, height: H, width: 12, outChannels: OC, kernel: 5)
}

@inline(never)
func correlationRowsK3W32(out: UnsafeMutablePointer<Float>, accumulate: Bool, inp: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    correlationRows(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                    batch: B, inChannels: C, height: H, width: 32, outChannels: OC, kernel: 3)
}

/// `directCorrelation` for OW ≥ 8: tiles of four output rows × one SIMD8 column chunk × two
/// output channels. Eight independent running sums hide the add latency, and each input chunk
/// loaded feeds two products, each broadcast weight four: 0.75 loads per product (an 8-row
/// tile of one channel needed 1.1, and loads at x + kw often split a cache line).
@inline(__always)
func correlationRows(
    out: UnsafeMutablePointer<Float>, accumulate: Bool,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int
) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, KK = K &* K
    let chunks = (OW &+ 7) / 8
    // Sample-major: one sample's input planes stay in L1 while every output channel reads them.
    for b in 0..<B {
        var o = 0
        while o < OC {
            // An odd last channel is paired with itself; the copy's sums are not stored.
            let o2 = min(o &+ 1, OC &- 1)
            let startA = SIMD8<Float>(repeating: bias?[o] ?? 0), startB = SIMD8<Float>(repeating: bias?[o2] ?? 0)
            let wA = weight + o &* C &* KK, wB = weight + o2 &* C &* KK
            let dstA = out + (o &* B &+ b) &* OH &* OW, dstB = out + (o2 &* B &+ b) &* OH &* OW
            var oh = 0
            while oh < OH {
                let rows = min(4, OH &- oh)
                for j in 0..<chunks {
                    let (ow, skip) = chunkStart(j, rowWidth: OW)
                    let x = inp + ((b &* H &+ oh) &* W &+ ow)
                    let sums: Tile8
                    if rows == 4 {
                        sums = tile4x2(startA, startB, inp: x, planeStride: B &* H &* W, weightA: wA, weightB: wB,
                                       inChannels: C, width: W, kernel: K, rowOffsets: 1, 2, 3)
                    } else {
                        // Past the last row the tile repeats it; those sums are not stored.
                        sums = tile4x2(startA, startB, inp: x, planeStride: B &* H &* W, weightA: wA, weightB: wB,
                                       inChannels: C, width: W, kernel: K,
                                       rowOffsets: min(1, rows &- 1), min(2, rows &- 1), min(3, rows &- 1))
                    }
                    let fresh = lanesFrom(skip)
                    @inline(__always) func put(_ a: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
                        // Accumulating, lanes an earlier chunk already added are skipped; writing,
                        // repeated lanes get identical values.
                        store8(accumulate ? load8(p) + a.replacing(with: 0, where: .!fresh) : a, p)
                    }
                    let qA = dstA + (oh &* OW &+ ow), qB = dstB + (oh &* OW &+ ow)
                    for r in 0..<rows {
                        put(sums[r], qA + r &* OW)
                        if o2 != o { put(sums[r &+ 4], qB + r &* OW) }
                    }
                }
                oh &+= 4
            }
            o &+= 2
        }
    }
}

/// Eight SIMD8 sums: rows 0–3 of channel A, then rows 0–3 of channel B.
struct Tile8 {
    var a0, a1, a2, a3, a4, a5, a6, a7: SIMD8<Float>
    @inline(__always) subscript(_ r: Int) -> SIMD8<Float> {
        switch r { case 0: a0; case 1: a1; case 2: a2; case 3: a3; case 4: a4; case 5: a5; case 6: a6; default: a7 }
    }
}

/// The sums of one tile: row r of channel A (input row offset `rowOffsets[r]` from `inp`, r = 0
/// at 0) is startA + Σ_{c, kh, kw} inp[c·planeStride + (r + kh)·W + kw + 0..<8] · weightA[c, kh, kw],
/// and likewise for B; the taps in the fixed order (c, kh, kw) whatever the batch or tile.
@inline(__always)
func tile4x2(_ startA: SIMD8<Float>, _ startB: SIMD8<Float>, inp: UnsafePointer<Float>, planeStride: Int,
             weightA: UnsafePointer<Float>, weightB: UnsafePointer<Float>,
             inChannels C: Int, width W: Int, kernel K: Int, rowOffsets r1: Int, _ r2: Int, _ r3: Int) -> Tile8 {
    var t = Tile8(a0: startA, a1: startA, a2: startA, a3: startA, a4: startB, a5: startB, a6: startB, a7: startB)
    let o1 = r1 &* W, o2 = r2 &* W, o3 = r3 &* W
    for c in 0..<C {
        let s = inp + c &* planeStride, wa = weightA + c &* K &* K, wb = weightB + c &* K &* K
        for kh in 0..<K {
            for kw in 0..<K {
                let p = s + (kh &* W &+ kw)
                let a = SIMD8<Float>(repeating: wa[kh &* K &+ kw]), b = SIMD8<Float>(repeating: wb[kh &* K &+ kw])
                let x0 = load8(p), x1 = load8(p + o1), x2 = load8(p + o2), x3 = load8(p + o3)
                t.a0 = multiplyAdd(t.a0, x0, a); t.a4 = multiplyAdd(t.a4, x0, b)
                t.a1 = multiplyAdd(t.a1, x1, a); t.a5 = multiplyAdd(t.a5, x1, b)
                t.a2 = multiplyAdd(t.a2, x2, a); t.a6 = multiplyAdd(t.a6, x2, b)
                t.a3 = multiplyAdd(t.a3, x3, a); t.a7 = multiplyAdd(t.a7, x3, b)
            }
        }
    }
    return t
}

/// `directCorrelation` for rows narrower than one SIMD8 chunk (CNN-s conv3: 3×3 outputs), one
/// scalar sum per output in the same tap order. CNN-s conv3 (K = 2 on 4×4, and its input
/// gradient on the 5×5 padded gradient) gets copies with K and W constant: with loops of two
/// taps, the loop control cost more than the arithmetic.
func directCorrelationNarrow(
    out: UnsafeMutablePointer<Float>, accumulate: Bool,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int
) {
    switch (K, H, W) {
    case (2, 4, 4):
        correlationNarrowK2W4(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                              batch: B, inChannels: C, outChannels: OC)
    case (2, 5, 5):
        correlationNarrowK2W5(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                              batch: B, inChannels: C, outChannels: OC)
    default:
        correlationNarrow(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                          batch: B, inChannels: C, height: H, width: W, outChannels: OC, kernel: K)
    }
}

@inline(never)
func correlationNarrowK2W4(out: UnsafeMutablePointer<Float>, accumulate: Bool, inp: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           batch B: Int, inChannels C: Int, outChannels OC: Int) {
    correlationNarrow(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                      batch: B, inChannels: C, height: 4, width: 4, outChannels: OC, kernel: 2)
}

@inline(never)
func correlationNarrowK2W5(out: UnsafeMutablePointer<Float>, accumulate: Bool, inp: UnsafePointer<Float>,
                           weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           batch B: Int, inChannels C: Int, outChannels OC: Int) {
    correlationNarrow(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                      batch: B, inChannels: C, height: 5, width: 5, outChannels: OC, kernel: 2)
}

@inline(__always)
func correlationNarrow(
    out: UnsafeMutablePointer<Float>, accumulate: Bool,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int
) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, KK = K &* K
    for o in 0..<OC {
        let start: Float = bias?[o] ?? 0
        let wo = weight + o &* C &* KK
        for b in 0..<B {
            let dst = out + (o &* B &+ b) &* OH &* OW
            for oh in 0..<OH { for ow in 0..<OW {
                var acc = start
                for c in 0..<C {
                    let s = inp + ((c &* B &+ b) &* H &* W &+ oh &* W &+ ow), wk = wo + c &* KK
                    for kh in 0..<K { for kw in 0..<K { acc += s[kh &* W &+ kw] * wk[kh &* K &+ kw] } }
                }
                let q = dst + (oh &* OW &+ ow)
                q.pointee = accumulate ? q.pointee + acc : acc
            } }
        }
    }
}
