"""The primer's two networks (examples/), in short form."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_loss_curves_agree(capsys):
    result = load("xor").main(["--steps", "20", "--every", "10", "--lr", "0.1"])
    torch_losses, ours = result["torch"], result["tritonact"]
    assert len(torch_losses) == len(ours) == 20 and torch_losses[-1] < torch_losses[0]
    assert ours == pytest.approx(torch_losses, rel=1e-5, abs=1e-6)
    assert result["tritonact_pred"].tolist() == pytest.approx(result["torch_pred"].tolist(),
                                                             rel=1e-5, abs=1e-6)
    out = capsys.readouterr().out
    assert "torch loss  tritonact loss" in out and "largest loss difference" in out
    assert out.count("\n[") == 4  # the four predictions


def test_mlp_every_activation_agrees_with_torch(capsys):
    results = load("mlp").main(["--activation", "all", "--steps", "2", "--batch", "4"])
    assert list(results) == ["relu", "leaky_relu", "elu", "silu", "gelu", "mish", "tanh",
                             "sigmoid"]
    for theirs, ours in results.values():
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)
    out = capsys.readouterr().out
    assert all(f"\n{name:>10}  " in out for name in results)  # a row per activation
