"""The switch's first part: which aten operators tritonact serves, for which registry ops, and
what an operator's scalar arguments resolve to (the kernel's math and its two parameters).

The table (``tritonact.integrations.switch.OVERRIDES``, :func:`overrides`) is built from the
registry: each family's specs say which aten operators they serve (the elementwise ops'
:class:`Aten` entries, the row-wise ops' ``_<name>`` and ``_<name>_backward_data``, GLU's
``glu`` and ``glu_backward``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from tritonact.autograd.launch import rounded
from tritonact.integrations.switch import dispatch
from tritonact.kernels.activations import SELU_ALPHA, SELU_SCALE

#: What an override's scalar arguments resolve to: (the registry ops the call is, kernel key,
#: a, b), or None where tritonact does not compute the call exactly (torch's kernel runs).
Resolved = tuple[tuple[str, ...], str, float, float] | None


@dataclass(frozen=True)
class Override:
    """One aten operator (its default overload) that the switch implements.

    aten:     the operator's name in ``torch.ops.aten`` (``"gelu"``, ``"gelu_backward"``).
    ops:      the registry ops it serves (what ``include``/``exclude`` and ``verify`` name).
    kind:     ``forward``, ``inplace`` or ``backward`` (elementwise), ``rowwise`` or
              ``rowwise_backward``, ``gated`` or ``gated_backward``.
    resolve:  the operator's non-tensor arguments, in schema order -> :data:`Resolved`.
    tensors:  positions of the tensor arguments: ``(input,)``, or ``(grad, saved)`` for a
              backward.
    serve:    ``serve(override, selection) -> run(arguments)``, the family's computation of a
              call (``tritonact.integrations.switch.dispatch``): a result, or None for
              torch's kernel.
    """

    aten: str
    ops: tuple[str, ...]
    kind: str
    resolve: Callable[..., Resolved]
    tensors: tuple[int, ...] = (0,)
    serve: Callable | None = None

    @property
    def overload(self) -> torch._ops.OpOverload:
        return getattr(torch.ops.aten, self.aten).default


@dataclass(frozen=True)
class Aten:
    """How the switch serves an elementwise op through torch's aten operators: data on the op's
    registry entry (``Elementwise.aten``).

    forward:          the aten operator that computes the op (selu and celu are ``aten::elu``,
                      relu6 ``aten::hardtanh``); its in-place twin ``<forward>_`` too, where the
                      op has an in-place form.
    resolve:          that operator's scalar arguments -> :data:`Resolved`, where they are not
                      the op's parameters in order (elu's scale and input_scale).
    backward:         torch's derivative operator (tools/autograd/derivatives.yaml), if any.
    backward_resolve: its resolver, where its scalar arguments are not the forward's, and
                      ``backward_tensors`` the positions of its grad and saved tensor.
    """

    forward: str
    resolve: Callable[..., Resolved] | None = None
    backward: str | None = None
    backward_resolve: Callable[..., Resolved] | None = None
    backward_tensors: tuple[int, int] = (0, 1)


def default_aten(name: str) -> Aten:
    """An op's aten operators where its entry says nothing: ``aten::<name>`` and
    ``aten::<name>_backward`` (each only where torch has it with the op's parameters)."""
    return Aten(name, backward=f"{name}_backward")


# --- resolving aten arguments to the registry's kernels -----------------------------------------


def registry_resolver(spec) -> Callable[..., Resolved]:
    """Arguments in the spec's parameter order -> its kernel, where the spec supports them."""

    def resolve(*values) -> Resolved:
        floats, key = [], spec.name
        for param, value in zip(spec.params, values):
            if param.choices:
                if value not in param.choices:
                    return None  # torch's error (gelu's approximate='erf')
                key = spec.math_for(value).key
            else:
                floats.append(float(value))
        if spec.supported is not None and not spec.supported(*floats):
            return None
        a, b = (*floats, 0.0, 0.0)[:2]
        return (spec.name,), key, a, b

    return resolve


def elu_family(alpha: float, scale: float, input_scale: float) -> Resolved:
    """aten::elu's ``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``: elu
    (scale = input_scale = 1), selu (torch's constants) and celu (input_scale = 1 / alpha; in
    celu's backward torch's derivative formula passes ``1 / float32(alpha)``)."""
    alpha, scale, input_scale = float(alpha), float(scale), float(input_scale)
    if scale == 1.0 and input_scale == 1.0:
        return ("elu", "celu") if alpha == 1.0 else ("elu",), "elu", alpha, 0.0
    if (alpha, scale, input_scale) == (SELU_ALPHA.value, SELU_SCALE.value, 1.0):
        return ("selu",), "selu", 0.0, 0.0
    if scale == 1.0 and alpha != 0.0 and input_scale in (
            1.0 / alpha, 1.0 / rounded(alpha, torch.float32)):
        return ("celu",), "celu", alpha, 0.0
    return None


def elu_backward(alpha, scale, input_scale, is_result: bool) -> Resolved:
    """elu_backward from the input; from the result (in-place elu_) torch computes it."""
    return None if is_result else elu_family(alpha, scale, input_scale)


def threshold_backward(threshold) -> Resolved:
    """``0 if t <= threshold else grad``: relu's backward (threshold 0, t the output) and
    threshold's, whichever tensor t is; the threshold kernel's backward is exactly this."""
    threshold = float(threshold)
    ops = ("relu", "threshold") if threshold == 0.0 else ("threshold",)
    return ops, "threshold", threshold, 0.0


def hardtanh(min_val, max_val) -> Resolved:
    """hardtanh; relu6 is hardtanh(0, 6) in torch."""
    lo, hi = float(min_val), float(max_val)
    if lo > hi:
        return None
    return ("hardtanh", "relu6") if (lo, hi) == (0.0, 6.0) else ("hardtanh",), "hardtanh", lo, hi


def leaky_relu_backward(negative_slope, self_is_result: bool) -> Resolved:
    """``t > 0 ? grad : grad * slope`` from the input, or from the result when the slope is
    >= 0; torch refuses the result with a negative slope (its error)."""
    if self_is_result and float(negative_slope) < 0:
        return None
    return ("leaky_relu",), "leaky_relu", float(negative_slope), 0.0


def _has_backend_kernel(name: str) -> bool:
    """Whether aten::name has its own backend kernel (a composite such as relu6 or selu has
    none: it is covered by the operators it calls)."""
    return hasattr(torch.ops.aten, name) and torch._C._dispatch_has_kernel_for_dispatch_key(
        f"aten::{name}", "CPU")


def _scalar_names(name: str, skip: int = 1) -> list[str]:
    """The names of aten::name's arguments after its first ``skip`` tensors."""
    return [a.name for a in getattr(torch.ops.aten, name).default._schema.arguments[skip:]]


def elementwise_overrides(specs) -> list[Override]:
    """The overrides of the elementwise ops ``specs``: each aten forward (and its in-place
    twin) serving the ops whose :class:`Aten` names it, then each derivative operator."""
    by_forward: dict[str, list] = {}
    for spec in specs:
        aten = spec.aten or default_aten(spec.name)
        by_forward.setdefault(aten.forward, []).append((spec, aten))
    forwards: dict[str, Override] = {}
    table: list[Override] = []
    for name, entries in by_forward.items():
        if not _has_backend_kernel(name):
            continue
        entries.sort(key=lambda e: e[0].name != name)  # the operator's own op first
        spec, aten = entries[0]
        if aten.resolve is None and _scalar_names(name) != [p.name for p in spec.params]:
            continue  # aten's parameters are not the registry's: it needs its own resolver
        ops = tuple(s.name for s, _ in entries)
        resolve = aten.resolve or registry_resolver(spec)
        forwards[name] = Override(name, ops, "forward", resolve,
                                  serve=dispatch.elementwise_kernel)
        table.append(forwards[name])
        if any(s.inplace or s.inplace_name for s, _ in entries) and _has_backend_kernel(
                f"{name}_"):
            table.append(Override(f"{name}_", ops, "inplace", resolve,
                                  serve=dispatch.elementwise_kernel))
    backwards: dict[str, Override] = {}
    for spec in specs:
        aten = spec.aten or default_aten(spec.name)
        name = aten.backward
        if name is None or not _has_backend_kernel(name) or aten.forward not in forwards:
            continue
        if name in backwards:
            continue
        forward = forwards[aten.forward]
        if aten.backward_resolve is not None:
            ops = tuple(s.name for s in specs
                        if (s.aten or default_aten(s.name)).backward == name)
            backwards[name] = Override(name, ops, "backward", aten.backward_resolve,
                                       aten.backward_tensors, dispatch.elementwise_kernel)
        elif _scalar_names(name, skip=2) == _scalar_names(aten.forward):
            backwards[name] = Override(name, forward.ops, "backward", forward.resolve,
                                       (0, 1), dispatch.elementwise_kernel)
    return table + list(backwards.values())


def rowwise_overrides(spec) -> list[Override]:
    """A row-wise op's ``_<name>`` and ``_<name>_backward_data``."""
    resolve = lambda *_, name=spec.name: ((name,), name, 0.0, 0.0)
    table = []
    if _has_backend_kernel(f"_{spec.name}"):
        table.append(Override(f"_{spec.name}", (spec.name,), "rowwise", resolve,
                              serve=dispatch.rowwise_kernel))
    if _has_backend_kernel(f"_{spec.name}_backward_data"):
        table.append(Override(f"_{spec.name}_backward_data", (spec.name,), "rowwise_backward",
                              resolve, (0, 1), dispatch.rowwise_kernel))
    return table


def gated_overrides(spec) -> list[Override]:
    """A gated op torch has (glu): its ``aten::<name>`` and ``<name>_backward``."""
    if spec.torch_fn is None or not _has_backend_kernel(spec.name):
        return []
    resolve = lambda *_, spec=spec: ((spec.name,), spec.math_for().key, 0.0, 0.0)
    table = [Override(spec.name, (spec.name,), "gated", resolve, serve=dispatch.gated_kernel)]
    if _has_backend_kernel(f"{spec.name}_backward"):
        table.append(Override(f"{spec.name}_backward", (spec.name,), "gated_backward", resolve,
                              (0, 1), dispatch.gated_kernel))
    return table


def _build_overrides() -> tuple[Override, ...]:
    """The table, from the registry: each family's overrides (``Spec.family_overrides``), in
    the registry's order."""
    from tritonact.registry import SPECS

    families = list(dict.fromkeys(type(spec) for spec in SPECS))
    return tuple(override for family in families
                 for override in family.family_overrides([s for s in SPECS
                                                          if type(s) is family]))


@functools.cache
def overrides() -> tuple[Override, ...]:
    """Every override (``tritonact.integrations.switch.OVERRIDES``), built from the registry on
    first use (the registry's entries import this module for :class:`Aten` and the resolvers)."""
    return _build_overrides()


@functools.cache
def kernels_by_key() -> dict[str, tuple]:
    """kernel key (``"elu"``, ``"gelu:tanh"``) -> (its elementwise spec, whose checks a
    resolved call passes, and its math)."""
    from tritonact.families.elementwise import Elementwise
    from tritonact.registry import SPECS

    return {key: (spec, m) for spec in SPECS if isinstance(spec, Elementwise)
            for key, m in spec.kernels().items()}


def covered_ops() -> dict[str, list[str]]:
    """Registry op -> the aten operators the switch implements for it."""
    covered: dict[str, list[str]] = {}
    for override in overrides():
        for op in override.ops:
            covered.setdefault(op, []).append(override.aten)
    return covered
