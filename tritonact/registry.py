"""The registry: every op tritonact serves, one entry each, grouped by family.

Every consumer (``tritonact.functional``, ``tritonact.nn``, the switch, ``verify``, ``bench``,
``audit``, ``list``, the stubs) iterates :data:`SPECS` and calls the spec's methods; none of
them names an op or a family. Adding an elementwise activation is its three ``@triton.jit``
functions in ``kernels/activations.py`` and one :class:`Elementwise` entry in ``ELEMENTWISE``
below (the README's "Adding an activation" says what each field means). An op defined outside
this package is added with :func:`register` before ``tritonact.functional`` is imported.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.elementwise import Math
from tritonact.autograd.gated import GateMath
from tritonact.autograd.launch import compute_dtype, rounded
from tritonact.autograd.parametric import ParametricMath
from tritonact.autograd.prelu import PreluMath
from tritonact.autograd.rowwise import RowMath, log_softmax_second, softmax_second
from tritonact.core.runtime import log_kernel_paths
from tritonact.families.base import REQUIRED, Param, Spec
from tritonact.families.biased import Biased
from tritonact.families.elementwise import Elementwise
from tritonact.families.gated import Gated, GatedModule
from tritonact.families.learnable import Learnable
from tritonact.families.parametric import Parametric
from tritonact.families.randomized import Randomized
from tritonact.families.rowwise import Rowwise
from tritonact.integrations.switch.resolution import (
    Aten,
    elu_backward,
    elu_family,
    hardtanh,
    leaky_relu_backward,
    threshold_backward,
)
from tritonact.kernels import activations as k
from tritonact.kernels import gated as gk
from tritonact.kernels import parametric as pk
from tritonact.kernels import prelu as lk
from tritonact.kernels import rowwise as rk

__all__ = ["ELEMENTWISE", "GATED", "LEARNABLE", "OPS", "OP_NAMES", "RANDOMIZED", "REQUIRED",
           "ROWWISE", "SPECS", "Elementwise", "Gated", "Learnable", "Param", "Randomized",
           "Rowwise", "register", "resolve_ops"]
__all__ += ["BIASED", "Biased"]
__all__ += ["PARAMETRIC", "Parametric"]


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


def fatrelu_composite(gate: torch.Tensor, threshold: float) -> torch.Tensor:
    """MiniCPM's FATReLU in torch ops: ``x if x > threshold else 0``."""
    return F.threshold(gate, threshold, 0.0)


def clamped_gate_composite(gate: torch.Tensor, alpha: float, limit: float) -> torch.Tensor:
    """gpt-oss's gate in torch ops: ``c * sigmoid(alpha c)`` with ``c = gate.clamp(max=limit)``."""
    gate = gate.clamp(max=limit)
    return gate * torch.sigmoid(gate * alpha)


def clamped_up_composite(up: torch.Tensor, alpha: float, limit: float) -> torch.Tensor:
    """gpt-oss's up in torch ops: ``up.clamp(-limit, limit) + 1``."""
    return up.clamp(-limit, limit) + 1


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

ROWWISE: tuple[Rowwise, ...] = (
    Rowwise("softmax", "exp(x_i) / sum_j exp(x_j)",
            RowMath("softmax", rk.softmax_output, rk.softmax_grad_term, rk.softmax_grad,
                    softmax_second),
            F.softmax, nn.Softmax, torch._softmax_backward_data, channel_module=nn.Softmax2d),
    Rowwise("log_softmax", "x_i - log(sum_j exp(x_j))",
            RowMath("log_softmax", rk.log_softmax_output, rk.log_softmax_grad_term,
                    rk.log_softmax_grad, log_softmax_second),
            F.log_softmax, nn.LogSoftmax, torch._log_softmax_backward_data),
    Rowwise("softmin", "exp(-x_i) / sum_j exp(-x_j)",
            RowMath("softmin", rk.softmax_output, rk.softmax_grad_term, rk.softmax_grad,
                    softmax_second, negate=True),
            F.softmin, nn.Softmin, lambda *a: -torch._softmax_backward_data(*a)),
)




