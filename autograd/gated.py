"""Launchers, torch.library ops and autograd Functions for the gated activations
(``act(gate) * up``). Generic: the launchers take the gate activation's :class:`GateMath`
(which the registry entry holds); the custom ops find it by its key."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import triton
from torch._prims_common import compute_elementwise_output_strides

from tritonact.kernels import gated as kernels

from .launch import (
    INT32_LIMIT,
    PLAIN_TENSOR_TYPES,
    coalesce,
    file_under_key,
    is_compiling,
    launch,
    scalar_args,
)


@dataclass(frozen=True)
class GateMath:
    """A gate activation under its key (``"silu"``, ``"gelu:tanh"``): its elementwise forward,
    its backward from the input (``@triton.jit``, see ``tritonact.kernels.activations``), and
    torch's activation (the reference, and double backward through torch's composite)."""

    key: str
    forward: triton.JITFunction
    backward: triton.JITFunction
    torch_act: Callable[[torch.Tensor], torch.Tensor]

    def __post_init__(self) -> None:
        file_under_key(_BY_KEY, self)


#: kernel key -> GateMath, for the custom ops (each GateMath files itself here when created).
_BY_KEY: dict[str, GateMath] = {}

#: Elements a program (4 warps) takes: 8 a thread, one 16-byte access an operand in 16-bit and
#: two in fp32, the most at which the backward's five operands stay within 32-40 registers.
BLOCK = 1024
#: The forward in 16-bit takes 16 a thread: two 16-byte accesses an operand, the program's index
#: set-up spread over twice the outputs (the kernel audit counts the instructions an output).
FORWARD_BLOCK_16BIT = 2048


def block(kernel, dtype: torch.dtype) -> int:
    """Elements a program of ``kernel`` takes for ``dtype`` operands."""
    return FORWARD_BLOCK_16BIT if kernel is kernels.forward and dtype.itemsize == 2 else BLOCK


def _rows_cols(tensors: list[torch.Tensor]):
    """(n_rows, n_cols, row strides) when every tensor is ``[rows, cols]`` with contiguous
    columns after coalescing (the output, last, sets the order); else None."""
    sizes, strides = coalesce(tensors[-1].shape, [t.stride() for t in tensors])
    if not sizes:
        return 1, 1, [0] * len(tensors)
    if any(s[-1] != 1 for s in strides) or len(sizes) > 2:
        return None
    if len(sizes) == 1:
        return 1, sizes[0], [0] * len(tensors)
    return sizes[0], sizes[1], [s[0] for s in strides]


def plan(kernel, tensors: list[torch.Tensor], a: float, b: float, **fns):
    """(grid, arguments, meta-parameters) of ``kernel`` over ``tensors`` (inputs, then outputs),
    all ``[rows, contiguous cols]`` (see :func:`_rows_cols`). The audit compiles what this
    returns."""
    n_rows, n_cols, row_strides = _rows_cols(tensors)
    size = block(kernel, tensors[-1].dtype)
    extent = max((n_rows - 1) * s for s in row_strides) + n_cols + size
    grid = (n_rows * triton.cdiv(n_cols, size),)
    return grid, (*tensors, n_cols, *row_strides, *scalar_args(a, b)), dict(
        fns, BLOCK=size, WIDE=max(extent, grid[0] * size) > INT32_LIMIT)


def _launch(kernel, tensors: list[torch.Tensor], n_outputs: int, a: float, b: float, **fns):
    if _rows_cols(tensors) is None:  # not [rows, contiguous cols]: inputs copied to the outputs'
        inputs = [torch.empty_like(tensors[-1]).copy_(t) for t in tensors[:-n_outputs]]
        tensors = [*inputs, *tensors[-n_outputs:]]
    grid, args, meta = plan(kernel, tensors, a, b, **fns)
    launch(kernel, grid, tensors[-1].device, *args, **meta)


def _descending(t: torch.Tensor) -> bool:
    strides = [st for st, n in zip(t.stride(), t.shape) if n != 1]
    return all(outer >= inner for outer, inner in itertools.pairwise(strides))


def result_like(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """An empty tensor laid out as torch's elementwise ``act(gate) * up`` would be
    (TensorIterator's rule): contiguous for halves of a contiguous tensor (the usual case, no
    Python work beyond a stride check), else the dim order of the operands' strides."""
    if _descending(gate) and _descending(up):
        return torch.empty(gate.shape, dtype=gate.dtype, device=gate.device)
    strides = compute_elementwise_output_strides(gate, up)
    return torch.empty_strided(gate.shape, strides, dtype=gate.dtype, device=gate.device)


def forward(m: GateMath, gate: torch.Tensor, up: torch.Tensor, a: float,
            b: float) -> torch.Tensor:
    """``act(gate) * up`` in one launch, in torch's elementwise layout (:func:`result_like`)."""
    out = result_like(gate, up)
    if out.numel():
        _launch(kernels.forward, [gate, up, out], 1, a, b, ACT=m.forward)
    return out


