"""The math of each elementwise activation, as small ``@triton.jit`` functions.

Every activation has three functions with fixed signatures, so that the generic kernels in
``elementwise.py`` can take any of them as a ``tl.constexpr`` argument:

- ``<op>_forward(x, a, b) -> y``
- ``<op>_backward(g, t, a, b) -> dx``: the input gradient for upstream gradient ``g``, where ``t``
  is the saved input or output (the registry says which);
- ``<op>_second(gg, g, t, a, b) -> dt``: the gradient of ``backward`` with respect to ``t``
  (``backward`` is linear in ``g``, so its gradient with respect to ``g`` is ``backward(gg, t)``).

``a`` and ``b`` are the op's scalar parameters in torch's positional order (unused ones are
ignored) already cast to the compute dtype: fp32 for fp16/bf16/fp32 inputs, fp64 for fp64. Where
torch's results at NaN, +-inf or a kink depend on how it writes the formula, these follow torch's
CUDA kernels (and its CPU kernels' scalar loop, which reads the same; their vectorised loop gives
another gradient at NaN for hardtanh, the shrinks, hardswish and the elu family), so that parity
holds at those points too.
"""

import triton
import triton.language as tl

from .math import (
    expm1,
    log1p_exp_neg_abs,
    sigmoid,
    sigmoid_gated,
    sigmoid_gated_backward,
    softplus,
    tanh,
)

# Global constants must be tl.constexpr for compiled kernels; keep a tensor on the left of each
# product (``x * CONST``): the interpreter's constexpr * tensor wraps the tensor in a constexpr.
SELU_ALPHA = tl.constexpr(1.6732632423543772848170429916717)
SELU_SCALE = tl.constexpr(1.0507009873554804934193349852946)
SQRT_HALF = tl.constexpr(0.70710678118654752440084436210485)  # 1/sqrt(2)
INV_SQRT_2PI = tl.constexpr(0.39894228040143267793994605993438)  # 1/sqrt(2*pi)
SQRT_2_OVER_PI = tl.constexpr(0.79788456080286535587989211986876)  # sqrt(2/pi)
GELU_KAPPA = tl.constexpr(0.044715)
QUICK_GELU_ALPHA = tl.constexpr(1.702)  # x * sigmoid(1.702 x) ~ gelu(x) (CLIP's quick_gelu)


@triton.jit
def zero_second(gg, g, t, a, b):
    """Second derivative of a piecewise-linear activation: zero (with the right shape/dtype)."""
    return gg * 0.0


# --- relu, leaky_relu, hardtanh (relu6), threshold: piecewise linear, torch's kinks ---------


@triton.jit
def relu_forward(x, a, b):
    return tl.where(x < 0.0, 0.0, x)  # relu(NaN) = NaN and relu(-0.0) = -0.0, as torch


@triton.jit
def relu_backward(g, y, a, b):
    return tl.where(y <= 0.0, 0.0, g)  # threshold_backward on the output: 0 at the kink


@triton.jit
def leaky_relu_forward(x, negative_slope, b):
    return tl.where(x > 0.0, x, x * negative_slope)


@triton.jit
def leaky_relu_backward(g, t, negative_slope, b):
    return tl.where(t > 0.0, g, g * negative_slope)  # t is x, or y when negative_slope >= 0


@triton.jit
def hardtanh_forward(x, min_val, max_val):
    return tl.where(x < min_val, min_val, tl.where(x > max_val, max_val, x))


@triton.jit
def hardtanh_backward(g, y, min_val, max_val):
    return tl.where((y <= min_val) | (y >= max_val), 0.0, g)  # 0 at both bounds; NaN passes g


@triton.jit
def relu6_forward(x, a, b):
    return hardtanh_forward(x, 0.0, 6.0)


@triton.jit
def relu6_backward(g, y, a, b):
    return hardtanh_backward(g, y, 0.0, 6.0)


@triton.jit
def threshold_forward(x, threshold, value):
    return tl.where(x <= threshold, value, x)