#: The gate activations: their forward, their backward from the input (relu's reads the same
#: from x as from y) and torch's activation.
GATE_SIGMOID = GateMath("sigmoid", k.sigmoid_forward, k.sigmoid_input_backward, torch.sigmoid,
                        up_last=True)
GATE_SILU = GateMath("silu", k.silu_forward, k.silu_backward, F.silu)
GATE_GELU = {"none": GateMath("gelu:none", k.gelu_forward, k.gelu_backward, F.gelu),
             "tanh": GateMath("gelu:tanh", k.gelu_tanh_forward, k.gelu_tanh_backward,
                              functools.partial(F.gelu, approximate="tanh"))}
GATE_RELU = GateMath("relu", k.relu_forward, k.relu_backward, F.relu)
GATE_QUICK_GELU = GateMath("quick_gelu", k.quick_gelu_forward, k.quick_gelu_backward,
                           quick_gelu_composite)
GATE_RELU_SQUARED = GateMath("relu_squared", k.relu_squared_forward, k.relu_squared_backward,
                             relu_squared_composite)
GATE_FATRELU = GateMath("fatrelu", k.fatrelu_forward, k.fatrelu_backward, fatrelu_composite)
#: gpt-oss's clamped SwiGLU: the gate ``min(a, limit)`` through ``c sigmoid(alpha c)``, the up
#: operand ``clamp(b, -limit, limit) + 1``.
GATE_CLAMPED = GateMath("swiglu_oai", gk.clamped_sigmoid_gated_forward,
                        gk.clamped_sigmoid_gated_backward, clamped_gate_composite,
                        gk.clamped_up_plus_one, gk.clamped_up_plus_one_backward,
                        clamped_up_composite)

GATED: tuple[Gated, ...] = (
    Gated("glu", "a * sigmoid(b), (a, b) the halves of dim", GATE_SIGMOID, False, nn.GLU, "GLU",
          torch_fn=F.glu),
    Gated("swiglu", "silu(a) * b, (a, b) the halves of dim", GATE_SILU, True, GatedModule,
          "SwiGLU", "silu_mul"),
    Gated("geglu", "gelu(a) * b, (a, b) the halves of dim", GATE_GELU, True, GatedModule,
          "GeGLU", "gelu_mul"),
    Gated("reglu", "relu(a) * b, (a, b) the halves of dim", GATE_RELU, True, GatedModule,
          "ReGLU", "relu_mul"),
    Gated("qgeglu", "quick_gelu(a) * b = a sigmoid(1.702 a) b, (a, b) the halves of dim",
          GATE_QUICK_GELU, True, GatedModule, "QGeGLU", "quick_gelu_mul"),
    Gated("sreglu", "relu(a)^2 * b, (a, b) the halves of dim", GATE_RELU_SQUARED, True,
          GatedModule, "SReGLU", "relu_squared_mul", points=lambda: (0.0,)),
    Gated("fatreglu", "(a if a > threshold else 0) * b, (a, b) the halves of dim", GATE_FATRELU,
          True, GatedModule, "FATReGLU", "fatrelu_mul", params=(Param("threshold", 0.0),),
          test_params=({"threshold": 0.5},), points=lambda threshold: (threshold,)),
    Gated("swiglu_oai", "c sigmoid(alpha c) * (clamp(b, -limit, limit) + 1), c = min(a, limit), "
          "(a, b) the even and odd elements of dim", GATE_CLAMPED, True, GatedModule,
          "SwiGLUOAI", "swiglu_oai_mul", params=(Param("alpha", 1.702), Param("limit", 7.0)),
          interleaved=True, supported=lambda alpha, limit: limit >= 0.0,
          test_params=({"alpha": 1.0, "limit": 0.5},), points=lambda alpha, limit: (limit, -limit)),
)


