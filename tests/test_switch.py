"""The global switch: tritonact's kernels behind torch's own aten operators, torch's own kernels
for everything they cannot serve exactly, and torch restored exactly when it is off."""

import pytest
import torch
import torch.nn.functional as F

import tritonact
from tritonact.checks import verify
from tritonact.core.testing import scalar_path_copy
from tritonact.integrations import switch


@pytest.fixture(autouse=True)
def switch_off():
    """Every test starts and ends with the switch off."""
    switch.disable()
    yield
    switch.disable()


@pytest.fixture
def served():
    """The aten operators the switch computed while the test runs."""
    names: list[str] = []
    switch.served_hooks.append(names.append)
    yield names
    switch.served_hooks.remove(names.append)


def test_every_override_matches_torch_and_is_reached(device):
    checks = verify.check_overrides(device, [torch.float32, torch.bfloat16])
    problems = [f"{c.op} [{c.params}] {c.dtype}: {c.problem}" for c in checks if c.problem]
    assert not problems, "\n".join(problems)
    reached = {aten for c in checks for aten in c.served}
    assert reached == {o.aten for o in switch.OVERRIDES}
    assert {"relu", "gelu", "silu", "sigmoid", "tanh", "elu", "leaky_relu", "hardswish",
            "hardsigmoid", "softplus", "mish", "softmax", "log_softmax"} <= set(
        switch.covered_ops())


def test_torch_calls_launch_kernels_both_ways(device, launches, served):
    x = torch.randn(6, 5, device=device, requires_grad=True)
    with tritonact.use():
        F.gelu(x, approximate="tanh").sum().backward()
        assert served == ["gelu", "gelu_backward"]
        assert launches[0] == "elementwise.forward" and launches[1].startswith(
            "elementwise.backward")
        served.clear()
        launches.clear()
        x.grad = None
        torch.softmax(x.relu(), -1).backward(torch.randn(6, 5, device=device))
        assert served == ["relu", "_softmax", "_softmax_backward_data", "threshold_backward"]
        assert launches == ["elementwise.forward", "rowwise.forward", "rowwise.backward",
                            "elementwise.backward"]


def test_results_match_torch_through_the_public_calls(device, served):
    x = torch.randn(4, 9, device=device, dtype=torch.float64)
    calls = [lambda t: t.sigmoid(), torch.tanh, F.silu, F.mish, F.hardswish, F.hardsigmoid,
             lambda t: F.leaky_relu(t, 0.2), lambda t: F.elu(t, 0.7), F.selu,
             lambda t: F.celu(t, 1.5), F.relu6, lambda t: F.softplus(t, 2.0, 3.0),
             lambda t: F.log_softmax(t, 0), lambda t: F.softmin(t, 1), lambda t: F.glu(t, 0)]
    expected = [call(x) for call in calls]
    with tritonact.use():
        for call, want in zip(calls, expected):
            torch.testing.assert_close(call(x), want, rtol=1e-12, atol=1e-14)
    # every call reached a switched operator (softmin's aten part is _softmax)
    assert set(served) == {"sigmoid", "tanh", "silu", "mish", "hardswish", "hardsigmoid",
                           "leaky_relu", "elu", "hardtanh", "softplus", "_log_softmax",
                           "_softmax", "glu"}


def test_in_place_forms_mutate_their_input(device, served):
    x = torch.randn(40, device=device)
    expected = F.leaky_relu(x, 0.3)
    with tritonact.use():
        y = x.clone()
        out = F.leaky_relu(y, 0.3, inplace=True)
        assert out is y and served == ["leaky_relu_"]
        torch.testing.assert_close(y, expected, rtol=0, atol=0)
        for fn in (torch.relu_, F.silu, F.hardswish):
            y = x.clone()
            fn(y, inplace=True) if fn is not torch.relu_ else fn(y)
        assert served[1:] == ["relu_", "silu_", "hardswish_"]


def _torch_bits(call):
    """torch's result (switch off), or its error."""
    try:
        return call()
    except Exception as error:  # the error is the result to compare
        return error


