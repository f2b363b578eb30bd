"""RReLU in training mode: ``y = x if x > 0 else r * x`` with a slope ``r ~ U(lower, upper)``
drawn per element inside the kernel (Philox, ``tl.rand``) from a seed and the element's index.

Backward draws the same slopes again from the same seed and index instead of reading them from
memory, so nothing but the saved input (or output) is kept. Both kernels walk one dense run of
``n`` elements in memory order (the launcher makes sure forward and backward see one layout, so
an element keeps its index). ``FORWARD``/``BACKWARD`` are leaky_relu's math with the slope a
tensor; ``lower``/``upper`` arrive as fp32 values and fp64 bit patterns, as in ``elementwise``.
"""

import triton
import triton.language as tl

from .io import block_indices, load, param, store


@triton.jit
def _uniform(seed, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """``BLOCK`` uniform numbers in [0, 1) for this program's indices: one Philox call gives
    four, so elements ``4k .. 4k + 3`` take the four numbers of counter ``k`` (interleaved by
    ``tl.join``; forward and backward interleave alike)."""
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    counters = pid * (BLOCK // 4) + tl.arange(0, BLOCK // 4)
    u0, u1, u2, u3 = tl.rand4x(seed, counters)
    return tl.reshape(tl.join(tl.join(u0, u1), tl.join(u2, u3)), [BLOCK])


@triton.jit
def _slopes(seed, lower, lower_bits, upper, upper_bits, dtype: tl.constexpr,
            BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """``lower + (upper - lower) * u`` with ``u`` uniform in [0, 1), in the compute dtype."""
    lo = param(lower, lower_bits, dtype)
    hi = param(upper, upper_bits, dtype)
    return lo + (hi - lo) * _uniform(seed, BLOCK, WIDE).to(dtype)


@triton.jit(do_not_specialize=["seed", "lower_bits", "upper_bits"])
def forward(x_ptr, y_ptr, n, seed, lower, lower_bits: tl.int64, upper, upper_bits: tl.int64,
            FORWARD: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """y = FORWARD(x, r) with r drawn for each element's index."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    x = load(x_ptr, idx, mask)
    r = _slopes(seed, lower, lower_bits, upper, upper_bits, x.dtype, BLOCK, WIDE)
    store(y_ptr, idx, FORWARD(x, r, 0.0), mask)


@triton.jit(do_not_specialize=["seed", "lower_bits", "upper_bits"])
def backward(g_ptr, t_ptr, dx_ptr, n, seed, lower, lower_bits: tl.int64, upper,
             upper_bits: tl.int64, BACKWARD: tl.constexpr, BLOCK: tl.constexpr,
             WIDE: tl.constexpr):
    """dx = BACKWARD(g, t, r) with the forward's slopes drawn again."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    g = load(g_ptr, idx, mask)
    t = load(t_ptr, idx, mask)
    r = _slopes(seed, lower, lower_bits, upper, upper_bits, t.dtype, BLOCK, WIDE)
    store(dx_ptr, idx, BACKWARD(g, t, r, 0.0), mask)


#: The kernel audit's exceptions for these kernels (see ``elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "forward": {"issue_rate": "a Philox random number an element (tl.rand: four rounds of "
                              "32-bit multiplies): 29.4 instructions an element in 16-bit, 1.05 "
                              "of the H200's ceiling (fp32 0.49)"},
}
