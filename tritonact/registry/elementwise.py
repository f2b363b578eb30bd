"""The elementwise ops: ``y = f(x)`` with up to two scalar parameters (relu, gelu, softplus,
...), one :class:`~tritonact.families.elementwise.Elementwise` entry each (the README's
"Adding an activation" says what each field means)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.elementwise import Math
from tritonact.autograd.launch import compute_dtype, rounded
from tritonact.core.override import Aten, Resolved
from tritonact.families.base import Param
from tritonact.families.elementwise import Elementwise
from tritonact.kernels import activations as k
from tritonact.kernels.activations import SELU_ALPHA, SELU_SCALE


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
          contiguous: bool = False, gradient_like_saved: bool = False, key: str = "") -> Math:
    """The three functions ``<prefix>_forward/_backward/_second`` of kernels.activations under
    ``key`` (default: the prefix), and how torch lays out and rounds (see :class:`Math`):
    ``rounds`` whether torch rounds the parameters to the input's dtype in forward and
    backward; ``contiguous`` whether torch's result and gradient are contiguous whatever the
    input's layout; ``gradient_like_saved`` whether torch's gradient follows the saved tensor's
    layout rather than the upstream's."""
    return Math(
        key or prefix,
        getattr(k, f"{prefix}_forward"),
        backward or getattr(k, f"{prefix}_backward"),
        second or getattr(k, f"{prefix}_second", None) or k.zero_second,
        *rounds,
        contiguous,
        gradient_like_saved,
    )


def quick_gelu_composite(input: torch.Tensor) -> torch.Tensor:
    """quick_gelu in torch ops, ``x * sigmoid(1.702 x)`` (CLIP's, Hugging Face's
    ``QuickGELUActivation``): the reference and the fallback."""
    return input * torch.sigmoid(1.702 * input)


def relu_squared_composite(input: torch.Tensor) -> torch.Tensor:
    """relu_squared in torch ops, ``relu(x)^2`` (Primer's, Hugging Face's
    ``ReLUSquaredActivation``): the reference and the fallback."""
    return torch.square(F.relu(input))


# --- how torch's aten operators' arguments resolve to these ops' kernels (the switch) ---------


def elu_family(alpha: float, scale: float, input_scale: float) -> Resolved:
    """aten::elu's ``scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))``: elu
    (scale = input_scale = 1), selu (torch's constants) and celu (input_scale = 1 / alpha; in
    celu's backward torch's derivative formula passes ``1 / float32(alpha)``)."""
    alpha, scale, input_scale = float(alpha), float(scale), float(input_scale)
    if scale == 1.0 and input_scale == 1.0:
        return ("elu", "celu") if alpha == 1.0 else ("elu",), "elu", alpha, 0.0
    if (alpha, scale, input_scale) == (SELU_ALPHA.value, SELU_SCALE.value, 1.0):
        return ("selu",), "selu", 0.0, 0.0
    if scale == 1.0 and alpha != 0.0 and input_scale in (
            1.0 / alpha, 1.0 / rounded(alpha, torch.float32)):
        return ("celu",), "celu", alpha, 0.0
    return None


def elu_backward(alpha, scale, input_scale, is_result: bool) -> Resolved:
    """elu_backward from the input; from the result (in-place elu_) torch computes it."""
    return None if is_result else elu_family(alpha, scale, input_scale)


def threshold_backward(threshold) -> Resolved:
    """``0 if t <= threshold else grad``: relu's backward (threshold 0, t the output) and
    threshold's, whichever tensor t is; the threshold kernel's backward is exactly this."""
    threshold = float(threshold)
    ops = ("relu", "threshold") if threshold == 0.0 else ("threshold",)
    return ops, "threshold", threshold, 0.0


def hardtanh(min_val, max_val) -> Resolved:
    """hardtanh; relu6 is hardtanh(0, 6) in torch."""
    lo, hi = float(min_val), float(max_val)
    if lo > hi:
        return None
    return ("hardtanh", "relu6") if (lo, hi) == (0.0, 6.0) else ("hardtanh",), "hardtanh", lo, hi


def leaky_relu_backward(negative_slope, self_is_result: bool) -> Resolved:
    """``t > 0 ? grad : grad * slope`` from the input, or from the result when the slope is
    >= 0; torch refuses the result with a negative slope (its error)."""
    if self_is_result and float(negative_slope) < 0:
        return None
    return ("leaky_relu",), "leaky_relu", float(negative_slope), 0.0


