"""Activations with one or two learnable weights, each one per channel (dim 1) or one for all
(star_relu's scale and bias, xIELU's alpha_p and alpha_n, Snake's alpha, SnakeBeta's alpha and
beta), and their backward, which gives the input gradient and every weight's gradient in one
pass.

The launch shape is PReLU's (``kernels/prelu.py``, whose tile helpers these kernels share):
every operand is viewed as ``[N, C, S]`` with its own strides, a program owns one
``[BLOCK_N, BLOCK_C, BLOCK_S]`` place of the (C, S) plane and walks its share of N, and each
weight's gradient terms are summed in registers (fp32, fp64 for fp64) and written once per
program and channel; the launcher adds those partials up in one small sum.

The op's math arrives as ``tl.constexpr`` functions: ``FORWARD(x, w1, w2, a, b)`` and
``BACKWARD(g, x, w1, w2, a, b)`` returning ``(dx, dw1, dw2)`` (each weight's gradient term per
element); ``a`` and ``b`` are the op's scalar parameters (as the elementwise kernels take them:
fp32 and the fp64 bit pattern). ``TWO`` says whether the op has a second weight (one-weight ops
read ``w1`` twice).
"""

import triton
import triton.language as tl

from .io import load, param, store
from .math import expm1, sincos
from .prelu import _rows, _tile


@triton.jit
def _weights(w1_ptr, w2_ptr, c, C, w1_stride, w2_stride, a, a_bits, b, b_bits,
             TWO: tl.constexpr):
    """The program's weights per channel (a stride of 0: one for all) and scalar parameters."""
    w1 = load(w1_ptr, c * w1_stride, c < C)
    w2 = w1
    if TWO:
        w2 = load(w2_ptr, c * w2_stride, c < C)
    return w1, w2, param(a, a_bits, w1.dtype), param(b, b_bits, w1.dtype)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def forward(x_ptr, w1_ptr, w2_ptr, y_ptr, N, C, S, rows_per_program, xs_n, xs_c, xs_s,
            ys_n, ys_c, ys_s, w1_stride, w2_stride, a, a_bits: tl.int64, b, b_bits: tl.int64,
            FORWARD: tl.constexpr, TWO: tl.constexpr, BLOCK_N: tl.constexpr,
            BLOCK_C: tl.constexpr, BLOCK_S: tl.constexpr, WIDE: tl.constexpr):
    """y = FORWARD(x, w1[c], w2[c], a, b) over this program's rows."""
    c, s = _tile(C, S, BLOCK_C, BLOCK_S, WIDE)
    plane = (c < C) & (s < S)
    w1, w2, pa, pb = _weights(w1_ptr, w2_ptr, c, C, w1_stride, w2_stride, a, a_bits, b, b_bits,
                              TWO)
    first, end = _rows(N, rows_per_program, BLOCK_N, WIDE)
    for start in range(first, end, BLOCK_N):
        n = start + tl.arange(0, BLOCK_N)[:, None, None]
        mask = (n < end) & plane
        x = load(x_ptr, n * xs_n + c * xs_c + s * xs_s, mask)
        store(y_ptr, n * ys_n + c * ys_c + s * ys_s, FORWARD(x, w1, w2, pa, pb), mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def backward(g_ptr, x_ptr, w1_ptr, w2_ptr, dx_ptr, partial_ptr, N, C, S, rows_per_program,
             gs_n, gs_c, gs_s, xs_n, xs_c, xs_s, ds_n, ds_c, ds_s, w1_stride, w2_stride,
             a, a_bits: tl.int64, b, b_bits: tl.int64, BACKWARD: tl.constexpr,
             TWO: tl.constexpr, INPUT_GRAD: tl.constexpr, GRAD1: tl.constexpr,
             GRAD2: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_C: tl.constexpr,
             BLOCK_S: tl.constexpr, WIDE: tl.constexpr):
    """dx, dw1, dw2 = BACKWARD(g, x, w1[c], w2[c], a, b); ``partial[k, program, c]`` = the sum
    of weight k's terms over the program's elements of channel c. ``INPUT_GRAD``, ``GRAD1`` and
    ``GRAD2`` skip what is not needed."""
    c, s = _tile(C, S, BLOCK_C, BLOCK_S, WIDE)
    plane = (c < C) & (s < S)
    w1, w2, pa, pb = _weights(w1_ptr, w2_ptr, c, C, w1_stride, w2_stride, a, a_bits, b, b_bits,
                              TWO)
    first, end = _rows(N, rows_per_program, BLOCK_N, WIDE)
    acc1 = tl.zeros([BLOCK_N, BLOCK_C, BLOCK_S], dtype=w1.dtype)
    acc2 = tl.zeros([BLOCK_N, BLOCK_C, BLOCK_S], dtype=w1.dtype)
    for start in range(first, end, BLOCK_N):
        n = start + tl.arange(0, BLOCK_N)[:, None, None]
        mask = (n < end) & plane
        g = load(g_ptr, n * gs_n + c * gs_c + s * gs_s, mask)
        x = load(x_ptr, n * xs_n + c * xs_c + s * xs_s, mask)
        dx, dw1, dw2 = BACKWARD(g, x, w1, w2, pa, pb)
        if INPUT_GRAD:
            store(dx_ptr, n * ds_n + c * ds_c + s * ds_s, dx, mask)
        if GRAD1:
            acc1 += tl.where(mask, dw1, 0.0)
        if GRAD2:
            acc2 += tl.where(mask, dw2, 0.0)
    program = (tl.program_id(1) * tl.num_programs(0) + tl.program_id(0)).to(tl.int64)
    channel = tl.arange(0, BLOCK_C)  # channels past C hold zero: their lanes were masked
    if GRAD1:
        tl.store(partial_ptr + program * BLOCK_C + channel,
                 tl.sum(tl.sum(acc1, axis=2), axis=0))
    if GRAD2:
        programs = tl.num_programs(0) * tl.num_programs(1)
        tl.store(partial_ptr + (programs + program) * BLOCK_C + channel,
                 tl.sum(tl.sum(acc2, axis=2), axis=0))


_ACCUMULATORS = ("g and x in, dx out, and a per-element accumulator per weight kept across "
                 "the row loop (summed across threads once, at the end, as PReLU's)")
_SINCOS = ("sin and cos by a Cody-Waite reduction and polynomials of degree 7 and 8 "
           "(kernels/math.py sincos): ~30 instructions an element forward, ~50 backward, "
           "against 4-6 bytes an element of 16-bit I/O: 1.17-1.26 of the H200's issue "
           "ceiling, 0.8-0.9 of the H100's")
_XIELU = ("expm1 built from exp and log (kernels/math.py: exact near 0, where x - expm1(x) "
          "cancels) on the x <= 0 branch, the quadratic on the other: ~66 instructions an "
          "element forward, ~93 backward; 0.92-2.12 of the H200's issue ceiling")

#: The kernel audit's exceptions for these kernels (see ``elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "forward xielu": {"issue_rate": _XIELU,
                      "registers": "expm1's exp, log and division beside the quadratic: 35-36 "
                                   "registers in fp16/bf16 (75% occupancy)"},
    "backward xielu": {"issue_rate": _XIELU,
                       "registers": _ACCUMULATORS + " with expm1 on the x <= 0 branch: 40-53 "
                                    "registers (56-75% occupancy). To be measured on a GPU."},
    "forward snake": {"issue_rate": _SINCOS},
    "forward snake_beta": {"issue_rate": _SINCOS},
    "backward snake": {"issue_rate": _SINCOS,
                       "registers": _ACCUMULATORS + ", sin and cos: 48-56 registers (56-62% "
                                    "occupancy). To be measured on a GPU."},
    "backward snake_beta": {"issue_rate": _SINCOS,
                            "registers": _ACCUMULATORS + " (two), sin and cos: 56-64 registers "
                                         "(50-56% occupancy). To be measured on a GPU."},
}


