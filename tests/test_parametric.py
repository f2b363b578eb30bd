"""The parametric family (star_relu, xielu, snake, snake_beta): learnable weights, each per
channel or one for all, their gradients reduced in the backward pass. Parity with the torch
composites in every dtype, layouts, special values, launch counts, gradcheck and gradgradcheck,
the fallbacks, and the modules against their projects' (Hugging Face's real XIELUActivation;
MetaFormer's StarReLU and BigVGAN's Snake/SnakeBeta as stand-ins written from their sources)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.__main__ import main
from tritonact.autograd import parametric as parametric_ops
from tritonact.core.testing import DTYPES
from tritonact.registry import PARAMETRIC

SPECS = [pytest.param(s, id=s.name) for s in PARAMETRIC]
OPS = {s.name: s for s in PARAMETRIC}


def _weights(spec, n, device, dtype=torch.float32, requires_grad=False):
    return tuple(w.to(dtype).requires_grad_(requires_grad)
                 for w in spec.sample_weights(n, device))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("spec", SPECS)
def test_parity(spec, dtype, device):
    """Forward, input and weight gradients on [B, C, T] with one and (per-channel ops) C
    weights, at every parameter set, against the fp64 composite and torch's in the dtype (the
    4-D and channels_last inputs of ``verify``'s check: ``test_layouts_views_and_shapes``)."""
    torch.manual_seed(0)
    x = (torch.randn(3, 6, 17, dtype=torch.float64, device=device) * 3).to(dtype)
    for n in sorted({1, 6 if spec.per_channel else 1}):
        weights = _weights(spec, n, device, dtype)
        for params in spec.param_sets():
            problem = spec.check(x, weights, torch.randn_like(x), params)
            assert problem is None, f"{n} weights, {params}: {problem}"


@pytest.mark.parametrize("spec", SPECS)
def test_layouts_views_and_shapes(spec, device, launches):
    """Transposed (read in place) and stepped (copied) inputs, a transposed upstream gradient,
    sliced and expanded weights, 2-D, 1-D, 0-d and empty inputs: torch's results and layouts."""
    torch.manual_seed(0)
    r = lambda *s: torch.randn(*s, device=device) * 3
    c = 4
    cases = [("transposed", r(5, c, 3).transpose(0, 2), c), ("2-D", r(9, c), c),
             ("stepped", r(2, c, 6, 10)[..., ::2], c),
             ("channels_last", r(2, c, 3, 5).contiguous(memory_format=torch.channels_last), c)]
    if not spec.per_channel:
        cases += [("1-D", r(50), 1), ("0-d", r(()), 1), ("empty", r(0, 3), 3)]
    else:
        cases += [("empty", r(0, c, 3), c)]
    for label, x, channels in cases:
        n = channels if spec.per_channel else 1
        dims = () if label == "0-d" else (n,)
        base = [w.reshape(dims) for w in _weights(spec, n, device)]
        views = [base]
        if spec.per_channel and label == "transposed":
            views.append([torch.cat([w, w]).reshape(2, -1).t()[:, 0] for w in base])  # stepped
            views.append([w[:1].expand(n) for w in base])  # expanded: stride 0
        for ws in views:
            g = torch.randn_like(x)
            if x.dim() >= 2:
                g = g.transpose(0, 1).contiguous().transpose(0, 1)
            problem = spec.check(x, tuple(ws), g, spec.param_sets()[0])
            assert problem is None, f"{label}: {problem}"
        theirs = spec.torch_fn(x, *base)
        launches.clear()
        ours = spec.function(x, *base)
        assert ours.shape == theirs.shape and ours.stride() == theirs.stride(), label
        assert launches == (["parametric.forward"] if x.numel() else []), label


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_special_values(spec, device):
    """NaN, infinities, signed zeros, the extremes of fp32 and the kinks, forward and backward
    (the input's gradient and the weights')."""
    big = 1e4 if spec.name.startswith("snake") else 1e30  # sincos: accurate to |alpha x| 1e5
    values = [math.nan, math.inf, -math.inf, -0.0, 0.0, big, -big, 1e-30, -1e-6, -2.0, 2.0]
    x = torch.tensor(values, device=device).repeat(2, 2, 1)  # [2, 2, 11]: C = 2
    weights = _weights(spec, 2 if spec.per_channel else 1, device)
    for params in spec.param_sets():
        problem = spec.check(x, weights, torch.ones_like(x), params)
        assert problem is None, f"{params}: {problem}"
    for params in spec.param_sets():  # at a kink exactly (xielu's eps: clamp passes there)
        for point in spec.points(*params.values()):
            x = torch.full((1, 2, 3), point, dtype=torch.float64, device=device)
            problem = spec.check(x, tuple(w.double() for w in weights), torch.ones_like(x),
                                 params)
            assert problem is None, f"at {point}, {params}: {problem}"
    if spec.name.startswith("snake"):  # beyond: torch's forward (x dominates), bounded slopes
        x = torch.tensor([1e30, -1e30, 3e7], device=device).repeat(1, 2, 1).requires_grad_()
        y = spec.function(x, *weights)
        torch.testing.assert_close(y, spec.torch_fn(x, *weights), rtol=1e-6, atol=0.0)
        (dx,) = torch.autograd.grad(y.sum(), x)
        assert ((dx >= -1.0) & (dx <= 3.0)).all()


