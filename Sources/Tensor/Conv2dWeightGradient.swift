// Weight-gradient kernels: narrow rows (scalar sums per tap), in-place pairs of output
// channels, and shifted aligned copies of the input (CNN-s conv1 and conv2).
// Part of the direct convolution; Conv2dDirect.swift has the size legend, the layout and why.

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
