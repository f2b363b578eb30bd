"""The first gradient computed with ``create_graph=True`` against torch's.

Where ``create_graph=True`` takes a code path of its own (gated and PReLU: torch's composite;
elementwise, row-wise and RReLU: a differentiable backward Function), gradgradcheck compares that
path only with its own finite differences: a wrong first gradient whose derivative is
consistently wrong passes it. These tests compare the first gradient itself with torch's.
"""

import pytest
import torch

import tritonact.functional as TF
from tests.cases import op_params
from tritonact.registry import GATED, LEARNABLE, ROWWISE

GATED_CASES = [pytest.param(s, a, id=f"{s.name}-{a}")
               for s in GATED for a in s.approximations]


def _first_gradients(fn, inputs, g, create_graph):
    """The gradients of ``fn(*inputs)`` with upstream ``g``, and whether they are
    differentiable (the create_graph path was taken)."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    out = fn(*leaves)
    grads = torch.autograd.grad(out, leaves, g, create_graph=create_graph)
    return grads, all(d.requires_grad for d in grads)


def _assert_matches_torch(ours, theirs, inputs, g):
    """``ours`` with create_graph=True against ``theirs`` (torch) in fp64, within the suite's
    fp64 tolerance (torch's fp64 hardsigmoid rounds its 1/6 through fp32; tritonact's is exact)."""
    got, differentiable = _first_gradients(ours, inputs, g, create_graph=True)
    want, _ = _first_gradients(theirs, inputs, g, create_graph=False)
    assert differentiable
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize(("spec", "params"), op_params())
def test_elementwise(spec, params, device):
    torch.manual_seed(0)
    x = spec.away_from_kinks(params, device, shape=(4, 3)).detach()
    g = torch.randn_like(x)
    _assert_matches_torch(lambda t: getattr(TF, spec.name)(t, **params),
                          lambda t: (spec.reference or spec.torch_fn)(t, **params), (x,), g)


@pytest.mark.parametrize(("spec", "approximate"), GATED_CASES)
def test_gated_both_forms_and_split_dims(spec, approximate, device):
    """The single-tensor form on either split dim (gate first or second half) and the
    two-tensor form: dgate and dup must not trade places."""
    torch.manual_seed(0)
    kw = {"approximate": approximate} if spec.takes_approximate else {}
    x = torch.randn(4, 6, dtype=torch.float64, device=device)
    for dim in (-1, 0):
        out_shape = (4, 3) if dim == -1 else (2, 6)
        g = torch.randn(out_shape, dtype=torch.float64, device=device)
        _assert_matches_torch(lambda t, dim=dim: getattr(TF, spec.name)(t, dim, **kw),
                              lambda t, dim=dim: spec.reference(t, dim, **kw), (x,), g)
    if spec.mul_name:
        gate, up = torch.randn(2, 3, 5, dtype=torch.float64, device=device)
        g = torch.randn(3, 5, dtype=torch.float64, device=device)
        _assert_matches_torch(lambda a, b: getattr(TF, spec.mul_name)(a, b, **kw),
                              lambda a, b: spec.reference_mul(a, b, **kw), (gate, up), g)


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in ROWWISE])
def test_rowwise_every_dim(spec, device):
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, dtype=torch.float64, device=device)
    g = torch.randn_like(x)
    for dim in range(3):
        _assert_matches_torch(lambda t, dim=dim: getattr(TF, spec.name)(t, dim),
                              lambda t, dim=dim: spec.torch_fn(t, dim), (x,), g)


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in ROWWISE])
def test_rowwise_long_rows_split_across_programs(spec, device, monkeypatch):
    """A row past the one-pass limit, split across programs (the planner told of enough SMs):
    the first gradient with create_graph=True, and the double backward through it."""
    from tritonact.autograd import rowwise

    monkeypatch.setattr(rowwise, "sm_count", lambda device: rowwise.INTERPRETER_SMS)
    torch.manual_seed(0)
    x = torch.randn(1, rowwise.ONE_PASS_LIMIT + 1, dtype=torch.float64, device=device)
    g, gg = torch.randn_like(x), torch.randn_like(x)
    ours = lambda t: getattr(TF, spec.name)(t, 1)
    _assert_matches_torch(ours, lambda t: spec.torch_fn(t, 1), (x,), g)
    second = []
    for fn in (ours, lambda t: spec.torch_fn(t, 1)):
        leaf = x.clone().requires_grad_()
        (dx,) = torch.autograd.grad(fn(leaf), leaf, g, create_graph=True)
        second.append(torch.autograd.grad(dx, leaf, gg)[0])
    torch.testing.assert_close(*second, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("n_weights", [1, 3])
def test_prelu_input_and_weight(n_weights, device):
    torch.manual_seed(0)
    spec = LEARNABLE[0]
    x = torch.randn(4, 3, 5, dtype=torch.float64, device=device)
    w = torch.rand(n_weights, dtype=torch.float64, device=device) - 0.3
    g = torch.randn_like(x)
    _assert_matches_torch(getattr(TF, spec.name), spec.torch_fn, (x, w), g)
    for frozen in (0, 1):  # one of the two not requiring grad: the other's gradient alone
        inputs = [x, w]
        fixed = inputs[frozen]
        fn = lambda t, frozen=frozen, fixed=fixed: getattr(TF, spec.name)(
            *((fixed, t) if frozen == 0 else (t, fixed)))
        reference = lambda t, frozen=frozen, fixed=fixed: spec.torch_fn(
            *((fixed, t) if frozen == 0 else (t, fixed)))
        _assert_matches_torch(fn, reference, (inputs[1 - frozen],), g)


def test_rrelu_training(device):
    """RReLU's slopes are not torch's: the create_graph gradient must be ``g * y / x``, the
    forward's own slopes (x is kept away from 0)."""
    x = torch.rand(5, 6, dtype=torch.float64, device=device) + 0.1
    x[:, ::2] *= -1
    leaf = x.clone().requires_grad_()
    torch.manual_seed(3)
    y = TF.rrelu(leaf, 0.1, 0.3, training=True)
    g = torch.randn_like(x)
    (dx,) = torch.autograd.grad(y, leaf, g, create_graph=True)
    assert dx.requires_grad
    torch.testing.assert_close(dx, g * (y / x).detach(), rtol=1e-12, atol=0)