@triton.jit
def threshold_backward(g, t, threshold, value):
    return tl.where(t <= threshold, 0.0, g)  # t is x, or y when value <= threshold


@triton.jit
def relu_squared_forward(x, a, b):
    r = tl.where(x < 0.0, 0.0, x)  # relu(x), NaN kept; (-0.0)^2 = +0.0 as torch's square
    return r * r


@triton.jit
def relu_squared_backward(g, x, a, b):
    return tl.where(x <= 0.0, 0.0, g * (x * 2.0))  # the composite's: 2 relu(x) g, 0 at the kink


@triton.jit
def relu_squared_second(gg, g, x, a, b):
    return tl.where(x <= 0.0, 0.0, gg * g * 2.0)


@triton.jit
def fatrelu_forward(x, threshold, b):
    """x if x > threshold else 0 (MiniCPM's FATReLU; torch.nn.functional.threshold(x, t, 0))."""
    return threshold_forward(x, threshold, 0.0)


@triton.jit
def fatrelu_backward(g, x, threshold, b):
    return threshold_backward(g, x, threshold, 0.0)


# --- exponential family --------------------------------------------------------------------


@triton.jit
def elu_forward(x, alpha, b):
    return tl.where(x > 0.0, x, alpha * expm1(x))


@triton.jit
def elu_backward(g, x, alpha, b):
    return tl.where(x <= 0.0, g * alpha * tl.exp(x), g)


@triton.jit
def elu_second(gg, g, x, alpha, b):
    return tl.where(x <= 0.0, gg * g * alpha * tl.exp(x), 0.0)


@triton.jit
def selu_forward(x, a, b):
    return tl.where(x > 0.0, x, expm1(x) * SELU_ALPHA) * SELU_SCALE


@triton.jit
def selu_backward(g, x, a, b):
    return tl.where(x <= 0.0, tl.exp(x) * g * SELU_SCALE * SELU_ALPHA, g * SELU_SCALE)


@triton.jit
def selu_second(gg, g, x, a, b):
    return tl.where(x <= 0.0, tl.exp(x) * gg * g * SELU_SCALE * SELU_ALPHA, 0.0)


@triton.jit
def celu_forward(x, alpha, b):
    return tl.where(x > 0.0, x, alpha * expm1(x / alpha))


@triton.jit
def celu_backward(g, x, alpha, b):
    return tl.where(x <= 0.0, g * tl.exp(x / alpha), g)


@triton.jit
def celu_second(gg, g, x, alpha, b):
    return tl.where(x <= 0.0, gg * g * tl.exp(x / alpha) / alpha, 0.0)


# --- gelu (exact erf and tanh approximation) ------------------------------------------------


@triton.jit
def gelu_forward(x, a, b):
    return 0.5 * x * (1.0 + tl.erf(x * SQRT_HALF))


@triton.jit
def gelu_backward(g, x, a, b):
    cdf = 0.5 * (1.0 + tl.erf(x * SQRT_HALF))
    pdf = tl.exp(-0.5 * x * x) * INV_SQRT_2PI
    return g * (cdf + x * pdf)


@triton.jit
def gelu_second(gg, g, x, a, b):
    pdf = tl.exp(-0.5 * x * x) * INV_SQRT_2PI
    return gg * g * pdf * (2.0 - x * x)


@triton.jit
def gelu_tanh_forward(x, a, b):
    """0.5 x (1 + tanh(u)) as x * sigmoid(2u) = x / (1 + exp(-2u)): the same function, one exp
    and one division instead of tanh's, and no cancellation in 1 + tanh(u) where u << 0."""
    inner = (x + x * x * x * GELU_KAPPA) * SQRT_2_OVER_PI
    return x / (1.0 + tl.exp(-2.0 * inner))


