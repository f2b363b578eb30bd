"""The global switch: tritonact's kernels as the implementations of torch's own aten operators.

``enable()`` registers, through ``torch.library.Library("aten", "IMPL")``, a kernel for each aten
operator below at the CUDA dispatch key (and at the CPU key while ``TRITON_INTERPRET=1``), so
that code calling ``torch.relu``, ``F.gelu`` or ``x.sigmoid()`` directly runs tritonact's kernels,
and torch's own autograd formulas (``threshold_backward``, ``gelu_backward``, ...) run them
backward. ``disable()`` destroys the library, which restores torch's registrations exactly;
``use()`` is the scoped form.

Every registered kernel first checks that tritonact serves the call exactly: plain float
tensors (fp16, bf16, fp32, fp64) on a served device, matching operands, parameters the
registry's math covers. Anything else (int, bool and complex tensors, ``celu(alpha=0)``,
``elu_backward(is_result=True)``, a gelu ``approximate`` torch rejects, ...) calls torch's own
kernel for that dispatch key, captured with ``torch.library.get_kernel`` before the override is
registered, so the result or the error is torch's, bit for bit. ``out=`` overloads are never
registered. The kernels call only the raw launchers (``torch.empty_like`` and Triton), never an
overridden operator, so nothing recurses.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch

from tritonact.autograd import elementwise, gated, rowwise
from tritonact.autograd.launch import (
    INTERPRET,
    KERNEL_DTYPES,
    rounded,
    served,
    writable_in_place,
)
from tritonact.kernels.activations import SELU_ALPHA, SELU_SCALE
from tritonact.registry import ELEMENTWISE, GATED, ROWWISE, Elementwise

__all__ = ["OVERRIDES", "Override", "active_ops", "covered_ops", "disable", "enable",
           "is_enabled", "use"]

log = logging.getLogger("tritonact")

#: Callables run with the aten operator's name each time the switch computes a call with
#: tritonact's kernels (not when it hands the call to torch); the checks below count with it.
served_hooks: list[Callable[[str], None]] = []

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
    """

    aten: str
    ops: tuple[str, ...]
    kind: str
    resolve: Callable[..., Resolved]
    tensors: tuple[int, ...] = (0,)

    @property
    def overload(self) -> torch._ops.OpOverload:
        return getattr(torch.ops.aten, self.aten).default


# --- resolving aten arguments to the registry's kernels -----------------------------------------


def _registry_resolver(spec: Elementwise) -> Callable[..., Resolved]:
    """Arguments in the spec's parameter order -> its kernel, where the spec supports them."""

    def resolve(*values) -> Resolved:
        floats, key = [], spec.name
        for param, value in zip(spec.params, values):
            if param.choices:
                if value not in param.choices:
                    return None  # torch's error (gelu's approximate='erf')
                key = f"{spec.name}:{value}"
            else:
                floats.append(float(value))
        if spec.supported is not None and not spec.supported(*floats):
            return None
        a, b = (*floats, 0.0, 0.0)[:2]
        return (spec.name,), key, a, b

    return resolve


def _elu_family(alpha: float, scale: float, input_scale: float) -> Resolved:
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


def _elu_backward(alpha, scale, input_scale, is_result: bool) -> Resolved:
    """elu_backward from the input; from the result (in-place elu_) torch computes it."""
    return None if is_result else _elu_family(alpha, scale, input_scale)


def _threshold_backward(threshold) -> Resolved:
    """``0 if t <= threshold else grad``: relu's backward (threshold 0, t the output) and
    threshold's, whichever tensor t is; the threshold kernel's backward is exactly this."""
    threshold = float(threshold)
    ops = ("relu", "threshold") if threshold == 0.0 else ("threshold",)
    return ops, "threshold", threshold, 0.0


def _hardtanh(min_val, max_val) -> Resolved:
    """hardtanh; relu6 is hardtanh(0, 6) in torch."""
    lo, hi = float(min_val), float(max_val)
    if lo > hi:
        return None
    return ("hardtanh", "relu6") if (lo, hi) == (0.0, 6.0) else ("hardtanh",), "hardtanh", lo, hi


