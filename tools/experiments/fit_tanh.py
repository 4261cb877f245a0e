#!/usr/bin/env python3
"""Fits the two polynomials of fastTanh (Sources/Tensor/FastMath.swift) and checks the result
the way Swift computes it: float32, every operation rounded, multiply-adds either fused (a build
with HZ_FMA) or not.

  |x| < 0.7:  tanh x = x + x^3 q(x^2),  q of degree 4, minimax in error relative to tanh x
  elsewhere:  tanh x = 1 - 2/(e^{2|x|} + 1),  e^r = 1 + r p(r) on |r| <= ln2/2 (degree 6 in all,
              minimax relative error), r from y = 2|x| = n ln2 + r

Minimax by Lawson's iteratively reweighted least squares on a dense grid (Float64; mpmath for
the reference of (tanh x - x)/x^3, which cancels in Float64 near 0).

Run with a Python that has numpy and mpmath:  $HYPERZOO_PYTHON tools/experiments/fit_tanh.py [STRIDE]
Prints the float32 coefficients and, for both builds, the worst relative error over every
STRIDE-th positive float32 in [2^-20, 20] (default 5; 1 checks them all, slowly)."""
import sys
import numpy as np
from mpmath import mp, mpf, tanh as mtanh

f32, f64 = np.float32, np.float64
THRESHOLD = 0.7


def lawson(basis, target, scale, iterations=300):
    """Coefficients c minimising max |(basis @ c - target) * scale| (Lawson's reweighting)."""
    w, best = np.ones(len(target)), None
    for _ in range(iterations):
        s = w * scale
        c, *_ = np.linalg.lstsq(basis * s[:, None], target * s, rcond=None)
        err = (basis @ c - target) * scale
        worst = np.abs(err).max()
        if best is None or worst < best[0]:
            best = (worst, c)
        w = w * np.abs(err) ** 0.5
        w = np.maximum(w / w.max(), 1e-12)
    return best


def fit_small():
    mp.dps = 40
    x = np.linspace(1e-3, THRESHOLD, 4000)
    z = x * x
    g = np.array([float((mtanh(mpf(v)) - mpf(v)) / mpf(v) ** 3) for v in x])
    err, c = lawson(z[:, None] ** np.arange(5), g, x ** 3 / np.tanh(x))
    return err, c


def fit_exp():
    h = np.log(2) / 2 * 1.0005
    r = np.linspace(-h, h, 4001)
    e = np.exp(r)
    err, c = lawson(r[:, None] ** np.arange(1, 7), e - 1, 1 / e)
    return err, c


def multiply_add(acc, a, b, fused):
    """acc + a*b in float32 with one rounding (fused; exact in float64 for float32 inputs up to
    the final rounding) or two."""
    acc, a, b = (np.asarray(v, f32) for v in (acc, a, b))
    if fused:
        return (acc.astype(f64) + a.astype(f64) * b.astype(f64)).astype(f32)
    return (acc + (a * b).astype(f32)).astype(f32)


def fast_tanh(x, q, p, fused):
    """fastTanh in float32, operation by operation as the Swift source."""
    a = np.abs(x)
    y = (f32(2) * np.minimum(a, f32(9.1))).astype(f32)
    magic = f32(12582912)
    t = multiply_add(magic, y, f32(1.442695040888963), fused)
    n = (t - magic).astype(f32)
    r = multiply_add(multiply_add(y, n, f32(-0.693145751953125), fused), n, f32(-1.428606765330187e-06), fused)
    acc = np.full_like(y, p[-1])
    for c in p[-2::-1]:
        acc = multiply_add(c, acc, r, fused)
    acc = multiply_add(f32(1), acc, r, fused)
    scale = ((t.view(np.int32) - magic.view(np.int32) + 127) << 23).astype(np.int32).view(f32)
    e = (acc * scale).astype(f32)
    large = (f32(1) - (f32(2) / (e + f32(1))).astype(f32)).astype(f32)
    z = (x * x).astype(f32)
    s = np.full_like(x, q[-1])
    for c in q[-2::-1]:
        s = multiply_add(c, s, z, fused)
    small = multiply_add(x, (x * z).astype(f32), s, fused)
    return np.where(a < f32(THRESHOLD), small, np.where(x < 0, -large, large))


def main():
    stride = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    small_err, q = fit_small()
    exp_err, p = fit_exp()
    q, p = [f32(v) for v in q], [f32(v) for v in p]
    print(f"q (x^0..x^8 of (tanh x - x)/x^3), fit error {small_err:.2e}:")
    print("   ", ", ".join(repr(float(v)) for v in q))
    print(f"p (r^1..r^6 of e^r - 1), fit error {exp_err:.2e}:")
    print("   ", ", ".join(repr(float(v)) for v in p))
    lo, hi = int(np.array([2.0 ** -20], f32).view(np.uint32)[0]), int(np.array([20.0], f32).view(np.uint32)[0])
    for fused in (False, True):
        worst, at = 0.0, None
        for start in range(lo, hi, 20_000_000):
            x = np.arange(start, min(start + 20_000_000, hi), stride, dtype=np.uint32).view(f32)
            exact = np.tanh(x.astype(f64))
            err = np.abs(fast_tanh(x, q, p, fused).astype(f64) - exact) / exact
            i = err.argmax()
            if err[i] > worst:
                worst, at = err[i], x[i]
        print(f"{'with' if fused else 'without'} FMA: worst relative error {worst:.3e} at x = {at!r}")

if __name__ == "__main__":
    main()
