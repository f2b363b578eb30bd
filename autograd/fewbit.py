"""Launchers, torch.library ops and autograd Functions for few-bit saved activations
(``tritonact.saved_bits``; the kernels are ``tritonact.kernels.fewbit``).

A :class:`Scheme` is one op's few-bit plan for one parameter set: its elementwise
:class:`~tritonact.autograd.elementwise.Math`, the bits per element, whether the codes are
intervals of a smooth derivative or branches of a piecewise-linear one, and the table the
kernels read (boundaries and levels, or the branches' representative points).

Layout: forward runs over a dense tensor in its memory order, and the codes follow that order:
``x`` itself when it is dense (contiguous, channels_last, any permutation), else a dense copy
of it (one extra read and write of ``x``, laid out as ``torch.empty_like(x)``). The output is
laid out as exact mode's. Backward views the upstream gradient and the input gradient in that
memory order (a permutation of dims); where either is not contiguous in it, it goes through a
contiguous copy (one extra pass). The input gradient is laid out as exact mode's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from tritonact.kernels import fewbit as kernels

from .elementwise import Math, find_math
from .launch import (
    INT32_LIMIT,
    PLAIN_TENSOR_TYPES,
    block_size,
    is_compiling,
    is_dense,
    launch,
    scalar_args,
)


@dataclass(frozen=True)
class Scheme:
    """What few-bit mode saves for one op, parameter set and bit count."""

    math: Math
    bits: int
    smooth: bool
    #: smooth: the 2**bits - 1 boundaries, then the 2**bits levels; piecewise-linear: the
    #: representative points of code 0 and code 1.
    table: tuple[float, ...]

    def codes_bytes(self, n: int) -> int:
        """Bytes of codes saved for ``n`` elements: ``bits`` bytes per group of eight."""
        return -(-n // 8) * self.bits


_TABLES: dict[tuple, torch.Tensor] = {}


def _table(table: tuple[float, ...], device: torch.device) -> torch.Tensor:
    """The table as a small fp32 tensor on ``device``, made once."""
    key = (table, device)
    found = _TABLES.get(key)
    if found is None:
        found = _TABLES[key] = torch.tensor(table, dtype=torch.float32, device=device)
    return found


def plan_forward(x: torch.Tensor, y: torch.Tensor, codes: torch.Tensor, table: torch.Tensor,
                 s: Scheme, a: float, b: float, c: float, d: float, from_output: bool):
    """The forward kernel's (grid, arguments, meta-parameters) over dense ``x``, ``y``."""
    n = x.numel()
    block = block_size(x.dtype)
    return ((-(-n // block),),
            (x, y, codes, table, n, *scalar_args(a, b), *scalar_args(c, d)),
            dict(FORWARD=s.math.forward, BACKWARD=s.math.backward, BITS=s.bits,
                 SMOOTH=s.smooth, FROM_OUTPUT=from_output, BLOCK=block,
                 WIDE=n + block > INT32_LIMIT))


def plan_backward(g: torch.Tensor, codes: torch.Tensor, table: torch.Tensor, dx: torch.Tensor,
                  s: Scheme, c: float, d: float):
    """The backward kernel's (grid, arguments, meta-parameters) over contiguous ``g``, ``dx``."""
    n = g.numel()
    block = block_size(g.dtype)
    return ((-(-n // block),), (g, codes, table, dx, n, *scalar_args(c, d)),
            dict(BACKWARD=s.math.backward, BITS=s.bits, SMOOTH=s.smooth, BLOCK=block,
                 WIDE=n + block > INT32_LIMIT))


def forward(s: Scheme, x: torch.Tensor, a: float, b: float, c: float, d: float,
            from_output: bool, inplace: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(y, codes)`` in one launch (``y is x`` when ``inplace``); the codes are in the memory
    order of ``torch.empty_like(x)`` (see the module's docstring)."""
    y = x if inplace else torch.empty_like(x, memory_format=s.math.result_format)
    codes = torch.empty(s.codes_bytes(x.numel()), dtype=torch.uint8, device=x.device)
    if x.numel() == 0:
        return y, codes
    dense = x if is_dense(x) and x.stride() == y.stride() else torch.empty_like(y).copy_(x)
    out = dense if inplace else y
    grid, args, meta = plan_forward(dense, out, codes, _table(s.table, x.device), s, a, b, c,
                                    d, from_output)
    launch(kernels.forward, grid, x.device, *args, **meta)
    if out is not y:
        y.copy_(out)
    return y, codes


def memory_order(stride: list[int]) -> list[int]:
    """The dims of a dense layout from the outermost to the innermost."""
    return sorted(range(len(stride)), key=lambda dim: -stride[dim])


def _gradient_layout(s: Scheme, g: torch.Tensor, stride: list[int]) -> torch.Tensor:
    """An empty input gradient laid out as exact mode's (``elementwise.empty_gradient``): like
    ``g`` where ``g`` is dense (unless the op's backward follows the saved tensor), else like
    the saved tensor's ``empty_like``, whose strides forward recorded."""
    if not s.math.gradient_like_saved and is_dense(g):
        return torch.empty_like(g, memory_format=s.math.result_format)
    return torch.empty_strided(g.shape, stride, dtype=g.dtype, device=g.device)


def backward(s: Scheme, g: torch.Tensor, codes: torch.Tensor, stride: list[int], c: float,
             d: float) -> torch.Tensor:
    """The input gradient from the upstream gradient ``g`` and the codes; ``stride``: the
    layout forward ran over (``y.stride()``)."""
    dx = _gradient_layout(s, g, stride)
    if g.numel() == 0:
        return dx
    order = memory_order(stride)
    gp, dxp = g.permute(order), dx.permute(order)
    if not gp.is_contiguous():
        gp = gp.contiguous()
    out = dxp if dxp.is_contiguous() else torch.empty_like(gp)
    grid, args, meta = plan_backward(gp, codes, _table(s.table, g.device), out, s, c, d)
    launch(kernels.backward, grid, g.device, *args, **meta)
    if out is not dxp:
        dxp.copy_(out)
    return dx


# --- torch.library ops: what torch.compile sees -------------------------------------------------


def _scheme(key: str, bits: int, smooth: bool, table: list[float]) -> Scheme:
    return Scheme(find_math(key), bits, smooth, tuple(table))


@torch.library.custom_op("tritonact::fewbit_forward", mutates_args=())
def forward_op(x: torch.Tensor, key: str, bits: int, smooth: bool, table: list[float], a: float,
               b: float, c: float, d: float, from_output: bool) -> tuple[torch.Tensor,
                                                                        torch.Tensor]:
    return forward(_scheme(key, bits, smooth, table), x, a, b, c, d, from_output)


@forward_op.register_fake
def _(x, key, bits, smooth, table, a, b, c, d, from_output):
    y = torch.empty_like(x, memory_format=find_math(key).result_format)
    return y, x.new_empty(-(-x.numel() // 8) * bits, dtype=torch.uint8)


@torch.library.custom_op("tritonact::fewbit_backward", mutates_args=())
def backward_op(g: torch.Tensor, codes: torch.Tensor, key: str, bits: int, smooth: bool,
                table: list[float], stride: list[int], c: float, d: float) -> torch.Tensor:
    return backward(_scheme(key, bits, smooth, table), g, codes, stride, c, d)


@backward_op.register_fake
def _(g, codes, key, bits, smooth, table, stride, c, d):
    return _gradient_layout(_scheme(key, bits, smooth, table), g, stride)


def _through_op(x: torch.Tensor) -> bool:
    return is_compiling() or type(x) not in PLAIN_TENSOR_TYPES


def run_forward(s: Scheme, x: torch.Tensor, a: float, b: float, c: float, d: float,
                from_output: bool, inplace: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward: direct in eager mode, through the custom op under torch.compile (in place
    there is the out-of-place op and ``x.copy_``, as for exact mode)."""
    if _through_op(x):
        y, codes = forward_op(x, s.math.key, s.bits, s.smooth, list(s.table), a, b, c, d,
                              from_output)
        return (x.copy_(y) if inplace else y), codes
    return forward(s, x, a, b, c, d, from_output, inplace)


def run_backward(s: Scheme, g: torch.Tensor, codes: torch.Tensor, stride: list[int], c: float,
                 d: float) -> torch.Tensor:
    if _through_op(g):
        return backward_op(g, codes, s.math.key, s.bits, s.smooth, list(s.table), stride, c, d)
    return backward(s, g, codes, stride, c, d)


# --- autograd ------------------------------------------------------------------------------


class FewbitFunction(torch.autograd.Function):
    """``y = f(x)`` saving only the packed codes (``ceil(n / 8) * bits`` bytes)."""

    @staticmethod
    def forward(ctx, x, s: Scheme, a: float, b: float, c: float, d: float, from_output: bool,
                inplace: bool):
        y, codes = run_forward(s, x, a, b, c, d, from_output, inplace)
        if inplace:
            ctx.mark_dirty(y)
        ctx.save_for_backward(codes)
        ctx.scheme, ctx.c, ctx.d = s, c, d
        ctx.layout = list(y.stride()) if is_dense(y) else list(torch.empty_like(y).stride())
        return y

    @staticmethod
    def backward(ctx, g):
        (codes,) = ctx.saved_tensors
        s = ctx.scheme
        if torch.is_grad_enabled():  # create_graph=True
            if s.smooth:
                raise RuntimeError(
                    f"{s.math.key}: double backward through a few-bit saved activation: its "
                    f"derivative is a {s.bits}-bit piecewise-constant approximation whose own "
                    f"derivative is not the second derivative; run exact mode "
                    f"(saved_bits=None) for create_graph=True")
            dx = FewbitBackward.apply(g, codes, s, ctx.layout, ctx.c, ctx.d)
        else:
            dx = run_backward(s, g, codes, ctx.layout, ctx.c, ctx.d)
        return dx, None, None, None, None, None, None, None


class FewbitBackward(torch.autograd.Function):
    """A piecewise-linear op's input gradient as a function of ``g`` (create_graph=True): it is
    linear in ``g`` and its derivative with respect to ``x`` is zero, as exact mode's."""

    @staticmethod
    def forward(ctx, g, codes, s: Scheme, layout: list[int], c: float, d: float):
        ctx.save_for_backward(codes)
        ctx.scheme, ctx.layout, ctx.c, ctx.d = s, layout, c, d
        return run_backward(s, g, codes, layout, c, d)

    @staticmethod
    def backward(ctx, gg):
        (codes,) = ctx.saved_tensors
        dg = FewbitBackward.apply(gg, codes, ctx.scheme, ctx.layout, ctx.c, ctx.d)
        return dg, None, None, None, None, None
