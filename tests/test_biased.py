"""bias_gelu, bias_geglu, bias_swiglu (Megatron's bias + activation fusions): parity with the
torch composite on rows, 3-D, row-strided and transposed inputs (upstream gradient in other
layouts too), the bias gradient over many programs and column blocks, gradients, launches and
saved bytes, the fallbacks and torch's errors, empty inputs, NaN and inf, the modules, and
torch.compile."""

import pytest
import torch

import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.autograd import biased
from tritonact.core.testing import DTYPES, special_sample
from tritonact.registry import BIASED, OPS

#: (spec, keyword arguments[, dtype]): each approximation; gelu's tanh approximation runs its
#: math in fp32 (the kernels' addressing is the default's), every dtype with --exhaustive.
EXHAUSTIVE = pytest.mark.exhaustive
PARITY = [pytest.param(s, kw, dtype, id=f"{s.name}-{kw.get('approximate', 'none')}-{dtype}",
                       marks=EXHAUSTIVE if kw.get("approximate", "none") != "none"
                       and dtype != torch.float32 else ())
          for s in BIASED for kw in s.kwarg_sets() for dtype in DTYPES]
GRADCHECK = [pytest.param(s, kw, id=f"{s.name}-{kw.get('approximate', 'none')}",
                          marks=EXHAUSTIVE if kw.get("approximate", "none") != "none" else ())
             for s in BIASED for kw in s.kwarg_sets()]


def _width(spec, n: int) -> int:
    return 2 * n if spec.gated else n


