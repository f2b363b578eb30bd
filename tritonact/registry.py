"""The registry: one spec per activation drives the functional API, the modules, the tests,
``verify`` and the benchmarks.

Adding an elementwise activation means writing its three ``@triton.jit`` functions in
``kernels/activations.py`` and one :class:`Elementwise` entry in ``ELEMENTWISE`` below.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.elementwise import MATH, Math
from tritonact.autograd.gated import GATED_BACKWARD, TORCH_ACT
from tritonact.autograd.launch import compute_dtype, fits, rounded
from tritonact.autograd.prelu import PRELU_MATH, PreluMath
from tritonact.autograd.rowwise import ROW_MATH, RowMath
from tritonact.kernels import activations as k
from tritonact.kernels import rowwise as rk
from tritonact.runtime import log_kernel_paths

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    """A scalar parameter, as torch names it, with torch's default (``REQUIRED`` if none).

    ``choices`` marks a string parameter that selects the math (gelu's ``approximate``) rather
    than reaching the kernel as a number. ``input_dtype`` marks a parameter that torch converts
    to the input's dtype (hardtanh's bounds, threshold's value, the shrinks' lambd): a finite
    value beyond that dtype's range is torch's overflow error; the others convert to the compute
    type (fp32, or fp64 for fp64 inputs).
    """

    name: str
    default: object = REQUIRED
    keyword_only: bool = False
    choices: tuple[str, ...] = ()
    input_dtype: bool = False


@dataclass(frozen=True)
class Elementwise:
    """One elementwise activation.

    name:         torch.nn.functional's name; ``inplace_name`` its in-place twin (``relu_``).
    formula:      the math, for docstrings and ``python -m tritonact list``.
    math:         forward/backward/second ``@triton.jit`` functions; a mapping from the choice
                  parameter's value to them when the op has one.
    params:       scalar parameters in torch's positional order (``input`` and ``inplace`` aside).
    saves_output: whether backward reads the output instead of the input: a bool, or a function
                  of the input's dtype and the float parameters, true only where the gradient
                  read from the output is exactly torch's (leaky_relu: slopes >= 0; hardtanh:
                  bounds the dtype represents, since a rounded bound is not the bound).
    inplace:      whether torch's function takes ``inplace=``.
    torch_fn:     torch's function (the reference, and the fallback outside the kernels' reach).
    module:       the torch.nn class that ``tritonact.nn`` subclasses; ``module_args`` are its
                  attributes passed to the function (default: the params, then inplace).
    supported:    torch's own checks of the float parameters; where one fails torch runs (and
                  raises its error).
    inplace_grad: where torch refuses autograd through the in-place form (its in-place
                  backward reads the output, which a negative slope makes ambiguous): a check
                  of the float parameters; where it fails the in-place call goes to torch.
    test_params:  non-default parameter sets for the tests and ``verify``.
    points:       the kinks and boundaries for given parameters, tested exactly.
    reference:    an exact fp64 reference where torch's own fp64 kernel is not (default torch_fn).
    """

    name: str
    formula: str
    math: Math | Mapping[str, Math]
    torch_fn: Callable
    module: type[nn.Module]
    params: tuple[Param, ...] = ()
    saves_output: bool | Callable[..., bool] = False
    inplace: bool = False
    inplace_name: str | None = None
    module_args: tuple[str, ...] | None = None
    supported: Callable[..., bool] | None = None
    inplace_grad: Callable[..., bool] | None = None
    test_params: tuple[dict, ...] = ()
    points: Callable[..., tuple[float, ...]] = lambda **p: ()
    reference: Callable | None = None
    float_params: tuple[str, ...] = field(init=False)
    choice: Param | None = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "float_params", tuple(p.name for p in self.params if not p.choices))
        set_(self, "choice", next((p for p in self.params if p.choices), None))
        assert len(self.float_params) <= 2, "the generic kernels take two scalar parameters"
        for key, kernel_math in self.kernels().items():
            MATH[key] = kernel_math

    def kernels(self) -> dict[str, Math]:
        """Kernel key -> math: ``name`` alone, or ``name:choice`` for each choice."""
        if isinstance(self.math, Math):
            return {self.name: self.math}
        return {f"{self.name}:{c}": m for c, m in self.math.items()}

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


def _nonnegative(value: float, *_) -> bool:
    return value >= 0.0


def _slope_from_output(dtype: torch.dtype, negative_slope: float) -> bool:
    return negative_slope >= 0.0


def _bounds_exact(dtype: torch.dtype, min_val: float, max_val: float) -> bool:
    """hardtanh's clamped output is a bound rounded to the dtype: read back, it tells a clamped
    element from an inner one only where the dtype holds both bounds exactly."""
    return rounded(min_val, dtype) == min_val and rounded(max_val, dtype) == max_val


def _value_below_threshold(dtype: torch.dtype, threshold: float, value: float) -> bool:
    """threshold's output reads as 'replaced' (``y <= threshold``) exactly where the input was,
    if the value, rounded to the dtype, is still <= the threshold the kernel compares with."""
    compute = compute_dtype(dtype)
    return rounded(rounded(value, dtype), compute) <= rounded(threshold, compute)


def _math(prefix: str, second=None, backward=None, rounds: tuple[bool, bool] = (False, False),
          contiguous: bool = False, gradient_like_saved: bool = False) -> Math:
    """The three functions ``<prefix>_forward/_backward/_second`` of kernels.activations, and
    how torch lays out and rounds (see :class:`Math`): ``rounds`` whether torch rounds the
    parameters to the input's dtype in forward and backward; ``contiguous`` whether torch's
    result and gradient are contiguous whatever the input's layout; ``gradient_like_saved``
    whether torch's gradient follows the saved tensor's layout rather than the upstream's."""
    return Math(
        getattr(k, f"{prefix}_forward"),
        backward or getattr(k, f"{prefix}_backward"),
        second or getattr(k, f"{prefix}_second", None) or k.zero_second,
        *rounds,
        contiguous,
        gradient_like_saved,
    )


