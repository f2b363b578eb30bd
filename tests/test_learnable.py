"""PReLU (a learnable slope per channel or one shared, its weight gradient reduced in the kernel)
and RReLU (eval parity; training slopes drawn in the kernel: bounds, distribution,
reproducibility, the same slopes in backward)."""

import inspect

import pytest
import torch
import torch.nn.functional as F

import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.autograd import prelu as prelu_ops
from tritonact.core.testing import DTYPES, mismatch
from tritonact.registry import LEARNABLE, RANDOMIZED


def _prelu_inputs(dtype, device):
    """(label, x, channels): 2-D and 4-D inputs in several layouts, 1-D, 0-d, empty."""
    r = lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)
    yield "2-D", r(37, 6), 6
    yield "4-D", r(2, 3, 5, 7), 3
    yield "channels_last", r(2, 5, 3, 4).contiguous(memory_format=torch.channels_last), 5
    yield "transposed 3-D", r(4, 9, 3).transpose(0, 2), 9
    yield "stepped (copied)", r(3, 4, 6, 10)[..., ::2], 4
    yield "1-D", r(50), 1
    yield "0-d", r(()), 1
    yield "empty", r(0, 3, 4), 3


def _prelu_check(x, weight, g):
    return LEARNABLE[0].check(x, weight, g)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_prelu_parity(dtype, device):
    torch.manual_seed(0)
    failures = []
    for label, x, channels in _prelu_inputs(dtype, device):
        for n_weights in sorted({1, channels}):
            weight = (torch.rand(n_weights, device=device) - 0.3).to(dtype)
            for grad in ("contiguous", "transposed") if x.dim() >= 2 else ("contiguous",):
                g = torch.randn(x.shape, dtype=dtype, device=device)
                if grad == "transposed":
                    g = g.transpose(0, -1).contiguous().transpose(0, -1)
                problem = _prelu_check(x, weight, g)
                if problem:
                    failures.append(f"{label}, {n_weights} weights, {grad} gradient: {problem}")
    assert not failures, "\n".join(failures)


def test_prelu_weight_views_and_output_layouts(device):
    """A sliced and an expanded weight (their strides are read), and a dense input whose dims
    after the channel do not merge: results in torch's layout, forward and backward."""
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, device=device)
    g = torch.randn_like(x)
    for weight in (torch.rand(8, device=device)[::2], torch.rand(1, device=device).expand(4)):
        assert _prelu_check(x, weight, g) is None
    x = torch.randn(3, 4, 5, 6, device=device).permute(0, 2, 1, 3).requires_grad_()
    w = torch.rand(5, device=device, requires_grad=True)
    y = TF.prelu(x, w)
    (dx, _) = torch.autograd.grad(y, (x, w), torch.ones_like(y))
    assert y.stride() == F.prelu(x, w).stride() == dx.stride()
    assert _prelu_check(x.detach(), w.detach(), torch.randn_like(x)) is None


def test_prelu_under_cpu_autocast_returns_torchs_dtype():
    x = torch.randn(4, 3)
    w = torch.rand(3, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ours, theirs = TF.prelu(x, w), F.prelu(x, w)
    assert ours.dtype == theirs.dtype == torch.bfloat16
    ours.float().sum().backward()
    assert w.grad.dtype == torch.float32


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # -1e38 * 8 in fp32
def test_prelu_special_values(device):
    x = torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1e38, -1e38, -2.0],
                     device=device).repeat(8, 1)
    weight = torch.tensor([0.25], device=device)
    problem = _prelu_check(x, weight, torch.ones_like(x))
    assert problem is None, problem


@pytest.mark.parametrize("n_weights", [1, 3])
def test_prelu_gradcheck_and_gradgradcheck(n_weights, device):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 2, dtype=torch.float64, device=device)
    x = torch.where(x.abs() < 1e-3, 0.1, x).requires_grad_()
    w = torch.rand(n_weights, dtype=torch.float64, device=device, requires_grad=True)
    assert torch.autograd.gradcheck(TF.prelu, (x, w))
    assert torch.autograd.gradgradcheck(TF.prelu, (x, w))


def test_prelu_one_launch_each_way_and_only_the_gradients_asked_for(device, launches):
    x = torch.randn(4, 3, 8, device=device, requires_grad=True)
    w = torch.rand(3, device=device, requires_grad=True)
    y = TF.prelu(x, w)
    assert launches == ["prelu.forward"]
    y.sum().backward()
    assert launches == ["prelu.forward", "prelu.backward"]
    frozen = w.detach()
    (dx,) = torch.autograd.grad(TF.prelu(x, frozen), x, torch.ones(4, 3, 8, device=device))
    torch.testing.assert_close(dx, torch.where(x > 0, 1.0, frozen[None, :, None].expand_as(x)))
    constant = x.detach()
    (dw,) = torch.autograd.grad(TF.prelu(constant, w).sum(), w)
    torch.testing.assert_close(dw, torch.where(constant > 0, 0.0, constant).sum((0, 2)))


