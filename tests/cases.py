"""Registry-driven test cases: ops with their parameter sets, shapes and layouts."""

from __future__ import annotations

import pytest
import torch

from tritonact.registry import ELEMENTWISE

SHAPES = [(), (0,), (1,), (7,), (1000,), (4099,), (3, 5, 7), (2, 3, 17, 19)]


def op_params():
    """pytest params: one per (op, parameter set), ids like ``leaky_relu-negative_slope=0.2``."""
    out = []
    for spec in ELEMENTWISE:
        for params in spec.param_sets():
            tag = ",".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            out.append(pytest.param(spec, params, id=f"{spec.name}-{tag}"))
    return out


def layouts(shape, dtype, device, scale=3.0):
    """(name, tensor) for each layout the shape allows, values ~ N(0, scale^2)."""
    def rand(s):
        return (torch.randn(s, dtype=torch.float64, device=device) * scale).to(dtype)

    yield "contiguous", rand(shape)
    if len(shape) >= 2:
        dims = list(range(len(shape)))
        perm = [*dims[:-2], dims[-1], dims[-2]]
        swapped = [shape[d] for d in perm]
        yield "transposed", rand(swapped).permute(*perm)
    if len(shape) == 4:
        yield "channels_last", rand(shape).contiguous(memory_format=torch.channels_last)
    if len(shape) >= 1:
        yield "step", rand((*shape[:-1], shape[-1] * 2))[..., ::2]