def _leaky_relu_backward(negative_slope, self_is_result: bool) -> Resolved:
    """``t > 0 ? grad : grad * slope`` from the input, or from the result when the slope is
    >= 0; torch refuses the result with a negative slope (its error)."""
    if self_is_result and float(negative_slope) < 0:
        return None
    return ("leaky_relu",), "leaky_relu", float(negative_slope), 0.0


#: Where aten's parameters differ from the registry's (elu's scale and input_scale, relu6 as
#: hardtanh), the resolver by aten operator; every other forward takes the registry spec's
#: parameters in order. Torch's range and overflow checks are the spec's (``accepts``).
SPECIAL_RESOLVERS: dict[str, Callable[..., Resolved]] = {
    "elu": _elu_family,
    "hardtanh": _hardtanh,
}

#: torch's derivative operators (tools/autograd/derivatives.yaml) -> the forward whose
#: parameters and ops they take, or (their own resolver, the positions of grad and the saved
#: tensor, the ops they serve).
BACKWARD_OPS: dict[str, str | tuple[Callable[..., Resolved], tuple[int, int], tuple[str, ...]]] = {
    "threshold_backward": (_threshold_backward, (0, 1), ("relu", "threshold")),
    "leaky_relu_backward": (_leaky_relu_backward, (0, 1), ("leaky_relu",)),
    "elu_backward": (_elu_backward, (0, 5), ("elu", "selu", "celu")),
    "gelu_backward": "gelu",
    "silu_backward": "silu",
    "mish_backward": "mish",
    "sigmoid_backward": "sigmoid",
    "tanh_backward": "tanh",
    "hardtanh_backward": "hardtanh",
    "hardsigmoid_backward": "hardsigmoid",
    "hardswish_backward": "hardswish",
    "softplus_backward": "softplus",
    "hardshrink_backward": "hardshrink",
    "softshrink_backward": "softshrink",
}

#: The registry ops that a shared aten forward computes (selu and celu are aten::elu, relu6 is
#: aten::hardtanh); every other forward computes its own op.
SHARED_FORWARDS: dict[str, tuple[str, ...]] = {"elu": ("elu", "selu", "celu"),
                                               "hardtanh": ("hardtanh", "relu6")}


def _has_backend_kernel(name: str) -> bool:
    """Whether aten::name has its own backend kernel (a composite such as relu6 or selu has
    none: it is covered by the operators it calls)."""
    return hasattr(torch.ops.aten, name) and torch._C._dispatch_has_kernel_for_dispatch_key(
        f"aten::{name}", "CPU")


def _scalar_names(name: str, skip: int = 1) -> list[str]:
    """The names of aten::name's arguments after its first ``skip`` tensors."""
    return [a.name for a in getattr(torch.ops.aten, name).default._schema.arguments[skip:]]