@pytest.mark.parametrize("spec", SPECS)
def test_one_launch_each_way_and_only_the_gradients_asked_for(spec, device, launches):
    x = torch.randn(4, 3, 8, device=device, requires_grad=True)
    n = 3 if spec.per_channel else 1
    ws = _weights(spec, n, device, requires_grad=True)
    y = spec.function(x, *ws)
    assert launches == ["parametric.forward"]
    y.sum().backward()
    assert launches == ["parametric.forward", "parametric.backward"]
    assert all(w.grad is not None for w in ws)
    frozen = tuple(w.detach() for w in ws)
    (dx,) = torch.autograd.grad(spec.function(x, *frozen), x, torch.ones_like(x))
    (ref,) = torch.autograd.grad(spec.torch_fn(x, *frozen), x, torch.ones_like(x))
    torch.testing.assert_close(dx, ref)
    constant = x.detach()
    for i, w in enumerate(ws):  # one weight's gradient alone
        (ours,) = torch.autograd.grad(spec.function(constant, *ws).sum(), w)
        (theirs,) = torch.autograd.grad(spec.torch_fn(constant, *ws).sum(), w)
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-4, msg=f"weight {i}")
    launches.clear()
    with torch.no_grad():
        spec.function(x, *ws)
    assert launches == ["parametric.forward"]


def test_weight_gradients_across_many_programs_a_long_row_loop_and_int64(device, monkeypatch):
    """Two per-channel weights' partials from many programs (a small tile budget), one program
    looping over every row, and the int64 index path."""
    torch.manual_seed(0)
    spec = OPS["snake_beta"]
    x = torch.randn(100, 3, 5, device=device)  # 4 row blocks of 32
    ws = _weights(spec, 3, device)
    g = torch.randn_like(x)
    for programs in (1, 64):
        monkeypatch.setattr(parametric_ops, "_target_programs", lambda device, p=programs: p)
        assert spec.check(x, ws, g) is None
    monkeypatch.setattr(parametric_ops, "INT32_LIMIT", 0)
    assert spec.check(x, ws, g) is None
    scalar = OPS["star_relu"]  # shared weights: one run of every element, many programs
    assert scalar.check(x, _weights(scalar, 1, device), g) is None


@pytest.mark.parametrize("spec", SPECS)
def test_gradcheck_and_gradgradcheck(spec, device):
    """fp64, the input and every weight (C weights where the op has them; double backward
    through the composite)."""
    torch.manual_seed(0)
    inputs = spec.gradcheck_inputs(3 if spec.per_channel else 1, device)
    assert torch.autograd.gradcheck(spec.function, inputs, fast_mode=True)
    assert torch.autograd.gradgradcheck(spec.function, inputs, fast_mode=True)


