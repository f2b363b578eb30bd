"""Activations with learnable weights of their own (star_relu, xielu, snake, snake_beta): the
torch composites (the reference and the fallback), the modules with their projects'
constructors, and one :class:`~tritonact.families.parametric.Parametric` entry each."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.parametric import ParametricMath
from tritonact.families.base import Param
from tritonact.families.parametric import Parametric
from tritonact.kernels import parametric as pk

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
