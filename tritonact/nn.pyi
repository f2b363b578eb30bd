# Written by `python -m tritonact.checks.stubs` from the registry: do not edit.
"""Drop-in ``torch.nn`` activation modules backed by Triton kernels.

Each class of an op torch has subclasses the ``torch.nn`` class of the same name and overrides
``forward`` only, so its constructor, defaults, ``repr``, ``state_dict``, hooks and
``isinstance`` are torch's: ``isinstance(tritonact.nn.GELU(), torch.nn.GELU)`` is True. The ops
torch lacks (SwiGLU, GeGLU, ReGLU, ...) have classes of their own. ``nn.pyi`` beside this file
declares them all for IDEs and type checkers.

Float tensors on CUDA (and on the CPU while ``TRITON_INTERPRET=1``, set before triton is
imported) run the Triton kernels; on the CPU without the interpreter every module runs torch's
own kernel, silently (``tritonact.core.runtime`` logs which, once, at INFO).
"""

import torch
from torch import nn

__all__ = [
    'CELU',
    'ELU',
    'GELU',
    'GLU',
    'SELU',
    'XIELU',
    'BiasGELU',
    'BiasGeGLU',
    'BiasSwiGLU',
    'FATReGLU',
    'GeGLU',
    'Hardshrink',
    'Hardsigmoid',
    'Hardswish',
    'Hardtanh',
    'LeakyReLU',
    'LogSigmoid',
    'LogSoftmax',
    'Mish',
    'PReLU',
    'QGeGLU',
    'QuickGELU',
    'RReLU',
    'ReGLU',
    'ReLU',
    'ReLU6',
    'ReLUSquared',
    'SReGLU',
    'SiLU',
    'Sigmoid',
    'Snake',
    'SnakeBeta',
    'Softmax',
    'Softmax2d',
    'Softmin',
    'Softplus',
    'Softshrink',
    'Softsign',
    'StarReLU',
    'SwiGLU',
    'SwiGLUOAI',
    'Tanh',
    'Tanhshrink',
    'Threshold',
]


