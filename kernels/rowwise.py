"""Row-wise kernels (softmax, log_softmax, softmin): a reduction over one dim of any layout.

A "row" is the reduced dim at one position of the other dims. Rows are numbered in the order of
the other dims, which the launcher coalesces to at most three (``size1``, ``size2`` and the
implied outermost); each tensor brings its own strides for them (``*s0..2``) and for the reduced
dim (``*_col``), so the reduced dim may be last, first or in the middle, contiguous or strided,
with no transpose copy. A program takes a ``[ROWS, BLOCK]`` tile: several short rows at once, or
one chunk of long rows.

``ONE_PASS`` rows fit the tile: one read, one write. Longer rows take an online pass (running max
and rescaled sum, one read, x kept in L2 for the next pass) and a normalise-and-write pass (a
second read, evicted first, one write): in one program a row (``forward``, ``backward``), or,
when a few long rows would leave SMs idle, split into chunks across programs in two launches
(``forward_chunk_stats`` then ``forward_from_stats``; ``backward_chunk_sums`` then
``backward_from_sums``), the same reads and writes plus a few bytes a chunk of partial results.

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
def _combine(part_max, part_sum):
    """A row's ``(m, s)`` from partial ``(m_p, s_p)`` along axis 1 (groups of a tile, chunks of
    a row), each ``s_p`` a sum of ``exp(x - m_p)``: ``m = max(m_p)``,
    ``s = sum(s_p * exp(m_p - m))``, ``s_p`` as is where ``m_p == m`` (exact; all -inf parts
    add their 0 rather than NaN). A part holding +inf or NaN has a NaN sum, which carries
    through: the row's output is NaN, as torch's."""
    m = tl.max(part_max, 1)
    rescaled = tl.where(part_max == m[:, None], part_sum,
                        part_sum * tl.exp(part_max - m[:, None]))
    return m, tl.sum(rescaled, 1)


@triton.jit
def _online_max_sum(x_ptr, x_row, x_col, row_mask, start, stop, n_cols,
                    STAT_DTYPE: tl.constexpr, NEGATE: tl.constexpr, ROWS: tl.constexpr,
                    BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """Each row's max ``m`` and ``s = sum(exp(x - m))`` over its columns ``[start, stop)`` in
    one read (kept in L2 for the next pass). A tile is ``BLOCK / GROUP`` groups of ``GROUP``
    neighbours (16 bytes: what a thread loads at once), each with a running max and a sum
    rescaled by ``exp(m_old - m_new)`` when its max grows, all in registers: no exchange
    between threads until the groups combine once at the end (``_combine``)."""
    GROUP: tl.constexpr = 128 // x_ptr.dtype.element_ty.primitive_bitwidth
    cols = (tl.arange(0, BLOCK // GROUP)[:, None] * GROUP + tl.arange(0, GROUP)[None, :])[None]
    if WIDE:
        cols = cols.to(tl.int64)
    x_row = x_row[:, :, None]
    group_max = tl.full([ROWS, BLOCK // GROUP], float("-inf"), STAT_DTYPE)
    group_sum = tl.zeros([ROWS, BLOCK // GROUP], STAT_DTYPE)
    for begin in range(start, stop, BLOCK):
        mask = row_mask[:, None, None] & (cols + begin < n_cols)
        x = _load(x_ptr, x_row, cols + begin, x_col, mask, STAT_DTYPE, NEGATE, "evict_last")
        new_max = tl.maximum(group_max, tl.max(x, 2))
        scale = tl.where(group_max == new_max, 1.0, tl.exp(group_max - new_max))  # exact if same
        # exp(x - 0) = 0 for a group all -inf so far (exp(x - new_max) would be NaN): a select a
        # group, not an element
        shift = tl.where(new_max == float("-inf"), 0.0, new_max)
        group_sum = group_sum * scale + tl.sum(tl.exp(x - shift[:, :, None]), 2)
        group_max = new_max
    return _combine(group_max, group_sum)


@triton.jit
def _write_output(x_ptr, y_ptr, x_row, y_row, cols, x_col, y_col, row_mask, start, stop, n_cols,
                  m, s, OUTPUT: tl.constexpr, NEGATE: tl.constexpr, BLOCK: tl.constexpr):
    """``y = OUTPUT(x - m, exp(x - m), s)`` over columns ``[start, stop)`` from each row's ``m``
    and ``s``: a second read of x (evicted first), one write."""
    out_dtype: tl.constexpr = y_ptr.dtype.element_ty
    for begin in range(start, stop, BLOCK):
        mask = row_mask[:, None] & (cols + begin < n_cols)
        z = _load(x_ptr, x_row, cols + begin, x_col, mask, out_dtype, NEGATE,
                  "evict_first") - m[:, None]
        store(y_ptr, y_row + (cols + begin) * y_col, OUTPUT(z, tl.exp(z), s[:, None]), mask)


@triton.jit
def _grad_term_sum(dy_ptr, y_ptr, g_row, y_row, cols, g_col, y_col, row_mask, start, stop,
                   n_cols, ACC_DTYPE: tl.constexpr, GRAD_TERM: tl.constexpr,
                   ROWS: tl.constexpr, BLOCK: tl.constexpr):
    """Each row's ``r = sum(GRAD_TERM(dy, y))`` over its columns ``[start, stop)``: one read of
    dy and y (kept in L2 for the next pass; log_softmax's term reads dy alone)."""
    r = tl.zeros([ROWS], ACC_DTYPE)
    for begin in range(start, stop, BLOCK):
        mask = row_mask[:, None] & (cols + begin < n_cols)
        dy = _load_zero(dy_ptr, g_row, cols + begin, g_col, mask, ACC_DTYPE, "evict_last")
        y = _load_zero(y_ptr, y_row, cols + begin, y_col, mask, ACC_DTYPE, "evict_last")
        r += tl.sum(GRAD_TERM(dy, y), 1)
    return r


@triton.jit
def _write_grad(dy_ptr, y_ptr, dx_ptr, g_row, y_row, d_row, cols, g_col, y_col, d_col, row_mask,
                start, stop, n_cols, r, ACC_DTYPE: tl.constexpr, GRAD: tl.constexpr,
                NEGATE: tl.constexpr, BLOCK: tl.constexpr):
    """``dx = GRAD(dy, y, r)`` (negated for softmin) over columns ``[start, stop)`` from each
    row's sum ``r``: a second read of dy and y (evicted first), one write."""
    for begin in range(start, stop, BLOCK):
        mask = row_mask[:, None] & (cols + begin < n_cols)
        dy = _load_zero(dy_ptr, g_row, cols + begin, g_col, mask, ACC_DTYPE, "evict_first")
        y = _load_zero(y_ptr, y_row, cols + begin, y_col, mask, ACC_DTYPE, "evict_first")
        dx = GRAD(dy, y, r[:, None])
        if NEGATE:
            dx = -dx
        store(dx_ptr, d_row + (cols + begin) * d_col, dx, mask)


@triton.jit
def _columns(BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """A ``[1, BLOCK]`` tile's column indices (int64 on the ``WIDE`` path)."""
    cols = tl.arange(0, BLOCK)[None, :]
    if WIDE:
        cols = cols.to(tl.int64)
    return cols


@triton.jit
def forward(x_ptr, y_ptr, n_rows, n_cols, size1, size2, xs0, xs1, xs2, x_col, ys0, ys1, ys2,
            y_col, OUTPUT: tl.constexpr, NEGATE: tl.constexpr, ROWS: tl.constexpr,
            BLOCK: tl.constexpr, ONE_PASS: tl.constexpr, WIDE: tl.constexpr):
    rows, row_mask = _tile_rows(n_rows, ROWS, WIDE)
    x_row = _row_base(rows, size1, size2, xs0, xs1, xs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    cols = _columns(BLOCK, WIDE)
    out_dtype: tl.constexpr = y_ptr.dtype.element_ty
    if ONE_PASS:
        mask = row_mask[:, None] & (cols < n_cols)
        x = _load(x_ptr, x_row, cols, x_col, mask, out_dtype, NEGATE, "")
        z = x - tl.max(x, 1)[:, None]
        e = tl.exp(z)
        store(y_ptr, y_row + cols * y_col, OUTPUT(z, e, tl.sum(e, 1)[:, None]), mask)
    else:
        stat_dtype: tl.constexpr = tl.float64 if out_dtype == tl.float64 else tl.float32
        m, s = _online_max_sum(x_ptr, x_row, x_col, row_mask, 0, n_cols, n_cols, stat_dtype,
                               NEGATE, ROWS, BLOCK, WIDE)
        _write_output(x_ptr, y_ptr, x_row, y_row, cols, x_col, y_col, row_mask, 0, n_cols,
                      n_cols, m, s, OUTPUT, NEGATE, BLOCK)


@triton.jit
def backward(dy_ptr, y_ptr, dx_ptr, n_rows, n_cols, size1, size2, gs0, gs1, gs2, g_col, ys0,
             ys1, ys2, y_col, ds0, ds1, ds2, d_col, GRAD_TERM: tl.constexpr, GRAD: tl.constexpr,
             NEGATE: tl.constexpr, ROWS: tl.constexpr, BLOCK: tl.constexpr,
             ONE_PASS: tl.constexpr, WIDE: tl.constexpr):
    rows, row_mask = _tile_rows(n_rows, ROWS, WIDE)
    g_row = _row_base(rows, size1, size2, gs0, gs1, gs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    d_row = _row_base(rows, size1, size2, ds0, ds1, ds2)[:, None]
    cols = _columns(BLOCK, WIDE)
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
        r = _grad_term_sum(dy_ptr, y_ptr, g_row, y_row, cols, g_col, y_col, row_mask, 0, n_cols,
                           n_cols, acc_dtype, GRAD_TERM, ROWS, BLOCK)
        _write_grad(dy_ptr, y_ptr, dx_ptr, g_row, y_row, d_row, cols, g_col, y_col, d_col,
                    row_mask, 0, n_cols, n_cols, r, acc_dtype, GRAD, NEGATE, BLOCK)


# --- a few long rows, split across programs ---------------------------------------------------
#
# Grid (chunks, rows): program (c, i) takes columns [c * chunk, min((c + 1) * chunk, n_cols)) of
# row i, ``chunk`` a multiple of BLOCK. Two launches each way, each chunk's partial result in a
# small buffer between them (``stats``: a row's ``[2, n_chunks]`` of max and sum; ``sums``: its
# ``[n_chunks]`` of partial gradient sums), which the second launch combines per row.


@triton.jit
def _chunk(chunk, n_cols, WIDE: tl.constexpr):
    """This program's row (a ``[1]`` tile), chunk index and columns ``[start, stop)``."""
    c = tl.program_id(0)
    row = tl.program_id(1)
    if WIDE:
        c = c.to(tl.int64)
        row = row.to(tl.int64)
    rows = row + tl.arange(0, 1)
    start = c * chunk
    return rows, c, start, tl.minimum(start + chunk, n_cols)


@triton.jit
def _combined_stats(stats_ptr, rows, n_chunks, CHUNKS: tl.constexpr):
    """A row's ``(m, s)`` from its chunks' ``(m_c, s_c)`` (``_combine``)."""
    ids = tl.arange(0, CHUNKS)[None, :]
    present = ids < n_chunks
    base = stats_ptr + rows[:, None] * (2 * n_chunks) + ids
    return _combine(tl.load(base, mask=present, other=float("-inf")),
                    tl.load(base + n_chunks, mask=present, other=0.0))


@triton.jit
def forward_chunk_stats(x_ptr, stats_ptr, n_cols, chunk, n_chunks, size1, size2, xs0, xs1, xs2,
                        x_col, NEGATE: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """Pass 1 of a split row: the chunk's ``(m_c, s_c)`` into ``stats`` (one read of x)."""
    rows, c, start, stop = _chunk(chunk, n_cols, WIDE)
    x_row = _row_base(rows, size1, size2, xs0, xs1, xs2)[:, None]
    m, s = _online_max_sum(x_ptr, x_row, x_col, tl.full([1], 1, tl.int1), start, stop, n_cols,
                           stats_ptr.dtype.element_ty, NEGATE, 1, BLOCK, WIDE)
    base = stats_ptr + rows * (2 * n_chunks) + c
    tl.store(base, m)
    tl.store(base + n_chunks, s)


@triton.jit
def forward_from_stats(x_ptr, y_ptr, stats_ptr, n_cols, chunk, n_chunks, size1, size2, xs0, xs1,
                       xs2, x_col, ys0, ys1, ys2, y_col, OUTPUT: tl.constexpr,
                       NEGATE: tl.constexpr, BLOCK: tl.constexpr, CHUNKS: tl.constexpr,
                       WIDE: tl.constexpr):
    """Pass 2 of a split row: the row's ``(m, s)`` from its chunks' stats, then the chunk's
    output (a second read of x, one write)."""
    rows, _, start, stop = _chunk(chunk, n_cols, WIDE)
    x_row = _row_base(rows, size1, size2, xs0, xs1, xs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    m, s = _combined_stats(stats_ptr, rows, n_chunks, CHUNKS)
    _write_output(x_ptr, y_ptr, x_row, y_row, _columns(BLOCK, WIDE), x_col, y_col,
                  tl.full([1], 1, tl.int1), start, stop, n_cols, m, s, OUTPUT, NEGATE, BLOCK)


@triton.jit
def backward_chunk_sums(dy_ptr, y_ptr, sums_ptr, n_cols, chunk, n_chunks, size1, size2, gs0, gs1,
                        gs2, g_col, ys0, ys1, ys2, y_col, GRAD_TERM: tl.constexpr,
                        BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """Pass 1 of a split row's gradient: the chunk's ``sum(GRAD_TERM(dy, y))`` into ``sums``
    (one read of dy and y)."""
    rows, c, start, stop = _chunk(chunk, n_cols, WIDE)
    g_row = _row_base(rows, size1, size2, gs0, gs1, gs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    r = _grad_term_sum(dy_ptr, y_ptr, g_row, y_row, _columns(BLOCK, WIDE), g_col, y_col,
                       tl.full([1], 1, tl.int1), start, stop, n_cols,
                       sums_ptr.dtype.element_ty, GRAD_TERM, 1, BLOCK)
    tl.store(sums_ptr + rows * n_chunks + c, r)


@triton.jit
def backward_from_sums(dy_ptr, y_ptr, dx_ptr, sums_ptr, n_cols, chunk, n_chunks, size1, size2,
                       gs0, gs1, gs2, g_col, ys0, ys1, ys2, y_col, ds0, ds1, ds2, d_col,
                       GRAD: tl.constexpr, NEGATE: tl.constexpr, BLOCK: tl.constexpr,
                       CHUNKS: tl.constexpr, WIDE: tl.constexpr):
    """Pass 2 of a split row's gradient: ``r`` as the sum of its chunks' sums, then the chunk's
    ``dx`` (a second read of dy and y, one write)."""
    rows, _, start, stop = _chunk(chunk, n_cols, WIDE)
    g_row = _row_base(rows, size1, size2, gs0, gs1, gs2)[:, None]
    y_row = _row_base(rows, size1, size2, ys0, ys1, ys2)[:, None]
    d_row = _row_base(rows, size1, size2, ds0, ds1, ds2)[:, None]
    ids = tl.arange(0, CHUNKS)[None, :]
    r = tl.sum(tl.load(sums_ptr + rows[:, None] * n_chunks + ids, mask=ids < n_chunks,
                       other=0.0), 1)
    _write_grad(dy_ptr, y_ptr, dx_ptr, g_row, y_row, d_row, _columns(BLOCK, WIDE), g_col, y_col,
                d_col, tl.full([1], 1, tl.int1), start, stop, n_cols, r,
                sums_ptr.dtype.element_ty, GRAD, NEGATE, BLOCK)


#: Where the kernel audit must not hold these kernels to its gate, and why (see
#: ``tritonact.kernels.elementwise.AUDIT_EXCEPTIONS``).
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "backward 16384": {
        "registers": "rows of 8193 to 16384 in one pass take 16 elements a thread (1024 threads, "
                     "the most a program has) of two operands, dy and y, held across the row's "
                     "reduction: 43-48 registers, 50% occupancy (32 warps). The two-pass kernel "
                     "would read dy and y twice (10 B an element in 16-bit instead of 6)."},
    "forward_chunk_stats": {
        "store_width": "a split row's first pass stores only its chunk's max and sum: two "
                       "32-bit values a program (of 16 warps) after reading 32 tiles of x "
                       "(131072 elements on the (64, 2**20) audit shape), 0.03 B an element "
                       "in 16-bit; its loads are 128-bit."},
    "backward_chunk_sums": {
        "store_width": "a split row's first gradient pass stores only its chunk's sum: one "
                       "32-bit value a program after reading 32 tiles of dy and y, 0.02 B an "
                       "element in 16-bit; its loads are 128-bit."},
}
