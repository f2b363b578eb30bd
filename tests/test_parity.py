"""Forward and backward parity with torch (fp64 reference) for every op, parameter set, dtype,
shape and layout, with a random upstream gradient in a layout of its own."""

import pytest
import torch

from tests.cases import SHAPES, layouts, op_params
from tritonact.core.testing import DTYPES


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("spec", "params"), op_params())
def test_parity(spec, params, dtype, device):
    torch.manual_seed(0)
    failures = []
    for shape in SHAPES:
        for layout, x in layouts(shape, dtype, device):
            if dtype == torch.float64 and layout in ("transposed", "channels_last"):
                continue  # fp64 takes the fp32 path's addressing; its dense layouts run in fp32

            # a contiguous gradient differs in layout from every non-contiguous x (strided
            # backward); an expanded one (stride 0, as sum().backward() hands down) too
            expanded = (layout == "contiguous" and x.numel() > 1
                        and dtype in (torch.float32, torch.float64))  # strided backward path
            for grad_layout in ("contiguous", "expanded") if expanded else ("contiguous",):
                g = torch.randn(x.shape, dtype=dtype, device=device)
                if grad_layout == "expanded":
                    g = g.flatten()[:1].expand(x.shape)  # what sum().backward() hands down
                problem = spec.check(params, x, g)
                if problem:
                    failures.append(f"{shape} {layout} grad={grad_layout}: {problem}")
    assert not failures, "\n".join(failures)
