"""The learnable family: an activation with a learnable weight (PReLU: one slope per channel,
dim 1, or one for all). Its math is ``@triton.jit`` functions in
``tritonact.kernels.activations``; its launchers and autograd Function are
``tritonact.autograd.prelu``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.autograd import prelu
from tritonact.autograd.autocast import autocast_dtype, is_any_autocast_enabled
from tritonact.autograd.launch import NUM_WARPS, PLAIN_TENSOR_TYPES, served
from tritonact.autograd.prelu import PreluMath
from tritonact.core.audit_case import Case, Launch, Work, audit_dtype
from tritonact.core.testing import Row, gradcheck_into, mismatch
from tritonact.families.base import (
    AUDIT_PROGRAMS,
    CHANNEL_AUDIT_SHAPE,
    CHANNEL_BENCH_SHAPES,
    BenchShapes,
    ListRow,
    Spec,
    away_from,
    named,
    random_input,
    subclass,
)
from tritonact.kernels import prelu as kernels


@dataclass(frozen=True)
class Learnable(Spec):
    """An activation with a learnable weight (PReLU): one slope per channel (dim 1) or one for
    all. Backward gives the input gradient and the weight gradient from one pass over the data.
    """

    family: ClassVar[str] = "learnable"
    bench_shapes: ClassVar[BenchShapes] = CHANNEL_BENCH_SHAPES

    name: str
    formula: str
    math: PreluMath
    module: type[nn.Module]
    points: Callable[..., tuple[float, ...]] = lambda: (0.0,)

    @property
    def torch_fn(self) -> Callable:
        return self.math.torch_fn

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [_make_function(self)]

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            return function(input, self.weight)

        return [subclass(self.module, forward, self.formula)]

    def list_row(self) -> ListRow:
        return ListRow(self.name, "weight", "input, weight", "-", f"nn.{self.module.__name__}",
                       self.formula)

    # --- checks -------------------------------------------------------------------------------

    def check(self, x: torch.Tensor, weight: torch.Tensor, g: torch.Tensor) -> str | None:
        """On ``x`` with ``weight``: forward, input and weight gradients against torch in fp64
        and in x's dtype. The weight gradient is a sum over all but the channel dim: rtol
        applies to the sum of its terms' magnitudes."""

        def run(fn, dtype):
            a = x.detach().to(dtype).requires_grad_()
            w = weight.detach().to(dtype).requires_grad_()
            y = fn(a, w)
            return (y, *torch.autograd.grad(y, (a, w), g.to(dtype)))

        ours = run(self.function, x.dtype)
        ref, lowp = run(self.torch_fn, torch.float64), run(self.torch_fn, x.dtype)
        x64, g64 = x.detach().double(), g.double()
        dims = [d for d in range(x.dim()) if d != 1 or weight.numel() == 1]
        terms = (torch.where(x64 > 0, 0.0, x64) * g64).abs()
        scale = (terms.sum(dims) if dims else terms).reshape(weight.shape)
        for name, i, s in (("forward", 0, None), ("input grad", 1, None),
                           ("weight grad", 2, scale)):
            problem = mismatch(ours[i], ref[i], lowp[i], x.dtype, s)
            if problem:
                return f"{name}: {problem}"
        return None

    def check_all(self, dtype: torch.dtype, device: Any) -> list[str]:
        """:meth:`check` on 2-D, 4-D and channels_last inputs with 1 and C weights."""
        r = random_input(device, dtype)
        problems = []
        for x in (r(37, 6), r(2, 3, 5, 7),
                  r(2, 5, 3, 4).contiguous(memory_format=torch.channels_last)):
            for n in (1, x.shape[1]):
                weight = (torch.rand(n, device=device) - 0.3).to(dtype)
                problem = self.check(x, weight, torch.randn_like(x))
                if problem:
                    problems.append(f"{tuple(x.shape)}/{x.stride()}, {n} weights: {problem}")
        return problems

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """2-D, 4-D and channels_last inputs with 1 and C weights; gradients of both."""
        row = Row(self.name, "1 and C weights; 2-D, 4-D, channels_last", dtype,
                  self.check_all(dtype, device))
        if dtype == torch.float64:
            x = away_from(self.points(), device, (2, 3, 2))
            for n in (1, 3):
                if row.gradcheck != "FAIL":
                    gradcheck_into(row, self.function, x, torch.rand(
                        n, dtype=dtype, device=device, requires_grad=True))
        yield row

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_leaves(self, op, x):
        """One weight per channel (dim 1)."""
        return (torch.full((x.shape[1],), 0.25, dtype=x.dtype, device=x.device,
                           requires_grad=True),)

    def audit_cases(self, archs, dtypes, full):

        return [Case(f"prelu.{k}", self.math.key, dtype, False, arch, spec=self.name,
                     module=kernels.__name__)
                for arch in archs for dtype in dtypes for k in ("forward", "backward")]

    def audit_launch(self, case):
        """The launcher's plan over ``CHANNEL_AUDIT_SHAPE`` with one weight per channel."""

        dtype = audit_dtype(case.dtype)
        x = torch.empty(CHANNEL_AUDIT_SHAPE, dtype=dtype, device="meta")
        weight = torch.empty(CHANNEL_AUDIT_SHAPE[1], dtype=dtype, device="meta")
        out = torch.empty_like(x)
        if case.kernel_name == "forward":
            kernel = kernels.forward
            tile, args, meta = prelu.plan_forward(self.math, x, weight, out,
                                                  prelu.view_ncs([x, out], False),
                                                  AUDIT_PROGRAMS)
        else:
            kernel, g = kernels.backward, torch.empty_like(x)
            tile, args, meta = prelu.plan_backward(self.math, g, x, weight, out,
                                                   prelu.view_ncs([g, x, out], False),
                                                   target=AUDIT_PROGRAMS)
        meta = dict(meta, WIDE=case.wide or meta["WIDE"])
        return Launch(kernel, args, meta, Work(NUM_WARPS, tile.rows * tile.block_c * tile.block_s,
                                               tile.rows // tile.block_n))


def _make_function(spec: Learnable) -> Callable[..., torch.Tensor]:
    """``prelu(input, weight)``: torch's checks (weight 0-d or 1-D with 1 or C elements, the
    input's dtype and device) are torch's own, by falling back to it where they fail."""
    m, torch_fn = spec.math, spec.torch_fn
    probe = lambda t: torch_fn(t, t.new_ones(()))  # what autocast makes of a call, by dtype

    def function(input: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        if is_any_autocast_enabled() and served(input) and served(weight):
            dtype = autocast_dtype(probe, input, (), {})  # torch.autocast's cast of both
            input, weight = input.to(dtype), weight.to(dtype)
        if (not (served(input) and served(weight)) or weight.dtype != input.dtype
                or (type(input) in PLAIN_TENSOR_TYPES) != (type(weight) in PLAIN_TENSOR_TYPES)
                or weight.device != input.device or weight.dim() > 1
                or weight.numel() not in (1, prelu.channels(input))):
            return torch_fn(input, weight)  # torch's result or error
        if (input.requires_grad or weight.requires_grad) and torch.is_grad_enabled():
            return prelu.PreluFunction.apply(input, weight, m)
        return prelu.run_forward(m, input, weight)

    return named(function, spec.name, (
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Same signature and result as :func:`torch.nn.functional.{spec.name}`. One launch "
        f"forward; backward is one pass over the data giving the input gradient and one partial "
        f"weight gradient per program and channel, then one small sum. Saves input and weight.\n"
    ))
