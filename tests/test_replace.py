"""replace_activations: every torch.nn activation tritonact implements, at any depth, swapped for
tritonact's subclass with nothing else changed."""

import copy
import logging

import pytest
import torch
from torch import nn

import tritonact
import tritonact.nn as tnn
from tritonact.integrations.replace import replacements


class Block(nn.Module):
    """A custom module holding activations as attributes, one of them used twice."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)
        self.act = nn.SiLU()
        self.gate = nn.Hardtanh(-2.0, 0.5, inplace=True)

    def forward(self, x):
        return self.gate(self.act(self.proj(self.act(x))))


class MyReLU(nn.ReLU):
    """A user's subclass: its forward is its own, so it must stay."""

    def forward(self, input):
        return super().forward(input) + 1


def build() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 6), nn.ReLU(inplace=True),
        nn.ModuleList([nn.GELU(approximate="tanh"), nn.Sequential(nn.LeakyReLU(0.2), Block())]),
        nn.ModuleDict({"elu": nn.ELU(0.5), "soft": nn.Softplus(2.0, 10.0), "mine": MyReLU()}),
        nn.Threshold(0.1, -2.0), nn.Mish(), nn.Softmax(dim=1), nn.Identity(),
    )


def run(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    x = model[1](model[0](x))
    x = model[2][1](model[2][0](x))
    x = model[3]["mine"](model[3]["soft"](model[3]["elu"](x)))
    return model[7](model[6](model[5](model[4](x))))


def test_swaps_at_any_depth_and_keeps_everything_else(device, launches, caplog):
    torch.manual_seed(0)
    model = build().to(device=device, dtype=torch.float64).eval()
    reference = copy.deepcopy(model)
    seen = []
    hook = model[2][1][1].act.register_forward_hook(lambda *_: seen.append("hook"))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    before = {name: (type(m), dict(vars(m)), repr(m)) for name, m in model.named_modules()}
    with caplog.at_level(logging.INFO, logger="tritonact"):
        assert tritonact.replace_activations(model) is model
    changed = {name for name, m in model.named_modules() if type(m) is not before[name][0]}
    assert changed == {"1", "2.0", "2.1.0", "2.1.1.act", "2.1.1.gate", "3.elu", "3.soft", "4",
                       "5", "6"}
    for name, m in model.named_modules():
        cls, attrs, text = before[name]
        if name in changed:
            assert type(m) is getattr(tnn, cls.__name__) and isinstance(m, cls)
        assert vars(m) == attrs and repr(m) == text  # hyperparameters, training, hooks
    assert type(model[3]["mine"]) is MyReLU and not model.training
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert "2.1.1.act (SiLU)" in caplog.text and "replaced 10 activation module(s)" in caplog.text

    x = torch.randn(3, 4, device=device, dtype=torch.float64)
    got = run(model, x)
    assert seen == ["hook", "hook"] and launches
    torch.testing.assert_close(got, run(reference, x))
    hook.remove()

    launches.clear()
    assert tritonact.replace_activations(model) is model  # idempotent
    assert {name for name, m in model.named_modules() if type(m) is not before[name][0]} == changed


def test_include_and_exclude_take_names_and_classes():
    def types(model):
        return [type(m).__module__ for m in model if not isinstance(m, nn.Linear)]

    make = lambda: nn.Sequential(nn.ReLU(), nn.GELU(), nn.Linear(2, 2), nn.Sigmoid())
    assert types(tritonact.replace_activations(make(), include=["relu", nn.Sigmoid])) == [
        "tritonact.nn", "torch.nn.modules.activation", "tritonact.nn"]
    assert types(tritonact.replace_activations(make(), exclude=["GELU"])) == [
        "tritonact.nn", "torch.nn.modules.activation", "tritonact.nn"]
    leaky = nn.Sequential(nn.LeakyReLU(), nn.ReLU())
    assert types(tritonact.replace_activations(leaky, include=["leaky_relu"])) == [
        "tritonact.nn", "torch.nn.modules.activation"]
    assert types(tritonact.replace_activations(make(), exclude=[tnn.ReLU])) == [
        "torch.nn.modules.activation", "tritonact.nn", "tritonact.nn"]
    root = tritonact.replace_activations(nn.Tanh())  # the model itself may be an activation
    assert type(root) is tnn.Tanh
    with pytest.raises(ValueError, match="no replacement"):
        tritonact.replace_activations(make(), include=["swish"])
    with pytest.raises(ValueError, match="no replacement"):
        tritonact.replace_activations(make(), exclude=[nn.Linear])


def test_the_table_is_every_tritonact_subclass_of_torch():
    """Built from tritonact.nn.__all__: a module added to the registry (PReLU, RReLU) is
    replaced with no change to replace.py."""
    expected = {getattr(nn, name): getattr(tnn, name) for name in tnn.__all__
                if getattr(nn, name, None) is getattr(tnn, name).__bases__[0]}
    assert replacements() == expected
    assert {nn.ReLU, nn.GELU, nn.Softmax, nn.Softmax2d, nn.GLU, nn.SELU} <= set(expected)


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
def test_every_replacement_keeps_its_parameters_and_buffers(device):
    """Each replaceable class, default-constructed where it can be: its Parameters and buffers
    (PReLU's weight) are the same objects after the swap, and it computes torch's result (in
    eval mode, where RReLU's slope is fixed)."""
    x = torch.randn(2, 4, 6, 6, device=device)
    for torch_cls, ours in replacements().items():
        try:
            module = torch_cls().to(device)
        except TypeError:  # Threshold needs its two arguments
            module = torch_cls(0.1, 2.0).to(device)
        module.eval()
        tensors = [*module.parameters(), *module.buffers()]
        expected = module(x.clone())
        assert tritonact.replace_activations(module) is module and type(module) is ours
        assert not module.training
        assert [*module.parameters(), *module.buffers()] == tensors
        assert all(a is b for a, b in zip([*module.parameters(), *module.buffers()], tensors))
        torch.testing.assert_close(module(x.clone()), expected, rtol=1e-5, atol=1e-5)


def test_modules_under_cpu_autocast_return_torchs_dtypes():
    model = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 8), nn.Softplus(),
                          nn.LogSoftmax(-1))
    converted = tritonact.replace_activations(copy.deepcopy(model))
    x = torch.randn(3, 8)
    with torch.autocast("cpu", torch.bfloat16):
        for i in range(1, len(model) + 1):
            assert converted[:i](x).dtype == model[:i](x).dtype
        torch._dynamo.reset()  # the autocast probe traces without a graph break
        compiled = torch.compile(converted, fullgraph=True, backend="eager")
        assert compiled(x).dtype == model(x).dtype


def test_prelu_keeps_its_weight_parameter_and_trains(device, launches):
    """PReLU's weight is the Parameter an optimizer already holds: after the swap the same object
    gets tritonact's gradient and the optimizer's update."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.PReLU(4), nn.Flatten(), nn.RReLU()).to(device)
    reference = copy.deepcopy(model)
    weight = model[1].weight
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    tritonact.replace_activations(model)
    assert type(model[1]) is tnn.PReLU and model[1].weight is weight
    assert type(model[3]) is tnn.RReLU and model.training
    model.eval(), reference.eval()  # RReLU's slope fixed, so that the two models agree
    x = torch.randn(2, 3, 5, 5, device=device)
    for net in (model, reference):
        net(x).square().sum().backward()
    assert "prelu.backward" in launches
    torch.testing.assert_close(weight.grad, reference[1].weight.grad)
    before = weight.detach().clone()
    optimizer.step()
    torch.testing.assert_close(weight.detach(), before - 0.1 * reference[1].weight.grad)
