"""The README stays true to the registry and to CI, and each of its code blocks runs."""

import json
import subprocess
import sys
from pathlib import Path

from tritonact.registry import BIASED, ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, ROWWISE, SPECS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_api_table_lists_every_op_and_module():
    for spec in ELEMENTWISE:
        assert f"| `{spec.name}(input" in README, spec.name
        for module in spec.modules:
            assert f"| `{module}` |" in README, module
        if spec.inplace_name:
            assert f"`{spec.inplace_name}`" in README, spec.inplace_name
    for spec in GATED:
        assert f"`{spec.name}(input, dim=-1" in README
        assert not spec.mul_name or f"`{spec.mul_name}(gate, up" in README
    for spec in ROWWISE:
        assert f"| `{spec.name}(input, dim=None, _stacklevel=3, dtype=None)` |" in README
        assert f"`{spec.module.__name__}`" in README
    for spec in LEARNABLE:
        assert f"| `{spec.name}(input, weight)` |" in README
        assert f"`{spec.module.__name__}`" in README
    for spec in RANDOMIZED:
        assert f"| `{spec.name}(input, lower=1/8, upper=1/3, training=False, inplace=False)` |" \
            in README
        assert f"`{spec.inplace_name}`" in README and f"`{spec.module.__name__}`" in README
    for spec in BIASED:
        assert f"| `{spec.name}(input, bias" in README, spec.name
        assert f"| `{spec.module_name}` |" in README, spec.module_name


def test_readme_names_every_function_and_module():
    """Whatever the family, every public function and module of the registry is in the API
    table."""
    for spec in SPECS:
        for name in spec.functions:  # a function's row, or an in-place twin's cell
            assert f"`{name}(" in README or f"| `{name}` |" in README, name
        for module in spec.modules:
            assert f"`{module}`" in README, module


def test_ci_runs_the_readme_test_command():
    commands = [line for line in README.splitlines() if line.startswith("python3 -m pip install")]
    assert len(commands) == 2, "README keeps exactly two set-up commands"
    assert "tritonact verify" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


#: Runs one README block in this fresh interpreter, as a user would, and prints the kernels it
#: launched (observed through tritonact's launch hooks, installed before the block runs).
RUN_BLOCK = """
import json, sys
from tritonact.autograd.launch import launch_hooks
launched = []
launch_hooks.append(launched.append)
exec(compile(sys.stdin.read(), "README.md", "exec"), {"__name__": "__main__"})
print(json.dumps(launched))
"""


def python_blocks() -> list[str]:
    return [part.split("```", 1)[0] for part in README.split("```python\n")[1:]]


def test_each_readme_python_block_runs_alone_in_a_fresh_interpreter():
    """No block leans on another's imports or names, and each launches tritonact's kernels
    (this suite runs on CUDA or with Triton's interpreter on, which the blocks inherit)."""
    blocks = python_blocks()
    assert len(blocks) == 6
    runs = [subprocess.Popen([sys.executable, "-c", RUN_BLOCK], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in blocks]  # side by side: most of each run is importing torch
    launched = []
    for block, run in zip(blocks, runs):
        out, err = run.communicate(block, timeout=300)
        assert run.returncode == 0, f"{block}\n{err[-3000:]}"
        launched.append(set(json.loads(out.strip().splitlines()[-1])))
    expected = [{"elementwise.forward"},  # TF.silu
                {"gated.forward", "gated.backward"},  # patch: a Hugging Face Llama's fused MLP
                {"elementwise.forward", "rowwise.forward"},  # replace_activations: GELU, Softmax
                {"elementwise.forward", "elementwise.backward"},  # the switch, both ways
                {"gated.forward"},  # SwiGLU
                {"fewbit.forward", "fewbit.backward"}]  # saved_bits
    assert all(want <= got for want, got in zip(expected, launched)), launched
