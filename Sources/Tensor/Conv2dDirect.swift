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
//
// This file: the two entry points. The kernels: Conv2dCorrelation.swift (forward and narrow-row
// input gradient), Conv2dInputGradient.swift, Conv2dWeightGradient.swift; SIMD helpers in
// Conv2dSIMD.swift.

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
