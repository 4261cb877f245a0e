// 2-D convolution computed directly (no im2col, no GEMM) for stride 1 and no padding: the zoo
// CNNs' only case.
//
// Size legend:  B = batch, C = input channels, H, W = input height and width,
//               OC = output channels, K = kernel size (square), OH = H - K + 1, OW = W - K + 1,
//               PH = OH + 2(K - 1), PW = OW + 2(K - 1) (the zero-padded output gradient).
// Layout: channel-major [C, B, H, W], as Conv2d.swift; weight [OC, C, K, K].
// Why: the zoo layers are tiny (CNN-s conv1 is [8×25]·[25×576·B]), so im2col copies and OpenBLAS
// packing cost as much as the multiply. Here the sums live in SIMD8 registers:
// - forward: tiles of 4 output rows × 8 columns × 2 output channels, reading the input in place;
//   each output element sums its taps in the fixed order (c, kh, kw) whatever the batch size;
// - weight gradient: over K shifted copies of the input (aligned, distinct loads), output
//   channels in pairs, samples in blocks (`weightGradientShifted`, CNN-s conv1 and conv2;
//   `weightGradientPairs` reads in place for the other geometries);
// - input gradient: input channels in the SIMD lanes for rows up to 12 wide
//   (`inputGradientChannelLanes`), SIMD8 over columns otherwise (`directInputGradient`);
// - rows narrower than 8 (CNN-s conv3): the patch matrix of Conv2dPatches.swift.
// Each zoo geometry gets its own `@inline(never)` copy of a loop with K and W as literals, so the
// kernel loops unroll (see docs/ARCHITECTURE.md); `multiplyAdd` is an FMA where the build allows.

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

/// dWeight[OC, C, K, K] += Σ_{b, oh, ow} dOut[OC, B, OH, OW] · inp[C, B, OH + kh, OW + kw] for
/// rows narrower than a SIMD8 chunk, one scalar sum per tap (CNN-s conv3 with K and W constant).
func weightGradientNarrow(dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                          batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int) {
    if (K, H, W) == (2, 4, 4) {
        weightGradientNarrowK2W4(dWeight: dWeight, dOut: dOut, inp: inp, batch: B, inChannels: C, outChannels: OC)
    } else {
        weightGradientNarrowBody(dWeight: dWeight, dOut: dOut, inp: inp, batch: B, inChannels: C, height: H, width: W,
                                 outChannels: OC, kernel: K)
    }
}

@inline(never)
func weightGradientNarrowK2W4(dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                              batch B: Int, inChannels C: Int, outChannels OC: Int) {
    weightGradientNarrowBody(dWeight: dWeight, dOut: dOut, inp: inp, batch: B, inChannels: C, height: 4, width: 4,
                             outChannels: OC, kernel: 2)
}

@inline(__always)
func weightGradientNarrowBody(dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                              batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int,
                              kernel K: Int) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, plane = OH &* OW
    for o in 0..<OC { for c in 0..<C { for kh in 0..<K { for kw in 0..<K {
        var acc: Float = 0
        for b in 0..<B {
            let gp = dOut + (o &* B &+ b) &* plane, sp = inp + ((c &* B &+ b) &* H &* W &+ kh &* W &+ kw)
            for oh in 0..<OH { for ow in 0..<OW { acc += gp[oh &* OW &+ ow] * sp[oh &* W &+ ow] } }
        }
        dWeight[((o &* C &+ c) &* K &+ kh) &* K &+ kw] += acc
    } } } }
}

/// out[OC, B, OH, OW] = conv(inp[C, B, H, W], weight[OC, C, K, K]) + bias[OC], for stride 1 and
/// padding 0 (`g.stride == 1 && g.padding == 0`). Needs no workspace.
public func conv2dDirectForward(
    out: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    _ g: Conv2dGeometry, scratch: UnsafeMutablePointer<Float>? = nil
) {
    precondition(g.stride == 1 && g.padding == 0, "conv2dDirectForward: stride 1 and padding 0 only")
    if let scratch, g.outWidth < 8 {
        patchConvolutionForward(out: out, scratch: scratch, inp: inp, weight: weight, bias: bias, g)
        return
    }
    directCorrelation(out: out, accumulate: false, inp: inp, weight: weight, bias: bias,
                      batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width,
                      outChannels: g.outChannels, kernel: g.kernel)
}

