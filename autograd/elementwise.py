"""Launchers, torch.library ops and autograd Functions for the elementwise activations.

The launchers take an activation's :class:`Math` (which its registry entry holds); only the
``tritonact::`` custom ops, which take strings, name it by its key (``"silu"``,
``"gelu:tanh"``), under which every ``Math`` files itself when it is created. Everything here is
generic: nothing names an activation.

Eager calls launch the Triton kernels directly (no dispatcher on the hot path). Under
``torch.compile`` the same launches go through ``tritonact::`` custom ops with fake
implementations, so graphs trace with no break, forward and backward.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import triton

from tritonact.kernels import elementwise as kernels

from .launch import (
    INT32_LIMIT,
    PLAIN_TENSOR_TYPES,
    block_size,
    coalesce,
    dtensor_rules,
    file_under_key,
    is_compiling,
    is_dense,
    launch,
    max_offset,
    pad4,
    rounded,
    scalar_args,
)


@dataclass(frozen=True)
class Math:
    """An activation's three ``@triton.jit`` functions (see ``tritonact.kernels.activations``),
    under its kernel key (the op's name, or ``name:choice``)."""

    key: str
    forward: triton.JITFunction
    backward: triton.JITFunction
    second: triton.JITFunction
    #: torch rounds the scalar parameters to the input's dtype before its forward (backward)
    #: compares with them (hardshrink's lambd; softshrink's in backward only): so do these.
    forward_rounds: bool = False
    backward_rounds: bool = False
    #: torch returns this op's result contiguous whatever the input's layout (log_sigmoid's),
    #: where the others follow the input's (``empty_like``). Its input gradient follows the
    #: saved input, where torch's is contiguous too: a leaf's gradient then lands in ``.grad``
    #: without the copy into the leaf's layout that autograd's AccumulateGrad makes after
    #: torch's own (a whole extra read and write for a transposed or channels_last input).
    contiguous_result: bool = False
    #: torch's backward lays the gradient out like the saved tensor (threshold_backward's and
    #: leaky_relu_backward's operand order), where the others follow the upstream gradient.
    gradient_like_saved: bool = False

    def __post_init__(self) -> None:
        file_under_key(_BY_KEY, self)

    @property
    def result_format(self) -> torch.memory_format:
        return torch.contiguous_format if self.contiguous_result else torch.preserve_format


#: kernel key -> Math, for the custom ops (each Math files itself here when created).
_BY_KEY: dict[str, Math] = {}


def find_math(key: str) -> Math:
    """The Math filed under ``key`` (the custom ops' and other families' look-up)."""
    return _BY_KEY[key]


# --- launchers --------------------------------------------------------------------------------


#: A planned launch: (grid, positional arguments, meta-parameters). The audit compiles exactly
#: what the planners return.
Planned = tuple[tuple[int, ...], tuple, dict]


def plan_strided(tensors: list[torch.Tensor], a: float, b: float,
                 **meta) -> Planned | None:
    """A ``*_strided`` kernel's launch over ``tensors`` (inputs first, output last), all of one
    shape; None when more than four dims remain after coalescing."""
    out = tensors[-1]
    n = out.numel()
    sizes, strides = coalesce(out.shape, [t.stride() for t in tensors])
    if len(sizes) > 4:
        return None
    wide = max(n, *(max_offset(sizes, s) for s in strides)) + block_size(out.dtype) > INT32_LIMIT
    sizes4, strides4 = pad4(sizes, strides)
    block = block_size(out.dtype)
    return ((triton.cdiv(n, block),), (*tensors, n, *scalar_args(a, b), *sizes4[1:],
                                       *(s for st in strides4 for s in st)),
            dict(meta, BLOCK=block, WIDE=wide))


def plan_flat(tensors: list[torch.Tensor], a: float, b: float, **meta) -> Planned:
    """A flat kernel's launch over ``tensors``, one dense run of elements in one layout."""
    n = tensors[-1].numel()
    block = block_size(tensors[-1].dtype)
    return ((triton.cdiv(n, block),), (*tensors, n, *scalar_args(a, b)),
            dict(meta, BLOCK=block, WIDE=n + block > INT32_LIMIT))


def _launch_strided(kernel, tensors: list[torch.Tensor], a: float, b: float, **meta):
    """Launch a ``*_strided`` kernel (see :func:`plan_strided`); None where the inputs must be
    copied to the output's layout and the flat kernel run instead."""
    planned = plan_strided(tensors, a, b, **meta)
    if planned is None:
        return None
    grid, args, meta = planned
    launch(kernel, grid, tensors[-1].device, *args, **meta)
    return tensors[-1]


def _flat(tensors: list[torch.Tensor], kernel, a: float, b: float, **meta) -> None:
    grid, args, meta = plan_flat(tensors, a, b, **meta)
    launch(kernel, grid, tensors[-1].device, *args, **meta)


def forward(m: Math, x: torch.Tensor, a: float, b: float, inplace: bool = False) -> torch.Tensor:
    """``y = f(x)`` in one launch; ``y`` has ``x``'s layout (``y is x`` when ``inplace``)."""
    y = x if inplace else torch.empty_like(x, memory_format=m.result_format)
    n = x.numel()
    if n == 0:
        return y
    fn = m.forward
    if m.forward_rounds:
        a, b = rounded(a, x.dtype), rounded(b, x.dtype)
    if x.is_contiguous() or (y.stride() == x.stride() and is_dense(x)):
        _flat([x, y], kernels.forward, a, b, FORWARD=fn)
    elif _launch_strided(kernels.forward_strided, [x, y], a, b, FORWARD=fn) is None:
        dense = x.contiguous()  # more than 4 non-mergeable dims: one copy, then the flat kernel
        _flat([dense, dense], kernels.forward, a, b, FORWARD=fn)
        y.copy_(dense)
    return y


def empty_gradient(m: Math, g: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The input gradient, laid out as torch's (TensorIterator's choice): like the upstream
    gradient where that is dense (unless the op's backward puts the saved tensor first), else
    like the saved tensor. An op whose result is contiguous whatever its input
    (``Math.contiguous_result``) follows the saved input where that is dense, else is
    contiguous."""
    if m.contiguous_result:
        return torch.empty_like(t, memory_format=torch.preserve_format if is_dense(t)
                                else torch.contiguous_format)
    return torch.empty_like(t if m.gradient_like_saved or not is_dense(g) else g)


def backward(m: Math, g: torch.Tensor, t: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """``dx = f'(t) * g`` in one launch; ``dx`` is laid out by ``empty_gradient``."""
    dx = empty_gradient(m, g, t)
    n = t.numel()
    if n == 0:
        return dx
    fn = m.backward
    if m.backward_rounds:
        a, b = rounded(a, t.dtype), rounded(b, t.dtype)
    if g.stride() == t.stride() == dx.stride() and is_dense(t):
        _flat([g, t, dx], kernels.backward, a, b, BACKWARD=fn)
    elif _launch_strided(kernels.backward_strided, [g, t, dx], a, b, BACKWARD=fn) is None:
        # more than 4 non-mergeable dims: copy g and t into dx's layout, then the flat kernel
        g, t = torch.empty_like(dx).copy_(g), torch.empty_like(dx).copy_(t)
        _flat([g, t, dx], kernels.backward, a, b, BACKWARD=fn)
    return dx


def second(m: Math, gg: torch.Tensor, g: torch.Tensor, t: torch.Tensor, a: float, b: float):
    """Double backward: ``(dg, dt)`` for ``dx = backward(g, t)`` and upstream ``gg``, one launch
    over contiguous operands (a rare path: the copies are made only where needed)."""
    gg, g, t = gg.contiguous(), g.contiguous(), t.contiguous()
    dg, dt = torch.empty_like(t), torch.empty_like(t)
    n = t.numel()
    if n:
        if m.backward_rounds:
            a, b = rounded(a, t.dtype), rounded(b, t.dtype)
        _flat([gg, g, t, dg, dt], kernels.second, a, b, BACKWARD=m.backward, SECOND=m.second)
    return dg, dt


# --- torch.library ops: what torch.compile sees -------------------------------------------------


@torch.library.custom_op("tritonact::elementwise_forward", mutates_args=())
def forward_op(x: torch.Tensor, key: str, a: float, b: float) -> torch.Tensor:
    return forward(_BY_KEY[key], x, a, b)


@torch.library.custom_op("tritonact::elementwise_backward", mutates_args=())
def backward_op(g: torch.Tensor, t: torch.Tensor, key: str, a: float, b: float) -> torch.Tensor:
    return backward(_BY_KEY[key], g, t, a, b)


@torch.library.custom_op("tritonact::elementwise_second", mutates_args=())
def second_op(gg: torch.Tensor, g: torch.Tensor, t: torch.Tensor, key: str, a: float,
              b: float) -> tuple[torch.Tensor, torch.Tensor]:
    return second(_BY_KEY[key], gg, g, t, a, b)


@forward_op.register_fake
def _(x, key, a, b):
    return torch.empty_like(x, memory_format=_BY_KEY[key].result_format)


@backward_op.register_fake
def _(g, t, key, a, b):
    m = _BY_KEY[key]
    return empty_gradient(m, g, t)


@second_op.register_fake
def _(gg, g, t, key, a, b):
    return torch.empty_like(t, memory_format=torch.contiguous_format), torch.empty_like(
        t, memory_format=torch.contiguous_format)


def _sharding_rules() -> None:
    """The DTensor rules of this module's custom ops: pointwise (``autograd/sharding.py``)."""
    from torch.distributed.tensor.experimental import register_sharding

    from .sharding import note_partial, pointwise

    @register_sharding(torch.ops.tritonact.elementwise_forward.default)
    def _(x, key, a, b):
        note_partial("elementwise_forward", x)
        return pointwise([x], 3, 1)

    @register_sharding(torch.ops.tritonact.elementwise_backward.default)
    def _(g, t, key, a, b):
        note_partial("elementwise_backward", g, t)
        return pointwise([g, t], 3, 1)

    @register_sharding(torch.ops.tritonact.elementwise_second.default)
    def _(gg, g, t, key, a, b):
        note_partial("elementwise_second", gg, g, t)
        return pointwise([gg, g, t], 3, 2)


dtensor_rules.append(_sharding_rules)


def run_forward(m: Math, x: torch.Tensor, a: float, b: float, inplace: bool) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile and for
    a DTensor (whose dispatch runs the op on the local shard, ``autograd/sharding.py``).

    In place through the custom op is the out-of-place op followed by ``x.copy_``, never a
    mutating custom op: under torch.compile functionalization turns either into the same
    functional graph, but Inductor's scheduler fails on some graphs around a mutating custom op
    (``KeyError: 'opN'`` in ``compute_ancestors``: an in-place ReLU between two convolutions at
    1x1 spatial size, issue 19), while ``copy_`` is an aten op it reinplaces itself. So there is
    no mutating custom op at all."""
    if is_compiling() or type(x) not in PLAIN_TENSOR_TYPES:
        y = forward_op(x, m.key, a, b)
        if inplace:
            return x.copy_(y)
        return y
    return forward(m, x, a, b, inplace)


def run_backward(m: Math, g: torch.Tensor, t: torch.Tensor, a: float, b: float) -> torch.Tensor:
    if is_compiling() or type(t) not in PLAIN_TENSOR_TYPES:
        return backward_op(g, t, m.key, a, b)
    return backward(m, g, t, a, b)


# --- autograd ------------------------------------------------------------------------------


class ElementwiseFunction(torch.autograd.Function):
    """``y = f(x)`` with one saved tensor: ``x``, or ``y`` when ``saves_output``."""

    @staticmethod
    def forward(ctx, x, m: Math, a: float, b: float, inplace: bool, saves_output: bool):
        saved_input = x.clone() if inplace and not saves_output else x
        y = run_forward(m, x, a, b, inplace)
        if inplace:
            ctx.mark_dirty(y)
        ctx.save_for_backward(y if saves_output else saved_input)
        ctx.math, ctx.a, ctx.b = m, a, b
        return y

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: keep the gradient differentiable
            dx = ElementwiseBackward.apply(g, t, ctx.math, ctx.a, ctx.b)
        else:
            dx = run_backward(ctx.math, g, t, ctx.a, ctx.b)
        return dx, None, None, None, None, None


class ElementwiseBackward(torch.autograd.Function):
    """``dx = backward(g, t)`` as a differentiable function of ``g`` and ``t`` (double backward).
    Its own backward is not differentiable again: third derivatives raise torch's error."""

    @staticmethod
    def forward(ctx, g, t, m: Math, a: float, b: float):
        ctx.save_for_backward(g, t)
        ctx.math, ctx.a, ctx.b = m, a, b
        return run_backward(m, g, t, a, b)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gg):
        g, t = ctx.saved_tensors
        if is_compiling() or type(t) not in PLAIN_TENSOR_TYPES:
            dg, dt = second_op(gg, g, t, ctx.math.key, ctx.a, ctx.b)
        else:
            dg, dt = second(ctx.math, gg, g, t, ctx.a, ctx.b)
        return dg, dt, None, None, None
