"""The randomized family: an activation with a random slope in training (RReLU). Its math is
an elementwise op's (the slope op's); the launchers and autograd Functions are
``tritonact.autograd.randomized``, whose kernels draw the slopes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.autograd import randomized
from tritonact.autograd.elementwise import Math
from tritonact.autograd.launch import (
    NUM_WARPS,
    compute_dtype,
    fits,
    is_compiling,
    is_dtensor,
    served,
    writable_in_place,
)
from tritonact.core import fewbit
from tritonact.core.audit_case import Case, Launch, Work, audit_dtype
from tritonact.core.bench_op import Op
from tritonact.core.testing import Row, mismatch
from tritonact.families.base import (
    FLAT_BENCH_SHAPES,
    BenchShapes,
    ListRow,
    Param,
    Spec,
    increment_version,
    leaf_in_place,
    named,
    subclass,
)
from tritonact.kernels import randomized as kernels


@dataclass(frozen=True)
class Randomized(Spec):
    """An activation with a random slope in training (RReLU): ``slope_op``'s math (an
    elementwise op whose first parameter is the slope) with ``r ~ U(lower, upper)`` drawn per
    element in the kernel; in eval mode ``slope_op`` itself with the slope ``(lower + upper) / 2``.
    """

    family: ClassVar[str] = "randomized"
    #: The elementwise family's inputs: a vector of 2^10 to 2^28 elements.
    bench_shapes: ClassVar[BenchShapes] = FLAT_BENCH_SHAPES

    name: str
    formula: str
    slope_op: Spec
    torch_fn: Callable
    module: type[nn.Module]
    inplace_name: str
    params: tuple[Param, ...]
    test_params: tuple[dict, ...] = ()

    @property
    def math(self) -> Math:
        """The slope op's math, whose forward and backward the kernels run with drawn slopes."""
        return self.slope_op.math

    @property
    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params}

    def param_sets(self) -> list[dict[str, object]]:
        return [self.defaults] + [{**self.defaults, **p} for p in self.test_params]

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [_make_function(self), _make_function(self, inplace_twin=True)]

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function
        names = tuple(p.name for p in self.params)

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            return function(input, *(getattr(self, n) for n in names), self.training,
                            self.inplace)

        return [fewbit.with_saved_bits(subclass(self.module, forward, self.formula), self.name,
                                       self.saved_bits_keys(), " (eval mode; training draws "
                                       "slopes and saves them, as exact mode)")]

    def saved_bits_keys(self) -> tuple[str, ...]:
        return (self.math.key,)

    def list_row(self) -> ListRow:
        params = ", ".join(f"{p.name}={p.default!r}" for p in self.params)
        return ListRow(self.name, f"{params}, training=False",
                       f"input (training), as {self.slope_op.name} (eval)",
                       f"inplace=, {self.inplace_name}", f"nn.{self.module.__name__}",
                       self.formula)

    # --- checks -------------------------------------------------------------------------------

    def check_all(self, dtype: torch.dtype, device: Any) -> list[str]:
        """Eval mode against torch (every parameter set); training mode's slopes within
        [lower, upper], positive inputs passed through, and backward using the forward's slopes
        (``dx / g == y / x``)."""
        fn = self.function
        problems = []
        x = (torch.randn(9, 70, dtype=torch.float64, device=device) * 3).to(dtype)
        g = torch.randn(x.shape, dtype=dtype, device=device)
        for params in self.param_sets():
            def run(f, dt, params=params):
                a = x.detach().to(dt).requires_grad_()
                y = f(a, **params)
                return y, torch.autograd.grad(y, a, g.to(dt))[0]

            ours, ref, lowp = run(fn, dtype), run(self.torch_fn, torch.float64), run(
                self.torch_fn, dtype)
            for name, i in (("eval forward", 0), ("eval backward", 1)):
                problem = mismatch(ours[i], ref[i], lowp[i], dtype)
                if problem:
                    problems.append(f"{params} {name}: {problem}")
            lower, upper = params["lower"], params["upper"]
            a = x.detach().requires_grad_()
            y = fn(a, training=True, **params)
            (dx,) = torch.autograd.grad(y, a, g)
            negative = x < 0
            slopes = (y.double() / x.double())[negative]
            eps = torch.finfo(dtype).eps
            if slopes.numel() and (slopes.min() < min(lower * (1 + eps), lower * (1 - eps))
                                   or slopes.max() > max(upper * (1 + eps), upper * (1 - eps))):
                problems.append(f"{params} training: slopes in [{slopes.min()}, "
                                f"{slopes.max()}]")
            if not torch.equal(y[~negative], x[~negative]):
                problems.append(f"{params} training: non-negative inputs changed")
            backward_slopes = (dx.double() / g.double())[negative & (g != 0)]
            forward_slopes = (y.double() / x.double())[negative & (g != 0)]
            if not torch.allclose(backward_slopes, forward_slopes, rtol=4 * eps, atol=1e-12):
                problems.append(f"{params} training: backward's slopes differ from forward's")
        return problems

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """Eval parity for every parameter set; training slopes, and backward's equal to
        them."""
        yield Row(self.name, "eval parity; training slopes, same slopes in backward", dtype,
                  self.check_all(dtype, device))

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_ops(self):

        return [Op(self.family, self.name, (*self.defaults.items(), ("training", True)), self,
                   tuple(self.defaults.items()))]

    def bench_call(self, op, provider: str):
        fn = self.function if provider == "tritonact" else self.torch_fn
        return lambda x: fn(x, **op.kwargs)

    def audit_cases(self, archs, dtypes, full):

        return [Case(f"randomized.{k}", self.name, dtype, False, arch, spec=self.name,
                     module=kernels.__name__)
                for arch in archs for dtype in dtypes for k in ("forward", "backward")]

    def audit_launch(self, case):
        """The launcher's plan over a dense input of 2^24 elements, default bounds."""

        lower, upper = (float(p.default) for p in self.params)
        count = 2 if case.kernel_name == "forward" else 3
        tensors = [torch.empty(2**24, dtype=audit_dtype(case.dtype), device="meta")
                   for _ in range(count)]
        fns = dict(FORWARD=self.math.forward) if count == 2 else dict(
            BACKWARD=self.math.backward)
        _, args, meta = randomized.plan(tensors, 12345, lower, upper, **fns)
        kernel = getattr(kernels, case.kernel_name)
        return Launch(kernel, args, dict(meta, WIDE=case.wide or meta["WIDE"]),
                      Work(NUM_WARPS, meta["BLOCK"]))


