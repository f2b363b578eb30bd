"""The parametric family: an activation with one or two learnable weights, each one per
channel (dim 1) or one for all: star_relu (scale, bias), xIELU (alpha_p, alpha_n), Snake
(alpha), SnakeBeta (alpha, beta). Its math is ``@triton.jit`` functions in
``tritonact.kernels.activations``; its launchers and autograd Function are
``tritonact.autograd.parametric``.

A sibling of the learnable family (PReLU) rather than a generalization of it: the kernels share
PReLU's ``[N, C, S]`` tiles and launch shape, but PReLU keeps its own kernels, custom ops and
DTensor sharding rules, which torch's ``prelu`` checks and placements are written for.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.autograd import parametric
from tritonact.autograd.launch import NUM_WARPS, PLAIN_TENSOR_TYPES, served
from tritonact.autograd.parametric import ParametricMath
from tritonact.core.audit_case import Case, Launch, Work, audit_dtype
from tritonact.core.testing import Row, gradcheck_into, mismatch
from tritonact.families.base import (
    AUDIT_PROGRAMS,
    CHANNEL_AUDIT_SHAPE,
    CHANNEL_BENCH_SHAPES,
    BenchShapes,
    ListRow,
    Param,
    Spec,
    away_from,
    bind_arguments,
    named,
    random_input,
    subclass,
)
from tritonact.kernels import parametric as kernels


@dataclass(frozen=True)
class Parametric(Spec):
    """An activation with learnable weights (``weights``: their names, one or two), each one
    per channel (dim 1; ``per_channel``) or a single one (broadcast as the composite does), and
    scalar parameters (``params``). Backward gives the input gradient and every weight's
    gradient from one pass over the data.

    ``module``: the ``nn.Module`` base whose constructor is the original project's and whose
    ``kernel_inputs()`` gives ``(weights, params)`` for the functional form (a stored transform,
    softplus-inverse or log scale, undone there in torch ops); ``sample_weights(n, dtype,
    device)`` gives test weights of n elements each, in the range the op is used in.
    """

    family: ClassVar[str] = "parametric"
    bench_shapes: ClassVar[BenchShapes] = CHANNEL_BENCH_SHAPES  # PReLU's

    name: str
    formula: str
    math: ParametricMath
    weights: tuple[str, ...]
    per_channel: bool
    module: type[nn.Module]
    module_name: str
    sample_weights: Callable[..., tuple[torch.Tensor, ...]]
    params: tuple[Param, ...] = ()
    test_params: tuple[dict[str, float], ...] = ()
    points: Callable[..., tuple[float, ...]] = lambda *_: (0.0,)

    @property
    def torch_fn(self) -> Callable:
        return self.math.torch_fn

    def param_sets(self) -> list[dict[str, float]]:
        """The defaults, then ``test_params``."""
        return [{p.name: p.default for p in self.params}, *self.test_params]

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [_make_function(self)]

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            weights, params = self.kernel_inputs()
            return function(input, *weights, *params)

        doc = (f"{self.module_name}: {self.formula}, computed by tritonact's fused Triton "
               f"kernels (:func:`tritonact.functional.{self.name}`).\n\n"
               f"{inspect.cleandoc(self.module.__doc__ or '')}\n")
        return [subclass(self.module, forward, self.formula, self.module_name, doc)]

    def list_row(self) -> ListRow:
        params = ", ".join((*self.weights, *(p.name for p in self.params)))
        return ListRow(self.name, params, f"input, {', '.join(self.weights)}", "-",
                       f"nn.{self.module_name}", self.formula)

    # --- checks -------------------------------------------------------------------------------

    def reduced_dims(self, x: torch.Tensor, weight: torch.Tensor) -> list[int]:
        """The dims a weight's gradient sums over: all but the channel dim of a per-channel
        weight."""
        return [d for d in range(x.dim()) if d != 1 or weight.numel() == 1]

    def check(self, x: torch.Tensor, weights: tuple[torch.Tensor, ...], g: torch.Tensor,
              params: dict[str, float] | None = None) -> str | None:
        """On ``x`` with ``weights``: forward, input and weight gradients against the composite
        in fp64 and in x's dtype. A weight gradient is a sum: rtol applies to the sum of its
        terms' magnitudes (each term g * dy/dw, from the fp64 composite's forward-mode
        derivative)."""
        values = tuple((params or {}).values())

        def run(fn, dtype):
            a = x.detach().to(dtype).requires_grad_()
            ws = [w.detach().to(dtype).requires_grad_() for w in weights]
            y = fn(a, *ws, *values)
            return (y, *torch.autograd.grad(y, (a, *ws), g.to(dtype)))

        ours = run(self.function, x.dtype)
        ref, lowp = run(self.torch_fn, torch.float64), run(self.torch_fn, x.dtype)
        x64, g64 = x.detach().double(), g.double()
        w64 = [w.detach().double() for w in weights]
        checks = [("forward", 0, None), ("input grad", 1, None)]
        for i, (name, w) in enumerate(zip(self.weights, w64)):
            tangents = [torch.ones_like(v) if j == i else torch.zeros_like(v)
                        for j, v in enumerate(w64)]
            _, dy = torch.func.jvp(lambda *ws: self.torch_fn(x64, *ws, *values), tuple(w64),
                                   tuple(tangents))
            terms = (dy * g64).abs()
            dims = self.reduced_dims(x, w)
            scale = (terms.sum(dims) if dims else terms).reshape(w.shape)
            checks.append((f"{name} grad", 2 + i, scale))
        for name, i, s in checks:
            problem = mismatch(ours[i], ref[i], lowp[i], x.dtype, s)
            if problem:
                return f"{name}: {problem}"
        return None

    def check_all(self, dtype: torch.dtype, device: Any) -> list[str]:
        """:meth:`check` on 3-D (the projects' [B, C, T]), 4-D and channels_last inputs, with
        one weight each and (per-channel ops) C, at every parameter set."""
        r = random_input(device, dtype)
        problems = []
        for x in (r(3, 6, 17), r(2, 3, 5, 7),
                  r(2, 5, 3, 4).contiguous(memory_format=torch.channels_last)):
            for n in sorted({1, x.shape[1] if self.per_channel else 1}):
                weights = tuple(w.to(dtype) for w in self.sample_weights(n, device))
                for params in self.param_sets():
                    problem = self.check(x, weights, torch.randn_like(x), params)
                    if problem:
                        problems.append(f"{tuple(x.shape)}/{x.stride()}, {n} weights, "
                                        f"{params}: {problem}")
        return problems

    def gradcheck_inputs(self, n: int, device: Any) -> tuple[torch.Tensor, ...]:
        """fp64 leaves for gradcheck: an input away from the kinks and ``n`` weights each."""
        x = away_from(self.points(*self.param_sets()[0].values()), device, (2, 3, 2))
        return (x, *(w.double().requires_grad_() for w in self.sample_weights(n, device)))

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """3-D, 4-D and channels_last inputs; gradients of the input and every weight."""
        row = Row(self.name, "weights 1 and C; 3-D, 4-D, channels_last" if self.per_channel
                  else "scalar weights; 3-D, 4-D, channels_last", dtype,
                  self.check_all(dtype, device))
        if dtype == torch.float64:
            for n in sorted({1, 3 if self.per_channel else 1}):
                if row.gradcheck != "FAIL":
                    gradcheck_into(row, self.function, *self.gradcheck_inputs(n, device))
        yield row

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_leaves(self, op, x):
        """The weights: one per channel (dim 1) for a per-channel op, else one each."""
        n = x.shape[1] if self.per_channel else 1
        return tuple(w.to(x.dtype).requires_grad_()
                     for w in self.sample_weights(n, x.device))

    def audit_cases(self, archs, dtypes, full):
        """Forward and backward in each dtype; the hot path (``full=False``) keeps fp32 and
        bf16 (fp16's code differs from bf16's by its conversions only)."""

        dtypes = dtypes if full else [d for d in dtypes if d in ("fp32", "bf16")]
        return [Case(f"parametric.{k}", self.math.key, dtype, False, arch, spec=self.name,
                     module=kernels.__name__)
                for arch in archs for dtype in dtypes for k in ("forward", "backward")]

    def audit_launch(self, case):
        """The launcher's plan over ``CHANNEL_AUDIT_SHAPE`` (PReLU's), weights per channel where
        the op has them."""

        dtype = audit_dtype(case.dtype)
        x = torch.empty(CHANNEL_AUDIT_SHAPE, dtype=dtype, device="meta")
        n = CHANNEL_AUDIT_SHAPE[1] if self.per_channel else 1
        weights = [torch.empty(n, dtype=dtype, device="meta") for _ in self.weights]
        out = torch.empty_like(x)
        shared = not self.per_channel
        params = tuple(p.default for p in self.params)
        if case.kernel_name == "forward":
            kernel = kernels.forward
            tile, args, meta = parametric.plan_forward(
                self.math, x, weights, out, parametric.view_ncs([x, out], shared), params,
                AUDIT_PROGRAMS)
        else:
            kernel, g = kernels.backward, torch.empty_like(x)
            tile, args, meta = parametric.plan_backward(
                self.math, g, x, weights, out, parametric.view_ncs([g, x, out], shared), params,
                target=AUDIT_PROGRAMS)
        meta = dict(meta, WIDE=case.wide or meta["WIDE"])
        return Launch(kernel, args, meta, Work(NUM_WARPS, tile.rows * tile.block_c * tile.block_s,
                                               tile.rows // tile.block_n))


def _result_dtype(input: torch.Tensor, weight: torch.Tensor) -> torch.dtype:
    """``torch.result_type(input, weight)`` for the floating dtypes the kernels serve, in plain
    Python (torch.compile traces it): a 0-d weight beside a dimensioned input does not promote;
    fp16 with bf16 is fp32; otherwise the wider."""
    a, b = input.dtype, weight.dtype
    if a == b or (weight.dim() == 0 and input.dim() > 0):
        return a
    if {a, b} == {torch.float16, torch.bfloat16}:
        return torch.float32
    return a if a.itemsize > b.itemsize else b


def _served_weights(spec: Parametric, input: torch.Tensor,
                    weights: tuple[torch.Tensor, ...]) -> list[torch.Tensor] | None:
    """The weights as the kernels take them, in the input's dtype where torch's type promotion
    keeps the input's (a narrower weight, or a 0-d one, which torch converts too), or None
    where the composite must run: a weight the kernels do not serve, on another device, one
    that promotes the result to another dtype, or a shape the composite would broadcast the
    result to."""
    for w in weights:
        if not (isinstance(w, torch.Tensor) and type(w) in PLAIN_TENSOR_TYPES and served(w)
                and w.device == input.device and _result_dtype(input, w) == input.dtype):
            return None
        if spec.per_channel:
            if input.dim() < 2 or w.dim() != 1 or w.numel() not in (1, input.shape[1]):
                return None
        elif w.numel() != 1 or w.dim() > input.dim():
            return None
    return [w.to(input.dtype) for w in weights]


def _make_function(spec: Parametric) -> Callable[..., torch.Tensor]:
    """``<op>(input, *weights, *params)``: the kernels where they serve the call, else the
    composite (its result or its error)."""
    m, torch_fn = spec.math, spec.torch_fn
    names = (*spec.weights, *(p.name for p in spec.params))
    defaults = tuple([inspect.Parameter.empty] * len(spec.weights)
                     + [p.default for p in spec.params])
    n_weights = len(spec.weights)

    def function(input: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        rest = bind_arguments(spec.name, names, defaults, len(names), args, kwargs)
        weights, params = tuple(rest[:n_weights]), tuple(rest[n_weights:])
        if not (type(input) in PLAIN_TENSOR_TYPES and served(input)):
            return torch_fn(input, *weights, *params)
        kernel_weights = _served_weights(spec, input, weights)
        if kernel_weights is None:
            return torch_fn(input, *weights, *params)
        floats = tuple(float(v) for v in params)
        if torch.is_grad_enabled() and (input.requires_grad
                                        or any(w.requires_grad for w in kernel_weights)):
            return parametric.ParametricFunction.apply(m, floats, input, *kernel_weights)
        return parametric.run_forward(m, input, kernel_weights, floats)

    kind = inspect.Parameter
    function.__signature__ = inspect.Signature([
        *(kind(n, kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor)
          for n in ("input", *spec.weights)),
        *(kind(p.name, kind.POSITIONAL_OR_KEYWORD, default=p.default, annotation=float)
          for p in spec.params)], return_annotation=torch.Tensor)
    shape = ("each a 1-D tensor of C elements (one per channel, dim 1) or of one"
             if spec.per_channel else "each a one-element tensor (shape (1,) or ())")
    return named(function, spec.name, (
        f"{spec.name}(x) = {spec.formula}.\n\n"
        f"Weights {', '.join(spec.weights)}: {shape}, in the input's dtype or one that torch's "
        f"type promotion converts to it (a narrower one, or 0-d). One launch "
        f"forward; backward is one pass over the data giving the input gradient and one "
        f"partial gradient per program and channel of each weight, then one small sum. Saves "
        f"input and weights. Other weights, inputs and dtypes run the torch composite.\n"
    ))
