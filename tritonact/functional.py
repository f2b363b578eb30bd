"""``torch.nn.functional``-style activations backed by Triton kernels.

Every function here is built from its registry spec and has torch's name, positional order,
keyword names and defaults: ``tritonact.functional.silu(x)`` is a drop-in for
``torch.nn.functional.silu(x)``. Float tensors on CUDA (and on the CPU while
``TRITON_INTERPRET=1``) run the fused Triton kernels; anything else (CPU tensors without the
interpreter, integer, bool or complex tensors, parameters torch rejects) goes to torch itself,
so results and errors are torch's.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable

import torch

from tritonact.autograd import gated, rowwise
from tritonact.autograd import prelu as prelu_ops
from tritonact.autograd import randomized as randomized_ops
from tritonact.autograd.autocast import autocast_dtype, autocast_input, is_any_autocast_enabled
from tritonact.autograd.elementwise import ElementwiseFunction, run_forward
from tritonact.autograd.launch import (
    KERNEL_DTYPES,
    compute_dtype,
    fits,
    served,
    writable_in_place,
)
from tritonact.registry import (
    ELEMENTWISE,
    GATED,
    LEARNABLE,
    RANDOMIZED,
    REQUIRED,
    ROWWISE,
    Elementwise,
    Gated,
    Learnable,
    Randomized,
    Rowwise,
)

__all__: list[str] = []

#: 16-bit inputs whose fp32 ``dtype=`` result one kernel computes exactly (it loads them into
#: fp32, which is torch's cast); any other ``dtype=`` is a cast before the op, as torch's.
_HALF_TYPES = (torch.float16, torch.bfloat16)
_is_compiling = torch.compiler.is_compiling
_increment_version = torch.autograd.graph.increment_version


def _bind(name: str, names: tuple[str, ...], defaults: tuple, n_positional: int, args: tuple,
          kwargs: dict) -> list:
    """Python's own argument binding, on precomputed names (the hot path skips it)."""
    if len(args) > n_positional:
        raise TypeError(f"{name}() takes {n_positional + 1} positional arguments but "
                        f"{len(args) + 1} were given")
    values = [*args, *defaults[len(args):]]
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
        i = names.index(key)
        if i < len(args):
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        values[i] = value
    missing = [n for n, v in zip(names, values) if v is REQUIRED]
    if missing:
        raise TypeError(f"{name}() missing required arguments: {', '.join(missing)}")
    return values


def _leaf_in_place(x: torch.Tensor) -> bool:
    """An in-place write torch refuses: a leaf (or a view of one) that requires grad."""
    return x.is_leaf or (x._is_view() and x._base.is_leaf and x._base.requires_grad)


def _signature(params: list[inspect.Parameter]) -> inspect.Signature:
    first = inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              annotation=torch.Tensor)
    return inspect.Signature([first, *params], return_annotation=torch.Tensor)


def _parameter_decisions(spec: Elementwise) -> Callable:
    """``decide(dtype, floats) -> (accepted, keeps output)``: ``spec.accepts`` and
    ``spec.keeps_output`` for one call's parameters, remembered per dtype and parameters (a few
    microseconds of Python each, a dict look-up after the first call); under torch.compile
    computed directly, which the trace folds into constants."""
    decisions: dict[tuple, tuple[bool, bool]] = {}

    def compute(dtype: torch.dtype, floats: tuple[float, ...]) -> tuple[bool, bool]:
        accepted = spec.accepts(dtype, floats)
        return accepted, accepted and spec.keeps_output(dtype, floats)

    def decide(dtype: torch.dtype, floats: tuple[float, ...]) -> tuple[bool, bool]:
        if _is_compiling() or 0.0 in floats:  # -0.0 == 0.0 as a key, but is decided apart
            return compute(dtype, floats)
        found = decisions.get((dtype, floats))
        if found is None:
            if len(decisions) >= 1024:  # parameters swept, or NaNs (never equal to a key)
                decisions.clear()
            found = decisions[dtype, floats] = compute(dtype, floats)
        return found

    return decide