@triton.jit
def gelu_tanh_backward(g, x, a, b):
    """d/dx x s = s + 2 x u' s (1 - s) with s = sigmoid(2u) = 1 / (1 + e), e = exp(-2u), as
    the forward computes it: s (1 - s) = e s^2 (no cancellation in 1 - tanh(u)^2), 0 where e
    overflows. A gated backward shares u and e with its forward's."""
    inner = (x + x * x * x * GELU_KAPPA) * SQRT_2_OVER_PI
    e = tl.exp(-2.0 * inner)
    s = 1.0 / (1.0 + e)
    inner_grad = (1.0 + x * x * 3.0 * GELU_KAPPA) * SQRT_2_OVER_PI
    spread = tl.where(e == float("inf"), 0.0, e * s * s)
    return g * (s + 2.0 * x * inner_grad * spread)


@triton.jit
def gelu_tanh_second(gg, g, x, a, b):
    t = tanh((x + x * x * x * GELU_KAPPA) * SQRT_2_OVER_PI)
    u1 = (1.0 + x * x * 3.0 * GELU_KAPPA) * SQRT_2_OVER_PI
    u2 = x * 6.0 * SQRT_2_OVER_PI * GELU_KAPPA
    return gg * g * (1.0 - t * t) * (u1 * (1.0 - x * t * u1) + 0.5 * x * u2)


# --- sigmoid family -------------------------------------------------------------------------


@triton.jit
def sigmoid_forward(x, a, b):
    return sigmoid(x)


@triton.jit
def sigmoid_backward(g, y, a, b):
    return g * (1.0 - y) * y


@triton.jit
def sigmoid_input_backward(g, x, a, b):
    """sigmoid's input gradient from its input (GLU's gate is saved as an input)."""
    s = sigmoid(x)
    return g * s * (1.0 - s)


@triton.jit
def sigmoid_second(gg, g, y, a, b):
    return gg * g * (1.0 - 2.0 * y)


@triton.jit
def tanh_forward(x, a, b):
    return tanh(x)


@triton.jit
def tanh_backward(g, y, a, b):
    return g * (1.0 - y * y)


@triton.jit
def tanh_second(gg, g, y, a, b):
    return -2.0 * gg * g * y


@triton.jit
def silu_forward(x, a, b):
    return x * sigmoid(x)


@triton.jit
def silu_backward(g, x, a, b):
    s = sigmoid(x)
    return g * s * (1.0 + x * (1.0 - s))


@triton.jit
def silu_second(gg, g, x, a, b):
    s = sigmoid(x)
    return gg * g * s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))


@triton.jit
def quick_gelu_forward(x, a, b):
    return sigmoid_gated(x, QUICK_GELU_ALPHA)


@triton.jit
def quick_gelu_backward(g, x, a, b):
    return sigmoid_gated_backward(g, x, QUICK_GELU_ALPHA)


@triton.jit
def quick_gelu_second(gg, g, x, a, b):
    """alpha s (1 - s) (2 + alpha x (1 - 2 s)), s = sigmoid(alpha x)."""
    s = sigmoid(x * QUICK_GELU_ALPHA)
    return gg * g * s * (1.0 - s) * (2.0 + x * QUICK_GELU_ALPHA * (1.0 - 2.0 * s)) \
        * QUICK_GELU_ALPHA


@triton.jit
def _tanh_softplus(x):
    """tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2): one exp, one division, accurate
    for x << 0 (where it is ~e^x); 1 past x = 20, where n would overflow."""
    e = tl.exp(tl.minimum(x, 20.0))
    n = e * (e + 2.0)
    return tl.where(x > 20.0, 1.0, n / (n + 2.0))


@triton.jit
def mish_forward(x, a, b):
    return x * _tanh_softplus(x)


@triton.jit
def mish_backward(g, x, a, b):
    # t + x sigmoid(x) (1 - t^2) with t = n / d, d = n + 2, n + 1 = (1 + e)^2, over one division:
    # (n d + 4 x e (1 + e)) / d^2; past x = 20 it is 1 (NaN at +inf, as torch's inf * 0).
    # x * e first: at x ~ -3e38, 4 x alone overflows to -inf and -inf * 0 would be NaN.
    e = tl.exp(tl.minimum(x, 20.0))
    n = e * (e + 2.0)
    d = n + 2.0
    slope = (n * d + (x * e) * 4.0 * (1.0 + e)) / (d * d)
    return g * tl.where(x > 20.0, 1.0 + x * 0.0, slope)


