"""GLU, SwiGLU, GeGLU, ReGLU, QGeGLU, SReGLU, FATReGLU, gpt-oss's clamped SwiGLU and the
two-tensor forms: parity on chunk views and other layouts (upstream gradient too), gradients,
launches, saved bytes, inputs left intact, modules; the interleaved and up-first halves, the
clamp bounds and the threshold exactly."""

import pytest
import torch

import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.core.testing import DTYPES
from tritonact.registry import GATED, OPS

#: (spec, keyword arguments): each approximation at the default parameters (the non-default
#: sets run in verify and, at their bounds, in the clamp and threshold tests below).
CASES = [pytest.param(s, kw, id=f"{s.name}-{kw.get('approximate', 'none')}")
         for s in GATED for kw in s.kwarg_sets()
         if all(kw[p.name] == p.default for p in s.params)]


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
@pytest.mark.parametrize(("spec", "kwargs"), CASES)
def test_parity(spec, kwargs, dtype, device):
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
            problem = spec.check(x, dim, kwargs, g)
            if problem:
                failures.append(f"{label}, {grad} gradient: {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("spec", "kw"), CASES)
def test_gradcheck_and_gradgradcheck(spec, kw, device):
    torch.manual_seed(0)
    points = spec.points(**{p.name: kw[p.name] for p in spec.params})
    x = torch.randn(2, 4, dtype=torch.float64, device=device)
    for p in points:  # finite differences across a kink or a clamp bound are not a gradient
        x = torch.where((x - p).abs() < 1e-3, x + 1e-2, x)
    x.requires_grad_()
    f = lambda t: getattr(TF, spec.name)(t, -1, **kw)
    assert torch.autograd.gradcheck(f, (x,))
    assert torch.autograd.gradgradcheck(f, (x,))
    if spec.mul_name:
        gate, up = (t.detach().reshape(2, 2).requires_grad_() for t in x.chunk(2, -1))
        m = lambda a, b: getattr(TF, spec.mul_name)(a, b, **kw)
        assert torch.autograd.gradcheck(m, (gate, up))
        assert torch.autograd.gradgradcheck(m, (gate, up))


@pytest.mark.parametrize(("spec", "kw"), CASES)
def test_one_launch_each_way_inputs_intact_and_saved_bytes(spec, kw, device, launches):
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
    if spec.name not in ("glu", "swiglu_oai"):  # act(a) * b saves a, act(a), b: 3/2 of x
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
    assert repr(tnn.SwiGLUOAI()) == "SwiGLUOAI(dim=-1, alpha=1.702, limit=7.0)"
    assert repr(tnn.SwiGLU(gate_first=False)) == "SwiGLU(dim=-1, gate_first=False)"
    assert repr(tnn.FATReGLU(0, 0.5)) == "FATReGLU(dim=0, threshold=0.5)"
    assert repr(tnn.QGeGLU()) == "QGeGLU(dim=-1)" and repr(tnn.SReGLU()) == "SReGLU(dim=-1)"
    torch.testing.assert_close(tnn.SwiGLU(gate_first=False)(x),
                               a * torch.nn.functional.silu(b))  # vLLM's MulAndSilu
    torch.testing.assert_close(tnn.SwiGLUOAI(limit=0.5, interleaved=False)(x),
                               TF.swiglu_oai(x, -1, 1.702, 0.5, interleaved=False))


def _gpt_oss(x, alpha=1.702, limit=7.0):
    """gpt-oss's clamped SwiGLU as its model code writes it (interleaved gate and up)."""
    gate, up = x[..., ::2].clamp(max=limit), x[..., 1::2].clamp(-limit, limit)
    return gate * torch.sigmoid(alpha * gate) * (up + 1)


def _forward_and_grad(fn, x, g):
    x = x.detach().requires_grad_()
    y = fn(x)
    return y, torch.autograd.grad(y, x, g)[0]


def test_interleaved_and_up_first_halves_equal_the_composites(device, launches, monkeypatch):
    """gpt-oss's interleaved gate and up and vLLM's up-first order, against the composites as
    those projects write them; the interleaved views are read and written in place (column step
    2, no copy), in one launch each way, in both forms and on a split dim that is not the
    last."""
    from tritonact.autograd import gated

    layouts, pairs = [], []
    rows_cols, find_pairs = gated._rows_cols, gated._pairs
    monkeypatch.setattr(gated, "_rows_cols", lambda *a: layouts.append(rows_cols(*a))
                        or layouts[-1])
    monkeypatch.setattr(gated, "_pairs", lambda *a: pairs.append(find_pairs(*a)) or pairs[-1])
    torch.manual_seed(0)
    x = torch.randn(5, 2 * 24, dtype=torch.float64, device=device) * 4
    g = torch.randn(5, 24, dtype=torch.float64, device=device)
    close = torch.testing.assert_close
    for ours, theirs in (
            (TF.swiglu_oai, _gpt_oss),
            (lambda t: TF.swiglu_oai_mul(t[..., ::2], t[..., 1::2], 1.0, 0.5),
             lambda t: _gpt_oss(t, 1.0, 0.5)),
            (lambda t: TF.swiglu(t, gate_first=False),
             lambda t: t[..., :24] * torch.nn.functional.silu(t[..., 24:])),
            (lambda t: TF.reglu(t, interleaved=True, gate_first=False),
             lambda t: torch.relu(t[..., 1::2]) * t[..., ::2])):
        launches.clear()
        for got, want in zip(_forward_and_grad(ours, x, g), _forward_and_grad(theirs, x, g)):
            close(got, want)
        assert launches == ["gated.forward", "gated.backward"]
    assert layouts and None not in layouts  # every launch in place: no operand copied
    # gpt-oss's and reglu's halves read as pairs; their gradients' halves (split forms)
    # written as pairs
    assert sum(meta["PAIRED"] for _, meta in pairs) >= 6
    assert sum(meta.get("GRAD_PAIRED", False) for _, meta in pairs) >= 2
    y, dx = _forward_and_grad(lambda t: TF.swiglu_oai(t, 0), x.t(), g.t())
    want_y, want_dx = _forward_and_grad(lambda t: _gpt_oss(t.t()).t(), x.t(), g.t())
    close(y, want_y)
    close(dx, want_dx)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
def test_clamp_bounds_pass_the_gradient_as_the_composite(dtype, device):
    """gpt-oss's clamps at, just inside and just outside their bounds (and NaN, inf): torch's
    clamp passes the gradient where min <= x <= max, bounds included."""
    spec = OPS["swiglu_oai"]
    for limit in (7.0, 0.5):
        bound = torch.tensor([limit, -limit], dtype=dtype)
        values = torch.cat([bound, torch.nextafter(bound, bound * 2),
                            torch.nextafter(bound, bound * 0),
                            torch.tensor([0.0, -0.0, 1.0, float("nan"), float("inf"),
                                          -float("inf")], dtype=dtype)])
        gate, up = torch.meshgrid(values, values, indexing="ij")
        x = torch.stack((gate, up), -1).reshape(values.numel(), -1).to(device)
        g = torch.full((values.numel(), values.numel()), -1.5, dtype=dtype, device=device)
        kwargs = {"alpha": 1.702, "limit": limit}
        assert spec.check(x, -1, kwargs, g) is None
        _, dx = _forward_and_grad(lambda t, kw=kwargs: TF.swiglu_oai(t, **kw), x, g)
        # x[i, 2j] is gate value i, x[i, 2j + 1] up value j: values[:4] are limit, -limit,
        # just above limit and just below -limit
        assert dx[0, 0] != 0 and dx[1, 0] != 0  # gate at limit, at -limit: passed
        assert dx[0, 1] != 0 and dx[0, 3] != 0  # up at limit, at -limit: passed
        assert dx[2, 0] == 0 and dx[0, 5] == 0 and dx[0, 7] == 0  # beyond the bounds: 0


def test_glu_gate_gradient_multiplies_the_up_operand_last(device):
    """torch's fused glu_backward forms sigmoid'(b) * dy before the up operand a: finite where
    dy * a alone overflows fp32."""
    x = torch.tensor([3e38, -0.1467], device=device, requires_grad=True)
    g = torch.tensor([3.0], device=device)
    ours = torch.autograd.grad(TF.glu(x, 0), x, g)[0]
    theirs = torch.autograd.grad(torch.nn.functional.glu(x, 0), x, g)[0]
    assert ours.isfinite().all() and theirs.isfinite().all()
    torch.testing.assert_close(ours, theirs)


def test_fatrelu_threshold_is_strict(device):
    """``a if a > threshold else 0``: at the threshold the output and the gradient are 0."""
    spec = OPS["fatreglu"]
    for dtype in (torch.float32, torch.float16):
        t = torch.tensor([0.5], dtype=dtype)
        gate = torch.cat([t, torch.nextafter(t, t + 1), torch.nextafter(t, t - 1),
                          torch.tensor([0.0, -0.0, float("nan"), 3.0, -3.0], dtype=dtype)])
        x = torch.cat([gate, torch.full_like(gate, 2.0)]).reshape(1, -1).to(device)
        g = torch.ones(1, gate.numel(), dtype=dtype, device=device)
        assert spec.check(x, -1, {"threshold": 0.5}, g) is None
        y, dx = _forward_and_grad(lambda v: TF.fatreglu(v, -1, 0.5), x, g)
        assert y[0, 0] == 0 and dx[0, 0] == 0 and dx[0, gate.numel()] == 0
        assert y[0, 1] == 2 * gate[1] and dx[0, 1] == 2
        a, b = x[0, :8], x[0, 8:]
        torch.testing.assert_close(TF.fatrelu_mul(a, b, 0.5), y[0], equal_nan=True)


def test_torch_compile_fullgraph(device):
    torch._dynamo.reset()
    lin = torch.nn.Linear(8, 32).to(device)
    down = torch.nn.Linear(16, 8).to(device)

    def mlp(x):
        gate, up = lin(x).chunk(2, -1)
        return down(TF.swiglu(lin(x)) + TF.silu_mul(gate, up) + TF.swiglu_oai(lin(x))).sum()

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