extension Conv2dGeometry {
    /// Whether `conv2dDirectForward`/`conv2dDirectBackward` apply (stride 1, no padding).
    public var allowsDirect: Bool { stride == 1 && padding == 0 }

    /// Scratch floats `conv2dDirectForward` can use: the patch matrix of rows narrower than 8
    /// (Conv2dPatches.swift); 0 otherwise.
    public var directForwardScratchCount: Int { outWidth < 8 ? patchMatrixCount : 0 }

    /// R·N: patch length times patch count.
    var patchMatrixCount: Int { inChannels * kernel * kernel * batch * outHeight * outWidth }

    /// Scratch floats `conv2dDirectBackward` needs for the input gradient: the zero-padded output
    /// gradient [OC, B, PH, PW] and the flipped, transposed kernel [C, OC, K, K].
    public var directBackwardScratchCount: Int {
        let PH = outHeight + 2 * (kernel - 1), PW = outWidth + 2 * (kernel - 1)
        let channelLanes = outChannels * kernel * kernel * 8 + width * 8
        return max(outChannels * batch * PH * PW + weightCount, channelLanes, shiftedWeightGradientScratchCount,
                   2 * patchMatrixCount)
    }

    /// Scratch floats of the weight gradient from shifted input copies (`weightGradientShifted`):
    /// a block of samples' K shifted copies of every input plane [block, C, K, H, OW] and the SIMD8
    /// partial sums [OC, C, K, K, 8]. At most one sample's copies per sample of the batch, so a
    /// batch-1 count times the batch is enough for any batch.
    var shiftedWeightGradientScratchCount: Int {
        let block = shiftedSamplesPerBlock(batch: batch, kernel: kernel, height: height, outHeight: outHeight,
                                           outWidth: outWidth, outChannels: outChannels)
        return block * inChannels * kernel * height * outWidth + weightCount * 8
    }
}

