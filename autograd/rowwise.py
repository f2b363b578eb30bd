"""Launchers, torch.library ops and autograd Functions for the row-wise activations (softmax,
log_softmax, softmin). Generic: the launchers take the variant's :class:`RowMath` (which its
registry entry holds); the custom ops find it by its key."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import triton

from tritonact.kernels import rowwise as kernels

from .launch import (
    INT32_LIMIT,
    PLAIN_TENSOR_TYPES,
    coalesce,
    compute_dtype,
    dtensor_rules,
    file_under_key,
    is_compiling,
    is_dense,
    launch,
    max_offset,
)

#: The most threads a program has (32 warps).
MAX_THREADS = 1024
#: Elements of a one-pass tile a thread holds, by kernel: forward, 32 bytes of x (16 in 16-bit,
#: 8 in fp32, 4 in fp64), enough that the row's two reductions and the index set-up, paid once a
#: thread, spread thin; backward, 8 (two operands held across the row's reduction), the most at
#: which both stay within the 32 registers of full occupancy. A row longer than a program's
#: threads at that count takes more a thread. The kernel audit checks registers, spills and
#: instructions an element at these counts.
FORWARD_BYTES = 32
BACKWARD_PER_THREAD = 8
#: Longest row kept in one tile (one read, one write): 1024 threads of 16. Longer rows take the
#: two-pass kernel.
ONE_PASS_LIMIT = MAX_THREADS * 16
#: A long row's tile in the two-pass kernels, at 8 elements a thread (16 warps).
TILE = 4096
TILE_PER_THREAD = 8
TILE_WARPS = TILE // (32 * TILE_PER_THREAD)
#: Long rows split across programs when there are fewer than this many a SM (``split_chunk``),
#: into chunks that make about ``SPLIT_PROGRAMS_PER_SM`` programs a SM: four of 16 warps fill
#: an SM's 2048 threads.
SPLIT_ROWS_PER_SM = 2
SPLIT_PROGRAMS_PER_SM = 2 * MAX_THREADS // (32 * TILE_WARPS)
#: The SM count the planner assumes off CUDA (Triton's interpreter): small, so that a few
#: rows just past ``ONE_PASS_LIMIT`` take the split path on the CPU; the only way the CPU path
#: differs from the GPU's. Tests set ``sm_count`` to choose either path.
INTERPRETER_SMS = 4


@dataclass(frozen=True)
class RowMath:
    """A row-wise activation's ``@triton.jit`` functions (see ``tritonact.kernels.rowwise``),
    under its key, and its double backward.

    negate: the op runs on ``-x`` (softmin is softmax of ``-x``); its gradient changes sign.
    second: ``(gg, dy, y, dim) -> (d dy, d y)``, the gradient of the backward
            ``dx(dy, y)`` for upstream ``gg``, in torch ops (a rare path).
    """

    key: str
    output: triton.JITFunction
    grad_term: triton.JITFunction
    grad: triton.JITFunction
    second: Callable[..., tuple[torch.Tensor, torch.Tensor]]
    negate: bool = False

    def __post_init__(self) -> None:
        file_under_key(_BY_KEY, self)


#: kernel key -> RowMath, for the custom ops (each RowMath files itself here when created).
_BY_KEY: dict[str, RowMath] = {}


def softmax_second(gg, dy, y, dim):
    """Double backward of ``dx = y * (dy - sum(dy * y))``."""
    ddy = y * (gg - (gg * y).sum(dim, keepdim=True))
    dyy = gg * (dy - (dy * y).sum(dim, keepdim=True)) - dy * (gg * y).sum(dim, keepdim=True)
    return ddy, dyy


def log_softmax_second(gg, dy, y, dim):
    """Double backward of ``dx = dy - exp(y) * sum(dy)``."""
    p = y.exp()
    return gg - (gg * p).sum(dim, keepdim=True), -gg * p * dy.sum(dim, keepdim=True)


def _rows_layout(shape, dim: int, tensors: list[torch.Tensor]):
    """Sizes of the other dims coalesced to three (outermost first, padded with size-1 dims
    inside, which Triton specialises to constants: no division for fewer dims) and, per
    tensor, their strides plus the reduced dim's stride. None when more than three remain."""
    other = [d for d in range(len(shape)) if d != dim]
    sizes, strides = coalesce([shape[d] for d in other],
                              [[t.stride(d) for d in other] for t in tensors])
    if len(sizes) > 3:
        return None
    pad = 3 - len(sizes)
    sizes = sizes + [1] * pad
    per_tensor = [s + [0] * pad + [t.stride(dim) if t.dim() else 0]
                  for s, t in zip(strides, tensors)]
    return sizes, per_tensor


