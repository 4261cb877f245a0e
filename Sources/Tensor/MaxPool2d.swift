// 2-D max pooling over independent planes.
//
// Size legend:  P = planes (C·B in the channel-major layout, any order works), H, W = input size,
//               K = window, S = stride, OH = (H - K) / S + 1, OW likewise (PyTorch's floor mode,
//               no padding).
// Mirrors https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html; ties go to the
// first maximum in row-major window order, as PyTorch's CPU kernel does.

/// out[P, OH, OW] = window maxima of inp[P, H, W]; argmax[P, OH, OW] records the winning input
/// index within its plane (h·W + w) for the backward pass.
public func maxPool2dForward(
    out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
    inp: UnsafePointer<Float>,
    planes P: Int, height H: Int, width W: Int, kernel K: Int, stride S: Int
) {
    let OH = (H - K) / S + 1, OW = (W - K) / S + 1
    // The 2×2 kernels carry plane indices in Float lanes: exact for planes below 2^23 elements.
    if K == 2 && S == 2 && H * W < 1 << 23 {
        maxPool2x2Forward(out: out, argmax: argmax, inp: inp, planes: P, height: H, width: W)
        return
    }
    for p in 0..<P {
        let src = inp + p * H * W
        let dst = out + p * OH * OW, idx = argmax + p * OH * OW
        for oh in 0..<OH {
            for ow in 0..<OW {
                var best = -Float.infinity, at = (oh * S) * W + ow * S
                for kh in 0..<K {
                    let r = (oh * S + kh) * W + ow * S
                    for kw in 0..<K {
                        let v = src[r + kw]
                        if v > best || v.isNaN { best = v; at = r + kw; if v.isNaN { break } }
                    }
                }
                dst[oh * OW + ow] = best
                idx[oh * OW + ow] = Int32(at)
            }
        }
    }
}

/// The zoo CNNs' 2×2 window with stride 2: the same result as the general loop, eight outputs at
/// a time in SIMD lanes with branch-free selects. Rows are short (CNN-s: 12 and 4 outputs), so the
/// outputs are taken as one run of quads (four outputs of one row, consecutive in `out`), two quads
/// per step wherever they lie. Window positions and argmax travel as Floats (exact below 2^23):
/// Swift compiles Float comparisons and selects on SIMD8 to single instructions, but Int32
/// comparisons, Float → Int32 conversions and SIMD4 halves often to per-lane code.
@inline(__always)
func maxPool2x2Forward(out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                       inp: UnsafePointer<Float>, planes P: Int, height H: Int, width W: Int) {
    let OH = H / 2, OW = W / 2
    let quadsPerRow = OW / 4, quads = P * OH * quadsPerRow
    guard OW % 4 == 0, quads >= 2 else {
        maxPool2x2ForwardScalar(out: out, argmax: argmax, inp: inp, planes: P, height: H, width: W)
        return
    }
    let lane = SIMD4<Float>(0, 2, 4, 6)
    let right = SIMD8<Float>(repeating: 1), below = SIMD8<Float>(repeating: Float(W)), belowRight = below + 1
    var cursor = QuadCursor(height: H, width: W, outHeight: OH, outWidth: OW)
    var q = 0
    while q < quads {
        // The last step overlaps the one before when the count is odd (same values rewritten).
        if q + 2 > quads { q = quads - 2; cursor = QuadCursor(height: H, width: W, outHeight: OH, outWidth: OW, quad: q) }
        let o0 = cursor.offset, i0 = Float(cursor.inPlane)
        cursor.advance()
        let o1 = cursor.offset, i1 = Float(cursor.inPlane)
        cursor.advance()
        let t0 = load8(inp + o0), t1 = load8(inp + o1), b0 = load8(inp + o0 + W), b1 = load8(inp + o1 + W)
        let a = SIMD8(lowHalf: t0.evenHalf, highHalf: t1.evenHalf), b = SIMD8(lowHalf: t0.oddHalf, highHalf: t1.oddHalf)
        let c = SIMD8(lowHalf: b0.evenHalf, highHalf: b1.evenHalf), d = SIMD8(lowHalf: b0.oddHalf, highHalf: b1.oddHalf)
        // First maximum in row-major order wins ties; a NaN wins and is never replaced.
        var best = a, at = SIMD8<Float>()
        var take = (b .> best) .| ((b .!= b) .& (best .== best))
        best.replace(with: b, where: take); at.replace(with: right, where: take)
        take = (c .> best) .| ((c .!= c) .& (best .== best))
        best.replace(with: c, where: take); at.replace(with: below, where: take)
        take = (d .> best) .| ((d .!= d) .& (best .== best))
        best.replace(with: d, where: take); at.replace(with: belowRight, where: take)
        store8(best, out + 4 * q)
        let plane = at + SIMD8(lowHalf: lane + i0, highHalf: lane + i1)
        UnsafeMutableRawPointer(argmax + 4 * q).storeBytes(of: exactInt32(plane), as: SIMD8<Int32>.self)
        q += 2
    }
}

