"""``replace_activations(model)``: tritonact's modules in a model that already exists.

Every ``tritonact.nn`` class that subclasses a ``torch.nn`` class of the same name (and overrides
``forward`` only) is the replacement for that class, so the table below is built from
``tritonact.nn.__all__``: a module added to the registry is picked up with no change here. Such
a module's class is swapped in place. Other libraries' activation classes (Hugging Face's
``SiLUActivation``, timm's ``GELU``, ...: :mod:`tritonact.integrations.thirdparty`) and a user's own
(``extra=``) cannot become a tritonact class and keep their type, so the module object is
replaced in its parent's slot(s) by the tritonact module its converter builds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from torch import nn

from tritonact.integrations.thirdparty import (
    ALIASES,
    THIRD_PARTY,
    Conversion,
    convert,
    qualified_name,
)

__all__ = ["Replaced", "Replacement", "replace_activations", "replacements"]

log = logging.getLogger("tritonact")

Selector = str | type[nn.Module]
#: A user's converter (``extra=``): the module -> its replacement, or None to keep it.
Factory = Callable[[nn.Module], nn.Module | None]

#: Class names that look like activations: a model holding one that tritonact has no mapping
#: for is worth a warning when nothing was replaced.
_ACTIVATION_LIKE = re.compile(r"activation$|gelu|silu|swish|mish|relu|sigmoid|tanh|softplus|snake",
                              re.IGNORECASE)


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


@dataclass
class Replaced:
    """One module replaced by another object: ``slots`` are the ``(parent, name)`` pairs that
    held ``old`` and now hold ``new`` (empty for the model itself)."""

    path: str
    old: nn.Module
    new: nn.Module
    slots: list[tuple[nn.Module, str]] = field(default_factory=list)
    note: str = ""


@dataclass
class Replacement:
    """What one call changed: ``swapped`` (path, module, its class before) for class swaps,
    ``replaced`` for object replacements, ``skipped`` (path, class name, why) for activation
    classes left as they were."""

    swapped: list[tuple[str, nn.Module, type[nn.Module]]] = field(default_factory=list)
    replaced: list[Replaced] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.swapped) + len(self.replaced)


def _third_party_names() -> dict[str, set[str]]:
    """Selector key (lower case, no underscores) -> the qualified names it selects: each
    class's own name, its qualified name and its aliases (``ACT2FN``'s ``"xielu"``)."""
    keys: dict[str, set[str]] = {}
    for qualified in THIRD_PARTY:
        for key in (qualified.rsplit(".", 1)[1], qualified, *ALIASES.get(qualified, ())):
            keys.setdefault(key.lower().replace("_", ""), set()).add(qualified)
    return keys


def _resolve(selectors: Iterable[Selector], table: dict,
             extra: Mapping[type, Factory]) -> set[type[nn.Module] | str]:
    """The keys selected: torch.nn classes (named by class, torch's or tritonact's, class name
    ``"GELU"`` or functional name ``"gelu"``, case-insensitive), third-party classes' qualified
    names (named by class, class name or qualified name) and ``extra``'s classes."""
    by_name = {cls.__name__.lower(): cls for cls in table}
    third_party = _third_party_names()
    chosen: set[type[nn.Module] | str] = set()
    for selector in [selectors] if isinstance(selectors, (str, type)) else selectors:
        if isinstance(selector, type):
            base = next((b for b in selector.__mro__ if b in table), None)
            if selector in extra:
                chosen.add(selector)
            elif qualified_name(selector) in THIRD_PARTY:
                chosen.add(qualified_name(selector))
            elif base is not None:
                chosen.add(base)
            else:
                raise ValueError(f"tritonact has no replacement for {selector.__name__}; pass "
                                 f"extra={{{selector.__name__}: factory}} to give it one")
            continue
        key = selector.lower().replace("_", "")
        found = ({by_name[key]} if key in by_name else set()) | third_party.get(key, set())
        found |= {cls for cls in extra if cls.__name__.lower().replace("_", "") == key}
        if not found:
            raise ValueError(f"tritonact has no replacement for {selector!r}; it replaces "
                             f"{sorted(c.__name__ for c in table)} and {sorted(THIRD_PARTY)}")
        chosen |= found
    return chosen


def _key(module: nn.Module, table: dict, extra: Mapping[type, Factory]):
    """The selector key of ``module``'s exact class, or None when tritonact does not replace
    it."""
    cls = type(module)
    if cls in extra:
        return cls
    if cls in table:
        return cls
    qualified = qualified_name(cls)
    return qualified if qualified in THIRD_PARTY else None


def _conversion(module: nn.Module, extra: Mapping[type, Factory]) -> Conversion:
    factory = extra.get(type(module))
    if factory is None:
        return convert(module)
    new = factory(module)
    return Conversion(new, "" if new is not None else "extra's factory returned None")


