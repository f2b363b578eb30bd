"""Launchers, torch.library ops and autograd Functions for the row-wise activations (softmax,
log_softmax, softmin). Generic: the variant's math comes from the ``ROW_MATH`` table that the
registry fills."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import triton

from tritonact.kernels import rowwise as kernels

from .launch import INT32_LIMIT, coalesce, launch, max_offset

#: Longest row kept in one tile (one read, one write); longer rows take the two-pass kernel.
ONE_PASS_LIMIT = 8192
#: Elements per tile: the block of several short rows, or the chunk of a long row.
TILE = 4096


@dataclass(frozen=True)
class RowMath:
    """A row-wise activation's ``@triton.jit`` functions (see ``tritonact.kernels.rowwise``)."""

    output: triton.JITFunction
    grad_term: triton.JITFunction
    grad: triton.JITFunction
    negate: bool = False


#: kernel key -> RowMath; filled by ``tritonact.registry``.
ROW_MATH: dict[str, RowMath] = {}


def _rows_layout(shape, dim: int, tensors: list[torch.Tensor]):
    """Sizes of the other dims coalesced to three (outermost first, padded) and, per tensor,
    their strides plus the reduced dim's stride. None when more than three remain."""
    other = [d for d in range(len(shape)) if d != dim]
    sizes, strides = coalesce([shape[d] for d in other],
                              [[t.stride(d) for d in other] for t in tensors])
    if len(sizes) > 3:
        return None
    pad = 3 - len(sizes)
    sizes = [1] * pad + sizes
    per_tensor = [[0] * pad + s + [t.stride(dim) if t.dim() else 0]
                  for s, t in zip(strides, tensors)]
    return sizes, per_tensor


def _tiling(n_rows: int, n_cols: int, col_stride: int) -> tuple[int, int, bool]:
    """(ROWS, BLOCK, ONE_PASS): short rows share a tile; rows laid side by side in memory (a
    reduced dim that is not innermost) take up to 64 to a tile, so that neighbouring lanes read
    neighbouring addresses."""
    one_pass = n_cols <= ONE_PASS_LIMIT
    block = triton.next_power_of_2(n_cols) if one_pass else TILE
    side_by_side = col_stride != 1 and one_pass
    rows = max(1, min(64 if side_by_side else TILE // block, 4 * TILE // block,
                      triton.next_power_of_2(n_rows)))
    return rows, block, one_pass


