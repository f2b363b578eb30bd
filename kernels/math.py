"""Numerically careful building blocks that run compiled and in Triton's interpreter.

The interpreter has no libdevice, so ``tanh``, ``expm1`` and ``log1p`` are built here from
``exp`` and ``log`` with Kahan's correction, which keeps them accurate to a few ulp in fp32 and
fp64 alike (a plain ``log(1 + x)`` loses every digit for tiny ``x``).
"""

import triton
import triton.language as tl


@triton.jit
def expm1(x):
    """exp(x) - 1 without cancellation near 0: (u - 1) * x / log(u) with u = exp(x)."""
    u = tl.exp(x)
    um1 = u - 1.0
    r = tl.where(u == float("inf"), u, um1 * x / tl.log(u))
    r = tl.where(um1 == -1.0, -1.0, r)
    return tl.where(u == 1.0, x, r)


@triton.jit
def log1p(x):
    """log(1 + x) without cancellation near 0: log(u) * x / (u - 1) with u = 1 + x."""
    u = 1.0 + x
    r = tl.where(u == float("inf"), u, tl.log(u) * (x / (u - 1.0)))
    return tl.where(u == 1.0, x, r)


@triton.jit
def sigmoid(x):
    """1 / (1 + exp(-x)); exp overflows to inf for x << 0 and the result is then 0."""
    return 1.0 / (1.0 + tl.exp(-x))


@triton.jit
def sigmoid_gated(x, alpha):
    """x * sigmoid(alpha x): quick_gelu at alpha = 1.702 (silu at alpha = 1)."""
    return x * sigmoid(x * alpha)


@triton.jit
def sigmoid_gated_backward(g, x, alpha):
    """d/dx x sigmoid(alpha x) = s (1 + alpha x (1 - s)), s = sigmoid(alpha x)."""
    s = sigmoid(x * alpha)
    return g * s * (1.0 + x * alpha * (1.0 - s))


@triton.jit
def tanh(x):
    """tanh with the sign of x (tanh(-0.0) = -0.0).

    fp32: (1 - e) / (1 + e) with e = exp(-2|x|) for |x| >= 0.4, where 1 - e cannot cancel, and
    the Taylor series to x^15 below (its truncation error there is < 2e-9 relative): one exp,
    one division, eight FMAs, within ~1 ulp. fp64: -expm1(-2|x|) / (2 + expm1(-2|x|)).
    """
    ax = tl.abs(x)
    if x.dtype == tl.float64:
        e = expm1(-2.0 * ax)
        t = -e / (2.0 + e)
    else:
        e = tl.exp(-2.0 * ax)
        x2 = ax * ax
        p = -929569.0 / 638512875.0
        p = p * x2 + 21844.0 / 6081075.0
        p = p * x2 - 1382.0 / 155925.0
        p = p * x2 + 62.0 / 2835.0
        p = p * x2 - 17.0 / 315.0
        p = p * x2 + 2.0 / 15.0
        p = p * x2 - 1.0 / 3.0
        t = tl.where(ax < 0.4, ax + ax * x2 * p, (1.0 - e) / (1.0 + e))
    return tl.where(x == 0.0, x, tl.where(x < 0.0, -t, t))


@triton.jit
def log1p_exp_neg_abs(x):
    """log1p(exp(-|x|)): Kahan's log1p on an argument in [0, 1], where 1 + e is never inf."""
    e = tl.exp(-tl.abs(x))
    u = 1.0 + e
    return tl.where(u == 1.0, e, tl.log(u) * (e / (u - 1.0)))


@triton.jit
def softplus(x):
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), finite wherever the result is."""
    return tl.maximum(x, 0.0) + log1p_exp_neg_abs(x)


@triton.jit
def sincos(t):
    """(sin t, cos t). fp64: tl.sin and tl.cos. fp32: t = r + k pi/2 (Cody-Waite: pi/2 in three
    parts, the first two short enough that k times them is exact for |k| < 2^14), then Cephes'
    minimax polynomials on |r| <= pi/4 (a few ulp, as tl.sin's fast path; no Payne-Hanek slow
    path, whose fp64 arithmetic and stack frame the compiled tl.sin carries) and the quadrant
    k mod 4. Accurate for |t| < 1e5 (k times the first part exact); beyond, the reduction loses
    digits and, past ~1e7, the result is bounded but arbitrary (|r| > 1 is taken as 0). inf and
    NaN give NaN."""
    if t.dtype == tl.float64:
        return tl.sin(t), tl.cos(t)
    k = tl.floor(t * 0.6366197723675814 + 0.5)
    r = t - k * 1.5703125
    r = r - k * 4.837512969970703125e-4
    r = r - k * 7.54978995489188216e-8
    r = tl.where(tl.abs(r) > 1.0, 0.0, r)  # k inexact: bounded, not inf (NaN stays NaN)
    z = r * r
    s = r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1)
    c = 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z
                                 + 4.166664568298827e-2)
    q = k - 4.0 * tl.floor(k * 0.25)  # the quadrant, 0 to 3
    sin = tl.where(q == 0.0, s, tl.where(q == 1.0, c, tl.where(q == 2.0, -s, -c)))
    cos = tl.where(q == 0.0, c, tl.where(q == 1.0, -s, tl.where(q == 2.0, -c, s)))
    return sin, cos
