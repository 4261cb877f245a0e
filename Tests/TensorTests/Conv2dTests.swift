import Testing
import TestSupport
@testable import Tensor

/// Conv2d, max-pool and flatten against Double references and central differences.
@Suite struct Conv2dTests {
    /// Direct convolution in Double over the channel-major layout (the definition, no im2col).
    static func reference(_ x: [Double], _ w: [Double], _ bias: [Double], _ g: Conv2dGeometry) -> [Double] {
        let OH = g.outHeight, OW = g.outWidth, K = g.kernel
        var y = [Double](repeating: 0, count: g.outputCount)
        for o in 0..<g.outChannels { for b in 0..<g.batch { for oh in 0..<OH { for ow in 0..<OW {
            var s = bias[o]
            for c in 0..<g.inChannels { for kh in 0..<K { for kw in 0..<K {
                let ih = oh * g.stride - g.padding + kh, iw = ow * g.stride - g.padding + kw
                guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                s += x[((c * g.batch + b) * g.height + ih) * g.width + iw] * w[((o * g.inChannels + c) * K + kh) * K + kw]
            } } }
            y[((o * g.batch + b) * OH + oh) * OW + ow] = s
        } } } }
        return y
    }

    /// Random input, weight, bias and output probe for `g`, drawn from `purpose`'s stream.
    static func problem(_ g: Conv2dGeometry, purpose: String) -> (x: [Float], w: [Float], bias: [Float], probe: [Float]) {
        var r = RandomStream(seed: 21, purpose: purpose)
        let x = (0..<g.inputCount).map { _ in r.nextNormal() }
        let w = (0..<g.weightCount).map { _ in r.nextNormal() }
        let bias = (0..<g.outChannels).map { _ in r.nextNormal() }
        return (x, w, bias, (0..<g.outputCount).map { _ in r.nextNormal() })
    }

