"""The gated family: ``act(gate) * up`` over the two halves of ``dim`` (GLU, SwiGLU, GeGLU,
ReGLU), and the two-tensor forms ``<act>_mul(gate, up)``. The gate activation's math is the
elementwise one (``tritonact.kernels.activations``) plus a backward from the input; the
launchers and autograd Functions are ``tritonact.autograd.gated``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.autograd import gated
from tritonact.autograd.gated import GateMath
from tritonact.autograd.launch import NUM_WARPS, PLAIN_TENSOR_TYPES, served
from tritonact.families.base import BenchShapes, ListRow, Spec, named, random_input, subclass
from tritonact.kernels import gated as kernels
from tritonact.testing import (
    Row,
    SwitchCase,
    forward_backward,
    gradcheck_into,
    layout_mismatch,
    mismatch,
    special_sample,
)

LLM_HIDDEN = (4096, 11008, 14336)
#: The share of the H200's issue ceiling the gated kernels may use (issue 15's goal, which
#: leaves the scheduler slack); the audit's default is its ``CEILING_RATIO``.
GATED_GOAL = 0.8


def _gated_shapes(tokens, hidden) -> tuple[tuple[int, int], ...]:
    """LLM-shaped gate-up inputs: ``tokens x 2*d`` (the fused gate and up projections)."""
    return tuple((t, 2 * d) for d in hidden for t in tokens)


class GatedModule(nn.Module):
    """Base of the gated modules torch lacks (SwiGLU, GeGLU, ReGLU): ``act(first half) *
    second half`` along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GatedGeluModule(GatedModule):
    """Base of GeGLU: a gated module with gelu's ``approximate``."""

    def __init__(self, dim: int = -1, approximate: str = "none") -> None:
        super().__init__(dim)
        self.approximate = approximate

    def extra_repr(self) -> str:
        return f"dim={self.dim}, approximate={self.approximate!r}"