def test_output_layouts_are_torchs(device):
    """aten's elementwise outputs keep a dense input's layout; its softmax output is contiguous
    whatever the input's layout; gradients follow."""
    base = torch.randn(2, 3, 4, 5, device=device)
    layouts = [base.transpose(1, 3), base.contiguous(memory_format=torch.channels_last),
               base[:, :, ::2], torch.randn(3, 1, 4, 1, device=device).expand(3, 5, 4, 2)]
    calls = [torch.relu, F.gelu, lambda t: F.softmax(t, 1), lambda t: F.log_softmax(t, 3),
             lambda t: F.glu(t, 2)]
    for x in layouts:
        for call in calls:
            leaf = x.detach().requires_grad_()
            expected = call(leaf)
            (expected_grad,) = torch.autograd.grad(expected.sum(), leaf)
            with tritonact.use():
                got = call(leaf)
                (grad,) = torch.autograd.grad(got.sum(), leaf)
            assert got.stride() == expected.stride() and grad.stride() == expected_grad.stride()
            torch.testing.assert_close(got, expected)
    # backward operators called with grad_output and the saved tensor in different layouts
    g, t = torch.randn(6, 8, device=device), torch.randn(8, 6, device=device).t()
    for backward in (lambda: torch.ops.aten.gelu_backward(g, t),
                     lambda: torch.ops.aten.sigmoid_backward(g, t),
                     lambda: torch.ops.aten.gelu_backward(g.t().contiguous().t(), t),
                     lambda: torch.ops.aten.threshold_backward(g[:1].expand(6, 8), t, 0.0)):
        expected = backward()
        with tritonact.use():
            got = backward()
        assert got.stride() == expected.stride()
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("case", [
    "int relu", "bool relu", "int threshold", "complex sigmoid", "complex tanh", "sigmoid out=",
    "gelu out=", "gelu erf", "celu alpha=0", "softshrink negative", "int leaky_relu",
    "softmax half_to_float on the CPU", "mixed dtypes in threshold_backward",
    "softshrink lambd=inf", "glu of an odd size",
])
def test_what_the_switch_cannot_serve_is_torchs_own_kernel(case, device, launches, served):
    real = torch.randn(12, device=device)
    calls = {
        "int relu": lambda: torch.relu(torch.arange(-5, 6, device=device)),
        "bool relu": lambda: torch.relu(torch.tensor([True, False], device=device)),
        "int threshold": lambda: F.threshold(torch.arange(-5, 6, device=device), 1, 7),
        "complex sigmoid": lambda: torch.sigmoid(torch.complex(real, real.flip(0))),
        "complex tanh": lambda: torch.tanh(torch.complex(real, real.flip(0))),
        "sigmoid out=": lambda: torch.sigmoid(real, out=torch.empty_like(real)),
        "gelu out=": lambda: torch._C._nn.gelu(real, out=torch.empty_like(real)),
        "gelu erf": lambda: F.gelu(real, approximate="erf"),
        "celu alpha=0": lambda: F.celu(real, 0.0),
        "softshrink negative": lambda: F.softshrink(real, -0.5),
        "softshrink lambd=inf": lambda: F.softshrink(real, float("inf")),
        "glu of an odd size": lambda: F.glu(real[:5]),
        "int leaky_relu": lambda: F.leaky_relu(torch.arange(-5, 6, device=device)),
        "softmax half_to_float on the CPU": lambda: torch._softmax(real.half().cpu(), 0, True),
        "mixed dtypes in threshold_backward": lambda: torch.ops.aten.threshold_backward(
            real.double(), real, 0.0),
    }
    expected = _torch_bits(calls[case])
    with tritonact.use():
        got = _torch_bits(calls[case])
    assert not launches and not served
    if isinstance(expected, Exception):
        assert type(got) is type(expected) and str(got) == str(expected)
    else:
        assert got.dtype == expected.dtype
        assert torch.equal(got, expected) or torch.equal(got.isnan(), expected.isnan())
        assert torch.equal(torch.nan_to_num(got), torch.nan_to_num(expected))


