"""Launchers, torch.library ops and the autograd Function of the bias + activation ops
(Megatron's ``bias_gelu``, ``bias_geglu``, ``bias_swiglu``): ``act(x + bias)``, or over the
halves of the last dim ``act(a + bias_a) * (b + bias_b)``.

The math is the gated family's :class:`~tritonact.autograd.gated.GateMath` (the activation's
forward, its backward from the input and torch's activation); a :class:`BiasMath` pairs it with
whether the op is gated and files itself under its key for the custom ops. Backward is one pass
over the data writing the input gradient and, per program, partial sums of it over the
program's rows; one torch ``sum`` over those partials gives the bias gradient.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import triton

from tritonact.kernels import biased as kernels

from .gated import GateMath, result_like
from .launch import (
    INT32_LIMIT,
    INTERPRET,
    PLAIN_TENSOR_TYPES,
    block_size,
    coalesce,
    file_under_key,
    is_compiling,
    launch,
)


@dataclass(frozen=True)
class BiasMath:
    """A bias + activation op's math under its key: the activation's :class:`GateMath` (no
    scalar parameters, no transform of the up operand) and whether the op is gated."""

    key: str
    act: GateMath
    gated: bool

    def __post_init__(self) -> None:
        assert self.act.up is None and not self.act.up_last, "a plain gate: act(a) * b"
        file_under_key(_BY_KEY, self)

    def composite(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """torch's eager composite: ``act(x + bias)``, or ``act(a) * b`` over the halves of the
        last dim of ``x + bias``."""
        h = x + bias
        if not self.gated:
            return self.act.torch_act(h)
        a, b = h.chunk(2, -1)
        return self.act.torch_act(a) * b


def bias_math(act: GateMath, gated: bool) -> BiasMath:
    """The :class:`BiasMath` of ``act`` (gated or not), one record per key."""
    return _BY_KEY.get(_key(act, gated)) or BiasMath(_key(act, gated), act, gated)


def _key(act: GateMath, gated: bool) -> str:
    return f"{'gated' if gated else 'plain'}:{act.key}"


#: kernel key -> BiasMath, for the custom ops (each BiasMath files itself here when created).
_BY_KEY: dict[str, BiasMath] = {}


@functools.lru_cache(maxsize=16)
def _target_programs(device: torch.device) -> int:
    """Backward programs enough to fill the device (8 per SM); few under the interpreter."""
    if device.type != "cuda":
        return 4 if INTERPRET else 1
    return 8 * torch.cuda.get_device_properties(device).multi_processor_count


def rows_view(tensors: list[torch.Tensor]) -> tuple[int, list[int]] | None:
    """``(n_rows, row strides)`` when every tensor is ``[rows, contiguous last dim]`` after its
    leading dims merge (in the last tensor's order); else None."""
    if any(t.shape[-1] > 1 and t.stride(-1) != 1 for t in tensors):
        return None
    sizes, strides = coalesce(tensors[-1].shape[:-1], [t.stride()[:-1] for t in tensors])
    if len(sizes) > 1:
        return None
    if not sizes:
        return 1, [0] * len(tensors)
    return sizes[0], [s[0] for s in strides]


def _wide(tensors: list[torch.Tensor], n_rows: int, strides: list[int], extra: int) -> bool:
    return max((n_rows - 1) * s + t.shape[-1] for t, s in zip(tensors, strides)) + extra \
        > INT32_LIMIT


def plan_forward(m: BiasMath, x: torch.Tensor, bias: torch.Tensor, out: torch.Tensor):
    """(grid, arguments, meta-parameters) of the forward kernel over ``x`` and ``out`` (both
    ``[rows, contiguous cols]``, see :func:`rows_view`); the audit compiles what this returns."""
    n_rows, (x_row, out_row) = rows_view([x, out])
    n_cols = out.shape[-1]
    block = block_size(x.dtype)
    grid = (n_rows * triton.cdiv(n_cols, block),)
    wide = _wide([x, out], n_rows, [x_row, out_row], block) or grid[0] * block > INT32_LIMIT
    return grid, (x, bias, out, n_cols, x_row, out_row), dict(
        ACT=m.act.forward, GATED=m.gated, BLOCK=block, WIDE=wide)


def plan_backward(m: BiasMath, dy: torch.Tensor, x: torch.Tensor, bias: torch.Tensor,
                  dx: torch.Tensor, bias_grad: bool = True, target: int | None = None):
    """(grid, arguments, meta-parameters) of the backward kernel: ``[block_r, block_c]`` tiles,
    a column block and a share of the rows a program, enough programs to fill ``target`` (the
    device's by default). Its ``partial`` argument (per row share, the bias gradient's partial
    sums, in the compute dtype) is allocated here."""
    n_rows, (dy_row, x_row, dx_row) = rows_view([dy, x, dx])
    n_cols = dy.shape[-1]
    block = block_size(x.dtype)
    block_c = min(triton.next_power_of_2(max(n_cols, 1)), block)
    block_r = min(triton.next_power_of_2(max(n_rows, 1)), block // block_c)
    col_blocks = triton.cdiv(n_cols, block_c)
    row_blocks = triton.cdiv(n_rows, block_r)
    target = target or _target_programs(x.device)
    splits = max(1, min(row_blocks, triton.cdiv(target, col_blocks), 65535))
    rows_per_program = triton.cdiv(row_blocks, splits) * block_r
    grid = (col_blocks, triton.cdiv(n_rows, rows_per_program))
    acc_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    partial = torch.empty((grid[1], bias.shape[-1]) if bias_grad else (1,), dtype=acc_dtype,
                          device=x.device)
    wide = _wide([dy, x, dx], n_rows + rows_per_program, [dy_row, x_row, dx_row], block_c)
    return grid, (dy, x, bias, dx, partial, n_rows, n_cols, rows_per_program, dy_row, x_row,
                  dx_row), dict(ACT=m.act.forward, ACT_BACKWARD=m.act.backward, GATED=m.gated,
                                BIAS_GRAD=bias_grad, BLOCK_R=block_r, BLOCK_C=block_c, WIDE=wide)


def output_like(m: BiasMath, x: torch.Tensor) -> torch.Tensor:
    """An empty result laid out as torch's composite lays out its own (TensorIterator's rule
    over ``x``, or over its halves when gated): contiguous for a contiguous ``x``."""
    if not m.gated:
        return result_like(x, x)
    return result_like(*x.chunk(2, -1))


def forward(m: BiasMath, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The result in one launch, in torch's layout (:func:`output_like`); an ``x`` whose last
    dim is not contiguous (or whose leading dims do not merge) is copied first."""
    out = output_like(m, x)
    if not out.numel():
        return out
    bias = bias.contiguous()
    target = out
    if rows_view([x, out]) is None:
        x = x.contiguous()
        target = out if out.is_contiguous() else torch.empty(out.shape, dtype=out.dtype,
                                                            device=out.device)
    grid, args, meta = plan_forward(m, x, bias, target)
    launch(kernels.forward, grid, x.device, *args, **meta)
    return out if target is out else out.copy_(target)


def backward(m: BiasMath, dy: torch.Tensor, x: torch.Tensor, bias: torch.Tensor,
             bias_grad: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(dx, dbias)`` (``dbias`` None unless ``bias_grad``) from one pass over ``dy`` and
    ``x`` and one small sum; ``dx`` in torch's layout (through contiguous copies where the
    operands are not ``[rows, contiguous cols]``)."""
    dx = result_like(dy, x) if not m.gated else torch.empty(x.shape, dtype=x.dtype,
                                                            device=x.device)
    if not x.numel():
        return dx, torch.zeros_like(bias) if bias_grad else None
    target = dx
    if rows_view([dy, x, dx]) is None:
        dy, x = dy.contiguous(), x.contiguous()
        target = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    grid, args, meta = plan_backward(m, dy, x, bias.contiguous(), target, bias_grad)
    launch(kernels.backward, grid, x.device, *args, **meta)
    if target is not dx:
        dx.copy_(target)
    return dx, args[4].sum(0).to(bias.dtype) if bias_grad else None


@torch.library.custom_op("tritonact::biased_forward", mutates_args=())
def forward_op(x: torch.Tensor, bias: torch.Tensor, key: str) -> torch.Tensor:
    return forward(_BY_KEY[key], x, bias)


@forward_op.register_fake
def _(x, bias, key):
    return output_like(_BY_KEY[key], x)


@torch.library.custom_op("tritonact::biased_backward", mutates_args=())
def backward_op(dy: torch.Tensor, x: torch.Tensor, bias: torch.Tensor,
                key: str) -> tuple[torch.Tensor, torch.Tensor]:
    return backward(_BY_KEY[key], dy, x, bias)


@backward_op.register_fake
def _(dy, x, bias, key):
    dx = result_like(dy, x) if not _BY_KEY[key].gated else torch.empty(
        x.shape, dtype=x.dtype, device=x.device)
    return dx, torch.empty(bias.shape, dtype=bias.dtype, device=bias.device)


def run_forward(m: BiasMath, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile."""
    if is_compiling():
        return forward_op(x, bias, m.key)
    return forward(m, x, bias)


class BiasedFunction(torch.autograd.Function):
    """``act(x + bias)`` (gated: over the halves of the last dim); saves ``x`` and ``bias``
    only (the eager composite also keeps ``x + bias``)."""

    @staticmethod
    def forward(ctx, x, bias, m: BiasMath):
        ctx.save_for_backward(x, bias)
        ctx.math = m
        return run_forward(m, x, bias)

    @staticmethod
    def backward(ctx, dy):
        x, bias = ctx.saved_tensors
        need_x, need_bias = ctx.needs_input_grad[:2]
        if torch.is_grad_enabled():  # create_graph=True: torch's composite, differentiable
            wrt = [t for t, need in ((x, need_x), (bias, need_bias)) if need]
            with torch.enable_grad():
                out = ctx.math.composite(x, bias)
            grads = iter(torch.autograd.grad(out, wrt, dy, create_graph=True))
            return (next(grads) if need_x else None, next(grads) if need_bias else None, None)
        if is_compiling() or type(x) not in PLAIN_TENSOR_TYPES:
            dx, dbias = backward_op(dy, x, bias, ctx.math.key)
        else:
            dx, dbias = backward(ctx.math, dy, x, bias, need_bias)
        return dx if need_x else None, dbias if need_bias else None, None