ELEMENTWISE: tuple[Elementwise, ...] = (
    Elementwise(
        "relu", "max(0, x)", _math("relu", gradient_like_saved=True), F.relu, nn.ReLU,
        saves_output=True, inplace=True, inplace_name="relu_", points=lambda: (0.0,),
    ),
    Elementwise(
        "relu6", "min(max(0, x), 6)", _math("relu6"), F.relu6, nn.ReLU6,
        saves_output=True, inplace=True, module_args=("inplace",), points=lambda: (0.0, 6.0),
    ),
    Elementwise(
        "leaky_relu", "x if x > 0 else negative_slope * x",
        _math("leaky_relu", gradient_like_saved=True), F.leaky_relu,
        nn.LeakyReLU, params=(Param("negative_slope", 0.01),), saves_output=_slope_from_output,
        inplace=True, inplace_name="leaky_relu_", inplace_grad=_nonnegative,
        test_params=({"negative_slope": 0.2}, {"negative_slope": -0.5}),
        points=lambda negative_slope: (0.0,),
    ),
    Elementwise(
        "elu", "x if x > 0 else alpha * (exp(x) - 1)", _math("elu"), F.elu, nn.ELU,
        params=(Param("alpha", 1.0),), inplace=True, inplace_name="elu_", inplace_grad=_nonnegative,
        test_params=({"alpha": 0.5}, {"alpha": -0.3}), points=lambda alpha: (0.0,),
    ),
    Elementwise(
        "selu", "scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha ~ 1.6733, scale ~ 1.0507",
        _math("selu"), F.selu, nn.SELU, inplace=True, inplace_name="selu_",
        points=lambda: (0.0,),
    ),
    Elementwise(
        "celu", "x if x > 0 else alpha * (exp(x / alpha) - 1)", _math("celu"), F.celu, nn.CELU,
        params=(Param("alpha", 1.0),), inplace=True, inplace_name="celu_",
        supported=lambda alpha, *_: alpha != 0.0, inplace_grad=_nonnegative,
        test_params=({"alpha": 2.5}, {"alpha": -0.7}),
        points=lambda alpha: (0.0,),
        # torch's fp64 celu backward rounds 1/alpha through fp32 for alpha < 0 (~1e-7 relative)
        # (written as CUDA's elu_backward reads: NaN takes the x > 0 branch)
        reference=lambda x, alpha=1.0: torch.where(
            x <= 0, alpha * torch.expm1(torch.where(x <= 0, x, 0.0) / alpha), x),
    ),
    Elementwise(
        "gelu", "x * Phi(x) (approximate='tanh': 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))))",
        {"none": _math("gelu"), "tanh": _math("gelu_tanh")}, F.gelu, nn.GELU,
        params=(Param("approximate", "none", keyword_only=True, choices=("none", "tanh")),),
        test_params=({"approximate": "tanh"},), points=lambda approximate: (0.0,),
    ),
    Elementwise(
        "silu", "x * sigmoid(x)", _math("silu"), F.silu, nn.SiLU, inplace=True,
        points=lambda: (0.0,),
    ),
    Elementwise(
        "mish", "x * tanh(softplus(x))", _math("mish"), F.mish, nn.Mish, inplace=True,
        points=lambda: (0.0,),
    ),
    Elementwise(
        "sigmoid", "1 / (1 + exp(-x))", _math("sigmoid"), F.sigmoid, nn.Sigmoid,
        saves_output=True, points=lambda: (0.0,),
    ),
    Elementwise(
        "tanh", "(exp(x) - exp(-x)) / (exp(x) + exp(-x))", _math("tanh"), F.tanh, nn.Tanh,
        saves_output=True, points=lambda: (0.0,),
    ),
    Elementwise(
        "hardtanh", "min(max(min_val, x), max_val)", _math("hardtanh"), F.hardtanh, nn.Hardtanh,
        params=(Param("min_val", -1.0, input_dtype=True), Param("max_val", 1.0, input_dtype=True)),
        saves_output=_bounds_exact, inplace=True,
        inplace_name="hardtanh_", supported=lambda lo, hi: lo <= hi,
        test_params=({"min_val": -2.0, "max_val": 0.5},),
        points=lambda min_val, max_val: (min_val, max_val),
    ),
    Elementwise(
        "hardsigmoid", "min(max(0, x / 6 + 1 / 2), 1)", _math("hardsigmoid"), F.hardsigmoid,
        nn.Hardsigmoid, inplace=True, points=lambda: (-3.0, 3.0),
    ),
    Elementwise(
        "hardswish", "x * min(max(0, x + 3), 6) / 6", _math("hardswish"), F.hardswish,
        nn.Hardswish, inplace=True, points=lambda: (-3.0, 3.0),
    ),
    Elementwise(
        "softplus", "log(1 + exp(beta * x)) / beta, x where beta * x > threshold",
        _math("softplus"), F.softplus, nn.Softplus,
        params=(Param("beta", 1.0), Param("threshold", 20.0)),
        supported=lambda beta, threshold: beta != 0.0,  # log(2) / 0: torch's inf and gradient
        test_params=({"beta": 2.0, "threshold": 5.0}, {"beta": 0.5, "threshold": 30.0}),
        points=lambda beta, threshold: (0.0, threshold / beta),
        # torch's log1p(exp(beta x)) overflows past beta x ~ 709 in fp64 (88 in fp32) below a
        # large threshold, where the kernels' stable form gives the exact result
        reference=lambda x, beta=1.0, threshold=20.0: torch.where(
            x * beta > threshold, x, torch.logaddexp(x * beta, torch.zeros_like(x)) / beta),
    ),
    Elementwise(
        "softsign", "x / (1 + abs(x))", _math("softsign"), F.softsign, nn.Softsign,
        points=lambda: (0.0,),
    ),
    Elementwise(
        "logsigmoid", "log(1 / (1 + exp(-x)))", _math("logsigmoid", contiguous=True),
        F.logsigmoid, nn.LogSigmoid,
        points=lambda: (0.0,),
    ),
    Elementwise(
        "tanhshrink", "x - tanh(x)", _math("tanhshrink"), F.tanhshrink, nn.Tanhshrink,
        points=lambda: (0.0,),
    ),
    Elementwise(
        "threshold", "x if x > threshold else value",
        _math("threshold", gradient_like_saved=True), F.threshold,
        nn.Threshold, params=(Param("threshold"), Param("value", input_dtype=True)),
        saves_output=_value_below_threshold, inplace=True,
        inplace_name="threshold_",
        test_params=({"threshold": 0.5, "value": -2.0}, {"threshold": -1.0, "value": 3.0}),
        points=lambda threshold, value: (threshold,),
    ),
    Elementwise(
        "hardshrink", "x if abs(x) > lambd else 0",
        _math("hardshrink", backward=k.shrink_backward, rounds=(True, True)),
        F.hardshrink, nn.Hardshrink, params=(Param("lambd", 0.5, input_dtype=True),),
        test_params=({"lambd": 1.5},), points=lambda lambd: (-lambd, lambd),
    ),
    Elementwise(
        "softshrink", "x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
        _math("softshrink", backward=k.shrink_backward, rounds=(False, True)), F.softshrink,
        nn.Softshrink, params=(Param("lambd", 0.5, input_dtype=True),),
        supported=lambda lambd: 0.0 <= lambd < math.inf, test_params=({"lambd": 0.1},),
        points=lambda lambd: (-lambd, lambd),
    ),
)