/// Backward of `conv2dDirectForward`: accumulates dInp[C, B, H, W], dWeight[OC, C, K, K] and
/// dBias[OC] from dOut[OC, B, OH, OW] and the forward input inp[C, B, H, W]. `scratch`
/// (`g.directBackwardScratchCount` floats) is needed only with dInp. Pass nil for gradients not
/// needed (dInp of the first layer: never computed there).
public func conv2dDirectBackward(
    dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>?,
    dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    _ g: Conv2dGeometry
) {
    precondition(g.allowsDirect, "conv2dDirectBackward: stride 1 and padding 0 only")
    let B = g.batch, C = g.inChannels, H = g.height, W = g.width, OC = g.outChannels, K = g.kernel
    let OH = g.outHeight, OW = g.outWidth
    let plane = OH * OW
    // Rows narrower than a SIMD8 chunk go through the patch matrix (Conv2dPatches.swift); the
    // bias gradient below serves both.
    let patches = scratch != nil && OW < 8
    if patches, let scratch {
        patchConvolutionBackward(dInp: dInp, dWeight: dWeight, scratch: scratch, dOut: dOut, inp: inp, weight: weight, g)
    }
    if let dWeight, !patches {
        // dWeight[o, c, kh, kw] += Σ_{b, oh, ow} dOut[o, b, oh, ow] · inp[c, b, oh + kh, ow + kw].
        if let scratch, K == 5, OW % 8 == 0, W == 28 || W == 12 {
            // The CNN-s geometries (conv1, conv2).
            if W == 28 {
                weightGradientShiftedK5W28(dWeight: dWeight, scratch: scratch, dOut: dOut, inp: inp,
                                           batch: B, inChannels: C, height: H, outChannels: OC)
            } else {
                weightGradientShiftedK5W12(dWeight: dWeight, scratch: scratch, dOut: dOut, inp: inp,
                                           batch: B, inChannels: C, height: H, outChannels: OC)
            }
        } else if OW < 8 {
            weightGradientNarrow(dWeight: dWeight, dOut: dOut, inp: inp, batch: B, inChannels: C, height: H, width: W,
                                 outChannels: OC, kernel: K)
        } else {
            // Other geometries (CNN-m), or no scratch: in place, output channels in pairs.
            weightGradientPairs(dWeight: dWeight, dOut: dOut, inp: inp, batch: B, inChannels: C, height: H, width: W,
                                outChannels: OC, kernel: K, repeatsLanes: OW % 8 != 0)
        }
    }
    if let dBias {
        for o in 0..<OC {
            // Four SIMD8 running sums (32 lanes), then the tail: with one, every add waited for
            // the previous one (3 cycles per 8 floats; conv1's 5760 per channel cost 2 % of a step).
            let row = dOut + o * B * plane, n = B * plane
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var i = 0
            while i &+ 32 <= n {
                a0 += load8(row + i); a1 += load8(row + (i &+ 8))
                a2 += load8(row + (i &+ 16)); a3 += load8(row + (i &+ 24))
                i &+= 32
            }
            while i &+ 8 <= n { a0 += load8(row + i); i &+= 8 }
            var s = ((a0 + a1) + (a2 + a3)).sum()
            while i < n { s += row[i]; i &+= 1 }
            dBias[o] += s
        }
    }
    if let dInp, !patches {
        guard let scratch else { preconditionFailure("conv2dDirectBackward: dInp needs the scratch workspace") }
        // dInp[c, b, ih, iw] = Σ_{o, kh, kw} w[o, c, kh, kw] · dOut[o, b, ih − kh, iw − kw].
        switch (K, W) {
        case (5, 12):   // CNN-s conv2
            inputGradientChannelLanesK5W12(dInp: dInp, scratch: scratch, dOut: dOut, weight: weight, batch: B,
                                           inChannels: C, height: H, outChannels: OC)
            return
        case (3, 6):    // CNN-m conv3
            inputGradientChannelLanesK3W6(dInp: dInp, scratch: scratch, dOut: dOut, weight: weight, batch: B,
                                          inChannels: C, height: H, outChannels: OC)
            return
        default: break
        }
        if W >= 8 {
            directInputGradient(dInp: dInp, scratch: scratch, dOut: dOut, weight: weight, g)
            return
        }
        // Narrow rows: a valid correlation of dOut padded by K − 1 with the kernel flipped in
        // both axes.
        let PH = OH + 2 * (K - 1), PW = OW + 2 * (K - 1)
        let padded = scratch, flipped = scratch + OC * B * PH * PW
        padded.update(repeating: 0, count: OC * B * PH * PW)
        for p in 0..<(OC * B) {
            let src = dOut + p * plane, dst = padded + p * PH * PW + (K - 1) * PW + (K - 1)
            for oh in 0..<OH { (dst + oh * PW).update(from: src + oh * OW, count: OW) }
        }
        for c in 0..<C { for o in 0..<OC { for kh in 0..<K { for kw in 0..<K {
            flipped[((c * OC + o) * K + kh) * K + kw] = weight[((o * C + c) * K + (K - 1 - kh)) * K + (K - 1 - kw)]
        } } } }
        directCorrelation(out: dInp, accumulate: true, inp: padded, weight: flipped, bias: nil,
                          batch: B, inChannels: OC, height: PH, width: PW, outChannels: C, kernel: K)
    }
}

// The two geometries `inputGradientChannelLanes` serves, each its own function so that the
// optimiser sees K and W as constants inside (inlined into the already large
// `conv2dDirectBackward`, the tap loops were left rolled).
@inline(never)
func inputGradientChannelLanesK5W12(dInp: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                    dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                    batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    inputGradientChannelLanes(dInp: dInp, scratch: scratch, dOut: dOut, weight: weight, batch: B, inChannels: C,
                              height: H, width: 12, outChannels: OC, kernel: 5)
}

@inline(never)
func inputGradientChannelLanesK3W6(dInp: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                   dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                   batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    inputGradientChannelLanes(dInp: dInp, scratch: scratch, dOut: dOut, weight: weight, batch: B, inChannels: C,
                              height: H, width: 6, outChannels: OC, kernel: 3)
}

