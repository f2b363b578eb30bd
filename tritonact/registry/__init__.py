"""The registry: every op tritonact serves, one entry each, grouped by family.

Every consumer (``tritonact.functional``, ``tritonact.nn``, the switch, ``verify``, ``bench``,
``audit``, ``list``, the stubs) iterates :data:`SPECS` and calls the spec's methods; none of
them names an op or a family. Each family's entries have a module here
(``registry/elementwise.py``, ``registry/gated.py``, ...): adding an elementwise activation is
its three ``@triton.jit`` functions in ``kernels/activations.py`` and one :class:`Elementwise`
entry in ``ELEMENTWISE`` (the README's "Adding an activation" says what each field means). An
op defined outside this package is added with :func:`register` before ``tritonact.functional``
is imported.
"""

from __future__ import annotations

from collections.abc import Iterable

from tritonact.core.runtime import log_kernel_paths
from tritonact.families.base import REQUIRED, Param, Spec
from tritonact.families.biased import Biased
from tritonact.families.elementwise import Elementwise
from tritonact.families.gated import Gated
from tritonact.families.learnable import Learnable
from tritonact.families.parametric import Parametric
from tritonact.families.randomized import Randomized
from tritonact.families.rowwise import Rowwise
from tritonact.registry.biased import BIASED
from tritonact.registry.elementwise import ELEMENTWISE
from tritonact.registry.gated import GATED
from tritonact.registry.learnable import LEARNABLE
from tritonact.registry.parametric import PARAMETRIC
from tritonact.registry.randomized import RANDOMIZED
from tritonact.registry.rowwise import ROWWISE

__all__ = ["BIASED", "ELEMENTWISE", "GATED", "LEARNABLE", "OPS", "OP_NAMES", "PARAMETRIC",
           "RANDOMIZED", "REQUIRED", "ROWWISE", "SPECS", "Biased", "Elementwise", "Gated",
           "Learnable", "Param", "Parametric", "Randomized", "Rowwise", "register",
           "resolve_ops"]


#: Every op, in the order the API, ``list``, ``verify``, ``bench`` and the audit show them.
SPECS: list[Spec] = [*ELEMENTWISE, *ROWWISE, *GATED, *LEARNABLE, *RANDOMIZED, *PARAMETRIC,
                     *BIASED]
#: name -> spec, every op the registry knows.
OPS: dict[str, Spec] = {spec.name: spec for spec in SPECS}
#: Every public op name -> the registry op it names: the op's own name, a gated op's
#: two-tensor form (``silu_mul`` -> ``swiglu``) and an in-place form (``relu_`` -> ``relu``).
OP_NAMES: dict[str, str] = {name: spec.name for spec in SPECS for name in spec.public_names()}


def register(*specs: Spec) -> None:
    """Add ops (a spec of any family, tritonact's or one defined elsewhere) to the registry.
    Call it before ``tritonact.functional`` and ``tritonact.nn`` are imported: they are built
    from the registry once, at import. Raises ``ValueError`` for a name already taken."""
    for spec in specs:
        taken = [n for n in (spec.name, *spec.public_names()) if n in OP_NAMES]
        if taken:
            raise ValueError(f"{spec.__class__.__name__} {spec.name!r}: the names "
                             f"{', '.join(taken)} are taken")
        SPECS.append(spec)
        OPS[spec.name] = spec
        OP_NAMES.update(dict.fromkeys(spec.public_names(), spec.name))


def resolve_ops(names: Iterable[str]) -> list[str]:
    """The registry op each of ``names`` names (see :data:`OP_NAMES`), in order, once each.
    Raises ``ValueError`` naming every unknown name."""
    names = list(names)
    unknown = [name for name in names if name not in OP_NAMES]
    if unknown:
        raise ValueError(f"unknown ops: {', '.join(unknown)} (python -m tritonact list shows "
                         f"them)")
    return list(dict.fromkeys(OP_NAMES[name] for name in names))


# Every public module (functional, nn, the switch, replace_activations, the CLI) loads the kernels
# through this registry: say once which tensors they will run on.
log_kernel_paths()
