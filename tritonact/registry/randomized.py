"""RReLU: leaky_relu with a random slope in training, one
:class:`~tritonact.families.randomized.Randomized` entry."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from tritonact.families.base import Param
from tritonact.families.randomized import Randomized
from tritonact.registry.elementwise import ELEMENTWISE

RANDOMIZED: tuple[Randomized, ...] = (
    Randomized("rrelu", "x if x >= 0 else r * x, r ~ U(lower, upper) in training, "
               "(lower + upper) / 2 in eval",
               next(s for s in ELEMENTWISE if s.name == "leaky_relu"), F.rrelu, nn.RReLU, "rrelu_",
               (Param("lower", 1.0 / 8), Param("upper", 1.0 / 3)),
               test_params=({"lower": 0.0, "upper": 0.5}, {"lower": -0.2, "upper": 0.1})),
)
