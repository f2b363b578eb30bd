"""The elementwise ops' functional forms (the hot path: argument binding done once, the
parameters' checks remembered per dtype) and the base class of the modules torch lacks."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.autocast import autocast_input, is_any_autocast_enabled
from tritonact.autograd.elementwise import ElementwiseFunction, run_forward
from tritonact.autograd.launch import is_compiling, served, writable_in_place
from tritonact.core import fewbit
from tritonact.families.base import (
    REQUIRED,
    Spec,
    bind_arguments,
    increment_version,
    leaf_in_place,
    named,
)


def own_module_base(spec: Spec) -> type[nn.Module]:
    """The base class of an op torch lacks: its constructor takes the op's parameters (then
    ``inplace``) with their defaults, stores them as attributes and shows them in ``repr``."""
    names = spec.module_attrs()
    defaults = {p.name: p.default for p in spec.params}
    defaults.setdefault("inplace", False)

    def __init__(self, *args, **kwargs) -> None:
        nn.Module.__init__(self)
        bound = signature.bind(None, *args, **kwargs)
        bound.apply_defaults()
        for name in names:
            setattr(self, name, bound.arguments[name])

    def extra_repr(self) -> str:
        return ", ".join(f"{n}={getattr(self, n)!r}" for n in names)

    signature = inspect.Signature([
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults[n])
          for n in names)])
    __init__.__signature__ = signature
    return type(f"_{spec.module_name}Base", (nn.Module,),
                {"__init__": __init__, "extra_repr": extra_repr, "__module__": "tritonact.nn"})


# --- the functional form ---------------------------------------------------------------------


def _parameter_decisions(spec: Spec) -> Callable:
    """``decide(dtype, floats) -> (accepted, keeps output)``: ``spec.accepts`` and
    ``spec.keeps_output`` for one call's parameters, remembered per dtype and parameters (a few
    microseconds of Python each, a dict look-up after the first call); under torch.compile
    computed directly, which the trace folds into constants."""
    decisions: dict[tuple, tuple[bool, bool]] = {}

    def compute(dtype: torch.dtype, floats: tuple[float, ...]) -> tuple[bool, bool]:
        accepted = spec.accepts(dtype, floats)
        return accepted, accepted and spec.keeps_output(dtype, floats)

    def decide(dtype: torch.dtype, floats: tuple[float, ...]) -> tuple[bool, bool]:
        if is_compiling() or 0.0 in floats:  # -0.0 == 0.0 as a key, but is decided apart
            return compute(dtype, floats)
        found = decisions.get((dtype, floats))
        if found is None:
            if len(decisions) >= 1024:  # parameters swept, or NaNs (never equal to a key)
                decisions.clear()
            found = decisions[dtype, floats] = compute(dtype, floats)
        return found

    return decide


def make_function(spec: Spec, inplace_twin: bool = False) -> Callable[..., torch.Tensor]:
    """The functional form of ``spec`` (or of its in-place twin, such as ``relu_``)."""
    has_inplace_arg = spec.inplace and not inplace_twin
    name = spec.inplace_name if inplace_twin else spec.name
    names = tuple(p.name for p in spec.params) + (("inplace",) if has_inplace_arg else ())
    defaults = tuple(p.default for p in spec.params) + ((False,) if has_inplace_arg else ())
    n_positional = sum(not p.keyword_only for p in spec.params) + has_inplace_arg
    float_index = tuple(names.index(p) for p in spec.float_params)
    choice_index = names.index(spec.choice.name) if spec.choice else None
    maths = {c: spec.math_for(c) for c in spec.choice.choices} if spec.choice else None
    inplace_index = names.index("inplace") if has_inplace_arg else None
    torch_fn = getattr(F, name) if inplace_twin else spec.torch_fn
    default_math = spec.math_for(defaults[choice_index] if spec.choice else None)
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
                values = bind_arguments(name, names, defaults, n_positional, args, kwargs)
                floats = tuple(float(values[i]) for i in float_index)
                m = default_math if maths is None else maths.get(values[choice_index])
            except (TypeError, ValueError):  # a string or complex parameter, an unknown keyword
                return torch_fn(input, *args, **kwargs)  # torch's own error
            inplace = inplace_twin or (inplace_index is not None and bool(values[inplace_index]))
            if m is None or not decide(input.dtype, floats)[0]:
                return torch_fn(input, *args, **kwargs)  # torch's own result or error
        else:
            floats, m, inplace = default_floats, default_math, inplace_twin
        a, b = (*floats, 0.0, 0.0)[:2]
        if inplace and not is_compiling() and not writable_in_place(input):
            return torch_fn(input, *args, **kwargs)  # torch's error (overlap, inference tensor)
        if input.requires_grad and torch.is_grad_enabled():
            if inplace and not is_compiling() and (
                    leaf_in_place(input) or (inplace_grad and not inplace_grad(*floats))):
                return torch_fn(input, *args, **kwargs)  # torch raises (now, or in backward)
            keep_output = decide(input.dtype, floats)[1]
            bits = fewbit.current()
            if bits is not None:  # tritonact.saved_bits: save codes (None: no few-bit mode)
                y = fewbit.apply(spec, m, bits, input, floats, inplace, keep_output)
                if y is not None:
                    return y
            return ElementwiseFunction.apply(input, m, a, b, inplace, keep_output)
        y = run_forward(m, input, a, b, inplace)
        if inplace and not is_compiling():
            increment_version(input)
        return y

    function.__signature__ = _signature(spec, has_inplace_arg)
    twin = f"In-place version of :func:`{spec.name}`.\n\n" if inplace_twin else ""
    same = (f"Same signature, defaults and result as :func:`torch.nn.functional.{name}`"
            if spec.torch_has_op else "torch has no such function")
    return named(function, name, (
        f"{twin}{spec.name}(x) = {spec.formula}\n\n"
        f"{same}; computed by fused Triton kernels (one launch forward, one backward; "
        f"backward reads the {'output' if spec.saves_output is True else 'input'}"
        f"{' or output, by parameters' if callable(spec.saves_output) else ''}).\n"
    ))


def _signature(spec: Spec, has_inplace_arg: bool) -> inspect.Signature:
    kind = inspect.Parameter
    params = [kind(p.name, kind.KEYWORD_ONLY if p.keyword_only else kind.POSITIONAL_OR_KEYWORD,
                   default=p.default, annotation=str if p.choices else float)
              for p in spec.params]
    if has_inplace_arg:
        params.append(kind("inplace", kind.POSITIONAL_OR_KEYWORD, default=False,
                           annotation=bool))
    params.sort(key=lambda p: p.kind)  # keyword-only after positional, as Python requires
    first = kind("input", kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor)
    return inspect.Signature([first, *params], return_annotation=torch.Tensor)
