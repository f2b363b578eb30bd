"""``python -m tritonact``: ``list``, ``verify``, and what every subcommand shares (op names,
usage errors, help)."""

import subprocess
import sys

import pytest
import torch

from tritonact.__main__ import main
from tritonact.registry import OPS, SPECS


def test_list_names_every_op(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for spec in SPECS:
        assert f"| {spec.name}" in out and spec.formula in out


def test_verify_passes_and_prints_a_table(capsys):
    assert main(["verify", "--ops", "relu", "gelu", "--dtypes", "float32", "float64"]) == 0
    out = capsys.readouterr().out
    assert "| gelu" in out and "approximate=tanh" in out and "0 failed" in out
    assert "The switch" in out and "| relu | defaults         | float32 | relu, " in out


def test_verify_covers_prelu_and_rrelu(capsys):
    assert main(["verify", "--ops", "prelu", "rrelu", "--dtypes", "float16"]) == 0
    out = capsys.readouterr().out
    assert "| prelu" in out and "| rrelu" in out and "0 failed" in out


def test_verify_fails_on_a_wrong_kernel(capsys):
    relu = OPS["relu"].math
    right = relu.forward
    object.__setattr__(relu, "forward", OPS["relu6"].math.forward)  # differs above 6
    try:
        assert main(["verify", "--ops", "relu", "--dtypes", "float32"]) == 1
    finally:
        object.__setattr__(relu, "forward", right)
    assert "2 failed" in capsys.readouterr().out  # the op's row and the switch's


def test_verify_switches_the_interpreter_on_by_itself():
    env = {"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": "", "TRITON_INTERPRET": "0"}
    env.pop("TRITON_INTERPRET")
    out = subprocess.run([sys.executable, "-m", "tritonact", "verify", "--ops", "sigmoid",
                          "--dtypes", "bfloat16"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "Triton interpreter" in out.stdout


def _usage_error(capsys, argv: list[str]) -> str:
    """``main(argv)`` ends as argparse's own errors do: the usage, the reason, status 2."""
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ")
    return err


def test_verify_on_a_missing_device_says_what_is_missing(capsys):
    missing = f"cuda:{torch.cuda.device_count()}" if torch.cuda.is_available() else "cuda"
    err = _usage_error(capsys, ["verify", "--device", missing, "--ops", "relu"])
    assert "no CUDA" in err or "CUDA device(s)" in err
    assert "not on mps" in _usage_error(capsys, ["verify", "--device", "mps", "--ops", "relu"])
    assert "not a device torch knows" in _usage_error(capsys, ["verify", "--device", "gpu0"])


def test_every_subcommand_takes_every_name_list_shows_and_refuses_others(capsys):
    assert main(["verify", "--ops", "silu_mul", "relu_", "--dtypes", "float32"]) == 0
    captured = capsys.readouterr()
    assert "| swiglu, silu_mul | defaults   | float32 |" in captured.out
    assert "| relu " in captured.out
    assert "verify [1/2] relu float32" in captured.err  # progress, as each op starts
    for command in (["verify"], ["audit"], ["bench", "--smoke"]):
        err = _usage_error(capsys, [*command, "--ops", "relu", "foo"])
        assert "unknown ops: foo" in err


def test_help_is_plain_text_and_names_the_console_script(capsys, monkeypatch):
    for argv in (["--help"], ["audit", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "``" not in out and out.startswith("usage: python -m tritonact")
    assert "GPU architectures to compile for" in out  # audit --arch
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/tritonact", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert capsys.readouterr().out.startswith("usage: tritonact ")
