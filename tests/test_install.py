"""What the README's first command installs is enough: every module that ``verify`` on the CPU
imports comes from a declared dependency (pyproject's ``dependencies`` or, transitively, theirs;
extras are not installed by that command), and the ``tritonact`` console script is declared."""

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import tritonact.__main__

ROOT = Path(__file__).resolve().parent.parent

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


#: The top-level modules that importing tritonact's dependencies imports by itself (torch's
#: optional imports of whatever is installed: torch.hub's tqdm, which transformers, a test
#: dependency, brings; Inductor's config, which the switch sets for its graph pass, imports
#: colorama where it is installed).
DEPENDENCIES_OWN_MODULES = """
import json, sys
before = set(sys.modules)
import numpy, torch, triton, torch._inductor.config
top = lambda names: {m.split(".")[0] for m in names}
print(json.dumps(sorted(top(sys.modules) - top(before))))
"""


def test_verify_on_the_cpu_imports_only_declared_dependencies():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env = {**env, "CUDA_VISIBLE_DEVICES": ""}
    own = subprocess.Popen([sys.executable, "-c", DEPENDENCIES_OWN_MODULES],
                           stdout=subprocess.PIPE, text=True, env=env)
    run = subprocess.run([sys.executable, "-c", VERIFY_AND_LIST_MODULES], capture_output=True,
                         text=True, env=env, timeout=300)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, run.stdout[-2000:] + run.stderr[-2000:]
    dependencies_own = set(json.loads(own.communicate(timeout=300)[0].strip().splitlines()[-1]))
    # "_"-names are the interpreter's own (runpy's __mp_main__, _sysconfigdata_...)
    third_party = [m for m in result["modules"]
                   if m not in sys.stdlib_module_names and not m.startswith("_")
                   and m != "tritonact"]
    assert "triton" in third_party and "torch" in third_party  # the check sees the CPU path
    third_party = [m for m in third_party if m not in dependencies_own - {"torch", "triton"}]
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


def test_an_uninstalled_checkout_says_to_install_it():
    """From a checkout that was not pip-installed, ``import tritonact`` finds ``tritonact/`` but
    not ``tritonact.kernels`` (``kernels/`` becomes it only once installed): the import says so
    and gives the install command for this checkout, instead of a ModuleNotFoundError deep
    inside the first op. ``python -S`` leaves out site-packages, and with it the editable
    install's finder; the current directory, the checkout, is still on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-S", "-c", "import tritonact"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stdout + run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: tritonact is not installed"), run.stderr
    assert f"pip install -e {ROOT}`" in last


def test_installed_the_check_passes_without_importing_torch():
    """The check costs no torch or triton import, and this install passes it."""
    code = "import sys, tritonact; print(sorted({'torch', 'triton'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
    assert importlib.util.find_spec("tritonact.kernels") is not None


def test_the_wheel_ships_py_typed_and_the_mapped_packages(tmp_path):
    """A wheel built from the checkout (a copy: the build writes build/ and *.egg-info) holds
    ``tritonact/py.typed`` (PEP 561: the package is typed) and the folders installed under
    other names (``kernels/`` as ``tritonact/kernels``)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("tritonact", "kernels", "autograd", "bench"):
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index",
                          "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                          str(source)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("tritonact-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tritonact/py.typed" in names
    assert {"tritonact/kernels/io.py", "tritonact/autograd/launch.py",
            "tritonact/core/table.py"} <= names
