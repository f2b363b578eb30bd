"""Launchers, torch.library ops and the autograd Function of PReLU: ``y = x if x > 0 else
w[c] * x`` with one slope per channel (dim 1) or one for all.

Backward is one pass over the data that writes the input gradient and, per program, a partial
weight gradient per channel; one torch ``sum`` over those partials (a few thousand floats) gives
the weight gradient. The launchers take the op's :class:`PreluMath` (which its registry entry
holds); the custom ops find it by its key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import triton

from tritonact.kernels import prelu as kernels

from .launch import (
    INT32_LIMIT,
    INTERPRET,
    PLAIN_TENSOR_TYPES,
    block_size,
    coalesce,
    dtensor_rules,
    file_under_key,
    is_compiling,
    is_dense,
    launch,
)


@dataclass(frozen=True)
class PreluMath:
    """forward(x, w, b), backward(g, x, w, b), weight_backward(g, x) ``@triton.jit`` functions
    under the op's key, and torch's function (double backward goes through it)."""

    key: str
    forward: triton.JITFunction
    backward: triton.JITFunction
    weight_backward: triton.JITFunction
    torch_fn: Callable

    def __post_init__(self) -> None:
        file_under_key(_BY_KEY, self)


#: kernel key -> PreluMath, for the custom ops (each PreluMath files itself here when created).
_BY_KEY: dict[str, PreluMath] = {}


def channels(x: torch.Tensor) -> int:
    """The channel count torch's prelu checks the weight against (dim 1; 1 below two dims)."""
    return x.shape[1] if x.dim() >= 2 else 1


def view_ncs(tensors: list[torch.Tensor], shared: bool):
    """``(N, C, S, strides)``: every tensor as ``[N, C, S]`` with ``(stride_n, stride_c,
    stride_s)`` each, or None when the dims after the channel do not merge into one."""
    x = tensors[0]
    if x.dim() < 2 or (shared and is_dense(x) and all(t.stride() == x.stride()
                                                       for t in tensors)):
        s = [t.stride()[0] if t.dim() == 1 else 1 for t in tensors]
        return 1, 1, x.numel(), [(0, 0, st) for st in s]  # one run: the slope is shared
    sizes, merged = coalesce(x.shape[2:], [t.stride()[2:] for t in tensors])
    if len(sizes) > 1:
        return None
    size = sizes[0] if sizes else 1
    return x.shape[0], x.shape[1], size, [
        (t.stride(0), t.stride(1), m[0] if sizes else 0) for t, m in zip(tensors, merged)]


@functools.lru_cache(maxsize=16)
def _target_programs(device: torch.device) -> int:
    """Programs enough to fill the device (8 per SM); few under the interpreter."""
    if device.type != "cuda":
        return 4 if INTERPRET else 1
    return 8 * torch.cuda.get_device_properties(device).multi_processor_count


def _pow2(n: int, limit: int) -> int:
    return min(triton.next_power_of_2(max(n, 1)), limit)


@dataclass(frozen=True)
class Tiling:
    """A launch's tile ``[block_n, block_c, block_s]``, rows of N per program, and grid."""

    block_n: int
    block_c: int
    block_s: int
    rows: int
    grid: tuple[int, int]


