"""Row-wise kernels (softmax, log_softmax, softmin): a reduction over one dim of any layout.

A "row" is the reduced dim at one position of the other dims. Rows are numbered in the order of
the other dims, which the launcher coalesces to at most three (``size1``, ``size2`` and the
implied outermost); each tensor brings its own strides for them (``*s0..2``) and for the reduced
dim (``*_col``), so the reduced dim may be last, first or in the middle, contiguous or strided,
with no transpose copy. A program takes a ``[ROWS, BLOCK]`` tile: several short rows at once, or
one chunk of long rows.

``ONE_PASS`` rows fit the tile: one read, one write. Longer rows take an online pass (running max
and rescaled sum, one read, x kept in L2 for the next pass) and a normalise-and-write pass (a
second read, evicted first, one write).

The launcher pads unused outer dims as size 1 innermost, which Triton specialises to a constant:
a contiguous 2-D input (the common case) then finds its rows' offsets with no integer division.

The variants' math arrives as ``tl.constexpr`` functions:

- ``OUTPUT(z, e, s)``: the result from ``z = x - max``, ``e = exp(z)`` and ``s = sum(e)`` (``s``
  has one value per row: what depends on it alone is computed once a row);
- ``GRAD_TERM(dy, y)``: what backward sums over the row (``dy * y`` or ``dy``);
- ``GRAD(dy, y, r)``: the input gradient from that sum ``r``.

``NEGATE`` serves softmin: softmax of ``-x``, and the gradient negated.
"""

import triton
import triton.language as tl

from .io import store, widen_bf16


@triton.jit
def softmax_output(z, e, s):
    return e * (1.0 / s)  # one division a row, a multiply an element


@triton.jit
def log_softmax_output(z, e, s):
    return z - tl.log(s)


@triton.jit
def softmax_grad_term(dy, y):
    return dy * y


@triton.jit
def softmax_grad(dy, y, r):
    return y * (dy - r)  # dx = y * (dy - sum(dy * y))


@triton.jit
def log_softmax_grad_term(dy, y):
    return dy


@triton.jit
def log_softmax_grad(dy, y, r):
    return dy - tl.exp(y) * r  # dx = dy - exp(y) * sum(dy)


@triton.jit
def _compute_dtype(v, OUT_DTYPE: tl.constexpr):
    """fp64 when the input or the result is fp64, else fp32."""
    v = widen_bf16(v)
    if v.dtype == tl.float64 or OUT_DTYPE == tl.float64:
        return v.to(tl.float64)
    return v.to(tl.float32)


@triton.jit
def _load(ptr, row, cols, col_stride, mask, OUT_DTYPE: tl.constexpr, NEGATE: tl.constexpr,
          EVICTION: tl.constexpr):
    """A tile of x in the compute dtype (negated for softmin), -inf where masked (the masked
    lanes are filled by the load, not selected per element)."""
    fill: tl.constexpr = float("inf") if NEGATE else float("-inf")
    x = _compute_dtype(tl.load(ptr + row + cols * col_stride, mask=mask, other=fill,
                               eviction_policy=EVICTION), OUT_DTYPE)
    if NEGATE:
        x = -x
    return x


@triton.jit
def _load_zero(ptr, row, cols, col_stride, mask, ACC_DTYPE: tl.constexpr,
               EVICTION: tl.constexpr):
    """A tile of dy or y in the accumulation dtype, 0 where masked."""
    return _compute_dtype(tl.load(ptr + row + cols * col_stride, mask=mask, other=0.0,
                                  eviction_policy=EVICTION), ACC_DTYPE)


