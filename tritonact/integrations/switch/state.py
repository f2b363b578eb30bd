"""The switch's third part: its state. ``enable()``/``disable()``/``use()`` choose the
registry ops served, and one ``torch.library.Library("aten", "IMPL")`` holds the registrations
(destroyed to restore torch's own kernels exactly)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator

import torch

from tritonact.integrations.switch import dispatch
from tritonact.integrations.switch.table import covered_ops, overrides

log = logging.getLogger("tritonact")


def _selection(include: Iterable[str] | None, exclude: Iterable[str] | None) -> frozenset[str]:
    known = covered_ops()
    chosen = set(known if include is None else include)
    dropped = set(exclude or ())
    unknown = (chosen | dropped) - set(known)
    if unknown:
        raise ValueError(f"tritonact's switch covers no op named {sorted(unknown)}; it covers "
                         f"{sorted(known)}")
    return frozenset(chosen - dropped)


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning issued by its caller name the user's line: the
    first frame outside tritonact's own package and contextlib (``with tritonact.use():``)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and (frame.f_code.co_filename.startswith(_PACKAGE)
                                        or frame.f_code.co_filename == contextlib.__file__):
        frame, level = frame.f_back, level + 1
    return level


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_lock = threading.RLock()
_library: torch.library.Library | None = None
_active: frozenset[str] = frozenset()


def _apply(selection: frozenset[str]) -> None:
    """Make ``selection`` the registered set: destroy the current library (torch's kernels are
    back), then register a new one for the selected operators."""
    global _library, _active
    with _lock:
        if selection == _active:
            return
        if _library is not None:
            _library._destroy()
            _library = None
            _inductor_pass(frozenset())
        _active = frozenset()
        chosen = [o for o in overrides() if selection.intersection(o.ops)]
        keys = dispatch.dispatch_keys()
        if chosen and not keys:
            warnings.warn("tritonact's switch has nothing to serve here (no CUDA device, and "
                          "TRITON_INTERPRET=1 was not set before triton was imported): torch's "
                          "own kernels run",
                          stacklevel=_caller_stacklevel())
        if not chosen or not keys:
            return
        library = torch.library.Library("aten", "IMPL")
        with warnings.catch_warnings():  # "Overriding a previously registered kernel": intended
            warnings.simplefilter("ignore", UserWarning)
            for override in chosen:
                for key in keys:
                    kernel = dispatch.dispatcher_kernel(override, selection, key)
                    library.impl(override.aten, kernel, key, with_keyset=True)
        _library, _active = library, selection
        _inductor_pass(selection)
        log.info("tritonact switch on for %s at %s: %s", ", ".join(sorted(selection)),
                 "/".join(keys), ", ".join(f"aten::{o.aten}" for o in chosen))


def _inductor_pass(selection: frozenset[str]) -> None:
    """Inductor's pre-grad pass rewrites the inline calls of ``selection`` (none: the pass
    configured before), see :mod:`tritonact.integrations.switch.rewrite`. Imported on first
    use: it loads Inductor's config (a second or two)."""
    from tritonact.integrations.switch import rewrite

    rewrite.install(selection)


def enable(include: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> None:
    """Route torch's own activation operators (``torch.relu``, ``F.gelu``, ``x.sigmoid()``,
    their backward) to tritonact's kernels, for the registry ops in ``include`` (default: every
    op the switch covers, see :func:`covered_ops`) minus ``exclude``. Calling it again replaces
    the selection, now and for when the open ``use()`` blocks (if any) are left."""
    global _outside
    with _lock:
        _outside = _selection(include, exclude)
        _apply(_outside)


def disable() -> None:
    """Restore torch's own kernels exactly (the registrations are destroyed), now and for when
    the open ``use()`` blocks (if any) are left; leaving an inner block re-applies the
    selection of the block around it."""
    global _outside
    with _lock:
        _outside = frozenset()
        _apply(_outside)


def is_enabled() -> bool:
    return bool(_active)


def active_ops() -> frozenset[str]:
    """The registry ops the switch serves now (empty when off)."""
    return _active


#: The open ``use()`` blocks' selections, innermost last (a block removes its own entry on
#: leaving, whichever order blocks leave in); ``enable()``/``disable()`` set what is active
#: outside every block.
_blocks: list[tuple[object, frozenset[str]]] = []
_outside: frozenset[str] = frozenset()


def _settle() -> None:
    """Apply the innermost open block's selection, or the one outside every block."""
    _apply(_blocks[-1][1] if _blocks else _outside)


@contextlib.contextmanager
def use(include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None) -> Iterator[None]:
    """``with tritonact.use(): ...``: the switch on (for ``include`` minus ``exclude``) inside the
    block; on leaving, the innermost block still open (or, outside every block, what
    ``enable()``/``disable()`` set) is active again. Blocks may nest and may leave in any order
    (two threads, say); the switch itself is process-wide."""
    token = object()
    with _lock:
        _blocks.append((token, _selection(include, exclude)))
        _settle()
    try:
        yield
    finally:
        with _lock:
            _blocks[:] = [b for b in _blocks if b[0] is not token]
            _settle()


