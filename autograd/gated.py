"""Launchers, torch.library ops and autograd Functions for the gated activations
(``act(gate) * up``, or ``act(gate) * up_transform(up)``). Generic: the launchers take the gate's
:class:`GateMath` (which the registry entry holds); the custom ops find it by its key."""

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
    dtensor_rules,
    file_under_key,
    is_compiling,
    launch,
    scalar_args,
)


@dataclass(frozen=True)
class GateMath:
    """A gated op's math under its key (``"silu"``, ``"gelu:tanh"``): the gate activation's
    elementwise forward and its backward from the input (``@triton.jit``, see
    ``tritonact.kernels.activations``), and torch's activation (the reference, and double
    backward through torch's composite). ``up`` and ``up_backward`` transform the up operand
    before the product (gpt-oss's ``clamp(up, -limit, limit) + 1``; None: up as it is), and
    ``torch_up`` is torch's transform (None: none). The torch functions take the tensor, then
    the op's scalar parameters in order: ``act(gate, *params) * up_transform(up, *params)``."""

    key: str
    forward: triton.JITFunction
    backward: triton.JITFunction
    torch_act: Callable[..., torch.Tensor]
    up: triton.JITFunction | None = None
    up_backward: triton.JITFunction | None = None
    torch_up: Callable[..., torch.Tensor] | None = None
    #: The gate's gradient multiplies the up operand last, ``act'(gate) * dy * up`` (torch's
    #: fused glu_backward, finite where ``dy * up`` alone overflows), rather than taking
    #: ``dy * up`` through act's backward as autograd of the composite does.
    up_last: bool = False

    def __post_init__(self) -> None:
        file_under_key(_BY_KEY, self)

    def composite(self, gate: torch.Tensor, up: torch.Tensor,
                  params: tuple[float, ...] = ()) -> torch.Tensor:
        """torch's eager composite ``act(gate) * up_transform(up)``: the reference."""
        act = self.torch_act(gate, *params)
        return act * (up if self.torch_up is None else self.torch_up(up, *params))

    def forward_fns(self) -> dict[str, triton.JITFunction]:
        """The forward kernel's math meta-parameters."""
        return {"ACT": self.forward, "UP": self.up}

    def backward_fns(self) -> dict[str, triton.JITFunction]:
        """The backward kernel's math meta-parameters."""
        return {"ACT": self.forward, "ACT_BACKWARD": self.backward, "UP": self.up,
                "UP_BACKWARD": self.up_backward, "UP_LAST": self.up_last}


def kernel_scalars(params: tuple[float, ...]) -> tuple[float, float]:
    """An op's scalar parameters as the kernels' ``a``, ``b`` (0.0 for the unused)."""
    a, b = (*params, 0.0, 0.0)[:2]
    return float(a), float(b)


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


def _pair_order(first: torch.Tensor, second: torch.Tensor) -> bool | None:
    """Whether ``first`` is the even element of each pair when ``first`` and ``second`` are
    the interleaved halves of one tensor (``x[..., ::2]`` and ``x[..., 1::2]``, either way
    round: one element apart, with the same even strides); None when they are not."""
    if (first.shape != second.shape or first.stride() != second.stride() or first.dim() == 0
            or first.untyped_storage().data_ptr() != second.untyped_storage().data_ptr()
            or abs(first.storage_offset() - second.storage_offset()) != 1
            or any(s % 2 for s, n in zip(first.stride(), first.shape) if n != 1)):
        return None
    return first.storage_offset() < second.storage_offset()


#: Each kernel's operands that may be interleaved halves, and the meta-parameters saying so:
#: (first, second, PAIRED flag, FIRST_EVEN flag).
_PAIRS = {"forward": ((0, 1, "PAIRED", "GATE_EVEN"),),
          "backward": ((1, 2, "PAIRED", "GATE_EVEN"), (3, 4, "GRAD_PAIRED", "DGATE_EVEN"))}


def _pairs(kernel_name: str, tensors: list[torch.Tensor]) -> tuple[set[int], dict[str, bool]]:
    """(indices of the operands read or written as interleaved pairs, their meta-parameters)."""
    paired, meta = set(), {}
    for first, second, flag, order in _PAIRS[kernel_name]:
        even = _pair_order(tensors[first], tensors[second])
        meta[flag], meta[order] = even is not None, bool(even)
        if even is not None:
            paired |= {first, second}
    return paired, meta