@triton.jit
def _row_base(rows, size1, size2, stride0, stride1, stride2):
    """Offsets of the first element of each row (the other dims, coalesced to three)."""
    i2 = rows % size2
    rest = rows // size2
    return (rest // size1) * stride0 + (rest % size1) * stride1 + i2 * stride2


@triton.jit
def _tile_rows(n_rows, ROWS: tl.constexpr, WIDE: tl.constexpr):
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    rows = pid * ROWS + tl.arange(0, ROWS)
    return rows, rows < n_rows


@triton.jit
def forward(x_ptr, y_ptr, n_rows, n_cols, size1, size2, xs0, xs1, xs2, x_col, ys0, ys1, ys2,
            y_col, OUTPUT: tl.constexpr, NEGATE: tl.constexpr, ROWS: tl.constexpr,
            BLOCK: tl.constexpr, ONE_PASS: tl.constexpr, WIDE: tl.constexpr):
    rows, row_mask = _tile_rows(n_rows, ROWS, WIDE)
    x_row = _row_base(rows, size1, size2, xs0, xs1, xs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    cols = tl.arange(0, BLOCK)[None, :]
    if WIDE:
        cols = cols.to(tl.int64)
    out_dtype: tl.constexpr = y_ptr.dtype.element_ty
    if ONE_PASS:
        mask = row_mask[:, None] & (cols < n_cols)
        x = _load(x_ptr, x_row, cols, x_col, mask, out_dtype, NEGATE, "")
        z = x - tl.max(x, 1)[:, None]
        e = tl.exp(z)
        store(y_ptr, y_row + cols * y_col, OUTPUT(z, e, tl.sum(e, 1)[:, None]), mask)
    else:
        # online pass: running max m and sum s of exp(x - m), rescaled when m grows
        m = tl.full([ROWS], float("-inf"), tl.float64 if out_dtype == tl.float64 else tl.float32)
        s = tl.zeros([ROWS], m.dtype)
        for start in range(0, n_cols, BLOCK):
            mask = row_mask[:, None] & (cols + start < n_cols)
            x = _load(x_ptr, x_row, cols + start, x_col, mask, out_dtype, NEGATE, "evict_last")
            m_new = tl.maximum(m, tl.max(x, 1))
            scale = tl.where(m == m_new, 1.0, tl.exp(m - m_new))  # exact when m is unchanged
            e = tl.where(x == float("-inf"), 0.0, tl.exp(x - m_new[:, None]))
            s = s * scale + tl.sum(e, 1)
            m = m_new
        for start in range(0, n_cols, BLOCK):
            mask = row_mask[:, None] & (cols + start < n_cols)
            z = _load(x_ptr, x_row, cols + start, x_col, mask, out_dtype, NEGATE,
                      "evict_first") - m[:, None]
            store(y_ptr, y_row + (cols + start) * y_col, OUTPUT(z, tl.exp(z), s[:, None]), mask)


@triton.jit
def backward(dy_ptr, y_ptr, dx_ptr, n_rows, n_cols, size1, size2, gs0, gs1, gs2, g_col, ys0,
             ys1, ys2, y_col, ds0, ds1, ds2, d_col, GRAD_TERM: tl.constexpr, GRAD: tl.constexpr,
             NEGATE: tl.constexpr, ROWS: tl.constexpr, BLOCK: tl.constexpr,
             ONE_PASS: tl.constexpr, WIDE: tl.constexpr):
    rows, row_mask = _tile_rows(n_rows, ROWS, WIDE)
    g_row = _row_base(rows, size1, size2, gs0, gs1, gs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    d_row = _row_base(rows, size1, size2, ds0, ds1, ds2)[:, None]
    cols = tl.arange(0, BLOCK)[None, :]
    if WIDE:
        cols = cols.to(tl.int64)
    acc_dtype: tl.constexpr = tl.float64 if (y_ptr.dtype.element_ty == tl.float64 or
                                             dx_ptr.dtype.element_ty == tl.float64) else tl.float32
    if ONE_PASS:
        mask = row_mask[:, None] & (cols < n_cols)
        dy = _load_zero(dy_ptr, g_row, cols, g_col, mask, acc_dtype, "")
        y = _load_zero(y_ptr, y_row, cols, y_col, mask, acc_dtype, "")
        dx = GRAD(dy, y, tl.sum(GRAD_TERM(dy, y), 1)[:, None])  # masked lanes: dy = y = 0
        if NEGATE:
            dx = -dx
        store(dx_ptr, d_row + cols * d_col, dx, mask)
    else:
        r = tl.zeros([ROWS], acc_dtype)
        for start in range(0, n_cols, BLOCK):
            mask = row_mask[:, None] & (cols + start < n_cols)
            dy = _load_zero(dy_ptr, g_row, cols + start, g_col, mask, acc_dtype, "evict_last")
            y = _load_zero(y_ptr, y_row, cols + start, y_col, mask, acc_dtype, "evict_last")
            r += tl.sum(GRAD_TERM(dy, y), 1)
        for start in range(0, n_cols, BLOCK):
            mask = row_mask[:, None] & (cols + start < n_cols)
            dy = _load_zero(dy_ptr, g_row, cols + start, g_col, mask, acc_dtype, "evict_first")
            y = _load_zero(y_ptr, y_row, cols + start, y_col, mask, acc_dtype, "evict_first")
            dx = GRAD(dy, y, r[:, None])
            if NEGATE:
                dx = -dx
            store(dx_ptr, d_row + (cols + start) * d_col, dx, mask)

#: Where the kernel audit must not hold these kernels to its gate, and why (see
#: ``tritonact.kernels.elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "backward 16384": {
        "registers": "rows of 8193 to 16384 in one pass take 16 elements a thread (1024 threads, "
                     "the most a program has) of two operands, dy and y, held across the row's "
                     "reduction: 43-48 registers, 50% occupancy (32 warps). The two-pass kernel "
                     "would read dy and y twice (10 B an element in 16-bit instead of 6)."},
}
