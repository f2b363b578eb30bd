"""PReLU: ``y = x if x > 0 else w[c] * x``, a learnable slope per channel (dim 1) or one shared,
and its backward, which gives the input gradient and the weight gradient in one pass.

Every operand is viewed as ``[N, C, S]`` (dim 0, the channel dim 1, all later dims merged into
S) with its own strides, so contiguous, channels_last and transposed layouts need no copy. A
program owns a ``[BLOCK_N, BLOCK_C, BLOCK_S]`` tile shape at one place of the (C, S) plane and
walks its share of N: the weight gradient of its elements is summed in registers and written
once, one partial per channel, and the launcher adds the partials up (a few thousand floats).
``FORWARD``/``BACKWARD`` are leaky_relu's math with the slope a tensor; ``WEIGHT_BACKWARD`` is
the weight gradient's term per element.
"""

import triton
import triton.language as tl

from .io import load, store


@triton.jit
def _tile(C, S, BLOCK_C: tl.constexpr, BLOCK_S: tl.constexpr, WIDE: tl.constexpr):
    """Channel and S indices of this program's tile, shaped to broadcast over [N, C, S]."""
    pid = tl.program_id(0)
    s_blocks = tl.cdiv(S, BLOCK_S)
    c = (pid // s_blocks) * BLOCK_C + tl.arange(0, BLOCK_C)
    s = (pid % s_blocks) * BLOCK_S + tl.arange(0, BLOCK_S)
    if WIDE:
        c = c.to(tl.int64)
        s = s.to(tl.int64)
    return c[None, :, None], s[None, None, :]


@triton.jit
def _rows(N, rows_per_program, BLOCK_N: tl.constexpr, WIDE: tl.constexpr):
    """First and end row of this program's share of N."""
    first = tl.program_id(1) * rows_per_program
    if WIDE:
        first = first.to(tl.int64)
    return first, tl.minimum(first + rows_per_program, N)


@triton.jit
def forward(x_ptr, w_ptr, y_ptr, N, C, S, rows_per_program, xs_n, xs_c, xs_s, ys_n, ys_c, ys_s,
            w_stride, FORWARD: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_C: tl.constexpr,
            BLOCK_S: tl.constexpr, WIDE: tl.constexpr):
    """y = FORWARD(x, w[c]) over this program's rows."""
    c, s = _tile(C, S, BLOCK_C, BLOCK_S, WIDE)
    plane = (c < C) & (s < S)
    w = load(w_ptr, c * w_stride, c < C)
    first, end = _rows(N, rows_per_program, BLOCK_N, WIDE)
    for start in range(first, end, BLOCK_N):
        n = start + tl.arange(0, BLOCK_N)[:, None, None]
        mask = (n < end) & plane
        x = load(x_ptr, n * xs_n + c * xs_c + s * xs_s, mask)
        store(y_ptr, n * ys_n + c * ys_c + s * ys_s, FORWARD(x, w, 0.0), mask)


@triton.jit
def backward(g_ptr, x_ptr, w_ptr, dx_ptr, partial_ptr, N, C, S, rows_per_program,
             gs_n, gs_c, gs_s, xs_n, xs_c, xs_s, ds_n, ds_c, ds_s, w_stride,
             BACKWARD: tl.constexpr, WEIGHT_BACKWARD: tl.constexpr, INPUT_GRAD: tl.constexpr,
             WEIGHT_GRAD: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_C: tl.constexpr,
             BLOCK_S: tl.constexpr, WIDE: tl.constexpr):
    """dx = BACKWARD(g, x, w[c]); partial[program, c] = sum of WEIGHT_BACKWARD(g, x) over the
    program's elements of channel c. ``INPUT_GRAD``/``WEIGHT_GRAD`` skip what is not needed."""
    c, s = _tile(C, S, BLOCK_C, BLOCK_S, WIDE)
    plane = (c < C) & (s < S)
    w = load(w_ptr, c * w_stride, c < C)
    first, end = _rows(N, rows_per_program, BLOCK_N, WIDE)
    acc = tl.zeros([BLOCK_N, BLOCK_C, BLOCK_S], dtype=w.dtype)
    for start in range(first, end, BLOCK_N):
        n = start + tl.arange(0, BLOCK_N)[:, None, None]
        mask = (n < end) & plane
        g = load(g_ptr, n * gs_n + c * gs_c + s * gs_s, mask)
        x = load(x_ptr, n * xs_n + c * xs_c + s * xs_s, mask)
        if INPUT_GRAD:
            store(dx_ptr, n * ds_n + c * ds_c + s * ds_s, BACKWARD(g, x, w, 0.0), mask)
        if WEIGHT_GRAD:
            acc += tl.where(mask, WEIGHT_BACKWARD(g, x), 0.0)
    if WEIGHT_GRAD:
        per_channel = tl.sum(tl.sum(acc, axis=2), axis=0)
        program = tl.program_id(1) * tl.num_programs(0) + tl.program_id(0)
        tl.store(partial_ptr + program.to(tl.int64) * BLOCK_C + tl.arange(0, BLOCK_C),
                 per_channel)  # channels past C hold zero: their lanes were masked


#: The kernel audit's exceptions for these kernels (see ``elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "backward": {
        "registers": "g and x in, dx out, and a per-element accumulator of the weight gradient "
                     "kept across the row loop (summed across threads once, at the end): 38-40 "
                     "registers (75% occupancy at 40). Summing each row block as it comes "
                     "would trade them for a cross-thread reduction per iteration. To be "
                     "measured on a GPU.",
    },
}


# --- the weight gradient's term (leaky_relu's math is ``kernels/activations.py``'s) ---------


@triton.jit
def prelu_weight_backward(g, x):
    """PReLU's weight gradient term per element (summed over all but the channel dim)."""
    return tl.where(x > 0.0, 0.0, x * g)