def test_prelu_weight_gradient_across_many_programs_and_a_long_row_loop(device, monkeypatch):
    """Partials of many programs (a small tile budget), and one program looping over all rows."""
    torch.manual_seed(0)
    x = torch.randn(300, 3, 5, device=device)
    w = torch.rand(3, device=device)
    g = torch.randn_like(x)
    for programs in (1, 64):
        monkeypatch.setattr(prelu_ops, "_target_programs", lambda device, p=programs: p)
        assert _prelu_check(x, w, g) is None
    monkeypatch.setattr(prelu_ops, "INT32_LIMIT", 0)  # the int64 index path
    assert _prelu_check(x, w, g) is None


def test_prelu_invalid_weights_raise_torchs_errors(device):
    x = torch.randn(3, 4, device=device)
    for weight in (torch.rand(3, device=device), torch.rand(2, 2, device=device),
                   torch.rand(4, device=device, dtype=torch.float64)):
        with pytest.raises(RuntimeError) as theirs:
            F.prelu(x, weight)
        with pytest.raises(RuntimeError) as ours:
            TF.prelu(x, weight)
        assert str(ours.value) == str(theirs.value)


def _saved_bytes(fn, *inputs) -> int:
    total = 0

    def pack(t):
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*inputs)
    return total


def test_saved_bytes_at_most_eagers(device):
    x = torch.randn(8, 4, 16, device=device, requires_grad=True)
    w = torch.rand(4, device=device, requires_grad=True)
    assert _saved_bytes(TF.prelu, x, w) <= _saved_bytes(F.prelu, x, w)
    cpu = x.detach().cpu().requires_grad_()  # eager rrelu (training) saves input and noise
    train = lambda f, t: f(t, training=True)
    assert _saved_bytes(train, TF.rrelu, x) == x.numel() * x.element_size()
    assert _saved_bytes(train, F.rrelu, cpu) == 2 * x.numel() * x.element_size()


def test_prelu_module_is_a_drop_in(device):
    torch.manual_seed(0)
    theirs = torch.nn.PReLU(3, init=0.1).to(device)
    ours = tnn.PReLU(3, init=0.1).to(device)
    assert isinstance(ours, torch.nn.PReLU) and repr(ours) == repr(theirs)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    x = torch.randn(5, 3, 4, device=device)
    ours(x).square().sum().backward()
    theirs(x).square().sum().backward()
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad)


# --- RReLU ------------------------------------------------------------------------------------

RRELU_PARAMS = [{}, {"lower": 0.0, "upper": 0.5}, {"lower": -0.2, "upper": 0.1}]


