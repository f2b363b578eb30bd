"""The public surface: torch's signatures, modules, in-place semantics, what falls back to torch,
launch counts, layouts and torch.compile."""

import ast
import inspect
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import tritonact.functional as TF
import tritonact.nn as tnn
from tests.cases import op_params
from tritonact.registry import ELEMENTWISE, OPS


def _sample_args(spec, params):
    """Positional arguments (after input) in torch's order for ``params``."""
    return [params[p.name] for p in spec.params if not p.keyword_only]


# --- signatures -----------------------------------------------------------------------------

FUNCTIONS = [(s.name, s) for s in ELEMENTWISE if s.torch_has_op] + [
    (s.inplace_name, s) for s in ELEMENTWISE if s.inplace_name
]


@pytest.mark.parametrize(("name", "spec"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_signature_is_torchs(name, spec):
    ours = inspect.signature(getattr(TF, name))
    try:  # an op torch lacks: its composite's
        theirs = inspect.signature(getattr(F, name) if spec.torch_has_op else spec.torch_fn)
    except ValueError:  # a C builtin: its docstring's first line is the signature
        first = getattr(F, name).__doc__.strip().splitlines()[0]  # "elu_(input, alpha=1.) -> ..."
        described = []
        for part in first[first.index("(") + 1:first.index(")")].split(","):
            pname, _, default = (s.strip() for s in part.partition("="))
            value = ast.literal_eval(default) if default else inspect.Parameter.empty
            described.append((pname, value))
        assert [(p.name, p.default) for p in ours.parameters.values()] == described, first
        return
    described = [(p.name, p.default, p.kind) for p in theirs.parameters.values()]
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == described


def test_an_op_torch_lacks_has_its_composites_signature():
    """Where torch has no such function, the reference composite's signature is the API."""
    for spec in (s for s in ELEMENTWISE if not s.torch_has_op):
        ours = inspect.signature(spec.function).parameters.values()
        theirs = inspect.signature(spec.torch_fn).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]
        assert spec.module is None and spec.module_name in tnn.__all__


def test_keyword_only_and_bad_arguments_raise_like_torch():
    x = torch.randn(4)
    for call in (lambda f: f.gelu(x, "tanh"), lambda f: f.relu(x, False, 3),
                 lambda f: f.elu(x, alph=1.0), lambda f: f.threshold(x, 0.5)):
        with pytest.raises(TypeError):
            call(F)
        with pytest.raises(TypeError):
            call(TF)


def test_invalid_parameters_raise_torchs_errors():
    x = torch.randn(4)
    for call, error in ((lambda f: f.gelu(x, approximate="erf"), RuntimeError),
                        (lambda f: f.hardtanh(x, 2.0, 1.0), ValueError),
                        (lambda f: f.celu(x, alpha=0.0), RuntimeError)):
        with pytest.raises(error):
            call(F)
        with pytest.raises(error):
            call(TF)


def test_positional_and_keyword_calls_agree(device):
    x = torch.randn(33, device=device)
    for spec, params in [p.values for p in op_params()]:
        fn = getattr(TF, spec.name)
        a = fn(x, *_sample_args(spec, params), **{p.name: params[p.name]
                                                  for p in spec.params if p.keyword_only})
        b = fn(input=x, **params)
        torch.testing.assert_close(a, b, rtol=0, atol=0)


# --- modules --------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "params"),
                         [p for p in op_params() if p.values[0].module is not None])
def test_module_is_a_drop_in(spec, params, device):
    x = torch.randn(6, 5, dtype=torch.float64, device=device)
    if spec.module is None:  # an op torch lacks: tritonact's own module, against the composite
        ours = getattr(tnn, spec.module_name)(**params)
        assert repr(ours) == f"{spec.module_name}()" and not ours.state_dict()
        torch.testing.assert_close(ours(x), spec.torch_fn(x, **params), rtol=1e-7, atol=1e-12)
        return
    ours_cls = getattr(tnn, spec.module.__name__)
    kwargs = {} if spec.module_args == ("inplace",) else params
    ours, theirs = ours_cls(**kwargs), spec.module(**kwargs)
    assert isinstance(ours, spec.module) and type(ours) is not spec.module
    assert repr(ours) == repr(theirs)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    ours.load_state_dict(theirs.state_dict())
    seen = []
    ours.register_forward_hook(lambda m, i, o: seen.append(o))
    y = ours(x)
    assert seen and seen[0] is y
    torch.testing.assert_close(y, theirs(x), rtol=1e-7, atol=1e-12)