def test_what_the_kernels_do_not_serve_runs_the_composite(device, launches):
    """Weights that promote the result (fp32 weights, fp16 input), of another shape, or
    broadcasting the result to more dims: the composite's result, or its error."""
    x = torch.randn(2, 3, 4, device=device)
    scale, bias = torch.ones(1, device=device), torch.zeros(1, device=device)
    half = x.half()
    assert TF.star_relu(half, scale, bias).dtype == torch.float32  # torch's promotion
    out = TF.star_relu(x, scale.reshape(1, 1, 1, 1), bias)  # a 4-D result, as torch's
    assert out.shape == (1, 2, 3, 4)
    torch.testing.assert_close(TF.star_relu(x, torch.ones(4, device=device), bias),
                               torch.ones(4, device=device) * F.relu(x) ** 2)
    assert launches == []
    with pytest.raises(RuntimeError) as theirs:
        PARAMETRIC[2].torch_fn(x, torch.ones(2, device=device))
    with pytest.raises(RuntimeError) as ours:
        TF.snake(x, torch.ones(2, device=device))
    assert str(ours.value) == str(theirs.value)
    # a 0-d fp32 weight on an fp16 input: torch's result is fp16, and so is the kernels'
    y = TF.star_relu(half, torch.tensor(2.0, device=device), torch.tensor(0.5, device=device))
    assert y.dtype == torch.float16 and launches == ["parametric.forward"]


# --- the modules, against their projects' ---------------------------------------------------


class MetaFormerStarReLU(nn.Module):
    """MetaFormer's StarReLU (timm.models.metaformer), as written there."""

    def __init__(self, scale_value=1.0, bias_value=0.0, scale_learnable=True,
                 bias_learnable=True, mode=None, inplace=False):
        super().__init__()
        self.inplace = inplace
        self.relu = nn.ReLU(inplace=inplace)
        self.scale = nn.Parameter(scale_value * torch.ones(1), requires_grad=scale_learnable)
        self.bias = nn.Parameter(bias_value * torch.ones(1), requires_grad=bias_learnable)

    def forward(self, x):
        return self.scale * self.relu(x) ** 2 + self.bias


class BigVGANSnake(nn.Module):
    """BigVGAN's Snake (activations.py), as written there."""

    def __init__(self, in_features, alpha=1.0, alpha_trainable=True, alpha_logscale=False):
        super().__init__()
        self.in_features = in_features
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(in_features) if alpha_logscale else torch.ones(in_features)
        self.alpha = nn.Parameter(init * alpha)
        self.alpha.requires_grad = alpha_trainable
        self.no_div_by_zero = 0.000000001

    def forward(self, x):
        alpha = self.alpha.unsqueeze(0).unsqueeze(-1)
        if self.alpha_logscale:
            alpha = torch.exp(alpha)
        return x + (1.0 / (alpha + self.no_div_by_zero)) * torch.pow(torch.sin(x * alpha), 2)


class BigVGANSnakeBeta(nn.Module):
    """BigVGAN's SnakeBeta, as written there."""

    def __init__(self, in_features, alpha=1.0, alpha_trainable=True, alpha_logscale=False):
        super().__init__()
        self.in_features = in_features
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(in_features) if alpha_logscale else torch.ones(in_features)
        self.alpha = nn.Parameter(init * alpha)
        self.beta = nn.Parameter(init * alpha)
        self.alpha.requires_grad = alpha_trainable
        self.beta.requires_grad = alpha_trainable
        self.no_div_by_zero = 0.000000001

    def forward(self, x):
        alpha = self.alpha.unsqueeze(0).unsqueeze(-1)
        beta = self.beta.unsqueeze(0).unsqueeze(-1)
        if self.alpha_logscale:
            alpha, beta = torch.exp(alpha), torch.exp(beta)
        return x + (1.0 / (beta + self.no_div_by_zero)) * torch.pow(torch.sin(x * alpha), 2)


def _xielu_reference():
    activations = pytest.importorskip("transformers.activations")
    return activations.XIELUActivation


def _module_pairs():
    yield "StarReLU", lambda: MetaFormerStarReLU(0.8944, -0.4472), \
        lambda: tnn.StarReLU(0.8944, -0.4472)
    yield "XIELU", lambda: _xielu_reference()(dtype=torch.float32), \
        lambda: tnn.XIELU(dtype=torch.float32)
    yield "XIELU bf16", lambda: _xielu_reference()(0.5, 0.9), lambda: tnn.XIELU(0.5, 0.9)
    for logscale in (False, True):
        yield f"Snake logscale={logscale}", lambda s=logscale: BigVGANSnake(3, 0.7, True, s), \
            lambda s=logscale: tnn.Snake(3, 0.7, True, s)
        yield f"SnakeBeta logscale={logscale}", \
            lambda s=logscale: BigVGANSnakeBeta(3, 0.7, True, s), \
            lambda s=logscale: tnn.SnakeBeta(3, 0.7, True, s)


