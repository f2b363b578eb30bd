"""The switch under Inductor (``tritonact.integrations.switch.rewrite``): while the switch is
on, Inductor's pre-grad pass puts a model's inline activation calls on tritonact's kernels and
fuses ``act(a) * b`` into the gated two-tensor call."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch._inductor import config

import tritonact
from tritonact.integrations.switch import rewrite


def inline(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Activations as model code writes them: functions, builtins, methods, gated products in
    both orders (nothing else, so that Inductor has no code of its own to build)."""
    return (torch.tanh(x).softmax(-1), F.silu(x) * y, y * F.gelu(x, approximate="tanh"),
            F.log_softmax(x, dim=0), torch.relu(y))


def test_inline_activations_run_tritonacts_kernels_under_inductor(launches):
    torch.manual_seed(0)
    x = torch.randn(4, 8, requires_grad=True)
    y = torch.randn(4, 8, requires_grad=True)
    expected = inline(x, y)
    expected_grads = torch.autograd.grad(sum(t.square().sum() for t in expected), (x, y))
    torch._dynamo.reset()
    with tritonact.use():
        compiled = torch.compile(inline, backend="inductor", fullgraph=True)
        launches.clear()
        out = compiled(x, y)
        assert sorted(launches) == sorted(["elementwise.forward", "rowwise.forward",
                                           "gated.forward", "gated.forward", "rowwise.forward",
                                           "elementwise.forward"])
        launches.clear()
        grads = torch.autograd.grad(sum(t.square().sum() for t in out), (x, y))
        assert sorted(launches) == sorted(name.replace("forward", "backward") for name in [
            "elementwise.forward", "rowwise.forward", "gated.forward", "gated.forward",
            "rowwise.forward", "elementwise.forward"])
    for got, want in zip((*out, *grads), (*expected, *expected_grads)):
        torch.testing.assert_close(got, want)
    assert config.pre_grad_custom_pass is None  # leaving use() restores Inductor's config


def captured(fn, *args) -> tuple[torch.fx.GraphModule, list]:
    """The graph dynamo hands a backend (what the pre-grad pass sees) and its inputs, in the
    graph's order."""
    graphs = []

    def backend(gm, example_inputs):
        graphs.append((gm, example_inputs))
        return gm.forward

    torch._dynamo.reset()
    torch.compile(fn, backend=backend, fullgraph=True)(*args)
    return graphs[0]


def targets(gm: torch.fx.GraphModule) -> list[str]:
    return [getattr(n.target, "__name__", str(n.target)) for n in gm.graph.nodes
            if n.op in ("call_function", "call_method")]


ALL = frozenset(tritonact.integrations.switch.covered_ops())


def test_what_the_pass_leaves_to_inductor():
    """Broadcast or promoted products, an activation used twice or in place are not fused; an
    integer tensor and a call whose arguments tritonact's function does not take (aten's elu
    with a ``scale``) are not rewritten."""

    def f(x, v, n, h):
        broadcast = F.silu(x) * v                      # [4, 8] * [8]
        promoted = F.relu(h) * x                       # fp16 * fp32
        twice = F.gelu(x)
        used_twice = twice * x + twice
        in_place = F.relu(x.clone(), inplace=True) * x
        integer = torch.relu(n)                        # int64: torch's
        scaled = torch._C._nn.elu(x, 1.0, 2.0, 1.0)    # scale=2: no tritonact parameter
        return broadcast, promoted, used_twice, in_place, integer, scaled

    args = (torch.randn(4, 8), torch.randn(8), torch.arange(32).reshape(4, 8),
            torch.randn(4, 8).half())
    gm, graph_args = captured(f, *args)
    assert rewrite.rewrite(gm.graph, ALL) == 4
    gm.recompile()
    names = targets(gm)
    assert sorted(n for n in names if n.startswith("tritonact_")) == [
        "tritonact_gelu", "tritonact_relu", "tritonact_relu", "tritonact_silu"]
    assert names.count("relu") == 1 and names.count("elu") == 1  # the integer relu, aten's elu
    for got, want in zip(gm(*graph_args), f(*args)):
        torch.testing.assert_close(got, want)


def test_only_the_selected_ops_are_rewritten_and_products_fused():
    def f(x, y):
        return torch.tanh(x), F.gelu(x) * y, y * F.relu(x), F.softmax(x, -1, dtype=torch.float64)

    args = (torch.randn(3, 5), torch.randn(3, 5))
    gm, graph_args = captured(f, *args)
    assert rewrite.rewrite(gm.graph, ALL - {"tanh"}) == 3
    gm.recompile()
    names = targets(gm)
    assert "tanh" in names and "tritonact_tanh" not in names
    assert {"tritonact_gelu_mul", "tritonact_relu_mul", "tritonact_softmax"} <= set(names)
    assert "tritonact_gelu" not in names and "tritonact_relu" not in names
    for got, want in zip(gm(*graph_args), f(*args)):
        torch.testing.assert_close(got, want)


def test_a_users_own_pre_grad_pass_runs_first_and_comes_back():
    seen = []

    def own(graph):
        seen.append(graph)

    config.pre_grad_custom_pass = own
    try:
        with tritonact.use(include=["gelu"]):
            installed = config.pre_grad_custom_pass
            assert isinstance(installed, rewrite.InlineActivations)
            assert installed.ops == {"gelu"} and installed.previous is own
            assert installed.uuid() is None  # the user's pass has none: Inductor skips its cache
            installed(torch.fx.Graph())
            assert len(seen) == 1
        assert config.pre_grad_custom_pass is own
    finally:
        config.pre_grad_custom_pass = None
    with tritonact.use():
        assert config.pre_grad_custom_pass.uuid() is not None


@pytest.mark.exhaustive
@pytest.mark.parametrize("name", ["mixtral", "gemma2"])
def test_patched_models_under_inductor_with_the_switch_run_every_activation(name, launches):
    """Issue 19: patch plus the switch puts every activation of these models on tritonact's
    kernels under Inductor too (the router's softmax, Gemma2's soft-capping tanh and eager
    attention softmax are inline calls)."""
    import copy

    from tests.test_models import ARCHS, assert_matches, inputs, run, tiny

    model = copy.deepcopy(tiny(name))
    ids, grad = inputs(2)
    reference = run(model, ids, grad)
    tritonact.patch(model)
    launches.clear()
    with tritonact.use():
        run(model, ids, grad)
        eager = sorted(launches)
        torch._dynamo.reset()
        launches.clear()
        got = run(torch.compile(model, backend="inductor"), ids, grad)
    assert len(eager) > len(ARCHS[name].launches)  # the inline calls are switched eagerly
    assert sorted(launches) == eager
    assert_matches(got, reference)