def num_warps(rows: int, block: int) -> int:
    """About 8 elements of the tile per thread (4 to 16 warps): the tile stays in registers
    between the row's reduction and its write."""
    return max(4, min(16, rows * block // 256))


def _launch(kernel, dim: int, tensors: list[torch.Tensor], **fns) -> None:
    out = tensors[-1]
    shape = out.shape if out.dim() else (1,)
    n_cols = shape[dim]
    n_rows = out.numel() // n_cols if n_cols else 0
    if out.numel() == 0:
        return
    layout = _rows_layout(shape, dim, tensors) if out.dim() else ([1, 1, 1], [[0] * 4] * len(
        tensors))
    if layout is None:  # more than three non-mergeable other dims: dense copies, then launch
        dense = [torch.empty_like(out, dtype=t.dtype).copy_(t) for t in tensors[:-1]]
        _launch(kernel, dim, [*dense, out], **fns)
        return
    sizes, strides = layout
    rows, block, one_pass = _tiling(n_rows, n_cols, strides[0][-1])
    extent = max(max_offset([*sizes, n_cols], s) for s in strides)
    wide = max(extent, out.numel()) + rows * block > INT32_LIMIT
    grid = (triton.cdiv(n_rows, rows),)
    launch(kernel, grid, out.device, *tensors, n_rows, n_cols, sizes[1], sizes[2],
           *(s for st in strides for s in st), **fns, ROWS=rows, BLOCK=block,
           ONE_PASS=one_pass, WIDE=wide, num_warps=num_warps(rows, block))


def forward(key: str, x: torch.Tensor, dim: int, dtype: torch.dtype) -> torch.Tensor:
    """The activation over ``dim`` in one launch; the result has ``dtype`` and is contiguous
    whatever x's layout, as torch's softmax (the kernel reads x in place, with no copy)."""
    y = torch.empty_like(x, dtype=dtype, memory_format=torch.contiguous_format)
    m = ROW_MATH[key]
    _launch(kernels.forward, dim, [x, y], OUTPUT=m.output, NEGATE=m.negate)
    return y


def backward(key: str, dy: torch.Tensor, y: torch.Tensor, dim: int,
             dtype: torch.dtype) -> torch.Tensor:
    """The input gradient (in ``dtype``, the input's) from the saved output, in one launch;
    contiguous, as torch's."""
    dx = torch.empty_like(y, dtype=dtype, memory_format=torch.contiguous_format)
    m = ROW_MATH[key]
    _launch(kernels.backward, dim, [dy, y, dx], GRAD_TERM=m.grad_term, GRAD=m.grad,
            NEGATE=m.negate)
    return dx


@torch.library.custom_op("tritonact::rowwise_forward", mutates_args=())
def forward_op(x: torch.Tensor, key: str, dim: int, dtype: torch.dtype) -> torch.Tensor:
    return forward(key, x, dim, dtype)


@forward_op.register_fake
def _(x, key, dim, dtype):
    return torch.empty_like(x, dtype=dtype, memory_format=torch.contiguous_format)


@torch.library.custom_op("tritonact::rowwise_backward", mutates_args=())
def backward_op(dy: torch.Tensor, y: torch.Tensor, key: str, dim: int,
                dtype: torch.dtype) -> torch.Tensor:
    return backward(key, dy, y, dim, dtype)


@backward_op.register_fake
def _(dy, y, key, dim, dtype):
    return torch.empty_like(y, dtype=dtype, memory_format=torch.contiguous_format)


_is_compiling = torch.compiler.is_compiling


def run_forward(key: str, x: torch.Tensor, dim: int, dtype: torch.dtype) -> torch.Tensor:
    if _is_compiling():
        return forward_op(x, key, dim, dtype)
    return forward(key, x, dim, dtype)


def run_backward(key, dy, y, dim, dtype):
    if _is_compiling():
        return backward_op(dy, y, key, dim, dtype)
    return backward(key, dy, y, dim, dtype)


class RowwiseFunction(torch.autograd.Function):
    """``y = f(x)`` over ``dim``, saving only ``y``."""

    @staticmethod
    def forward(ctx, x, key: str, dim: int, dtype: torch.dtype):
        y = run_forward(key, x, dim, dtype)
        ctx.save_for_backward(y)
        ctx.key, ctx.dim, ctx.in_dtype = key, dim, x.dtype
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        if torch.is_grad_enabled():
            dx = RowwiseBackward.apply(dy, y, ctx.key, ctx.dim, ctx.in_dtype)
        else:
            dx = run_backward(ctx.key, dy, y, ctx.dim, ctx.in_dtype)
        return dx, None, None, None


class RowwiseBackward(torch.autograd.Function):
    """The backward as a differentiable function of ``dy`` and ``y`` (double backward, computed
    with torch ops: a rare path)."""

    @staticmethod
    def forward(ctx, dy, y, key: str, dim: int, dtype: torch.dtype):
        ctx.save_for_backward(dy, y)
        ctx.key, ctx.dim = key, dim
        return run_backward(key, dy, y, dim, dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gg):
        dy, y = ctx.saved_tensors
        gg = gg.to(y.dtype)
        sign = -1.0 if ROW_MATH[ctx.key].negate else 1.0
        if ROW_MATH[ctx.key].output is kernels.log_softmax_output:
            # dx = dy - exp(y) * sum(dy)
            p = y.exp()
            ddy = gg - (gg * p).sum(ctx.dim, keepdim=True)
            dyy = -gg * p * dy.sum(ctx.dim, keepdim=True)
        else:
            # dx = y * (dy - sum(dy * y))
            ddy = y * (gg - (gg * y).sum(ctx.dim, keepdim=True))
            dyy = gg * (dy - (dy * y).sum(ctx.dim, keepdim=True)) - dy * (gg * y).sum(
                ctx.dim, keepdim=True)
        return sign * ddy, sign * dyy, None, None, None