def _rows_cols(tensors: list[torch.Tensor], paired: frozenset[int] | set[int] = frozenset()):
    """(n_rows, n_cols, row strides) when every tensor is ``[rows, cols]`` with contiguous
    columns after coalescing (the output, last, sets the order), counting the operands in
    ``paired`` (interleaved halves) in pairs of elements; else None. Row strides are in
    elements."""
    unit = [2 if i in paired else 1 for i in range(len(tensors))]
    sizes, strides = coalesce(tensors[-1].shape, [[s // u for s in t.stride()]
                                                  for t, u in zip(tensors, unit)])
    if not sizes:
        return 1, 1, [0] * len(tensors)
    if any(s[-1] != 1 for s in strides) or len(sizes) > 2:
        return None
    if len(sizes) == 1:
        return 1, sizes[0], [0] * len(tensors)
    return sizes[0], sizes[1], [s[0] * u for s, u in zip(strides, unit)]


def plan(kernel, tensors: list[torch.Tensor], a: float, b: float, **fns):
    """(grid, arguments, meta-parameters) of ``kernel`` over ``tensors`` (inputs, then outputs),
    all ``[rows, contiguous cols]`` or interleaved halves (see :func:`_rows_cols`). The audit
    compiles what this returns."""
    paired, pair_meta = _pairs("forward" if kernel is kernels.forward else "backward", tensors)
    n_rows, n_cols, row_strides = _rows_cols(tensors, paired)
    size = block(kernel, tensors[-1].dtype)
    extent = max((n_rows - 1) * s + (n_cols + size) * (2 if i in paired else 1)
                 for i, s in enumerate(row_strides))
    grid = (n_rows * triton.cdiv(n_cols, size),)
    return grid, (*tensors, n_cols, *row_strides, *scalar_args(a, b)), dict(
        fns, **pair_meta, BLOCK=size, WIDE=max(extent, grid[0] * size) > INT32_LIMIT)


def _launch(kernel, tensors: list[torch.Tensor], n_outputs: int, a: float, b: float, **fns):
    paired, _ = _pairs("forward" if kernel is kernels.forward else "backward", tensors)
    if _rows_cols(tensors, paired) is None:  # inputs copied to the outputs' layout
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
        _launch(kernels.forward, [gate, up, out], 1, a, b, **m.forward_fns())
    return out


def backward(m: GateMath, dy: torch.Tensor, gate: torch.Tensor, up: torch.Tensor, a: float,
             b: float, dgate: torch.Tensor | None = None, dup: torch.Tensor | None = None):
    """``(dgate, dup)`` in one launch, written into ``dgate``/``dup`` when given (the halves of
    one gradient tensor for the single-tensor forms)."""
    dgate = torch.empty(gate.shape, dtype=gate.dtype, device=gate.device) if dgate is None \
        else dgate
    dup = torch.empty(up.shape, dtype=up.dtype, device=up.device) if dup is None else dup
    if dgate.numel():
        fns = m.backward_fns()
        pair = _pair_order(dgate, dup)
        if (dgate.stride() == dup.stride()
                and _rows_cols([dgate, dup], {0, 1} if pair is not None else set()) is not None):
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


def _sharding_rules() -> None:
    """The DTensor rules of this module's custom ops: pointwise, and linear in up
    (``autograd/sharding.py``)."""
    from torch.distributed.tensor import Partial, Replicate
    from torch.distributed.tensor.experimental import register_sharding

    from .sharding import note_partial, pointwise

    @register_sharding(torch.ops.tritonact.gated_forward.default)
    def _(gate, up, key, a, b):
        note_partial("gated_forward", gate)
        # linear in up: a Partial up stays Partial with the gate replicated (torch's rule for
        # the product act(gate) * up, which its composite gives)
        linear_in_up = ([Partial()], [Replicate(), Partial(), None, None, None])
        return [*pointwise([gate, up], 3, 1), linear_in_up]

    @register_sharding(torch.ops.tritonact.gated_backward.default)
    def _(dy, gate, up, key, a, b):
        note_partial("gated_backward", dy, gate, up)
        return pointwise([dy, gate, up], 3, 2)


dtensor_rules.append(_sharding_rules)


def halves(x: torch.Tensor, dim: int, gate_first: bool, interleaved: bool = False):
    """(gate, up): views of the two halves of ``x`` along ``dim``, no copy: the first and the
    second half, or (``interleaved``) the even and the odd elements (``x[..., ::2]``,
    ``x[..., 1::2]``, as gpt-oss's checkpoints store gate and up)."""
    if interleaved:
        lead = (slice(None),) * (dim % x.dim())
        first, second = x[(*lead, slice(0, None, 2))], x[(*lead, slice(1, None, 2))]
    else:
        first, second = x.chunk(2, dim)
    return (first, second) if gate_first else (second, first)


def join_halves(dgate: torch.Tensor, dup: torch.Tensor, dim: int, gate_first: bool,
                interleaved: bool) -> torch.Tensor:
    """The tensor whose :func:`halves` are ``dgate`` and ``dup`` (a new one, by torch ops)."""
    first, second = (dgate, dup) if gate_first else (dup, dgate)
    dim %= dgate.dim()
    if interleaved:
        return torch.stack((first, second), dim + 1).flatten(dim, dim + 1)
    return torch.cat((first, second), dim)


def run_forward(m: GateMath, gate: torch.Tensor, up: torch.Tensor, a: float,
                b: float) -> torch.Tensor:
    """Forward launch: direct in eager mode, through the custom op under torch.compile and for
    DTensors (whose dispatch runs the op on the local shards, ``autograd/sharding.py``)."""
    if is_compiling() or type(gate) not in PLAIN_TENSOR_TYPES:
        return forward_op(gate, up, m.key, a, b)
    return forward(m, gate, up, a, b)


def _composite_grads(m: GateMath, dy, gate, up, params: tuple[float, ...]):
    """(dgate, dup) through torch's composite, differentiable again (create_graph=True)."""
    with torch.enable_grad():
        out = m.composite(gate, up, params)
    return torch.autograd.grad(out, (gate, up), dy, create_graph=True)


class GatedMulFunction(torch.autograd.Function):
    """``act(gate) * up`` for two tensors; saves ``gate`` and ``up`` only. ``params``: the
    op's scalar parameters (the kernels' ``a``, ``b``)."""

    @staticmethod
    def forward(ctx, gate, up, m: GateMath, params: tuple[float, ...]):
        ctx.save_for_backward(gate, up)
        ctx.math, ctx.params = m, params
        return run_forward(m, gate, up, *kernel_scalars(params))

    @staticmethod
    def backward(ctx, dy):
        gate, up = ctx.saved_tensors
        a, b = kernel_scalars(ctx.params)
        if torch.is_grad_enabled():  # create_graph=True: torch's composite, differentiable
            dgate, dup = _composite_grads(ctx.math, dy, gate, up, ctx.params)
        elif is_compiling() or type(gate) not in PLAIN_TENSOR_TYPES:
            dgate, dup = backward_op(dy, gate, up, ctx.math.key, a, b)
        else:
            dgate, dup = backward(ctx.math, dy, gate, up, a, b)
        return dgate, dup, None, None


class GatedFunction(torch.autograd.Function):
    """``act(gate) * up`` over the two halves of one tensor (see :func:`halves`); saves that
    tensor only."""

    @staticmethod
    def forward(ctx, x, m: GateMath, dim: int, gate_first: bool, interleaved: bool,
                params: tuple[float, ...]):
        ctx.save_for_backward(x)
        ctx.math, ctx.dim, ctx.params = m, dim, params
        ctx.gate_first, ctx.interleaved = gate_first, interleaved
        gate, up = halves(x, dim, gate_first, interleaved)
        return run_forward(m, gate, up, *kernel_scalars(params))

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        gate, up = halves(x, ctx.dim, ctx.gate_first, ctx.interleaved)
        a, b = kernel_scalars(ctx.params)
        if torch.is_grad_enabled() or is_compiling():
            if torch.is_grad_enabled():  # create_graph=True: torch's composite, differentiable
                dgate, dup = _composite_grads(ctx.math, dy, gate, up, ctx.params)
            else:
                dgate, dup = backward_op(dy, gate, up, ctx.math.key, a, b)
            dx = join_halves(dgate, dup, ctx.dim, ctx.gate_first, ctx.interleaved)
            return dx, None, None, None, None, None
        dx = torch.empty_like(x, memory_format=torch.contiguous_format)  # torch's glu_backward's
        # written in place: no concatenation
        dgate, dup = halves(dx, ctx.dim, ctx.gate_first, ctx.interleaved)
        backward(ctx.math, dy, gate, up, a, b, dgate, dup)
        return dx, None, None, None, None, None