def _build_overrides() -> tuple[Override, ...]:
    """The table, from the registry: each elementwise spec whose name is an aten operator with a
    backend kernel (and its in-place twin where the spec has one), each row-wise spec's
    ``_<name>`` and ``_<name>_backward_data``, and the backward operators above."""
    forwards: dict[str, Override] = {}
    table: list[Override] = []
    for spec in ELEMENTWISE:
        if not _has_backend_kernel(spec.name):
            continue
        if spec.name not in SPECIAL_RESOLVERS and _scalar_names(spec.name) != [
                p.name for p in spec.params]:
            continue  # aten's parameters are not the registry's: it needs its own resolver
        resolve = SPECIAL_RESOLVERS.get(spec.name) or _registry_resolver(spec)
        ops = SHARED_FORWARDS.get(spec.name, (spec.name,))
        forwards[spec.name] = Override(spec.name, ops, "forward", resolve)
        table.append(forwards[spec.name])
        if (spec.inplace or spec.inplace_name) and _has_backend_kernel(f"{spec.name}_"):
            table.append(Override(f"{spec.name}_", ops, "inplace", resolve))
    for name, how in BACKWARD_OPS.items():
        if isinstance(how, str):
            if how not in forwards or _scalar_names(name, skip=2) != _scalar_names(how):
                continue
            how = (forwards[how].resolve, (0, 1), forwards[how].ops)
        resolve, tensors, ops = how
        if _has_backend_kernel(name):
            table.append(Override(name, ops, "backward", resolve, tensors))
    for spec in GATED:  # those torch has (glu): its aten::glu and glu_backward
        resolve = lambda *_, spec=spec: ((spec.name,), spec.key(), 0.0, 0.0)
        if spec.torch_fn is not None and _has_backend_kernel(spec.name):
            table.append(Override(spec.name, (spec.name,), "gated", resolve))
            if _has_backend_kernel(f"{spec.name}_backward"):
                table.append(Override(f"{spec.name}_backward", (spec.name,), "gated_backward",
                                      resolve, (0, 1)))
    for spec in ROWWISE:
        resolve = lambda *_, name=spec.name: ((name,), name, 0.0, 0.0)
        if _has_backend_kernel(f"_{spec.name}"):
            table.append(Override(f"_{spec.name}", (spec.name,), "rowwise", resolve))
        if _has_backend_kernel(f"_{spec.name}_backward_data"):
            table.append(Override(f"_{spec.name}_backward_data", (spec.name,),
                                  "rowwise_backward", resolve, (0, 1)))
    return tuple(table)


OVERRIDES: tuple[Override, ...] = _build_overrides()

#: kernel key (``"elu"``, ``"gelu:tanh"``) -> its spec, whose checks a resolved call passes.
SPEC_BY_KEY: dict[str, Elementwise] = {key: spec for spec in ELEMENTWISE for key in spec.kernels()}


def covered_ops() -> dict[str, list[str]]:
    """Registry op -> the aten operators the switch implements for it."""
    covered: dict[str, list[str]] = {}
    for override in OVERRIDES:
        for op in override.ops:
            covered.setdefault(op, []).append(override.aten)
    return covered


# --- the kernels registered with the dispatcher ---------------------------------------------


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


def _elementwise_kernel(override: Override, selection: frozenset[str]):
    """The forward, in-place or backward kernel for ``override``; torch's own where tritonact
    does not serve the call exactly."""
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
        spec = SPEC_BY_KEY[key]
        if not spec.accepts(tensors[0].dtype, (a, b)[:len(spec.float_params)]):
            return None  # torch's overflow or range error
        if kind == "forward":
            return elementwise.forward(key, tensors[0], a, b)
        if kind == "inplace":
            if not writable_in_place(tensors[0]):
                return None  # torch's error for an expanded or inference tensor
            return elementwise.forward(key, tensors[0], a, b, inplace=True)
        return elementwise.backward(key, *tensors, a, b)  # in aten's gradient layout

    return run


def _rowwise_kernel(override: Override, selection: frozenset[str]):
    """``_softmax(x, dim, half_to_float)`` and ``_softmax_backward_data(dy, y, dim,
    input_dtype)`` (and log_softmax's): half_to_float (fp16 in, fp32 out) on CUDA only, as
    torch."""
    key = override.ops[0]
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
            return rowwise.forward(key, x, dim % ndim, dtype)
        dy, y, dim, input_dtype = args
        if not (served(dy) and served(y) and _same(dy, y) and input_dtype in KERNEL_DTYPES):
            return None
        if input_dtype != y.dtype and not (y.is_cuda and y.dtype == torch.float32
                                           and input_dtype == torch.float16):
            return None
        ndim = max(y.dim(), 1)
        if not -ndim <= dim < ndim:
            return None
        return rowwise.backward(key, dy, y, dim % ndim, input_dtype)

    return run