def test_signatures_are_torchs():
    empty = inspect.Parameter.empty
    builtins = {  # C builtins: their docstrings' first lines
        "prelu": ("prelu(input, weight) -> Tensor", [("input", empty), ("weight", empty)]),
        "rrelu_": ("rrelu_(input, lower=1./8, upper=1./3, training=False) -> Tensor",
                   [("input", empty), ("lower", 1 / 8), ("upper", 1 / 3), ("training", False)]),
    }
    for name in ("prelu", "rrelu", "rrelu_"):
        ours = [(p.name, p.default)
                for p in inspect.signature(getattr(TF, name)).parameters.values()]
        if name in builtins:
            line, theirs = builtins[name]
            assert getattr(F, name).__doc__.strip().startswith(line)
        else:
            theirs = [(p.name, p.default)
                      for p in inspect.signature(getattr(F, name)).parameters.values()]
        assert ours == theirs, name


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_rrelu_eval_parity(dtype, device):
    torch.manual_seed(0)
    x = (torch.randn(7, 33, dtype=torch.float64, device=device) * 3).to(dtype).t()
    g = torch.randn(x.shape, dtype=dtype, device=device)
    for params in RRELU_PARAMS:
        def run(fn, dt, params=params):
            a = x.detach().to(dt).requires_grad_()
            y = fn(a, **params)
            return y, torch.autograd.grad(y, a, g.to(dt))[0]

        ours, ref, lowp = run(TF.rrelu, dtype), run(F.rrelu, torch.float64), run(F.rrelu, dtype)
        for i in range(2):
            problem = mismatch(ours[i], ref[i], lowp[i], dtype)
            assert problem is None, f"{params}: {problem}"
    module = tnn.RReLU(0.1, 0.3).eval()
    torch.testing.assert_close(module(x), F.rrelu(x, 0.1, 0.3), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_rrelu_training_slopes_bounds_distribution_and_backward(dtype, device):
    lower, upper = 0.1, 0.4
    x = torch.full((2, 4096), -1.0, dtype=dtype, device=device)
    x[1, ::2] = 2.0  # positive inputs pass through, gradient 1
    x.requires_grad_()
    torch.manual_seed(0)
    y = TF.rrelu(x, lower, upper, training=True)
    g = torch.randn_like(y)
    (dx,) = torch.autograd.grad(y, x, g)
    negative = x.detach() < 0
    slopes = (y.detach() / x.detach())[negative].double()
    eps = torch.finfo(dtype).eps
    assert slopes.min() >= lower * (1 - eps) and slopes.max() <= upper * (1 + eps)
    # uniform: mean and each of 10 bins within 5 standard deviations
    n = slopes.numel()
    assert abs(slopes.mean() - (lower + upper) / 2) < 5 * (upper - lower) / (12 * n) ** 0.5
    counts = torch.histc(slopes.float(), 10, lower, upper)
    assert (counts - n / 10).abs().max() < 5 * (n / 10) ** 0.5, counts
    assert torch.equal(y.detach()[~negative], x.detach()[~negative])
    # backward uses the forward's slopes: dx = g * r where r = -y (x = -1), dx = g elsewhere;
    # exact in fp32 and fp64, where y holds r itself; 16-bit y holds r rounded
    expected = torch.where(negative, g.double() * -y.double(), g.double()).to(dtype)
    tol = 0 if dtype in (torch.float32, torch.float64) else 2 * eps
    torch.testing.assert_close(dx, expected, rtol=tol, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
def test_verify_checks_of_rrelu(dtype, device):
    assert RANDOMIZED[0].check_all(dtype, device) == []


def test_rrelu_training_is_reproducible_and_fresh_each_call(device):
    x = -torch.rand(3, 1000, device=device) - 0.5
    torch.manual_seed(7)
    first, second = TF.rrelu(x, training=True), TF.rrelu(x, training=True)
    torch.manual_seed(7)
    assert torch.equal(TF.rrelu(x, training=True), first)
    assert not torch.equal(first, second)


def test_rrelu_training_on_views_in_place_and_under_gradcheck(device, launches):
    torch.manual_seed(0)
    base = -torch.rand(6, 10, dtype=torch.float64, device=device) - 0.1
    for label, view in (("transposed", base.t()), ("stepped", base[:, ::3])):
        x = view.detach().requires_grad_()
        y = TF.rrelu(x, 0.2, 0.3, training=True)
        g = torch.randn(x.shape, dtype=x.dtype, device=device).t().contiguous().t()
        (dx,) = torch.autograd.grad(y, x, g)
        torch.testing.assert_close(dx / g, y / x, rtol=1e-15, atol=0, msg=label)
    for lower in (0.2, -0.1):  # in place: saves the output (lower > 0) or a copy of the input
        leaf = (-torch.rand(4, 5, dtype=torch.float64, device=device)).requires_grad_()
        x = leaf * 1.0
        before = x.detach().clone()
        launches.clear()
        y = TF.rrelu_(x, lower, 0.3, training=True)
        assert y is x and launches == ["randomized.forward"]
        (dx,) = torch.autograd.grad(y, leaf, torch.ones_like(y))
        assert launches == ["randomized.forward", "randomized.backward"]
        torch.testing.assert_close(dx, y.detach() / before, rtol=1e-15, atol=0)
    x = (torch.rand(3, 4, dtype=torch.float64, device=device) - 0.5).requires_grad_()
    seeded = lambda t: (torch.manual_seed(3), TF.rrelu(t, training=True))[1]
    assert torch.autograd.gradcheck(seeded, (x,))
    assert torch.autograd.gradgradcheck(seeded, (x,))


def test_rrelu_training_under_torch_compile_fullgraph(device):
    torch._dynamo.reset()
    f = torch.compile(lambda t: TF.rrelu(t, 0.1, 0.3, training=True), fullgraph=True)
    x = (-torch.rand(3, 50, device=device) - 0.5).requires_grad_()
    y = f(x)
    g = torch.randn_like(y)
    (dx,) = torch.autograd.grad(y, x, g)
    slopes = (y / x).detach()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3
    torch.testing.assert_close(dx / g, slopes)
    assert not torch.equal(f(x), y)  # fresh slopes each call
    # in place with negative slopes: the input must be saved before it is overwritten
    inplace = torch.compile(lambda t: TF.rrelu_(t * 1.0, -0.5, -0.1, training=True),
                            fullgraph=True)
    y = inplace(x)
    (dx,) = torch.autograd.grad(y, x, g)
    slopes = (y / x).detach()
    assert -0.5 <= slopes.min() and slopes.max() <= -0.1
    torch.testing.assert_close(dx / g, slopes)


def test_rrelu_errors_and_module(device):
    x = torch.randn(4, device=device)
    for call in (lambda f: f.rrelu(x, 0.5, 0.1), lambda f: f.rrelu(x, 0.5, 0.1, True)):
        with pytest.raises(RuntimeError, match="Lower bound"):
            call(F)
        with pytest.raises(RuntimeError, match="Lower bound"):
            call(TF)
    leaf = torch.randn(4, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        TF.rrelu_(leaf, training=True)
    assert torch.equal(leaf, leaf.detach())
    module = tnn.RReLU(0.1, 0.2, inplace=False)
    assert isinstance(module, torch.nn.RReLU) and repr(module) == repr(torch.nn.RReLU(0.1, 0.2))
    module.train()
    y = module(-torch.ones(1000, device=device))
    assert -0.2 <= y.min() and y.max() <= -0.1 and y.unique().numel() > 100
