"""The row-wise ops (softmax, log_softmax, softmin): a reduction over ``dim``, one
:class:`~tritonact.families.rowwise.Rowwise` entry each."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tritonact.autograd.rowwise import RowMath, log_softmax_second, softmax_second
from tritonact.families.rowwise import Rowwise
from tritonact.kernels import rowwise as rk

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
