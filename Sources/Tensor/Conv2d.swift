// 2-D convolution as im2col + GEMM.
//
// Size legend:  B = batch, C = input channels, H, W = input height and width,
//               OC = output channels, K = kernel size (square), S = stride, P = zero padding,
//               OH = (H + 2P - K) / S + 1, OW likewise, CKK = C·K·K, N = B·OH·OW.
// Layout: activations are channel-major, [C, B, H, W] ("CBHW"): one GEMM then serves the whole
// batch, out[OC, N] = weight[OC, CKK] · col[CKK, N], with no transpose afterwards. For C = 1 this
// is the same memory as PyTorch's NCHW; `nchwToCBHW` converts otherwise.
// Mirrors https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html (cross-correlation,
// weight [OC, C, K, K], dilation 1, groups 1).

/// The sizes of one convolution, with the derived output and im2col sizes.
public struct Conv2dGeometry: Sendable, Equatable, Codable {
    public var batch: Int, inChannels: Int, height: Int, width: Int
    public var outChannels: Int, kernel: Int, stride: Int, padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int,
                outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the im2col matrix: C·K·K.
    public var colRows: Int { inChannels * kernel * kernel }
    /// Columns of the im2col matrix: B·OH·OW.
    public var colColumns: Int { batch * outHeight * outWidth }
    /// Elements of the input [C, B, H, W].
    public var inputCount: Int { inChannels * batch * height * width }
    /// Elements of the output [OC, B, OH, OW].
    public var outputCount: Int { outChannels * colColumns }
    /// Elements of the weight [OC, C, K, K].
    public var weightCount: Int { outChannels * colRows }
}

/// col[CKK, N] ← patches of inp[C, B, H, W] (zeros where the kernel overhangs the padding).
public func im2col(col: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, _ g: Conv2dGeometry) {
    let K = g.kernel, S = g.stride, P = g.padding, H = g.height, W = g.width
    let OH = g.outHeight, OW = g.outWidth, B = g.batch, N = g.colColumns
    for c in 0..<g.inChannels {
        for kh in 0..<K {
            for kw in 0..<K {
                let row = col + ((c * K + kh) * K + kw) * N
                for b in 0..<B {
                    let plane = inp + (c * B + b) * H * W
                    for oh in 0..<OH {
                        let dst = row + (b * OH + oh) * OW
                        let ih = oh * S - P + kh
                        if ih < 0 || ih >= H {
                            dst.update(repeating: 0, count: OW)
                            continue
                        }
                        let src = plane + ih * W
                        if S == 1 && P == 0 {
                            // The common, contiguous case; rows are short (OW ≤ 30 in the zoo
                            // CNNs), so a plain loop beats a memmove call.
                            let s = src + kw
                            for ow in 0..<OW { dst[ow] = s[ow] }
                        } else {
                            for ow in 0..<OW {
                                let iw = ow * S - P + kw
                                dst[ow] = (iw >= 0 && iw < W) ? src[iw] : 0
                            }
                        }
                    }
                }
            }
        }
    }
}

