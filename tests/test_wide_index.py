"""The launchers' choice of 64-bit indices (``WIDE``) on views whose largest offset passes 2**31
while they hold fewer than 2**31 elements: stepped and sliced views of a ~2**31-element fp16
tensor.

The tensor is allocated (4 GiB of address space) but never written or read: the launch is
intercepted, so no kernel runs and the untouched pages cost no memory. What is checked is the
decision itself; the wide arithmetic is checked on small tensors with a lowered limit
(``test_wide_index_path`` and the PReLU test)."""

import pytest
import torch

import tritonact.functional as TF
from tritonact.autograd import elementwise, gated, launch, parametric, prelu, rowwise
from tritonact.registry import OPS

#: Elements of the big tensor: past 2**31 by 4 Mi (8 MiB), so that each view below reaches past
#: 2**31 with about half as many elements.
BIG = 2**31 + 2**22
#: Rows and (even) row length of the big tensor as a matrix.
ROWS, ROW = 2**15, 2**16 + 128

LAUNCHERS = (elementwise, gated, prelu, rowwise, parametric)


@pytest.fixture(scope="module")
def big():
    """A ~2**31-element fp16 tensor, never touched (on the CPU its pages stay unmapped)."""
    from tests.conftest import DEVICE

    base = torch.empty(BIG, dtype=torch.float16, device=DEVICE)
    yield base
    del base


@pytest.fixture
def decisions(monkeypatch):
    """(kernel name, WIDE) of every launch while the test runs; no kernel is run."""
    seen: list[tuple[str, bool]] = []

    def record(kernel, grid, device, *args, **meta):
        seen.append((kernel.__name__, meta["WIDE"]))

    for module in LAUNCHERS:
        monkeypatch.setattr(module, "launch", record)
    return seen


def test_small_tensors_keep_32_bit_indices(device, decisions):
    x = torch.randn(64, 40, device=device)
    w = torch.rand(40, device=device)
    TF.relu(x), TF.relu(x[:, ::2]), TF.softmax(x[:, ::2], 0), TF.swiglu(x), TF.prelu(x, w)
    assert decisions == [("forward", False), ("forward_strided", False), ("forward", False),
                         ("forward", False), ("forward", False)]


def test_flat_elementwise_past_2_31_elements(big, decisions):
    TF.relu(big)
    assert decisions == [("forward", True)]


def test_stepped_elementwise_view(big, decisions):
    """2**30 + 2**21 elements, the last at offset 2**31 + 2**22 - 2: the strided kernel, wide,
    forward and backward (the saved tensor stepped, the gradient's own layout)."""
    view = big[::2]
    assert view.numel() < launch.INT32_LIMIT < view.storage_offset() + 2 * (view.numel() - 1)
    TF.relu(view)
    elementwise.backward(OPS["silu"].math, view, view, 0.0, 0.0)
    assert decisions == [("forward_strided", True), ("backward_strided", True)]


def test_rowwise_on_a_stepped_matrix(big, decisions):
    """Rows of a stepped view (row stride ROW, column stride 2), reduced over either dim."""
    view = big[:ROWS * ROW].view(ROWS, ROW)[:, ::2]
    TF.softmax(view, -1)
    TF.log_softmax(view, 0)
    assert decisions == [("forward", True), ("forward", True)]


def test_gated_halves_of_a_wide_matrix(big, decisions):
    """The halves of a [ROWS, ROW] matrix: 2**30 + 2**21 outputs, inputs reaching past 2**31."""
    x = big[:ROWS * ROW].view(ROWS, ROW)
    TF.swiglu(x)
    gate, up = x.chunk(2, -1)
    TF.silu_mul(gate, up)
    assert decisions == [("forward", True), ("forward", True)]


def test_prelu_on_a_stepped_view(big, decisions):
    x = big[:ROWS * ROW].view(ROWS, 2, ROW // 2)[..., ::2]
    TF.prelu(x, torch.rand(2, dtype=torch.float16, device=x.device))
    assert decisions == [("forward", True)]


def test_parametric_on_a_stepped_view(big, decisions):
    """Snake's per-channel weights and star_relu's shared ones on the same stepped view."""
    x = big[:ROWS * ROW].view(ROWS, 2, ROW // 2)[..., ::2]
    TF.snake(x, torch.rand(2, dtype=torch.float16, device=x.device))
    one = torch.ones(1, dtype=torch.float16, device=x.device)
    TF.star_relu(x, one, one)
    assert decisions == [("forward", True), ("forward", True)]
