"""The elementwise family: ``y = f(x)`` with up to two scalar parameters (relu, gelu, softplus,
...). Its math is three ``@triton.jit`` functions (``tritonact.kernels.activations``); its
launchers and autograd Functions are ``tritonact.autograd.elementwise``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd import elementwise as launchers
from tritonact.autograd.elementwise import Math
from tritonact.autograd.launch import NUM_WARPS, compute_dtype, fits, is_dense
from tritonact.core import fewbit
from tritonact.core.audit_case import Case, Launch, Work, audit_dtype
from tritonact.core.bench_op import Op
from tritonact.core.override import Override
from tritonact.core.testing import (
    Row,
    SwitchCase,
    forward_backward,
    gradcheck_into,
    layout_mismatch,
    mismatch,
    scalar_path_copy,
    special_sample,
)
from tritonact.families.base import (
    FLAT_BENCH_SHAPES,
    REQUIRED,
    BenchShapes,
    ListRow,
    Param,
    Spec,
    away_from,
    describe_params,
    random_input,
    subclass,
)
from tritonact.families.elementwise_aten import elementwise_overrides
from tritonact.families.elementwise_function import make_function, own_module_base
from tritonact.kernels import elementwise as kernels


@dataclass(frozen=True)
class Elementwise(Spec):
    """One elementwise activation.

    name:         its functional name (torch.nn.functional's, where torch has the op);
                  ``inplace_name`` its in-place twin (``relu_``), where torch has one.
    formula:      the math, for docstrings and ``python -m tritonact list``.
    math:         its :class:`~tritonact.autograd.elementwise.Math`; a mapping from the choice
                  parameter's value to one when the op has a choice (gelu's ``approximate``).
    torch_fn:     torch's function, or for an op torch lacks a torch composite with the same
                  signature: the tests' reference, and the fallback outside the kernels' reach.
    module:       the torch.nn class that ``tritonact.nn`` subclasses; for an op torch lacks,
                  None, and ``module_name`` names tritonact's own class (its constructor takes
                  the params, then ``inplace`` where the function has it).
    params:       scalar parameters in torch's positional order (``input`` and ``inplace`` aside).
    saves_output: whether backward reads the output instead of the input: a bool, or a function
                  of the input's dtype and the float parameters, true only where the gradient
                  read from the output is exactly torch's (leaky_relu: slopes >= 0; hardtanh:
                  bounds the dtype represents, since a rounded bound is not the bound).
    inplace:      whether the function takes ``inplace=``.
    module_args:  the module's attributes passed to the function (default: the params, then
                  inplace).
    supported:    torch's own checks of the float parameters; where one fails torch runs (and
                  raises its error).
    inplace_grad: where torch refuses autograd through the in-place form (its in-place
                  backward reads the output, which a negative slope makes ambiguous): a check
                  of the float parameters; where it fails the in-place call goes to torch.
    test_params:  non-default parameter sets for the tests and ``verify``.
    points:       the kinks and boundaries for given parameters, tested exactly.
    reference:    an exact fp64 reference where torch's own fp64 kernel is not (default torch_fn).
    aten:         how the switch serves torch's aten operators for this op (see
                  ``tritonact.core.override.Aten``); None: the operator of the op's
                  name where torch has one with the op's parameters, and its
                  ``<name>_backward``.
    """

    family: ClassVar[str] = "elementwise"
    bench_shapes: ClassVar[BenchShapes] = FLAT_BENCH_SHAPES

    name: str
    formula: str
    math: Math | Mapping[str, Math]
    torch_fn: Callable
    module: type[nn.Module] | None
    params: tuple[Param, ...] = ()
    saves_output: bool | Callable[..., bool] = False
    inplace: bool = False
    inplace_name: str | None = None
    module_name: str | None = None
    module_args: tuple[str, ...] | None = None
    supported: Callable[..., bool] | None = None
    inplace_grad: Callable[..., bool] | None = None
    test_params: tuple[dict, ...] = ()
    points: Callable[..., tuple[float, ...]] = lambda **p: ()
    reference: Callable | None = None
    aten: Any = None
    float_params: tuple[str, ...] = field(init=False)
    choice: Param | None = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "float_params", tuple(p.name for p in self.params if not p.choices))
        set_(self, "choice", next((p for p in self.params if p.choices), None))
        assert len(self.float_params) <= 2, "the generic kernels take two scalar parameters"
        assert self.module is not None or self.module_name, "an op torch lacks names its module"
        assert self.torch_has_op or not self.inplace_name, "an in-place twin is torch's"

    @property
    def torch_has_op(self) -> bool:
        """Whether torch.nn.functional has this op (else ``torch_fn`` is a composite)."""
        return getattr(F, self.name, None) is self.torch_fn

    def kernels(self) -> dict[str, Math]:
        """Kernel key -> math: ``name`` alone, or ``name:choice`` for each choice."""
        if isinstance(self.math, Math):
            return {self.math.key: self.math}
        return {m.key: m for m in self.math.values()}

    def math_for(self, choice: str | None = None) -> Math | None:
        """The math for a choice parameter's value (None: a value the op does not have)."""
        if isinstance(self.math, Math):
            return self.math
        return self.math.get(choice)

    @property
    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params if p.default is not REQUIRED}

    def param_sets(self) -> list[dict[str, object]]:
        """Torch's defaults (when every parameter has one) and the non-default test sets."""
        sets = [] if len(self.defaults) < len(self.params) else [self.defaults]
        return sets + [{**self.defaults, **p} for p in self.test_params]

    def accepts(self, dtype: torch.dtype, floats: tuple[float, ...]) -> bool:
        """Whether the kernels give torch's result for these float parameters on a ``dtype``
        input: torch's own checks pass and each parameter converts without torch's overflow
        error. Where not, torch runs and gives its result or its error. A NaN or infinite
        parameter goes to torch (what its formulas make of one, ``elu(0, alpha=nan) == 0`` or
        celu's NaN gradient at ``alpha=inf``, is theirs), and so does -0.0 except in fp64: the
        fp32 kernels' scalar arguments do not keep its sign (seen in Triton's interpreter), and
        ``softplus(beta=-0.0)`` is -inf, not inf."""
        if self.supported is not None and not self.supported(*floats):
            return False
        target = compute_dtype(dtype)
        return all(math.isfinite(value) and fits(value, dtype if param.input_dtype else target)
                   and (target == torch.float64 or value != 0.0 or math.copysign(1.0, value) > 0)
                   for param, value in zip(self._float_param_specs, floats))

    def keeps_output(self, dtype: torch.dtype, floats: tuple[float, ...]) -> bool:
        """Whether backward reads the output (``saves_output`` for this call)."""
        saves = self.saves_output
        return saves(dtype, *floats) if callable(saves) else saves

    @property
    def _float_param_specs(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.choices)

    def module_attrs(self) -> tuple[str, ...]:
        if self.module_args is not None:
            return self.module_args
        return tuple(p.name for p in self.params) + (("inplace",) if self.inplace else ())

    @classmethod
    def family_overrides(cls, specs: list[Spec]) -> list[Override]:
        """aten's operators serve several elementwise ops at once (aten::elu is elu, selu and
        celu): the family's overrides are built together (``elementwise_aten``)."""
        return elementwise_overrides(specs)

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        functions = [make_function(self)]
        if self.inplace_name:
            functions.append(make_function(self, inplace_twin=True))
        return functions

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function
        attrs = self.module_attrs()

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            return function(input, **{a: getattr(self, a) for a in attrs})

        if self.module is not None:
            cls = subclass(self.module, forward, self.formula)
        else:
            cls = subclass(own_module_base(self), forward, self.formula, self.module_name,
                           f"{self.module_name}: {self.name}(x) = {self.formula}, by "
                           f"tritonact's fused Triton kernels (torch has no such module).\n\n"
                           f"Shape: input ``(*)``, output ``(*)``, the same shape.")
        return [fewbit.with_saved_bits(cls, self.name, self.saved_bits_keys())]

    def saved_bits_keys(self) -> tuple[str, ...]:
        return tuple(self.kernels())

    def list_row(self) -> ListRow:
        params = ", ".join(f"{p.name}={p.default!r}" if p.default is not REQUIRED else p.name
                           for p in self.params)
        saves = ("output" if self.saves_output is True
                 else "output or input, by parameters" if callable(self.saves_output)
                 else "input")
        inplace = ", ".join(filter(None, ["inplace=" if self.inplace else "",
                                          self.inplace_name or ""]))
        return ListRow(self.name, params or "-", saves, inplace or "-",
                       f"nn.{self.module.__name__ if self.module else self.module_name}",
                       self.formula)

    # --- checks -------------------------------------------------------------------------------

    def check(self, params: dict, x: torch.Tensor, g: torch.Tensor | None = None,
              backward: bool = True) -> str | None:
        """Forward (and backward, with upstream gradient ``g``, random by default) on ``x``
        against torch in fp64 and in ``x``'s dtype; the output must keep ``x``'s layout.
        Returns None, or what went wrong."""
        if backward and g is None:
            g = torch.randn(x.shape, dtype=x.dtype, device=x.device)
        y, dx = forward_backward(self.function, x, g if backward else None, params)
        x64 = scalar_path_copy(x.detach().to(torch.float64))
        y64, dx64 = forward_backward(self.reference or self.torch_fn, x64,
                                      g.to(torch.float64) if backward else None, params)
        try:
            yt, dxt = forward_backward(self.torch_fn, x.detach(), g if backward else None,
                                        params)
        except (RuntimeError, NotImplementedError):  # torch lacks this dtype on this device
            yt = dxt = None
        m = self.math_for(params.get(self.choice.name) if self.choice else None)
        # an op whose result torch makes contiguous lays its gradient out like the input (no
        # AccumulateGrad copy: ``Math.contiguous_result``), where torch's is contiguous
        dx_layout = (torch.empty_like(x) if m.contiguous_result and dxt is not None
                     and is_dense(x) else dxt)
        problem = layout_mismatch(x, (y, dx), (yt, dx_layout))
        if problem:
            return problem
        problem = mismatch(y, y64, yt, x.dtype)
        if problem:
            return f"forward: {problem}"
        if backward:
            problem = mismatch(dx, dx64, dxt, x.dtype)
            if problem:
                return f"backward: {problem}"
        return None

    def away_from_kinks(self, params: dict, device: Any, shape=(3, 4)) -> torch.Tensor:
        """Random fp64 inputs at least 1e-3 from every kink, where finite differences are valid
        (gradcheck's input)."""
        return away_from(self.points(**params), device, shape)

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """Each parameter set on contiguous, odd-sized, 0-d, transposed and strided inputs."""
        r = random_input(device, dtype)
        for params in self.param_sets():
            row = Row(self.name, describe_params(params), dtype)
            for x in (r(4099), r(()), r(7, 33).t(), r(3, 40)[:, ::3]):
                row.add(x, self.check(params, x))
            if dtype == torch.float64:
                gradcheck_into(row, lambda t, params=params: self.function(t, **params),
                               self.away_from_kinks(params, device))
            yield row

    def switch_cases(self, dtype: torch.dtype, device: Any) -> list[SwitchCase]:
        """torch's own calls for each parameter set (and in place), on the special values and
        the op's kinks, for ``verify``'s check of the switch."""
        cases = []
        for params in self.param_sets():
            cases.append(SwitchCase(
                self.name, describe_params(params),
                lambda t, params=params: self.torch_fn(t, **params),
                special_sample(dtype, device, self.points(**params)),
                self.reference and (lambda t, params=params: self.reference(t, **params)),
                (lambda t, params=params: self.torch_fn(t, **params, inplace=True))
                if self.inplace else None))
        return cases

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_ops(self):

        sets = self.param_sets()
        return [Op(self.family, self.name, tuple(sets[0].items()), self,
                   tuple(self.defaults.items()))] if sets else []

    def bench_call(self, op, provider: str):
        fn = self.function if provider == "tritonact" else self.torch_fn
        return lambda x: fn(x, **op.kwargs)

    def audit_cases(self, archs, dtypes, full):

        out = []
        for arch in archs:
            for key in self.kernels():
                for dtype in dtypes:
                    out += [Case(k, key, dtype, False, arch, spec=self.name)
                            for k in ("forward", "backward")]
                if full and "fp32" in dtypes:
                    out += [Case(k, key, "fp32", True, arch, spec=self.name)
                            for k in ("forward", "backward")]
                    out += [Case(k, key, "fp32", False, arch, spec=self.name)
                            for k in ("forward_strided", "backward_strided", "second")]
                if full and fewbit.covers(key):  # few-bit saved activations (saved_bits)
                    out += [Case(f"fewbit.{k}", key, dtype, False, arch, spec=self.name,
                                 module="tritonact.kernels.fewbit", group=f"fewbit {key}")
                            for dtype in dtypes for k in ("forward", "backward")]
        return out

    def audit_launch(self, case):
        """The launcher's own plan for the case's kernel, at the op's first parameter set: the
        flat kernels over a contiguous input (2^31 elements for the int64 path), the strided
        ones over a stepped 4-d view whose dims do not merge."""

        m = self.kernels()[case.op]
        params = (self.param_sets() or [{}])[0]
        a, b = (*(float(params[p]) for p in self.float_params), 0.0, 0.0)[:2]
        dtype = audit_dtype(case.dtype)
        empty = lambda *shape: torch.empty(shape, dtype=dtype, device="meta")
        flat = lambda count: [empty(2**31 if case.wide else 2**24) for _ in range(count)]
        stepped = lambda: empty(8, 16, 32, 128)[..., ::2]
        if case.kernel.startswith("fewbit."):
            return _audit_fewbit(self, case, m, a, b, flat)
        kernel = getattr(kernels, case.kernel)
        if case.kernel == "forward":
            planned = launchers.plan_flat(flat(2), a, b, FORWARD=m.forward)
        elif case.kernel == "backward":
            planned = launchers.plan_flat(flat(3), a, b, BACKWARD=m.backward)
        elif case.kernel == "second":
            planned = launchers.plan_flat(flat(5), a, b, BACKWARD=m.backward, SECOND=m.second)
        elif case.kernel == "forward_strided":
            planned = launchers.plan_strided([stepped(), empty(8, 16, 32, 64)], a, b,
                                             FORWARD=m.forward)
        else:
            planned = launchers.plan_strided([stepped(), stepped(), empty(8, 16, 32, 64)], a, b,
                                             BACKWARD=m.backward)
        _, args, meta = planned
        return Launch(kernel, args, meta, Work(NUM_WARPS, meta["BLOCK"]))


def _audit_fewbit(spec: Elementwise, case, m: Math, a: float, b: float, flat):
    """The few-bit kernels' launch (``autograd.fewbit``'s plans) over 2^24 elements: 2 bits for
    a smooth op, the one bit of a piecewise-linear one, its table on the device."""
    from tritonact.autograd import fewbit as fewbit_launch
    from tritonact.kernels import fewbit as fewbit_kernels

    params = (spec.param_sets() or [{}])[0]
    floats = tuple(float(params[p]) for p in spec.float_params)
    s = fewbit.scheme_for(spec, m, 2, floats)
    x, out = flat(2)
    codes = torch.empty(s.codes_bytes(x.numel()), dtype=torch.uint8, device="meta")
    table = torch.empty(len(s.table), dtype=torch.float32, device="meta")
    if case.kernel_name == "forward":
        planned = fewbit_launch.plan_forward(x, out, codes, table, s, a, b, a, b,
                                             spec.keeps_output(x.dtype, floats))
    else:
        planned = fewbit_launch.plan_backward(x, codes, table, out, s, a, b)
    _, args, meta = planned
    kernel = getattr(fewbit_kernels, case.kernel_name)
    return Launch(kernel, args, meta, Work(NUM_WARPS, meta["BLOCK"]))
