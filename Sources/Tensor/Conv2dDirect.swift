// 2-D convolution computed directly (no im2col, no GEMM) for stride 1 and no padding: the zoo
// CNNs' only case.
//
// Size legend:  B = batch, C = input channels, H, W = input height and width,
//               OC = output channels, K = kernel size (square), OH = H - K + 1, OW = W - K + 1,
//               PH = OH + 2(K - 1), PW = OW + 2(K - 1) (the zero-padded output gradient).
// Layout: channel-major [C, B, H, W], as Conv2d.swift; weight [OC, C, K, K].
// Why: the zoo layers are tiny (CNN-s conv1 is [8×25]·[25×576·B]), so im2col copies and OpenBLAS
// packing cost as much as the multiply. Here every output row is accumulated in SIMD registers
// across the columns (SIMD8 over OW), reading the input in place. Each output element sums its
// taps in the fixed order (c, kh, kw), whatever the batch size, so results do not depend on how
// samples are batched.

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

/// Lanes 0..<skip false, the rest true.
@inline(__always)
func lanesFrom(_ skip: Int) -> SIMDMask<SIMD8<Int32>> {
    SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .>= SIMD8<Int32>(repeating: Int32(skip))
}

/// out[OC, B, OH, OW] (=, or += with `accumulate`) the valid cross-correlation of
/// inp[C, B, H, W] with weight[OC, C, K, K], plus bias[OC]. The core of the forward pass and of
/// the input gradient (a correlation of the padded output gradient with the flipped kernel).
/// Four output chunks are accumulated at once: independent sums hide the add latency that a
/// single running sum per chunk would wait on at every tap.
@inline(__always)
func directCorrelation(
    out: UnsafeMutablePointer<Float>, accumulate: Bool,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int
) {
    let OH = H - K + 1, OW = W - K + 1, KK = K * K
    if OW < 8 {
        directCorrelationNarrow(out: out, accumulate: accumulate, inp: inp, weight: weight, bias: bias,
                                batch: B, inChannels: C, height: H, width: W, outChannels: OC, kernel: K)
        return
    }
    let chunks = (OW + 7) / 8
    // Sample-major: one sample's input planes stay in L1 while every output channel reads them.
    for b in 0..<B {
        for o in 0..<OC {
            let start = SIMD8<Float>(repeating: bias?[o] ?? 0)
            let wo = weight + o * C * KK
            let dst = out + (o * B + b) * OH * OW
            var oh = 0
            while oh < OH {
                // Rows oh..<oh+4; past the last row, the tile repeats it (those sums are not stored).
                let rows = min(4, OH - oh)
                let r1 = min(1, rows - 1) * W, r2 = min(2, rows - 1) * W, r3 = min(3, rows - 1) * W
                for j in 0..<chunks {
                    let (ow, skip) = chunkStart(j, rowWidth: OW)
                    var a0 = start, a1 = start, a2 = start, a3 = start
                    for c in 0..<C {
                        let s0 = inp + (c * B + b) * H * W + oh * W + ow, wk = wo + c * KK
                        let s1 = s0 + r1, s2 = s0 + r2, s3 = s0 + r3
                        for kh in 0..<K {
                            let wr = wk + kh * K
                            for kw in 0..<K {
                                let d = kh * W + kw, w = wr[kw]
                                a0 += load8(s0 + d) * w; a1 += load8(s1 + d) * w
                                a2 += load8(s2 + d) * w; a3 += load8(s3 + d) * w
                            }
                        }
                    }
                    let q = dst + oh * OW + ow
                    let fresh = lanesFrom(skip)
                    @inline(__always) func put(_ a: SIMD8<Float>, _ q: UnsafeMutablePointer<Float>) {
                        // Accumulating, lanes an earlier chunk already added are skipped; writing,
                        // repeated lanes get identical values.
                        store8(accumulate ? load8(q) + a.replacing(with: 0, where: .!fresh) : a, q)
                    }
                    put(a0, q)
                    if rows > 1 { put(a1, q + OW) }
                    if rows > 2 { put(a2, q + 2 * OW) }
                    if rows > 3 { put(a3, q + 3 * OW) }
                }
                oh += 4
            }
        }
    }
}

