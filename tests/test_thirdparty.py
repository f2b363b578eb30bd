"""Other libraries' activation classes in ``replace_activations`` (and ``patch``): Hugging
Face's real classes, timm's through stand-ins (timm cannot be installed beside the CPU torch
build: its torchvision wheel is a CUDA build), a user's own through ``extra=``, and the warning
when nothing was replaced."""

from __future__ import annotations

import copy
import logging

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import tritonact
import tritonact.nn as tnn
from tritonact.integrations.thirdparty import THIRD_PARTY, qualified_name

activations = pytest.importorskip("transformers.activations")


# --- timm's classes, as timm.layers.activations defines them (same module path, name, forward)


def _timm(cls: type) -> type:
    cls.__module__ = "timm.layers.activations"
    return cls


@_timm
class GELU(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input):
        return F.gelu(input)


@_timm
class GELUTanh(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input):
        return F.gelu(input, approximate="tanh")


@_timm
class QuickGELU(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, input):
        return input * torch.sigmoid(1.702 * input)


@_timm
class Sigmoid(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return x.sigmoid_() if self.inplace else x.sigmoid()


@_timm
class Tanh(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return x.tanh_() if self.inplace else x.tanh()


@_timm
class PReLU(nn.PReLU):
    def __init__(self, num_parameters: int = 1, init: float = 0.25, inplace: bool = False):
        super().__init__(num_parameters=num_parameters, init=init)

    def forward(self, input):
        return F.prelu(input, self.weight)


TIMM = [GELU, GELUTanh, QuickGELU, Sigmoid, Tanh, PReLU]
HF = [activations.SiLUActivation, activations.GELUActivation, activations.GELUTanh,
      activations.NewGELUActivation, activations.FastGELUActivation,
      activations.QuickGELUActivation, activations.MishActivation,
      activations.ReLUSquaredActivation, activations.AccurateGELUActivation]
#: Classes whose tritonact module computes the same formula in another rounding order.
TANH_FORMULA = {activations.NewGELUActivation, activations.FastGELUActivation,
                activations.AccurateGELUActivation}
#: Classes mapped to an op another branch adds: replaced when tritonact.nn has it.
OPTIONAL = {activations.QuickGELUActivation: "QuickGELU", QuickGELU: "QuickGELU",
            activations.ReLUSquaredActivation: "ReLUSquared"}


def test_the_table_covers_every_listed_class():
    assert {qualified_name(cls) for cls in HF + TIMM} <= set(THIRD_PARTY)


@pytest.mark.parametrize("cls", HF + TIMM, ids=lambda cls: qualified_name(cls).split(".", 1)[0]
                         + "." + cls.__name__)
def test_each_class_is_replaced_by_a_tritonact_module_that_matches(cls, launches):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 6), cls(4) if cls is PReLU else cls(), nn.Linear(6, 6))
    original = model[1]
    reference = copy.deepcopy(model)
    available = getattr(tnn, OPTIONAL.get(cls, "GELU"), None) is not None
    assert tritonact.replace_activations(model) is model
    if not available:  # tritonact.nn lacks the op here: left as it is, said why
        assert model[1] is original
        _, result = tritonact.integrations.replace.replace(model)
        assert "this tritonact has no" in result.skipped[0][2]
        return
    assert type(model[1]).__module__ == "tritonact.nn" and model[1] is not original
    x = torch.randn(3, 4, 6, requires_grad=True)
    launches.clear()
    y = model(x.clone())
    y.square().sum().backward()
    assert len(launches) == 2, launches  # one kernel each way
    x_ref = x.detach().clone().requires_grad_()
    expected = reference(x_ref.clone())
    expected.square().sum().backward()
    tolerance = dict(rtol=4e-6, atol=1e-6) if cls in TANH_FORMULA else {}
    torch.testing.assert_close(y, expected, **tolerance)
    torch.testing.assert_close(x.grad, x_ref.grad, **tolerance)
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad, **tolerance)


