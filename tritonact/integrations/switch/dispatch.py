"""The switch's kernels registered with torch's dispatcher: each runs its override's ``serve``
(the family's check that tritonact computes the call exactly, and its computation with the raw
launchers), or, where that returns None, torch's own kernel for that dispatch key, captured
before the registration."""

from __future__ import annotations

from collections.abc import Callable

import torch

from tritonact.autograd.launch import INTERPRET
from tritonact.core.override import Override

#: Callables run with the aten operator's name each time the switch computes a call with
#: tritonact's kernels (not when it hands the call to torch); ``verify``'s checks count with it.
served_hooks: list[Callable[[str], None]] = []


def _arguments(schema, args: tuple, kwargs: dict) -> list:
    """Every argument of ``schema`` in order (the dispatcher passes keyword-only ones as
    keywords)."""
    if not kwargs and len(args) == len(schema.arguments):
        return list(args)
    return [*args, *(kwargs.get(a.name, a.default_value) for a in schema.arguments[len(args):])]


def dispatcher_kernel(override: Override, selection: frozenset[str], dispatch_key: str):
    """The boxed kernel registered for ``override`` at ``dispatch_key``: tritonact's launch, or
    torch's own kernel for that key, captured before the registration."""
    torch_kernel = torch.library.get_kernel(override.overload, dispatch_key)
    run = override.serve(override, selection)
    schema = override.overload._schema

    def kernel(keyset, *args, **kwargs):
        result = run(_arguments(schema, args, kwargs))
        if result is None:
            return torch_kernel.call_boxed(keyset, *args, **kwargs)
        for hook in served_hooks:
            hook(override.aten)
        return result

    kernel.__name__ = f"tritonact_{override.aten}"
    return kernel


def dispatch_keys() -> tuple[str, ...]:
    """Where the switch registers: CUDA when present, the CPU while Triton's interpreter is on."""
    keys = ("CUDA",) if torch.cuda.is_available() else ()
    return keys + (("CPU",) if INTERPRET else ())


