"""Special values (+-inf, NaN, +-0.0, large magnitudes) and each op's kinks and boundaries,
forward and backward, in every dtype, against torch."""

import math

import pytest
import torch

from tests.cases import op_params
from tritonact.core.testing import DTYPES

SPECIAL = [-math.inf, math.inf, math.nan, -0.0, 0.0, -20.0, 20.0, -50.0, 50.0, -1e4, 1e4]


def special_values(spec, params, dtype, device):
    """The special values, the op's kink points and their fp neighbours, tiled to a multiple of
    16 elements so that torch's CPU reference takes its vectorised path for every element."""
    points = [float(p) for p in spec.points(**params)]
    values = torch.tensor(SPECIAL + points, dtype=torch.float64).to(dtype)
    pts = torch.tensor(points, dtype=torch.float64).to(dtype)
    neighbours = [torch.nextafter(pts, pts + 1), torch.nextafter(pts, pts - 1)] if points else []
    values = torch.cat([values, *neighbours])
    reps = -(-64 // values.numel())
    return values.repeat(reps)[: 64 if values.numel() <= 64 else None].to(device)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("spec", "params"), op_params())
def test_special_values_and_kinks(spec, params, dtype, device):
    x = special_values(spec, params, dtype, device)
    for g in (torch.ones_like(x), torch.full_like(x, -2.5)):
        problem = spec.check(params, x, g)
        assert problem is None, f"{x.tolist()}\n{problem}"