def backward(m: GateMath, dy: torch.Tensor, gate: torch.Tensor, up: torch.Tensor, a: float,
             b: float, dgate: torch.Tensor | None = None, dup: torch.Tensor | None = None):
    """``(dgate, dup)`` in one launch, written into ``dgate``/``dup`` when given (the halves of
    one gradient tensor for the single-tensor forms)."""
    dgate = torch.empty(gate.shape, dtype=gate.dtype, device=gate.device) if dgate is None \
        else dgate
    dup = torch.empty(up.shape, dtype=up.dtype, device=up.device) if dup is None else dup
    if dgate.numel():
        fns = {"ACT": m.forward, "ACT_BACKWARD": m.backward}
        if dgate.stride() == dup.stride() and _rows_cols([dgate, dup]) is not None:
            _launch(kernels.backward, [dy, gate, up, dgate, dup], 2, a, b, **fns)
        else:  # outputs in a layout of their own: fresh contiguous outputs, then copy
            g2, u2 = torch.empty_like(dgate, memory_format=torch.contiguous_format), \
                torch.empty_like(dup, memory_format=torch.contiguous_format)
            _launch(kernels.backward, [dy, gate, up, g2, u2], 2, a, b, **fns)
            dgate.copy_(g2)
            dup.copy_(u2)
    return dgate, dup


@torch.library.custom_op("tritonact::gated_forward", mutates_args=())
def forward_op(gate: torch.Tensor, up: torch.Tensor, key: str, a: float,
               b: float) -> torch.Tensor:
    return forward(_BY_KEY[key], gate, up, a, b)


@forward_op.register_fake
def _(gate, up, key, a, b):
    return result_like(gate, up)


@torch.library.custom_op("tritonact::gated_backward", mutates_args=())
def backward_op(dy: torch.Tensor, gate: torch.Tensor, up: torch.Tensor, key: str, a: float,
                b: float) -> tuple[torch.Tensor, torch.Tensor]:
    return backward(_BY_KEY[key], dy, gate, up, a, b)


@backward_op.register_fake
def _(dy, gate, up, key, a, b):
    return (torch.empty(gate.shape, dtype=gate.dtype, device=gate.device),
            torch.empty(up.shape, dtype=up.dtype, device=up.device))


def halves(x: torch.Tensor, dim: int, gate_first: bool):
    """(gate, up): views of the two halves of ``x`` along ``dim``, no copy."""
    first, second = x.chunk(2, dim)
    return (first, second) if gate_first else (second, first)


def run_forward(m: GateMath, gate: torch.Tensor, up: torch.Tensor, a: float,
                b: float) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile and for
    DTensors (whose dispatch runs the op on the local shards, ``autograd/sharding.py``)."""
    if is_compiling() or type(gate) not in PLAIN_TENSOR_TYPES:
        return forward_op(gate, up, m.key, a, b)
    return forward(m, gate, up, a, b)


def _composite_grads(m: GateMath, dy, gate, up):
    """(dgate, dup) through torch's composite ``act(gate) * up``, differentiable again
    (create_graph=True)."""
    with torch.enable_grad():
        out = m.torch_act(gate) * up
    return torch.autograd.grad(out, (gate, up), dy, create_graph=True)


class GatedMulFunction(torch.autograd.Function):
    """``act(gate) * up`` for two tensors; saves ``gate`` and ``up`` only."""

    @staticmethod
    def forward(ctx, gate, up, m: GateMath, a: float, b: float):
        ctx.save_for_backward(gate, up)
        ctx.math, ctx.a, ctx.b = m, a, b
        return run_forward(m, gate, up, a, b)

    @staticmethod
    def backward(ctx, dy):
        gate, up = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: torch's composite, differentiable
            dgate, dup = _composite_grads(ctx.math, dy, gate, up)
        elif is_compiling() or type(gate) not in PLAIN_TENSOR_TYPES:
            dgate, dup = backward_op(dy, gate, up, ctx.math.key, ctx.a, ctx.b)
        else:
            dgate, dup = backward(ctx.math, dy, gate, up, ctx.a, ctx.b)
        return dgate, dup, None, None, None


class GatedFunction(torch.autograd.Function):
    """``act(gate) * up`` over the two halves of one tensor; saves that tensor only."""

    @staticmethod
    def forward(ctx, x, m: GateMath, dim: int, gate_first: bool, a: float, b: float):
        ctx.save_for_backward(x)
        ctx.math, ctx.dim, ctx.gate_first, ctx.a, ctx.b = m, dim, gate_first, a, b
        gate, up = halves(x, dim, gate_first)
        return run_forward(m, gate, up, a, b)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        gate, up = halves(x, ctx.dim, ctx.gate_first)
        if torch.is_grad_enabled() or is_compiling():
            if torch.is_grad_enabled():  # create_graph=True: torch's composite, differentiable
                dgate, dup = _composite_grads(ctx.math, dy, gate, up)
            else:
                dgate, dup = backward_op(dy, gate, up, ctx.math.key, ctx.a, ctx.b)
            parts = (dgate, dup) if ctx.gate_first else (dup, dgate)
            return torch.cat(parts, ctx.dim), None, None, None, None, None
        dx = torch.empty_like(x, memory_format=torch.contiguous_format)  # torch's glu_backward's
        dgate, dup = halves(dx, ctx.dim, ctx.gate_first)  # written in place: no concatenation
        backward(ctx.math, dy, gate, up, ctx.a, ctx.b, dgate, dup)
        return dx, None, None, None, None, None