/// Twelve SIMD8 running sums: one input row of up to 12 columns, eight channels per column.
struct Row12 {
    var v0 = SIMD8<Float>(), v1 = SIMD8<Float>(), v2 = SIMD8<Float>(), v3 = SIMD8<Float>()
    var v4 = SIMD8<Float>(), v5 = SIMD8<Float>(), v6 = SIMD8<Float>(), v7 = SIMD8<Float>()
    var v8 = SIMD8<Float>(), v9 = SIMD8<Float>(), v10 = SIMD8<Float>(), v11 = SIMD8<Float>()
    /// Adds a·b to column i; i must be a compile-time constant after inlining (it selects a register).
    @_transparent mutating func addProduct(_ i: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>) {
        switch i {
        case 0: v0 = multiplyAdd(v0, a, b); case 1: v1 = multiplyAdd(v1, a, b); case 2: v2 = multiplyAdd(v2, a, b)
        case 3: v3 = multiplyAdd(v3, a, b); case 4: v4 = multiplyAdd(v4, a, b); case 5: v5 = multiplyAdd(v5, a, b)
        case 6: v6 = multiplyAdd(v6, a, b); case 7: v7 = multiplyAdd(v7, a, b); case 8: v8 = multiplyAdd(v8, a, b)
        case 9: v9 = multiplyAdd(v9, a, b); case 10: v10 = multiplyAdd(v10, a, b); default: v11 = multiplyAdd(v11, a, b)
        }
    }
    /// Adds g[ow] · w to column ow + kw for ow < OW ≤ 8: one kernel tap of one output row.
    /// Written out (not a loop) so that every column index is a constant once inlined.
    @_transparent mutating func addTap(_ kw: Int, _ w: SIMD8<Float>, _ g: UnsafePointer<Float>, outWidth OW: Int) {
        addProduct(kw, SIMD8(repeating: g[0]), w)
        if OW > 1 { addProduct(kw &+ 1, SIMD8(repeating: g[1]), w) }
        if OW > 2 { addProduct(kw &+ 2, SIMD8(repeating: g[2]), w) }
        if OW > 3 { addProduct(kw &+ 3, SIMD8(repeating: g[3]), w) }
        if OW > 4 { addProduct(kw &+ 4, SIMD8(repeating: g[4]), w) }
        if OW > 5 { addProduct(kw &+ 5, SIMD8(repeating: g[5]), w) }
        if OW > 6 { addProduct(kw &+ 6, SIMD8(repeating: g[6]), w) }
        if OW > 7 { addProduct(kw &+ 7, SIMD8(repeating: g[7]), w) }
    }
    @inline(__always) subscript(_ i: Int) -> SIMD8<Float> {
        switch i {
        case 0: v0; case 1: v1; case 2: v2; case 3: v3; case 4: v4; case 5: v5
        case 6: v6; case 7: v7; case 8: v8; case 9: v9; case 10: v10; default: v11
        }
    }
}

/// dInp[C, B, H, W] += Σ_{o, kh, kw} weight[o, c, kh, kw] · dOut[o, b, ih − kh, iw − kw] with the
/// input channels in SIMD lanes, for rows of W ≤ 12 and OW ≤ 8 (K and W compile-time constants).
/// Laid out over columns, a 12-wide row fills 12 of 16 lanes and two thirds of the taps fall on
/// the zero border; over channels (8 per group) every product is useful: each output-gradient
/// element, broadcast, meets the 8-channel weight vector of each tap, and a whole input row
/// stays in 12 registers. `scratch` holds the weights as [OC, K, K, 8] for one channel group and
/// one finished row [W, 8], transposed back to [C, B, H, W] as it is added.
@inline(__always)
func inputGradientChannelLanes(dInp: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                               dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int,
                               kernel K: Int) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, KK = K &* K
    precondition(W <= 12 && OW <= 8 && K <= 5, "inputGradientChannelLanes: rows of at most 12 columns, kernels up to 5")
    let wt = scratch, row = scratch + OC &* KK &* 8
    for cg in stride(from: 0, to: C, by: 8) {
        let lanes = min(8, C &- cg)
        for o in 0..<OC { for t in 0..<KK { for l in 0..<8 {
            wt[(o &* KK &+ t) &* 8 &+ l] = l < lanes ? weight[(o &* C &+ cg &+ l) &* KK &+ t] : 0
        } } }
        for b in 0..<B {
            for ih in 0..<H {
                var acc = Row12()
                for kh in max(0, ih &- OH &+ 1)...min(K &- 1, ih) {
                    for o in 0..<OC {
                        let gr = dOut + (((o &* B &+ b) &* OH &+ (ih &- kh)) &* OW)
                        let wk = wt + (o &* KK &+ kh &* K) &* 8
                        // Output column ow feeds input column ow + kw.
                        acc.addTap(0, load8(wk), gr, outWidth: OW)
                        if K > 1 { acc.addTap(1, load8(wk + 8), gr, outWidth: OW) }
                        if K > 2 { acc.addTap(2, load8(wk + 16), gr, outWidth: OW) }
                        if K > 3 { acc.addTap(3, load8(wk + 24), gr, outWidth: OW) }
                        if K > 4 { acc.addTap(4, load8(wk + 32), gr, outWidth: OW) }
                    }
                }
                for iw in 0..<W { store8(acc[iw], row + iw &* 8) }   // W constant: unrolled
                for l in 0..<lanes {
                    let d = dInp + (((cg &+ l) &* B &+ b) &* H &* W &+ ih &* W)
                    for iw in 0..<W { d[iw] += row[iw &* 8 &+ l] }
                }
            }
        }
    }
}

