"""gradcheck and gradgradcheck in fp64 for every op and parameter set."""

import pytest
import torch

from tests.cases import op_params
from tritonact import functional


@pytest.mark.parametrize(("spec", "params"), op_params())
def test_gradcheck_and_gradgradcheck(spec, params, device):
    torch.manual_seed(0)
    fn = getattr(functional, spec.name)
    x = spec.away_from_kinks(params, device, shape=(2, 3))
    assert torch.autograd.gradcheck(lambda t: fn(t, **params), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, **params), (x,))


@pytest.mark.parametrize(("spec", "params"), op_params())
def test_double_backward_matches_torch(spec, params, device):
    """The second derivative itself, against torch's, through a strided (transposed) input."""
    torch.manual_seed(1)
    x = spec.away_from_kinks(params, device, shape=(3, 2)).detach().t()
    fn = getattr(functional, spec.name)
    xr = x.clone().requires_grad_()
    (dx,) = torch.autograd.grad(fn(xr, **params).sum(), xr, create_graph=True)
    (ours,) = torch.autograd.grad(dx, xr, torch.full_like(dx, 0.5))
    try:
        xr = x.clone().requires_grad_()
        y = (spec.reference or spec.torch_fn)(xr, **params)
        (dx,) = torch.autograd.grad(y.sum(), xr, create_graph=True)
        (theirs,) = torch.autograd.grad(dx, xr, torch.full_like(dx, 0.5), allow_unused=True)
        theirs = torch.zeros_like(x) if theirs is None else theirs
        rtol, atol = 1e-7, 1e-12
    except RuntimeError as error:  # torch has no double backward for this op (hardsigmoid):
        assert "not implemented" in str(error)  # central differences of torch's first one
        h = 1e-6
        first = [torch.autograd.grad(spec.torch_fn(v.requires_grad_(), **params).sum(), v)[0]
                 for v in (x + h, x - h)]
        theirs, rtol, atol = 0.5 * (first[0] - first[1]) / (2 * h), 1e-5, 1e-6
    torch.testing.assert_close(ours, theirs, rtol=rtol, atol=atol)


def test_third_derivative_says_so(device):
    x = torch.randn(5, dtype=torch.float64, device=device, requires_grad=True)
    y = functional.silu(x)
    (dx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (ddx,) = torch.autograd.grad(dx.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable|does not require grad"):
        torch.autograd.grad(ddx.sum(), x)