/// `directCorrelation` for rows narrower than one SIMD8 chunk (CNN-s conv3: 3×3 outputs), one
/// scalar sum per output in the same tap order.
func directCorrelationNarrow(
    out: UnsafeMutablePointer<Float>, accumulate: Bool,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    batch B: Int, inChannels C: Int, height H: Int, width W: Int, outChannels OC: Int, kernel K: Int
) {
    let OH = H - K + 1, OW = W - K + 1, KK = K * K
    for o in 0..<OC {
        let start: Float = bias?[o] ?? 0
        let wo = weight + o * C * KK
        for b in 0..<B {
            let dst = out + (o * B + b) * OH * OW
            for oh in 0..<OH { for ow in 0..<OW {
                var acc = start
                for c in 0..<C {
                    let s = inp + (c * B + b) * H * W + oh * W + ow, wk = wo + c * KK
                    for kh in 0..<K { for kw in 0..<K { acc += s[kh * W + kw] * wk[kh * K + kw] } }
                }
                let q = dst + oh * OW + ow
                q.pointee = accumulate ? q.pointee + acc : acc
            } }
        }
    }
}

/// out[OC, B, OH, OW] = conv(inp[C, B, H, W], weight[OC, C, K, K]) + bias[OC], for stride 1 and
/// padding 0 (`g.stride == 1 && g.padding == 0`). Needs no workspace.
public func conv2dDirectForward(
    out: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    _ g: Conv2dGeometry
) {
    precondition(g.stride == 1 && g.padding == 0, "conv2dDirectForward: stride 1 and padding 0 only")
    directCorrelation(out: out, accumulate: false, inp: inp, weight: weight, bias: bias,
                      batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width,
                      outChannels: g.outChannels, kernel: g.kernel)
}

extension Conv2dGeometry {
    /// Whether `conv2dDirectForward`/`conv2dDirectBackward` apply (stride 1, no padding).
    public var allowsDirect: Bool { stride == 1 && padding == 0 }

