"""GLU, SwiGLU, GeGLU, ReGLU and the two-tensor forms: parity on chunk views and other layouts
(upstream gradient too), gradients, launches, saved bytes, inputs left intact, modules."""

import pytest
import torch

import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.registry import GATED
from tritonact.testing import DTYPES

CASES = [pytest.param(s, a, id=f"{s.name}-{a}")
         for s in GATED for a in s.approximations]


def _inputs(dtype, device):
    """(label, x, dim): a fused gate-up projection split on its last dim, other dims, views."""
    r = lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)
    yield "tokens x 2d", r(5, 2 * 48), -1
    yield "batch x tokens x 2d, split dim 0", r(2 * 7, 3, 9), 0
    yield "middle dim", r(3, 2 * 4, 5), 1
    yield "transposed", r(2 * 6, 7).t(), 1
    yield "stepped", r(4, 2 * 10 * 2)[:, ::2], 1
    yield "odd rows", r(1, 2 * 4099), 1


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("spec", "approximate"), CASES)
def test_parity(spec, approximate, dtype, device):
    torch.manual_seed(0)
    failures = []
    for label, x, dim in _inputs(dtype, device):
        if dtype != torch.float32 and label in ("middle dim", "stepped"):
            continue  # addressing shared with fp32, where every input runs
        out_shape = list(x.shape)
        out_shape[dim] //= 2
        # gradients in other layouts on the main case (their addressing is shared)
        grads = ("contiguous", "expanded", "transposed") if label == "tokens x 2d" else (
            "contiguous",)
        for grad in grads:
            g = torch.randn(out_shape, dtype=dtype, device=device)
            if grad == "expanded":
                g = g.flatten()[:1].expand(out_shape)
            elif grad == "transposed":
                g = torch.randn(out_shape[::-1], dtype=dtype, device=device).permute(
                    *range(len(out_shape) - 1, -1, -1))
            problem = spec.check(x, dim, approximate, g)
            if problem:
                failures.append(f"{label}, {grad} gradient: {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("spec", "approximate"), CASES)
def test_gradcheck_and_gradgradcheck(spec, approximate, device):
    torch.manual_seed(0)
    x = torch.randn(2, 4, dtype=torch.float64, device=device, requires_grad=True)
    kw = {"approximate": approximate} if spec.takes_approximate else {}
    f = lambda t: getattr(TF, spec.name)(t, -1, **kw)
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))
    if spec.mul_name:
        gate, up = (torch.randn(2, 2, dtype=torch.float64, device=device, requires_grad=True)
                    for _ in range(2))
        m = lambda a, b: getattr(TF, spec.mul_name)(a, b, **kw)
        assert torch.autograd.gradcheck(m, (gate, up))
        assert torch.autograd.gradgradcheck(m, (gate, up))


@pytest.mark.parametrize(("spec", "approximate"), CASES)
def test_one_launch_each_way_inputs_intact_and_saved_bytes(spec, approximate, device,
                                                            launches):
    kw = {"approximate": approximate} if spec.takes_approximate else {}
    x = torch.randn(8, 2 * 64, device=device, requires_grad=True)
    before = x.detach().clone()
    saved = []

    def pack(t):
        saved.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        launches.clear()
        y = getattr(TF, spec.name)(x, -1, **kw)
    assert launches == ["gated.forward"]
    ours = sum(saved)
    y.backward(torch.randn_like(y))
    assert launches == ["gated.forward", "gated.backward"]
    assert torch.equal(x.detach(), before)
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        spec.reference(x.detach().clone().requires_grad_(), -1, **kw)
    eager = sum(saved)
    assert ours == x.numel() * x.element_size() and ours <= eager
    if spec.name != "glu":  # the composite act(a) * b saves a, act(a) and b: 3/2 of x
        assert 3 * ours <= 2 * eager


def test_odd_sizes_and_scalars_raise_torchs_errors(device):
    for spec in GATED:
        fn = getattr(TF, spec.name)
        with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension "
                                               "1 is size 5"):
            fn(torch.randn(2, 5, device=device))
        with pytest.raises(RuntimeError, match="does not support scalars"):
            fn(torch.tensor(1.0, device=device))
        with pytest.raises(IndexError):
            fn(torch.randn(4, device=device), 1)


def test_modules(device):
    assert repr(tnn.SwiGLU()) == "SwiGLU(dim=-1)"
    assert repr(tnn.GeGLU(dim=1, approximate="tanh")) == "GeGLU(dim=1, approximate='tanh')"
    assert repr(tnn.ReGLU(0)) == "ReGLU(dim=0)"
    assert isinstance(tnn.GLU(), torch.nn.GLU) and repr(tnn.GLU(1)) == repr(torch.nn.GLU(1))
    x = torch.randn(3, 8, dtype=torch.float64, device=device)
    torch.testing.assert_close(tnn.GLU()(x), torch.nn.GLU()(x))
    a, b = x.chunk(2, -1)
    torch.testing.assert_close(tnn.SwiGLU()(x), torch.nn.functional.silu(a) * b)
    torch.testing.assert_close(tnn.GeGLU(approximate="tanh")(x),
                               torch.nn.functional.gelu(a, approximate="tanh") * b)


def test_torch_compile_fullgraph(device):
    torch._dynamo.reset()
    lin = torch.nn.Linear(8, 32).to(device)
    down = torch.nn.Linear(16, 8).to(device)

    def mlp(x):
        gate, up = lin(x).chunk(2, -1)
        return down(TF.swiglu(lin(x)) + TF.silu_mul(gate, up)).sum()

    x = torch.randn(4, 8, device=device)
    compiled = torch.compile(mlp, fullgraph=True)
    out = compiled(x)
    out.backward()
    grad = lin.weight.grad.clone()
    lin.weight.grad = None
    want = mlp(x)
    want.backward()
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(grad, lin.weight.grad)