@pytest.mark.parametrize(("spec", "kwargs", "dtype"), PARITY)
def test_parity(spec, kwargs, dtype, device):
    torch.manual_seed(0)
    failures = []
    r = lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)
    width = _width(spec, 24)
    layouts = spec.layouts(dtype, device, width)
    if dtype != torch.float32:
        layouts = layouts[:1]  # the addressing is shared with fp32, where every layout runs
    for x in layouts:
        out_shape = (*x.shape[:-1], width // 2 if spec.gated else width)
        grads = {"contiguous": r(*out_shape)}
        if x.dim() == 2 and x.is_contiguous():  # upstream gradients of other layouts
            grads["expanded"] = r(1).expand(out_shape)
            grads["transposed"] = r(*out_shape[::-1]).t()
        for label, g in grads.items():
            problem = spec.check(x, r(width), kwargs, g)
            if problem:
                failures.append(f"{tuple(x.shape)}/{x.stride()}, {label} gradient: {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("spec", BIASED, ids=lambda s: s.name)
def test_bias_gradient_over_many_programs_and_column_blocks(spec, device):
    """Rows split over several programs (shares of 5 and 4 rows) and columns over two blocks,
    the second partial: the partial sums add up to torch's."""
    torch.manual_seed(0)
    x = torch.randn(9, _width(spec, 1030), device=device)
    bias = torch.randn(x.shape[-1], device=device)
    assert spec.check(x, bias) is None


@pytest.mark.parametrize(("spec", "kwargs"), GRADCHECK)
def test_gradcheck_and_gradgradcheck(spec, kwargs, device):
    torch.manual_seed(0)
    x = torch.randn(2, 2, dtype=torch.float64, device=device, requires_grad=True)  # 2 rows
    bias = torch.randn(x.shape[-1], dtype=torch.float64, device=device, requires_grad=True)
    f = lambda t, b: getattr(TF, spec.name)(t, b, **kwargs)
    assert torch.autograd.gradcheck(f, (x, bias))
    assert torch.autograd.gradgradcheck(f, (x, bias))


@pytest.mark.parametrize("spec", BIASED, ids=lambda s: s.name)
def test_one_launch_each_way_inputs_intact_and_saved_bytes(spec, device, launches):
    x = torch.randn(8, _width(spec, 64), device=device, requires_grad=True)
    bias = torch.randn(x.shape[-1], device=device, requires_grad=True)
    before = x.detach().clone(), bias.detach().clone()
    saved = []

    def pack(t):
        saved.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        launches.clear()
        y = getattr(TF, spec.name)(x, bias)
    assert launches == ["biased.forward"]
    ours = sum(saved)
    y.backward(torch.randn_like(y))
    assert launches == ["biased.forward", "biased.backward"]
    assert torch.equal(x.detach(), before[0]) and torch.equal(bias.detach(), before[1])
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        spec.reference(x.detach().clone().requires_grad_(), bias.detach().clone())
    eager = sum(saved)
    # x and bias; the composite saves x + bias (and gated, act(a) too: 3/2 of x)
    x_bytes = x.numel() * x.element_size()
    assert ours == x_bytes + bias.numel() * bias.element_size()
    assert eager >= (3 * x_bytes // 2 if spec.gated else x_bytes)


@pytest.mark.parametrize("spec", BIASED, ids=lambda s: s.name)
def test_one_gradient_asked_for(spec, device):
    """Only the input's, or only the bias's gradient: the other is not computed (None)."""
    torch.manual_seed(0)
    x = torch.randn(5, _width(spec, 8), dtype=torch.float64, device=device)
    bias = torch.randn(x.shape[-1], dtype=torch.float64, device=device)
    g = torch.randn(spec.output_shape(x.shape), dtype=torch.float64, device=device)
    for wants in ((True, False), (False, True)):
        a, b = x.clone().requires_grad_(wants[0]), bias.clone().requires_grad_(wants[1])
        y = spec.function(a, b)
        y.backward(g)
        ra, rb = x.clone().requires_grad_(wants[0]), bias.clone().requires_grad_(wants[1])
        spec.reference(ra, rb).backward(g)
        for ours, theirs in ((a, ra), (b, rb)):
            assert (ours.grad is None) == (theirs.grad is None)
            if ours.grad is not None:
                torch.testing.assert_close(ours.grad, theirs.grad)


@pytest.mark.parametrize("spec", BIASED, ids=lambda s: s.name)
def test_fallbacks_and_torchs_errors(spec, device, launches):
    """What the kernels do not serve runs the composite: torch's result (a bias of another
    dtype promotes, a 0-d input broadcasts to the bias's shape) or torch's error (a bias of the
    wrong size, an odd gated size, an unknown approximate)."""
    fn = getattr(TF, spec.name)
    width = _width(spec, 4)
    x = torch.randn(3, width, device=device)

    def same(*args, **kwargs):
        launches.clear()
        torch.testing.assert_close(fn(*args, **kwargs), spec.reference(*args, **kwargs))
        assert launches == []

    same(x, torch.randn(width, dtype=torch.float64, device=device))
    same(x, torch.randn((), device=device))  # a 0-d bias broadcasts
    same(x, torch.randn(1, width, device=device))  # so does a 2-D one
    if spec.gated:
        with pytest.raises(RuntimeError):  # halves of 2 and 3: torch's broadcasting error
            fn(torch.randn(3, 5, device=device), torch.randn(5, device=device))
        with pytest.raises(ValueError):  # one chunk: torch's unpacking error
            fn(torch.randn(3, 1, device=device), torch.randn(1, device=device))
    same(torch.tensor(0.5, device=device), torch.randn(2, device=device))  # 0-d: broadcast
    with pytest.raises(RuntimeError, match="must match the size"):
        fn(x, torch.randn(width + 2, device=device))
    if spec.takes_approximate:
        with pytest.raises(RuntimeError, match="approximate argument must be either"):
            fn(x, torch.randn(width, device=device), approximate="fast")


@pytest.mark.parametrize("spec", BIASED, ids=lambda s: s.name)
def test_empty_inputs(spec, device):
    for shape in ((0, _width(spec, 4)), (3, 0), (2, 0, _width(spec, 2))):
        x = torch.randn(shape, device=device, requires_grad=True)
        bias = torch.randn(shape[-1], device=device, requires_grad=True)
        y = getattr(TF, spec.name)(x, bias)
        assert y.shape == spec.output_shape(x.shape)
        y.sum().backward()
        assert x.grad.shape == x.shape and torch.equal(bias.grad, torch.zeros_like(bias))


@pytest.mark.parametrize("spec", BIASED, ids=lambda s: s.name)
def test_nan_and_inf(spec, device):
    """The special values (NaN, +-inf, the largest and smallest, signed zeros) in x, as torch's
    composite gives them (forward and gradients, fp64 reference)."""
    x = special_sample(torch.float32, device)[:16].reshape(2, 8)
    x = torch.cat((x, x.flip(-1)))  # each special value in either half
    bias = torch.tensor([0.0, 1.5, -2.0, 0.25, -0.0, 3.0, -1.0, 0.5], device=device)
    g = torch.randn(spec.output_shape(x.shape), device=device)
    assert spec.check(x, bias, {}, g) is None


def test_modules(device):
    module = tnn.BiasGELU(6, approximate="tanh", device=device, dtype=torch.float64)
    assert repr(module) == "BiasGELU(features=6, approximate='tanh')"
    assert module.bias.dtype == torch.float64 and torch.equal(module.bias,
                                                              torch.zeros(6, dtype=torch.float64))
    assert list(module.state_dict()) == ["bias"]
    assert repr(tnn.BiasGeGLU(8)) == "BiasGeGLU(features=8, approximate='none')"
    assert repr(tnn.BiasSwiGLU(8)) == "BiasSwiGLU(features=8)"
    with pytest.raises(TypeError):
        tnn.BiasSwiGLU(8, "tanh")
    x = torch.randn(3, 8, dtype=torch.float64, device=device)
    for spec, kwargs in ((OPS["bias_gelu"], {"approximate": "tanh"}),
                         (OPS["bias_geglu"], {}), (OPS["bias_swiglu"], {})):
        module = getattr(tnn, spec.module_name)(8, **kwargs).to(device, torch.float64)
        with torch.no_grad():
            module.bias.uniform_(-1, 1)
        torch.testing.assert_close(module(x), spec.reference(x, module.bias, **kwargs))


def test_after_a_linear_layer_without_bias(device):
    """``Linear(bias=False)`` then the module, its bias the Linear's: the result and every
    gradient of ``Linear(bias=True)`` then the activation."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(6, 8, device=device)
    ours = torch.nn.Sequential(torch.nn.Linear(6, 8, bias=False, device=device),
                               tnn.BiasSwiGLU(8, device=device))
    with torch.no_grad():
        ours[0].weight.copy_(linear.weight)
        ours[1].bias.copy_(linear.bias)
    x = torch.randn(5, 6, device=device)
    y = ours(x)
    a, b = linear(x).chunk(2, -1)
    expected = torch.nn.functional.silu(a) * b
    torch.testing.assert_close(y, expected)
    y.sum().backward()
    expected.sum().backward()
    torch.testing.assert_close(ours[0].weight.grad, linear.weight.grad)
    torch.testing.assert_close(ours[1].bias.grad, linear.bias.grad)


def test_torch_compile_fullgraph(device):
    """Under torch.compile the custom ops trace (their fake results have the real ones'
    shapes and strides) and run forward and backward."""
    torch._dynamo.reset()
    model = torch.nn.Sequential(tnn.BiasGELU(8, "tanh"), tnn.BiasSwiGLU(8)).to(device)
    for module in model:
        torch.nn.init.uniform_(module.bias, -1, 1)
    x = torch.randn(3, 8, device=device, requires_grad=True)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    out = compiled(x)
    leaves = [x, *model.parameters()]
    grads = torch.autograd.grad(out.sum(), leaves)
    expected = model(x)
    torch.testing.assert_close(out, expected)
    for got, want in zip(grads, torch.autograd.grad(expected.sum(), leaves)):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("name", ["bias_gelu", "bias_swiglu"])
def test_wide_index_path(name, device, monkeypatch):
    """With the 32-bit limit lowered, small inputs take the 64-bit index path (``WIDE``) both
    ways, with the same results."""
    spec = OPS[name]
    monkeypatch.setattr(biased, "INT32_LIMIT", 100)
    torch.manual_seed(0)
    x = torch.randn(9, _width(spec, 40), device=device)
    bias = torch.randn(x.shape[-1], device=device)
    m = spec.math_for()
    out = torch.empty(spec.output_shape(x.shape), device=device)
    assert biased.plan_forward(m, x, bias, out)[2]["WIDE"]
    assert biased.plan_backward(m, out, x, bias, torch.empty_like(x))[2]["WIDE"]
    assert spec.check(x, bias) is None


def test_verify_and_list(capsys):
    """``verify`` checks a bias op (its layouts, input and bias gradients) and ``list`` shows
    the three with their modules."""
    from tritonact.__main__ import main

    assert main(["verify", "--ops", "bias_swiglu", "--dtypes", "float32"]) == 0
    cells = lambda out, op: [[c.strip() for c in line.split("|")[1:-1]]
                             for line in out.splitlines() if line.startswith(f"| {op} ")]
    assert cells(capsys.readouterr().out, "bias_swiglu") == [
        ["bias_swiglu", "defaults", "float32", "ok", "-", "ok"]]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert cells(out, "bias_gelu") == [["bias_gelu", "bias, *, approximate='none'",
                                        "input, bias", "-", "nn.BiasGELU", "gelu(x + bias)"]]
    for spec in BIASED:
        assert f"nn.{spec.module_name}" in out


def test_module_under_autocast(device, launches):
    """Under torch.autocast the module's fp32 bias is cast to the input's autocast dtype, as a
    Linear's bias is: Linear(bias=False) then the module gives Linear(bias=True) then the
    activation's dtype and values, through the kernels."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(8, 16, device=device)
    fc = torch.nn.Linear(8, 16, bias=False, device=device)
    act = tnn.BiasGeGLU(16, device=device)
    with torch.no_grad():
        fc.weight.copy_(linear.weight)
        act.bias.copy_(linear.bias)
    x = torch.randn(4, 8, device=device)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        y = act(fc(x))
        assert launches == ["biased.forward"]
        a, b = linear(x).chunk(2, -1)
        expected = torch.nn.functional.gelu(a) * b
    assert y.dtype == expected.dtype == torch.bfloat16
    torch.testing.assert_close(y, expected, rtol=2e-2, atol=2e-2)
    y.float().sum().backward()
    assert act.bias.grad.dtype == torch.float32
