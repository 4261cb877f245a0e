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
    if K == 2 && S == 2 {
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

/// The zoo CNNs' 2×2 window with stride 2: the same result as the general loop, four outputs at a
/// time in SIMD lanes (branch-free selects; a data-dependent branch per window mispredicts often).
@inline(__always)
func maxPool2x2Forward(out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>,
                       inp: UnsafePointer<Float>, planes P: Int, height H: Int, width W: Int) {
    let OH = H / 2, OW = W / 2
    let vectorEnd = OW - OW % 4
    let lane = SIMD4<Int32>(0, 2, 4, 6)
    for p in 0..<P {
        let src = inp + p * H * W
        let dst = out + p * OH * OW, idx = argmax + p * OH * OW
        for oh in 0..<OH {
            let r0 = src + 2 * oh * W, r1 = r0 + W
            let base = Int32(2 * oh * W)
            var ow = 0
            while ow < vectorEnd {
                let top = load8(r0 + 2 * ow), bottom = load8(r1 + 2 * ow)
                let a = top.evenHalf, b = top.oddHalf, c = bottom.evenHalf, d = bottom.oddHalf
                // First maximum in row-major order wins ties, as the general loop (NaN propagates).
                var best = a, at = lane &+ (base + Int32(2 * ow))
                var take = (b .> best) .| ((b .!= b) .& (best .== best))
                best.replace(with: b, where: take); at.replace(with: at &+ 1, where: take)
                let atC = lane &+ (base + Int32(W + 2 * ow))
                take = (c .> best) .| ((c .!= c) .& (best .== best))
                best.replace(with: c, where: take); at.replace(with: atC, where: take)
                take = (d .> best) .| ((d .!= d) .& (best .== best))
                best.replace(with: d, where: take); at.replace(with: atC &+ 1, where: take)
                UnsafeMutableRawPointer(dst + oh * OW + ow).storeBytes(of: best, as: SIMD4<Float>.self)
                UnsafeMutableRawPointer(idx + oh * OW + ow).storeBytes(of: at, as: SIMD4<Int32>.self)
                ow += 4
            }
            while ow < OW {
                let a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1]
                var best = a, at = Int32(2 * ow)
                if b > best || b.isNaN && !best.isNaN { best = b; at = Int32(2 * ow + 1) }
                if c > best || c.isNaN && !best.isNaN { best = c; at = Int32(W + 2 * ow) }
                if d > best || d.isNaN && !best.isNaN { best = d; at = Int32(W + 2 * ow + 1) }
                dst[oh * OW + ow] = best
                idx[oh * OW + ow] = base + at
                ow += 1
            }
        }
    }
}

/// Backward of `maxPool2dForward`: dInp[P, H, W] += dOut[P, OH, OW] routed to each window's argmax.
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