def _bounds_accepted(lower: object, upper: object, dtype: torch.dtype) -> bool:
    """torch's checks of rrelu's bounds: numbers, finite, ordered, within the compute type."""
    try:
        lower, upper = float(lower), float(upper)
    except (TypeError, ValueError):
        return False
    target = compute_dtype(dtype)
    return (math.isfinite(lower) and math.isfinite(upper) and lower <= upper
            and fits(lower, target) and fits(upper, target))


def _make_function(spec: Randomized, inplace_twin: bool = False):
    """``rrelu(input, lower, upper, training=False, inplace=False)`` (or ``rrelu_``): eval mode is
    ``spec.slope_op`` with the mean slope; training draws a slope per element in the kernel."""
    m, torch_fn = spec.math, spec.torch_fn
    slope_fn = spec.slope_op.function
    lower_default, upper_default = (p.default for p in spec.params)

    def function(input: torch.Tensor, lower: float = lower_default, upper: float = upper_default,
                 training: bool = False, inplace: bool = False) -> torch.Tensor:
        if not served(input) or not _bounds_accepted(lower, upper, input.dtype):
            return torch_fn(input, lower, upper, training, inplace)  # torch's result or error
        lower, upper = float(lower), float(upper)
        if not training:
            return slope_fn(input, (lower + upper) / 2, inplace)
        if is_dtensor(input):  # no sharding rule for the seeded kernels: torch's random op
            from tritonact.autograd.launch import note_once

            note_once(spec.name, "training mode runs torch's op (falls back)")
            return torch_fn(input, lower, upper, training, inplace)
        if inplace and not is_compiling() and not writable_in_place(input):
            return torch_fn(input, lower, upper, training, inplace)  # torch's error
        if input.requires_grad and torch.is_grad_enabled():
            if inplace and not is_compiling() and leaf_in_place(input):
                return torch_fn(input, lower, upper, training, inplace)  # torch's error
            return randomized.RandomizedFunction.apply(input, m, lower, upper, inplace)
        y = randomized.run(m, input, lower, upper, inplace)[0]
        if inplace and not is_compiling():
            increment_version(input)
        return y

    if inplace_twin:
        def twin(input: torch.Tensor, lower: float = lower_default, upper: float = upper_default,
                 training: bool = False) -> torch.Tensor:
            return function(input, lower, upper, training, True)

    return named(twin if inplace_twin else function,
                 spec.inplace_name if inplace_twin else spec.name, (
        f"{'In-place version of :func:`' + spec.name + '`. ' if inplace_twin else ''}"
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Same signature and result as :func:`torch.nn.functional.{spec.name}` in eval mode "
        f"(``{spec.slope_op.name}`` with the mean slope). In training, each element's slope is "
        f"drawn inside the kernel from a seed taken from torch's default generator "
        f"(reproducible under ``torch.manual_seed``, not the same numbers as torch's), and "
        f"backward draws the same slopes again instead of saving them: one saved tensor, not "
        f"two.\n"
    ))
