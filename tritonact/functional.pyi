# Written by `python -m tritonact.checks.stubs` from the registry: do not edit.
"""``torch.nn.functional``-style activations backed by Triton kernels.

Every function here is built from its registry spec and has torch's name, positional order,
keyword names and defaults: ``tritonact.functional.silu(x)`` is a drop-in for
``torch.nn.functional.silu(x)``. Float tensors on CUDA (and on the CPU while
``TRITON_INTERPRET=1``) run the fused Triton kernels; anything else (CPU tensors without the
interpreter, integer, bool or complex tensors, parameters torch rejects) goes to torch itself,
so results and errors are torch's. ``functional.pyi`` beside this file declares every function
with its signature and docstring for IDEs and type checkers (``python -m tritonact.checks.stubs``
writes it from the registry; a test checks it is current).
"""

import torch

__all__ = [
    'bias_geglu',
    'bias_gelu',
    'bias_swiglu',
    'celu',
    'celu_',
    'elu',
    'elu_',
    'fatreglu',
    'fatrelu_mul',
    'geglu',
    'gelu',
    'gelu_mul',
    'glu',
    'hardshrink',
    'hardsigmoid',
    'hardswish',
    'hardtanh',
    'hardtanh_',
    'leaky_relu',
    'leaky_relu_',
    'log_softmax',
    'logsigmoid',
    'mish',
    'prelu',
    'qgeglu',
    'quick_gelu',
    'quick_gelu_mul',
    'reglu',
    'relu',
    'relu6',
    'relu_',
    'relu_mul',
    'relu_squared',
    'relu_squared_mul',
    'rrelu',
    'rrelu_',
    'selu',
    'selu_',
    'sigmoid',
    'silu',
    'silu_mul',
    'snake',
    'snake_beta',
    'softmax',
    'softmin',
    'softplus',
    'softshrink',
    'softsign',
    'sreglu',
    'star_relu',
    'swiglu',
    'swiglu_oai',
    'swiglu_oai_mul',
    'tanh',
    'tanhshrink',
    'threshold',
    'threshold_',
    'xielu',
]


def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """relu(x) = max(0, x)

    Same signature, defaults and result as :func:`torch.nn.functional.relu`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the output).
    """
    ...


def relu_(input: torch.Tensor) -> torch.Tensor:
    """In-place version of :func:`relu`.

    relu(x) = max(0, x)

    Same signature, defaults and result as :func:`torch.nn.functional.relu_`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the output).
    """
    ...