def test_the_module_of_an_op_torch_lacks_takes_its_parameters(device):
    """tritonact's own class: the parameters (and inplace) as constructor arguments with the
    function's defaults, shown in repr, passed to the function."""
    for spec in (s for s in ELEMENTWISE if s.module is None):
        cls = getattr(tnn, spec.module_name)
        assert cls.__name__ == spec.module_name and cls.__module__ == "tritonact.nn"
        for params in spec.param_sets():
            module = cls(**params)
            assert all(f"{k}={v!r}" in repr(module) for k, v in params.items())
            x = torch.randn(6, 5, dtype=torch.float64, device=device)
            torch.testing.assert_close(module(x), spec.function(x, **params), rtol=0, atol=0)


def test_module_defaults_are_torchs():
    assert repr(tnn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(tnn.Softplus()) == repr(torch.nn.Softplus())
    assert isinstance(tnn.ReLU6(), torch.nn.Hardtanh)


# --- in place -------------------------------------------------------------------------------

INPLACE = [s for s in ELEMENTWISE if s.inplace]


@pytest.mark.parametrize("spec", INPLACE, ids=lambda s: s.name)
def test_inplace_writes_into_the_input(spec, device):
    params = spec.param_sets()[0]
    x = torch.randn(5, 7, device=device)
    expected = spec.torch_fn(x.clone(), **params)
    version = x._version
    y = getattr(TF, spec.name)(x, **params, inplace=True)
    assert y is x and x._version > version
    torch.testing.assert_close(x, expected)
    if spec.inplace_name:
        z = torch.randn(5, 7, device=device)
        expected = spec.torch_fn(z.clone(), **params)
        assert getattr(TF, spec.inplace_name)(z, *_sample_args(spec, params)) is z
        torch.testing.assert_close(z, expected)


@pytest.mark.parametrize("spec", INPLACE, ids=lambda s: s.name)
def test_inplace_gradients_on_a_non_leaf(spec, device):
    """In place on a non-leaf: torch's gradients; where torch refuses autograd through the
    in-place form (a negative slope: its in-place backward reads the output), torch's error
    when backward runs, as torch's own in-place function raises it."""
    torch.manual_seed(0)
    for params in spec.param_sets():
        data = torch.randn(4, 6, dtype=torch.float64, device=device)
        upstream = torch.linspace(-1, 1, 24, dtype=torch.float64, device=device).view(4, 6)
        floats = tuple(float(params[p]) for p in spec.float_params)
        refused = spec.inplace_grad is not None and not spec.inplace_grad(*floats)
        ours = lambda t, **p: getattr(TF, spec.name)(t, **p, inplace=True)
        theirs = (lambda t, **p: spec.torch_fn(t, **p, inplace=True)) if refused else (
            spec.reference or spec.torch_fn)
        grads, errors = [], []
        for fn in (ours, theirs):
            leaf = data.clone().requires_grad_()
            h = leaf * 1.5
            out = fn(h, **params)
            assert out is h or fn is not ours
            try:
                out.backward(upstream)
                grads.append(leaf.grad)
            except RuntimeError as error:
                errors.append(str(error))
        if refused:
            assert len(errors) == 2 and errors[0] == errors[1], (params, errors)
        else:
            assert not errors, errors
            torch.testing.assert_close(grads[0], grads[1], rtol=1e-7, atol=1e-12)


def test_inplace_on_a_leaf_raises_torchs_error_and_leaves_it_alone(device):
    # negative values, which relu would change (random ones could all be positive)
    x = torch.tensor([-1.0, -2.0, 3.0, -4.0], device=device, requires_grad=True)
    before = x.detach().clone()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        TF.relu(x, inplace=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        TF.relu_(x[1:])
    assert torch.equal(x.detach(), before)


def test_inplace_bumps_the_version_an_earlier_op_saved(device):
    x = torch.randn(8, device=device, requires_grad=True)
    y = x.exp()  # saves its output
    TF.relu(y, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def _inplace_entry_points():
    """(id, call) for every in-place entry point of the functional API: ``inplace=True`` and the
    ``*_`` twin of each elementwise op, and rrelu's in training and in eval."""
    points = []
    for spec in INPLACE:
        params = spec.param_sets()[0]
        points.append((f"{spec.name}-inplace=True",
                       lambda t, spec=spec, p=params: getattr(TF, spec.name)(t, **p,
                                                                             inplace=True)))
        if spec.inplace_name:
            points.append((spec.inplace_name, lambda t, spec=spec, p=params: getattr(
                TF, spec.inplace_name)(t, *_sample_args(spec, p))))
    for training in (True, False):
        for lower in (0.1, -0.2):
            tag = f"training={training},lower={lower}"
            points.append((f"rrelu-inplace=True-{tag}", lambda t, tr=training, lo=lower:
                           TF.rrelu(t, lo, 0.3, training=tr, inplace=True)))
            points.append((f"rrelu_-{tag}", lambda t, tr=training, lo=lower:
                           TF.rrelu_(t, lo, 0.3, training=tr)))
    return points


INPLACE_ENTRY_POINTS = _inplace_entry_points()


@pytest.mark.parametrize("call", [c for _, c in INPLACE_ENTRY_POINTS],
                         ids=[name for name, _ in INPLACE_ENTRY_POINTS])
def test_every_inplace_entry_point_bumps_the_version(call, device):
    """Without autograd (a plain tensor, or one that requires grad under no_grad) the version
    counter moves; with autograd, the result is the input, its history is the op's
    (``mark_dirty``) and a tensor saved before the write is refused in backward, as torch."""
    for make in (lambda: torch.randn(4, 6, device=device),
                 lambda: torch.randn(4, 6, device=device, requires_grad=True)):
        x = make()
        before = x._version
        with torch.no_grad():
            assert call(x) is x
        assert x._version > before
    leaf = torch.randn(4, 6, device=device, requires_grad=True)
    h = leaf * 1.5
    saved_before = h.sin()  # saves h
    before = h._version
    out = call(h)
    assert out is h and h._version > before
    assert type(h.grad_fn).__name__ != "MulBackward0"  # the in-place op's node, not the mul's
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved_before.sum().backward()


@pytest.mark.parametrize("call", [c for _, c in INPLACE_ENTRY_POINTS],
                         ids=[name for name, _ in INPLACE_ENTRY_POINTS])
def test_inplace_on_a_slice_leaves_the_rest_of_the_storage_alone(call, device):
    """In place on one row of a matrix (a contiguous view inside a larger storage, the flat
    kernels' case): the rows before and after it are not written."""
    base = torch.randn(3, 50, device=device)
    before = base.clone()
    row = base[1]
    assert call(row) is row
    assert torch.equal(base[0], before[0]) and torch.equal(base[2], before[2])
    assert not torch.equal(base[1], before[1])


# --- what torch keeps ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.bool, torch.complex64])
@pytest.mark.parametrize(("spec", "params"), op_params())
def test_non_float_inputs_behave_as_torch(spec, params, dtype, device, launches):
    x = torch.tensor([-2, 0, 3], device=device).to(dtype)
    outcomes = []
    for fn in (getattr(TF, spec.name), spec.torch_fn):
        try:
            outcomes.append(fn(x, **params))
        except Exception as error:
            outcomes.append(type(error))
    if isinstance(outcomes[1], type):
        assert outcomes[0] is outcomes[1]
    else:
        torch.testing.assert_close(outcomes[0], outcomes[1], equal_nan=True)
    assert launches == []


def test_cpu_without_interpreter_falls_back_to_torch():
    code = (
        "import torch, tritonact.functional as TF, tritonact.nn as tnn\n"
        "from tritonact.autograd.launch import launch_hooks\n"
        "seen = []; launch_hooks.append(seen.append)\n"
        "x = torch.randn(10, requires_grad=True)\n"
        "y = TF.gelu(x, approximate='tanh') + tnn.SiLU()(x)\n"
        "y.sum().backward()\n"
        "ref = torch.nn.functional.gelu(x, approximate='tanh') + torch.nn.functional.silu(x)\n"
        "assert torch.equal(y, ref) and seen == [], seen\n"
        "print('ok')\n"
    )
    env = {**os.environ, "TRITON_INTERPRET": "0", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# --- launches and layouts -------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "params"), op_params())
def test_one_launch_each_way(spec, params, device, launches):
    fn = getattr(TF, spec.name)
    for x in (torch.randn(37, 5, device=device),
              torch.randn(5, 37, device=device).t(),
              torch.randn(2, 3, 4, 5, device=device).contiguous(memory_format=torch.channels_last),
              torch.randn(37, 10, device=device)[:, ::2]):
        x.requires_grad_()
        launches.clear()
        y = fn(x, **params)
        assert launches in (["elementwise.forward"], ["elementwise.forward_strided"]), launches
        y.sum().backward()  # an expanded (stride 0) upstream gradient
        assert len(launches) == 2 and launches[1].startswith("elementwise.backward"), launches


def test_dense_layouts_take_the_flat_kernel_and_keep_their_strides(device, launches):
    x = torch.randn(2, 3, 4, 5, device=device).contiguous(memory_format=torch.channels_last)
    for view in (x, x.permute(3, 1, 0, 2), x.transpose(0, 1)):
        launches.clear()
        y = TF.silu(view)
        assert launches == ["elementwise.forward"] and y.stride() == view.stride()
        launches.clear()
        view = view.detach().requires_grad_()
        y = TF.silu(view)
        y.backward(torch.randn_like(y))  # gradient in the same layout: flat backward
        assert launches == ["elementwise.forward", "elementwise.backward"]


def test_more_than_four_uncoalescable_dims(device):
    base = torch.randn(3, 4, 5, 6, 7, 8, dtype=torch.float64, device=device)
    x = base.permute(5, 3, 1, 0, 2, 4)[::2, :, ::2, :, ::3]
    assert OPS["mish"].check({}, x) is None


def test_wide_index_path(device, monkeypatch):
    """The int64 index path (taken past 2**31 elements) computes the same results."""
    import tritonact.autograd.elementwise as ew

    monkeypatch.setattr(ew, "INT32_LIMIT", 64)
    for x in (torch.randn(1000, device=device), torch.randn(40, 50, device=device)[:, ::3]):
        assert OPS["gelu"].check({"approximate": "tanh"}, x) is None


def test_fp64_parameters_are_not_rounded_to_fp32(device):
    x = torch.randn(100, dtype=torch.float64, device=device)
    for spec, params in ((OPS["leaky_relu"], {"negative_slope": 0.1}),
                         (OPS["elu"], {"alpha": 0.3}),
                         (OPS["softplus"], {"beta": 0.7, "threshold": 3.3})):
        torch.testing.assert_close(getattr(TF, spec.name)(x, **params),
                                   spec.torch_fn(x, **params), rtol=1e-13, atol=1e-15)


# --- torch.compile ------------------------------------------------------------------------------


def test_torch_compile_fullgraph_forward_and_backward(device):
    torch._dynamo.reset()
    model = torch.nn.Sequential(
        torch.nn.Linear(8, 16), tnn.GELU(approximate="tanh"), tnn.LeakyReLU(0.2, inplace=True),
        torch.nn.Linear(16, 16), tnn.Softplus(beta=2.0), tnn.Hardtanh(-0.5, 0.5),
        tnn.PReLU(16), tnn.RReLU(0.1, 0.3),
    ).to(device).eval()  # RReLU's eval mode; its random training mode: tests/test_learnable.py
    x = torch.randn(4, 8, device=device)
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(x)
    out.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    expected = model(x)
    expected.sum().backward()
    torch.testing.assert_close(out, expected)
    for got, want in zip(grads, (p.grad for p in model.parameters())):
        torch.testing.assert_close(got, want)
