"""Checks that need a GPU. tests/conftest.py collects this folder only when CUDA is present."""

import pytest
import torch

import tritonact.functional as TF
from tritonact.core.testing import mismatch
from tritonact.registry import OPS


def test_more_than_2_31_elements_forward_and_backward():
    """int64 offsets: silu over 2**31 + 2**20 bf16 elements, both ends checked against torch."""
    n, edge = 2**31 + 2**20, 2**20
    x = torch.ones(n, dtype=torch.bfloat16, device="cuda")
    x[:edge].normal_()
    x[-edge:].normal_()
    x.requires_grad_()
    y = TF.silu(x)
    (dx,) = torch.autograd.grad(y, x, torch.ones_like(y))
    for part in (slice(0, edge), slice(n - edge, n)):
        piece = x.detach()[part]
        ref64 = piece.double().requires_grad_()
        (dref,) = torch.autograd.grad(torch.nn.functional.silu(ref64).sum(), ref64)
        lowp = piece.clone().requires_grad_()
        (dlowp,) = torch.autograd.grad(torch.nn.functional.silu(lowp).sum(), lowp)
        assert mismatch(y.detach()[part], torch.nn.functional.silu(ref64.detach()),
                        torch.nn.functional.silu(piece)) is None
        assert mismatch(dx[part], dref, dlowp) is None


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs: one to be current, "
                    "the other to hold the tensor")
def test_tensor_on_another_gpu_than_the_current_one():
    torch.cuda.set_device(0)
    x = torch.randn(10_000, device="cuda:1")
    assert OPS["gelu"].check({"approximate": "tanh"}, x) is None
    assert TF.relu(x).device == x.device


def test_softmax_rows_of_2_20_elements():
    from tritonact.registry import ROWWISE

    x = torch.randn(4, 2**20, device="cuda")
    for spec in ROWWISE:
        assert spec.check(x, 1) is None
        assert spec.check(x.t().contiguous().t(), 1) is None  # strided rows


def test_softmax_over_more_than_2_31_elements():
    """int64 offsets in the row-wise kernels: 2**19 + 8 rows of 4096 bf16 (> 2**31 elements)."""
    rows = 2**19 + 8
    x = torch.randn(rows, 4096, dtype=torch.bfloat16, device="cuda")
    y = TF.softmax(x, -1)
    for part in (slice(0, 8), slice(rows - 8, rows)):
        want = torch.softmax(x[part].double(), -1)
        assert mismatch(y[part], want, torch.softmax(x[part], -1)) is None


def test_llm_shaped_gated_inputs():
    """tokens x 2 * 11008 in bf16, a fused gate-up projection's output split in place."""
    from tritonact.registry import GATED

    x = torch.randn(2048, 2 * 11008, dtype=torch.bfloat16, device="cuda")
    for spec in GATED:
        assert spec.check(x, -1) is None


def test_prelu_and_rrelu_on_cuda_and_past_2_31_elements():
    """PReLU's [N, C, S] tiles with int64 offsets (2**31 + 2**20 bf16 elements, 64 channels) and
    RReLU's Philox counters past 2**32 / 4 (the same slopes in backward)."""
    from tritonact.registry import LEARNABLE, RANDOMIZED

    for dtype in (torch.float32, torch.bfloat16):
        assert LEARNABLE[0].check_all(dtype, "cuda") == []
        assert RANDOMIZED[0].check_all(dtype, "cuda") == []
    n = 2**31 + 2**20
    x = -torch.rand(n // (64 * 1024), 64, 1024, dtype=torch.bfloat16, device="cuda") - 0.5
    w = torch.full((64,), 0.25, dtype=torch.bfloat16, device="cuda", requires_grad=True)
    y = TF.prelu(x, w)
    assert torch.equal(y[-1], x[-1] * 0.25)
    (dw,) = torch.autograd.grad(y, w, torch.ones_like(y))
    expected = x.float().sum((0, 2))
    assert ((dw.float() - expected).abs() <= 1e-2 * expected.abs()).all()
    del y
    x = x.flatten().requires_grad_()
    y = TF.rrelu(x, 0.1, 0.3, training=True)
    slopes = y[-2**20:].float() / x[-2**20:].float()
    assert 0.099 <= slopes.min() and slopes.max() <= 0.301 and slopes.std() > 0.05
    (dx,) = torch.autograd.grad(y, x, torch.ones_like(y))
    assert torch.allclose(dx[-2**20:].float(), slopes, rtol=1e-2)
