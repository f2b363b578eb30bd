"""``python -m tritonact list`` and ``verify``."""

import subprocess
import sys

from tritonact.__main__ import main
from tritonact.autograd.elementwise import MATH
from tritonact.registry import ELEMENTWISE, LEARNABLE, RANDOMIZED


def test_list_names_every_op(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for spec in (*ELEMENTWISE, *LEARNABLE, *RANDOMIZED):
        assert f"| {spec.name} " in out


def test_verify_passes_and_prints_a_table(capsys):
    assert main(["verify", "--ops", "relu", "gelu", "--dtypes", "float32", "float64"]) == 0
    out = capsys.readouterr().out
    assert "| gelu" in out and "approximate=tanh" in out and "0 failed" in out
    assert "The switch" in out and "| relu | defaults         | float32 | relu, " in out


def test_verify_covers_prelu_and_rrelu(capsys):
    assert main(["verify", "--ops", "prelu", "rrelu", "--dtypes", "float16"]) == 0
    out = capsys.readouterr().out
    assert "| prelu" in out and "| rrelu" in out and "0 failed" in out


def test_verify_fails_on_a_wrong_kernel(capsys, monkeypatch):
    monkeypatch.setitem(MATH, "relu", MATH["relu6"])  # differs from relu above 6
    assert main(["verify", "--ops", "relu", "--dtypes", "float32"]) == 1
    assert "2 failed" in capsys.readouterr().out  # the op's row and the switch's


def test_verify_switches_the_interpreter_on_by_itself():
    env = {"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": "", "TRITON_INTERPRET": "0"}
    env.pop("TRITON_INTERPRET")
    out = subprocess.run([sys.executable, "-m", "tritonact", "verify", "--ops", "sigmoid",
                          "--dtypes", "bfloat16"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "Triton interpreter" in out.stdout