def relu6(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """relu6(x) = min(max(0, x), 6)

    Same signature, defaults and result as :func:`torch.nn.functional.relu6`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the output).
    """
    ...


def leaky_relu(
    input: torch.Tensor,
    negative_slope: float = 0.01,
    inplace: bool = False,
) -> torch.Tensor:
    """leaky_relu(x) = x if x > 0 else negative_slope * x

    Same signature, defaults and result as :func:`torch.nn.functional.leaky_relu`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input or output,
    by parameters).
    """
    ...


def leaky_relu_(input: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """In-place version of :func:`leaky_relu`.

    leaky_relu(x) = x if x > 0 else negative_slope * x

    Same signature, defaults and result as :func:`torch.nn.functional.leaky_relu_`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input or output,
    by parameters).
    """
    ...


def elu(input: torch.Tensor, alpha: float = 1.0, inplace: bool = False) -> torch.Tensor:
    """elu(x) = x if x > 0 else alpha * (exp(x) - 1)

    Same signature, defaults and result as :func:`torch.nn.functional.elu`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def elu_(input: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """In-place version of :func:`elu`.

    elu(x) = x if x > 0 else alpha * (exp(x) - 1)

    Same signature, defaults and result as :func:`torch.nn.functional.elu_`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def selu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """selu(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha ~ 1.6733, scale ~ 1.0507

    Same signature, defaults and result as :func:`torch.nn.functional.selu`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def selu_(input: torch.Tensor) -> torch.Tensor:
    """In-place version of :func:`selu`.

    selu(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha ~ 1.6733, scale ~ 1.0507

    Same signature, defaults and result as :func:`torch.nn.functional.selu_`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def celu(input: torch.Tensor, alpha: float = 1.0, inplace: bool = False) -> torch.Tensor:
    """celu(x) = x if x > 0 else alpha * (exp(x / alpha) - 1)

    Same signature, defaults and result as :func:`torch.nn.functional.celu`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def celu_(input: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """In-place version of :func:`celu`.

    celu(x) = x if x > 0 else alpha * (exp(x / alpha) - 1)

    Same signature, defaults and result as :func:`torch.nn.functional.celu_`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def gelu(input: torch.Tensor, *, approximate: str = 'none') -> torch.Tensor:
    """gelu(x) = x * Phi(x) (approximate='tanh': 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))))

    Same signature, defaults and result as :func:`torch.nn.functional.gelu`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def silu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """silu(x) = x * sigmoid(x)

    Same signature, defaults and result as :func:`torch.nn.functional.silu`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def mish(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """mish(x) = x * tanh(softplus(x))

    Same signature, defaults and result as :func:`torch.nn.functional.mish`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def sigmoid(input: torch.Tensor) -> torch.Tensor:
    """sigmoid(x) = 1 / (1 + exp(-x))

    Same signature, defaults and result as :func:`torch.nn.functional.sigmoid`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the output).
    """
    ...


def tanh(input: torch.Tensor) -> torch.Tensor:
    """tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))

    Same signature, defaults and result as :func:`torch.nn.functional.tanh`; computed by fused
    Triton kernels (one launch forward, one backward; backward reads the output).
    """
    ...


def hardtanh(
    input: torch.Tensor,
    min_val: float = -1.0,
    max_val: float = 1.0,
    inplace: bool = False,
) -> torch.Tensor:
    """hardtanh(x) = min(max(min_val, x), max_val)

    Same signature, defaults and result as :func:`torch.nn.functional.hardtanh`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input or output,
    by parameters).
    """
    ...


def hardtanh_(input: torch.Tensor, min_val: float = -1.0, max_val: float = 1.0) -> torch.Tensor:
    """In-place version of :func:`hardtanh`.

    hardtanh(x) = min(max(min_val, x), max_val)

    Same signature, defaults and result as :func:`torch.nn.functional.hardtanh_`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input or output,
    by parameters).
    """
    ...


def hardsigmoid(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """hardsigmoid(x) = min(max(0, x / 6 + 1 / 2), 1)

    Same signature, defaults and result as :func:`torch.nn.functional.hardsigmoid`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def hardswish(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """hardswish(x) = x * min(max(0, x + 3), 6) / 6

    Same signature, defaults and result as :func:`torch.nn.functional.hardswish`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def softplus(input: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    """softplus(x) = log(1 + exp(beta * x)) / beta, x where beta * x > threshold

    Same signature, defaults and result as :func:`torch.nn.functional.softplus`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def softsign(input: torch.Tensor) -> torch.Tensor:
    """softsign(x) = x / (1 + abs(x))

    Same signature, defaults and result as :func:`torch.nn.functional.softsign`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def logsigmoid(input: torch.Tensor) -> torch.Tensor:
    """logsigmoid(x) = log(1 / (1 + exp(-x)))

    Same signature, defaults and result as :func:`torch.nn.functional.logsigmoid`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def tanhshrink(input: torch.Tensor) -> torch.Tensor:
    """tanhshrink(x) = x - tanh(x)

    Same signature, defaults and result as :func:`torch.nn.functional.tanhshrink`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def threshold(
    input: torch.Tensor,
    threshold: float,
    value: float,
    inplace: bool = False,
) -> torch.Tensor:
    """threshold(x) = x if x > threshold else value

    Same signature, defaults and result as :func:`torch.nn.functional.threshold`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input or output,
    by parameters).
    """
    ...


def threshold_(input: torch.Tensor, threshold: float, value: float) -> torch.Tensor:
    """In-place version of :func:`threshold`.

    threshold(x) = x if x > threshold else value

    Same signature, defaults and result as :func:`torch.nn.functional.threshold_`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input or output,
    by parameters).
    """
    ...


def hardshrink(input: torch.Tensor, lambd: float = 0.5) -> torch.Tensor:
    """hardshrink(x) = x if abs(x) > lambd else 0

    Same signature, defaults and result as :func:`torch.nn.functional.hardshrink`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def softshrink(input: torch.Tensor, lambd: float = 0.5) -> torch.Tensor:
    """softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0

    Same signature, defaults and result as :func:`torch.nn.functional.softshrink`; computed by
    fused Triton kernels (one launch forward, one backward; backward reads the input).
    """
    ...


