"""Launchers, torch.library ops and autograd Functions of RReLU in training mode: a slope
``r ~ U(lower, upper)`` per element, drawn inside the kernel from a seed and the element's index.

The seed comes from torch's default (CPU) generator, so ``torch.manual_seed`` makes a run
reproducible. Backward draws the same slopes again: nothing is saved but the input (or, in
place with ``lower > 0``, the output, whose sign is the input's). An element's index is its
place in one dense layout that forward and backward share: non-dense inputs are copied first.
"""

from __future__ import annotations

import torch
import triton

from tritonact.kernels import randomized as kernels

from .elementwise import Math, find_math
from .launch import INT32_LIMIT, block_size, is_compiling, is_dense, launch, scalar_args

SEED_LIMIT = 2**31 - 1


def draw_seed() -> int:
    """A kernel seed from torch's default generator."""
    return int(torch.randint(SEED_LIMIT, (), dtype=torch.int64))


def plan(tensors: list[torch.Tensor], seed: int, lower: float, upper: float, **meta):
    """(grid, arguments, meta-parameters) of a launch over ``tensors`` (one dense layout); the
    audit compiles what this returns."""
    n = tensors[-1].numel()
    block = block_size(tensors[-1].dtype)
    return ((triton.cdiv(n, block),), (*tensors, n, seed, *scalar_args(lower, upper)),
            dict(meta, BLOCK=block, WIDE=n + block > INT32_LIMIT))


def _flat(kernel, tensors: list[torch.Tensor], seed: int, lower: float, upper: float,
          **meta) -> None:
    if tensors[-1].numel():
        grid, args, meta = plan(tensors, seed, lower, upper, **meta)
        launch(kernel, grid, tensors[-1].device, *args, **meta)


def forward(m: Math, x: torch.Tensor, lower: float, upper: float, seed: int,
            out: torch.Tensor | None = None) -> torch.Tensor:
    """``y`` for a dense ``x``, into ``out`` (``x`` itself, in place) or a new tensor."""
    y = torch.empty_like(x) if out is None else out
    _flat(kernels.forward, [x, y], seed, lower, upper, FORWARD=m.forward)
    return y


def backward(m: Math, g: torch.Tensor, t: torch.Tensor, lower: float, upper: float,
             seed: int) -> torch.Tensor:
    """``dx = g * r`` where the input was not positive, else ``g``; ``dx`` has ``t``'s layout."""
    if g.stride() != t.stride():
        g = torch.empty_like(t).copy_(g)
    dx = torch.empty_like(t)
    _flat(kernels.backward, [g, t, dx], seed, lower, upper, BACKWARD=m.backward)
    return dx


@torch.library.custom_op("tritonact::randomized_forward", mutates_args=())
def forward_op(x: torch.Tensor, key: str, lower: float, upper: float,
               seed: torch.Tensor) -> torch.Tensor:
    return forward(find_math(key), x, lower, upper, int(seed))


@forward_op.register_fake
def _(x, key, lower, upper, seed):
    return torch.empty_like(x)


@torch.library.custom_op("tritonact::randomized_backward", mutates_args=())
def backward_op(g: torch.Tensor, t: torch.Tensor, key: str, lower: float, upper: float,
                seed: torch.Tensor) -> torch.Tensor:
    return backward(find_math(key), g, t, lower, upper, int(seed))


@backward_op.register_fake
def _(g, t, key, lower, upper, seed):
    return torch.empty_like(t)


def run(m: Math, x: torch.Tensor, lower: float, upper: float, inplace: bool):
    """``(y, saved, seed)``: the training-mode forward without autograd, the tensor backward
    needs and the seed (an int, or a CPU tensor while compiling)."""
    dense = is_dense(x)
    src = x if dense else x.contiguous()
    if is_compiling():
        seed = torch.randint(SEED_LIMIT, (), dtype=torch.int64)
        if inplace and lower <= 0 and src is x:
            src = x.clone()  # x is about to be overwritten: backward needs the input's sign
        y = forward_op(src, m.key, lower, upper, seed)
        if inplace:
            x.copy_(y)
            y = x
        return y, y if inplace and lower > 0 else src, seed
    seed = draw_seed()
    if inplace and dense:
        saved = x if lower > 0 else x.clone()  # lower > 0: y has x's sign, y is enough
        return forward(m, x, lower, upper, seed, out=x), saved, seed
    y = forward(m, src, lower, upper, seed)
    if inplace:
        x.copy_(y)
        return x, src, seed
    return y, src, seed


class RandomizedFunction(torch.autograd.Function):
    """RReLU in training mode; saves one tensor (the input, or the output in place)."""

    @staticmethod
    def forward(ctx, x, m: Math, lower: float, upper: float, inplace: bool):
        y, saved, seed = run(m, x, lower, upper, inplace)
        if inplace:
            ctx.mark_dirty(x)
        ctx.save_for_backward(saved)
        ctx.math, ctx.lower, ctx.upper, ctx.seed = m, lower, upper, seed
        return y

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True
            dx = RandomizedBackward.apply(g, t, ctx.math, ctx.lower, ctx.upper, ctx.seed)
        else:
            dx = _backward(ctx.math, g, t, ctx.lower, ctx.upper, ctx.seed)
        return dx, None, None, None, None


def _backward(m: Math, g, t, lower, upper, seed):
    if isinstance(seed, torch.Tensor):
        return backward_op(g, t, m.key, lower, upper, seed)
    return backward(m, g, t, lower, upper, seed)


class RandomizedBackward(torch.autograd.Function):
    """``dx = r * g`` (or ``g``) as a function of ``g``: linear, so its backward is itself; the
    slopes do not depend on ``t`` (zero gradient almost everywhere)."""

    @staticmethod
    def forward(ctx, g, t, m: Math, lower: float, upper: float, seed):
        ctx.save_for_backward(t)
        ctx.math, ctx.lower, ctx.upper, ctx.seed = m, lower, upper, seed
        return _backward(m, g, t, lower, upper, seed)

    @staticmethod
    def backward(ctx, gg):
        (t,) = ctx.saved_tensors
        dgg = RandomizedBackward.apply(gg, t, ctx.math, ctx.lower, ctx.upper, ctx.seed)
        return dgg, None, None, None, None, None
