"""Gated kernels: ``out = ACT(gate) * up`` (SwiGLU, GeGLU, ReGLU, GLU) and their backward.

Operands are ``[rows, cols]`` tiles with a row stride each and contiguous columns, which covers
the halves of a fused gate-up projection (``x.chunk(2, dim=-1)``: two views of one tensor) and
separate gate and up tensors alike. A 1-D grid walks ``cols`` in blocks of ``BLOCK`` within each
row. ``ACT`` and ``ACT_BACKWARD`` are the elementwise activation's forward and input-based
backward (``tritonact.kernels.activations``), with its scalar parameters.
"""

import triton
import triton.language as tl

from .io import load, param, store


@triton.jit
def _tile(n_cols, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """(row, column offsets, mask) of this program's block."""
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    col_blocks = tl.cdiv(n_cols, BLOCK)
    row = pid // col_blocks
    cols = (pid % col_blocks) * BLOCK + tl.arange(0, BLOCK)
    return row, cols, cols < n_cols


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def forward(gate_ptr, up_ptr, out_ptr, n_cols, gate_row, up_row, out_row,
            a, a_bits: tl.int64, b, b_bits: tl.int64,
            ACT: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """out = ACT(gate) * up: one read of each input, one write."""
    row, cols, mask = _tile(n_cols, BLOCK, WIDE)
    gate = load(gate_ptr + row * gate_row, cols, mask)
    up = load(up_ptr + row * up_row, cols, mask)
    act = ACT(gate, param(a, a_bits, gate.dtype), param(b, b_bits, gate.dtype))
    store(out_ptr + row * out_row, cols, act * up, mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def backward(dy_ptr, gate_ptr, up_ptr, dgate_ptr, dup_ptr, n_cols, dy_row, gate_row, up_row,
             dgate_row, dup_row, a, a_bits: tl.int64, b, b_bits: tl.int64,
             ACT: tl.constexpr, ACT_BACKWARD: tl.constexpr, BLOCK: tl.constexpr,
             WIDE: tl.constexpr):
    """dgate = ACT'(gate) * up * dy and dup = ACT(gate) * dy, in one launch."""
    row, cols, mask = _tile(n_cols, BLOCK, WIDE)
    dy = load(dy_ptr + row * dy_row, cols, mask)
    gate = load(gate_ptr + row * gate_row, cols, mask)
    up = load(up_ptr + row * up_row, cols, mask)
    pa = param(a, a_bits, gate.dtype)
    pb = param(b, b_bits, gate.dtype)
    store(dgate_ptr + row * dgate_row, cols, ACT_BACKWARD(dy * up, gate, pa, pb), mask)
    store(dup_ptr + row * dup_row, cols, dy * ACT(gate, pa, pb), mask)


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
