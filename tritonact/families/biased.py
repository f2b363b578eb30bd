"""The biased family: an activation of ``x + bias``, the bias over the last dim (Megatron's
``bias_gelu``, ``bias_geglu``, ``bias_swiglu``: what a Linear layer without its bias followed by
the activation needs, one read of the matmul's output instead of two). Gated ops split the last
dim of ``x + bias`` in half: ``act(a) * b``, the gate first. The activation's math is the gated
family's :class:`~tritonact.autograd.gated.GateMath`; the launchers and autograd Function are
``tritonact.autograd.biased``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd import biased
from tritonact.autograd.autocast import is_any_autocast_enabled
from tritonact.autograd.biased import BiasMath, bias_math
from tritonact.autograd.gated import GateMath
from tritonact.autograd.launch import NUM_WARPS, PLAIN_TENSOR_TYPES, served
from tritonact.core.audit_case import Case, Launch, Work, audit_dtype
from tritonact.core.bench_op import Op
from tritonact.core.testing import Row, gradcheck_into, layout_mismatch, mismatch
from tritonact.families.base import (
    AUDIT_PROGRAMS,
    BenchShapes,
    ListRow,
    Spec,
    away_from,
    describe_params,
    llm_gated_shapes,
    named,
    random_input,
)
from tritonact.kernels import biased as kernels

#: The audit's input: 4096 tokens of a Llama-3-8B-sized MLP's projection, tiled for a 132-SM GPU
#: (8 backward programs an SM).
AUDIT_ROWS, AUDIT_COLS = 4096, 2 * 4096


class BiasModule(nn.Module):
    """Base of the bias + activation modules (``BiasGELU``, ``BiasGeGLU``, ``BiasSwiGLU``): owns
    ``bias``, a Parameter of ``features`` elements (the size of the input's last dim), initialised
    to zeros as Megatron's and Transformer Engine's linear layers initialise theirs. Under
    torch.autocast an input in the autocast dtype gets the bias cast to it, as a Linear's bias
    is (the functions themselves follow the composite: another dtype promotes)."""

    #: The op's ``approximate`` choices (empty: the op takes none).
    approximations: ClassVar[tuple[str, ...]] = ()

    def __init__(self, features: int, approximate: str = "none", *, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.features = features
        if self.approximations:
            self.approximate = approximate
        self.bias = nn.Parameter(torch.empty(features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Zeros, as a freshly built Megatron or Transformer Engine linear layer's bias."""
        with torch.no_grad():
            self.bias.zero_()

    def extra_repr(self) -> str:
        return f"features={self.features}" + (
            f", approximate={self.approximate!r}" if self.approximations else "")


@dataclass(frozen=True)
class Biased(Spec):
    """One bias + activation op: ``act(x + bias)``, or (``gated``) ``act(a) * b`` over the two
    halves ``a``, ``b`` of the last dim of ``x + bias``.

    math:        the activation's :class:`~tritonact.autograd.gated.GateMath` (a plain gate: no
                 parameters, no up transform), or a mapping from gelu's ``approximate`` to one.
    gated:       split the last dim of ``x + bias`` in half, the gate first (Megatron's
                 ``bias_geglu``, ``bias_swiglu``).
    module_name: the ``tritonact.nn`` class, which owns the bias (see :class:`BiasModule`).
    points:      the activation's kinks (kept away from in gradcheck).
    """

    family: ClassVar[str] = "biased"
    bench_shapes: ClassVar[BenchShapes] = BenchShapes(
        full=llm_gated_shapes((1, 16, 128, 1024, 4096, 16384), (4096, 11008, 14336)),
        quick=llm_gated_shapes((16, 4096), (4096, 14336)),
        smoke=((4, 1024),),
        headline=(4096, 2 * 14336), host=(1, 2**10),
        memory={"full": (4096, 2 * 4096), "quick": (4096, 2 * 4096), "smoke": (4, 1024)})

    name: str
    formula: str
    math: GateMath | Mapping[str, GateMath]
    gated: bool
    module_name: str
    points: Callable[[], tuple[float, ...]] = lambda: ()

    def __post_init__(self) -> None:
        for a in self.approximations:  # filed under their keys now, for the custom ops
            self.math_for(a)

    @property
    def takes_approximate(self) -> bool:
        return not isinstance(self.math, GateMath)

    @property
    def approximations(self) -> tuple[str, ...]:
        """gelu's ``approximate`` values this op takes (``("none",)`` for the others)."""
        return tuple(self.math) if self.takes_approximate else ("none",)

    def math_for(self, approximate: str = "none") -> BiasMath | None:
        """The kernels' math for ``approximate`` (None: a value torch rejects)."""
        act = self.math if not self.takes_approximate else self.math.get(approximate)
        return None if act is None else bias_math(act, self.gated)

    def kwarg_sets(self) -> list[dict[str, object]]:
        """The keyword arguments the tests and ``verify`` run: each approximation."""
        return [{"approximate": a} for a in self.approximations] if self.takes_approximate \
            else [{}]

    def reference(self, input: torch.Tensor, bias: torch.Tensor,
                  approximate: str = "none") -> torch.Tensor:
        """torch's eager composite (the tests' reference and the fallback), by torch ops of its
        own: ``act(input + bias)``, or ``act(a) * b`` with ``a, b = (input + bias).chunk(2,
        -1)``; torch's error for an ``approximate`` it does not know."""
        h = input + bias
        if self.gated:
            a, b = h.chunk(2, -1)
        else:
            a, b = h, None
        if not self.takes_approximate:
            act = self.math.torch_act(a)
        elif approximate in self.math:
            act = self.math[approximate].torch_act(a)
        else:
            act = F.gelu(a, approximate=approximate)
        return act if b is None else act * b

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [_make_function(self)]

    def build_modules(self) -> list[type[nn.Module]]:
        function, takes = self.function, self.takes_approximate

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            bias = self.bias
            if (is_any_autocast_enabled() and bias.dtype != input.dtype
                    and torch.is_autocast_enabled(input.device.type)
                    and input.dtype == torch.get_autocast_dtype(input.device.type)):
                bias = bias.to(input.dtype)  # as autocast casts a Linear's bias
            if takes:
                return function(input, bias, approximate=self.approximate)
            return function(input, bias)

        def __init__(self, *args, **kwargs) -> None:  # Python's errors for other arguments
            arguments = __init__.__signature__.bind(self, *args, **kwargs).arguments
            BiasModule.__init__(self, **{k: v for k, v in arguments.items() if k != "self"})

        kind = inspect.Parameter
        __init__.__signature__ = inspect.Signature([
            kind("self", kind.POSITIONAL_OR_KEYWORD),
            kind("features", kind.POSITIONAL_OR_KEYWORD, annotation=int),
            *([kind("approximate", kind.POSITIONAL_OR_KEYWORD, default="none",
                    annotation=str)] if takes else []),
            kind("device", kind.KEYWORD_ONLY, default=None),
            kind("dtype", kind.KEYWORD_ONLY, default=None)], return_annotation=None)
        halves = (" The input's last dim (``features``, even) is split in half after the bias: "
                  "``act(a) * b``, the gate ``a`` first." if self.gated else "")
        doc = (f"{self.module_name}: {self.formula}, by tritonact's fused Triton kernels, "
               f"with its own ``bias`` Parameter of ``features`` elements (zeros, as Megatron's "
               f"and Transformer Engine's linear layers start theirs).{halves} Put it after a "
               f"Linear layer without bias: ``nn.Linear(d, features, bias=False)`` then "
               f"``{self.module_name}(features)`` computes ``{self.name}`` of the Linear's "
               f"result in one read of it (copy a trained Linear's bias into ``bias``).")
        cls = type(self.module_name, (BiasModule,), {
            "forward": forward, "__init__": __init__, "__doc__": doc,
            "__module__": "tritonact.nn", "__qualname__": self.module_name,
            "approximations": self.approximations if takes else ()})
        return [cls]

    def list_row(self) -> ListRow:
        arguments = "bias" + (", *, approximate='none'" if self.takes_approximate else "")
        return ListRow(self.name, arguments, "input, bias", "-", f"nn.{self.module_name}",
                       self.formula)

    # --- checks -------------------------------------------------------------------------------

    def check(self, x: torch.Tensor, bias: torch.Tensor, kwargs: dict | None = None,
              g: torch.Tensor | None = None) -> str | None:
        """On ``x`` with ``bias``: forward, input and bias gradients against torch's composite
        in fp64 and in x's dtype, and the result's layout against torch's (the input gradient's
        too where not gated). The gate's gradient is a product ``act'(a) * (dy * b)``: rtol
        applies to ``|dy * b|``; the bias gradient is a sum over rows: rtol applies to the sum
        of its terms' magnitudes."""
        kwargs = kwargs or {}
        out_shape = (*x.shape[:-1], x.shape[-1] // 2 if self.gated else x.shape[-1])
        if g is None:
            g = torch.randn(out_shape, dtype=x.dtype, device=x.device)

        def run(fn, dtype):
            a = x.detach().to(dtype).requires_grad_()
            b = bias.detach().to(dtype).requires_grad_()
            y = fn(a, b, **kwargs)
            return (y, *torch.autograd.grad(y, (a, b), g.to(dtype)))

        ours = run(self.function, x.dtype)
        ref, lowp = run(self.reference, torch.float64), run(self.reference, x.dtype)
        dx_scale = ref[1].abs()
        if self.gated:
            _, up = (x.detach().double() + bias.detach().double()).chunk(2, -1)
            dx_scale = torch.cat((torch.maximum(dx_scale.chunk(2, -1)[0],
                                                (g.double() * up).abs()),
                                  dx_scale.chunk(2, -1)[1]), -1)
        bias_scale = dx_scale.reshape(-1, x.shape[-1]).sum(0)
        problem = layout_mismatch(x, (ours[0], None if self.gated else ours[1]),
                                  (lowp[0], lowp[1]))
        if problem:
            return problem
        for name, i, scale in (("forward", 0, None), ("input grad", 1, dx_scale),
                               ("bias grad", 2, bias_scale)):
            problem = mismatch(ours[i], ref[i], lowp[i], x.dtype, scale)
            if problem:
                return f"{name}: {problem}"
        return None

    def layouts(self, dtype: torch.dtype, device: Any, width: int) -> list[torch.Tensor]:
        """Inputs of last dim ``width``: contiguous rows, a 3-D input, rows of a wider tensor
        (a row stride), and a transposed one (its last dim not contiguous: copied first)."""
        r = random_input(device, dtype)
        return [r(7, width), r(2, 3, width), r(5, width + 6)[:, 3:width + 3],
                r(width, 5).t()]

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """Each approximation on the :meth:`layouts`; gradcheck and gradgradcheck of input and
        bias in fp64."""
        for kwargs in self.kwarg_sets():
            row = Row(self.name, describe_params(kwargs), dtype)
            width = 2 * 65 if self.gated else 65
            for x in self.layouts(dtype, device, width):
                bias = random_input(device, dtype)(width)
                row.add(x, self.check(x, bias, kwargs))
            if dtype == torch.float64:
                x = away_from(self.points(), device, (3, 8))
                bias = torch.randn(8, dtype=dtype, device=device, requires_grad=True)
                gradcheck_into(row, lambda t, b, kw=kwargs: self.function(t, b, **kw), x, bias)
            yield row

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_ops(self):

        defaults = (("approximate", "none"),) if self.takes_approximate else ()
        return [Op(self.family, self.name, tuple(kw.items()), self, defaults)
                for kw in self.kwarg_sets()]

    def bench_call(self, op, provider: str):
        if provider == "tritonact":
            return lambda x, bias: self.function(x, bias, **op.kwargs)
        return lambda x, bias: self.reference(x, bias, **op.kwargs)

    def bench_leaves(self, op, x):
        """The bias, one per element of the last dim."""
        return (torch.full((x.shape[-1],), 0.25, dtype=x.dtype, device=x.device,
                           requires_grad=True),)

    def output_shape(self, shape):
        return (*shape[:-1], shape[-1] // 2) if self.gated else shape

    def audit_cases(self, archs, dtypes, full):
        """Forward and backward of each approximation in each dtype; the hot path
        (``full=False``) keeps the default approximation in fp32 and bf16 (fp16's code differs
        from bf16's by its conversions only)."""

        approximations = self.approximations if full else self.approximations[:1]
        dtypes = dtypes if full else [d for d in dtypes if d in ("fp32", "bf16")]
        return [Case(f"biased.{k}", self.math_for(a).key, dtype, False, arch, spec=self.name,
                     module=kernels.__name__, group=f"biased {self.math_for(a).key}")
                for arch in archs for a in approximations for dtype in dtypes
                for k in ("forward", "backward")]

    def audit_label(self, case):
        return f"{self.name} ({case.op})"

    def audit_launch(self, case):
        """The launcher's plan over a contiguous ``[4096, 8192]`` input (a projection's output),
        the backward's tiled for a 132-SM GPU."""

        m = next(self.math_for(a) for a in self.approximations
                 if self.math_for(a).key == case.op)
        dtype = audit_dtype(case.dtype)
        x = torch.empty(AUDIT_ROWS, AUDIT_COLS, dtype=dtype, device="meta")
        bias = torch.empty(AUDIT_COLS, dtype=dtype, device="meta")
        out = torch.empty(self.output_shape(x.shape), dtype=dtype, device="meta")
        if case.kernel_name == "forward":
            _, args, meta = biased.plan_forward(m, x, bias, out)
            kernel, work = kernels.forward, Work(NUM_WARPS, meta["BLOCK"])
        else:
            _, args, meta = biased.plan_backward(m, out, x, bias, torch.empty_like(x),
                                                 target=AUDIT_PROGRAMS)
            kernel = kernels.backward
            rows, block_r, block_c = args[7], meta["BLOCK_R"], meta["BLOCK_C"]
            work = Work(NUM_WARPS, rows * block_c, rows // block_r)
        return Launch(kernel, args, dict(meta, WIDE=case.wide or meta["WIDE"]), work)


# --- the functional form ---------------------------------------------------------------------


def _make_function(spec: Biased) -> Callable[..., torch.Tensor]:
    """``<op>(input, bias[, *, approximate])``. Served: float tensors of one dtype and device,
    ``bias`` 1-D of the input's last dim (even, gated); anything else runs the composite
    (torch's result or error)."""
    maths = {a: spec.math_for(a) for a in spec.approximations}
    gated = spec.gated

    def run(input: torch.Tensor, bias: torch.Tensor, approximate: str) -> torch.Tensor:
        m = maths.get(approximate)
        if (m is None or not (served(input) and served(bias))
                or type(input) not in PLAIN_TENSOR_TYPES or type(bias) not in PLAIN_TENSOR_TYPES
                or input.dtype != bias.dtype or input.device != bias.device
                or input.dim() == 0 or bias.dim() != 1 or bias.shape[0] != input.shape[-1]
                or (gated and input.shape[-1] % 2)):
            return spec.reference(input, bias, approximate)  # torch's result or error
        if (input.requires_grad or bias.requires_grad) and torch.is_grad_enabled():
            return biased.BiasedFunction.apply(input, bias, m)
        return biased.run_forward(m, input, bias)

    if spec.takes_approximate:
        def function(input: torch.Tensor, bias: torch.Tensor, *,
                     approximate: str = "none") -> torch.Tensor:
            return run(input, bias, approximate)
    else:
        def function(input: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
            return run(input, bias, "none")

    kind = inspect.Parameter
    function.__signature__ = inspect.Signature([
        kind("input", kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor),
        kind("bias", kind.POSITIONAL_OR_KEYWORD, annotation=torch.Tensor),
        *([kind("approximate", kind.KEYWORD_ONLY, default="none", annotation=str)]
          if spec.takes_approximate else [])], return_annotation=torch.Tensor)
    approximate = (" ``approximate='tanh'`` is Megatron's (its ``bias_gelu``/``bias_geglu``); "
                   "'none', torch's default, is the exact erf form."
                   if spec.takes_approximate else "")
    halves = (" The last dim (even) is split in half after the bias: ``a`` the first half (the "
              "gate), ``b`` the second." if gated else "")
    return named(function, spec.name, (
        f"{spec.name}(x, bias) = {spec.formula}, bias over the last dim.\n\n"
        f"The activation of a Linear layer's result without its bias (``nn.Linear(..., "
        f"bias=False)``), the bias added inside the kernel: one launch forward (one read of "
        f"``input``); backward is one pass giving the input gradient and per program partial "
        f"sums of it over rows, then one small sum for the bias gradient. Saves input and "
        f"bias.{halves}{approximate} Other dtypes, devices or bias shapes run the torch "
        f"composite (its result or error).\n"
    ))
