"""What a family says of the aten operators it serves (the switch, ``tritonact.use()``): one
:class:`Override` per operator, with how its arguments resolve to a kernel and how a call is
served; an elementwise op's :class:`Aten` entry names its operators. The families build their
overrides (``Spec.aten_overrides``, ``Spec.family_overrides``) from these types;
``tritonact.integrations.switch`` collects them from the registry and registers them with
torch's dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

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
              call: a result, or None for torch's kernel.
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


def has_backend_kernel(name: str) -> bool:
    """Whether aten::name has its own backend kernel (a composite such as relu6 or selu has
    none: it is covered by the operators it calls)."""
    return hasattr(torch.ops.aten, name) and torch._C._dispatch_has_kernel_for_dispatch_key(
        f"aten::{name}", "CPU")


def scalar_names(name: str, skip: int = 1) -> list[str]:
    """The names of aten::name's arguments after its first ``skip`` tensors."""
    return [a.name for a in getattr(torch.ops.aten, name).default._schema.arguments[skip:]]


def same_meta(*tensors: torch.Tensor) -> bool:
    """Whether the tensors share dtype, device and shape (a call the kernels take as it is)."""
    first = tensors[0]
    return all(t.dtype == first.dtype and t.device == first.device and t.shape == first.shape
               for t in tensors[1:])
