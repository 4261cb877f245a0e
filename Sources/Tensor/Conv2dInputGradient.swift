// Input-gradient kernels: input channels in the SIMD lanes for rows up to 12 wide, SIMD8 over
// columns otherwise.
// Part of the direct convolution; Conv2dDirect.swift has the size legend, the layout and why.

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
