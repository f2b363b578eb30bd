"""Launchers, torch.library ops and the autograd Function of the parametric activations: one
or two learnable weights, each one per channel (dim 1) or one for all (star_relu, xIELU, Snake,
SnakeBeta).

Forward is one launch. Backward is one pass over the data that writes the input gradient and,
per program, a partial gradient per channel of each weight asked for; one torch ``sum`` over
those partials (a few thousand floats per weight) gives the weights' gradients. The ``[N, C, S]``
views and the tiling are PReLU's (``autograd/prelu.py``). The launchers take the op's
:class:`ParametricMath` (which its registry entry holds); the custom ops find it by its key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import triton

from tritonact.kernels import parametric as kernels

from .launch import (
    INT32_LIMIT,
    block_size,
    file_under_key,
    is_compiling,
    launch,
    param_args,
)
from .prelu import Tiling, _target_programs, tiling, view_ncs


@dataclass(frozen=True)
class ParametricMath:
    """forward(x, w1, w2, a, b) and backward(g, x, w1, w2, a, b) -> (dx, dw1, dw2)
    ``@triton.jit`` functions under the op's key, the op's weight count (1 or 2), the scalar
    constants the kernels get after the function's scalar parameters (Snake's 1e-9 guard), and
    the torch composite (the reference, the fallback; double backward goes through it)."""

    key: str
    forward: triton.JITFunction
    backward: triton.JITFunction
    n_weights: int
    torch_fn: Callable
    constants: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.n_weights not in (1, 2):
            raise ValueError(f"{self.key}: the kernels take one or two weights")
        file_under_key(_BY_KEY, self)

    def scalars(self, params: tuple[float, ...]) -> tuple[float, int, float, int]:
        """The kernels' ``a, a_bits, b, b_bits``: the scalar parameters, then the constants."""
        a, b = (*params, *self.constants, 0.0, 0.0)[:2]
        return (*param_args(float(a)), *param_args(float(b)))


#: kernel key -> ParametricMath, for the custom ops (each files itself here when created).
_BY_KEY: dict[str, ParametricMath] = {}


def _layout(tensors: list[torch.Tensor], shared: bool):
    """``view_ncs``, through contiguous copies where the input's layout has none: (tensors,
    layout, whether copies were made)."""
    layout = view_ncs(tensors, shared)
    if layout is not None:
        return tensors, layout, False
    copies = [t.contiguous() for t in tensors]
    return copies, view_ncs(copies, shared), True


def _plan(tensors: list[torch.Tensor], layout, weights: list[torch.Tensor],
          target: int | None, **meta) -> tuple[Tiling, tuple, dict]:
    """The tiling, size/stride arguments and meta-parameters of a launch over ``tensors``
    viewed as ``[N, C, S]`` (``layout``), filling ``target`` programs (default: the device's)."""
    n, c, s, strides = layout
    block = block_size(tensors[0].dtype)
    tile = tiling(n, c, s, c > 1 and all(st[1] == 1 for st in strides), block,
                  target or _target_programs(tensors[0].device))
    extent = max((n - 1) * a + (c - 1) * b + (s - 1) * d for a, b, d in strides)
    wide = max(extent, n * c * s) + tile.rows + block > INT32_LIMIT
    w_strides = [0 if w.numel() == 1 else w.stride(0) for w in weights]
    w_strides += w_strides[:1] * (2 - len(w_strides))
    meta.update(TWO=len(weights) == 2, BLOCK_N=tile.block_n, BLOCK_C=tile.block_c,
                BLOCK_S=tile.block_s, WIDE=wide)
    return tile, (n, c, s, tile.rows, *(v for st in strides for v in st), *w_strides), meta


def _pair(weights: list[torch.Tensor]) -> list[torch.Tensor]:
    """The kernels' two weight pointers (a one-weight op passes its weight twice)."""
    return [weights[0], weights[-1]]


def plan_forward(m: ParametricMath, x: torch.Tensor, weights: list[torch.Tensor],
                 out: torch.Tensor, layout, params: tuple[float, ...] = (),
                 target: int | None = None) -> tuple[Tiling, tuple, dict]:
    """(tiling, arguments, meta-parameters) of the forward kernel; the audit compiles them."""
    tile, ints, meta = _plan([x, out], layout, weights, target, FORWARD=m.forward)
    return tile, (x, *_pair(weights), out, *ints, *m.scalars(params)), meta


def plan_backward(m: ParametricMath, g: torch.Tensor, x: torch.Tensor,
                  weights: list[torch.Tensor], out: torch.Tensor, layout,
                  params: tuple[float, ...] = (), input_grad: bool = True,
                  weight_grads: tuple[bool, ...] = (True, True), target: int | None = None
                  ) -> tuple[Tiling, tuple, dict]:
    """(tiling, arguments, meta-parameters) of the backward kernel, whose ``partial`` argument
    (per weight, program and channel: the weight gradients' partial sums) is allocated here."""
    asked = [*weight_grads[:len(weights)], False, False][:2]
    tile, ints, meta = _plan([g, x, out], layout, weights, target, BACKWARD=m.backward,
                             INPUT_GRAD=input_grad, GRAD1=asked[0], GRAD2=asked[1])
    acc_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    programs = tile.grid[0] * tile.grid[1]
    partial = torch.empty(len(weights) * programs * tile.block_c if any(asked) else 1,
                          dtype=acc_dtype, device=x.device)
    return tile, (g, x, *_pair(weights), out, partial, *ints, *m.scalars(params)), meta