def make_function(spec: Elementwise, inplace_twin: bool = False) -> Callable[..., torch.Tensor]:
    """The functional form of ``spec`` (or of its in-place twin, such as ``relu_``)."""
    has_inplace_arg = spec.inplace and not inplace_twin
    name = spec.inplace_name if inplace_twin else spec.name
    names = tuple(p.name for p in spec.params) + (("inplace",) if has_inplace_arg else ())
    defaults = tuple(p.default for p in spec.params) + ((False,) if has_inplace_arg else ())
    n_positional = sum(not p.keyword_only for p in spec.params) + has_inplace_arg
    float_index = tuple(names.index(p) for p in spec.float_params)
    choice_index = names.index(spec.choice.name) if spec.choice else None
    keys = {c: f"{spec.name}:{c}" for c in spec.choice.choices} if spec.choice else None
    inplace_index = names.index("inplace") if has_inplace_arg else None
    torch_fn = getattr(torch.nn.functional, name)
    default_key = spec.name if keys is None else keys[defaults[choice_index]]
    default_floats = tuple(float(defaults[i]) for i in float_index if defaults[i] is not REQUIRED)
    can_use_defaults = len(default_floats) == len(float_index)
    inplace_grad = spec.inplace_grad
    decide = _parameter_decisions(spec)

    def function(input, *args, **kwargs):
        if not served(input):
            return torch_fn(input, *args, **kwargs)
        if is_any_autocast_enabled():
            input = autocast_input(torch_fn, input, args, kwargs)  # torch.autocast's cast
        if args or kwargs or not can_use_defaults:
            try:
                values = _bind(name, names, defaults, n_positional, args, kwargs)
                floats = tuple(float(values[i]) for i in float_index)
                key = default_key if keys is None else keys.get(values[choice_index])
            except (TypeError, ValueError):  # a string or complex parameter, an unknown keyword
                return torch_fn(input, *args, **kwargs)  # torch's own error
            inplace = inplace_twin or (inplace_index is not None and bool(values[inplace_index]))
            if key is None or not decide(input.dtype, floats)[0]:
                return torch_fn(input, *args, **kwargs)  # torch's own result or error
        else:
            floats, key, inplace = default_floats, default_key, inplace_twin
        a, b = (*floats, 0.0, 0.0)[:2]
        if inplace and not _is_compiling() and not writable_in_place(input):
            return torch_fn(input, *args, **kwargs)  # torch's error (overlap, inference tensor)
        if input.requires_grad and torch.is_grad_enabled():
            if inplace and not _is_compiling() and (
                    _leaf_in_place(input) or (inplace_grad and not inplace_grad(*floats))):
                return torch_fn(input, *args, **kwargs)  # torch raises (now, or in backward)
            keep_output = decide(input.dtype, floats)[1]
            return ElementwiseFunction.apply(input, key, a, b, inplace, keep_output)
        y = run_forward(key, input, a, b, inplace)
        if inplace and not _is_compiling():
            _increment_version(input)
        return y

    params = [
        inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY if p.keyword_only
                          else inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=p.default, annotation=str if p.choices else float)
        for p in spec.params
    ]
    if has_inplace_arg:
        params.append(inspect.Parameter("inplace", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=False, annotation=bool))
    params.sort(key=lambda p: p.kind)  # keyword-only after positional, as Python requires
    function.__signature__ = _signature(params)
    twin = f"In-place version of :func:`{spec.name}`.\n\n" if inplace_twin else ""
    return _named(function, name, (
        f"{twin}{spec.name}(x) = {spec.formula}\n\n"
        f"Same signature, defaults and result as :func:`torch.nn.functional.{name}`, computed by "
        f"fused Triton kernels (one launch forward, one backward; backward reads the "
        f"{'output' if spec.saves_output is True else 'input'}"
        f"{' or output, by parameters' if callable(spec.saves_output) else ''}).\n"
    ))


def _named(function: Callable, name: str, doc: str) -> Callable:
    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = doc
    return function