    /// Checks a forward output against the Double reference, then a backward pass (run by
    /// `backward` on gradients pre-filled with ones, since backward accumulates) against central
    /// differences of Σ reference ⊙ probe.
    static func checkConvolution(
        _ g: Conv2dGeometry, x: [Float], w: [Float], bias: [Float], probe: [Float], output y: [Float],
        floor: Double = 1e-3, backward: (inout [Float], inout [Float], inout [Float]) -> Void
    ) {
        let xd = x.map(Double.init), wd = w.map(Double.init), bd = bias.map(Double.init)
        #expect(compareFloats(y, reference(xd, wd, bd, g).map(Float.init), relative: 1e-5, absolute: 1e-5) == nil)
        var dx = [Float](repeating: 1, count: x.count), dw = [Float](repeating: 1, count: w.count)
        var db = [Float](repeating: 1, count: bias.count)
        backward(&dx, &dw, &db)
        dx = dx.map { $0 - 1 }; dw = dw.map { $0 - 1 }; db = db.map { $0 - 1 }
        let p = probe.map(Double.init)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            zip(reference(x, w, b, g), p).reduce(0) { $0 + $1.0 * $1.1 }
        }
        #expect(maxRelativeError(dx, numericalGradient(xd) { loss($0, wd, bd) }, floor: floor) < 1e-4)
        #expect(maxRelativeError(dw, numericalGradient(wd) { loss(xd, $0, bd) }, floor: floor) < 1e-4)
        #expect(maxRelativeError(db, numericalGradient(bd) { loss(xd, wd, $0) }, floor: floor) < 1e-4)
    }

    @Test(arguments: [
        Conv2dGeometry(batch: 2, inChannels: 3, height: 7, width: 6, outChannels: 4, kernel: 3),
        Conv2dGeometry(batch: 3, inChannels: 2, height: 6, width: 7, outChannels: 3, kernel: 2, stride: 2, padding: 1),
        Conv2dGeometry(batch: 1, inChannels: 1, height: 5, width: 5, outChannels: 2, kernel: 3, stride: 1, padding: 1),
    ])
    func convolutionMatchesReferenceAndFiniteDifferences(g: Conv2dGeometry) {
        let (x, w, bias, probe) = Self.problem(g, purpose: "conv")
        var y = [Float](repeating: 0, count: g.outputCount)
        var col = [Float](repeating: 0, count: g.colRows * g.colColumns)
        var dCol = col
        conv2dForward(out: &y, col: &col, inp: x, weight: w, bias: bias, g)
        Self.checkConvolution(g, x: x, w: w, bias: bias, probe: probe, output: y) { dx, dw, db in
            conv2dBackward(dInp: &dx, dWeight: &dw, dBias: &db, dCol: &dCol, dOut: probe, col: col, weight: w, g)
        }
    }

    /// The direct kernel (stride 1, no padding): SIMD chunks with an overlapping last chunk
    /// (OW = 11), rows not a multiple of four (OH = 10), exact chunks (OW = 8), narrow rows (OW = 5).
    @Test(arguments: [
        Conv2dGeometry(batch: 3, inChannels: 2, height: 12, width: 13, outChannels: 3, kernel: 3),
        Conv2dGeometry(batch: 1, inChannels: 1, height: 10, width: 12, outChannels: 2, kernel: 5),
        Conv2dGeometry(batch: 2, inChannels: 3, height: 5, width: 6, outChannels: 2, kernel: 2),
    ])
    func directConvolutionMatchesReferenceAndFiniteDifferences(g: Conv2dGeometry) {
        let (x, w, bias, probe) = Self.problem(g, purpose: "direct-conv")
        var y = [Float](repeating: .nan, count: g.outputCount)
        conv2dDirectForward(out: &y, inp: x, weight: w, bias: bias, g)
        var viaGEMM = [Float](repeating: 0, count: g.outputCount)
        var col = [Float](repeating: 0, count: g.colRows * g.colColumns)
        conv2dForward(out: &viaGEMM, col: &col, inp: x, weight: w, bias: bias, g)
        #expect(compareFloats(y, viaGEMM, relative: 1e-5, absolute: 1e-5) == nil)
        var scratch = [Float](repeating: .nan, count: g.directBackwardScratchCount)
        // Input gradients here reach |10| and sum up to 54 Float32 products (≈1.5e-6 absolute
        // rounding, checked against a Double reference); near-zero entries need a floor of 1e-2
        // on the relative error, not the 1e-3 that suits the smaller im2col cases.
        Self.checkConvolution(g, x: x, w: w, bias: bias, probe: probe, output: y, floor: 1e-2) { dx, dw, db in
            conv2dDirectBackward(dInp: &dx, dWeight: &dw, dBias: &db, scratch: &scratch, dOut: probe, inp: x, weight: w, g)
        }
    }

    /// The zoo CNNs' own geometries take specialised direct kernels (K and W compile-time
    /// constants, shifted input copies for the weight gradient, channels in SIMD lanes for the
    /// input gradient, two channel groups for CNN-m conv3); each must agree with the im2col +
    /// GEMM path, itself checked against finite differences above.
    @Test(arguments: [
        Conv2dGeometry(batch: 3, inChannels: 1, height: 28, width: 28, outChannels: 8, kernel: 5),   // CNN-s conv1
        Conv2dGeometry(batch: 3, inChannels: 8, height: 12, width: 12, outChannels: 6, kernel: 5),   // CNN-s conv2
        Conv2dGeometry(batch: 3, inChannels: 6, height: 4, width: 4, outChannels: 4, kernel: 2),     // CNN-s conv3
        Conv2dGeometry(batch: 2, inChannels: 3, height: 32, width: 32, outChannels: 16, kernel: 3),  // CNN-m conv1
        Conv2dGeometry(batch: 2, inChannels: 16, height: 15, width: 15, outChannels: 32, kernel: 3), // CNN-m conv2
        Conv2dGeometry(batch: 2, inChannels: 12, height: 6, width: 6, outChannels: 5, kernel: 3),    // CNN-m conv3 shape, 1½ channel groups
    ])
    func zooGeometryKernelsMatchIm2col(g: Conv2dGeometry) {
        let (x, w, bias, probe) = Self.problem(g, purpose: "zoo-geometry")
        var y = [Float](repeating: .nan, count: g.outputCount)
        var forwardScratch = [Float](repeating: .nan, count: max(g.directForwardScratchCount, 1))
        conv2dDirectForward(out: &y, inp: x, weight: w, bias: bias, g, scratch: &forwardScratch)
        var viaGEMM = [Float](repeating: 0, count: g.outputCount)
        var col = [Float](repeating: 0, count: g.colRows * g.colColumns)
        conv2dForward(out: &viaGEMM, col: &col, inp: x, weight: w, bias: bias, g)
        #expect(compareFloats(y, viaGEMM, relative: 1e-4, absolute: 1e-4) == nil)
        // Both backward passes accumulate: start from the same non-zero gradients.
        var dx = [Float](repeating: 0.5, count: x.count), dw = [Float](repeating: 0.5, count: w.count)
        var db = [Float](repeating: 0.5, count: bias.count)
        var (ex, ew, eb) = (dx, dw, db)
        var scratch = [Float](repeating: .nan, count: g.directBackwardScratchCount)
        conv2dDirectBackward(dInp: &dx, dWeight: &dw, dBias: &db, scratch: &scratch, dOut: probe, inp: x, weight: w, g)
        var dCol = col
        conv2dBackward(dInp: &ex, dWeight: &ew, dBias: &eb, dCol: &dCol, dOut: probe, col: col, weight: w, g)
        #expect(compareFloats(dx, ex, relative: 1e-4, absolute: 1e-4) == nil)
        #expect(compareFloats(dw, ew, relative: 1e-4, absolute: 1e-3) == nil)
        #expect(compareFloats(db, eb, relative: 1e-4, absolute: 1e-4) == nil)
    }

    /// The 2×2 pool's paths: SIMD quads of four windows (rows of 12 and 4 outputs as in CNN-s, an
    /// odd quad count, odd heights and widths), and the scalar loop (width not a multiple of 8,
    /// a single quad). All keep the general loop's rules: the first maximum in row-major order wins
    /// ties (−0 and +0 tie), and the first NaN wins.
    @Test(arguments: [(2, 6, 11), (3, 24, 24), (2, 8, 8), (1, 6, 8), (5, 8, 9), (2, 7, 16), (1, 2, 8)])
    func maxPool2x2MatchesTheFirstMaximumRule(geometry: (Int, Int, Int)) {
        let (P, H, W) = geometry
        let OH = H / 2, OW = W / 2
        var r = RandomStream(seed: 5, purpose: "pool-ties")
        let values: [Float] = [-0.0, 0, 1, 2]
        var x = (0..<(P * H * W)).map { _ in values[r.nextInt(below: 4)] }   // many ties
        for _ in 0..<(P * H * W / 16) { x[r.nextInt(below: x.count)] = .nan }
        var y = [Float](repeating: 0, count: P * OH * OW)
        var arg = [Int32](repeating: -1, count: P * OH * OW)
        maxPool2dForward(out: &y, argmax: &arg, inp: x, planes: P, height: H, width: W, kernel: 2, stride: 2)
        for p in 0..<P { for oh in 0..<OH { for ow in 0..<OW {
            var best = -Float.infinity, at = 0
            for kh in 0..<2 { for kw in 0..<2 {
                let i = (2 * oh + kh) * W + 2 * ow + kw, v = x[p * H * W + i]
                if best.isNaN { continue }
                if v > best || v.isNaN { best = v; at = i }
            } }
            let o = (p * OH + oh) * OW + ow
            #expect(arg[o] == Int32(at), "window \(p),\(oh),\(ow) of \(geometry)")
            #expect(y[o].bitPattern == best.bitPattern || (y[o].isNaN && best.isNaN))
        } } }
    }

    @Test func maxPoolRoutesGradientsToTheMaximum() {
        let P = 3, H = 6, W = 5, K = 2, S = 2
        let OH = (H - K) / S + 1, OW = (W - K) / S + 1
        var r = RandomStream(seed: 4, purpose: "pool")
        let x = (0..<(P * H * W)).map { _ in r.nextNormal() }   // distinct values: no ties
        let probe = (0..<(P * OH * OW)).map { _ in r.nextNormal() }
        var y = [Float](repeating: 0, count: P * OH * OW)
        var arg = [Int32](repeating: 0, count: P * OH * OW)
        maxPool2dForward(out: &y, argmax: &arg, inp: x, planes: P, height: H, width: W, kernel: K, stride: S)
        func pool(_ x: [Double]) -> [Double] {
            var out: [Double] = []
            for p in 0..<P { for oh in 0..<OH { for ow in 0..<OW {
                var m = -Double.infinity
                for kh in 0..<K { for kw in 0..<K { m = max(m, x[(p * H + oh * S + kh) * W + ow * S + kw]) } }
                out.append(m)
            } } }
            return out
        }
        let xd = x.map(Double.init)
        #expect(y == pool(xd).map(Float.init))
        var dx = [Float](repeating: 0, count: x.count)
        maxPool2dBackward(dInp: &dx, dOut: probe, argmax: arg, planes: P, height: H, width: W, kernel: K, stride: S)
        let numeric = numericalGradient(xd) { zip(pool($0), probe).reduce(0) { $0 + $1.0 * Double($1.1) } }
        #expect(maxRelativeError(dx, numeric) < 1e-4)
    }

    @Test func flattenIsPyTorchOrderAndBackwardIsItsAdjoint() {
        let B = 2, C = 3, HW = 4
        let x = (0..<(C * B * HW)).map(Float.init)   // x[c, b, i] = (c·B + b)·HW + i
        var y = [Float](repeating: 0, count: x.count)
        flattenForward(out: &y, inp: x, batch: B, channels: C, planeSize: HW)
        for b in 0..<B { for c in 0..<C { for i in 0..<HW {
            #expect(y[(b * C + c) * HW + i] == x[(c * B + b) * HW + i])
        } } }
        var dx = [Float](repeating: 0, count: x.count)
        flattenBackward(dInp: &dx, dOut: y, batch: B, channels: C, planeSize: HW)
        #expect(dx == x)
        var back = [Float](repeating: 0, count: x.count)
        nchwToCBHW(dst: &back, src: y, batch: B, channels: C, planeSize: HW)
        #expect(back == x)
    }
}
