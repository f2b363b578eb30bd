"""Bias + activation kernels (Megatron's fusions): ``out = ACT(x + bias)`` and, ``GATED``,
``out = ACT(a + bias_a) * (b + bias_b)`` over the two halves of the last dim, and their backward,
which also gives the bias gradient (partial sums per program, added up by the launcher).

``x`` is ``[rows, cols]`` (``[rows, 2 cols]`` gated: gate columns first, up columns ``cols``
further on) with a row stride and contiguous columns, as a matmul's output is; ``bias`` is
contiguous, ``cols`` long (``2 cols`` gated). ``ACT`` and ``ACT_BACKWARD`` are the activation's
forward and its backward from the input (``tritonact.kernels.activations``, the gated family's
gate math), called without scalar parameters.
"""

import triton
import triton.language as tl

from .gated import _tile
from .io import load, store


@triton.jit
def forward(x_ptr, bias_ptr, out_ptr, n_cols, x_row, out_row, ACT: tl.constexpr,
            GATED: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """out = ACT(x + bias), or ACT(a + bias_a) * (b + bias_b) (``GATED``): one read of x (and
    of this program's columns of the bias), one write."""
    row, _, cols, mask = _tile(n_cols, BLOCK, WIDE)
    x_row_ptr = x_ptr + row * x_row
    a = load(x_row_ptr, cols, mask) + load(bias_ptr, cols, mask)
    y = ACT(a, 0.0, 0.0)
    if GATED:
        y = y * (load(x_row_ptr + n_cols, cols, mask) + load(bias_ptr + n_cols, cols, mask))
    store(out_ptr + row * out_row, cols, y, mask)


@triton.jit
def backward(dy_ptr, x_ptr, bias_ptr, dx_ptr, partial_ptr, n_rows, n_cols, rows_per_program,
             dy_row, x_row, dx_row, ACT: tl.constexpr, ACT_BACKWARD: tl.constexpr,
             GATED: tl.constexpr, BIAS_GRAD: tl.constexpr, BLOCK_R: tl.constexpr,
             BLOCK_C: tl.constexpr, WIDE: tl.constexpr):
    """dx = ACT'(x + bias) * dy (gated: da = ACT'(a') * (dy * b'), db = dy * ACT(a'), with
    a' = a + bias_a, b' = b + bias_b, autograd's order for the composite) over this program's
    columns and share of the rows; ``BIAS_GRAD``: ``partial[program row, col]`` = the sum of dx
    over those rows (in the compute dtype, fp32 or fp64), which the launcher sums over programs.
    """
    cols = tl.program_id(0) * BLOCK_C + tl.arange(0, BLOCK_C)
    col_mask = cols < n_cols
    first = tl.program_id(1) * rows_per_program
    if WIDE:
        first = first.to(tl.int64)
    end = tl.minimum(first + rows_per_program, n_rows)
    bias_a = load(bias_ptr, cols, col_mask)[None, :]
    bias_b = bias_a
    if GATED:
        bias_b = load(bias_ptr + n_cols, cols, col_mask)[None, :]
    acc_a = tl.zeros([BLOCK_R, BLOCK_C], dtype=bias_a.dtype)
    acc_b = tl.zeros([BLOCK_R, BLOCK_C], dtype=bias_a.dtype)
    for start in range(first, end, BLOCK_R):
        rows = start + tl.arange(0, BLOCK_R)[:, None]
        mask = (rows < end) & col_mask[None, :]
        dy = load(dy_ptr + rows * dy_row, cols[None, :], mask)
        x_rows = x_ptr + rows * x_row
        dx_rows = dx_ptr + rows * dx_row
        a = load(x_rows, cols[None, :], mask) + bias_a
        if GATED:
            b = load(x_rows + n_cols, cols[None, :], mask) + bias_b
            da = ACT_BACKWARD(dy * b, a, 0.0, 0.0)
            db = dy * ACT(a, 0.0, 0.0)
            store(dx_rows + n_cols, cols[None, :], db, mask)
            if BIAS_GRAD:
                acc_b += tl.where(mask, db, 0.0)
        else:
            da = ACT_BACKWARD(dy, a, 0.0, 0.0)
        store(dx_rows, cols[None, :], da, mask)
        if BIAS_GRAD:
            acc_a += tl.where(mask, da, 0.0)
    if BIAS_GRAD:
        width = n_cols
        if GATED:
            width = 2 * n_cols
        partial_row = partial_ptr + tl.program_id(1).to(tl.int64) * width
        tl.store(partial_row + cols, tl.sum(acc_a, axis=0), mask=col_mask)
        if GATED:
            tl.store(partial_row + n_cols + cols, tl.sum(acc_b, axis=0), mask=col_mask)


#: The kernel audit's exceptions for these kernels (see ``elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "backward": {
        "registers": "dy and x in, dx out, the bias held across the row loop and, per column, "
                     "an accumulator of the bias gradient (two of each gated), at the 8 elements "
                     "per thread that 16-byte accesses of 16-bit types need: 40-48 registers "
                     "(62-75% occupancy), gated 64-80 (38-50%). Reading the bias again each "
                     "row saves 8-16 of them for an extra load a row. To be measured on a GPU.",
    },
    "forward gated:gelu:none": {"registers": "fp32: 34 registers (75% occupancy): gate, up and "
                                             "both halves of the bias, erf's polynomial"},
    "forward gated:gelu:tanh": {"registers": "fp32: 36 registers (75% occupancy): gate, up and "
                                             "both halves of the bias"},
    "forward plain:gelu:none": {"issue_rate": "erf is libdevice's polynomial (tl.erf), plus the "
                                              "bias's load and add: 43.5-44.5 instructions an "
                                              "element in 16-bit, 1.04-1.06 of the H200's "
                                              "ceiling (elementwise gelu's: 1.32)"},
    "backward plain:gelu:none": {"issue_rate": "erf and exp, the bias's add and the bias "
                                               "gradient's sum: 50.2-51.2 instructions an "
                                               "element in 16-bit, 1.16-1.19 of the H200's "
                                               "ceiling (elementwise gelu's: 1.14)"},
}