#: name -> spec, every op the registry knows.
OPS: dict[str, Elementwise] = {spec.name: spec for spec in ELEMENTWISE}


@dataclass(frozen=True)
class Rowwise:
    """One row-wise activation: a reduction over ``dim`` (softmax and its kin).

    Every one has torch's signature ``(input, dim=None, _stacklevel=3, dtype=None)``; backward
    reads the output only. ``math`` holds its ``@triton.jit`` output/gradient functions.
    """

    name: str
    formula: str
    math: RowMath
    torch_fn: Callable
    module: type[nn.Module]
    #: torch's backward from the saved output: (dy, y, dim, input dtype) -> dx
    torch_backward: Callable

    def __post_init__(self) -> None:
        ROW_MATH[self.name] = self.math


ROWWISE: tuple[Rowwise, ...] = (
    Rowwise("softmax", "exp(x_i) / sum_j exp(x_j)",
            RowMath(rk.softmax_output, rk.softmax_grad_term, rk.softmax_grad),
            F.softmax, nn.Softmax, torch._softmax_backward_data),
    Rowwise("log_softmax", "x_i - log(sum_j exp(x_j))",
            RowMath(rk.log_softmax_output, rk.log_softmax_grad_term, rk.log_softmax_grad),
            F.log_softmax, nn.LogSoftmax, torch._log_softmax_backward_data),
    Rowwise("softmin", "exp(-x_i) / sum_j exp(-x_j)",
            RowMath(rk.softmax_output, rk.softmax_grad_term, rk.softmax_grad, negate=True),
            F.softmin, nn.Softmin, lambda *a: -torch._softmax_backward_data(*a)),
)