    /// Scratch floats `conv2dDirectBackward` needs for the input gradient: the zero-padded output
    /// gradient [OC, B, PH, PW] and the flipped, transposed kernel [C, OC, K, K].
    public var directBackwardScratchCount: Int {
        let PH = outHeight + 2 * (kernel - 1), PW = outWidth + 2 * (kernel - 1)
        return outChannels * batch * PH * PW + weightCount
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
    if let dWeight {
        // dWeight[o, c, kh, kw] += Σ_{b, oh, ow} dOut[o, b, oh, ow] · inp[c, b, oh + kh, ow + kw],
        // the chunks of each sample dealt round-robin to four running sums (latency, as above).
        if OW < 8 {
            for o in 0..<OC { for c in 0..<C { for kh in 0..<K { for kw in 0..<K {
                var acc: Float = 0
                for b in 0..<B {
                    let gp = dOut + (o * B + b) * plane, sp = inp + (c * B + b) * H * W + kh * W + kw
                    for oh in 0..<OH { for ow in 0..<OW { acc += gp[oh * OW + ow] * sp[oh * W + ow] } }
                }
                dWeight[((o * C + c) * K + kh) * K + kw] += acc
            } } } }
        } else {
            // Rows in fours, one running sum per row of the four.
            if OW % 8 == 0 {
                directWeightGradient(dWeight: dWeight, dOut: dOut, inp: inp, g, repeatsLanes: false)
            } else {
                directWeightGradient(dWeight: dWeight, dOut: dOut, inp: inp, g, repeatsLanes: true)
            }
        }
    }
    if let dBias {
        for o in 0..<OC {
            // Eight running sums in SIMD lanes, then the tail; one sum per lane keeps this from
            // waiting on the add latency at every element.
            let row = dOut + o * B * plane, n = B * plane
            var acc = SIMD8<Float>()
            var i = 0
            while i + 8 <= n { acc += load8(row + i); i += 8 }
            var s = acc.sum()
            while i < n { s += row[i]; i += 1 }
            dBias[o] += s
        }
    }
    if let dInp {
        guard let scratch else { preconditionFailure("conv2dDirectBackward: dInp needs the scratch workspace") }
        // dInp[c, b, ih, iw] = Σ_{o, kh, kw} w[o, c, kh, kw] · dOut[o, b, ih − kh, iw − kw].
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

/// dWeight[OC, C, K, K] += Σ_{b, oh, ow} dOut[OC, B, OH, OW] · inp[C, B, OH + kh, OW + kw] for
/// OW ≥ 8. Each gradient chunk is loaded once and multiplied into up to five taps of a kernel
/// row (kw0..<kw0+5), one running sum per tap: 1.2 loads per product instead of 2, and five
/// independent sums. `repeatsLanes` (8 does not divide OW) zeroes the gradient lanes of each
/// row's last chunk that repeat its predecessor's columns.
@inline(__always)
func directWeightGradient(dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                          inp: UnsafePointer<Float>, _ g: Conv2dGeometry, repeatsLanes: Bool) {
    let B = g.batch, C = g.inChannels, H = g.height, W = g.width, OC = g.outChannels, K = g.kernel
    let OH = g.outHeight, OW = g.outWidth, plane = OH * OW, chunks = (OW + 7) / 8
    // Samples in blocks whose gradient and input planes fit in L1 (16 KB) together, every tap
    // summed over one block before the next block is read.
    let block = max(1, 4096 / (plane + H * W))
    for b0 in stride(from: 0, to: B, by: block) {
        for o in 0..<OC { for c in 0..<C { for kh in 0..<K {
            var kw0 = 0
            while kw0 < K {
                let n = min(5, K - kw0)
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>(), a4 = SIMD8<Float>()
                for b in b0..<min(B, b0 + block) {
                    let gp = dOut + (o * B + b) * plane
                    let sp = inp + (c * B + b) * H * W + kh * W + kw0
                    // Chunk columns outer, rows inner: the inner loop just steps two pointers.
                    for j in 0..<chunks {
                        let (ow, skip) = chunkStart(j, rowWidth: OW)
                        let fresh = lanesFrom(skip)
                        var gr = gp + ow, x = sp + ow
                        for _ in 0..<OH {
                            var gv = load8(gr)
                            if repeatsLanes { gv.replace(with: 0, where: .!fresh) }
                            if n == 5 {
                                // The zoo kernels' case, without the guards below. Loading all five
                                // first keeps them five plain loads (interleaved, LLVM merged the
                                // overlapping loads into slower cross-lane shuffles).
                                let v0 = load8(x), v1 = load8(x + 1), v2 = load8(x + 2), v3 = load8(x + 3), v4 = load8(x + 4)
                                a0 += gv * v0; a1 += gv * v1; a2 += gv * v2; a3 += gv * v3; a4 += gv * v4
                            } else {
                                a0 += gv * load8(x)
                                if n > 1 { a1 += gv * load8(x + 1) }
                                if n > 2 { a2 += gv * load8(x + 2) }
                                if n > 3 { a3 += gv * load8(x + 3) }
                            }
                            gr += OW; x += W
                        }
                    }
                }
                let d = dWeight + ((o * C + c) * K + kh) * K + kw0
                d[0] += a0.sum()
                if n > 1 { d[1] += a1.sum() }
                if n > 2 { d[2] += a2.sum() }
                if n > 3 { d[3] += a3.sum() }
                if n > 4 { d[4] += a4.sum() }
                kw0 += 5
            }
        } } }
    }
}