def forward(m: ParametricMath, x: torch.Tensor, weights: list[torch.Tensor],
            params: tuple[float, ...] = ()) -> torch.Tensor:
    """``y`` in one launch, in ``x``'s layout (``empty_like``, as torch's elementwise ops);
    where that layout has no ``[N, C, S]`` view, through contiguous copies."""
    shared = all(w.numel() == 1 for w in weights)
    y = torch.empty_like(x)
    if not x.numel():
        return y
    (x, out), layout, copied = _layout([x, y], shared)
    tile, args, meta = plan_forward(m, x, weights, out, layout, params)
    launch(kernels.forward, tile.grid, x.device, *args, **meta)
    return y.copy_(out) if copied else y


def backward(m: ParametricMath, g: torch.Tensor, x: torch.Tensor, weights: list[torch.Tensor],
             params: tuple[float, ...] = (), input_grad: bool = True,
             weight_grads: tuple[bool, ...] = (True, True)) -> list[torch.Tensor | None]:
    """``[dx, dw1(, dw2)]`` (None where not asked for) from one pass over ``g`` and ``x``;
    ``dx`` in ``x``'s layout; each weight's gradient in its dtype and shape."""
    weight_grads = tuple(weight_grads[:len(weights)])
    shared = all(w.numel() == 1 for w in weights)
    dx = torch.empty_like(x) if input_grad else None
    if not x.numel():
        return [dx, *(torch.zeros_like(w) if need else None
                      for w, need in zip(weights, weight_grads))]
    out = x if dx is None else dx  # the kernel's dx pointer (never written without INPUT_GRAD)
    (g, x, out), layout, copied = _layout([g, x, out], shared)
    if copied and dx is None:
        out = x
    tile, args, meta = plan_backward(m, g, x, weights, out, layout, params, input_grad,
                                     weight_grads)
    launch(kernels.backward, tile.grid, x.device, *args, **meta)
    if dx is not None and out is not dx:
        dx.copy_(out)
    grads: list[torch.Tensor | None] = [dx]
    if any(weight_grads):
        partial, (tiles, splits), block_c = args[5], tile.grid, tile.block_c
        c = layout[1]
        tiles_c = triton.cdiv(c, block_c)
        sums = partial.view(len(weights), splits, tiles_c, tiles // tiles_c, block_c)
        sums = sums.sum((1, 3)).flatten(1)[:, :c]  # [weights, C]
        for i, (w, need) in enumerate(zip(weights, weight_grads)):
            if need:
                grad = sums[i].sum() if w.numel() == 1 else sums[i].clone()  # no shared base
                grads.append(grad.reshape(w.shape).to(w.dtype))
            else:
                grads.append(None)
    else:
        grads.extend(None for _ in weights)
    return grads


@torch.library.custom_op("tritonact::parametric_forward", mutates_args=())
def forward_op(x: torch.Tensor, weights: list[torch.Tensor], key: str,
               params: list[float]) -> torch.Tensor:
    return forward(_BY_KEY[key], x, list(weights), tuple(params))


@forward_op.register_fake
def _(x, weights, key, params):
    return torch.empty_like(x)


@torch.library.custom_op("tritonact::parametric_backward", mutates_args=())
def backward_op(g: torch.Tensor, x: torch.Tensor, weights: list[torch.Tensor], key: str,
                params: list[float]) -> list[torch.Tensor]:
    return backward(_BY_KEY[key], g, x, list(weights), tuple(params))


@backward_op.register_fake
def _(g, x, weights, key, params):
    return [torch.empty_like(x), *(torch.empty_like(w) for w in weights)]


def run_forward(m: ParametricMath, x: torch.Tensor, weights: list[torch.Tensor],
                params: tuple[float, ...] = ()) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile."""
    if is_compiling():
        return forward_op(x, weights, m.key, list(params))
    return forward(m, x, weights, params)


class ParametricFunction(torch.autograd.Function):
    """The op on ``x`` and its weights; saves the input and the weights (as the composite
    does, which also saves intermediates)."""

    @staticmethod
    def forward(ctx, m: ParametricMath, params: tuple[float, ...], x, *weights):
        ctx.save_for_backward(x, *weights)
        ctx.math, ctx.params = m, params
        return run_forward(m, x, list(weights), params)

    @staticmethod
    def backward(ctx, g):
        x, *weights = ctx.saved_tensors
        needs = ctx.needs_input_grad[2:]
        m, params = ctx.math, ctx.params
        if torch.is_grad_enabled():  # create_graph=True: the composite, differentiable again
            wrt = [t for t, need in zip((x, *weights), needs) if need]
            with torch.enable_grad():
                out = m.torch_fn(x, *weights, *params)
            grads = iter(torch.autograd.grad(out, wrt, g, create_graph=True))
            return (None, None, *(next(grads) if need else None for need in needs))
        if is_compiling():
            grads = backward_op(g, x, weights, m.key, list(params))
            return (None, None, *(t if need else None for t, need in zip(grads, needs)))
        return (None, None, *backward(m, g, x, weights, params, needs[0], tuple(needs[1:])))