LEARNABLE: tuple[Learnable, ...] = (
    Learnable("prelu", "x if x > 0 else weight[c] * x, c the channel (dim 1) or one weight",
              PreluMath("prelu", k.leaky_relu_forward, k.leaky_relu_backward,
                        lk.prelu_weight_backward, F.prelu), nn.PReLU),
)



# --- learnable weights beyond PReLU's: the composites (the reference and the fallback) and the
# modules, with the constructors of the projects that use them


def star_relu_composite(input: torch.Tensor, scale: torch.Tensor,
                        bias: torch.Tensor) -> torch.Tensor:
    """MetaFormer's StarReLU in torch ops: ``scale * relu(x) ** 2 + bias``."""
    return scale * F.relu(input) ** 2 + bias


def xielu_composite(input: torch.Tensor, alpha_p: torch.Tensor, alpha_n: torch.Tensor,
                    beta: float = 0.5, eps: float = -1e-6) -> torch.Tensor:
    """xIELU in torch ops, as Hugging Face's ``XIELUActivation`` computes it from the
    effective ``alpha_p`` and ``alpha_n`` (its softplus transforms already applied)."""
    return torch.where(input > 0, alpha_p * input * input + beta * input,
                       (torch.expm1(torch.clamp(input, max=eps)) - input) * alpha_n
                       + beta * input)


#: BigVGAN's guard against a zero alpha (beta): ``1 / (alpha + 1e-9)``.
SNAKE_GUARD = 1e-9


def _per_channel(weight: torch.Tensor, input: torch.Tensor) -> torch.Tensor:
    """A [C] weight lined up with dim 1 of ``input`` ([1, C, 1, ...])."""
    return weight.reshape(1, -1, *[1] * (input.dim() - 2))