#: aten::elu computes elu, selu and celu (its scale and input_scale); aten::hardtanh computes
#: hardtanh and relu6.
_ELU = Aten("elu", resolve=elu_family, backward="elu_backward", backward_resolve=elu_backward,
            backward_tensors=(0, 5))
_HARDTANH = Aten("hardtanh", resolve=hardtanh, backward="hardtanh_backward")

ELEMENTWISE: tuple[Elementwise, ...] = (
    Elementwise(
        "relu", "max(0, x)", _math("relu", gradient_like_saved=True), F.relu, nn.ReLU,
        saves_output=True, inplace=True, inplace_name="relu_", points=lambda: (0.0,),
        aten=Aten("relu", backward="threshold_backward", backward_resolve=threshold_backward),
    ),
    Elementwise(
        "relu6", "min(max(0, x), 6)", _math("relu6"), F.relu6, nn.ReLU6,
        saves_output=True, inplace=True, module_args=("inplace",), points=lambda: (0.0, 6.0),
        aten=_HARDTANH,  # torch's relu6 is hardtanh(0, 6)
    ),
    Elementwise(
        "leaky_relu", "x if x > 0 else negative_slope * x",
        _math("leaky_relu", gradient_like_saved=True), F.leaky_relu,
        nn.LeakyReLU, params=(Param("negative_slope", 0.01),), saves_output=_slope_from_output,
        inplace=True, inplace_name="leaky_relu_", inplace_grad=_nonnegative,
        test_params=({"negative_slope": 0.2}, {"negative_slope": -0.5}),
        points=lambda negative_slope: (0.0,),
        aten=Aten("leaky_relu", backward="leaky_relu_backward",
                  backward_resolve=leaky_relu_backward),
    ),
    Elementwise(
        "elu", "x if x > 0 else alpha * (exp(x) - 1)", _math("elu"), F.elu, nn.ELU,
        params=(Param("alpha", 1.0),), inplace=True, inplace_name="elu_", inplace_grad=_nonnegative,
        test_params=({"alpha": 0.5}, {"alpha": -0.3}), points=lambda alpha: (0.0,),
        aten=_ELU,
    ),
    Elementwise(
        "selu", "scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha ~ 1.6733, scale ~ 1.0507",
        _math("selu"), F.selu, nn.SELU, inplace=True, inplace_name="selu_",
        points=lambda: (0.0,), aten=_ELU,
    ),
    Elementwise(
        "celu", "x if x > 0 else alpha * (exp(x / alpha) - 1)", _math("celu"), F.celu, nn.CELU,
        params=(Param("alpha", 1.0),), inplace=True, inplace_name="celu_",
        supported=lambda alpha, *_: alpha != 0.0, inplace_grad=_nonnegative,
        test_params=({"alpha": 2.5}, {"alpha": -0.7}),
        points=lambda alpha: (0.0,), aten=_ELU,
        # torch's fp64 celu backward rounds 1/alpha through fp32 for alpha < 0 (~1e-7 relative)
        # (written as CUDA's elu_backward reads: NaN takes the x > 0 branch)
        reference=lambda x, alpha=1.0: torch.where(
            x <= 0, alpha * torch.expm1(torch.where(x <= 0, x, 0.0) / alpha), x),
    ),
    Elementwise(
        "gelu", "x * Phi(x) (approximate='tanh': 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))))",
        {"none": _math("gelu", key="gelu:none"), "tanh": _math("gelu_tanh", key="gelu:tanh")},
        F.gelu, nn.GELU,
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
        points=lambda min_val, max_val: (min_val, max_val), aten=_HARDTANH,
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
        aten=Aten("threshold", backward="threshold_backward",
                  backward_resolve=threshold_backward),
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
    Elementwise(
        "quick_gelu", "x * sigmoid(1.702 x)", _math("quick_gelu"), quick_gelu_composite, None,
        module_name="QuickGELU", points=lambda: (0.0,),
    ),
    Elementwise(
        "relu_squared", "max(0, x)^2", _math("relu_squared", gradient_like_saved=True),
        relu_squared_composite, None,
        module_name="ReLUSquared", points=lambda: (0.0,),
    ),
)