/// dInp[C, B, H, W] += Σ_{o, kh, kw} weight[o, c, kh, kw] · dOut[o, b, ih − kh, iw − kw] for W ≥ 8.
/// dOut is first copied into `scratch` as [OC, B, OH, PW] with K − 1 zero columns on each side,
/// so every chunk of 8 columns reads in bounds; rows are computed one at a time over their valid
/// kernel rows only (no work on a zero border). Two chunks and two partial sums (even and odd
/// output channels) make four independent running sums.
func directInputGradient(dInp: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                         dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>, _ g: Conv2dGeometry) {
    let B = g.batch, C = g.inChannels, H = g.height, W = g.width, OC = g.outChannels, K = g.kernel
    let OH = g.outHeight, OW = g.outWidth, KK = K * K, PW = OW + 2 * (K - 1)
    let padded = scratch
    for p in 0..<(OC * B) { for oh in 0..<OH {
        let dst = padded + (p * OH + oh) * PW, src = dOut + (p * OH + oh) * OW
        dst.update(repeating: 0, count: K - 1)
        (dst + K - 1).update(from: src, count: OW)
        (dst + K - 1 + OW).update(repeating: 0, count: K - 1)
    } }
    let chunks = (W + 7) / 8
    for b in 0..<B { for c in 0..<C {
        let dst = dInp + (c * B + b) * H * W
        for ih in 0..<H {
            let khLo = max(0, ih - OH + 1), khHi = min(K - 1, ih)
            var j = 0
            while j < chunks {
                let (w0, skip0) = chunkStart(j, rowWidth: W)
                let (w1, skip1) = chunkStart(min(j + 1, chunks - 1), rowWidth: W)
                var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), d0 = SIMD8<Float>(), d1 = SIMD8<Float>()
                var o = 0
                while o < OC {
                    let pair = o + 1 < OC
                    let gA = padded + (o * B + b) * OH * PW, gB = pair ? gA + B * OH * PW : gA
                    let wA = weight + (o * C + c) * KK, wB = pair ? wA + C * KK : wA
                    for kh in khLo...khHi {
                        let rA = gA + (ih - kh) * PW, rB = gB + (ih - kh) * PW
                        for kw in 0..<K {
                            // Padded column iw + kw holds dOut column iw − (K − 1 − kw).
                            let t = kh * K + K - 1 - kw
                            let a = wA[t]
                            e0 += load8(rA + w0 + kw) * a; e1 += load8(rA + w1 + kw) * a
                            if pair {
                                let bw = wB[t]
                                d0 += load8(rB + w0 + kw) * bw; d1 += load8(rB + w1 + kw) * bw
                            }
                        }
                    }
                    o += 2
                }
                let q0 = dst + ih * W + w0
                store8(load8(q0) + (e0 + d0).replacing(with: 0, where: .!lanesFrom(skip0)), q0)
                if j + 1 < chunks {
                    let q1 = dst + ih * W + w1
                    store8(load8(q1) + (e1 + d1).replacing(with: 0, where: .!lanesFrom(skip1)), q1)
                }
                j += 2
            }
        }
    } }
}