def test_gelu_tanh_formula_classes_say_their_result_changes_by_an_ulp():
    model = nn.Sequential(activations.NewGELUActivation(), activations.GELUTanh(),
                          activations.GELUTanh(use_gelu_tanh_python=True))
    model, result = tritonact.integrations.replace.replace(model)
    assert [type(r.new) for r in result.replaced] == [tnn.GELU] * 3
    assert all(r.new.approximate == "tanh" for r in result.replaced)
    assert ["ulp" in r.note for r in result.replaced] == [True, False, True]


def test_gelu_python_formula_is_left_with_a_warning(caplog):
    model = nn.Sequential(nn.Linear(2, 2), activations.GELUActivation(use_gelu_python=True))
    with caplog.at_level(logging.INFO, logger="tritonact"):
        tritonact.replace_activations(model)
    assert type(model[1]) is activations.GELUActivation
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "erf formula in Python" in warnings[0].getMessage()


def test_unknown_activation_classes_warn_and_extra_maps_them(caplog, launches):
    class MySwishActivation(nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(x)

    model = nn.Sequential(nn.Linear(3, 3), MySwishActivation())
    with caplog.at_level(logging.INFO, logger="tritonact"):
        tritonact.replace_activations(model)
    assert any(r.levelno == logging.WARNING and "MySwishActivation" in r.getMessage()
               and "extra=" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="extra="):
        tritonact.replace_activations(model, include=[MySwishActivation])
    tritonact.replace_activations(model, extra={MySwishActivation: lambda m: tnn.SiLU()})
    assert type(model[1]) is tnn.SiLU
    launches.clear()
    model(torch.randn(2, 3))
    assert launches == ["elementwise.forward"]


def test_include_exclude_name_third_party_classes():
    make = lambda: nn.Sequential(activations.SiLUActivation(), activations.NewGELUActivation(),
                                 nn.ReLU(), GELU())
    kinds = lambda model: [type(m).__module__.split(".")[0] for m in model]
    assert kinds(tritonact.replace_activations(make(), include=["NewGELUActivation"])) == [
        "transformers", "tritonact", "torch", "timm"]
    assert kinds(tritonact.replace_activations(make(), include=[activations.SiLUActivation])) \
        == ["tritonact", "transformers", "torch", "timm"]
    # "gelu" is torch's GELU and timm's GELU (a class of that name)
    assert kinds(tritonact.replace_activations(make(), include=["gelu", "relu"])) == [
        "transformers", "transformers", "tritonact", "tritonact"]
    assert kinds(tritonact.replace_activations(
        make(), exclude=["transformers.activations.SiLUActivation"])) == [
        "transformers", "tritonact", "tritonact", "tritonact"]


def test_a_module_held_twice_is_replaced_in_both_slots_and_timm_prelu_keeps_its_weight():
    shared = activations.SiLUActivation()
    prelu = PReLU(3)
    model = nn.Sequential(nn.Linear(3, 3), shared, nn.ModuleList([shared, prelu]))
    weight = prelu.weight
    tritonact.replace_activations(model)
    assert model[1] is model[2][0] and type(model[1]) is tnn.SiLU
    assert type(model[2][1]) is tnn.PReLU and model[2][1].weight is weight
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.1.weight"]
    root = tritonact.replace_activations(activations.MishActivation())  # the model itself
    assert type(root) is tnn.Mish


def test_patch_replaces_and_unpatch_puts_the_objects_back():
    act = activations.GELUTanh()
    model = nn.Sequential(nn.Linear(3, 3), act, nn.Tanh(), Sigmoid(inplace=True))
    x = torch.randn(2, 3)
    expected = model(x)
    report = tritonact.patch(model)
    assert sorted(a[1] for a in report.activations) == ["GELUTanh", "Sigmoid", "Tanh"]
    assert type(model[1]) is tnn.GELU and type(model[2]) is tnn.Tanh
    torch.testing.assert_close(model(x), expected)
    assert tritonact.patch(model).changed == 0
    tritonact.unpatch(model)
    assert model[1] is act and type(model[2]) is nn.Tanh and type(model[3]) is Sigmoid
    assert torch.equal(model(x), expected)


def test_ops_from_elsewhere_are_looked_up_when_converting(monkeypatch):
    """quick_gelu and relu_squared come from another branch: the table finds
    tritonact.nn.QuickGELU / ReLUSquared by name at conversion time."""

    class Stand(nn.Module):
        def forward(self, x):
            return x

    for name, cls in (("QuickGELU", activations.QuickGELUActivation),
                      ("ReLUSquared", activations.ReLUSquaredActivation)):
        monkeypatch.setattr(tnn, name, Stand, raising=False)
        model = tritonact.replace_activations(nn.Sequential(cls()))
        assert type(model[0]) is Stand


def test_neither_transformers_nor_timm_is_imported(monkeypatch):
    """The table matches class names: patching a model never imports either library (checked
    with both unloaded and their import refused while patch runs)."""
    import importlib.abc
    import sys

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("transformers", "timm"):
                raise AssertionError(f"tritonact imported {name}")
            return None

    for name in [n for n in sys.modules if n.split(".")[0] in ("transformers", "timm")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [Refuse(), *sys.meta_path])
    model = nn.Sequential(nn.Linear(2, 2), nn.GELU(), Sigmoid(), nn.Linear(2, 2))
    report = tritonact.patch(model)
    assert report.changed == 2
    tritonact.unpatch(model)


class StarReLU(nn.Module):
    """MetaFormer's StarReLU as timm.models.metaformer defines it (module path, name, forward)."""

    def __init__(self, scale_value=1.0, bias_value=0.0, scale_learnable=True,
                 bias_learnable=True, mode=None, inplace=False):
        super().__init__()
        self.inplace = inplace
        self.relu = nn.ReLU(inplace=inplace)
        self.scale = nn.Parameter(scale_value * torch.ones(1), requires_grad=scale_learnable)
        self.bias = nn.Parameter(bias_value * torch.ones(1), requires_grad=bias_learnable)

    def forward(self, x):
        return self.scale * self.relu(x) ** 2 + self.bias


StarReLU.__module__ = "timm.models.metaformer"


@pytest.mark.parametrize("make", [lambda: activations.XIELUActivation(dtype=torch.float32),
                                  lambda: activations.XIELUActivation(0.5, 1.2),  # bf16 weights
                                  lambda: StarReLU(0.8944, -0.4472, inplace=True)],
                         ids=["xielu", "xielu-bf16", "star_relu"])
def test_learnable_scalar_classes_keep_their_parameters_and_train_the_same(make, launches):
    """Hugging Face's XIELUActivation and MetaFormer's StarReLU: the same Parameter objects
    (and buffers) in tritonact's module, selected by ``ACT2FN``'s name or the op's, the same
    results and parameter gradients, one kernel each way."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 6), make(), nn.Linear(6, 6))
    original = model[1]
    kept = dict(original.named_parameters())
    reference = copy.deepcopy(model)
    name = "star_relu" if isinstance(original, StarReLU) else "xielu"
    assert tritonact.replace_activations(model, exclude=[name])[1] is original
    _, result = tritonact.integrations.replace.replace(model, include=[name])
    assert type(model[1]) is getattr(tnn, "StarReLU" if name == "star_relu" else "XIELU")
    assert dict(model[1].named_parameters()) == kept  # the same objects
    assert model.state_dict().keys() == reference.state_dict().keys()
    assert [r.new for r in result.replaced] == [model[1]]
    assert ("relu(x)" in result.replaced[0].note) == (name == "star_relu")
    x = torch.randn(3, 4, 6)
    launches.clear()
    y = model(x)
    y.square().sum().backward()
    assert launches == ["parametric.forward", "parametric.backward"]
    expected = reference(x)
    expected.square().sum().backward()
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=1e-5)
    for (n, p), q in zip(model.named_parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-4, msg=n)
