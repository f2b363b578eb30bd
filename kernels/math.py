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