/// dWeight[OC, C, K, K] += Σ_{b, oh, ow} dOut[OC, B, OH, OW] · inp[C, B, OH + kh, OW + kw] for OW ≥ 8,
/// read in place, over pairs of output channels: each input chunk is loaded once and
/// multiplied into both channels' gradient chunks, for up to five taps of a kernel row
/// (kw0..<kw0+5): ten independent running sums, 0.7 loads per product. `repeatsLanes` (8 does
/// not divide OW) zeroes the gradient lanes of each row's last chunk that repeat its
/// predecessor's columns.
@inline(__always)
func weightGradientPairs(dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                         batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int,
                         kernel K: Int, repeatsLanes: Bool) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, plane = OH &* OW, chunks = (OW &+ 7) / 8
    // Samples in blocks whose two gradient planes and input plane fit in L1 together, every tap
    // summed over one block before the next block is read.
    let block = max(1, 6144 / (2 &* plane &+ H &* W))
    for b0 in stride(from: 0, to: B, by: block) {
        let b1 = min(B, b0 &+ block)
        for c in 0..<C { for kh in 0..<K {
            var o = 0
            while o < OC {
                let pair = o &+ 1 < OC
                var kw0 = 0
                while kw0 < K {
                    let n = min(5, K &- kw0)
                    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>(), a4 = SIMD8<Float>()
                    var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>(), e4 = SIMD8<Float>()
                    for b in b0..<b1 {
                        let gp = dOut + (o &* B &+ b) &* plane
                        let gq = pair ? gp + B &* plane : gp
                        let sp = inp + ((c &* B &+ b) &* H &* W &+ kh &* W &+ kw0)
                        // Chunk columns outer, rows inner: the inner loop just steps pointers.
                        for j in 0..<chunks {
                            let (ow, skip) = chunkStart(j, rowWidth: OW)
                            let fresh = lanesFrom(skip)
                            var gr = gp + ow, hr = gq + ow, x = sp + ow
                            for _ in 0..<OH {
                                var gv = load8(gr), hv = load8(hr)
                                if repeatsLanes { gv.replace(with: 0, where: .!fresh); hv.replace(with: 0, where: .!fresh) }
                                // Five plain loads first: interleaved with the products, LLVM
                                // merged the overlapping loads into slower cross-lane shuffles.
                                let v0 = load8(x)
                                let v1 = n > 1 ? load8(x + 1) : v0, v2 = n > 2 ? load8(x + 2) : v0
                                let v3 = n > 3 ? load8(x + 3) : v0, v4 = n > 4 ? load8(x + 4) : v0
                                a0 += gv * v0; e0 += hv * v0
                                if n > 1 { a1 += gv * v1; e1 += hv * v1 }
                                if n > 2 { a2 += gv * v2; e2 += hv * v2 }
                                if n > 3 { a3 += gv * v3; e3 += hv * v3 }
                                if n > 4 { a4 += gv * v4; e4 += hv * v4 }
                                gr += OW; hr += OW; x += W
                            }
                        }
                    }
                    @inline(__always) func add(_ d: UnsafeMutablePointer<Float>, _ s0: SIMD8<Float>, _ s1: SIMD8<Float>,
                                               _ s2: SIMD8<Float>, _ s3: SIMD8<Float>, _ s4: SIMD8<Float>) {
                        d[0] += s0.sum()
                        if n > 1 { d[1] += s1.sum() }
                        if n > 2 { d[2] += s2.sum() }
                        if n > 3 { d[3] += s3.sum() }
                        if n > 4 { d[4] += s4.sum() }
                    }
                    let d = dWeight + (((o &* C &+ c) &* K &+ kh) &* K &+ kw0)
                    add(d, a0, a1, a2, a3, a4)
                    if pair { add(d + C &* K &* K, e0, e1, e2, e3, e4) }
                    kw0 &+= 5
                }
                o &+= 2
            }
        } }
    }
}

@inline(never)
func weightGradientShiftedK5W28(dWeight: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                                batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    weightGradientShifted(dWeight: dWeight, scratch: scratch, dOut: dOut, inp: inp, batch: B, inChannels: C,
                          height: H, width: 28, outChannels: OC, kernel: 5)
}

@inline(never)
func weightGradientShiftedK5W12(dWeight: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                                batch B: Int, inChannels C: Int, height H: Int, outChannels OC: Int) {
    weightGradientShifted(dWeight: dWeight, scratch: scratch, dOut: dOut, inp: inp, batch: B, inChannels: C,
                          height: H, width: 12, outChannels: OC, kernel: 5)
}