# --- the ops' math: forward(x, w1, w2, a, b) and
# backward(g, x, w1, w2, a, b) -> (dx, w1's term, w2's term), each weight per channel or shared


@triton.jit
def star_relu_forward(x, scale, bias, a, b):
    """scale * relu(x)^2 + bias (NaN stays NaN, as torch's relu)."""
    r = tl.where(x < 0.0, 0.0, x)
    return scale * (r * r) + bias


@triton.jit
def star_relu_backward(g, x, scale, bias, a, b):
    r = tl.where(x < 0.0, 0.0, x)
    return g * (2.0 * scale * r), g * (r * r), g


@triton.jit
def xielu_forward(x, alpha_p, alpha_n, beta, eps):
    """alpha_p x^2 + beta x if x > 0 else (expm1(min(x, eps)) - x) alpha_n + beta x."""
    negative = (expm1(tl.where(x < eps, x, eps)) - x) * alpha_n
    return tl.where(x > 0.0, alpha_p * x * x, negative) + beta * x


@triton.jit
def xielu_backward(g, x, alpha_p, alpha_n, beta, eps):
    """The composite's gradients, each branch's term taken with the gradient torch.where
    passes it (0 off the branch): 0 times an infinite or NaN term is NaN there too, as torch's
    (x = -inf or NaN: dx and alpha_p's term; x = +inf or NaN: alpha_n's)."""
    positive = x > 0.0
    g_p = tl.where(positive, g, 0.0)
    g_n = tl.where(positive, 0.0, g)
    below = x <= eps  # clamp(x, max=eps) passes the gradient at x == eps
    d_negative = (tl.where(below, tl.exp(x), 0.0) - 1.0) * alpha_n
    dx = g_p * (2.0 * alpha_p * x) + g_n * d_negative + g * beta
    return dx, g_p * x * x, g_n * (expm1(tl.where(below, x, eps)) - x)


@triton.jit
def snake_forward(x, alpha, unused, guard, b):
    """x + sin(alpha x)^2 / (alpha + guard)."""
    s, _ = sincos(alpha * x)
    return x + (1.0 / (alpha + guard)) * (s * s)


@triton.jit
def snake_backward(g, x, alpha, unused, guard, b):
    s, c = sincos(alpha * x)
    sin_2ax = 2.0 * s * c
    inv = 1.0 / (alpha + guard)
    return (g * (1.0 + sin_2ax * alpha * inv), g * (sin_2ax * x * inv - s * s * inv * inv),
            0.0 * g)


@triton.jit
def snake_beta_forward(x, alpha, beta, guard, b):
    """x + sin(alpha x)^2 / (beta + guard)."""
    s, _ = sincos(alpha * x)
    return x + (1.0 / (beta + guard)) * (s * s)


@triton.jit
def snake_beta_backward(g, x, alpha, beta, guard, b):
    s, c = sincos(alpha * x)
    sin_2ax = 2.0 * s * c
    inv = 1.0 / (beta + guard)
    return g * (1.0 + sin_2ax * alpha * inv), g * (sin_2ax * x * inv), -g * (s * s * inv * inv)
