"""Few-bit saved activations (``tritonact.saved_bits``): exact gradients for the
piecewise-linear ops, the shipped levels for the smooth ones, what autograd saves, layouts, the
modules' ``saved_bits``, double backward and torch.compile."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

import tritonact
import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.checks import fewbit as fewbit_checks
from tritonact.core import fewbit
from tritonact.core.fewbit_levels import LEVELS
from tritonact.registry import ELEMENTWISE, OPS

DTYPES = (torch.float32, torch.bfloat16, torch.float16, torch.float64)
_BITS_VIEW = {torch.float64: torch.int64, torch.float32: torch.int32, torch.bfloat16: torch.int16,
              torch.float16: torch.int16}


def _ops(table, derived=("softplus",)):
    """pytest params: (spec, params) for each op whose every kernel key is in ``table``; smooth
    ops' non-default parameters (whose levels are derived on first use, ~0.5 s each) only for
    the ``derived`` ops unless ``--exhaustive``."""
    return [pytest.param(spec, params, id=f"{spec.name}-"
                         + (",".join(f"{k}={v}" for k, v in params.items()) or "defaults"),
                         marks=[pytest.mark.exhaustive] if table is fewbit.SMOOTH and params
                         != spec.defaults and spec.name not in derived else [])
            for spec in ELEMENTWISE if all(key in table for key in spec.kernels())
            for params in spec.param_sets()]


def _run(fn, x, g, bits, **params):
    """(y, dx) of ``fn`` on a copy of ``x`` with upstream ``g``, under ``saved_bits(bits)``."""
    leaf = x.detach().clone().requires_grad_()
    inp = leaf * 1  # a non-leaf, so that its gradient keeps the layout backward gave it
    with tritonact.saved_bits(bits):
        y = fn(inp, **params)
    (dx,) = torch.autograd.grad(y, inp, g)
    return y, dx


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and torch.equal(a.view(_BITS_VIEW[a.dtype]),
                                              b.view(_BITS_VIEW[b.dtype]))


def _special(spec, params, dtype, n=300):
    """Random values, NaN, +-inf, +-0 and the op's kinks (and their neighbours in ``dtype``)."""
    points = [float(p) for p in spec.points(**params)]
    kinks = torch.tensor(points, dtype=torch.float64).to(dtype)
    near = torch.cat([torch.nextafter(kinks, kinks + 1), torch.nextafter(kinks, kinks - 1)])
    special = torch.tensor([math.nan, math.inf, -math.inf, 0.0, -0.0, 6.0, -3.0, 3.0],
                           dtype=dtype)
    rand = (torch.randn(n, dtype=torch.float64) * 3).to(dtype)
    return torch.cat([special, kinks, near, rand])


@pytest.mark.parametrize(("spec", "params"), _ops(fewbit.PIECEWISE))
def test_piecewise_gradients_are_exact(spec, params):
    """One bit per element gives exact mode's output and gradient bit for bit, in every dtype,
    at the kinks, NaN and infinities included (and an infinite upstream gradient)."""
    torch.manual_seed(0)
    for dtype in DTYPES:
        x = _special(spec, params, dtype)
        g = torch.randn(x.shape, dtype=dtype)
        g[:3] = torch.tensor([math.inf, -1.0, 0.0])
        y0, dx0 = _run(spec.function, x, g, None, **params)
        y1, dx1 = _run(spec.function, x, g, 2, **params)
        assert _same_bits(y0, y1), dtype
        assert _same_bits(dx0, dx1), dtype


def test_rrelu_eval_is_exact():
    """RReLU in eval mode (leaky_relu with the mean slope) through the module's saved_bits."""
    x = _special(OPS["leaky_relu"], {"negative_slope": 0.2}, torch.bfloat16)
    g = torch.randn(x.shape, dtype=x.dtype)
    exact = tnn.RReLU(0.1, 0.3).eval()
    few = tnn.RReLU(0.1, 0.3, saved_bits=1).eval()
    assert _same_bits(_run(exact, x, g, None)[1], _run(few, x, g, None)[1])


def _quantized(x: torch.Tensor, g: torch.Tensor, table: tuple[float, ...], bits: int):
    """``g * level[code(x)]`` in torch, as the kernel computes it (fp32, or fp64 for fp64)."""
    compute = torch.float64 if x.dtype == torch.float64 else torch.float32
    bounds = torch.tensor(table[: 2**bits - 1], dtype=torch.float32).to(compute)
    levels = torch.tensor(table[2**bits - 1:], dtype=torch.float32).to(compute)
    code = (x.to(compute)[..., None] > bounds).sum(-1)
    return (g.to(compute) * levels[code]).to(x.dtype)