def _tiling(n_rows: int, n_cols: int, col_stride: int,
            per_thread: int) -> tuple[int, int, bool, int]:
    """(ROWS, BLOCK, ONE_PASS, num_warps) at about ``per_thread`` elements a thread: short rows
    share a tile of at least four warps; rows laid side by side in memory (a reduced dim that is
    not innermost) take up to 64 to a tile, so that neighbouring lanes read neighbouring
    addresses."""
    one_pass = n_cols <= ONE_PASS_LIMIT
    if not one_pass:
        return 1, TILE, False, TILE_WARPS
    block = triton.next_power_of_2(n_cols)
    min_tile = 4 * 32 * per_thread
    side_by_side = col_stride != 1
    rows = max(1, min(64 if side_by_side else min_tile // block, ONE_PASS_LIMIT // block,
                      triton.next_power_of_2(n_rows)))
    warps = max(4, min(MAX_THREADS // 32, rows * block // (32 * per_thread)))
    return rows, block, True, warps


def per_thread(dtype: torch.dtype, backward: bool) -> int:
    """The one-pass tile's elements a thread for ``dtype`` operands (see ``FORWARD_BYTES``)."""
    return BACKWARD_PER_THREAD if backward else FORWARD_BYTES // dtype.itemsize


@functools.lru_cache(maxsize=16)
def _cuda_sms(index: int) -> int:
    return torch.cuda.get_device_properties(index).multi_processor_count


def sm_count(device: torch.device) -> int:
    """The SMs a launch on ``device`` fills: the GPU's own (read once per device), or
    ``INTERPRETER_SMS`` off CUDA."""
    if device.type != "cuda":
        return INTERPRETER_SMS
    return _cuda_sms(device.index if device.index is not None else torch.cuda.current_device())


def split_chunk(n_rows: int, n_cols: int, sms: int) -> int | None:
    """Columns a program takes when long rows split across programs, else None.

    Rows longer than ``ONE_PASS_LIMIT`` split when they are fewer than ``SPLIT_ROWS_PER_SM`` a
    SM, each into ``SPLIT_PROGRAMS_PER_SM * sms // n_rows`` chunks of whole tiles (at most one a
    tile): one wave that fills every SM. A (64, 2**20) input on 132 SMs: 8 chunks of 32 tiles a
    row, 512 programs resident at once, where one a row made 64 programs. None where a row
    would keep one chunk."""
    if n_cols <= ONE_PASS_LIMIT or n_rows >= SPLIT_ROWS_PER_SM * sms:
        return None
    tiles = triton.cdiv(n_cols, TILE)
    chunk_tiles = triton.cdiv(tiles, SPLIT_PROGRAMS_PER_SM * sms // n_rows)
    return chunk_tiles * TILE if chunk_tiles < tiles else None


@dataclass(frozen=True)
class Step:
    """One launch of a plan: the kernel, its grid, positional arguments (tensors, then
    integers), meta-parameters (constexprs, the math's functions, num_warps) and the columns
    of a row that one program takes (the row, or a split row's chunk)."""

    kernel: triton.JITFunction
    grid: tuple[int, ...]
    args: tuple
    meta: dict
    columns: int


def plan(m: RowMath, dim: int, tensors: list[torch.Tensor], backward: bool,
         sms: int | None = None) -> list[Step] | None:
    """The launches of the forward or ``backward`` kernels over ``tensors`` (inputs, then the
    output, non-empty) for ``m``'s math, or None when their other dims do not coalesce to three.
    ``sms``: the SMs to fill (default: ``sm_count`` of the output's device). The kernel audit
    compiles what this returns.

    One launch, a program a tile of rows, unless a few long rows split (``split_chunk``): then
    two, a program a chunk of a row. Forward: chunk stats ``(m_c, s_c)`` (x read once), then the
    row's stats combined and the output written (x read again, y written): 2 reads of x and a
    write, as the per-row two-pass kernel, plus 8 bytes a chunk (16 in fp64) written and read
    back. Backward: chunk sums of ``GRAD_TERM(dy, y)``, then dx: dy and y read twice, dx written,
    plus 4 bytes a chunk."""
    out = tensors[-1]
    shape = out.shape if out.dim() else (1,)
    n_cols = shape[dim]
    n_rows = out.numel() // n_cols
    layout = _rows_layout(shape, dim, tensors) if out.dim() else ([1, 1, 1], [[0] * 4] * len(
        tensors))
    if layout is None:
        return None
    sizes, strides = layout
    chunk = split_chunk(n_rows, n_cols, sm_count(out.device) if sms is None else sms)
    rows, block, one_pass, warps = _tiling(n_rows, n_cols, strides[0][-1],
                                           per_thread(tensors[0].dtype, backward))
    extent = max(max_offset([*sizes, n_cols], s) for s in strides)
    wide = max(extent, out.numel()) + rows * block > INT32_LIMIT
    layout_ints = [sizes[1], sizes[2], *(s for st in strides for s in st)]
    if chunk is None:
        fns = dict(GRAD_TERM=m.grad_term, GRAD=m.grad) if backward else dict(OUTPUT=m.output)
        return [Step(kernels.backward if backward else kernels.forward,
                     (triton.cdiv(n_rows, rows),), (*tensors, n_rows, n_cols, *layout_ints),
                     dict(fns, NEGATE=m.negate, ROWS=rows, BLOCK=block, ONE_PASS=one_pass,
                          WIDE=wide, num_warps=warps), n_cols)]
    n_chunks = triton.cdiv(n_cols, chunk)
    grid = (n_chunks, n_rows)
    chunking = (n_cols, chunk, n_chunks)
    first = dict(BLOCK=TILE, WIDE=wide, num_warps=TILE_WARPS)
    second = dict(first, NEGATE=m.negate, CHUNKS=triton.next_power_of_2(n_chunks))
    # partial results in the dtype the kernels compute in (fp64 where y or dx is fp64)
    partial_dtype = compute_dtype(max((t.dtype for t in tensors[-2:]), key=lambda d: d.itemsize))
    if not backward:
        x, y = tensors
        stats = torch.empty((n_rows, 2, n_chunks), dtype=partial_dtype, device=out.device)
        return [Step(kernels.forward_chunk_stats, grid, (x, stats, *chunking, *layout_ints[:6]),
                     dict(first, NEGATE=m.negate), chunk),
                Step(kernels.forward_from_stats, grid, (x, y, stats, *chunking, *layout_ints),
                     dict(second, OUTPUT=m.output), chunk)]
    dy, y, dx = tensors
    sums = torch.empty((n_rows, n_chunks), dtype=partial_dtype, device=out.device)
    return [Step(kernels.backward_chunk_sums, grid, (dy, y, sums, *chunking, *layout_ints[:10]),
                 dict(first, GRAD_TERM=m.grad_term), chunk),
            Step(kernels.backward_from_sums, grid, (dy, y, dx, sums, *chunking, *layout_ints),
                 dict(second, GRAD=m.grad), chunk)]


def _launch(m: RowMath, dim: int, tensors: list[torch.Tensor], backward: bool) -> None:
    out = tensors[-1]
    if out.numel() == 0:
        return
    steps = plan(m, dim, tensors, backward)
    if steps is None:  # more than three non-mergeable other dims: dense copies, then launch
        dense = [torch.empty_like(out, dtype=t.dtype).copy_(t) for t in tensors[:-1]]
        _launch(m, dim, [*dense, out], backward)
        return
    for step in steps:
        launch(step.kernel, step.grid, out.device, *step.args, **step.meta)


def forward(m: RowMath, x: torch.Tensor, dim: int, dtype: torch.dtype) -> torch.Tensor:
    """The activation over ``dim`` in one launch (two for a few long rows: ``plan``); the result
    has ``dtype`` and is contiguous whatever x's layout, as torch's softmax (the kernels read x
    in place, with no copy)."""
    y = torch.empty_like(x, dtype=dtype, memory_format=torch.contiguous_format)
    _launch(m, dim, [x, y], backward=False)
    return y


def backward(m: RowMath, dy: torch.Tensor, y: torch.Tensor, dim: int, dtype: torch.dtype,
             stride: Sequence[int] = ()) -> torch.Tensor:
    """The input gradient (in ``dtype``, the input's) from the saved output, in one launch (two
    for a few long rows), with ``stride``: the input's where it is dense (``grad_stride``; the
    gradient of a transposed or channels_last leaf then lands in ``.grad`` without the copy
    autograd's AccumulateGrad makes after torch's own, whose gradient is contiguous), else
    (empty) contiguous."""
    if stride:
        dx = torch.empty_strided(y.shape, stride, dtype=dtype, device=y.device)
    else:
        dx = torch.empty_like(y, dtype=dtype, memory_format=torch.contiguous_format)
    _launch(m, dim, [dy, y, dx], backward=True)
    return dx


@torch.library.custom_op("tritonact::rowwise_forward", mutates_args=())
def forward_op(x: torch.Tensor, key: str, dim: int, dtype: torch.dtype) -> torch.Tensor:
    return forward(_BY_KEY[key], x, dim, dtype)


@forward_op.register_fake
def _(x, key, dim, dtype):
    return torch.empty_like(x, dtype=dtype, memory_format=torch.contiguous_format)


@torch.library.custom_op("tritonact::rowwise_backward", mutates_args=())
def backward_op(dy: torch.Tensor, y: torch.Tensor, key: str, dim: int, dtype: torch.dtype,
                stride: list[int]) -> torch.Tensor:
    return backward(_BY_KEY[key], dy, y, dim, dtype, stride)


@backward_op.register_fake
def _(dy, y, key, dim, dtype, stride):
    if stride:
        return torch.empty_strided(y.shape, stride, dtype=dtype, device=y.device)
    return torch.empty_like(y, dtype=dtype, memory_format=torch.contiguous_format)


def _sharding_rules() -> None:
    """The DTensor rules of this module's custom ops: torch's softmax rule
    (``autograd/sharding.py``)."""
    from torch.distributed.tensor.experimental import register_sharding

    from .sharding import rowwise

    @register_sharding(torch.ops.tritonact.rowwise_forward.default)
    def _(x, key, dim, dtype):
        return rowwise(f"{key} (rowwise_forward)", [x], dim, 3)

    @register_sharding(torch.ops.tritonact.rowwise_backward.default)
    def _(dy, y, key, dim, dtype, stride):
        return rowwise(f"{key} (rowwise_backward)", [dy, y], dim, 4)


dtensor_rules.append(_sharding_rules)


def run_forward(m: RowMath, x: torch.Tensor, dim: int, dtype: torch.dtype) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile and for
    a DTensor (whose dispatch runs the op on the local shard, ``autograd/sharding.py``)."""
    if is_compiling() or type(x) not in PLAIN_TENSOR_TYPES:
        return forward_op(x, m.key, dim, dtype)
    return forward(m, x, dim, dtype)


def grad_stride(x: torch.Tensor) -> tuple[int, ...]:
    """The strides of ``x``'s gradient: ``x``'s own where it is dense (``empty_like``'s rule,
    which autograd's AccumulateGrad keeps without a copy), else () for contiguous; () for a
    DTensor, whose shards have their own shapes."""
    return tuple(x.stride()) if type(x) in PLAIN_TENSOR_TYPES and is_dense(x) else ()


def run_backward(m: RowMath, dy, y, dim, dtype, stride: Sequence[int] = ()):
    if is_compiling() or type(y) not in PLAIN_TENSOR_TYPES:
        return backward_op(dy, y, m.key, dim, dtype, list(stride))
    return backward(m, dy, y, dim, dtype, stride)


class RowwiseFunction(torch.autograd.Function):
    """``y = f(x)`` over ``dim``, saving only ``y``."""

    @staticmethod
    def forward(ctx, x, m: RowMath, dim: int, dtype: torch.dtype):
        y = run_forward(m, x, dim, dtype)
        ctx.save_for_backward(y)
        ctx.math, ctx.dim, ctx.in_dtype, ctx.stride = m, dim, x.dtype, grad_stride(x)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        if torch.is_grad_enabled():
            dx = RowwiseBackward.apply(dy, y, ctx.math, ctx.dim, ctx.in_dtype, ctx.stride)
        else:
            dx = run_backward(ctx.math, dy, y, ctx.dim, ctx.in_dtype, ctx.stride)
        return dx, None, None, None


class RowwiseBackward(torch.autograd.Function):
    """The backward as a differentiable function of ``dy`` and ``y`` (double backward: the
    math's ``second``, in torch ops)."""

    @staticmethod
    def forward(ctx, dy, y, m: RowMath, dim: int, dtype: torch.dtype, stride: tuple[int, ...]):
        ctx.save_for_backward(dy, y)
        ctx.math, ctx.dim = m, dim
        return run_backward(m, dy, y, dim, dtype, stride)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gg):
        dy, y = ctx.saved_tensors
        ddy, dyy = ctx.math.second(gg.to(y.dtype), dy, y, ctx.dim)
        sign = -1.0 if ctx.math.negate else 1.0
        return sign * ddy, sign * dyy, None, None, None, None