/// Walks the quads of a 2×2 pooling (four windows of one output row, in output order) and gives
/// the input offset of each quad's top-left window and that window's index within its plane.
struct QuadCursor {
    let planeSize: Int, width: Int, outHeight: Int, outWidth: Int
    var p = 0, oh = 0, ow = 0

    init(height H: Int, width W: Int, outHeight OH: Int, outWidth OW: Int, quad: Int = 0) {
        planeSize = H * W; width = W; outHeight = OH; outWidth = OW
        let row = quad / (OW / 4)
        p = row / OH; oh = row % OH; ow = (quad % (OW / 4)) * 4
    }

    @inline(__always) var inPlane: Int { 2 &* (oh &* width &+ ow) }
    @inline(__always) var offset: Int { p &* planeSize &+ inPlane }

    @inline(__always) mutating func advance() {
        ow &+= 4
        if ow == outWidth {
            ow = 0; oh &+= 1
            if oh == outHeight { oh = 0; p &+= 1 }
        }
    }
}

/// `maxPool2x2Forward` one window at a time (any width).
func maxPool2x2ForwardScalar(out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                             inp: UnsafePointer<Float>, planes P: Int, height H: Int, width W: Int) {
    let OH = H / 2, OW = W / 2
    for p in 0..<P {
        let src = inp + p * H * W
        let dst = out + p * OH * OW, idx = argmax + p * OH * OW
        for oh in 0..<OH {
            let r0 = src + 2 * oh * W, r1 = r0 + W
            let base = Int32(2 * oh * W)
            for ow in 0..<OW {
                let a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1]
                var best = a, at = Int32(2 * ow)
                if b > best || b.isNaN && !best.isNaN { best = b; at = Int32(2 * ow + 1) }
                if c > best || c.isNaN && !best.isNaN { best = c; at = Int32(W + 2 * ow) }
                if d > best || d.isNaN && !best.isNaN { best = d; at = Int32(W + 2 * ow + 1) }
                dst[oh * OW + ow] = best
                idx[oh * OW + ow] = base + at
            }
        }
    }
}

/// Float lanes holding integers in [0, 2^23) as Int32 lanes: adding 2^23 puts the integer in
/// the low mantissa bits.
@inline(__always)
func exactInt32(_ v: SIMD8<Float>) -> SIMD8<Int32> {
    unsafeBitCast(v + 8_388_608, to: SIMD8<Int32>.self) &- 0x4B00_0000
}

/// Backward of `maxPool2dForward`: dInp[P, H, W] += dOut[P, OH, OW] routed to each window's argmax.
/// (Zeroing dInp first and routing beat a pass that stores every input's gradient: the zeroing
/// memset writes whole cache lines without reading them first.)
public func maxPool2dBackward(
    dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
    planes P: Int, height H: Int, width W: Int, kernel K: Int, stride S: Int
) {
    let OH = (H - K) / S + 1, OW = (W - K) / S + 1
    for p in 0..<P {
        let d = dInp + p * H * W, g = dOut + p * OH * OW, idx = argmax + p * OH * OW
        for i in 0..<(OH * OW) { d[Int(idx[i])] += g[i] }
    }
}
