"""How the elementwise ops serve torch's own aten operators (the switch): each op's forward
operator (and its in-place twin), then each derivative operator, resolved to the op's kernel
and computed with the raw launchers, or handed back to torch's kernel where tritonact does not
compute the call exactly."""

from __future__ import annotations

import functools
from collections.abc import Callable

from tritonact.autograd import elementwise
from tritonact.autograd.launch import served, writable_in_place
from tritonact.core.override import (
    Override,
    Resolved,
    default_aten,
    has_backend_kernel,
    same_meta,
    scalar_names,
)


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


def elementwise_overrides(specs) -> list[Override]:
    """The overrides of the elementwise ops ``specs``: each aten forward (and its in-place
    twin) serving the ops whose :class:`~tritonact.core.override.Aten` names it, then each
    derivative operator."""
    kernels = {key: (spec, m) for spec in specs for key, m in spec.kernels().items()}
    serve = functools.partial(serve_elementwise, kernels)
    by_forward: dict[str, list] = {}
    for spec in specs:
        aten = spec.aten or default_aten(spec.name)
        by_forward.setdefault(aten.forward, []).append((spec, aten))
    forwards: dict[str, Override] = {}
    table: list[Override] = []
    for name, entries in by_forward.items():
        if not has_backend_kernel(name):
            continue
        entries.sort(key=lambda e: e[0].name != name)  # the operator's own op first
        spec, aten = entries[0]
        if aten.resolve is None and scalar_names(name) != [p.name for p in spec.params]:
            continue  # aten's parameters are not the registry's: it needs its own resolver
        ops = tuple(s.name for s, _ in entries)
        resolve = aten.resolve or registry_resolver(spec)
        forwards[name] = Override(name, ops, "forward", resolve, serve=serve)
        table.append(forwards[name])
        if any(s.inplace or s.inplace_name for s, _ in entries) and has_backend_kernel(
                f"{name}_"):
            table.append(Override(f"{name}_", ops, "inplace", resolve, serve=serve))
    backwards: dict[str, Override] = {}
    for spec in specs:
        aten = spec.aten or default_aten(spec.name)
        name = aten.backward
        if name is None or not has_backend_kernel(name) or aten.forward not in forwards:
            continue
        if name in backwards:
            continue
        forward = forwards[aten.forward]
        if aten.backward_resolve is not None:
            ops = tuple(s.name for s in specs
                        if (s.aten or default_aten(s.name)).backward == name)
            backwards[name] = Override(name, ops, "backward", aten.backward_resolve,
                                       aten.backward_tensors, serve)
        elif scalar_names(name, skip=2) == scalar_names(aten.forward):
            backwards[name] = Override(name, forward.ops, "backward", forward.resolve,
                                       (0, 1), serve)
    return table + list(backwards.values())


def serve_elementwise(kernels: dict[str, tuple], override: Override,
                      selection: frozenset[str]):
    """The forward, in-place or backward kernel for ``override``; torch's own where tritonact
    does not serve the call exactly. ``kernels``: kernel key -> (its spec, whose checks a
    resolved call passes, and its math)."""
    schema = override.overload._schema
    scalar_at = [i for i in range(len(schema.arguments)) if i not in override.tensors]
    kind = override.kind

    def run(args: list):
        tensors = [args[i] for i in override.tensors]
        if not all(map(served, tensors)) or not same_meta(*tensors):
            return None
        try:
            resolved = override.resolve(*(args[i] for i in scalar_at))
        except (TypeError, ValueError):  # a complex Scalar, say: torch's result or error
            return None
        if resolved is None or selection.isdisjoint(resolved[0]):
            return None
        _, key, a, b = resolved
        spec, m = kernels[key]
        if not spec.accepts(tensors[0].dtype, (a, b)[:len(spec.float_params)]):
            return None  # torch's overflow or range error
        if kind == "forward":
            return elementwise.forward(m, tensors[0], a, b)
        if kind == "inplace":
            if not writable_in_place(tensors[0]):
                return None  # torch's error for an expanded or inference tensor
            return elementwise.forward(m, tensors[0], a, b, inplace=True)
        return elementwise.backward(m, *tensors, a, b)  # in aten's gradient layout

    return run