class _GatedModule(nn.Module):
    """Base of the gated modules torch lacks (SwiGLU, GeGLU, ReGLU): ``act(first half) *
    second half`` along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class _GatedGeluModule(_GatedModule):
    def __init__(self, dim: int = -1, approximate: str = "none") -> None:
        super().__init__(dim)
        self.approximate = approximate

    def extra_repr(self) -> str:
        return f"dim={self.dim}, approximate={self.approximate!r}"


#: The activations a gate can use: kernel key -> (input-based backward, torch's activation).
#: relu's backward tests ``y <= 0``, which reads the same from x.
GATE_ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (k.sigmoid_input_backward, torch.sigmoid),
    "silu": (k.silu_backward, F.silu),
    "gelu:none": (k.gelu_backward, F.gelu),
    "gelu:tanh": (k.gelu_tanh_backward, functools.partial(F.gelu, approximate="tanh")),
    "relu": (k.relu_backward, F.relu),
}
for _key, (_backward, _torch_act) in GATE_ACTIVATIONS.items():
    GATED_BACKWARD[_key], TORCH_ACT[_key] = _backward, _torch_act


@dataclass(frozen=True)
class Gated:
    """One gated activation: ``act(gate) * up`` with gate and up the halves of ``dim``.

    activation: the elementwise op that gates (its kernels' math is reused).
    gate_first: the gate is the first half (SwiGLU's convention, Hugging Face's and vLLM's
                ``silu_and_mul``); GLU gates with the second half, as torch's.
    module:     the base class: torch.nn.GLU for glu, tritonact's own otherwise.
    module_name: the module's class name.
    mul_name:   the two-tensor form ``<act>_mul(gate, up)``, if any.
    torch_fn:   torch's function, where torch has one (F.glu); else the reference is the eager
                composite ``act(a) * b``.
    """

    name: str
    formula: str
    activation: str
    gate_first: bool
    module: type[nn.Module]
    module_name: str
    mul_name: str | None = None
    torch_fn: Callable | None = None

    @property
    def takes_approximate(self) -> bool:
        return self.activation == "gelu"

    def key(self, approximate: str = "none") -> str:
        return f"gelu:{approximate}" if self.takes_approximate else self.activation

    def reference(self, input: torch.Tensor, dim: int = -1, approximate: str = "none"):
        """torch's result: F.glu, or the eager composite ``act(a) * b``."""
        if self.torch_fn is not None:
            return self.torch_fn(input, dim)
        gate, up = input.chunk(2, dim)
        if not self.gate_first:
            gate, up = up, gate
        return TORCH_ACT[self.key(approximate)](gate) * up

    def reference_mul(self, gate, up, approximate: str = "none"):
        return TORCH_ACT[self.key(approximate)](gate) * up


GATED: tuple[Gated, ...] = (
    Gated("glu", "a * sigmoid(b), (a, b) the halves of dim", "sigmoid", False, nn.GLU, "GLU",
          torch_fn=F.glu),
    Gated("swiglu", "silu(a) * b, (a, b) the halves of dim", "silu", True, _GatedModule,
          "SwiGLU", "silu_mul"),
    Gated("geglu", "gelu(a) * b, (a, b) the halves of dim", "gelu", True, _GatedGeluModule,
          "GeGLU", "gelu_mul"),
    Gated("reglu", "relu(a) * b, (a, b) the halves of dim", "relu", True, _GatedModule,
          "ReGLU", "relu_mul"),
)


@dataclass(frozen=True)
class Learnable:
    """An activation with a learnable weight (PReLU): one slope per channel (dim 1) or one for
    all. Backward gives the input gradient and the weight gradient from one pass over the data.
    """

    name: str
    formula: str
    math: PreluMath
    module: type[nn.Module]
    points: Callable[..., tuple[float, ...]] = lambda: (0.0,)

    def __post_init__(self) -> None:
        PRELU_MATH[self.name] = self.math

    @property
    def torch_fn(self) -> Callable:
        return self.math.torch_fn


LEARNABLE: tuple[Learnable, ...] = (
    Learnable("prelu", "x if x > 0 else weight[c] * x, c the channel (dim 1) or one weight",
              PreluMath(k.leaky_relu_forward, k.leaky_relu_backward, k.prelu_weight_backward,
                        F.prelu), nn.PReLU),
)


@dataclass(frozen=True)
class Randomized:
    """An activation with a random slope in training (RReLU): ``slope_op``'s math (an
    elementwise op whose first parameter is the slope) with ``r ~ U(lower, upper)`` drawn per
    element in the kernel; in eval mode ``slope_op`` itself with the slope ``(lower + upper) / 2``.
    """

    name: str
    formula: str
    slope_op: str
    torch_fn: Callable
    module: type[nn.Module]
    inplace_name: str
    params: tuple[Param, ...]
    test_params: tuple[dict, ...] = ()

    @property
    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params}

    def param_sets(self) -> list[dict[str, object]]:
        return [self.defaults] + [{**self.defaults, **p} for p in self.test_params]


