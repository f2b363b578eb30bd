"""The gated family: ``act(gate) * up`` over the two halves of ``dim`` (GLU, SwiGLU, GeGLU,
ReGLU, QGeGLU, SReGLU, FATReGLU, gpt-oss's clamped SwiGLU), and the two-tensor forms
``<act>_mul(gate, up)``. The gate activation's math is the elementwise one
(``tritonact.kernels.activations``) plus a backward from the input, and optionally a transform
of the up operand (gpt-oss's ``clamp(up, -limit, limit) + 1``); the halves are the first and
second half of ``dim`` in either order, or its even and odd elements (``interleaved``). The
launchers and autograd Functions are ``tritonact.autograd.gated``."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.autograd import gated
from tritonact.autograd.gated import GateMath
from tritonact.autograd.launch import NUM_WARPS, served
from tritonact.core.audit_case import Case, Launch, Work, audit_dtype
from tritonact.core.bench_op import Op
from tritonact.core.override import Override, has_backend_kernel, same_meta
from tritonact.core.testing import (
    Row,
    SwitchCase,
    forward_backward,
    gradcheck_into,
    layout_mismatch,
    mismatch,
    special_sample,
)
from tritonact.families.base import (
    LLM_HIDDEN,
    BenchShapes,
    ListRow,
    Param,
    Spec,
    away_from,
    describe_params,
    llm_gated_shapes,
    random_input,
    subclass,
)
from tritonact.families.gated_function import halves_text, make_function, make_mul
from tritonact.kernels import gated as kernels

#: The share of the H200's issue ceiling the gated kernels may use (issue 15's goal, which
#: leaves the scheduler slack); the audit's default is its ``CEILING_RATIO``.
GATED_GOAL = 0.8


class GatedModule(nn.Module):
    """Base of the gated modules torch lacks (SwiGLU, GeGLU, ReGLU, ...): ``act(gate) * up``
    over the halves of ``dim``. Each op's class takes ``dim``, then the op's parameters
    (GeGLU's ``approximate``, SwiGLUOAI's ``alpha`` and ``limit``), then keyword-only
    ``gate_first`` and ``interleaved`` (see :func:`tritonact.autograd.gated.halves`)."""

    #: The constructor's arguments, in order, with the op's defaults (set by each op's class).
    arguments: ClassVar[dict[str, object]] = {"dim": -1}
    #: The keyword-only layout options, shown by ``repr`` only where they differ from these.
    options: ClassVar[dict[str, object]] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()
        bound = inspect.signature(type(self).__init__).bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:  # self aside
            setattr(self, name, value)

    def extra_repr(self) -> str:
        shown = [*self.arguments, *(n for n, v in self.options.items() if getattr(self, n) != v)]
        return ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)


@dataclass(frozen=True)
class Gated(Spec):
    """One gated activation: ``act(gate) * up`` (or ``act(gate) * up_transform(up)``) with gate
    and up the halves of ``dim``.

    math:        the op's :class:`~tritonact.autograd.gated.GateMath`, or a mapping from gelu's
                 ``approximate`` to one.
    gate_first:  the gate is the first half (SwiGLU's convention, Hugging Face's and vLLM's
                 ``silu_and_mul``); GLU gates with the second half, as torch's. For the ops
                 torch lacks, the default of the functions' ``gate_first=`` (False: vLLM's
                 ``MulAndSilu``, up first).
    module:      torch's class (nn.GLU) that ``tritonact.nn`` subclasses, or
                 :class:`GatedModule` for the ops torch lacks; ``module_name`` its name.
    mul_name:    the two-tensor form ``<act>_mul(gate, up)``, if any.
    torch_fn:    torch's function, where torch has one (F.glu: the split form then has torch's
                 signature); else the reference is the eager composite of the math's torch
                 functions, and the split form takes ``gate_first`` and ``interleaved``.
    params:      scalar parameters after ``dim`` (and ``approximate``), with their defaults:
                 the kernels' ``a``, ``b`` (at most two).
    interleaved: the default halves: the even and odd elements of ``dim`` (gpt-oss's layout)
                 rather than its first and second half.
    supported:   a check of the float parameters; where it fails the composite runs.
    test_params: non-default parameter sets for the tests and ``verify``.
    points:      the kinks and clamp bounds for given parameters (kept away from in gradcheck,
                 tested exactly in tests/test_gated.py).
    """

    family: ClassVar[str] = "gated"
    bench_shapes: ClassVar[BenchShapes] = BenchShapes(
        full=llm_gated_shapes((1, 16, 128, 1024, 4096, 16384), LLM_HIDDEN),
        quick=llm_gated_shapes((16, 4096), (4096, 14336)),
        smoke=((1, 1024), (4, 1024)),
        headline=(4096, 2 * 14336), host=(1, 2**10),
        memory={"full": (4096, 2 * 4096), "quick": (4096, 2 * 4096), "smoke": (4, 1024)})

    name: str
    formula: str
    math: GateMath | Mapping[str, GateMath]
    gate_first: bool
    module: type[nn.Module]
    module_name: str
    mul_name: str | None = None
    torch_fn: Callable | None = None
    params: tuple[Param, ...] = ()
    interleaved: bool = False
    supported: Callable[..., bool] | None = None
    test_params: tuple[dict, ...] = ()
    points: Callable[..., tuple[float, ...]] = lambda **p: ()

    def __post_init__(self) -> None:
        assert len(self.params) <= 2, "the gated kernels take two scalar parameters"
        assert self.has_layout_options or not (self.params or self.interleaved), \
            "an op with torch's signature takes no more than torch's arguments"

    @property
    def takes_approximate(self) -> bool:
        return not isinstance(self.math, GateMath)

    @property
    def has_layout_options(self) -> bool:
        """Whether the split form takes ``gate_first`` and ``interleaved`` (not torch's glu)."""
        return self.torch_fn is None

    @property
    def approximations(self) -> tuple[str, ...]:
        """gelu's ``approximate`` values this op takes (``("none",)`` for the others)."""
        return tuple(self.math) if self.takes_approximate else ("none",)

    def math_for(self, approximate: str = "none") -> GateMath | None:
        """The gate's math for ``approximate`` (None: a value torch rejects)."""
        if not self.takes_approximate:
            return self.math
        return self.math.get(approximate)

    @property
    def activation(self) -> str:
        """The gate activation's name (``silu``)."""
        return self.math_for().key.partition(":")[0]

    @property
    def mul_defaults(self) -> dict[str, object]:
        """The two-tensor form's arguments after ``gate, up``, with their defaults."""
        return {**({"approximate": "none"} if self.takes_approximate else {}),
                **{p.name: p.default for p in self.params}}

    @property
    def defaults(self) -> dict[str, object]:
        """The split form's arguments after ``input, dim``, with their defaults."""
        options = {"gate_first": self.gate_first, "interleaved": self.interleaved}
        return {**self.mul_defaults, **(options if self.has_layout_options else {})}

    def kwarg_sets(self) -> list[dict[str, object]]:
        """The keyword arguments the tests and ``verify`` run: each approximation, at the
        default parameters and at each non-default set (layout options at their defaults)."""
        sets = [{p.name: p.default for p in self.params},
                *({**{p.name: p.default for p in self.params}, **t} for t in self.test_params)]
        return [{**({"approximate": a} if self.takes_approximate else {}), **s}
                for a in self.approximations for s in sets]

    def param_values(self, kwargs: dict) -> tuple:
        """The scalar parameters' values in ``kwargs`` (defaults where absent), in order."""
        return tuple(kwargs.get(p.name, p.default) for p in self.params)

    def accepts(self, values: tuple) -> bool:
        """Whether the kernels compute these parameters: finite real numbers that pass
        ``supported``. Where not, the composite runs (torch's result or error)."""
        try:
            floats = tuple(float(v) for v in values)
        except (TypeError, ValueError):
            return False
        return all(math.isfinite(v) for v in floats) and (
            self.supported is None or self.supported(*floats))

    def reference(self, input: torch.Tensor, dim: int = -1, **kwargs) -> torch.Tensor:
        """torch's result: F.glu, or the eager composite over the halves of ``dim`` (sliced here
        by torch ops of its own, not by the launchers' :func:`~tritonact.autograd.gated.halves`)
        with the split form's keyword arguments."""
        if self.torch_fn is not None:
            return self.torch_fn(input, dim)
        kwargs = {**self.defaults, **kwargs}
        gate_first, interleaved = kwargs.pop("gate_first"), kwargs.pop("interleaved")
        if interleaved:
            first, second = input.unflatten(dim, (-1, 2)).unbind(dim if dim < 0 else dim + 1)
        else:
            first, second = input.chunk(2, dim)
        gate, up = (first, second) if gate_first else (second, first)
        return self.reference_mul(gate, up, **kwargs)

    def reference_mul(self, gate: torch.Tensor, up: torch.Tensor,
                      approximate: str = "none", **params) -> torch.Tensor:
        """The eager composite ``act(gate) * up`` (``* up_transform(up)``) of the record's torch
        functions. The record is looked up here apart from :meth:`math_for`, which picks the
        kernels' math: a wrong pick is caught by the tests, not copied into the reference."""
        if isinstance(self.math, GateMath):
            m = self.math
        elif approximate in self.math:
            m = self.math[approximate]
        else:  # torch's error for an approximate it does not know
            return torch.nn.functional.gelu(gate, approximate=approximate) * up
        return m.composite(gate, up, self.param_values(params))

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [make_function(self)] + ([make_mul(self)] if self.mul_name else [])

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function
        if self.module.__name__ == self.module_name:  # torch's own class (nn.GLU)
            def forward(self, input: torch.Tensor) -> torch.Tensor:
                return function(input, self.dim)

            return [subclass(self.module, forward, self.formula)]
        defaults = self.defaults
        options = {n: defaults.pop(n) for n in ("gate_first", "interleaved")}

        def own_forward(self, input: torch.Tensor) -> torch.Tensor:
            return function(input, self.dim, **{n: getattr(self, n) for n in defaults},
                            **{n: v for n, d in options.items() if (v := getattr(self, n)) != d})

        doc = (f"{self.module_name}: {self.formula}, by tritonact's fused Triton kernels. "
               f"Input ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is the "
               f"{halves_text(self)} unless ``gate_first``/``interleaved`` say otherwise.")
        cls = subclass(self.module, own_forward, self.formula, self.module_name, doc)
        cls.arguments = {"dim": -1, **defaults}
        cls.options = options

        def __init__(self, *args, **kwargs) -> None:
            GatedModule.__init__(self, *args, **kwargs)

        kind = inspect.Parameter
        __init__.__signature__ = inspect.Signature([
            kind("self", kind.POSITIONAL_OR_KEYWORD),
            *(kind(n, kind.POSITIONAL_OR_KEYWORD, default=v, annotation=type(v))
              for n, v in cls.arguments.items()),
            *(kind(n, kind.KEYWORD_ONLY, default=v, annotation=bool)
              for n, v in options.items())], return_annotation=None)
        cls.__init__ = __init__
        return [cls]

    def list_row(self) -> ListRow:
        arguments = ", ".join(["dim=-1", *(f"{n}={v!r}" for n, v in self.mul_defaults.items())])
        if self.has_layout_options:
            arguments += (f", *, gate_first={self.gate_first}, "
                          f"interleaved={self.interleaved}")
        return ListRow(self.name + (f", {self.mul_name}" if self.mul_name else ""),
                       arguments, "inputs", "-", f"nn.{self.module_name}", self.formula)

    def aten_overrides(self) -> list[Override]:
        """A gated op torch has (glu): its ``aten::<name>`` and ``<name>_backward``."""
        if self.torch_fn is None or not has_backend_kernel(self.name):
            return []
        serve = functools.partial(_serve_aten, self)
        resolve = lambda *_: ((self.name,), self.math_for().key, 0.0, 0.0)
        table = [Override(self.name, (self.name,), "gated", resolve, serve=serve)]
        if has_backend_kernel(f"{self.name}_backward"):
            table.append(Override(f"{self.name}_backward", (self.name,), "gated_backward",
                                  resolve, (0, 1), serve))
        return table

    # --- checks -------------------------------------------------------------------------------

    def check(self, x: torch.Tensor, dim: int, kwargs: dict | None = None,
              g: torch.Tensor | None = None) -> str | None:
        """Over the halves of ``dim`` of ``x`` (and the two-tensor form on those halves, views
        of ``x``), forward and backward, against torch's composite in fp64 and in x's dtype.
        ``kwargs``: the split form's keyword arguments."""
        kwargs = kwargs or {}
        ours = lambda t: self.function(t, dim, **kwargs)
        theirs = lambda t: self.reference(t, dim, **kwargs)
        out_shape = list(x.shape)
        out_shape[dim] //= 2
        if g is None:
            g = torch.randn(out_shape, dtype=x.dtype, device=x.device)
        y, dx = forward_backward(ours, x, g, {})
        y64, dx64 = forward_backward(theirs, x.detach().double(), g.double(), {})
        yt, dxt = forward_backward(theirs, x.detach(), g, {})
        every = {**self.defaults, **kwargs}
        layout = (every.get("gate_first", self.gate_first), every.get("interleaved", False))
        m = self.math_for(every.get("approximate", "none"))
        params = self.param_values(every)
        dim %= x.dim()
        _, up64 = gated.halves(x.detach().double(), dim, *layout)
        gate_scale = (g.double() * (up64 if m.torch_up is None else m.torch_up(up64, *params))
                      ).abs()
        scale = gated.join_halves(gate_scale, torch.zeros_like(gate_scale), dim, *layout)
        problem = (layout_mismatch(x, (y, dx if self.torch_fn else None), (yt, dxt))
                   or mismatch(y, y64, yt, x.dtype) or mismatch(dx, dx64, dxt, x.dtype, scale))
        if problem:
            return f"{self.name}: {problem}"
        if self.mul_name:
            mul_kwargs = {n: v for n, v in every.items() if n in self.mul_defaults}
            gate, up = gated.halves(x.detach(), dim, *layout)

            def run(fn, dtype):
                a, b = gate.to(dtype).requires_grad_(), up.to(dtype).requires_grad_()
                out = fn(a, b, **mul_kwargs)
                return (out, *torch.autograd.grad(out, (a, b), g.to(dtype)))

            o, ga, gb = run(self.functions[self.mul_name], x.dtype)
            o64, ga64, gb64 = run(self.reference_mul, torch.float64)
            ot, gat, gbt = run(self.reference_mul, x.dtype)
            for name, got, want, lowp, scale in (
                    ("forward", o, o64, ot, None), ("gate grad", ga, ga64, gat, gate_scale),
                    ("up grad", gb, gb64, gbt, None)):
                problem = mismatch(got, want, lowp, x.dtype, scale)
                if problem:
                    return f"{self.mul_name} {name}: {problem}"
        return None

    def describe(self, kwargs: dict) -> str:
        """``verify``'s and the tests' label of a keyword-argument set."""
        return describe_params(kwargs)

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """Each parameter set on a fused projection's halves, a transposed and a stepped
        input."""
        r = random_input(device, dtype)
        for kwargs in self.kwarg_sets():
            row = Row(self.name + (f", {self.mul_name}" if self.mul_name else ""),
                      self.describe(kwargs), dtype)
            for x, dim in ((r(7, 2 * 130), -1), (r(2 * 9, 5).t(), 1), (r(6, 2 * 40)[:, ::2], 1)):
                row.add(x, self.check(x, dim, kwargs))
            if dtype == torch.float64:
                points = self.points(**{p.name: kwargs[p.name] for p in self.params})
                gradcheck_into(row, lambda t, kw=kwargs: self.function(t, -1, **kw),
                               away_from(points, device, (3, 8)))
            yield row

    def switch_cases(self, dtype: torch.dtype, device: Any) -> list[SwitchCase]:
        """torch's own call over each dim of a 12 x 12 input holding the special values, for
        ``verify``'s check of the switch."""
        x = special_sample(dtype, device)[:144].reshape(12, 12)
        return [SwitchCase(self.name, f"dim={dim}", lambda t, dim=dim: self.torch_fn(t, dim), x)
                for dim in (1, 0)]

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_ops(self):

        defaults = tuple(self.mul_defaults.items())
        return [Op(self.family, self.name, tuple({**self.mul_defaults, **kw}.items()), self,
                   defaults)
                for kw in ([{"approximate": a} for a in self.approximations]
                           if self.takes_approximate else [{}])]

    def bench_call(self, op, provider: str):
        if provider == "tritonact":
            return lambda x: self.function(x, -1, **op.kwargs)
        return lambda x: self.reference(x, -1, **op.kwargs)

    def output_shape(self, shape):
        return (*shape[:-1], shape[-1] // 2)

    def audit_cases(self, archs, dtypes, full):

        return [Case(f"gated.{k}", self.math_for(a).key, dtype, False, arch, spec=self.name,
                     module=kernels.__name__, goal=GATED_GOAL,
                     group=f"gated {self.math_for(a).key}")
                for arch in archs for a in self.approximations for dtype in dtypes
                for k in ("forward", "backward")]

    def audit_launch(self, case):
        """The launcher's plan over the halves (in the op's default layout: split or
        interleaved) of a fused projection ``[4096, 2 x 4096]``, at the default parameters."""

        m = next(self.math_for(a) for a in self.approximations
                 if self.math_for(a).key == case.op)
        layout = (self.gate_first, self.interleaved)
        x = torch.empty(4096, 2 * 4096, dtype=audit_dtype(case.dtype), device="meta")
        gate, up = gated.halves(x, 1, *layout)
        out = torch.empty(4096, 4096, dtype=x.dtype, device="meta")
        if case.kernel_name == "forward":
            kernel, tensors, fns = kernels.forward, [gate, up, out], m.forward_fns()
        else:
            dx = torch.empty_like(x)
            kernel, fns = kernels.backward, m.backward_fns()
            tensors = [out, gate, up, *gated.halves(dx, 1, *layout)]
        a, b = gated.kernel_scalars(tuple(float(p.default) for p in self.params))
        _, args, meta = gated.plan(kernel, tensors, a, b, **fns)
        return Launch(kernel, args, meta, Work(NUM_WARPS, meta["BLOCK"]))


def _serve_aten(spec: Spec, override: Override, selection: frozenset[str]):
    """The switch's ``glu(x, dim)`` (``x``'s halves along dim: up, then the gate) and
    ``glu_backward(dy, x, dim)``, whose gradient halves are written in place into one tensor;
    None (torch's kernel) for what tritonact does not compute exactly."""
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
        if not (served(dy) and same_meta(dy, gate)):
            return None
        dx = torch.empty(x.shape, dtype=x.dtype, device=x.device)  # contiguous, as aten's
        dgate, dup = gated.halves(dx, dim, spec.gate_first)
        gated.backward(m, dy, gate, up, a, b, dgate, dup)
        return dx

    return run