def test_edge_parameters_match_torch(device):
    """Parameters at the registry's edges, served or handed to torch, give torch's results."""
    special = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 0.3, -0.5])
    x = torch.cat([special, torch.randn(40) * 3]).to(device)
    calls = [lambda t: F.hardshrink(t, -0.5), lambda t: F.softplus(t, 0.0),
             lambda t: F.softplus(t, -1.0, 5.0), lambda t: F.softplus(t, 1.0, -1.0),
             lambda t: F.leaky_relu(t, -2.0), lambda t: F.threshold(t, float("nan"), 1.0),
             lambda t: F.hardtanh(t, 0.3, 0.3), lambda t: F.elu(t, 0.0),
             lambda t: F.celu(t, -1.0), lambda t: F.softshrink(t, 0.0),
             lambda t: F.hardtanh(t, float("-inf"), float("inf"))]
    for call in calls:
        expected = {}
        for layout, t in (("same", x.clone()), ("scalar loop", scalar_path_copy(x))):
            t.requires_grad_()
            y = call(t)
            expected[layout] = (y, *torch.autograd.grad(y.sum(), t))
        leaf = x.clone().requires_grad_()
        served: list[str] = []
        switch.served_hooks.append(served.append)
        try:
            with tritonact.use():
                got = call(leaf)
                forward_served = bool(served)
                (grad,) = torch.autograd.grad(got.sum(), leaf)
        finally:
            switch.served_hooks.remove(served.append)
        backward_served = len(served) > forward_served
        # what tritonact serves reads NaN as torch's CUDA kernels (torch's CPU scalar loop);
        # what it hands to torch is torch's own kernel on the same tensor
        for ours, was_served, i in ((got, forward_served, 0), (grad, backward_served, 1)):
            want = expected["scalar loop" if was_served else "same"][i]
            torch.testing.assert_close(ours, want, equal_nan=True)


def test_in_place_elu_backward_from_its_result_is_torchs(device, served):
    """aten::elu_backward(is_result=True), what elu_'s autograd calls, is torch's: tritonact's
    elu kernels read the input."""
    g, y = torch.randn(20, device=device), F.elu(torch.randn(20, device=device), 0.5)
    backward = lambda: torch.ops.aten.elu_backward(g, 0.5, 1.0, 1.0, True, y)
    expected = backward()
    x = torch.randn(20, device=device, requires_grad=True)
    with tritonact.use():
        assert torch.equal(backward(), expected)
        assert not served
        out = F.elu(x * 1.0, alpha=0.5, inplace=True)
        (dx,) = torch.autograd.grad(out.sum(), x)
    assert served == ["elu_"]  # the forward ran our kernel, the backward torch's
    torch.testing.assert_close(dx, torch.where(x > 0, 1.0, 0.5 * x.detach().exp()))


def test_disable_restores_torchs_registrations_exactly(device, launches):
    def dumps():
        return {o.aten: torch._C._dispatch_dump(f"aten::{o.aten}") for o in switch.OVERRIDES}

    before = dumps()
    x = torch.randn(10, device=device)
    expected = torch.relu(x)
    tritonact.enable()
    assert switch.is_enabled() and dumps() != before
    tritonact.disable()
    assert dumps() == before and not switch.is_enabled()
    assert torch.equal(torch.relu(x), expected) and not launches
    with tritonact.use():
        pass
    assert dumps() == before


def test_nesting_repeated_enable_and_include_exclude(device, served):
    x = torch.randn(8, device=device)
    tritonact.enable()
    tritonact.enable()  # the same selection again: nothing changes
    torch.relu(x)
    assert served == ["relu"]
    with tritonact.use(include=["gelu", "selu"]):
        torch.relu(x), F.gelu(x), F.selu(x), F.elu(x)
        assert served[1:] == ["gelu", "elu"]  # selu is aten::elu with selu's constants
        with tritonact.use(exclude=["gelu"]):
            F.gelu(x), torch.sigmoid(x)
            assert served[3:] == ["sigmoid"]
        F.gelu(x)
        assert served[4:] == ["gelu"]
    torch.relu(x)
    assert served[5:] == ["relu"]
    with pytest.raises(RuntimeError), tritonact.use(include=["relu"]):
        raise RuntimeError("leaving by an exception restores the outer state")
    assert switch.active_ops() == frozenset(switch.covered_ops())
    tritonact.disable()
    tritonact.disable()
    torch.relu(x)
    assert served[6:] == []
    with pytest.raises(ValueError, match="no op named"):
        tritonact.enable(include=["softsign"])  # composite: torch has no operator for it