def quick_gelu(input: torch.Tensor) -> torch.Tensor:
    """quick_gelu(x) = x * sigmoid(1.702 x)

    torch has no such function; computed by fused Triton kernels (one launch forward, one
    backward; backward reads the input).
    """
    ...


def relu_squared(input: torch.Tensor) -> torch.Tensor:
    """relu_squared(x) = max(0, x)^2

    torch has no such function; computed by fused Triton kernels (one launch forward, one
    backward; backward reads the input).
    """
    ...


def softmax(
    input: torch.Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j), over ``dim``.

    Same signature, defaults and result as :func:`torch.nn.functional.softmax` (``dim=None``
    follows torch's legacy rule and warning; ``dtype`` casts inside the kernel). One launch
    forward, one backward, which reads the saved output only. Rows of any length and a reduced
    dim anywhere in any layout, with no copy.
    """
    ...


def log_softmax(
    input: torch.Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """log_softmax(x)_i = x_i - log(sum_j exp(x_j)), over ``dim``.

    Same signature, defaults and result as :func:`torch.nn.functional.log_softmax` (``dim=None``
    follows torch's legacy rule and warning; ``dtype`` casts inside the kernel). One launch
    forward, one backward, which reads the saved output only. Rows of any length and a reduced
    dim anywhere in any layout, with no copy.
    """
    ...


def softmin(
    input: torch.Tensor,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """softmin(x)_i = exp(-x_i) / sum_j exp(-x_j), over ``dim``.

    Same signature, defaults and result as :func:`torch.nn.functional.softmin` (``dim=None``
    follows torch's legacy rule and warning; ``dtype`` casts inside the kernel). One launch
    forward, one backward, which reads the saved output only. Rows of any length and a reduced
    dim anywhere in any layout, with no copy.
    """
    ...


def glu(input: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """glu(x) = a * sigmoid(b), (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the second half of ``dim`` and up the first
    half. As torch.nn.functional.glu. One launch forward and one backward; saves only the input.
    Odd sizes raise torch.nn.functional.glu's error.
    """
    ...


def swiglu(
    input: torch.Tensor,
    dim: int = -1,
    *,
    gate_first: bool = True,
    interleaved: bool = False,
) -> torch.Tensor:
    """swiglu(x) = silu(a) * b, (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the first half of ``dim`` and up the second
    half. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is ``swiglu(x,
    gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of ``dim``
    (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in place as
    pairs (no copy). One launch forward and one backward; saves only the input. Odd sizes raise
    torch.nn.functional.glu's error.
    """
    ...


def silu_mul(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """silu_mul(gate, up) = silu(a) * b with a = gate, b = up, fused: one launch forward, one
    backward giving both gradients; saves gate and up only.
    """
    ...


def geglu(
    input: torch.Tensor,
    dim: int = -1,
    approximate: str = 'none',
    *,
    gate_first: bool = True,
    interleaved: bool = False,
) -> torch.Tensor:
    """geglu(x) = gelu(a) * b, (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the first half of ``dim`` and up the second
    half. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is ``swiglu(x,
    gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of ``dim``
    (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in place as
    pairs (no copy). One launch forward and one backward; saves only the input. Odd sizes raise
    torch.nn.functional.glu's error.
    """
    ...


def gelu_mul(gate: torch.Tensor, up: torch.Tensor, approximate: str = 'none') -> torch.Tensor:
    """gelu_mul(gate, up) = gelu(a) * b with a = gate, b = up, fused: one launch forward, one
    backward giving both gradients; saves gate and up only.
    """
    ...


def reglu(
    input: torch.Tensor,
    dim: int = -1,
    *,
    gate_first: bool = True,
    interleaved: bool = False,
) -> torch.Tensor:
    """reglu(x) = relu(a) * b, (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the first half of ``dim`` and up the second
    half. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is ``swiglu(x,
    gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of ``dim``
    (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in place as
    pairs (no copy). One launch forward and one backward; saves only the input. Odd sizes raise
    torch.nn.functional.glu's error.
    """
    ...


def relu_mul(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """relu_mul(gate, up) = relu(a) * b with a = gate, b = up, fused: one launch forward, one
    backward giving both gradients; saves gate and up only.
    """
    ...


def qgeglu(
    input: torch.Tensor,
    dim: int = -1,
    *,
    gate_first: bool = True,
    interleaved: bool = False,
) -> torch.Tensor:
    """qgeglu(x) = quick_gelu(a) * b = a sigmoid(1.702 a) b, (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the first half of ``dim`` and up the second
    half. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is ``swiglu(x,
    gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of ``dim``
    (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in place as
    pairs (no copy). One launch forward and one backward; saves only the input. Odd sizes raise
    torch.nn.functional.glu's error.
    """
    ...


def quick_gelu_mul(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """quick_gelu_mul(gate, up) = quick_gelu(a) * b = a sigmoid(1.702 a) b with a = gate, b = up,
    fused: one launch forward, one backward giving both gradients; saves gate and up only.
    """
    ...


def sreglu(
    input: torch.Tensor,
    dim: int = -1,
    *,
    gate_first: bool = True,
    interleaved: bool = False,
) -> torch.Tensor:
    """sreglu(x) = relu(a)^2 * b, (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the first half of ``dim`` and up the second
    half. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is ``swiglu(x,
    gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of ``dim``
    (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in place as
    pairs (no copy). One launch forward and one backward; saves only the input. Odd sizes raise
    torch.nn.functional.glu's error.
    """
    ...


def relu_squared_mul(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """relu_squared_mul(gate, up) = relu(a)^2 * b with a = gate, b = up, fused: one launch forward,
    one backward giving both gradients; saves gate and up only.
    """
    ...


def fatreglu(
    input: torch.Tensor,
    dim: int = -1,
    threshold: float = 0.0,
    *,
    gate_first: bool = True,
    interleaved: bool = False,
) -> torch.Tensor:
    """fatreglu(x) = (a if a > threshold else 0) * b, (a, b) the halves of dim.

    Split ``dim`` in two: by default the gate is the first half of ``dim`` and up the second
    half. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is ``swiglu(x,
    gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of ``dim``
    (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in place as
    pairs (no copy). One launch forward and one backward; saves only the input. Odd sizes raise
    torch.nn.functional.glu's error.
    """
    ...


def fatrelu_mul(gate: torch.Tensor, up: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """fatrelu_mul(gate, up) = (a if a > threshold else 0) * b with a = gate, b = up, fused: one
    launch forward, one backward giving both gradients; saves gate and up only.
    """
    ...


def swiglu_oai(
    input: torch.Tensor,
    dim: int = -1,
    alpha: float = 1.702,
    limit: float = 7.0,
    *,
    gate_first: bool = True,
    interleaved: bool = True,
) -> torch.Tensor:
    """swiglu_oai(x) = c sigmoid(alpha c) * (clamp(b, -limit, limit) + 1), c = min(a, limit), (a, b)
    the even and odd elements of dim.

    Split ``dim`` in two: by default the gate is the even elements of ``dim`` and up the odd
    elements. ``gate_first=False`` swaps gate and up (up first: vLLM's ``MulAndSilu`` is
    ``swiglu(x, gate_first=False)``); ``interleaved=True`` takes the even and the odd elements of
    ``dim`` (``x[..., ::2]``, ``x[..., 1::2]``: gpt-oss's layout) instead of its halves, read in
    place as pairs (no copy). One launch forward and one backward; saves only the input. Odd
    sizes raise torch.nn.functional.glu's error.
    """
    ...


def swiglu_oai_mul(
    gate: torch.Tensor,
    up: torch.Tensor,
    alpha: float = 1.702,
    limit: float = 7.0,
) -> torch.Tensor:
    """swiglu_oai_mul(gate, up) = c sigmoid(alpha c) * (clamp(b, -limit, limit) + 1), c = min(a,
    limit) with a = gate, b = up, fused: one launch forward, one backward giving both gradients;
    saves gate and up only.
    """
    ...


def prelu(input: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """prelu(x) = x if x > 0 else weight[c] * x, c the channel (dim 1) or one weight.

    Same signature and result as :func:`torch.nn.functional.prelu`. One launch forward; backward
    is one pass over the data giving the input gradient and one partial weight gradient per
    program and channel, then one small sum. Saves input and weight.
    """
    ...


def rrelu(
    input: torch.Tensor,
    lower: float = 0.125,
    upper: float = 0.3333333333333333,
    training: bool = False,
    inplace: bool = False,
) -> torch.Tensor:
    """rrelu(x) = x if x >= 0 else r * x, r ~ U(lower, upper) in training, (lower + upper) / 2 in
    eval.

    Same signature and result as :func:`torch.nn.functional.rrelu` in eval mode (``leaky_relu``
    with the mean slope). In training, each element's slope is drawn inside the kernel from a
    seed taken from torch's default generator (reproducible under ``torch.manual_seed``, not the
    same numbers as torch's), and backward draws the same slopes again instead of saving them:
    one saved tensor, not two.
    """
    ...


def rrelu_(
    input: torch.Tensor,
    lower: float = 0.125,
    upper: float = 0.3333333333333333,
    training: bool = False,
) -> torch.Tensor:
    """In-place version of :func:`rrelu`. rrelu(x) = x if x >= 0 else r * x, r ~ U(lower, upper) in
    training, (lower + upper) / 2 in eval.

    Same signature and result as :func:`torch.nn.functional.rrelu` in eval mode (``leaky_relu``
    with the mean slope). In training, each element's slope is drawn inside the kernel from a
    seed taken from torch's default generator (reproducible under ``torch.manual_seed``, not the
    same numbers as torch's), and backward draws the same slopes again instead of saving them:
    one saved tensor, not two.
    """
    ...


def star_relu(input: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """star_relu(x) = scale * relu(x)^2 + bias, scale and bias learnable scalars.

    Weights scale, bias: each a one-element tensor (shape (1,) or ()), in the input's dtype or
    one that torch's type promotion converts to it (a narrower one, or 0-d). One launch forward;
    backward is one pass over the data giving the input gradient and one partial gradient per
    program and channel of each weight, then one small sum. Saves input and weights. Other
    weights, inputs and dtypes run the torch composite.
    """
    ...


def xielu(
    input: torch.Tensor,
    alpha_p: torch.Tensor,
    alpha_n: torch.Tensor,
    beta: float = 0.5,
    eps: float = -1e-06,
) -> torch.Tensor:
    """xielu(x) = alpha_p x^2 + beta x if x > 0 else (expm1(min(x, eps)) - x) alpha_n + beta x,
    alpha_p and alpha_n learnable scalars.

    Weights alpha_p, alpha_n: each a one-element tensor (shape (1,) or ()), in the input's dtype
    or one that torch's type promotion converts to it (a narrower one, or 0-d). One launch
    forward; backward is one pass over the data giving the input gradient and one partial
    gradient per program and channel of each weight, then one small sum. Saves input and weights.
    Other weights, inputs and dtypes run the torch composite.
    """
    ...


def snake(input: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """snake(x) = x + sin(alpha[c] x)^2 / (alpha[c] + 1e-9), c the channel (dim 1).

    Weights alpha: each a 1-D tensor of C elements (one per channel, dim 1) or of one, in the
    input's dtype or one that torch's type promotion converts to it (a narrower one, or 0-d). One
    launch forward; backward is one pass over the data giving the input gradient and one partial
    gradient per program and channel of each weight, then one small sum. Saves input and weights.
    Other weights, inputs and dtypes run the torch composite.
    """
    ...


def snake_beta(input: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """snake_beta(x) = x + sin(alpha[c] x)^2 / (beta[c] + 1e-9), c the channel (dim 1).

    Weights alpha, beta: each a 1-D tensor of C elements (one per channel, dim 1) or of one, in
    the input's dtype or one that torch's type promotion converts to it (a narrower one, or 0-d).
    One launch forward; backward is one pass over the data giving the input gradient and one
    partial gradient per program and channel of each weight, then one small sum. Saves input and
    weights. Other weights, inputs and dtypes run the torch composite.
    """
    ...


def bias_gelu(
    input: torch.Tensor,
    bias: torch.Tensor,
    *,
    approximate: str = 'none',
) -> torch.Tensor:
    """bias_gelu(x, bias) = gelu(x + bias), bias over the last dim.

    The activation of a Linear layer's result without its bias (``nn.Linear(..., bias=False)``),
    the bias added inside the kernel: one launch forward (one read of ``input``); backward is one
    pass giving the input gradient and per program partial sums of it over rows, then one small
    sum for the bias gradient. Saves input and bias. ``approximate='tanh'`` is Megatron's (its
    ``bias_gelu``/``bias_geglu``); 'none', torch's default, is the exact erf form. Other dtypes,
    devices or bias shapes run the torch composite (its result or error).
    """
    ...


def bias_geglu(
    input: torch.Tensor,
    bias: torch.Tensor,
    *,
    approximate: str = 'none',
) -> torch.Tensor:
    """bias_geglu(x, bias) = gelu(a) * b, (a, b) the halves of the last dim of x + bias, bias over
    the last dim.

    The activation of a Linear layer's result without its bias (``nn.Linear(..., bias=False)``),
    the bias added inside the kernel: one launch forward (one read of ``input``); backward is one
    pass giving the input gradient and per program partial sums of it over rows, then one small
    sum for the bias gradient. Saves input and bias. The last dim (even) is split in half after
    the bias: ``a`` the first half (the gate), ``b`` the second. ``approximate='tanh'`` is
    Megatron's (its ``bias_gelu``/``bias_geglu``); 'none', torch's default, is the exact erf
    form. Other dtypes, devices or bias shapes run the torch composite (its result or error).
    """
    ...


def bias_swiglu(input: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """bias_swiglu(x, bias) = silu(a) * b, (a, b) the halves of the last dim of x + bias, bias over
    the last dim.

    The activation of a Linear layer's result without its bias (``nn.Linear(..., bias=False)``),
    the bias added inside the kernel: one launch forward (one read of ``input``); backward is one
    pass giving the input gradient and per program partial sums of it over rows, then one small
    sum for the bias gradient. Saves input and bias. The last dim (even) is split in half after
    the bias: ``a`` the first half (the gate), ``b`` the second. Other dtypes, devices or bias
    shapes run the torch composite (its result or error).
    """
    ...