@pytest.mark.parametrize(("spec", "params"), _ops(fewbit.SMOOTH))
def test_smooth_gradient_is_the_quantized_derivative(spec, params):
    """The gradient is ``g * level[interval of x]`` exactly (fp32 and bf16), the levels being
    the shipped ones at the defaults and derived ones otherwise; the output is exact mode's."""
    torch.manual_seed(1)
    for dtype, bits in ((torch.float32, 2), (torch.bfloat16, 3)):
        x = (torch.randn(1000, dtype=torch.float64) * 2).to(dtype)
        g = torch.randn(x.shape, dtype=dtype)
        y0, _ = _run(spec.function, x, g, None, **params)
        y1, dx = _run(spec.function, x, g, bits, **params)
        floats = tuple(float(params[p]) for p in spec.float_params)
        scheme = fewbit.scheme_for(spec, spec.math_for(params.get("approximate")), bits, floats)
        assert scheme.smooth and scheme.bits == bits
        assert _same_bits(y0, y1)
        assert _same_bits(dx, _quantized(x, g, scheme.table, bits))


def test_more_bits_approximate_better():
    """The gradient's error against the exact derivative (normal inputs) halves about each bit,
    and is within the DP's weighted error: gelu, 1 to 4 bits, fp32."""
    x = torch.randn(4096, dtype=torch.float32)
    g = torch.ones_like(x)
    exact = _run(TF.gelu, x, g, None)[1]
    errors = [(_run(TF.gelu, x, g, b)[1] - exact).pow(2).mean().sqrt().item() for b in (1, 2, 3, 4)]
    assert all(0.35 < b / a < 0.65 for a, b in itertools.pairwise(errors)), errors
    assert errors[1] < 0.1, errors


@pytest.mark.parametrize("keys", [
    pytest.param(("gelu:none", "silu", "elu"), id="gelu-silu-elu"),
    pytest.param(tuple(fewbit.SMOOTH), id="all", marks=pytest.mark.exhaustive)])
def test_levels_are_rederived(keys):
    """``tools/fewbit_levels.py``'s constants are what the DP gives now (1-4 bits; every op
    with ``--exhaustive``, ~0.6 s an op)."""
    derived = fewbit_checks.derive_defaults(keys)
    assert {key for key, _ in LEVELS} == fewbit.SMOOTH
    assert derived.keys() == {(key, bits) for key in keys for bits in fewbit.ALLOWED_BITS}
    for key in derived:
        boundaries, levels = LEVELS[key]
        assert derived[key][0] == boundaries, key
        torch.testing.assert_close(torch.tensor(derived[key][1]), torch.tensor(levels),
                                   rtol=1e-12, atol=1e-12, msg=str(key))


def test_levels_are_optimal_and_symmetric():
    """gelu' and silu' satisfy ``f'(x) + f'(-x) = 1``, so under the symmetric weight the optimal
    split is symmetric: boundaries ``b_i = -b_{-i}``, levels ``l_i + l_{-i} = 1``. And the DP's
    split is at least as good as moving any one boundary by a grid step."""
    for key in ("gelu:none", "silu"):
        for bits in (1, 2, 3):
            boundaries, levels = LEVELS[key, bits]
            assert boundaries == tuple(-b + 0.0 for b in reversed(boundaries)), (key, bits)
            for lo, hi in zip(levels, reversed(levels)):
                assert abs(lo + hi - 1.0) < 1e-9, (key, bits)
    derivative = fewbit.torch_derivative(F.gelu, {})
    x = torch.linspace(-6, 6, 24001, dtype=torch.float64)
    w = torch.exp(-x * x / 2)

    def error(boundaries):
        code = (x[:, None] > torch.tensor(boundaries, dtype=torch.float64)).sum(-1)
        f = derivative(x)
        total = 0.0
        for c in range(len(boundaries) + 1):
            sel = code == c
            mean = (f[sel] * w[sel]).sum() / w[sel].sum()
            total += ((f[sel] - mean) ** 2 * w[sel]).sum().item()
        return total

    boundaries, _ = LEVELS["gelu:none", 2]
    best = error(boundaries)
    for i in range(len(boundaries)):
        for step in (-0.05, 0.05):
            moved = list(boundaries)
            moved[i] += step
            assert error(moved) >= best, (i, step)


@pytest.mark.parametrize(("op", "dtype", "bits", "ratio"), [
    ("gelu", torch.bfloat16, 2, 8), ("silu", torch.float32, 2, 16), ("gelu", torch.float32, 4, 8),
    ("relu", torch.bfloat16, 2, 16), ("leaky_relu", torch.float32, 1, 32)])