def test_use_blocks_leaving_out_of_order_restore_the_right_state(device):
    """Two blocks that leave in the order they entered (as two threads can): each exit brings
    back the innermost block still open, and the state outside every block at the end."""
    outer, inner = tritonact.use(include=["relu"]), tritonact.use(include=["gelu"])
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    assert switch.active_ops() == {"gelu"}  # the block still open keeps its selection
    inner.__exit__(None, None, None)
    assert not switch.is_enabled()
    tritonact.enable(include=["relu"])
    with tritonact.use(include=["gelu"]):
        tritonact.disable()  # now, and for when the block is left
        assert not switch.is_enabled()
    assert not switch.is_enabled()


def test_use_blocks_three_deep_in_and_out_of_order(device):
    """Three nested blocks: each exit restores the innermost block still open (not the
    outermost, nor the one entered last), whichever order they leave in; enable() inside a
    block changes what is active now and what is restored after the last block."""
    x = torch.randn(8, device=device)
    selections = ({"relu"}, {"gelu"}, {"sigmoid"})
    # in order
    with tritonact.use(include=["relu"]):
        with tritonact.use(include=["gelu"]):
            with tritonact.use(include=["sigmoid"]):
                assert switch.active_ops() == selections[2]
            assert switch.active_ops() == selections[1]
        assert switch.active_ops() == selections[0]
    assert not switch.is_enabled()
    # out of order: every exit order of three blocks
    for order in ((1, 0, 2), (0, 2, 1), (0, 1, 2), (2, 0, 1), (1, 2, 0)):
        blocks = [tritonact.use(include=sorted(s)) for s in selections]
        for block in blocks:
            block.__enter__()
        still_open = [0, 1, 2]
        for i in order:
            blocks[i].__exit__(None, None, None)
            still_open.remove(i)
            expected = selections[still_open[-1]] if still_open else set()
            assert switch.active_ops() == expected, (order, i)
    # enable() inside: active now, and again once every block has been left
    with tritonact.use(include=["relu"]), tritonact.use(include=["gelu"]):
        tritonact.enable(include=["sigmoid"])
        assert switch.active_ops() == {"sigmoid"}
    assert switch.active_ops() == {"sigmoid"}
    launched = []
    switch.served_hooks.append(launched.append)
    try:
        torch.sigmoid(x)
    finally:
        switch.served_hooks.remove(launched.append)
    assert launched == ["sigmoid"]


def test_negative_slope_in_place_backward_is_torchs_error(device, served):
    """leaky_relu_ records its result; torch's leaky_relu_backward refuses a result with a
    negative slope: the switch hands that call to torch (its error), and serves a slope >= 0."""
    def run(slope):
        leaf = torch.randn(12, device=device, requires_grad=True)
        h = leaf * 1.0
        F.leaky_relu_(h, slope)
        try:
            h.backward(torch.ones_like(h))
        except RuntimeError as error:
            return str(error)
        return leaf.grad

    expected = run(-0.5)
    with tritonact.use(include=["leaky_relu"]):
        got = run(-0.5)
        assert "leaky_relu_backward" not in served
        assert isinstance(expected, str) and got == expected
        torch.manual_seed(0)
        got = run(0.2)
    assert served == ["leaky_relu_", "leaky_relu_", "leaky_relu_backward"]
    torch.manual_seed(0)
    torch.testing.assert_close(got, run(0.2))


def test_dtypes_under_cpu_autocast_are_torchs():
    x = torch.randn(4, 6)
    calls = [torch.relu, F.gelu, F.silu, lambda t: F.softmax(t, -1),
             lambda t: F.log_softmax(t, -1), F.softplus, torch.sigmoid, F.mish]
    for dtype in (torch.float32, torch.bfloat16):
        with torch.autocast("cpu", torch.bfloat16):
            expected = [call(x.to(dtype)).dtype for call in calls]
            with tritonact.use():
                got = [call(x.to(dtype)).dtype for call in calls]
        assert got == expected