@pytest.mark.parametrize(("label", "theirs", "ours"), list(_module_pairs()),
                         ids=[p[0] for p in _module_pairs()])
def test_modules_are_their_projects(label, theirs, ours, device, launches):
    """Same constructor, parameters and state_dict; after loading the original's (perturbed)
    state, the same forward and parameter gradients, through one kernel each way."""
    torch.manual_seed(0)
    theirs, ours = theirs().to(device), ours().to(device)
    assert ours.state_dict().keys() == theirs.state_dict().keys(), label
    for (name, a), (_, b) in zip(theirs.named_parameters(), ours.named_parameters()):
        assert a.shape == b.shape and a.dtype == b.dtype and a.requires_grad == b.requires_grad
        torch.testing.assert_close(a, b, msg=name)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.rand_like(p) * 0.2)
    ours.load_state_dict(theirs.state_dict())
    x = (torch.randn(2, 3, 16, device=device) * 2).requires_grad_()
    launches.clear()
    y = ours(x)
    ref = theirs(x)
    torch.testing.assert_close(y, ref, rtol=2e-5, atol=2e-5)
    g = torch.randn_like(ref)
    ours_grads = torch.autograd.grad(y, (x, *ours.parameters()), g)
    ref_grads = torch.autograd.grad(ref, (x, *theirs.parameters()), g)
    for a, b in zip(ours_grads, ref_grads):
        assert a.dtype == b.dtype
        torch.testing.assert_close(a, b, rtol=2e-4, atol=2e-4)
    assert launches == ["parametric.forward", "parametric.backward"], label


def test_verify_covers_the_family(capsys):
    assert main(["verify", "--ops", "snake_beta", "--dtypes", "bfloat16"]) == 0
    out = capsys.readouterr().out
    assert "| snake_beta" in out and "0 failed" in out


@pytest.mark.exhaustive
@pytest.mark.parametrize("spec", SPECS)
def test_under_torch_compile_fullgraph(spec, device):
    """The custom ops under torch.compile(fullgraph=True), forward and backward."""
    torch._dynamo.reset()
    x = torch.randn(2, 3, 8, device=device, requires_grad=True)
    ws = _weights(spec, 3 if spec.per_channel else 1, device, requires_grad=True)
    compiled = torch.compile(spec.function, fullgraph=True)
    y = compiled(x, *ws)
    torch.testing.assert_close(y, spec.torch_fn(x, *ws))
    grads = torch.autograd.grad(y.sum(), (x, *ws))
    refs = torch.autograd.grad(spec.torch_fn(x, *ws).sum(), (x, *ws))
    for a, b in zip(grads, refs):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)


def test_signatures_and_argument_errors():
    """The documented signatures; Python's own TypeErrors for calls that do not fit."""
    import inspect

    empty = inspect.Parameter.empty
    expected = {"star_relu": [("input", empty), ("scale", empty), ("bias", empty)],
                "xielu": [("input", empty), ("alpha_p", empty), ("alpha_n", empty),
                          ("beta", 0.5), ("eps", -1e-6)],
                "snake": [("input", empty), ("alpha", empty)],
                "snake_beta": [("input", empty), ("alpha", empty), ("beta", empty)]}
    for name, params in expected.items():
        signature = inspect.signature(getattr(TF, name))
        assert [(p.name, p.default) for p in signature.parameters.values()] == params
    x, w = torch.ones(2, 3), torch.ones(3)
    for call, message in ((lambda: TF.snake(x), "missing required arguments: alpha"),
                          (lambda: TF.snake(x, w, w), "takes 2 positional arguments"),
                          (lambda: TF.snake_beta(x, w, w, gamma=w), "unexpected keyword")):
        with pytest.raises(TypeError, match=message):
            call()
