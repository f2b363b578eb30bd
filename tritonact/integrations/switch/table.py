"""The switch's table: which aten operators tritonact serves, for which registry ops. Built
from the registry on first use: each family's specs say which operators they serve and how a
call is computed (``Spec.aten_overrides``, ``Spec.family_overrides``; the types are
``tritonact.core.override``'s)."""

from __future__ import annotations

import functools

from tritonact.core.override import Override


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
    first use (registering ops with ``tritonact.registry.register`` after it is not seen)."""
    return _build_overrides()


def covered_ops() -> dict[str, list[str]]:
    """Registry op -> the aten operators the switch implements for it."""
    covered: dict[str, list[str]] = {}
    for override in overrides():
        for op in override.ops:
            covered.setdefault(op, []).append(override.aten)
    return covered