def make_rowwise_function(spec: Rowwise) -> Callable[..., torch.Tensor]:
    """The functional form of a row-wise spec, with torch's signature
    ``(input, dim=None, _stacklevel=3, dtype=None)``."""
    name, key, torch_fn = spec.name, spec.name, spec.torch_fn
    get_dim = torch.nn.functional._get_softmax_dim  # torch's legacy implicit dim, and warning

    def function(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
                 dtype: torch.dtype | None = None) -> torch.Tensor:
        if not served(input) or (dtype is not None and dtype not in KERNEL_DTYPES):
            return torch_fn(input, dim, _stacklevel + 1, dtype)
        if is_any_autocast_enabled():
            input = autocast_input(torch_fn, input, (dim, _stacklevel + 1, dtype), {})
        if dim is None:
            dim = get_dim(name, input.dim(), _stacklevel + 1)
        ndim = max(input.dim(), 1)
        if type(dim) is not int or not -ndim <= dim < ndim:
            return torch_fn(input, dim, _stacklevel + 1, dtype)  # torch's own error
        dim %= ndim
        if dtype is not None and dtype != input.dtype and not (
                input.dtype in _HALF_TYPES and dtype == torch.float32):
            input = input.to(dtype)  # torch's order: cast, then the op (autograd sees the cast)
        out_dtype = input.dtype if dtype is None else dtype
        if input.requires_grad and torch.is_grad_enabled():
            return rowwise.RowwiseFunction.apply(input, key, dim, out_dtype)
        return rowwise.run_forward(key, input, dim, out_dtype)

    return _named(function, name, (
        f"{name}(x)_i = {spec.formula}, over ``dim``.\n\n"
        f"Same signature, defaults and result as :func:`torch.nn.functional.{name}` (``dim=None``"
        f" follows torch's legacy rule and warning; ``dtype`` casts inside the kernel). One "
        f"launch forward, one backward, which reads the saved output only. Rows of any length "
        f"and a reduced dim anywhere in any layout, with no copy.\n"
    ))


def make_gated_function(spec: Gated) -> Callable[..., torch.Tensor]:
    """``act(gate) * up`` over the two halves of ``dim`` of one tensor (no copy: the halves are
    views, and the gradient's halves are written in place)."""
    gate_first = spec.gate_first

    def function(input: torch.Tensor, dim: int = -1, approximate: str = "none") -> torch.Tensor:
        key = spec.key(approximate)
        ndim = input.dim()
        if ndim == 0 and served(input):
            raise RuntimeError(f"{spec.name} does not support scalars because halving size "
                               f"must be even")
        if (not served(input) or key not in gated.TORCH_ACT or type(dim) is not int
                or not -ndim <= dim < ndim):
            return spec.reference(input, dim, approximate)  # torch's result or error
        size = input.shape[dim]
        dim %= ndim
        if size % 2:
            raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                               f"{size}")
        if input.requires_grad and torch.is_grad_enabled():
            return gated.GatedFunction.apply(input, key, dim, gate_first, 0.0, 0.0)
        gate, up = gated.halves(input, dim, gate_first)
        if _is_compiling():
            return gated.forward_op(gate, up, key, 0.0, 0.0)
        return gated.forward(key, gate, up, 0.0, 0.0)

    def function_no_approximate(input: torch.Tensor, dim: int = -1) -> torch.Tensor:
        return function(input, dim)

    halves = ("first half (a), up the second (b)" if gate_first
              else "second half (b), as torch.nn.functional.glu")
    return _named(function if spec.takes_approximate else function_no_approximate, spec.name, (
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Split ``dim`` in half: the gate is the {halves}. One launch forward and one backward; "
        f"saves only the input. Odd sizes raise torch.nn.functional.glu's error.\n"
    ))


