"""The gated ops ``act(a) * b`` over the halves of ``dim``: the gate activations' records
(:class:`~tritonact.autograd.gated.GateMath`) and one :class:`~tritonact.families.gated.Gated`
entry per op."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.gated import GateMath
from tritonact.families.base import Param
from tritonact.families.gated import Gated, GatedModule
from tritonact.kernels import activations as k
from tritonact.kernels import gated as gk
from tritonact.registry.elementwise import quick_gelu_composite, relu_squared_composite


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