def test_only_the_codes_are_saved(op, dtype, bits, ratio):
    """Autograd saves one uint8 tensor of ``ceil(n / 8) * bits`` bytes (piecewise-linear ops:
    one bit whatever ``bits``): bf16 with 2 bits is 1/8 of exact mode's bytes."""
    fn = getattr(TF, op)
    x = torch.randn(4, 1024, dtype=dtype, requires_grad=True)

    def saved(b):
        found = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: found.append(t) or t, lambda t: t):
            with tritonact.saved_bits(b):
                fn(x * 1)
        return [t for t in found if t.numel() > 1]  # the product's scalar 1 aside

    (exact,) = saved(None)
    (codes,) = saved(bits)
    assert codes.dtype == torch.uint8
    assert exact.numel() * exact.element_size() == ratio * codes.numel()


def _layouts():
    r = lambda *s: torch.randn(*s, dtype=torch.float32) * 3
    return {"transposed": r(9, 20).t(), "stepped": r(6, 40)[:, ::3],
            "expanded": r(1, 17).expand(5, 17), "channels_last": r(2, 3, 5, 4).to(
                memory_format=torch.channels_last), "0-d": r(()), "empty": r(0, 3),
            "5-d": r(2, 3, 2, 3, 4).permute(4, 2, 0, 3, 1)}


@pytest.mark.parametrize("layout", list(_layouts()))
@pytest.mark.parametrize("op", ["relu", "gelu"])
def test_layouts(op, layout):
    """Every layout, with a contiguous and a transposed upstream gradient: the output and the
    gradient have exact mode's values (relu) or the quantized derivative's (gelu), and exact
    mode's strides."""
    torch.manual_seed(2)
    x = _layouts()[layout]
    fn = getattr(TF, op)
    flipped = tuple(reversed(range(x.dim())))
    for g in (torch.randn(x.shape), torch.randn(tuple(reversed(x.shape))).permute(flipped)):
        y0, dx0 = _run(fn, x, g, None)
        y1, dx1 = _run(fn, x, g, 2)
        assert y1.stride() == y0.stride() and torch.equal(y0, y1)
        assert dx1.stride() == dx0.stride()
        if op == "relu":
            assert torch.equal(dx0, dx1)
        else:
            table = fewbit.scheme_for(OPS["gelu"], OPS["gelu"].math_for("none"), 2, ()).table
            assert torch.equal(dx1, _quantized(x, g, table, 2))


@pytest.mark.parametrize(("call", "exact"), [
    pytest.param(lambda t: TF.relu_(t), True, id="relu_"),
    pytest.param(lambda t: TF.hardtanh(t, -0.5, 0.5, inplace=True), True, id="hardtanh"),
    pytest.param(lambda t: TF.silu(t, inplace=True), False, id="silu")])
def test_in_place(call, exact):
    """relu_ and inplace=True write into the input; the piecewise-linear ops' gradient is exact
    mode's, silu's the quantized derivative's."""
    torch.manual_seed(3)
    x, g = torch.randn(300), torch.randn(300)
    grads = []
    for bits in (None, 1):
        leaf = x.clone().requires_grad_()
        inp = leaf * 1
        with tritonact.saved_bits(bits):
            out = call(inp)
        assert out is inp
        out.backward(g)
        grads.append(leaf.grad)
    if exact:
        assert torch.equal(*grads)
    else:
        table = fewbit.scheme_for(OPS["silu"], OPS["silu"].math, 1, ()).table
        assert torch.equal(grads[1], _quantized(x, g, table, 1))


def test_double_backward():
    """Piecewise-linear: create_graph=True gives the gradient with respect to g (x's is zero,
    as exact mode's); smooth ops refuse it (their quantized derivative has no second one)."""
    x = torch.randn(100, dtype=torch.float64, requires_grad=True)
    g = torch.randn(100, dtype=torch.float64, requires_grad=True)
    with tritonact.saved_bits(1):
        y = TF.leaky_relu(x, 0.3)
    (dx,) = torch.autograd.grad(y, x, g, create_graph=True)
    w = torch.randn(100, dtype=torch.float64)
    (dg,) = torch.autograd.grad(dx, g, w)
    torch.testing.assert_close(dg, torch.where(x > 0, w, w * 0.3), rtol=0, atol=0)
    with tritonact.saved_bits(2):
        y = TF.gelu(x)
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(y, x, g, create_graph=True)