def _gated_kernel(override: Override, selection: frozenset[str]):
    """``glu(x, dim)`` (``x``'s halves along dim: up, then the gate) and ``glu_backward(dy, x,
    dim)``, whose gradient halves are written in place into one tensor."""
    spec = next(s for s in GATED if s.name == override.ops[0])
    _, key, a, b = override.resolve()
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
            return gated.forward(key, gate, up, a, b)  # in aten's layout
        if not (served(dy) and _same(dy, gate)):
            return None
        dx = torch.empty(x.shape, dtype=x.dtype, device=x.device)  # contiguous, as aten's
        dgate, dup = gated.halves(dx, dim, spec.gate_first)
        gated.backward(key, dy, gate, up, a, b, dgate, dup)
        return dx

    return run


#: How each kind of override computes: a factory of its ``run(arguments)``.
_KERNEL_FACTORIES = {"forward": _elementwise_kernel, "inplace": _elementwise_kernel,
                     "backward": _elementwise_kernel, "rowwise": _rowwise_kernel,
                     "rowwise_backward": _rowwise_kernel, "gated": _gated_kernel,
                     "gated_backward": _gated_kernel}


def _dispatcher_kernel(override: Override, selection: frozenset[str], dispatch_key: str):
    """The boxed kernel registered for ``override`` at ``dispatch_key``: tritonact's launch, or
    torch's own kernel for that key, captured before the registration."""
    torch_kernel = torch.library.get_kernel(override.overload, dispatch_key)
    run = _KERNEL_FACTORIES[override.kind](override, selection)
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


# --- enable / disable / use ----------------------------------------------------------------


def dispatch_keys() -> tuple[str, ...]:
    """Where the switch registers: CUDA when present, the CPU while Triton's interpreter is on."""
    keys = ("CUDA",) if torch.cuda.is_available() else ()
    return keys + (("CPU",) if INTERPRET else ())


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


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

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
        _active = frozenset()
        overrides = [o for o in OVERRIDES if selection.intersection(o.ops)]
        keys = dispatch_keys()
        if overrides and not keys:
            warnings.warn("tritonact's switch has nothing to serve here (no CUDA device, and "
                          "TRITON_INTERPRET=1 was not set before triton was imported): torch's "
                          "own kernels run",
                          stacklevel=_caller_stacklevel())
        if not overrides or not keys:
            return
        library = torch.library.Library("aten", "IMPL")
        with warnings.catch_warnings():  # "Overriding a previously registered kernel": intended
            warnings.simplefilter("ignore", UserWarning)
            for override in overrides:
                for key in keys:
                    library.impl(override.aten, _dispatcher_kernel(override, selection, key),
                                 key, with_keyset=True)
        _library, _active = library, selection
        log.info("tritonact switch on for %s at %s: %s", ", ".join(sorted(selection)),
                 "/".join(keys), ", ".join(f"aten::{o.aten}" for o in overrides))


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


# --- checks: every override against torch (``verify`` and the tests) ---------------------------


@dataclass(frozen=True)
class Check:
    """One switch check: torch's public call for ``op`` with ``params`` in ``dtype``, with the
    switch on for ``op`` against torch with it off. ``served``: the aten operators the switch
    computed; ``problem``: None, or what went wrong."""

    op: str
    params: str
    dtype: torch.dtype
    served: tuple[str, ...]
    problem: str | None


def _sample(dtype: torch.dtype, device, points: Iterable[float] = ()) -> torch.Tensor:
    """Random values, the op's kinks, and the special values: +-0, +-inf, NaN, +-20."""
    special = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 20.0, -20.0, *points]
    values = torch.cat([torch.tensor(special, dtype=torch.float64, device=device),
                        torch.randn(150, dtype=torch.float64, device=device) * 3])
    return values.to(dtype)


def _forward_backward(fn: Callable, x: torch.Tensor, g: torch.Tensor):
    x = x.detach().requires_grad_()  # in x's layout (fn does not write into x)
    y = fn(x)
    (dx,) = torch.autograd.grad(y, x, g.to(y.dtype))
    return y.detach(), dx


