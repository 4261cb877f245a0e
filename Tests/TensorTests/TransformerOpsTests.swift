import Foundation
import Testing
import TestSupport
@testable import Tensor

// Float64 finite-difference checks of the transformer ops. Each test takes L = Σ out ⊙ probe,
// runs the Float32 backward with dOut = probe, and compares with central differences of a
// Double re-implementation of the forward pass.

private func randoms(_ n: Int, _ r: inout RandomStream, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in r.nextNormal() * scale }
}

private func dot(_ a: [Double], _ b: [Float]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * Double(b[i]) }
    return s
}

@Suite struct TransformerOpsTests {
    @Test func unbiasedNormMatchesFiniteDifferences() {
        let R = 3, C = 5
        var r = RandomStream(seed: 1, purpose: "norm")
        let x = randoms(R * C, &r), a = randoms(C, &r), b = randoms(C, &r), probe = randoms(R * C, &r)
        var y = [Float](repeating: 0, count: R * C), mean = [Float](repeating: 0, count: R), sd = mean
        unbiasedNormForward(out: &y, mean: &mean, std: &sd, inp: x, alpha: a, bias: b, rows: R, features: C)
        func ref(_ x: [Double], _ a: [Double], _ b: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: R * C)
            for i in 0..<R {
                let row = Array(x[(i * C)..<((i + 1) * C)])
                let m = row.reduce(0, +) / Double(C)
                let s = (row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(C - 1)).squareRoot()
                for c in 0..<C { out[i * C + c] = a[c] * (row[c] - m) / (s + 1e-6) + b[c] }
            }
            return out
        }
        let xd = x.map(Double.init), ad = a.map(Double.init), bd = b.map(Double.init)
        #expect(compareFloats(y, ref(xd, ad, bd).map { Float($0) }, relative: 1e-5, absolute: 1e-5) == nil)
        var dx = [Float](repeating: 0, count: R * C), da = [Float](repeating: 0, count: C), db = da
        unbiasedNormBackward(dInp: &dx, dAlpha: &da, dBias: &db, dOut: probe, inp: x, alpha: a,
                             mean: mean, std: sd, rows: R, features: C)
        #expect(maxRelativeError(dx, numericalGradient(xd) { dot(ref($0, ad, bd), probe) }) < 1e-3)
        #expect(maxRelativeError(da, numericalGradient(ad) { dot(ref(xd, $0, bd), probe) }) < 1e-3)
        #expect(maxRelativeError(db, numericalGradient(bd) { dot(ref(xd, ad, $0), probe) }) < 1e-3)
    }

    @Test func softmaxMatchesFiniteDifferences() {
        let R = 2, N = 5
        var r = RandomStream(seed: 3, purpose: "softmax")
        let x = randoms(R * N, &r), probe = randoms(R * N, &r)
        var y = [Float](repeating: 0, count: R * N)
        softmaxForward(out: &y, inp: x, rows: R, columns: N)
        func ref(_ x: [Double]) -> [Double] {
            var out = x
            for i in 0..<R {
                let e = (0..<N).map { exp(x[i * N + $0]) }
                let s = e.reduce(0, +)
                for j in 0..<N { out[i * N + j] = e[j] / s }
            }
            return out
        }
        let xd = x.map(Double.init)
        #expect(compareFloats(y, ref(xd).map { Float($0) }, relative: 1e-5, absolute: 1e-6) == nil)
        var dx = [Float](repeating: 0, count: R * N)
        softmaxBackward(dInp: &dx, dOut: probe, out: y, rows: R, columns: N)
        #expect(maxRelativeError(dx, numericalGradient(xd) { dot(ref($0), probe) }) < 1e-3)
    }

    /// Double reference of multi-head attention (with an optional dropout mask on the weights).
    private func attentionReference(_ q: [Double], _ k: [Double], _ v: [Double], mask: [Float]?,
                                    B: Int, T: Int, C: Int, H: Int) -> [Double] {
        let hs = C / H
        var out = [Double](repeating: 0, count: B * T * C)
        for b in 0..<B { for h in 0..<H { for i in 0..<T {
            var s = [Double](repeating: 0, count: T)
            for j in 0..<T {
                var d = 0.0
                for e in 0..<hs { d += q[b * T * C + i * C + h * hs + e] * k[b * T * C + j * C + h * hs + e] }
                s[j] = d / Double(hs).squareRoot()
            }
            let mx = s.max()!
            let ex = s.map { exp($0 - mx) }
            let sum = ex.reduce(0, +)
            for j in 0..<T {
                var p = ex[j] / sum
                if let mask { p *= Double(mask[((b * H + h) * T + i) * T + j]) }
                for e in 0..<hs { out[b * T * C + i * C + h * hs + e] += p * v[b * T * C + j * C + h * hs + e] }
            }
        } } }
        return out
    }

    @Test(arguments: [false, true])
    func attentionMatchesFiniteDifferences(withDropout: Bool) {
        let B = 2, T = 3, C = 4, H = 2
        var r = RandomStream(seed: 4, purpose: "attention")
        let n = B * T * C
        let q = randoms(n, &r), k = randoms(n, &r), v = randoms(n, &r), probe = randoms(n, &r)
        let mask: [Float]? = withDropout
            ? (0..<(B * H * T * T)).map { _ in r.nextFloat() < 0.3 ? 0 : 1 / 0.7 } : nil
        var out = [Float](repeating: 0, count: n)
        var att = [Float](repeating: 0, count: B * H * T * T), attD = att
        mask.withOptionalPointer { m in
            attentionForward(out: &out, att: &att, attDropped: &attD, q: q, k: k, v: v, dropMask: m,
                             batch: B, sequence: T, channels: C, heads: H)
        }
        let qd = q.map(Double.init), kd = k.map(Double.init), vd = v.map(Double.init)
        let expected = attentionReference(qd, kd, vd, mask: mask, B: B, T: T, C: C, H: H)
        #expect(compareFloats(out, expected.map { Float($0) }, relative: 1e-5, absolute: 1e-5) == nil)
        var dq = [Float](repeating: 0, count: n), dk = dq, dv = dq
        var scratch = [Float](repeating: 0, count: T * T)
        mask.withOptionalPointer { m in
            attentionBackward(dq: &dq, dk: &dk, dv: &dv, scratch: &scratch, dOut: probe, q: q, k: k, v: v,
                              att: att, attDropped: attD, dropMask: m, batch: B, sequence: T, channels: C, heads: H)
        }
        func f(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
            dot(attentionReference(q, k, v, mask: mask, B: B, T: T, C: C, H: H), probe)
        }
        #expect(maxRelativeError(dq, numericalGradient(qd) { f($0, kd, vd) }) < 1e-3)
        #expect(maxRelativeError(dk, numericalGradient(kd) { f(qd, $0, vd) }) < 1e-3)
        #expect(maxRelativeError(dv, numericalGradient(vd) { f(qd, kd, $0) }) < 1e-3)
    }

    @Test func positionsAccumulate() {
        let B = 2, T = 3, C = 2
        var r = RandomStream(seed: 5, purpose: "pos")
        let x = randoms(B * T * C, &r), pos = randoms(T * C, &r), probe = randoms(B * T * C, &r)
        var y = [Float](repeating: 0, count: B * T * C)
        addPositionsForward(out: &y, inp: x, positions: pos, batch: B, sequence: T, channels: C)
        for i in 0..<(B * T * C) { #expect(y[i] == x[i] + pos[i % (T * C)]) }
        var dx = [Float](repeating: 0, count: B * T * C), dp = [Float](repeating: 0, count: T * C)
        addPositionsBackward(dInp: &dx, dPositions: &dp, dOut: probe, batch: B, sequence: T, channels: C)
        #expect(dx == probe)
        for i in 0..<(T * C) { #expect(abs(dp[i] - (probe[i] + probe[T * C + i])) < 1e-6) }
    }

    @Test(arguments: [false, true])
    func feedForwardMatchesFiniteDifferences(withDropout: Bool) {
        let R = 3, C = 4, F = 5
        var r = RandomStream(seed: 6, purpose: "ff")
        let x = randoms(R * C, &r), w1 = randoms(F * C, &r), b1 = randoms(F, &r)
        let w2 = randoms(C * F, &r), b2 = randoms(C, &r), probe = randoms(R * C, &r)
        let mask: [Float]? = withDropout ? (0..<(R * F)).map { _ in r.nextFloat() < 0.3 ? 0 : 2 } : nil
        var out = [Float](repeating: 0, count: R * C), hid = [Float](repeating: 0, count: R * F), act = hid
        mask.withOptionalPointer { m in
            feedForwardForward(out: &out, hidden: &hid, activated: &act, inp: x, w1: w1, b1: b1, w2: w2, b2: b2,
                               dropMask: m, rows: R, channels: C, hiddenWidth: F)
        }
        func ref(_ x: [Double], _ w1: [Double], _ b1: [Double], _ w2: [Double], _ b2: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: R * C)
            for i in 0..<R {
                var h = [Double](repeating: 0, count: F)
                for f in 0..<F {
                    var s = b1[f]
                    for c in 0..<C { s += x[i * C + c] * w1[f * C + c] }
                    h[f] = max(s, 0) * Double(mask?[i * F + f] ?? 1)
                }
                for c in 0..<C {
                    var s = b2[c]
                    for f in 0..<F { s += h[f] * w2[c * F + f] }
                    out[i * C + c] = s
                }
            }
            return out
        }
        let d = [x, w1, b1, w2, b2].map { $0.map(Double.init) }
        #expect(compareFloats(out, ref(d[0], d[1], d[2], d[3], d[4]).map { Float($0) }, relative: 1e-5, absolute: 1e-5) == nil)
        var dx = [Float](repeating: 0, count: R * C), dw1 = [Float](repeating: 0, count: F * C)
        var db1 = [Float](repeating: 0, count: F), dw2 = [Float](repeating: 0, count: C * F), db2 = [Float](repeating: 0, count: C)
        var scratch = [Float](repeating: 0, count: R * F)
        mask.withOptionalPointer { m in
            feedForwardBackward(dInp: &dx, dW1: &dw1, dB1: &db1, dW2: &dw2, dB2: &db2, scratch: &scratch,
                                dOut: probe, inp: x, hidden: hid, activated: act, w1: w1, w2: w2, dropMask: m,
                                rows: R, channels: C, hiddenWidth: F)
        }
        #expect(maxRelativeError(dx, numericalGradient(d[0]) { dot(ref($0, d[1], d[2], d[3], d[4]), probe) }) < 1e-3)
        #expect(maxRelativeError(dw1, numericalGradient(d[1]) { dot(ref(d[0], $0, d[2], d[3], d[4]), probe) }) < 1e-3)
        #expect(maxRelativeError(db1, numericalGradient(d[2]) { dot(ref(d[0], d[1], $0, d[3], d[4]), probe) }) < 1e-3)
        #expect(maxRelativeError(dw2, numericalGradient(d[3]) { dot(ref(d[0], d[1], d[2], $0, d[4]), probe) }) < 1e-3)
        #expect(maxRelativeError(db2, numericalGradient(d[4]) { dot(ref(d[0], d[1], d[2], d[3], $0), probe) }) < 1e-3)
    }

    @Test func batchNormMatchesFiniteDifferences() {
        let R = 4, C = 3
        var r = RandomStream(seed: 7, purpose: "bn")
        let x = randoms(R * C, &r), w = randoms(C, &r), b = randoms(C, &r), probe = randoms(R * C, &r)
        var y = [Float](repeating: 0, count: R * C), mean = [Float](repeating: 0, count: C), rstd = mean
        var rm = [Float](repeating: 0, count: C), rv = [Float](repeating: 1, count: C)
        batchNormForward(out: &y, mean: &mean, rstd: &rstd, runningMean: &rm, runningVar: &rv,
                         inp: x, weight: w, bias: b, rows: R, features: C)
        func ref(_ x: [Double], _ w: [Double], _ b: [Double]) -> [Double] {
            var out = x
            for c in 0..<C {
                let col = (0..<R).map { x[$0 * C + c] }
                let m = col.reduce(0, +) / Double(R)
                let v = col.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(R)
                for i in 0..<R { out[i * C + c] = (col[i] - m) / (v + 1e-5).squareRoot() * w[c] + b[c] }
            }
            return out
        }
        let xd = x.map(Double.init), wd = w.map(Double.init), bd = b.map(Double.init)
        #expect(compareFloats(y, ref(xd, wd, bd).map { Float($0) }, relative: 1e-4, absolute: 1e-5) == nil)
        // Running statistics: momentum 0.1 towards the batch mean and the unbiased variance.
        let col0 = (0..<R).map { xd[$0 * C] }
        let m0 = col0.reduce(0, +) / Double(R)
        let v0 = col0.map { ($0 - m0) * ($0 - m0) }.reduce(0, +) / Double(R - 1)
        #expect(abs(Double(rm[0]) - 0.1 * m0) < 1e-6)
        #expect(abs(Double(rv[0]) - (0.9 + 0.1 * v0)) < 1e-5)
        var dx = [Float](repeating: 0, count: R * C), dw = [Float](repeating: 0, count: C), db = dw
        batchNormBackward(dInp: &dx, dWeight: &dw, dBias: &db, dOut: probe, inp: x, weight: w,
                          mean: mean, rstd: rstd, rows: R, features: C)
        #expect(maxRelativeError(dx, numericalGradient(xd) { dot(ref($0, wd, bd), probe) }) < 1e-3)
        #expect(maxRelativeError(dw, numericalGradient(wd) { dot(ref(xd, $0, bd), probe) }) < 1e-3)
        #expect(maxRelativeError(db, numericalGradient(bd) { dot(ref(xd, wd, $0), probe) }) < 1e-3)
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's storage, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
