"""PReLU: leaky_relu's math with the slope a learnable tensor, one
:class:`~tritonact.families.learnable.Learnable` entry."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from tritonact.autograd.prelu import PreluMath
from tritonact.families.learnable import Learnable
from tritonact.kernels import activations as k
from tritonact.kernels import prelu as lk

LEARNABLE: tuple[Learnable, ...] = (
    Learnable("prelu", "x if x > 0 else weight[c] * x, c the channel (dim 1) or one weight",
              PreluMath("prelu", k.leaky_relu_forward, k.leaky_relu_backward,
                        lk.prelu_weight_backward, F.prelu), nn.PReLU),
)