def _compare(op: str, fn: Callable, x: torch.Tensor, reference: Callable | None = None,
             inplace: Callable | None = None,
             backward_from_output: Callable | None = None) -> tuple:
    """(served aten operators, problem) for ``fn`` on ``x``: forward and backward (and the
    in-place form) with the switch on for ``op`` against torch in fp64 and in x's dtype.
    ``backward_from_output(g, y)``, where given, is torch's backward from the saved output: the
    switched backward is judged from the switched forward's own output (an ulp of a 16-bit
    softmax output is amplified by ``dy - sum(dy * y)``, for torch as for tritonact)."""
    from tritonact.testing import mismatch, scalar_path_copy

    with torch.no_grad():
        out_shape = fn(x).shape  # glu halves a dim
    g = torch.randn(out_shape, dtype=torch.float64, device=x.device).to(x.dtype)
    # the reference from torch's CPU scalar loop, which reads NaN as its CUDA kernels do
    y64, dx64 = _forward_backward(reference or fn, scalar_path_copy(x.double()), g.double())
    yt, dxt = _forward_backward(fn, x, g)
    served_ops: list[str] = []
    served_hooks.append(served_ops.append)
    try:
        with use(include=[op]):
            y, dx = _forward_backward(fn, x, g)
            y_inplace = inplace(x.detach().clone()) if inplace else None
    finally:
        served_hooks.remove(served_ops.append)
    if backward_from_output is not None:
        dx64, dxt = backward_from_output(g.double(), y.double()), backward_from_output(g, y)
    problem = None
    for what, ours, exact, theirs in (("forward", y, y64, yt), ("backward", dx, dx64, dxt),
                                      ("in place", y_inplace, y64, yt)):
        found = ours is not None and mismatch(ours, exact, theirs, x.dtype)
        if found:
            problem = f"{what}: {found}"
            break
    if not problem and (y.dtype, dx.dtype) != (yt.dtype, dxt.dtype):
        problem = f"dtypes {y.dtype}/{dx.dtype}, torch's {yt.dtype}/{dxt.dtype}"
    if not problem and not served_ops:
        problem = "torch computed every call: the switch served nothing"
    return tuple(dict.fromkeys(served_ops)), problem


def check_overrides(device, dtypes: Iterable[torch.dtype],
                    ops: Iterable[str] | None = None) -> list[Check]:
    """torch's own calls (``F.<op>(x, **params)``, forward, backward and in place) for every
    covered registry op and parameter set, switch on against switch off. Between them the
    checks reach every operator in :data:`OVERRIDES`."""
    from tritonact.registry import OPS

    covered = covered_ops()
    wanted = [op for op in covered if ops is None or op in set(ops)]
    checks = []
    for dtype in dtypes:
        for op in wanted:
            if op in OPS:
                spec = OPS[op]
                for params in spec.param_sets():
                    fn = lambda t, spec=spec, params=params: spec.torch_fn(t, **params)
                    reference = spec.reference and (lambda t, spec=spec, params=params:
                                                    spec.reference(t, **params))
                    inplace = spec.inplace and (lambda t, spec=spec, params=params:
                                                spec.torch_fn(t, **params, inplace=True))
                    x = _sample(dtype, device, spec.points(**params))
                    tag = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
                    checks.append(Check(op, tag, dtype, *_compare(op, fn, x, reference,
                                                                   inplace or None)))
            elif any(s.name == op for s in GATED):
                spec = next(s for s in GATED if s.name == op)
                x = _sample(dtype, device)[:144].reshape(12, 12)
                for dim in (1, 0):
                    fn = lambda t, spec=spec, dim=dim: spec.torch_fn(t, dim)
                    checks.append(Check(op, f"dim={dim}", dtype, *_compare(op, fn, x)))
            else:
                spec = next(s for s in ROWWISE if s.name == op)
                x = _sample(dtype, device)[:156].reshape(13, 12)
                x = torch.where(x.isfinite(), x, 1.0)  # softmax at inf/NaN: row-wise tests
                for dim in (1, 0):
                    fn = lambda t, spec=spec, dim=dim: spec.torch_fn(t, dim)
                    from_output = lambda g, y, spec=spec, dim=dim: spec.torch_backward(
                        g, y, dim, y.dtype)
                    checks.append(Check(op, f"dim={dim}", dtype, *_compare(
                        op, fn, x, backward_from_output=from_output)))
    return checks