@triton.jit
def mish_second(gg, g, x, a, b):
    s = sigmoid(x)
    t = _tanh_softplus(x)
    return gg * g * (1.0 - t * t) * s * (2.0 + x * (1.0 - s) - (x * t) * s * 2.0)


@triton.jit
def softplus_forward(x, beta, threshold):
    z = x * beta
    return tl.where(z > threshold, x, softplus(z) / beta)


@triton.jit
def softplus_backward(g, x, beta, threshold):
    z = x * beta
    return tl.where(z > threshold, g, g * sigmoid(z))


@triton.jit
def softplus_second(gg, g, x, beta, threshold):
    z = x * beta
    s = sigmoid(z)
    return tl.where(z > threshold, 0.0, gg * g * beta * s * (1.0 - s))


@triton.jit
def logsigmoid_forward(x, a, b):
    return tl.minimum(x, 0.0) - log1p_exp_neg_abs(x)


@triton.jit
def logsigmoid_backward(g, x, a, b):
    return g * sigmoid(-x)


@triton.jit
def logsigmoid_second(gg, g, x, a, b):
    s = sigmoid(x)
    return -gg * g * s * (1.0 - s)


# --- the hard and soft variants --------------------------------------------------------------


@triton.jit
def hardsigmoid_forward(x, a, b):
    return tl.where(x != x, x, tl.minimum(tl.maximum(x + 3.0, 0.0), 6.0) / 6.0)  # NaN stays


@triton.jit
def hardsigmoid_backward(g, x, a, b):
    return tl.where((x > -3.0) & (x < 3.0), g / 6.0, 0.0)


@triton.jit
def hardswish_forward(x, a, b):
    return x * (tl.minimum(tl.maximum(x + 3.0, 0.0), 6.0) / 6.0)  # -inf * 0 is NaN, as torch


@triton.jit
def hardswish_backward(g, x, a, b):
    return tl.where(x <= -3.0, 0.0, tl.where(x < 3.0, g * (x / 3.0 + 0.5), g))


@triton.jit
def hardswish_second(gg, g, x, a, b):
    return tl.where((x > -3.0) & (x < 3.0), gg * g / 3.0, 0.0)


@triton.jit
def softsign_forward(x, a, b):
    return x / (1.0 + tl.abs(x))


@triton.jit
def softsign_backward(g, x, a, b):
    d = 1.0 + tl.abs(x)
    return tl.where(tl.abs(x) == float("inf"), float("nan"), g / (d * d))  # torch: inf/inf


@triton.jit
def softsign_second(gg, g, x, a, b):
    d = 1.0 + tl.abs(x)
    sign = tl.where(x > 0.0, 1.0, tl.where(x < 0.0, -1.0, 0.0))
    return -2.0 * gg * g * sign / (d * d * d)


@triton.jit
def tanhshrink_forward(x, a, b):
    return x - tanh(x)


@triton.jit
def tanhshrink_backward(g, x, a, b):
    t = tanh(x)
    return g * t * t


@triton.jit
def tanhshrink_second(gg, g, x, a, b):
    t = tanh(x)
    return 2.0 * gg * g * t * (1.0 - t * t)


@triton.jit
def hardshrink_forward(x, lambd, b):
    return tl.where((x >= -lambd) & (x <= lambd), 0.0, x)


@triton.jit
def shrink_backward(g, x, lambd, b):
    """hardshrink and softshrink share their derivative: 0 inside [-lambd, lambd], else 1."""
    return tl.where((x >= -lambd) & (x <= lambd), 0.0, g)


@triton.jit
def softshrink_forward(x, lambd, b):
    return tl.where(x > lambd, x - lambd, tl.where(x < -lambd, x + lambd, x * 0.0))
