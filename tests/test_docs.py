"""The README stays true to the registry and to CI."""

from pathlib import Path

from tritonact.registry import ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, ROWWISE

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_api_table_lists_every_op_and_module():
    for spec in ELEMENTWISE:
        assert f"| `{spec.name}(input" in README, spec.name
        assert f"| `{spec.module.__name__}` |" in README, spec.module.__name__
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


def test_ci_runs_the_readme_test_command():
    commands = [line for line in README.splitlines() if line.startswith("python3 -m pip install")]
    assert len(commands) == 2, "README keeps exactly two set-up commands"
    assert "tritonact verify" in commands[0]
    assert commands[1] in (ROOT / ".ci" / "run").read_text()