/// dInp[C, B, H, W] += the scatter of dCol[CKK, N] (the adjoint of `im2col`).
public func col2imAccumulate(dInp: UnsafeMutablePointer<Float>, dCol: UnsafePointer<Float>, _ g: Conv2dGeometry) {
    let K = g.kernel, S = g.stride, P = g.padding, H = g.height, W = g.width
    let OH = g.outHeight, OW = g.outWidth, B = g.batch, N = g.colColumns
    for c in 0..<g.inChannels {
        for kh in 0..<K {
            for kw in 0..<K {
                let row = dCol + ((c * K + kh) * K + kw) * N
                for b in 0..<B {
                    let plane = dInp + (c * B + b) * H * W
                    for oh in 0..<OH {
                        let ih = oh * S - P + kh
                        if ih < 0 || ih >= H { continue }
                        let src = row + (b * OH + oh) * OW
                        let dst = plane + ih * W
                        for ow in 0..<OW {
                            let iw = ow * S - P + kw
                            if iw >= 0 && iw < W { dst[iw] += src[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// out[OC, B, OH, OW] = conv(inp[C, B, H, W], weight[OC, C, K, K]) + bias[OC].
/// `col` [CKK, N] is the caller's workspace; it keeps the patches for `conv2dBackward`.
public func conv2dForward(
    out: UnsafeMutablePointer<Float>, col: UnsafeMutablePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    _ g: Conv2dGeometry
) {
    let N = g.colColumns
    im2col(col: col, inp: inp, g)
    if let bias {
        for o in 0..<g.outChannels { (out + o * N).update(repeating: bias[o], count: N) }
    }
    // out[OC, N] (+)= weight[OC, CKK] · col[CKK, N]
    gemm(m: g.outChannels, n: N, k: g.colRows, a: weight, lda: g.colRows, b: col, ldb: N,
         beta: bias == nil ? 0 : 1, c: out, ldc: N)
}

/// Backward of `conv2dForward`: accumulates dInp[C, B, H, W], dWeight[OC, C, K, K], dBias[OC]
/// from dOut[OC, B, OH, OW]. `col` is the forward's workspace; `dCol` [CKK, N] is scratch, needed
/// only with dInp. Pass nil for gradients not needed (dInp of the first layer).
public func conv2dBackward(
    dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?,
    dCol: UnsafeMutablePointer<Float>?,
    dOut: UnsafePointer<Float>, col: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    _ g: Conv2dGeometry
) {
    let N = g.colColumns, CKK = g.colRows, OC = g.outChannels
    if let dWeight {
        // dWeight[OC, CKK] += dOut[OC, N] · col[CKK, N]ᵀ
        gemm(transposeB: true, m: OC, n: CKK, k: N, a: dOut, lda: N, b: col, ldb: N,
             beta: 1, c: dWeight, ldc: CKK)
    }
    if let dBias {
        for o in 0..<OC {
            let row = dOut + o * N
            var s: Float = 0
            for i in 0..<N { s += row[i] }
            dBias[o] += s
        }
    }
    if let dInp {
        guard let dCol else { preconditionFailure("conv2dBackward: dInp needs the dCol workspace") }
        // dCol[CKK, N] = weight[OC, CKK]ᵀ · dOut[OC, N]
        gemm(transposeA: true, m: CKK, n: N, k: OC, a: weight, lda: CKK, b: dOut, ldb: N,
             beta: 0, c: dCol, ldc: N)
        col2imAccumulate(dInp: dInp, dCol: dCol, g)
    }
}

/// dst[C, B, H·W] ← src[B, C, H·W] (PyTorch's NCHW batch into the channel-major layout).
public func nchwToCBHW(dst: UnsafeMutablePointer<Float>, src: UnsafePointer<Float>,
                       batch B: Int, channels C: Int, planeSize HW: Int) {
    for b in 0..<B { for c in 0..<C {
        (dst + (c * B + b) * HW).update(from: src + (b * C + c) * HW, count: HW)
    } }
}

/// Flatten of a channel-major activation: out[B, C·HW] ← inp[C, B, HW], in PyTorch's
/// `nn.Flatten` order (channel, then row, then column) for each sample.
public func flattenForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                           batch B: Int, channels C: Int, planeSize HW: Int) {
    for c in 0..<C { for b in 0..<B {
        (out + (b * C + c) * HW).update(from: inp + (c * B + b) * HW, count: HW)
    } }
}

/// Backward of `flattenForward`: dInp[C, B, HW] += dOut[B, C·HW].
public func flattenBackward(dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                            batch B: Int, channels C: Int, planeSize HW: Int) {
    for c in 0..<C { for b in 0..<B {
        let d = dInp + (c * B + b) * HW, s = dOut + (b * C + c) * HW
        for i in 0..<HW { d[i] += s[i] }
    } }
}