def test_vmap_over_torch_ops_with_the_switch_on(device, served):
    x = torch.randn(3, 5, device=device)
    with tritonact.use():
        got = torch.func.vmap(F.gelu)(x)
    assert served == ["gelu"]  # vmap's batching rule calls aten::gelu on the whole batch
    torch.testing.assert_close(got, F.gelu(x))


def test_torch_compile_fullgraph_with_the_switch_on(device, served):
    """aot_eager runs the traced aten graph eagerly: the switch serves its operators. (Inductor
    generates its own code for these operators, so the switch neither helps nor hinders it.)"""
    torch._dynamo.reset()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 4),
                                torch.nn.Softmax(-1)).to(device)
    x = torch.randn(5, 8, device=device)
    expected = model(x)
    with tritonact.use():
        got = torch.compile(model, fullgraph=True, backend="aot_eager")(x)
        got.sum().backward()
    torch.testing.assert_close(got, expected)
    assert {"gelu", "_softmax", "_softmax_backward_data", "gelu_backward"} <= set(served)


class _Mixed(torch.nn.Module):
    """Modules (replaced) and torch's own functional calls (switched) in one forward."""

    def __init__(self) -> None:
        super().__init__()
        self.up, self.act, self.down = (torch.nn.Linear(8, 16), torch.nn.SiLU(),
                                        torch.nn.Linear(16, 4))

    def forward(self, x):
        return F.log_softmax(self.down(F.gelu(self.act(self.up(x)))), -1)


def test_inductor_fullgraph_with_replaced_modules_and_the_switch_on(device):
    """The default backend: tritonact's custom ops from the replaced modules stay in the graph;
    the switched aten operators are lowered by inductor to its own code."""
    torch._dynamo.reset()
    torch.manual_seed(0)
    model = _Mixed().to(device)
    x = torch.randn(4, 8, device=device)
    expected = model(x)
    expected.sum().backward()
    expected_grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    tritonact.replace_activations(model)
    with tritonact.use():
        got = torch.compile(model, fullgraph=True)(x)
        got.sum().backward()
    torch.testing.assert_close(got, expected)
    for p, want in zip(model.parameters(), expected_grads):
        torch.testing.assert_close(p.grad, want)


def test_a_shared_aten_operator_serves_every_op_it_computes():
    """aten::elu computes elu, selu and celu; aten::hardtanh hardtanh and relu6: each of those
    ops is served by the operator, its in-place twin and its backward."""
    covered = switch.covered_ops()
    for ops, aten in ((("elu", "selu", "celu"), "elu"), (("hardtanh", "relu6"), "hardtanh")):
        for op in ops:
            assert {aten, f"{aten}_", f"{aten}_backward"} <= set(covered[op]), op


def test_without_a_served_device_the_switch_says_so_and_changes_nothing(monkeypatch, served):
    """No CUDA and no interpreter: nothing is registered, with a warning that names the
    caller's line (enable(), or the ``with`` of use())."""
    monkeypatch.setattr(switch.dispatch, "dispatch_keys", lambda: ())
    before = torch._C._dispatch_dump("aten::relu")
    with pytest.warns(UserWarning, match="nothing to serve here") as caught:
        tritonact.enable()
    assert caught[0].filename == __file__
    assert not switch.is_enabled() and torch._C._dispatch_dump("aten::relu") == before
    tritonact.disable()
    with pytest.warns(UserWarning, match="nothing to serve here") as caught:
        with tritonact.use():
            pass
    assert caught[0].filename == __file__
    assert torch.relu(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0] and not served


def test_gradcheck_and_gradgradcheck_through_the_switch(device, served):
    """torch's own double-backward formula (gelu_backward's derivative) over the switched
    first-order kernels, in fp64."""
    x = (torch.randn(3, 4, dtype=torch.float64, device=device) * 2).requires_grad_()
    with tritonact.use():
        assert torch.autograd.gradcheck(F.gelu, (x,))
        assert torch.autograd.gradgradcheck(F.gelu, (x,))
    assert {"gelu", "gelu_backward"} <= set(served)
