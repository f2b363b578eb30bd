"""The gated ops' functional forms: over the halves (or the interleaved pairs) of one
tensor, on a DTensor, and the two-tensor ``act(gate) * up`` form."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch

from tritonact.autograd import gated
from tritonact.autograd.gated import GateMath
from tritonact.autograd.launch import PLAIN_TENSOR_TYPES, served
from tritonact.families.base import Spec, bind_arguments, named


def halves_text(spec: Spec) -> str:
    first, second = ("even", "odd") if spec.interleaved else ("first", "second")
    gate, up = (first, second) if spec.gate_first else (second, first)
    kind = "elements" if spec.interleaved else "half"
    return f"{gate} {kind} of ``dim`` and up the {up} {kind}"


# --- the functional forms --------------------------------------------------------------------


def make_function(spec: Spec) -> Callable[..., torch.Tensor]:
    """The op over the two halves of ``dim`` of one tensor (no copy: the halves are views, and
    the gradient's halves are written in place)."""
    defaults = spec.defaults
    names = tuple(defaults)
    default_values = tuple(defaults.values())
    n_positional = len(spec.mul_defaults)
    default_math = spec.math_for()
    default_params = spec.param_values(defaults)
    default_layout = (spec.gate_first, spec.interleaved)

    def function(input: torch.Tensor, dim: int = -1, *args, **kwargs) -> torch.Tensor:
        if args or kwargs:
            values = dict(zip(names, bind_arguments(spec.name, names, default_values,
                                                    n_positional, args, kwargs)))
            m = spec.math_for(values.get("approximate", "none"))
            params = spec.param_values(values)
            layout = (values.get("gate_first", spec.gate_first),
                      values.get("interleaved", spec.interleaved))
            usable = m is not None and spec.accepts(params)
        else:
            values, m, params, layout, usable = {}, default_math, default_params, \
                default_layout, True
        ndim = input.dim()
        if ndim == 0 and served(input):
            raise RuntimeError(f"{spec.name} does not support scalars because halving size "
                               f"must be even")
        if not served(input) or not usable or type(dim) is not int or not -ndim <= dim < ndim:
            return spec.reference(input, dim, **values)  # torch's result or error
        size = input.shape[dim]
        dim %= ndim
        if size % 2:
            raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                               f"{size}")
        floats = tuple(float(v) for v in params)
        if type(input) not in PLAIN_TENSOR_TYPES:  # a DTensor: the only other type served
            return _sharded(spec.name, m, input, dim, *map(bool, layout), floats)
        if input.requires_grad and torch.is_grad_enabled():
            return gated.GatedFunction.apply(input, m, dim, bool(layout[0]), bool(layout[1]),
                                             floats)
        gate, up = gated.halves(input, dim, *map(bool, layout))
        return gated.run_forward(m, gate, up, *gated.kernel_scalars(floats))

    kind = inspect.Parameter
    function.__signature__ = inspect.Signature([
        kind("input", kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor),
        kind("dim", kind.POSITIONAL_OR_KEYWORD, default=-1, annotation=int),
        *(kind(n, kind.POSITIONAL_OR_KEYWORD if i < n_positional else kind.KEYWORD_ONLY,
               default=v, annotation=type(v)) for i, (n, v) in enumerate(defaults.items()))],
        return_annotation=torch.Tensor)
    options = (" ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is "
               "``swiglu(x, gate_first=False)``); ``interleaved=True`` takes the even and the "
               "odd elements of ``dim`` (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) "
               "instead of its halves, read in place as pairs (no copy)."
               if spec.has_layout_options else " As torch.nn.functional.glu.")
    return named(function, spec.name, (
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Split ``dim`` in two: by default the gate is the {halves_text(spec)}.{options} "
        f"One launch forward and one backward; saves only the input. Odd sizes raise "
        f"torch.nn.functional.glu's error.\n"
    ))


def _sharded(name: str, m: GateMath, input, dim: int, gate_first: bool, interleaved: bool,
             floats: tuple[float, ...]):
    """A gated op on a DTensor: the halves are split by DTensor's own ``chunk`` (on a sharded
    split dim, torch's rule gathers that dim first: each rank's shard of ``[gate | up]`` does not
    hold matching gate and up elements), then the two-tensor op runs on the halves' shards, with
    torch's autograd through the split."""
    from torch.distributed.tensor import Replicate

    from tritonact.autograd.launch import note_once

    if any(p.is_partial() for p in input.placements):  # torch's glu rule: reduced first
        note_once(name, "a Partial input is reduced to Replicate first (torch's glu rule)")
        input = input.redistribute(placements=[Replicate() if p.is_partial() else p
                                               for p in input.placements])
    if any(p.is_shard(dim) for p in input.placements):
        note_once(name, f"split dim {dim} sharded: gathered by torch's split rule first (a "
                        f"local split would pair the wrong elements)")
    gate, up = gated.halves(input, dim, gate_first, interleaved)
    if (gate.requires_grad or up.requires_grad) and torch.is_grad_enabled():
        return gated.GatedMulFunction.apply(gate, up, m, floats)
    return gated.run_forward(m, gate, up, *gated.kernel_scalars(floats))


def make_mul(spec: Spec) -> Callable[..., torch.Tensor]:
    """``act(gate) * up`` for models that keep gate and up apart (any layouts, no copy for
    ``[rows, columns]`` with a column step of 1 or 2)."""
    defaults = spec.mul_defaults
    names = tuple(defaults)
    default_values = tuple(defaults.values())
    default_math = spec.math_for()
    default_params = tuple(float(v) for v in spec.param_values(defaults))

    def function(gate: torch.Tensor, up: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        if args or kwargs:
            values = dict(zip(names, bind_arguments(spec.mul_name, names, default_values,
                                                    len(names), args, kwargs)))
            m = spec.math_for(values.get("approximate", "none"))
            params = spec.param_values(values)
            usable = m is not None and spec.accepts(params)
        else:
            values, m, params, usable = {}, default_math, default_params, True
        if (not usable or not (served(gate) and served(up)) or gate.shape != up.shape
                or gate.dtype != up.dtype or gate.device != up.device):
            return spec.reference_mul(gate, up, **values)  # torch's result or error
        floats = tuple(float(v) for v in params)
        if (gate.requires_grad or up.requires_grad) and torch.is_grad_enabled():
            return gated.GatedMulFunction.apply(gate, up, m, floats)
        return gated.run_forward(m, gate, up, *gated.kernel_scalars(floats))

    kind = inspect.Parameter
    function.__signature__ = inspect.Signature([
        kind("gate", kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor),
        kind("up", kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor),
        *(kind(n, kind.POSITIONAL_OR_KEYWORD, default=v, annotation=type(v))
          for n, v in defaults.items())], return_annotation=torch.Tensor)
    return named(function, spec.mul_name, (
        f"{spec.mul_name}(gate, up) = {spec.formula.split(', (a, b)')[0]} with a = gate, "
        f"b = up, fused: one launch forward, one backward giving both gradients; saves gate "
        f"and up only.\n"
    ))
