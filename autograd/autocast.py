"""torch.autocast for tritonact's functional ops: the input cast that torch's own op would get.

Autocast casts an op's inputs by a per-op policy that lives in torch's dispatcher (``softmax``,
``log_softmax`` and ``softplus`` run in fp32 under CUDA autocast, most activations in their
input's dtype). Rather than copy torch's lists, the dtype torch's function returns under the
current autocast state is probed once, on a one-element tensor of the input's rank, and cached.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

is_any_autocast_enabled = torch._C._is_any_autocast_enabled

_probed: dict[tuple, torch.dtype] = {}


def autocast_dtype(torch_fn: Callable, x: torch.Tensor, args: tuple, kwargs: dict) -> torch.dtype:
    """The dtype ``torch_fn(x, *args, **kwargs)`` returns under the current autocast state."""
    device_type = x.device.type
    if not torch.is_autocast_enabled(device_type):
        return x.dtype
    key = (torch_fn, device_type, torch.get_autocast_dtype(device_type), x.dtype, x.dim(), args,
           tuple(sorted(kwargs.items())))
    dtype = _probed.get(key)
    if dtype is None:
        probe = torch.zeros((1,) * x.dim(), dtype=x.dtype, device=x.device)
        with torch.no_grad():
            dtype = _probed[key] = torch_fn(probe, *args, **kwargs).dtype
    return dtype


def autocast_input(torch_fn: Callable, x: torch.Tensor, args: tuple, kwargs: dict):
    """``x`` as autocast would hand it to ``torch_fn``: cast (differentiably) where torch's
    policy computes the op in another dtype, else ``x`` itself."""
    dtype = autocast_dtype(torch_fn, x, args, kwargs)
    return x if dtype == x.dtype else x.to(dtype)