/// dWeight[OC, C, K, K] += Σ_{b, oh, ow} dOut[OC, B, OH, OW] · inp[C, B, OH + kh, OW + kw] for
/// K = 5 and 8 | OW. Each sample's input planes are first copied K times, copy kw shifted left
/// by kw columns and cut to OW ([C, K, H, OW] in `scratch`), so every product reads aligned,
/// non-overlapping chunks: read in place at x + kw, 40 % of the loads split a cache line, and
/// LLVM merges the overlapping loads into slower cross-lane shuffles. Pairs of output channels
/// share each input chunk: ten running sums, 0.7 loads per product. The sums of each sample go
/// to SIMD8 partial sums (after the copies in `scratch`), reduced to scalars once at the end.
@inline(__always)
func weightGradientShifted(dWeight: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                           dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                           batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int,
                           kernel K: Int) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, plane = OH &* OW, KK = K &* K
    precondition(K == 5 && OW % 8 == 0, "weightGradientShifted: K = 5 and OW a multiple of 8")
    let copy = H &* OW   // floats of one shifted copy
    let block = shiftedSamplesPerBlock(batch: B, kernel: K, height: H, outHeight: OH, outWidth: OW, outChannels: OC)
    let shifted = scratch, partial = scratch + block &* C &* K &* copy
    partial.update(repeating: 0, count: OC &* C &* KK &* 8)
    for b0 in stride(from: 0, to: B, by: block) {
        let n = min(block, B &- b0)
        // Copies [sample in block, C, K, H, OW].
        for i in 0..<n { for c in 0..<C {
            let src = inp + (c &* B &+ b0 &+ i) &* H &* W
            for kw in 0..<K {
                let dst = shifted + ((i &* C &+ c) &* K &+ kw) &* copy
                for h in 0..<H {
                    // OW / 8 chunk copies (a memmove call per 8-float row cost more than the copy).
                    let d = dst + h &* OW, s = src + (h &* W &+ kw)
                    for j in stride(from: 0, to: OW, by: 8) { store8(load8(s + j), d + j) }
                }
            }
        } }
        for c in 0..<C { for kh in 0..<K {
            var o = 0
            while o < OC {
                let pair = o &+ 1 < OC
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>(), a4 = SIMD8<Float>()
                var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>(), e4 = SIMD8<Float>()
                for i in 0..<n {
                    let gp = dOut + (o &* B &+ b0 &+ i) &* plane
                    let gq = pair ? gp + B &* plane : gp
                    let x0 = shifted + ((i &* C &+ c) &* K &* copy &+ kh &* OW)
                    // Rows of the gradient and of the shifted copies are both OW wide: one index.
                    for p in stride(from: 0, to: plane, by: 8) {
                        let gv = load8(gp + p), hv = load8(gq + p), x = x0 + p
                        let v0 = load8(x); a0 = multiplyAdd(a0, gv, v0); e0 = multiplyAdd(e0, hv, v0)
                        let v1 = load8(x + copy); a1 = multiplyAdd(a1, gv, v1); e1 = multiplyAdd(e1, hv, v1)
                        let v2 = load8(x + 2 &* copy); a2 = multiplyAdd(a2, gv, v2); e2 = multiplyAdd(e2, hv, v2)
                        let v3 = load8(x + 3 &* copy); a3 = multiplyAdd(a3, gv, v3); e3 = multiplyAdd(e3, hv, v3)
                        let v4 = load8(x + 4 &* copy); a4 = multiplyAdd(a4, gv, v4); e4 = multiplyAdd(e4, hv, v4)
                    }
                }
                let pa = partial + ((o &* C &+ c) &* KK &+ kh &* K) &* 8
                store8(load8(pa) + a0, pa); store8(load8(pa + 8) + a1, pa + 8); store8(load8(pa + 16) + a2, pa + 16)
                store8(load8(pa + 24) + a3, pa + 24); store8(load8(pa + 32) + a4, pa + 32)
                if pair {
                    let pe = pa + C &* KK &* 8
                    store8(load8(pe) + e0, pe); store8(load8(pe + 8) + e1, pe + 8); store8(load8(pe + 16) + e2, pe + 16)
                    store8(load8(pe + 24) + e3, pe + 24); store8(load8(pe + 32) + e4, pe + 32)
                }
                o &+= 2
            }
        } }
    }
    for i in 0..<(OC &* C &* KK) { dWeight[i] += load8(partial + i &* 8).sum() }
}

/// Samples whose shifted copies `weightGradientShifted` makes at once: as many as keep one input
/// channel's copies and the samples' gradient planes within about 24 KB (L1), so that each
/// group of running sums covers several samples before it is added to the partial sums. CNN-s
/// conv2: 7 (its planes are small); conv1: 1.
@inline(__always)
func shiftedSamplesPerBlock(batch B: Int, kernel K: Int, height H: Int, outHeight OH: Int, outWidth OW: Int,
                            outChannels OC: Int) -> Int {
    max(1, min(B, 6144 / (K * H * OW + OC * OH * OW)))
}
