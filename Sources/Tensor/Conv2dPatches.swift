// Convolutions whose output rows are narrower than one SIMD8 chunk (CNN-s conv3: 4×4 → 3×3,
// K = 2), through a patch matrix and SIMD over (sample, position).
//
// Size legend:  B, C, H, W, OC, K, OH, OW as in Conv2dDirect.swift; R = C·K·K (patch length),
//               N = B·OH·OW (patch count). Layout: channel-major [C, B, H, W]; the patch matrix
//               is col[R, N] with r = (c·K + kh)·K + kw and n = (b·OH + oh)·OW + ow, so the
//               output [OC, B, OH, OW] is [OC, N] with no reordering.
// Why: computed directly, a 3×3 output row keeps one scalar sum per element and loops of two
// taps; per sample it cost as much as conv2's 76,800 multiply-adds. Gathered into col, the same
// work is a few SIMD8 row operations, and the gather is 216 copies per sample.

/// col[R, N] = the patches of inp[C, B, H, W] (stride 1, no padding).
@inline(__always)
func gatherPatches(col: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                   batch B: Int, inChannels C: Int, height H: Int, width W: Int, kernel K: Int) {
    let OH = H &- K &+ 1, OW = W &- K &+ 1, N = B &* OH &* OW
    for c in 0..<C { for kh in 0..<K { for kw in 0..<K {
        var dst = col + ((c &* K &+ kh) &* K &+ kw) &* N
        for b in 0..<B {
            let src = inp + ((c &* B &+ b) &* H &* W &+ kh &* W &+ kw)
            for oh in 0..<OH { for ow in 0..<OW { dst[ow] = src[oh &* W &+ ow] }; dst += OW }
        }
    } } }
}

/// Σ over lanes of a[0..<n] · b[0..<n], SIMD8 with two running sums, then the tail.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
    var i = 0
    while i &+ 16 <= n { s0 = multiplyAdd(s0, load8(a + i), load8(b + i)); s1 = multiplyAdd(s1, load8(a + (i &+ 8)), load8(b + (i &+ 8))); i &+= 16 }
    if i &+ 8 <= n { s0 = multiplyAdd(s0, load8(a + i), load8(b + i)); i &+= 8 }
    var s = (s0 + s1).sum()
    while i < n { s += a[i] * b[i]; i &+= 1 }
    return s
}

/// out[OC, N] = bias + weight[OC, R] · col[R, N], using `scratch` (R·N floats) for col.
func patchConvolutionForward(out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                             inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             _ g: Conv2dGeometry) {
    let K = g.kernel, R = g.inChannels &* K &* K, N = g.batch &* g.outHeight &* g.outWidth
    let col = scratch
    gatherPatches(col: col, inp: inp, batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width, kernel: K)
    for o in 0..<g.outChannels {
        let wo = weight + o &* R, dst = out + o &* N
        let b0: Float = bias?[o] ?? 0
        var n = 0
        while n &+ 32 <= N {
            // Four chunks at once: independent running sums.
            var a0 = SIMD8<Float>(repeating: b0), a1 = a0, a2 = a0, a3 = a0
            for r in 0..<R {
                let w = SIMD8<Float>(repeating: wo[r]), src = col + (r &* N &+ n)
                a0 = multiplyAdd(a0, load8(src), w); a1 = multiplyAdd(a1, load8(src + 8), w)
                a2 = multiplyAdd(a2, load8(src + 16), w); a3 = multiplyAdd(a3, load8(src + 24), w)
            }
            store8(a0, dst + n); store8(a1, dst + (n &+ 8)); store8(a2, dst + (n &+ 16)); store8(a3, dst + (n &+ 24))
            n &+= 32
        }
        while n &+ 8 <= N {
            var a = SIMD8<Float>(repeating: b0)
            for r in 0..<R { a = multiplyAdd(a, load8(col + (r &* N &+ n)), SIMD8<Float>(repeating: wo[r])) }
            store8(a, dst + n)
            n &+= 8
        }
        while n < N {
            var a = b0
            for r in 0..<R { a += col[r &* N &+ n] * wo[r] }
            dst[n] = a
            n &+= 1
        }
    }
}

/// Backward of `patchConvolutionForward` without the bias: dWeight[OC, R] += dOut[OC, N] · colᵀ,
/// dInp[C, B, H, W] += scatter(weightᵀ · dOut). `scratch` holds col and dCol (2·R·N floats);
/// col is gathered again from inp (216 copies per CNN-s sample), so that the backward pass
/// needs nothing kept from the forward pass.
func patchConvolutionBackward(dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
                              scratch: UnsafeMutablePointer<Float>,
                              dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              _ g: Conv2dGeometry) {
    let B = g.batch, C = g.inChannels, H = g.height, W = g.width, K = g.kernel, OC = g.outChannels
    let OH = g.outHeight, OW = g.outWidth, R = C &* K &* K, N = B &* OH &* OW
    let col = scratch, dCol = scratch + R &* N
    if let dWeight {
        gatherPatches(col: col, inp: inp, batch: B, inChannels: C, height: H, width: W, kernel: K)
        for o in 0..<OC { for r in 0..<R { dWeight[o &* R &+ r] += dot(dOut + o &* N, col + r &* N, count: N) } }
    }
    guard let dInp else { return }
    // dCol[r, n] = Σ_o weight[o, r] · dOut[o, n].
    for r in 0..<R {
        let dst = dCol + r &* N
        var n = 0
        while n &+ 8 <= N {
            var a = SIMD8<Float>()
            for o in 0..<OC { a = multiplyAdd(a, load8(dOut + (o &* N &+ n)), SIMD8<Float>(repeating: weight[o &* R &+ r])) }
            store8(a, dst + n)
            n &+= 8
        }
        while n < N {
            var a: Float = 0
            for o in 0..<OC { a += dOut[o &* N &+ n] * weight[o &* R &+ r] }
            dst[n] = a
            n &+= 1
        }
    }
    // Scatter-add the patches back (col2im).
    for c in 0..<C { for kh in 0..<K { for kw in 0..<K {
        var src = UnsafePointer(dCol + ((c &* K &+ kh) &* K &+ kw) &* N)
        for b in 0..<B {
            let dst = dInp + ((c &* B &+ b) &* H &* W &+ kh &* W &+ kw)
            for oh in 0..<OH { for ow in 0..<OW { dst[oh &* W &+ ow] += src[ow] }; src += OW }
        }
    } } }
}
