"""``replace_activations(model)``: tritonact's modules in a model that already exists.

Every ``tritonact.nn`` class that subclasses a ``torch.nn`` class of the same name (and overrides
``forward`` only) is the replacement for that class, so the table below is built from
``tritonact.nn.__all__``: a module added to the registry is picked up with no change here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from torch import nn

__all__ = ["replace_activations", "replacements"]

log = logging.getLogger("tritonact")

Selector = str | type[nn.Module]


def replacements() -> dict[type[nn.Module], type[nn.Module]]:
    """torch.nn class -> its tritonact.nn subclass, for every class tritonact.nn exports that
    subclasses torch's class of the same name (SwiGLU and the like, which torch lacks, have
    nothing to replace)."""
    from tritonact import nn as tnn

    table = {}
    for name in tnn.__all__:
        ours = getattr(tnn, name)
        base = ours.__bases__[0]
        if base.__name__ == name and getattr(nn, name, None) is base:
            table[base] = ours
    return table


def _resolve(selectors: Iterable[Selector], table: dict) -> set[type[nn.Module]]:
    """torch.nn classes named by class (torch's or tritonact's), class name (``"GELU"``) or
    functional name (``"gelu"``, case-insensitive)."""
    by_name = {cls.__name__.lower(): cls for cls in table}
    chosen = set()
    for selector in [selectors] if isinstance(selectors, (str, type)) else selectors:
        if isinstance(selector, type):
            base = next((b for b in selector.__mro__ if b in table), None)
            if base is None:
                raise ValueError(f"tritonact has no replacement for {selector.__name__}")
            chosen.add(base)
            continue
        key = selector.lower().replace("_", "")
        if key not in by_name:
            raise ValueError(f"tritonact has no replacement for {selector!r}; it replaces "
                             f"{sorted(c.__name__ for c in table)}")
        chosen.add(by_name[key])
    return chosen


def replace_activations(model: nn.Module, include: Iterable[Selector] | None = None,
                        exclude: Iterable[Selector] | None = None) -> nn.Module:
    """Swap every torch.nn activation module in ``model`` (at any depth, ``model`` itself
    included) for tritonact's subclass; return ``model``.

    The swap changes the module's class and nothing else (tritonact's classes subclass torch's
    and override ``forward`` only): the object, its hyperparameters (``inplace``,
    ``negative_slope``, ``approximate``, ``dim``, PReLU's weight Parameter itself), training
    mode, device, dtype, hooks and state_dict are kept, so references held elsewhere (an
    optimizer's parameters) stay valid. Only modules whose type is exactly a torch class that
    tritonact replaces are touched (a user's subclass keeps its own forward), so a second call
    changes nothing. ``include``/``exclude`` take classes or names (``"GELU"``, ``"gelu"``).
    Each replacement is logged at INFO on the ``tritonact`` logger. The swapped modules run
    tritonact's kernels on CUDA tensors (and on the CPU only while ``TRITON_INTERPRET=1``);
    elsewhere they run torch's own kernels, as before the swap.
    """
    table = replacements()
    selected = set(table) if include is None else _resolve(include, table)
    selected -= _resolve(exclude or (), table)
    names = {}
    for name, module in model.named_modules(remove_duplicate=False):
        names.setdefault(id(module), name or "<model>")
    replaced = 0
    for module in model.modules():
        cls = type(module)
        if cls in selected:
            module.__class__ = table[cls]
            replaced += 1
            log.info("tritonact: %s (%s) now runs tritonact's kernels", names[id(module)],
                     cls.__name__)
    log.info("tritonact: replaced %d activation module(s) in %s", replaced,
             type(model).__name__)
    return model
