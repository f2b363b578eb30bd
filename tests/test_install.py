"""What the README's first command installs is enough: every module that ``verify`` on the CPU
imports comes from a declared dependency (pyproject's ``dependencies`` or, transitively, theirs;
extras are not installed by that command), and the ``tritonact`` console script is declared."""

import importlib.metadata
import json
import os
import subprocess
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import tritonact.__main__

#: Runs ``python -m tritonact verify`` on one op and prints the top-level modules it imported.
VERIFY_AND_LIST_MODULES = """
import json, runpy, sys
before = set(sys.modules)
sys.argv = ["tritonact", "verify", "--ops", "relu", "--dtypes", "float32"]
try:
    runpy.run_module("tritonact", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules}
                                                  - {m.split(".")[0] for m in before})}))
"""


def installed_requirements(distribution: str) -> set[str]:
    """The distributions ``distribution`` requires without extras, transitively (those that
    are installed: one that is not cannot have been imported)."""
    found: set[str] = set()
    pending = [distribution]
    while pending:
        try:
            lines = importlib.metadata.requires(pending.pop()) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in map(Requirement, lines):
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            name = canonicalize_name(requirement.name)
            if name not in found:
                found.add(name)
                pending.append(name)
    return found


def test_verify_on_the_cpu_imports_only_declared_dependencies():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    run = subprocess.run([sys.executable, "-c", VERIFY_AND_LIST_MODULES], capture_output=True,
                         text=True, env={**env, "CUDA_VISIBLE_DEVICES": ""}, timeout=300)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, run.stdout[-2000:] + run.stderr[-2000:]
    # "_"-names are the interpreter's own (runpy's __mp_main__, _sysconfigdata_...)
    third_party = [m for m in result["modules"]
                   if m not in sys.stdlib_module_names and not m.startswith("_")
                   and m != "tritonact"]
    assert "triton" in third_party and "torch" in third_party  # the check sees the CPU path
    declared = installed_requirements("tritonact")
    owners = importlib.metadata.packages_distributions()
    undeclared = {m: owners.get(m) for m in third_party
                  if not {canonicalize_name(d) for d in owners.get(m, ())} & declared}
    assert not undeclared, (f"imported by verify, but no dependency of tritonact provides them "
                            f"(module: distributions): {undeclared}")


def test_the_console_script_is_the_command_line():
    (script,) = [e for e in importlib.metadata.entry_points(group="console_scripts")
                 if e.name == "tritonact"]
    assert script.value == "tritonact.__main__:main"
    assert script.load() is tritonact.__main__.main
