"""The switch's second part: the kernels registered with torch's dispatcher. Each checks that
tritonact serves the call exactly and computes it with the raw launchers, or returns None, and
torch's own kernel for that dispatch key (captured before the registration) runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from tritonact.autograd import elementwise, gated, rowwise
from tritonact.autograd.launch import INTERPRET, KERNEL_DTYPES, served, writable_in_place

if TYPE_CHECKING:
    from tritonact.integrations.switch.resolution import Override

#: Callables run with the aten operator's name each time the switch computes a call with
#: tritonact's kernels (not when it hands the call to torch); ``verify``'s checks count with it.
served_hooks: list[Callable[[str], None]] = []


def _arguments(schema, args: tuple, kwargs: dict) -> list:
    """Every argument of ``schema`` in order (the dispatcher passes keyword-only ones as
    keywords)."""
    if not kwargs and len(args) == len(schema.arguments):
        return list(args)
    return [*args, *(kwargs.get(a.name, a.default_value) for a in schema.arguments[len(args):])]


def _same(*tensors: torch.Tensor) -> bool:
    first = tensors[0]
    return all(t.dtype == first.dtype and t.device == first.device and t.shape == first.shape
               for t in tensors[1:])


def elementwise_kernel(override: Override, selection: frozenset[str]):
    """The forward, in-place or backward kernel for ``override``; torch's own where tritonact
    does not serve the call exactly."""
    from tritonact.integrations.switch.resolution import kernels_by_key

    schema = override.overload._schema
    scalar_at = [i for i in range(len(schema.arguments)) if i not in override.tensors]
    kind = override.kind

    def run(args: list):
        tensors = [args[i] for i in override.tensors]
        if not all(map(served, tensors)) or not _same(*tensors):
            return None
        try:
            resolved = override.resolve(*(args[i] for i in scalar_at))
        except (TypeError, ValueError):  # a complex Scalar, say: torch's result or error
            return None
        if resolved is None or selection.isdisjoint(resolved[0]):
            return None
        _, key, a, b = resolved
        spec, m = kernels_by_key()[key]
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


def rowwise_kernel(override: Override, selection: frozenset[str]):
    """``_softmax(x, dim, half_to_float)`` and ``_softmax_backward_data(dy, y, dim,
    input_dtype)`` (and log_softmax's): half_to_float (fp16 in, fp32 out) on CUDA only, as
    torch."""
    from tritonact.registry import OPS

    key = override.ops[0]
    m = OPS[key].math
    served_here = key in selection

    def run(args: list):
        if not served_here:
            return None
        if override.kind == "rowwise":
            x, dim, half_to_float = args
            if not served(x):
                return None
            dtype = x.dtype
            if half_to_float:
                if not (x.is_cuda and x.dtype == torch.float16):
                    return None
                dtype = torch.float32
            ndim = max(x.dim(), 1)
            if not -ndim <= dim < ndim:
                return None
            return rowwise.forward(m, x, dim % ndim, dtype)
        dy, y, dim, input_dtype = args
        if not (served(dy) and served(y) and _same(dy, y) and input_dtype in KERNEL_DTYPES):
            return None
        if input_dtype != y.dtype and not (y.is_cuda and y.dtype == torch.float32
                                           and input_dtype == torch.float16):
            return None
        ndim = max(y.dim(), 1)
        if not -ndim <= dim < ndim:
            return None
        return rowwise.backward(m, dy, y, dim % ndim, input_dtype)

    return run


def gated_kernel(override: Override, selection: frozenset[str]):
    """``glu(x, dim)`` (``x``'s halves along dim: up, then the gate) and ``glu_backward(dy, x,
    dim)``, whose gradient halves are written in place into one tensor."""
    from tritonact.registry import OPS

    spec = OPS[override.ops[0]]
    _, _, a, b = override.resolve()
    m = spec.math_for()
    served_here = spec.name in selection

    def run(args: list):
        if not served_here:
            return None
        if override.kind == "gated":
            (x, dim), dy = args, None
        else:
            dy, x, dim = args
        if not served(x) or x.dim() == 0 or not -x.dim() <= dim < x.dim():
            return None
        if x.shape[dim] % 2:
            return None  # torch's error
        gate, up = gated.halves(x, dim, spec.gate_first)
        if dy is None:
            return gated.forward(m, gate, up, a, b)  # in aten's layout
        if not (served(dy) and _same(dy, gate)):
            return None
        dx = torch.empty(x.shape, dtype=x.dtype, device=x.device)  # contiguous, as aten's
        dgate, dup = gated.halves(dx, dim, spec.gate_first)
        gated.backward(m, dy, gate, up, a, b, dgate, dup)
        return dx

    return run


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