@dataclass(frozen=True)
class Gated(Spec):
    """One gated activation: ``act(gate) * up`` with gate and up the halves of ``dim``.

    math:        the gate activation's :class:`~tritonact.autograd.gated.GateMath`, or a
                 mapping from gelu's ``approximate`` to one.
    gate_first:  the gate is the first half (SwiGLU's convention, Hugging Face's and vLLM's
                 ``silu_and_mul``); GLU gates with the second half, as torch's.
    module:      torch's class (nn.GLU) that ``tritonact.nn`` subclasses, or tritonact's own
                 base (:class:`GatedModule`) for the ops torch lacks; ``module_name`` its name.
    composite:   the reference in torch ops, ``(gate, up[, approximate]) -> act(gate) * up``
                 (written apart from the kernels' math records, so that a wrong record is
                 caught, not copied); the fallback of the two-tensor form.
    mul_name:    the two-tensor form ``<act>_mul(gate, up)``, if any.
    torch_fn:    torch's function, where torch has one (F.glu); else the split form's reference
                 is the composite over the halves.
    """

    family: ClassVar[str] = "gated"
    bench_shapes: ClassVar[BenchShapes] = BenchShapes(
        full=_gated_shapes((1, 16, 128, 1024, 4096, 16384), LLM_HIDDEN),
        quick=_gated_shapes((16, 4096), (4096, 14336)),
        smoke=((1, 1024), (4, 1024)),
        headline=(4096, 2 * 14336), host=(1, 2**10),
        memory={"full": (4096, 2 * 4096), "quick": (4096, 2 * 4096), "smoke": (4, 1024)})

    name: str
    formula: str
    math: GateMath | Mapping[str, GateMath]
    gate_first: bool
    module: type[nn.Module]
    module_name: str
    composite: Callable[..., torch.Tensor]
    mul_name: str | None = None
    torch_fn: Callable | None = None

    @property
    def takes_approximate(self) -> bool:
        return not isinstance(self.math, GateMath)

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

    def reference(self, input: torch.Tensor, dim: int = -1, approximate: str = "none"):
        """torch's result: F.glu, or the eager composite ``act(a) * b``."""
        if self.torch_fn is not None:
            return self.torch_fn(input, dim)
        gate, up = input.chunk(2, dim)
        if not self.gate_first:
            gate, up = up, gate
        return self.reference_mul(gate, up, approximate)

    def reference_mul(self, gate, up, approximate: str = "none"):
        """The composite on two tensors (torch's error for an approximate it rejects)."""
        if self.takes_approximate:
            return self.composite(gate, up, approximate=approximate)
        return self.composite(gate, up)

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [_make_function(self)] + ([_make_mul(self)] if self.mul_name else [])

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            if isinstance(self, GatedGeluModule):
                return function(input, self.dim, self.approximate)
            return function(input, self.dim)

        if self.module.__name__ == self.module_name:  # torch's own class (nn.GLU)
            return [subclass(self.module, forward, self.formula)]
        doc = (f"{self.module_name}: {self.formula}; the gate is the first half (as Hugging "
               f"Face's and vLLM's ``silu_and_mul``). Input ``(*, 2d, *)`` along ``dim``, "
               f"output ``(*, d, *)``.")
        return [subclass(self.module, forward, self.formula, self.module_name, doc)]

    def list_row(self) -> ListRow:
        return ListRow(self.name + (f", {self.mul_name}" if self.mul_name else ""),
                       "dim=-1" + (", approximate='none'" if self.takes_approximate else ""),
                       "inputs", "-", f"nn.{self.module_name}", self.formula)

    def aten_overrides(self):
        from tritonact.switch.resolution import gated_overrides

        return gated_overrides(self)

    # --- checks -------------------------------------------------------------------------------

    def check(self, x: torch.Tensor, dim: int, approximate: str = "none",
              g: torch.Tensor | None = None) -> str | None:
        """Over the halves of ``dim`` of ``x`` (and the two-tensor form on those halves),
        forward and backward, against torch's composite in fp64 and in x's dtype."""
        kw = {"approximate": approximate} if self.takes_approximate else {}
        ours = lambda t: self.function(t, dim, **kw)
        theirs = lambda t: self.reference(t, dim, **kw)
        out_shape = list(x.shape)
        out_shape[dim] //= 2
        if g is None:
            g = torch.randn(out_shape, dtype=x.dtype, device=x.device)
        y, dx = forward_backward(ours, x, g, {})
        y64, dx64 = forward_backward(theirs, x.detach().double(), g.double(), {})
        yt, dxt = forward_backward(theirs, x.detach(), g, {})
        first, second = x.detach().double().chunk(2, dim)
        up = second if self.gate_first else first
        gate_scale = (g.double() * up).abs()
        scale = torch.cat((gate_scale, torch.zeros_like(gate_scale)) if self.gate_first
                          else (torch.zeros_like(gate_scale), gate_scale), dim)
        problem = (layout_mismatch(x, (y, dx if self.torch_fn else None), (yt, dxt))
                   or mismatch(y, y64, yt, x.dtype) or mismatch(dx, dx64, dxt, x.dtype, scale))
        if problem:
            return f"{self.name}: {problem}"
        if self.mul_name:
            first, second = x.detach().chunk(2, dim)

            def run(fn, dtype):
                a, b = first.to(dtype).requires_grad_(), second.to(dtype).requires_grad_()
                out = fn(a, b, **kw)
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

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """Each approximation on a fused projection's halves, a transposed and a stepped
        input."""
        r = random_input(device, dtype)
        for approximate in self.approximations:
            kw = {"approximate": approximate} if self.takes_approximate else {}
            row = Row(self.name + (f", {self.mul_name}" if self.mul_name else ""),
                      f"approximate={approximate}" if kw else "defaults", dtype)
            for x, dim in ((r(7, 2 * 130), -1), (r(2 * 9, 5).t(), 1), (r(6, 2 * 40)[:, ::2], 1)):
                row.add(x, self.check(x, dim, approximate))
            if dtype == torch.float64:
                gradcheck_into(row, lambda t, kw=kw: self.function(t, -1, **kw),
                               torch.randn(3, 8, dtype=dtype, device=device, requires_grad=True))
            yield row

    def switch_cases(self, dtype: torch.dtype, device: Any) -> list[SwitchCase]:
        """torch's own call over each dim of a 12 x 12 input holding the special values, for
        ``verify``'s check of the switch."""
        x = special_sample(dtype, device)[:144].reshape(12, 12)
        return [SwitchCase(self.name, f"dim={dim}", lambda t, dim=dim: self.torch_fn(t, dim), x)
                for dim in (1, 0)]

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_ops(self):
        from tritonact.bench.cases import Op

        choices = [(("approximate", a),) for a in self.approximations] \
            if self.takes_approximate else [()]
        defaults = (("approximate", "none"),)
        return [Op(self.family, self.name, params, self, defaults) for params in choices]

    def bench_call(self, op, provider: str):
        if provider == "tritonact":
            return lambda x: self.function(x, -1, **op.kwargs)
        return lambda x: self.reference(x, -1, **op.kwargs)

    def output_shape(self, shape):
        return (*shape[:-1], shape[-1] // 2)

    def audit_cases(self, archs, dtypes, full):
        from tritonact.audit import Case

        return [Case(f"gated.{k}", self.math_for(a).key, dtype, False, arch, spec=self.name,
                     module=kernels.__name__, goal=GATED_GOAL,
                     group=f"gated {self.math_for(a).key}")
                for arch in archs for a in self.approximations for dtype in dtypes
                for k in ("forward", "backward")]

    def audit_launch(self, case):
        """The launcher's plan over the halves of a fused projection ``[4096, 2 x 4096]``."""
        from tritonact.audit import Launch, Work
        from tritonact.families.elementwise import audit_dtype

        m = next(self.math_for(a) for a in self.approximations
                 if self.math_for(a).key == case.op)
        x = torch.empty(4096, 2 * 4096, dtype=audit_dtype(case.dtype), device="meta")
        gate, up = gated.halves(x, 1, self.gate_first)
        out = torch.empty(4096, 4096, dtype=x.dtype, device="meta")
        if case.kernel_name == "forward":
            kernel, tensors, fns = kernels.forward, [gate, up, out], dict(ACT=m.forward)
        else:
            dx = torch.empty_like(x)
            kernel, fns = kernels.backward, dict(ACT=m.forward, ACT_BACKWARD=m.backward)
            tensors = [out, gate, up, *gated.halves(dx, 1, self.gate_first)]
        _, args, meta = gated.plan(kernel, tensors, 0.0, 0.0, **fns)
        return Launch(kernel, args, meta, Work(NUM_WARPS, meta["BLOCK"]))


# --- the functional forms --------------------------------------------------------------------


def _make_function(spec: Gated) -> Callable[..., torch.Tensor]:
    """``act(gate) * up`` over the two halves of ``dim`` of one tensor (no copy: the halves are
    views, and the gradient's halves are written in place)."""
    gate_first = spec.gate_first

    def function(input: torch.Tensor, dim: int = -1, approximate: str = "none") -> torch.Tensor:
        m = spec.math_for(approximate)
        ndim = input.dim()
        if ndim == 0 and served(input):
            raise RuntimeError(f"{spec.name} does not support scalars because halving size "
                               f"must be even")
        if not served(input) or m is None or type(dim) is not int or not -ndim <= dim < ndim:
            return spec.reference(input, dim, approximate)  # torch's result or error
        size = input.shape[dim]
        dim %= ndim
        if size % 2:
            raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                               f"{size}")
        if type(input) not in PLAIN_TENSOR_TYPES:  # a DTensor: the only other type served
            return _sharded(spec.name, m, input, dim, gate_first)
        if input.requires_grad and torch.is_grad_enabled():
            return gated.GatedFunction.apply(input, m, dim, gate_first, 0.0, 0.0)
        gate, up = gated.halves(input, dim, gate_first)
        return gated.run_forward(m, gate, up, 0.0, 0.0)

    def function_no_approximate(input: torch.Tensor, dim: int = -1) -> torch.Tensor:
        return function(input, dim)

    halves = ("first half (a), up the second (b)" if gate_first
              else "second half (b), as torch.nn.functional.glu")
    return named(function if spec.takes_approximate else function_no_approximate, spec.name, (
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Split ``dim`` in half: the gate is the {halves}. One launch forward and one backward; "
        f"saves only the input. Odd sizes raise torch.nn.functional.glu's error.\n"
    ))