@functools.lru_cache(maxsize=1024)
def tiling(n: int, c: int, s: int, channels_contiguous: bool, block: int,
           target: int) -> Tiling:
    """Tile the contiguous dim first (S, or C for channels_last and 2-D inputs), up to
    ``block`` elements, and split N into enough programs to reach ``target``."""
    if channels_contiguous:
        block_c = _pow2(c, block)
        block_s = _pow2(s, block // block_c)
    else:
        block_s = _pow2(s, block)
        block_c = _pow2(c, block // block_s)
    block_n = _pow2(n, block // (block_s * block_c))
    tiles = triton.cdiv(c, block_c) * triton.cdiv(s, block_s)
    n_blocks = triton.cdiv(n, block_n)
    splits = max(1, min(n_blocks, triton.cdiv(target, tiles), 65535))
    rows = triton.cdiv(n_blocks, splits) * block_n
    return Tiling(block_n, block_c, block_s, rows, (tiles, triton.cdiv(n, rows)))


def _plan(tensors: list[torch.Tensor], layout, weight: torch.Tensor, target: int | None,
          **meta):
    """The tiling, size/stride arguments and meta-parameters of a launch over ``tensors`` (all
    of one shape) viewed as ``[N, C, S]`` (``layout``, from ``view_ncs``), filling ``target``
    programs (default: the tensors' device's)."""
    n, c, s, strides = layout
    block = block_size(tensors[0].dtype)
    tile = tiling(n, c, s, c > 1 and all(st[1] == 1 for st in strides), block,
                  target or _target_programs(tensors[0].device))
    extent = max((n - 1) * a + (c - 1) * b + (s - 1) * d for a, b, d in strides)
    wide = max(extent, n * c * s) + tile.rows + block > INT32_LIMIT
    w_stride = 0 if weight.numel() == 1 else weight.stride(0)  # a slice, an expanded weight
    meta.update(BLOCK_N=tile.block_n, BLOCK_C=tile.block_c, BLOCK_S=tile.block_s, WIDE=wide)
    return tile, (n, c, s, tile.rows, *(v for st in strides for v in st), w_stride), meta


def plan_forward(m: PreluMath, x: torch.Tensor, weight: torch.Tensor, out: torch.Tensor,
                 layout, target: int | None = None) -> tuple[Tiling, tuple, dict]:
    """(tiling, arguments, meta-parameters) of the forward kernel; the audit compiles them."""
    tile, ints, meta = _plan([x, out], layout, weight, target, FORWARD=m.forward)
    return tile, (x, weight, out, *ints), meta


def plan_backward(m: PreluMath, g: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                  out: torch.Tensor, layout, input_grad: bool = True,
                  weight_grad: bool = True, target: int | None = None
                  ) -> tuple[Tiling, tuple, dict]:
    """(tiling, arguments, meta-parameters) of the backward kernel, whose ``partial`` argument
    (per program and channel, the weight gradient's partial sums) is allocated here."""
    tile, ints, meta = _plan([g, x, out], layout, weight, target, BACKWARD=m.backward,
                             WEIGHT_BACKWARD=m.weight_backward, INPUT_GRAD=input_grad,
                             WEIGHT_GRAD=weight_grad)
    acc_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    grid = tile.grid
    partial = torch.empty(grid[0] * grid[1] * tile.block_c if weight_grad else 1,
                          dtype=acc_dtype, device=x.device)
    return tile, (g, x, weight, out, partial, *ints), meta


def forward(m: PreluMath, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``y`` in one launch, in ``x``'s layout (``empty_like``, as torch); where that layout has
    no ``[N, C, S]`` view, through a contiguous copy of ``x`` and of the result."""
    shared = weight.numel() == 1
    y = torch.empty_like(x)
    if not x.numel():
        return y
    out, layout = y, view_ncs([x, y], shared)
    if layout is None:
        x = x.contiguous()
        out = torch.empty_like(x)
        layout = view_ncs([x, out], shared)
    tile, args, meta = plan_forward(m, x, weight, out, layout)
    launch(kernels.forward, tile.grid, x.device, *args, **meta)
    return y if out is y else y.copy_(out)


def backward(m: PreluMath, g: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
             input_grad: bool = True, weight_grad: bool = True):
    """``(dx, dweight)`` (None where not asked for) from one pass over ``g`` and ``x``; ``dx``
    in ``x``'s layout (through contiguous copies where ``[N, C, S]`` views are lacking)."""
    shared = weight.numel() == 1
    dx = torch.empty_like(x) if input_grad else None
    if not x.numel():
        return dx, torch.zeros_like(weight) if weight_grad else None
    out = x if dx is None else dx  # the kernel's dx pointer (never written without INPUT_GRAD)
    layout = view_ncs([g, x, out], shared)
    if layout is None:
        g, x = g.contiguous(), x.contiguous()
        out = x if dx is None else torch.empty_like(x)
        layout = view_ncs([g, x, out], shared)
    tile, args, meta = plan_backward(m, g, x, weight, out, layout, input_grad, weight_grad)
    grid, block_c, partial = tile.grid, tile.block_c, args[4]
    launch(kernels.backward, grid, x.device, *args, **meta)
    if dx is not None and out is not dx:
        dx.copy_(out)
    dweight = None
    if weight_grad:
        if shared:
            dweight = partial.sum().reshape(weight.shape).to(weight.dtype)
        else:
            tiles_s = grid[0] // triton.cdiv(weight.numel(), block_c)
            per_channel = partial.view(grid[1], -1, tiles_s, block_c).sum((0, 2)).flatten()
            dweight = per_channel[:weight.numel()].reshape(weight.shape).to(weight.dtype)
    return dx, dweight


@torch.library.custom_op("tritonact::prelu_forward", mutates_args=())
def forward_op(x: torch.Tensor, weight: torch.Tensor, key: str) -> torch.Tensor:
    return forward(_BY_KEY[key], x, weight)


@forward_op.register_fake
def _(x, weight, key):
    return torch.empty_like(x)


@torch.library.custom_op("tritonact::prelu_backward", mutates_args=())
def backward_op(g: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                key: str) -> tuple[torch.Tensor, torch.Tensor]:
    return backward(_BY_KEY[key], g, x, weight)


@backward_op.register_fake
def _(g, x, weight, key):
    return torch.empty_like(x), torch.empty_like(weight)


def _sharding_rules() -> None:
    """The DTensor rules of this module's custom ops: the channel dim and the weight sharded
    together (``autograd/sharding.py``)."""
    from torch.distributed.tensor.experimental import register_sharding

    from .sharding import prelu

    @register_sharding(torch.ops.tritonact.prelu_forward.default)
    def _(x, weight, key):
        return prelu("prelu_forward", x, weight, 1)

    @register_sharding(torch.ops.tritonact.prelu_backward.default)
    def _(g, x, weight, key):
        return prelu("prelu_backward", x, weight, 2)


dtensor_rules.append(_sharding_rules)


def run_forward(m: PreluMath, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile and for
    DTensors (whose dispatch runs the op on the local shards, ``autograd/sharding.py``)."""
    if is_compiling() or type(x) not in PLAIN_TENSOR_TYPES:
        return forward_op(x, weight, m.key)
    return forward(m, x, weight)


class PreluFunction(torch.autograd.Function):
    """PReLU; saves the input and the weight, as torch's does."""

    @staticmethod
    def forward(ctx, x, weight, m: PreluMath):
        ctx.save_for_backward(x, weight)
        ctx.math = m
        return run_forward(m, x, weight)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[:2]
        if torch.is_grad_enabled():  # create_graph=True: torch's op, differentiable again
            wrt = [t for t, need in ((x, need_x), (weight, need_w)) if need]
            with torch.enable_grad():
                out = ctx.math.torch_fn(x, weight)
            grads = iter(torch.autograd.grad(out, wrt, g, create_graph=True))
            return (next(grads) if need_x else None, next(grads) if need_w else None, None)
        if is_compiling() or type(x) not in PLAIN_TENSOR_TYPES:
            dx, dweight = backward_op(g, x, weight, ctx.math.key)
        else:
            dx, dweight = backward(ctx.math, g, x, weight, need_x, need_w)
        return dx, dweight, None
