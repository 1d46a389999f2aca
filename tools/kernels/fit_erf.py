"""Fits the two pieces of the encoder's f32 erf (crates/qawl-encoder/src/fast/kernels.rs) and
reports the error of their f32 evaluation (fused multiply-adds emulated in f64).

    erf(x) = x + x·R(x²)          for 0 ≤ x < 1,  R(u) = erf(√u)/√u − 1, degree 6
    erf(x) = 1 − exp(Q(x − 1))    for 1 ≤ x ≤ 4,  Q ≈ log erfc, degree 6, weighted by erfc

Least squares on Chebyshev nodes, reweighted (Lawson) towards minimax. Offline tooling; needs
numpy and mpmath. Usage: python3 tools/kernels/fit_erf.py
"""
import math

import mpmath
import numpy as np

SPLIT, END, SMALL_DEGREE, TAIL_DEGREE = 1.0, 4.0, 6, 6
f32 = np.float32


def nodes(a, b, n=4000):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos(np.pi * (k + 0.5) / n)


def lawson(basis, target, weight, iterations=30):
    """Coefficients (highest first) minimising max |weight·(basis·c − target)|."""
    w = np.ones_like(target)
    for _ in range(iterations):
        c, *_ = np.linalg.lstsq(basis * (w * weight)[:, None], target * w * weight, rcond=None)
        error = np.abs(basis @ c - target) * weight
        w = np.maximum(w * error / error.max(), 1e-30)
    return c


def fma(a, b, c):
    return (np.float64(a) * np.float64(b) + np.float64(c)).astype(np.float32)


def horner(coefficients, t):
    acc = np.full_like(t, f32(coefficients[0]))
    for c in coefficients[1:]:
        acc = fma(acc, t, f32(c))
    return acc


def exp32(x):
    n = (fma(x, f32(math.log2(math.e)), f32(12582912.0)) - f32(12582912.0)).astype(np.float32)
    r = fma(n, f32(-0.6933594), x)
    r = fma(n, f32(2.1219444e-4), r)
    p = horner([1.9875691e-4, 1.3981999e-3, 8.333452e-3, 4.1665796e-2, 0.16666665, 0.5], r)
    y = fma((p * r).astype(np.float32), r, r) + f32(1)
    return (y * np.ldexp(np.float32(1), n.astype(int))).astype(np.float32)


def main():
    mpmath.mp.dps = 30
    x = nodes(0, SPLIT)
    ratio = np.array([float(mpmath.erf(v) / v) for v in x])
    small = lawson(np.vander(x * x, SMALL_DEGREE + 1), ratio - 1, 1 / ratio)
    x = nodes(SPLIT, END)
    erfc = np.array([float(mpmath.erfc(v)) for v in x])
    tail = lawson(np.vander(x - SPLIT, TAIL_DEGREE + 1), np.log(erfc), erfc)
    print("SMALL:", [float(f32(c)) for c in small])
    print("TAIL: ", [float(f32(c)) for c in tail])

    xs = (np.arange(0, 420_000) * 1e-5).astype(np.float32)
    m = np.minimum(xs, f32(END))
    got_small = fma(horner(small, (m * m).astype(np.float32)), m, m)
    got_tail = (f32(1) - exp32(horner(tail, (m - f32(SPLIT)).astype(np.float32)))).astype(np.float32)
    got = np.where(m < SPLIT, got_small, got_tail).astype(np.float64)
    error = np.abs(got - np.array([math.erf(float(v)) for v in xs]))
    print(f"largest error of the f32 evaluation on [0, 4.2]: {error.max():.2e} at x = {xs[error.argmax()]}")


if __name__ == "__main__":
    main()
