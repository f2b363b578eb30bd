"""Torch's semantics at the edges, one test per class of difference PyTorch's own test databases
found (the differential layer in test_torch_db.py and test_fuzz.py covers them broadly; these
pin each class down with its smallest example)."""

import functools
import math

import pytest
import torch
import torch.nn.functional as F

import tritonact
import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.autograd.launch import rounded
from tritonact.core.testing import mismatch
from tritonact.registry import ELEMENTWISE, GATED, ROWWISE


def _grad(fn, x, *args, **kwargs):
    x = x.detach().requires_grad_()
    fn(x * 1, *args, **kwargs).sum().backward()
    return x.grad


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_16bit_gradients_of_clamped_outputs_are_torchs(dtype, device):
    """The clamped output is the bound rounded to the dtype: it must not read as 'inside'."""
    x = torch.tensor([-5.0, 0.05, 1.5, 3.0, 20.0], dtype=dtype, device=device)
    for fn, args in ((F.hardtanh, (0.1, 6.1)), (F.hardtanh, (-0.3, 0.7)),
                     (F.threshold, (1.3, 1.0)), (F.threshold, (0.3, 0.7))):
        want = _grad(fn, x, *args)
        assert torch.equal(_grad(getattr(TF, fn.__name__.lstrip("_")), x, *args), want)
        inplace = getattr(TF, fn.__name__.lstrip("_") + "_")
        assert torch.equal(_grad(inplace, x, *args), want)
    module = tnn.Hardtanh(0.1, 6.1)
    assert torch.equal(_grad(module, x), _grad(torch.nn.Hardtanh(0.1, 6.1), x))


def _inplace_calls():
    """Every in-place entry point (the ``_`` functions and ``inplace=True``), with torch's."""
    for spec in ELEMENTWISE:
        params = spec.param_sets()[0]
        if spec.inplace_name:
            yield spec.inplace_name, *(functools.partial(getattr(m, spec.inplace_name), **params)
                                       for m in (TF, F))
        if spec.inplace:
            yield spec.name, *(functools.partial(f, **params, inplace=True)
                               for f in (spec.function, spec.torch_fn))
    yield "rrelu_", *(lambda t, f=m.rrelu_: f(t) for m in (TF, F))
    yield "RReLU(inplace=True)", *(lambda t, m=m: m.RReLU(inplace=True)(t)
                                   for m in (tnn, torch.nn))