def make_gated_mul(spec: Gated) -> Callable[..., torch.Tensor]:
    """``act(gate) * up`` for models that keep gate and up apart (any layouts, no copy for
    ``[rows, contiguous columns]``)."""

    def function(gate: torch.Tensor, up: torch.Tensor, approximate: str = "none"):
        key = spec.key(approximate)
        if (not (served(gate) and served(up)) or gate.shape != up.shape
                or gate.dtype != up.dtype or gate.device != up.device
                or key not in gated.TORCH_ACT):
            return spec.reference_mul(gate, up, approximate)  # torch's result or error
        if (gate.requires_grad or up.requires_grad) and torch.is_grad_enabled():
            return gated.GatedMulFunction.apply(gate, up, key, 0.0, 0.0)
        if _is_compiling():
            return gated.forward_op(gate, up, key, 0.0, 0.0)
        return gated.forward(key, gate, up, 0.0, 0.0)

    def function_no_approximate(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return function(gate, up)

    return _named(function if spec.takes_approximate else function_no_approximate,
                  spec.mul_name, (
        f"{spec.mul_name}(gate, up) = {spec.activation}(gate) * up, fused: one launch forward, "
        f"one backward giving both gradients; saves gate and up only.\n"
    ))


def make_learnable_function(spec: Learnable) -> Callable[..., torch.Tensor]:
    """``prelu(input, weight)``: torch's checks (weight 0-d or 1-D with 1 or C elements, the
    input's dtype and device) are torch's own, by falling back to it where they fail."""
    key, torch_fn = spec.name, spec.torch_fn
    probe = lambda t: torch_fn(t, t.new_ones(()))  # what autocast makes of a call, by dtype

    def function(input: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        if is_any_autocast_enabled() and served(input) and served(weight):
            dtype = autocast_dtype(probe, input, (), {})  # torch.autocast's cast of both
            input, weight = input.to(dtype), weight.to(dtype)
        if (not (served(input) and served(weight)) or weight.dtype != input.dtype
                or weight.device != input.device or weight.dim() > 1
                or weight.numel() not in (1, prelu_ops.channels(input))):
            return torch_fn(input, weight)  # torch's result or error
        if (input.requires_grad or weight.requires_grad) and torch.is_grad_enabled():
            return prelu_ops.PreluFunction.apply(input, weight, key)
        if _is_compiling():
            return prelu_ops.forward_op(input, weight, key)
        return prelu_ops.forward(key, input, weight)

    return _named(function, spec.name, (
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Same signature and result as :func:`torch.nn.functional.{spec.name}`. One launch "
        f"forward; backward is one pass over the data giving the input gradient and one partial "
        f"weight gradient per program and channel, then one small sum. Saves input and weight.\n"
    ))


def _bounds_accepted(lower: object, upper: object, dtype: torch.dtype) -> bool:
    """torch's checks of rrelu's bounds: numbers, finite, ordered, within the compute type."""
    try:
        lower, upper = float(lower), float(upper)
    except (TypeError, ValueError):
        return False
    target = compute_dtype(dtype)
    return (math.isfinite(lower) and math.isfinite(upper) and lower <= upper
            and fits(lower, target) and fits(upper, target))


def make_randomized_function(spec: Randomized, inplace_twin: bool = False):
    """``rrelu(input, lower, upper, training=False, inplace=False)`` (or ``rrelu_``): eval mode is
    ``spec.slope_op`` with the mean slope; training draws a slope per element in the kernel."""
    key, torch_fn = spec.slope_op, spec.torch_fn
    slope_fn = globals()[spec.slope_op]
    lower_default, upper_default = (p.default for p in spec.params)

    def function(input: torch.Tensor, lower: float = lower_default, upper: float = upper_default,
                 training: bool = False, inplace: bool = False) -> torch.Tensor:
        if not served(input) or not _bounds_accepted(lower, upper, input.dtype):
            return torch_fn(input, lower, upper, training, inplace)  # torch's result or error
        lower, upper = float(lower), float(upper)
        if not training:
            return slope_fn(input, (lower + upper) / 2, inplace)
        if inplace and not _is_compiling() and not writable_in_place(input):
            return torch_fn(input, lower, upper, training, inplace)  # torch's error
        if input.requires_grad and torch.is_grad_enabled():
            if inplace and not _is_compiling() and _leaf_in_place(input):
                return torch_fn(input, lower, upper, training, inplace)  # torch's error
            return randomized_ops.RandomizedFunction.apply(input, key, lower, upper, inplace)
        y = randomized_ops.run(key, input, lower, upper, inplace)[0]
        if inplace and not _is_compiling():
            _increment_version(input)
        return y

    if inplace_twin:
        def twin(input: torch.Tensor, lower: float = lower_default, upper: float = upper_default,
                 training: bool = False) -> torch.Tensor:
            return function(input, lower, upper, training, True)

    return _named(twin if inplace_twin else function,
                  spec.inplace_name if inplace_twin else spec.name, (
        f"{'In-place version of :func:`' + spec.name + '`. ' if inplace_twin else ''}"
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Same signature and result as :func:`torch.nn.functional.{spec.name}` in eval mode "
        f"(``{spec.slope_op}`` with the mean slope). In training, each element's slope is drawn "
        f"inside the kernel from a seed taken from torch's default generator (reproducible "
        f"under ``torch.manual_seed``, not the same numbers as torch's), and backward draws "
        f"the same slopes again instead of saving them: one saved tensor, not two.\n"
    ))


for _function in [
    *map(make_function, ELEMENTWISE),
    *(make_function(s, inplace_twin=True) for s in ELEMENTWISE if s.inplace_name),
    *map(make_rowwise_function, ROWWISE),
    *map(make_gated_function, GATED),
    *(make_gated_mul(s) for s in GATED if s.mul_name),
    *map(make_learnable_function, LEARNABLE),
]:
    globals()[_function.__name__] = _function
    __all__.append(_function.__name__)
# rrelu's eval mode calls its slope op's function, defined above
for _function in [*map(make_randomized_function, RANDOMIZED),
                  *(make_randomized_function(s, inplace_twin=True) for s in RANDOMIZED)]:
    globals()[_function.__name__] = _function
    __all__.append(_function.__name__)
del _function