def replace(model: nn.Module, include: Iterable[Selector] | None = None,
            exclude: Iterable[Selector] | None = None,
            extra: Mapping[type, Factory] | None = None, *, root: bool = True,
            report: bool = True, saved_bits: int | None = None) -> tuple[nn.Module, Replacement]:
    """:func:`replace_activations`, returning the model (or the model's replacement, where the
    model itself is a third-party activation) and what it changed. ``root=False`` leaves a
    third-party model itself as it is; ``report=False`` logs nothing (the caller does)."""
    from tritonact.core import fewbit

    fewbit.check_bits(saved_bits)
    table = replacements()
    extra = dict(extra or {})
    everything = set(table) | set(THIRD_PARTY) | set(extra)
    selected = everything if include is None else _resolve(include, table, extra)
    selected -= _resolve(exclude or (), table, extra)
    paths: dict[int, str] = {}
    slots: dict[int, list[tuple[nn.Module, str]]] = {}
    for path, parent in model.named_modules(remove_duplicate=False):
        paths.setdefault(id(parent), path or "<model>")
        for name, child in parent._modules.items():
            if child is not None and (parent, name) not in slots.setdefault(id(child), []):
                slots[id(child)].append((parent, name))
    result = Replacement()
    seen: set[int] = set()
    for module in [model, *model.modules()]:
        if id(module) in seen:
            continue
        seen.add(id(module))
        key = _key(module, table, extra)
        if key is None:
            continue
        path, cls = paths[id(module)], type(module)
        if key not in selected:
            result.skipped.append((path, cls.__name__, "excluded"))
        elif key in table:
            module.__class__ = table[key]
            result.swapped.append((path, module, cls))
        else:
            conversion = _conversion(module, extra)
            if conversion.module is None:
                result.skipped.append((path, cls.__name__, conversion.note))
                continue
            if module is model and not root:
                result.skipped.append((path, cls.__name__, "the model itself"))
                continue
            holders = [] if module is model else slots[id(module)]
            for parent, name in holders:
                parent._modules[name] = conversion.module
            result.replaced.append(Replaced(path, module, conversion.module, holders,
                                            conversion.note))
    if any(r.slots == [] for r in result.replaced):
        model = next(r.new for r in result.replaced if not r.slots)
    if saved_bits is not None:
        fewbit.set_saved_bits(model, saved_bits)
    if report:
        _log(model, result)
    return model, result


def _unmapped(model: nn.Module, table: dict) -> list[str]:
    """Classes in ``model`` that look like activations and that tritonact does not map."""
    found = []
    for module in model.modules():
        cls = type(module)
        if (cls not in table and qualified_name(cls) not in THIRD_PARTY
                and not cls.__module__.startswith(("torch.", "tritonact."))
                and _ACTIVATION_LIKE.search(cls.__name__)):
            found.append(qualified_name(cls))
    return sorted(set(found))


def _log(model: nn.Module, result: Replacement) -> None:
    for path, _, cls in result.swapped:
        log.info("tritonact: %s (%s) now runs tritonact's kernels", path, cls.__name__)
    for r in result.replaced:
        log.info("tritonact: %s (%s) replaced by tritonact.nn.%r%s", r.path,
                 type(r.old).__name__, r.new, f": {r.note}" if r.note else "")
    if result.count:
        for path, name, why in result.skipped:
            log.info("tritonact: %s (%s) left as it is: %s", path, name, why)
        log.info("tritonact: replaced %d activation module(s) in %s", result.count,
                 type(model).__name__)
        return
    unmapped = _unmapped(model, replacements())
    if result.skipped or unmapped:
        left = [f"{path} ({name}): {why}" for path, name, why in result.skipped]
        left += [f"{name}: no mapping (pass extra={{cls: factory}})" for name in unmapped]
        log.warning("tritonact: replaced no activation module in %s, which holds activation "
                    "classes tritonact did not replace: %s", type(model).__name__,
                    "; ".join(left))
    else:
        log.info("tritonact: replaced 0 activation module(s) in %s", type(model).__name__)


def replace_activations(model: nn.Module, include: Iterable[Selector] | None = None,
                        exclude: Iterable[Selector] | None = None,
                        extra: Mapping[type, Factory] | None = None, *,
                        saved_bits: int | None = None) -> nn.Module:
    """Put tritonact's activation modules into ``model`` (at any depth, ``model`` itself
    included); return ``model``.

    ``saved_bits`` (1 to 4): every activation module of ``model`` with a few-bit mode (its own
    tritonact modules included) saves that many bits per element for backward instead of a
    tensor (:func:`tritonact.saved_bits`); None (the default) leaves their setting as it is.

    A torch.nn activation changes class and nothing else (tritonact's classes subclass torch's
    and override ``forward`` only): the object, its hyperparameters (``inplace``,
    ``negative_slope``, ``approximate``, ``dim``, PReLU's weight Parameter itself), training
    mode, device, dtype, hooks and state_dict are kept, so references held elsewhere (an
    optimizer's parameters) stay valid. Only modules whose type is exactly a torch class that
    tritonact replaces are touched (a user's subclass keeps its own forward), so a second call
    changes nothing.

    Hugging Face's and timm's activation classes
    (:data:`tritonact.integrations.thirdparty.THIRD_PARTY`, matched by exact class, without
    importing either library) and the classes of ``extra`` (``{cls: factory}``, the factory
    taking the module and returning its replacement or None)
    are replaced as objects: the parent's slot (every slot, for a module held twice) gets the
    new tritonact module, in the old one's training mode; forward hooks on the old object do
    not move with it. Where ``model`` itself is such a module its replacement is returned.

    ``include``/``exclude`` take classes or names (``"GELU"``, ``"gelu"``,
    ``"NewGELUActivation"``, a qualified name). Each replacement is logged at INFO on the
    ``tritonact`` logger; when nothing was replaced although the model holds activation classes
    (excluded, not exactly replaceable, or unknown to tritonact) a WARNING says which. The
    tritonact modules run tritonact's kernels on CUDA tensors (and on the CPU only while
    ``TRITON_INTERPRET=1``); elsewhere they run torch's own kernels, as before the swap.
    """
    return replace(model, include, exclude, extra, saved_bits=saved_bits)[0]