RANDOMIZED: tuple[Randomized, ...] = (
    Randomized("rrelu", "x if x >= 0 else r * x, r ~ U(lower, upper) in training, "
               "(lower + upper) / 2 in eval", "leaky_relu", F.rrelu, nn.RReLU, "rrelu_",
               (Param("lower", 1.0 / 8), Param("upper", 1.0 / 3)),
               test_params=({"lower": 0.0, "upper": 0.5}, {"lower": -0.2, "upper": 0.1})),
)


def _public_names() -> dict[str, str]:
    """Every name ``python -m tritonact list`` shows -> the registry op it names."""
    names: dict[str, str] = {}
    for spec in (*ELEMENTWISE, *ROWWISE, *GATED, *LEARNABLE, *RANDOMIZED):
        names[spec.name] = spec.name
        for alias in (getattr(spec, "mul_name", None), getattr(spec, "inplace_name", None)):
            if alias:
                names[alias] = spec.name
    return names


#: Every public op name -> the registry op it names: the op's own name, a gated op's
#: two-tensor form (``silu_mul`` -> ``swiglu``) and an in-place form (``relu_`` -> ``relu``).
OP_NAMES: dict[str, str] = _public_names()


def resolve_ops(names: Iterable[str]) -> list[str]:
    """The registry op each of ``names`` names (see :data:`OP_NAMES`), in order, once each.
    Raises ``ValueError`` naming every unknown name."""
    names = list(names)
    unknown = [name for name in names if name not in OP_NAMES]
    if unknown:
        raise ValueError(f"unknown ops: {', '.join(unknown)} (python -m tritonact list shows "
                         f"them)")
    return list(dict.fromkeys(OP_NAMES[name] for name in names))


# Every public module (functional, nn, the switch, replace_activations, the CLI) loads the kernels
# through this registry: say once which tensors they will run on.
log_kernel_paths()
