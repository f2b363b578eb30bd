"""Gated kernels: ``out = ACT(gate) * UP(up)`` (SwiGLU, GeGLU, ReGLU, GLU, gpt-oss's clamped
SwiGLU, ...) and their backward.

Operands are ``[rows, cols]`` tiles with a row stride each and contiguous columns, which covers
the halves of a fused gate-up projection (``x.chunk(2, dim=-1)``: two views of one tensor) and
separate gate and up tensors alike. Gate and up (and their gradients) may also be the
interleaved halves ``x[..., ::2]``, ``x[..., 1::2]`` of one tensor (gpt-oss's layout): read
(written) as one contiguous run of ``2 * BLOCK`` elements, split (joined) in registers. A 1-D
grid walks ``cols`` in blocks of ``BLOCK`` within each row. ``ACT`` and ``ACT_BACKWARD`` are the
gate activation's forward and input-based backward (``tritonact.kernels.activations``), ``UP``
and ``UP_BACKWARD`` the transform of the up operand and its backward (None: up as it is), all
with the op's scalar parameters.
"""

import triton
import triton.language as tl

from .io import load, param, store
from .math import sigmoid_gated, sigmoid_gated_backward


@triton.jit
def _tile(n_cols, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """(row, first column, column offsets, mask) of this program's block."""
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    col_blocks = tl.cdiv(n_cols, BLOCK)
    row = pid // col_blocks
    start = (pid % col_blocks) * BLOCK
    cols = start + tl.arange(0, BLOCK)
    return row, start, cols, cols < n_cols


@triton.jit
def _load_pair(first_ptr, second_ptr, row_offset, start, n_cols, FIRST_EVEN: tl.constexpr,
               BLOCK: tl.constexpr):
    """(first, second): the columns ``start + [0, BLOCK)`` of the interleaved halves of one
    tensor (``x[..., ::2]``, ``x[..., 1::2]``, either way round), read as one contiguous run of
    ``2 * BLOCK`` elements and split in registers."""
    if FIRST_EVEN:
        even_ptr = first_ptr
    else:
        even_ptr = second_ptr
    offsets = start * 2 + tl.arange(0, 2 * BLOCK)
    pairs = load(even_ptr + row_offset, offsets, offsets < n_cols * 2)
    even, odd = tl.split(tl.reshape(pairs, (BLOCK, 2)))
    if FIRST_EVEN:
        first, second = even, odd
    else:
        first, second = odd, even
    return first, second


@triton.jit
def _load_gate_up(gate_ptr, up_ptr, gate_row, up_row, row, start, cols, mask, n_cols,
                  PAIRED: tl.constexpr, GATE_EVEN: tl.constexpr, BLOCK: tl.constexpr):
    """(gate, up) of this program's tile: the interleaved halves read as pairs (``PAIRED``), or
    the two row-strided operands."""
    if PAIRED:
        return _load_pair(gate_ptr, up_ptr, row * gate_row, start, n_cols, GATE_EVEN, BLOCK)
    return load(gate_ptr + row * gate_row, cols, mask), load(up_ptr + row * up_row, cols, mask)


@triton.jit
def _store_pair(first_ptr, second_ptr, row_offset, start, n_cols, first, second,
                FIRST_EVEN: tl.constexpr, BLOCK: tl.constexpr):
    """Write ``first`` and ``second`` into the columns ``start + [0, BLOCK)`` of interleaved
    halves of one tensor, joined in registers into one contiguous run."""
    if FIRST_EVEN:
        even_ptr, pairs = first_ptr, tl.join(first, second)
    else:
        even_ptr, pairs = second_ptr, tl.join(second, first)
    offsets = start * 2 + tl.arange(0, 2 * BLOCK)
    store(even_ptr + row_offset, offsets, tl.reshape(pairs, (2 * BLOCK,)), offsets < n_cols * 2)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def forward(gate_ptr, up_ptr, out_ptr, n_cols, gate_row, up_row, out_row,
            a, a_bits: tl.int64, b, b_bits: tl.int64,
            ACT: tl.constexpr, UP: tl.constexpr, PAIRED: tl.constexpr, GATE_EVEN: tl.constexpr,
            BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """out = ACT(gate) * UP(up) (UP None: up as it is): one read of each input, one write.
    PAIRED: gate and up are interleaved halves of one tensor (GATE_EVEN: gate the even ones)."""
    row, start, cols, mask = _tile(n_cols, BLOCK, WIDE)
    gate, up = _load_gate_up(gate_ptr, up_ptr, gate_row, up_row, row, start, cols, mask, n_cols,
                             PAIRED, GATE_EVEN, BLOCK)
    pa = param(a, a_bits, gate.dtype)
    pb = param(b, b_bits, gate.dtype)
    if UP is not None:
        up = UP(up, pa, pb)
    store(out_ptr + row * out_row, cols, ACT(gate, pa, pb) * up, mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def backward(dy_ptr, gate_ptr, up_ptr, dgate_ptr, dup_ptr, n_cols, dy_row, gate_row, up_row,
             dgate_row, dup_row, a, a_bits: tl.int64, b, b_bits: tl.int64,
             ACT: tl.constexpr, ACT_BACKWARD: tl.constexpr, UP: tl.constexpr,
             UP_BACKWARD: tl.constexpr, UP_LAST: tl.constexpr, PAIRED: tl.constexpr,
             GATE_EVEN: tl.constexpr, GRAD_PAIRED: tl.constexpr, DGATE_EVEN: tl.constexpr,
             BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """dgate = ACT'(gate) * UP(up) * dy and dup = UP'(up) * ACT(gate) * dy (UP and UP_BACKWARD
    None: up as it is), in one launch; UP_LAST: the order of the gate's product (see
    ``GateMath.up_last``). PAIRED, GRAD_PAIRED: gate and up, dgate and dup are
    interleaved halves of one tensor (GATE_EVEN, DGATE_EVEN: the gate's are the even ones)."""
    row, start, cols, mask = _tile(n_cols, BLOCK, WIDE)
    dy = load(dy_ptr + row * dy_row, cols, mask)
    gate, up = _load_gate_up(gate_ptr, up_ptr, gate_row, up_row, row, start, cols, mask, n_cols,
                             PAIRED, GATE_EVEN, BLOCK)
    pa = param(a, a_bits, gate.dtype)
    pb = param(b, b_bits, gate.dtype)
    transformed = up
    if UP is not None:
        transformed = UP(up, pa, pb)
    if UP_LAST:  # torch's fused glu_backward: act'(gate) * dy, then the up operand
        dgate = ACT_BACKWARD(dy, gate, pa, pb) * transformed
    else:  # autograd of the composite act(gate) * up: dy * up through act's backward
        dgate = ACT_BACKWARD(dy * transformed, gate, pa, pb)
    dup = dy * ACT(gate, pa, pb)
    if UP_BACKWARD is not None:
        dup = UP_BACKWARD(dup, up, pa, pb)
    if GRAD_PAIRED:
        _store_pair(dgate_ptr, dup_ptr, row * dgate_row, start, n_cols, dgate, dup,
                    DGATE_EVEN, BLOCK)
    else:
        store(dgate_ptr + row * dgate_row, cols, dgate, mask)
        store(dup_ptr + row * dup_row, cols, dup, mask)


#: The kernel audit's exceptions for these kernels (see ``elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "backward": {
        "registers": "five operands per element (dy, gate, up in; dgate, dup out) at the 8 "
                     "elements per thread that 16-byte accesses of 16-bit types need: 29-40 "
                     "registers (at 40, 75% occupancy); fewer elements per thread would halve "
                     "the vector width instead. To be measured on a GPU (issue: performance).",
    },
    "forward gelu:none": {"issue_rate": "erf is libdevice's polynomial (tl.erf): 40.3-41.2 "
                                        "instructions an output in 16-bit, 0.96-0.99 of the "
                                        "H200's ceiling (goal 0.8)"},
    "backward gelu:none": {"issue_rate": "erf, exp and two products: 57.5-61.4 instructions an "
                                         "output, 0.83-0.88 of the H200's ceiling (goal 0.8)"},
}


# --- gpt-oss's clamped SwiGLU: a gate activation and an up transform of its own -----------
# A gated op computes ``ACT(gate, a, b) * UP(up, a, b)`` (most have no ``UP``: up as it is);
# its backward takes ``ACT_BACKWARD`` and ``UP_BACKWARD`` from the inputs.


@triton.jit
def clamped_sigmoid_gated_forward(x, alpha, limit):
    """gpt-oss's gate: c * sigmoid(alpha c), c = min(x, limit) (NaN kept, as torch.clamp)."""
    return sigmoid_gated(tl.where(x > limit, limit, x), alpha)


@triton.jit
def clamped_sigmoid_gated_backward(g, x, alpha, limit):
    """The composite's gradient: clamp passes it where x <= limit (inclusive; 0 at NaN). Taken
    at the clamped value, which is x wherever it passes, so that a kernel computing the forward
    too shares its sigmoid."""
    clamped = tl.where(x > limit, limit, x)
    return tl.where(x <= limit, sigmoid_gated_backward(g, clamped, alpha), 0.0)


@triton.jit
def clamped_up_plus_one(x, alpha, limit):
    """gpt-oss's up: clamp(x, -limit, limit) + 1 (NaN kept)."""
    return tl.where(x < -limit, -limit, tl.where(x > limit, limit, x)) + 1.0


@triton.jit
def clamped_up_plus_one_backward(g, x, alpha, limit):
    """clamp's gradient: passed where -limit <= x <= limit (both bounds inclusive), else 0."""
    return tl.where((x >= -limit) & (x <= limit), g, 0.0)