def snake_composite(input: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """BigVGAN's Snake in torch ops: ``x + 1 / (alpha + 1e-9) * sin(alpha x)^2``, alpha per
    channel (dim 1)."""
    alpha = _per_channel(alpha, input)
    return input + (1.0 / (alpha + SNAKE_GUARD)) * torch.pow(torch.sin(input * alpha), 2)


def snake_beta_composite(input: torch.Tensor, alpha: torch.Tensor,
                         beta: torch.Tensor) -> torch.Tensor:
    """BigVGAN's SnakeBeta in torch ops: ``x + 1 / (beta + 1e-9) * sin(alpha x)^2``, alpha and
    beta per channel (dim 1)."""
    alpha, beta = _per_channel(alpha, input), _per_channel(beta, input)
    return input + (1.0 / (beta + SNAKE_GUARD)) * torch.pow(torch.sin(input * alpha), 2)


class StarReLUModule(nn.Module):
    """MetaFormer's (timm's ``timm.models.metaformer.StarReLU``) constructor and state: ``scale``
    and ``bias`` are Parameters of shape (1,), learnable unless ``scale_learnable`` /
    ``bias_learnable`` is False. ``mode`` is accepted and unused, as there; ``inplace`` too:
    the input is never written (timm's writes relu(x) into it as a side effect)."""

    def __init__(self, scale_value: float = 1.0, bias_value: float = 0.0,
                 scale_learnable: bool = True, bias_learnable: bool = True,
                 mode: str | None = None, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace
        self.scale = nn.Parameter(scale_value * torch.ones(1), requires_grad=scale_learnable)
        self.bias = nn.Parameter(bias_value * torch.ones(1), requires_grad=bias_learnable)

    def kernel_inputs(self):
        return (self.scale, self.bias), ()


class XIELUModule(nn.Module):
    """Hugging Face's ``XIELUActivation`` constructor and state: the Parameters ``alpha_p`` and
    ``alpha_n`` (shape (1,), in ``dtype``) hold softplus-inverses, the effective weights being
    ``softplus(alpha_p)`` and ``beta + softplus(alpha_n)``; ``beta`` and ``eps`` are buffers in
    ``dtype`` (eps rounded to it, as there). ``with_vector_loads`` (an option of its CUDA
    extension) is accepted and unused."""

    def __init__(self, alpha_p_init: float = 0.8, alpha_n_init: float = 0.8, beta: float = 0.5,
                 eps: float = -1e-6, dtype: torch.dtype = torch.bfloat16,
                 with_vector_loads: bool = False) -> None:
        super().__init__()
        self.alpha_p = nn.Parameter(
            torch.log(torch.expm1(torch.tensor(alpha_p_init, dtype=dtype))).unsqueeze(0))
        self.alpha_n = nn.Parameter(
            torch.log(torch.expm1(torch.tensor(alpha_n_init - beta, dtype=dtype))).unsqueeze(0))
        self.beta = nn.Buffer(torch.tensor(beta, dtype=dtype))
        self.eps = nn.Buffer(torch.tensor(eps, dtype=dtype))
        self.with_vector_loads = with_vector_loads
        self._beta_scalar, self._eps_scalar = float(self.beta), float(self.eps)

    def kernel_inputs(self):
        """The effective weights (the transforms in torch ops, on one element each) and beta
        and eps as the buffers hold them (read once, at construction or load)."""
        alpha_p = F.softplus(self.alpha_p)
        alpha_n = self.beta + F.softplus(self.alpha_n)
        return (alpha_p, alpha_n), (self._beta_scalar, self._eps_scalar)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._beta_scalar, self._eps_scalar = float(self.beta), float(self.eps)


class SnakeModule(nn.Module):
    """BigVGAN's ``Snake`` constructor and state: ``alpha`` has one element per channel (input
    [B, C, T]); with ``alpha_logscale`` it holds log(alpha) (initialized to 0) and alpha is
    ``exp(alpha)``."""

    def __init__(self, in_features: int, alpha: float = 1.0, alpha_trainable: bool = True,
                 alpha_logscale: bool = False) -> None:
        super().__init__()
        self.in_features = in_features
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(in_features) if alpha_logscale else torch.ones(in_features)
        self.alpha = nn.Parameter(init * alpha, requires_grad=alpha_trainable)
        self.no_div_by_zero = SNAKE_GUARD

    def kernel_inputs(self):
        return (torch.exp(self.alpha) if self.alpha_logscale else self.alpha,), ()


class SnakeBetaModule(nn.Module):
    """BigVGAN's ``SnakeBeta`` constructor and state: ``alpha`` (the frequency) and ``beta``
    (the magnitude) have one element per channel; with ``alpha_logscale`` both hold logs
    (initialized to 0)."""

    def __init__(self, in_features: int, alpha: float = 1.0, alpha_trainable: bool = True,
                 alpha_logscale: bool = False) -> None:
        super().__init__()
        self.in_features = in_features
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(in_features) if alpha_logscale else torch.ones(in_features)
        self.alpha = nn.Parameter(init * alpha, requires_grad=alpha_trainable)
        self.beta = nn.Parameter(init * alpha, requires_grad=alpha_trainable)
        self.no_div_by_zero = SNAKE_GUARD

    def kernel_inputs(self):
        if self.alpha_logscale:
            return (torch.exp(self.alpha), torch.exp(self.beta)), ()
        return (self.alpha, self.beta), ()


def _uniform(low: float, high: float):
    return lambda n, device: (torch.rand(n, device=device) * (high - low) + low)


PARAMETRIC: tuple[Parametric, ...] = (
    Parametric("star_relu", "scale * relu(x)^2 + bias, scale and bias learnable scalars",
               ParametricMath("star_relu", pk.star_relu_forward, pk.star_relu_backward, 2,
                              star_relu_composite),
               ("scale", "bias"), False, StarReLUModule, "StarReLU",
               lambda n, device: (_uniform(0.5, 1.5)(n, device), _uniform(-0.5, 0.5)(n, device))),
    Parametric("xielu", "alpha_p x^2 + beta x if x > 0 else (expm1(min(x, eps)) - x) alpha_n "
               "+ beta x, alpha_p and alpha_n learnable scalars",
               ParametricMath("xielu", pk.xielu_forward, pk.xielu_backward, 2, xielu_composite),
               ("alpha_p", "alpha_n"), False, XIELUModule, "XIELU",
               lambda n, device: (_uniform(0.5, 1.0)(n, device), _uniform(0.6, 1.1)(n, device)),
               params=(Param("beta", 0.5), Param("eps", -1e-6)),
               test_params=({"beta": 0.25, "eps": -0.5},), points=lambda beta, eps: (0.0, eps)),
    Parametric("snake", "x + sin(alpha[c] x)^2 / (alpha[c] + 1e-9), c the channel (dim 1)",
               ParametricMath("snake", pk.snake_forward, pk.snake_backward, 1, snake_composite,
                              (SNAKE_GUARD,)),
               ("alpha",), True, SnakeModule, "Snake",
               lambda n, device: (_uniform(0.5, 1.5)(n, device),), points=lambda: ()),
    Parametric("snake_beta",
               "x + sin(alpha[c] x)^2 / (beta[c] + 1e-9), c the channel (dim 1)",
               ParametricMath("snake_beta", pk.snake_beta_forward, pk.snake_beta_backward, 2,
                              snake_beta_composite, (SNAKE_GUARD,)),
               ("alpha", "beta"), True, SnakeBetaModule, "SnakeBeta",
               lambda n, device: (_uniform(0.5, 1.5)(n, device), _uniform(0.5, 1.5)(n, device)),
               points=lambda: ()),
)

RANDOMIZED: tuple[Randomized, ...] = (
    Randomized("rrelu", "x if x >= 0 else r * x, r ~ U(lower, upper) in training, "
               "(lower + upper) / 2 in eval",
               next(s for s in ELEMENTWISE if s.name == "leaky_relu"), F.rrelu, nn.RReLU, "rrelu_",
               (Param("lower", 1.0 / 8), Param("upper", 1.0 / 3)),
               test_params=({"lower": 0.0, "upper": 0.5}, {"lower": -0.2, "upper": 0.1})),
)


#: Megatron's bias + activation fusions: the activation of ``x + bias`` (bias over the last dim),
#: the gated ones over the halves of the last dim; the math is the gates' records above.
BIASED: tuple[Biased, ...] = (
    Biased("bias_gelu", "gelu(x + bias)", GATE_GELU, False, "BiasGELU"),
    Biased("bias_geglu", "gelu(a) * b, (a, b) the halves of the last dim of x + bias", GATE_GELU,
           True, "BiasGeGLU"),
    Biased("bias_swiglu", "silu(a) * b, (a, b) the halves of the last dim of x + bias",
           GATE_SILU, True, "BiasSwiGLU"),
)


#: Every op, in the order the API, ``list``, ``verify``, ``bench`` and the audit show them.
SPECS: list[Spec] = [*ELEMENTWISE, *ROWWISE, *GATED, *LEARNABLE, *RANDOMIZED, *PARAMETRIC,
                     *BIASED]
#: name -> spec, every op the registry knows.
OPS: dict[str, Spec] = {spec.name: spec for spec in SPECS}
#: Every public op name -> the registry op it names: the op's own name, a gated op's
#: two-tensor form (``silu_mul`` -> ``swiglu``) and an in-place form (``relu_`` -> ``relu``).
OP_NAMES: dict[str, str] = {name: spec.name for spec in SPECS for name in spec.public_names()}


def register(*specs: Spec) -> None:
    """Add ops (a spec of any family, tritonact's or one defined elsewhere) to the registry.
    Call it before ``tritonact.functional`` and ``tritonact.nn`` are imported: they are built
    from the registry once, at import. Raises ``ValueError`` for a name already taken."""
    for spec in specs:
        taken = [n for n in (spec.name, *spec.public_names()) if n in OP_NAMES]
        if taken:
            raise ValueError(f"{spec.__class__.__name__} {spec.name!r}: the names "
                             f"{', '.join(taken)} are taken")
        SPECS.append(spec)
        OPS[spec.name] = spec
        OP_NAMES.update(dict.fromkeys(spec.public_names(), spec.name))


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