@pytest.mark.parametrize(("name", "ours", "theirs"), list(_inplace_calls()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_inplace_on_overlapping_memory_is_torchs(name, ours, theirs, device):
    """An expanded (stride-0) view: torch's error where torch raises one (it does for all but
    threshold_, whose result is then torch's), the tensor left alone."""
    outcomes = []
    for call in (ours, theirs):
        base = torch.tensor([-1.0, 0.5, 2.0], device=device)
        try:
            call(base.expand(2000, 3))
            outcomes.append(base)
        except RuntimeError as error:
            outcomes.append(str(error))
            assert torch.equal(base, torch.tensor([-1.0, 0.5, 2.0], device=device))
    assert type(outcomes[0]) is type(outcomes[1])
    assert outcomes[0] == outcomes[1] if isinstance(outcomes[0], str) else torch.equal(*outcomes)


def test_inplace_on_views_that_overlap_without_a_zero_stride_is_torchs(device):
    data = torch.randn(40, device=device)
    ours, theirs = data.clone(), data.clone()
    TF.elu_(ours.as_strided((5, 6), (1, 1)), 0.8)
    F.elu_(theirs.as_strided((5, 6), (1, 1)), 0.8)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize(("name", "ours", "theirs"), list(_inplace_calls()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_inplace_on_an_inference_tensor_outside_inference_mode_raises(name, ours, theirs,
                                                                      device):
    with torch.inference_mode():
        x = torch.randn(8, device=device)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        ours(x)
    with torch.inference_mode():
        ours(x)  # inside inference mode it is allowed, as in torch


def test_parameters_torch_refuses_are_refused(device):
    x = torch.randn(8, device=device)
    for call in (lambda f: f.softshrink(x, -0.5), lambda f: f.softshrink(x, math.nan),
                 lambda f: f.softshrink(x.half(), 7e4), lambda f: f.hardshrink(x.half(), 7e4),
                 lambda f: f.hardtanh(x.half(), -7e4, 7e4), lambda f: f.threshold(x.half(), 0, 7e4),
                 lambda f: f.leaky_relu(x, 1e39), lambda f: f.elu(x, -1e39),
                 lambda f: f.softplus(x, 1e39), lambda f: f.rrelu(x, 0.1, math.inf),
                 lambda f: f.rrelu(x, 0.1, 1e39, True), lambda f: f.celu(x, 0.0)):
        with pytest.raises(RuntimeError) as torchs:
            call(F)
        with pytest.raises(RuntimeError) as ours:
            call(TF)
        assert str(ours.value) == str(torchs.value)
    assert torch.equal(TF.leaky_relu(x.double(), 1e39), F.leaky_relu(x.double(), 1e39))


def test_the_switch_refuses_what_torch_refuses(device):
    x = torch.randn(8, device=device)
    with tritonact.use():
        with pytest.raises(RuntimeError, match="without overflow"):
            F.elu(x, 1e300)
        with pytest.raises(RuntimeError, match="lambda must be in range"):
            F.softshrink(x, -1.0)
        with pytest.raises(RuntimeError, match="more than one element"):
            F.relu_(x[:1].expand(4))


def test_inplace_with_a_negative_slope_refuses_autograd_as_torch(device):
    for name, args in (("leaky_relu_", (-0.5,)), ("elu_", (-0.3,)), ("celu_", (-0.7,)),
                       ("rrelu_", (-0.5, -0.1))):
        errors = []
        for module in (F, TF):
            x = torch.randn(6, device=device, requires_grad=True)
            y = getattr(module, name)(x * 1, *args)
            with pytest.raises(RuntimeError) as error:
                y.sum().backward()
            errors.append(str(error.value))
        assert errors[0] == errors[1]


def test_softmax_dtype_casts_first_and_the_upcast_stays_one_kernel(device, launches):
    x = torch.tensor([1000.3, 1000.1, 1000.2], device=device)
    for spec in ROWWISE:
        ours = getattr(TF, spec.name)(x, 0, dtype=torch.float16)
        theirs = spec.torch_fn(x, 0, dtype=torch.float16)
        exact = spec.torch_fn(x.half().double(), 0)  # torch's order: the cast first
        assert mismatch(ours, exact, theirs, torch.float16) is None
    launches.clear()
    y = TF.softmax(torch.randn(4, 8, device=device, dtype=torch.float16), -1,
                   dtype=torch.float32)
    assert y.dtype == torch.float32 and launches == ["rowwise.forward"]


@pytest.mark.parametrize("layout", [torch.sparse_coo, torch.sparse_csr])
def test_sparse_inputs_get_torchs_result(layout, device):
    x = torch.randn(3, 4, device=device).to_sparse(layout=layout)
    for name in ("relu", "tanh", "tanhshrink"):
        try:
            theirs = getattr(F, name)(x)
        except RuntimeError as error:  # tanhshrink of a CSR tensor: torch's own error
            with pytest.raises(RuntimeError, match=str(error)):
                getattr(TF, name)(x)
            continue
        ours = getattr(TF, name)(x)
        assert ours.layout == layout and torch.equal(ours.to_dense(), theirs.to_dense())
    y = x.clone()
    assert TF.relu_(y) is y


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mish_gradient_at_the_most_negative_values_is_zero(dtype, device):
    x = torch.tensor([-torch.finfo(dtype).max, -1e30, -200.0], dtype=dtype, device=device)
    assert torch.equal(_grad(TF.mish, x), _grad(F.mish, x))
    assert torch.equal(_grad(TF.mish, x)[:2], torch.zeros(2, dtype=dtype, device=device))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_values_at_the_parameter_compare_as_torch(dtype, device):
    lambd = 0.1
    x = torch.tensor([lambd, -lambd, 0.3], dtype=dtype, device=device)
    for name in ("hardshrink", "softshrink"):
        assert torch.equal(getattr(TF, name)(x, lambd), getattr(F, name)(x, lambd))
        assert torch.equal(_grad(getattr(TF, name), x, lambd), _grad(getattr(F, name), x, lambd))


def test_output_layouts_are_torchs(device):
    scores = torch.randn(4, 6, 8, device=device).transpose(-1, -2)
    for spec in ROWWISE:
        y = getattr(TF, spec.name)(scores, -1)
        assert y.stride() == spec.torch_fn(scores, -1).stride()
        y.view(-1)  # what works with torch's contiguous result
    x = torch.randn(5, 7, device=device).t()
    assert TF.logsigmoid(x).stride() == F.logsigmoid(x).stride()
    for spec in GATED:
        x = torch.randn(6, 4, device=device).t()
        assert getattr(TF, spec.name)(x, 0).stride() == spec.reference(x, 0).stride()


def test_errors_are_torchs(device):
    x = torch.randn(3, 4, device=device)
    for spec in GATED:
        with pytest.raises(IndexError, match="Dimension out of range"):
            getattr(TF, spec.name)(x, 2)
    with pytest.raises(TypeError) as ours:
        TF.elu(x, "a")
    with pytest.raises(TypeError) as torchs:
        F.elu(x, "a")
    assert str(ours.value) == str(torchs.value)
    for name in ("leaky_relu", "hardtanh", "softplus", "threshold"):
        with pytest.raises(TypeError):
            getattr(TF, name)(x, "a", 1.0) if name in ("hardtanh", "softplus", "threshold") \
                else getattr(TF, name)(x, "a")


def test_parameters_round_as_torch_casts_them():
    """``rounded`` (plain Python, so that torch.compile folds it) against torch's own casts."""
    generator = torch.Generator().manual_seed(0)
    values = torch.cat([torch.randn(500, generator=generator, dtype=torch.float64) * 1e4,
                        torch.tensor([0.1, 6.1, -0.0, 65519.0, 65520.0, 3.4e38, 1e39, -1e39,
                                      1e-45, 1.01171875, -1.01171875, 1.00390625,
                                      math.inf, math.nan], dtype=torch.float64)])  # bf16 ties
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        via = torch.float32 if dtype == torch.bfloat16 else dtype  # c10's BFloat16 from float
        want = values.to(via).to(dtype).double()
        got = torch.tensor([rounded(v, dtype) for v in values.tolist()], dtype=torch.float64)
        assert torch.equal(got.nan_to_num(), want.nan_to_num()), dtype
        assert torch.equal(got.signbit()[:-1], want.signbit()[:-1])  # the last is NaN


def test_a_negative_zero_parameter_is_not_taken_for_zero(device):
    """-0.0 and 0.0 are one dict key: the remembered decision for 0.0 must not serve -0.0,
    whose sign the fp32 kernels would lose (torch: leaky_relu(-2, -0.0) is +0.0)."""
    x = torch.tensor([-2.0, 3.0], device=device)
    for slope in (0.0, -0.0, 0.0, -0.0):
        ours, theirs = TF.leaky_relu(x, slope), F.leaky_relu(x, slope)
        assert torch.equal(ours, theirs) and torch.equal(ours.signbit(), theirs.signbit())