def _sharded(name: str, m: GateMath, input, dim: int, gate_first: bool):
    """A gated op on a DTensor: the halves are split by DTensor's own ``chunk`` (on a sharded
    split dim, torch's rule gathers that dim first: each rank's shard of ``[gate | up]`` does not
    hold matching gate and up elements), then the two-tensor op runs on the halves' shards, with
    torch's autograd through the split."""
    from torch.distributed.tensor import Replicate

    from tritonact.autograd.sharding import note_once

    if any(p.is_partial() for p in input.placements):  # torch's glu rule: reduced first
        note_once(name, "a Partial input is reduced to Replicate first (torch's glu rule)")
        input = input.redistribute(placements=[Replicate() if p.is_partial() else p
                                               for p in input.placements])
    if any(p.is_shard(dim) for p in input.placements):
        note_once(name, f"split dim {dim} sharded: gathered by torch's split rule first (a "
                        f"local split would pair the wrong elements)")
    gate, up = gated.halves(input, dim, gate_first)
    if (gate.requires_grad or up.requires_grad) and torch.is_grad_enabled():
        return gated.GatedMulFunction.apply(gate, up, m, 0.0, 0.0)
    return gated.run_forward(m, gate, up, 0.0, 0.0)


def _make_mul(spec: Gated) -> Callable[..., torch.Tensor]:
    """``act(gate) * up`` for models that keep gate and up apart (any layouts, no copy for
    ``[rows, contiguous columns]``)."""

    def function(gate: torch.Tensor, up: torch.Tensor, approximate: str = "none"):
        m = spec.math_for(approximate)
        if (not (served(gate) and served(up)) or gate.shape != up.shape
                or gate.dtype != up.dtype or gate.device != up.device or m is None):
            return spec.reference_mul(gate, up, approximate)  # torch's result or error
        if (gate.requires_grad or up.requires_grad) and torch.is_grad_enabled():
            return gated.GatedMulFunction.apply(gate, up, m, 0.0, 0.0)
        return gated.run_forward(m, gate, up, 0.0, 0.0)

    def function_no_approximate(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
        return function(gate, up)

    return named(function if spec.takes_approximate else function_no_approximate,
                 spec.mul_name, (
        f"{spec.mul_name}(gate, up) = {spec.activation}(gate) * up, fused: one launch forward, "
        f"one backward giving both gradients; saves gate and up only.\n"
    ))