class ReLU(nn.ReLU):
    """ReLU computed by tritonact's fused Triton kernels: max(0, x).

    Drop-in for :class:`torch.nn.ReLU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the rectified linear unit function element-wise.

        :math:`\\text{ReLU}(x) = (x)^+ = \\max(0, x)`

        Args:
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/ReLU.png

        Examples::

            >>> m = nn.ReLU()
            >>> input = torch.randn(2)
            >>> output = m(input)


          An implementation of CReLU - https://arxiv.org/abs/1603.05201

            >>> m = nn.ReLU()
            >>> input = torch.randn(2).unsqueeze(0)
            >>> output = torch.cat((m(input), m(-input)))


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class ReLU6(nn.ReLU6):
    """ReLU6 computed by tritonact's fused Triton kernels: min(max(0, x), 6).

    Drop-in for :class:`torch.nn.ReLU6` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the ReLU6 function element-wise.

        .. math::
            \\text{ReLU6}(x) = \\min(\\max(0,x), 6)

        Args:
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/ReLU6.png

        Examples::

            >>> m = nn.ReLU6()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class LeakyReLU(nn.LeakyReLU):
    """LeakyReLU computed by tritonact's fused Triton kernels: x if x > 0 else negative_slope * x.

    Drop-in for :class:`torch.nn.LeakyReLU` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the LeakyReLU function element-wise.

        .. math::
            \\text{LeakyReLU}(x) = \\max(0, x) + \\text{negative\\_slope} * \\min(0, x)


        or

        .. math::
            \\text{LeakyReLU}(x) =
            \\begin{cases}
            x, & \\text{ if } x \\geq 0 \\\\
            \\text{negative\\_slope} \\times x, & \\text{ otherwise }
            \\end{cases}

        Args:
            negative_slope: Controls the angle of the negative slope (which is used for
              negative input values). Default: 1e-2
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)` where `*` means, any number of additional
              dimensions
            - Output: :math:`(*)`, same shape as the input

        .. image:: ../scripts/activation_images/LeakyReLU.png

        Examples::

            >>> m = nn.LeakyReLU(0.1)
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(
        self,
        negative_slope: float = 0.01,
        inplace: bool = False,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class ELU(nn.ELU):
    """ELU computed by tritonact's fused Triton kernels: x if x > 0 else alpha * (exp(x) - 1).

    Drop-in for :class:`torch.nn.ELU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the Exponential Linear Unit (ELU) function, element-wise.

        Method described in the paper: `Fast and Accurate Deep Network Learning by Exponential
    Linear
        Units (ELUs) <https://arxiv.org/abs/1511.07289>`__.

        ELU is defined as:

        .. math::
            \\text{ELU}(x) = \\begin{cases}
            x, & \\text{ if } x > 0\\\\
            \\alpha * (\\exp(x) - 1), & \\text{ if } x \\leq 0
            \\end{cases}

        Args:
            alpha: the :math:`\\alpha` value for the ELU formulation. Default: 1.0
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/ELU.png

        Examples::

            >>> m = nn.ELU()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(
        self,
        alpha: float = 1.0,
        inplace: bool = False,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class SELU(nn.SELU):
    """SELU computed by tritonact's fused Triton kernels: scale * (x if x > 0 else alpha * (exp(x) -
    1)), alpha ~ 1.6733, scale ~ 1.0507.

    Drop-in for :class:`torch.nn.SELU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the SELU function element-wise.

        .. math::
            \\text{SELU}(x) = \\text{scale} * (\\max(0,x) + \\min(0, \\alpha * (\\exp(x) - 1)))

        with :math:`\\alpha = 1.6732632423543772848170429916717` and
        :math:`\\text{scale} = 1.0507009873554804934193349852946`.

        .. warning::
            When using ``kaiming_normal`` or ``kaiming_normal_`` for initialisation,
            ``nonlinearity='linear'`` should be used instead of ``nonlinearity='selu'``
            in order to get `Self-Normalizing Neural Networks`_.
            See :func:`torch.nn.init.calculate_gain` for more information.

        More details can be found in the paper `Self-Normalizing Neural Networks`_ .

        Args:
            inplace (bool, optional): can optionally do the operation in-place. Default:
    ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/SELU.png

        Examples::

            >>> m = nn.SELU()
            >>> input = torch.randn(2)
            >>> output = m(input)

        .. _Self-Normalizing Neural Networks: https://arxiv.org/abs/1706.02515


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class CELU(nn.CELU):
    """CELU computed by tritonact's fused Triton kernels: x if x > 0 else alpha * (exp(x / alpha) -
    1).

    Drop-in for :class:`torch.nn.CELU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the CELU function element-wise.

        .. math::
            \\text{CELU}(x) = \\max(0,x) + \\min(0, \\alpha * (\\exp(x/\\alpha) - 1))

        More details can be found in the paper `Continuously Differentiable Exponential Linear
    Units`_ .

        Args:
            alpha: the :math:`\\alpha` value for the CELU formulation. Default: 1.0
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/CELU.png

        Examples::

            >>> m = nn.CELU()
            >>> input = torch.randn(2)
            >>> output = m(input)

        .. _`Continuously Differentiable Exponential Linear Units`:
            https://arxiv.org/abs/1704.07483


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(
        self,
        alpha: float = 1.0,
        inplace: bool = False,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class GELU(nn.GELU):
    """GELU computed by tritonact's fused Triton kernels: x * Phi(x) (approximate='tanh': 0.5x(1 +
    tanh(sqrt(2/pi)(x + 0.044715x^3)))).

    Drop-in for :class:`torch.nn.GELU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the Gaussian Error Linear Units function.

        .. math:: \\text{GELU}(x) = x * \\Phi(x)

        where :math:`\\Phi(x)` is the Cumulative Distribution Function for Gaussian Distribution.

        When the approximate argument is 'tanh', Gelu is estimated with:

        .. math:: \\text{GELU}(x) = 0.5 * x * (1 + \\text{Tanh}(\\sqrt{2 / \\pi} * (x + 0.044715
    * x^3)))

        Args:
            approximate (str, optional): the gelu approximation algorithm to use:
                ``'none'`` | ``'tanh'``. Default: ``'none'``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/GELU.png

        Examples::

            >>> m = nn.GELU()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, approximate: str = 'none', *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class SiLU(nn.SiLU):
    """SiLU computed by tritonact's fused Triton kernels: x * sigmoid(x).

    Drop-in for :class:`torch.nn.SiLU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the Sigmoid Linear Unit (SiLU) function, element-wise.

        The SiLU function is also known as the swish function.

        .. math::
            \\text{silu}(x) = x * \\sigma(x), \\text{where } \\sigma(x) \\text{ is the logistic
    sigmoid.}

        .. note::
            See `Gaussian Error Linear Units (GELUs) <https://arxiv.org/abs/1606.08415>`_
            where the SiLU (Sigmoid Linear Unit) was originally coined, and see
            `Sigmoid-Weighted Linear Units for Neural Network Function Approximation
            in Reinforcement Learning <https://arxiv.org/abs/1702.03118>`_ and `Swish:
            a Self-Gated Activation Function <https://arxiv.org/abs/1710.05941v1>`_
            where the SiLU was experimented with later.

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/SiLU.png

        Examples::

            >>> m = nn.SiLU()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Mish(nn.Mish):
    """Mish computed by tritonact's fused Triton kernels: x * tanh(softplus(x)).

    Drop-in for :class:`torch.nn.Mish` (subclass; same arguments, defaults, repr and state_dict).

    Applies the Mish function, element-wise.

        Mish: A Self Regularized Non-Monotonic Neural Activation Function.

        .. math::
            \\text{Mish}(x) = x * \\text{Tanh}(\\text{Softplus}(x))

        .. note::
            See `Mish: A Self Regularized Non-Monotonic Neural Activation Function
    <https://arxiv.org/abs/1908.08681>`_

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Mish.png

        Examples::

            >>> m = nn.Mish()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Sigmoid(nn.Sigmoid):
    """Sigmoid computed by tritonact's fused Triton kernels: 1 / (1 + exp(-x)).

    Drop-in for :class:`torch.nn.Sigmoid` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Sigmoid function element-wise.

        .. math::
            \\text{Sigmoid}(x) = \\sigma(x) = \\frac{1}{1 + \\exp(-x)}


        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Sigmoid.png

        Examples::

            >>> m = nn.Sigmoid()
            >>> input = torch.randn(2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Tanh(nn.Tanh):
    """Tanh computed by tritonact's fused Triton kernels: (exp(x) - exp(-x)) / (exp(x) + exp(-x)).

    Drop-in for :class:`torch.nn.Tanh` (subclass; same arguments, defaults, repr and state_dict).

    Applies the Hyperbolic Tangent (Tanh) function element-wise.

        Tanh is defined as:

        .. math::
            \\text{Tanh}(x) = \\tanh(x) = \\frac{\\exp(x) - \\exp(-x)} {\\exp(x) + \\exp(-x)}

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Tanh.png

        Examples::

            >>> m = nn.Tanh()
            >>> input = torch.randn(2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Hardtanh(nn.Hardtanh):
    """Hardtanh computed by tritonact's fused Triton kernels: min(max(min_val, x), max_val).

    Drop-in for :class:`torch.nn.Hardtanh` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the HardTanh function element-wise.

        HardTanh is defined as:

        .. math::
            \\text{HardTanh}(x) = \\begin{cases}
                \\text{max\\_val} & \\text{ if } x > \\text{ max\\_val } \\\\
                \\text{min\\_val} & \\text{ if } x < \\text{ min\\_val } \\\\
                x & \\text{ otherwise } \\\\
            \\end{cases}

        Args:
            min_val: minimum value of the linear region range. Default: -1
            max_val: maximum value of the linear region range. Default: 1
            inplace: can optionally do the operation in-place. Default: ``False``

        Keyword arguments :attr:`min_value` and :attr:`max_value`
        have been deprecated in favor of :attr:`min_val` and :attr:`max_val`.

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Hardtanh.png

        Examples::

            >>> m = nn.Hardtanh(-2, 2)
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Hardsigmoid(nn.Hardsigmoid):
    """Hardsigmoid computed by tritonact's fused Triton kernels: min(max(0, x / 6 + 1 / 2), 1).

    Drop-in for :class:`torch.nn.Hardsigmoid` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Hardsigmoid function element-wise.

        Hardsigmoid is defined as:

        .. math::
            \\text{Hardsigmoid}(x) = \\begin{cases}
                0 & \\text{if~} x \\le -3, \\\\
                1 & \\text{if~} x \\ge +3, \\\\
                x / 6 + 1 / 2 & \\text{otherwise}
            \\end{cases}

        Args:
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Hardsigmoid.png

        Examples::

            >>> m = nn.Hardsigmoid()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Hardswish(nn.Hardswish):
    """Hardswish computed by tritonact's fused Triton kernels: x * min(max(0, x + 3), 6) / 6.

    Drop-in for :class:`torch.nn.Hardswish` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Hardswish function, element-wise.

        Method described in the paper: `Searching for MobileNetV3
    <https://arxiv.org/abs/1905.02244>`_.

        Hardswish is defined as:

        .. math::
            \\text{Hardswish}(x) = \\begin{cases}
                0 & \\text{if~} x \\le -3, \\\\
                x & \\text{if~} x \\ge +3, \\\\
                x \\cdot (x + 3) /6 & \\text{otherwise}
            \\end{cases}

        Args:
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Hardswish.png

        Examples::

            >>> m = nn.Hardswish()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, inplace: bool = False, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Softplus(nn.Softplus):
    """Softplus computed by tritonact's fused Triton kernels: log(1 + exp(beta * x)) / beta, x where
    beta * x > threshold.

    Drop-in for :class:`torch.nn.Softplus` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Softplus function element-wise.

        .. math::
            \\text{Softplus}(x) = \\frac{1}{\\beta} * \\log(1 + \\exp(\\beta * x))

        SoftPlus is a smooth approximation to the ReLU function and can be used
        to constrain the output of a machine to always be positive.

        For numerical stability the implementation reverts to the linear function
        when :math:`input \\times \\beta > threshold`.

        Args:
            beta: the :math:`\\beta` value for the Softplus formulation. Default: 1
            threshold: values above this revert to a linear function. Default: 20

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Softplus.png

        Examples::

            >>> m = nn.Softplus()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(
        self,
        beta: float = 1.0,
        threshold: float = 20.0,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Softsign(nn.Softsign):
    """Softsign computed by tritonact's fused Triton kernels: x / (1 + abs(x)).

    Drop-in for :class:`torch.nn.Softsign` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the element-wise Softsign function.

        .. math::
            \\text{SoftSign}(x) = \\frac{x}{ 1 + |x|}

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Softsign.png

        Examples::

            >>> m = nn.Softsign()
            >>> input = torch.randn(2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class LogSigmoid(nn.LogSigmoid):
    """LogSigmoid computed by tritonact's fused Triton kernels: log(1 / (1 + exp(-x))).

    Drop-in for :class:`torch.nn.LogSigmoid` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Logsigmoid function element-wise.

        .. math::
            \\text{LogSigmoid}(x) = \\log\\left(\\frac{ 1 }{ 1 + \\exp(-x)}\\right)

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/LogSigmoid.png

        Examples::

            >>> m = nn.LogSigmoid()
            >>> input = torch.randn(2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Tanhshrink(nn.Tanhshrink):
    """Tanhshrink computed by tritonact's fused Triton kernels: x - tanh(x).

    Drop-in for :class:`torch.nn.Tanhshrink` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the element-wise Tanhshrink function.

        .. math::
            \\text{Tanhshrink}(x) = x - \\tanh(x)

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Tanhshrink.png

        Examples::

            >>> m = nn.Tanhshrink()
            >>> input = torch.randn(2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Threshold(nn.Threshold):
    """Threshold computed by tritonact's fused Triton kernels: x if x > threshold else value.

    Drop-in for :class:`torch.nn.Threshold` (subclass; same arguments, defaults, repr and
    state_dict).

    Thresholds each element of the input Tensor.

        Threshold is defined as:

        .. math::
            y =
            \\begin{cases}
            x, &\\text{ if } x > \\text{threshold} \\\\
            \\text{value}, &\\text{ otherwise }
            \\end{cases}

        Args:
            threshold: The value to threshold at
            value: The value to replace with
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Threshold.png

        Examples::

            >>> m = nn.Threshold(0, 0.5)
            >>> input = torch.arange(-3, 3)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(
        self,
        threshold: float,
        value: float,
        inplace: bool = False,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Hardshrink(nn.Hardshrink):
    """Hardshrink computed by tritonact's fused Triton kernels: x if abs(x) > lambd else 0.

    Drop-in for :class:`torch.nn.Hardshrink` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Hard Shrinkage (Hardshrink) function element-wise.

        Hardshrink is defined as:

        .. math::
            \\text{HardShrink}(x) =
            \\begin{cases}
            x, & \\text{ if } x > \\lambda \\\\
            x, & \\text{ if } x < -\\lambda \\\\
            0, & \\text{ otherwise }
            \\end{cases}

        Args:
            lambd: the :math:`\\lambda` value for the Hardshrink formulation. Default: 0.5

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Hardshrink.png

        Examples::

            >>> m = nn.Hardshrink()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, lambd: float = 0.5, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Softshrink(nn.Softshrink):
    """Softshrink computed by tritonact's fused Triton kernels: x - lambd if x > lambd, x + lambd if
    x < -lambd, else 0.

    Drop-in for :class:`torch.nn.Softshrink` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the soft shrinkage function element-wise.

        .. math::
            \\text{SoftShrinkage}(x) =
            \\begin{cases}
            x - \\lambda, & \\text{ if } x > \\lambda \\\\
            x + \\lambda, & \\text{ if } x < -\\lambda \\\\
            0, & \\text{ otherwise }
            \\end{cases}

        Args:
            lambd: the :math:`\\lambda` (must be no less than zero) value for the Softshrink
    formulation. Default: 0.5

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/Softshrink.png

        Examples::

            >>> m = nn.Softshrink()
            >>> input = torch.randn(2)
            >>> output = m(input)


    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, lambd: float = 0.5, *, saved_bits: int | None = None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class QuickGELU(nn.Module):
    """QuickGELU: quick_gelu(x) = x * sigmoid(1.702 x), by tritonact's fused Triton kernels (torch
    has no such module).

    Shape: input ``(*)``, output ``(*)``, the same shape.

    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``).
    """
    def __init__(self, *, saved_bits: int | None = None): ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class ReLUSquared(nn.Module):
    """ReLUSquared: relu_squared(x) = max(0, x)^2, by tritonact's fused Triton kernels (torch has no
    such module).

    Shape: input ``(*)``, output ``(*)``, the same shape.
    """
    def __init__(self): ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Softmax(nn.Softmax):
    """Softmax computed by tritonact's fused Triton kernels: exp(x_i) / sum_j exp(x_j).

    Drop-in for :class:`torch.nn.Softmax` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Softmax function to an n-dimensional input Tensor.

        Rescales them so that the elements of the n-dimensional output Tensor
        lie in the range [0,1] and sum to 1.

        Softmax is defined as:

        .. math::
            \\text{Softmax}(x_{i}) = \\frac{\\exp(x_i)}{\\sum_j \\exp(x_j)}

        When the input Tensor is a sparse tensor then the unspecified
        values are treated as ``-inf``.

        Shape:
            - Input: :math:`(*)` where `*` means, any number of additional
              dimensions
            - Output: :math:`(*)`, same shape as the input

        Returns:
            a Tensor of the same dimension and shape as the input with
            values in the range [0, 1]

        Args:
            dim (int): A dimension along which Softmax will be computed (so every slice
                along dim will sum to 1).

        .. note::
            This module doesn't work directly with NLLLoss,
            which expects the Log to be computed between the Softmax and itself.
            Use `LogSoftmax` instead (it's faster and has better numerical properties).

        Examples::

            >>> m = nn.Softmax(dim=1)
            >>> input = torch.randn(2, 3)
            >>> output = m(input)


    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Softmax2d(nn.Softmax2d):
    """Softmax2d computed by tritonact's fused Triton kernels: exp(x_i) / sum_j exp(x_j), over the
    channel dim (-3) of a 3-D or 4-D input.

    Drop-in for :class:`torch.nn.Softmax2d` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies SoftMax over features to each spatial location.

        When given an image of ``Channels x Height x Width``, it will
        apply `Softmax` to each location :math:`(Channels, h_i, w_j)`

        Shape:
            - Input: :math:`(N, C, H, W)` or :math:`(C, H, W)`.
            - Output: :math:`(N, C, H, W)` or :math:`(C, H, W)` (same shape as input)

        Returns:
            a Tensor of the same dimension and shape as the input with
            values in the range [0, 1]

        Examples::

            >>> m = nn.Softmax2d()
            >>> # you softmax over the 2nd dimension
            >>> input = torch.randn(2, 3, 12, 13)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class LogSoftmax(nn.LogSoftmax):
    """LogSoftmax computed by tritonact's fused Triton kernels: x_i - log(sum_j exp(x_j)).

    Drop-in for :class:`torch.nn.LogSoftmax` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the :math:`\\log(\\text{Softmax}(x))` function to an n-dimensional input Tensor.

        The LogSoftmax formulation can be simplified as:

        .. math::
            \\text{LogSoftmax}(x_{i}) = \\log\\left(\\frac{\\exp(x_i) }{ \\sum_j \\exp(x_j)}
    \\right)

        Shape:
            - Input: :math:`(*)` where `*` means, any number of additional
              dimensions
            - Output: :math:`(*)`, same shape as the input

        Args:
            dim (int): A dimension along which LogSoftmax will be computed.

        Returns:
            a Tensor of the same dimension and shape as the input with
            values in the range [-inf, 0)

        Examples::

            >>> m = nn.LogSoftmax(dim=1)
            >>> input = torch.randn(2, 3)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Softmin(nn.Softmin):
    """Softmin computed by tritonact's fused Triton kernels: exp(-x_i) / sum_j exp(-x_j).

    Drop-in for :class:`torch.nn.Softmin` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the Softmin function to an n-dimensional input Tensor.

        Rescales them so that the elements of the n-dimensional output Tensor
        lie in the range `[0, 1]` and sum to 1.

        Softmin is defined as:

        .. math::
            \\text{Softmin}(x_{i}) = \\frac{\\exp(-x_i)}{\\sum_j \\exp(-x_j)}

        Shape:
            - Input: :math:`(*)` where `*` means, any number of additional
              dimensions
            - Output: :math:`(*)`, same shape as the input

        Args:
            dim (int): A dimension along which Softmin will be computed (so every slice
                along dim will sum to 1).

        Returns:
            a Tensor of the same dimension and shape as the input, with
            values in the range [0, 1]

        Examples::

            >>> m = nn.Softmin(dim=1)
            >>> input = torch.randn(2, 3)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class GLU(nn.GLU):
    """GLU computed by tritonact's fused Triton kernels: a * sigmoid(b), (a, b) the halves of dim.

    Drop-in for :class:`torch.nn.GLU` (subclass; same arguments, defaults, repr and state_dict).

    Applies the gated linear unit function.

        :math:`{GLU}(a, b)= a \\otimes \\sigma(b)` where :math:`a` is the first half
        of the input matrices and :math:`b` is the second half.

        Args:
            dim (int): the dimension on which to split the input. Default: -1

        Shape:
            - Input: :math:`(\\ast_1, N, \\ast_2)` where `*` means, any number of additional
              dimensions
            - Output: :math:`(\\ast_1, M, \\ast_2)` where :math:`M=N/2`

        Examples::

            >>> m = nn.GLU()
            >>> input = torch.randn(4, 2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class SwiGLU(nn.Module):
    """SwiGLU: silu(a) * b, (a, b) the halves of dim, by tritonact's fused Triton kernels. Input
    ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is the first half of ``dim`` and
    up the second half unless ``gate_first``/``interleaved`` say otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        *,
        gate_first: bool = True,
        interleaved: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class GeGLU(nn.Module):
    """GeGLU: gelu(a) * b, (a, b) the halves of dim, by tritonact's fused Triton kernels. Input
    ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is the first half of ``dim`` and
    up the second half unless ``gate_first``/``interleaved`` say otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        approximate: str = 'none',
        *,
        gate_first: bool = True,
        interleaved: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class ReGLU(nn.Module):
    """ReGLU: relu(a) * b, (a, b) the halves of dim, by tritonact's fused Triton kernels. Input
    ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is the first half of ``dim`` and
    up the second half unless ``gate_first``/``interleaved`` say otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        *,
        gate_first: bool = True,
        interleaved: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class QGeGLU(nn.Module):
    """QGeGLU: quick_gelu(a) * b = a sigmoid(1.702 a) b, (a, b) the halves of dim, by tritonact's
    fused Triton kernels. Input ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is
    the first half of ``dim`` and up the second half unless ``gate_first``/``interleaved`` say
    otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        *,
        gate_first: bool = True,
        interleaved: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class SReGLU(nn.Module):
    """SReGLU: relu(a)^2 * b, (a, b) the halves of dim, by tritonact's fused Triton kernels. Input
    ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is the first half of ``dim`` and
    up the second half unless ``gate_first``/``interleaved`` say otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        *,
        gate_first: bool = True,
        interleaved: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class FATReGLU(nn.Module):
    """FATReGLU: (a if a > threshold else 0) * b, (a, b) the halves of dim, by tritonact's fused
    Triton kernels. Input ``(*, 2d, *)`` along ``dim``, output ``(*, d, *)``; the gate is the
    first half of ``dim`` and up the second half unless ``gate_first``/``interleaved`` say
    otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        threshold: float = 0.0,
        *,
        gate_first: bool = True,
        interleaved: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class SwiGLUOAI(nn.Module):
    """SwiGLUOAI: c sigmoid(alpha c) * (clamp(b, -limit, limit) + 1), c = min(a, limit), (a, b) the
    even and odd elements of dim, by tritonact's fused Triton kernels. Input ``(*, 2d, *)`` along
    ``dim``, output ``(*, d, *)``; the gate is the even elements of ``dim`` and up the odd
    elements unless ``gate_first``/``interleaved`` say otherwise.
    """
    def __init__(
        self,
        dim: int = -1,
        alpha: float = 1.702,
        limit: float = 7.0,
        *,
        gate_first: bool = True,
        interleaved: bool = True,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class PReLU(nn.PReLU):
    """PReLU computed by tritonact's fused Triton kernels: x if x > 0 else weight[c] * x, c the
    channel (dim 1) or one weight.

    Drop-in for :class:`torch.nn.PReLU` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the element-wise PReLU function.

        .. math::
            \\text{PReLU}(x) = \\max(0,x) + a * \\min(0,x)

        or

        .. math::
            \\text{PReLU}(x) =
            \\begin{cases}
            x, & \\text{ if } x \\ge 0 \\\\
            ax, & \\text{ otherwise }
            \\end{cases}

        Here :math:`a` is a learnable parameter. When called without arguments, `nn.PReLU()` uses
    a single
        parameter :math:`a` across all input channels. If called with `nn.PReLU(nChannels)`,
        a separate :math:`a` is used for each input channel.


        .. note::
            weight decay should not be used when learning :math:`a` for good performance.

        .. note::
            Channel dim is the 2nd dim of input. When input has dims < 2, then there is
            no channel dim and the number of channels = 1.

        Args:
            num_parameters (int): number of :math:`a` to learn.
                Although it takes an int as input, there is only two values are legitimate:
                1, or the number of channels at input. Default: 1
            init (float): the initial value of :math:`a`. Default: 0.25

        Shape:
            - Input: :math:`( *)` where `*` means, any number of additional
              dimensions.
            - Output: :math:`(*)`, same shape as the input.

        Attributes:
            weight (Tensor): the learnable weights of shape (:attr:`num_parameters`).

        .. image:: ../scripts/activation_images/PReLU.png

        Examples::

            >>> m = nn.PReLU()
            >>> input = torch.randn(2)
            >>> output = m(input)

    """
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class RReLU(nn.RReLU):
    """RReLU computed by tritonact's fused Triton kernels: x if x >= 0 else r * x, r ~ U(lower,
    upper) in training, (lower + upper) / 2 in eval.

    Drop-in for :class:`torch.nn.RReLU` (subclass; same arguments, defaults, repr and
    state_dict).

    Applies the randomized leaky rectified linear unit function, element-wise.

        Method described in the paper:
        `Empirical Evaluation of Rectified Activations in Convolutional Network
    <https://arxiv.org/abs/1505.00853>`_.

        The function is defined as:

        .. math::
            \\text{RReLU}(x) =
            \\begin{cases}
                x & \\text{if } x \\geq 0 \\\\
                ax & \\text{ otherwise }
            \\end{cases}

        where :math:`a` is randomly sampled from uniform distribution
        :math:`\\mathcal{U}(\\text{lower}, \\text{upper})` during training while during
        evaluation :math:`a` is fixed with :math:`a = \\frac{\\text{lower} + \\text{upper}}{2}`.

        Args:
            lower: lower bound of the uniform distribution. Default: :math:`\\frac{1}{8}`
            upper: upper bound of the uniform distribution. Default: :math:`\\frac{1}{3}`
            inplace: can optionally do the operation in-place. Default: ``False``

        Shape:
            - Input: :math:`(*)`, where :math:`*` means any number of dimensions.
            - Output: :math:`(*)`, same shape as the input.

        .. image:: ../scripts/activation_images/RReLU.png

        Examples::

            >>> m = nn.RReLU(0.1, 0.3)
            >>> input = torch.randn(2)
            >>> output = m(input)



    Keyword-only ``saved_bits`` (1 to 4, default None): save that many bits per element for
    backward instead of a whole tensor (``tritonact.saved_bits``) (eval mode; training draws
    slopes and saves them, as exact mode).
    """
    def __init__(
        self,
        lower: float = 0.125,
        upper: float = 0.3333333333333333,
        inplace: bool = False,
        *,
        saved_bits: int | None = None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class StarReLU(nn.Module):
    """StarReLU: scale * relu(x)^2 + bias, scale and bias learnable scalars, computed by tritonact's
    fused Triton kernels (:func:`tritonact.functional.star_relu`).

    MetaFormer's (timm's ``timm.models.metaformer.StarReLU``) constructor and state: ``scale``
    and ``bias`` are Parameters of shape (1,), learnable unless ``scale_learnable`` /
    ``bias_learnable`` is False. ``mode`` is accepted and unused, as there; ``inplace`` too:
    the input is never written (timm's writes relu(x) into it as a side effect).
    """
    def __init__(
        self,
        scale_value: float = 1.0,
        bias_value: float = 0.0,
        scale_learnable: bool = True,
        bias_learnable: bool = True,
        mode: str | None = None,
        inplace: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class XIELU(nn.Module):
    """XIELU: alpha_p x^2 + beta x if x > 0 else (expm1(min(x, eps)) - x) alpha_n + beta x, alpha_p
    and alpha_n learnable scalars, computed by tritonact's fused Triton kernels
    (:func:`tritonact.functional.xielu`).

    Hugging Face's ``XIELUActivation`` constructor and state: the Parameters ``alpha_p`` and
    ``alpha_n`` (shape (1,), in ``dtype``) hold softplus-inverses, the effective weights being
    ``softplus(alpha_p)`` and ``beta + softplus(alpha_n)``; ``beta`` and ``eps`` are buffers in
    ``dtype`` (eps rounded to it, as there). ``with_vector_loads`` (an option of its CUDA
    extension) is accepted and unused.
    """
    def __init__(
        self,
        alpha_p_init: float = 0.8,
        alpha_n_init: float = 0.8,
        beta: float = 0.5,
        eps: float = -1e-06,
        dtype: torch.dtype = torch.bfloat16,
        with_vector_loads: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class Snake(nn.Module):
    """Snake: x + sin(alpha[c] x)^2 / (alpha[c] + 1e-9), c the channel (dim 1), computed by
    tritonact's fused Triton kernels (:func:`tritonact.functional.snake`).

    BigVGAN's ``Snake`` constructor and state: ``alpha`` has one element per channel (input
    [B, C, T]); with ``alpha_logscale`` it holds log(alpha) (initialized to 0) and alpha is
    ``exp(alpha)``.
    """
    def __init__(
        self,
        in_features: int,
        alpha: float = 1.0,
        alpha_trainable: bool = True,
        alpha_logscale: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class SnakeBeta(nn.Module):
    """SnakeBeta: x + sin(alpha[c] x)^2 / (beta[c] + 1e-9), c the channel (dim 1), computed by
    tritonact's fused Triton kernels (:func:`tritonact.functional.snake_beta`).

    BigVGAN's ``SnakeBeta`` constructor and state: ``alpha`` (the frequency) and ``beta``
    (the magnitude) have one element per channel; with ``alpha_logscale`` both hold logs
    (initialized to 0).
    """
    def __init__(
        self,
        in_features: int,
        alpha: float = 1.0,
        alpha_trainable: bool = True,
        alpha_logscale: bool = False,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class BiasGELU(nn.Module):
    """BiasGELU: gelu(x + bias), by tritonact's fused Triton kernels, with its own ``bias``
    Parameter of ``features`` elements (zeros, as Megatron's and Transformer Engine's linear
    layers start theirs). Put it after a Linear layer without bias: ``nn.Linear(d, features,
    bias=False)`` then ``BiasGELU(features)`` computes ``bias_gelu`` of the Linear's result in
    one read of it (copy a trained Linear's bias into ``bias``).
    """
    def __init__(
        self,
        features: int,
        approximate: str = 'none',
        *,
        device=None,
        dtype=None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class BiasGeGLU(nn.Module):
    """BiasGeGLU: gelu(a) * b, (a, b) the halves of the last dim of x + bias, by tritonact's fused
    Triton kernels, with its own ``bias`` Parameter of ``features`` elements (zeros, as
    Megatron's and Transformer Engine's linear layers start theirs). The input's last dim
    (``features``, even) is split in half after the bias: ``act(a) * b``, the gate ``a`` first.
    Put it after a Linear layer without bias: ``nn.Linear(d, features, bias=False)`` then
    ``BiasGeGLU(features)`` computes ``bias_geglu`` of the Linear's result in one read of it
    (copy a trained Linear's bias into ``bias``).
    """
    def __init__(
        self,
        features: int,
        approximate: str = 'none',
        *,
        device=None,
        dtype=None,
    ) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...


class BiasSwiGLU(nn.Module):
    """BiasSwiGLU: silu(a) * b, (a, b) the halves of the last dim of x + bias, by tritonact's fused
    Triton kernels, with its own ``bias`` Parameter of ``features`` elements (zeros, as
    Megatron's and Transformer Engine's linear layers start theirs). The input's last dim
    (``features``, even) is split in half after the bias: ``act(a) * b``, the gate ``a`` first.
    Put it after a Linear layer without bias: ``nn.Linear(d, features, bias=False)`` then
    ``BiasSwiGLU(features)`` computes ``bias_swiglu`` of the Linear's result in one read of it
    (copy a trained Linear's bias into ``bias``).
    """
    def __init__(self, features: int, *, device=None, dtype=None) -> None: ...
    def forward(self, input: torch.Tensor) -> torch.Tensor: ...