def test_context_and_modules():
    """The block nests and restores; a module's saved_bits overrides it; repr shows it; bad bit
    counts and ops without a few-bit mode raise ValueError; others run exact in the block."""
    assert fewbit.current() is None
    with tritonact.saved_bits(3):
        assert fewbit.current() == 3
        with tritonact.saved_bits(None):
            assert fewbit.current() is None
        with pytest.raises(KeyError), tritonact.saved_bits(1):
            raise KeyError
        assert fewbit.current() == 3
    assert fewbit.current() is None
    for bad in (0, 5, 2.0, True, "2"):
        with pytest.raises(ValueError, match="saved_bits"):
            tritonact.saved_bits(bad).__enter__()
        with pytest.raises(ValueError, match="saved_bits"):
            tnn.GELU(saved_bits=bad)
    with pytest.raises(ValueError, match="no few-bit mode"):
        tnn.Sigmoid(saved_bits=2)
    m = tnn.GELU(approximate="tanh", saved_bits=1)
    assert repr(m) == "GELU(approximate='tanh', saved_bits=1)"
    assert repr(tnn.GELU()) == "GELU(approximate='none')"

    def saved_bytes(module, bits):
        found = []
        x = torch.randn(64, requires_grad=True)
        with torch.autograd.graph.saved_tensors_hooks(lambda t: found.append(t) or t, lambda t: t):
            with tritonact.saved_bits(bits):
                module(x * 1)
        return [t.numel() * t.element_size() for t in found if t.numel() > 1]

    assert saved_bytes(m, 4) == [8]  # the module's 1 bit, not the block's 4
    assert saved_bytes(tnn.GELU(), 4) == [32]  # None follows the block
    assert saved_bytes(tnn.GELU(), None) == [256]
    assert saved_bytes(tnn.Sigmoid(), 2) == [256]  # no few-bit mode: exact


def test_torch_compile(launches):
    """The few-bit path traces into custom ops (forward and backward) in a whole-graph compile:
    a module's saved_bits holds there, and the compiled model follows the block (recompiled)."""
    model = torch.nn.Sequential(tnn.GELU(saved_bits=2), tnn.ReLU())
    f = torch.compile(model, backend="aot_eager", fullgraph=True)
    x = torch.randn(3, 40, requires_grad=True)
    f(x).sum().backward()
    assert launches == ["fewbit.forward", "elementwise.forward", "elementwise.backward",
                        "fewbit.backward"]
    launches.clear()
    with tritonact.saved_bits(1):
        y = f(x)
    y.sum().backward()
    assert launches == ["fewbit.forward"] * 2 + ["fewbit.backward"] * 2


def test_replace_and_patch():
    """replace_activations and patch pass saved_bits on to the activations with a few-bit mode
    (not softmax); unpatch takes it away with the class; a bad count raises first."""
    def model():
        return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(), torch.nn.ReLU(),
                                   torch.nn.Softmax(-1))

    m = tritonact.replace_activations(model(), saved_bits=2)
    assert [getattr(c, "saved_bits", "-") for c in m] == ["-", 2, 2, "-"]
    assert repr(m[1]) == "GELU(approximate='none', saved_bits=2)"
    x = torch.randn(3, 4)
    found = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: found.append(t) or t, lambda t: t):
        m(x)
    assert sum(t.dtype == torch.uint8 for t in found) == 2
    m = model()
    tritonact.patch(m, saved_bits=1)
    assert m[1].saved_bits == 1 and type(m[1]) is tnn.GELU
    tritonact.unpatch(m)
    assert type(m[1]) is torch.nn.GELU and not hasattr(m[1], "saved_bits")
    for call in (tritonact.replace_activations, tritonact.patch):
        m = model()
        with pytest.raises(ValueError, match="saved_bits"):
            call(m, saved_bits=8)
        assert type(m[1]) is torch.nn.GELU


def test_cli_bench_and_verify(capsys, monkeypatch):
    """``bench --saved-bits`` measures the saved bytes per element; ``verify --saved-bits``
    passes, and fails when a piecewise-linear op's code points are both on one branch."""
    from tritonact.__main__ import main

    assert main(["bench", "--saved-bits", "--ops", "gelu", "relu", "--dtypes", "bfloat16"]) == 0
    out = capsys.readouterr().out
    assert "| gelu | bfloat16 | 2     | 0.125 | 0.25  | 0.375 | 0.5   | 8x" in out
    assert "| relu | bfloat16 | 2     | 0.125 | 0.125 | 0.125 | 0.125 | 16x" in out
    assert main(["verify", "--saved-bits", "--ops", "relu", "silu", "--dtypes", "bfloat16"]) == 0
    out = capsys.readouterr().out
    assert "silu | saved_bits=4 (max |f' - q| " in out and "5 passed, 0 failed" in out
    monkeypatch.setitem(fewbit.PIECEWISE, "relu", (math.nan, math.nan))
    monkeypatch.setattr(fewbit, "_SCHEMES", {})
    assert main(["verify", "--saved-bits", "--ops", "relu", "--dtypes", "float32"]) == 1
    assert "0 passed, 1 failed" in capsys.readouterr().out
