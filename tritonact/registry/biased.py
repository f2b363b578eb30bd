"""Megatron's bias + activation fusions, one :class:`~tritonact.families.biased.Biased` entry
each, naming its activation's gate record."""

from __future__ import annotations

from tritonact.families.biased import Biased
from tritonact.registry.gated import GATE_GELU, GATE_SILU

#: Megatron's bias + activation fusions: the activation of ``x + bias`` (bias over the last dim),
#: the gated ones over the halves of the last dim; the math is the gates' records above.
BIASED: tuple[Biased, ...] = (
    Biased("bias_gelu", "gelu(x + bias)", GATE_GELU, False, "BiasGELU"),
    Biased("bias_geglu", "gelu(a) * b, (a, b) the halves of the last dim of x + bias", GATE_GELU,
           True, "BiasGeGLU"),
    Biased("bias_swiglu", "silu(a) * b, (a, b) the halves of the last dim of x + bias",
           GATE_SILU, True, "BiasSwiGLU"),
)
