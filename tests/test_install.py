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


#: From the checkout's root (the current directory on ``sys.path``, as ``python -m pytest`` and
#: a script or notebook there have it): every installed top-level package whose import would
#: find a file or folder of the checkout instead.
SHADOWED = """
import importlib.metadata, importlib.util, json, os
root = os.path.realpath(os.getcwd())
shadowed = {}
for name, dists in importlib.metadata.packages_distributions().items():
    if name == "tritonact" or not name.isidentifier():
        continue
    spec = importlib.util.find_spec(name)
    where = spec and (spec.origin or next(iter(spec.submodule_search_locations or ()), None))
    if where and os.path.realpath(where).startswith(root + os.sep):
        shadowed[name] = dists
print(json.dumps(shadowed))
"""


def test_nothing_in_the_checkout_shadows_an_installed_package():
    """``kernels/``, ``autograd/`` and ``bench/`` are plain folders (no ``__init__.py``): from
    the root, an installed package of the same name (Hugging Face's ``kernels``, which
    transformers imports) is what ``import kernels`` finds, and the folders reach Python only
    as ``tritonact.kernels`` and the rest, through the links in ``tritonact/``."""
    for folder in ("kernels", "autograd", "bench"):
        assert not (ROOT / folder / "__init__.py").exists(), folder
        link = ROOT / "tritonact" / folder
        assert link.is_symlink() and link.resolve() == ROOT / folder, folder
    run = subprocess.run([sys.executable, "-c", SHADOWED], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {}


#: transformers (5.25 and later require Hugging Face's ``kernels``) beside tritonact, from the
#: checkout's root.
WITH_TRANSFORMERS = """
import importlib.metadata, json, kernels, transformers.activations
import tritonact.functional, tritonact.kernels.io
print(json.dumps({"kernels": kernels.__file__, "ours": tritonact.kernels.io.__file__,
                  "kernels_dist": importlib.metadata.version("kernels")}))
"""


def test_transformers_and_tritonact_import_together_from_the_root():
    run = subprocess.run([sys.executable, "-c", WITH_TRANSFORMERS], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert not found["kernels"].startswith(str(ROOT)), found  # Hugging Face's, installed
    assert found["ours"].startswith(str(ROOT / "tritonact" / "kernels")), found


def test_an_uninstalled_checkout_imports_from_its_root():
    """``python -S`` leaves out site-packages, and with it the editable install: from the
    root, ``tritonact`` and its kernels still import (the links), without torch."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import importlib.util, sys, tritonact; "
            "print(importlib.util.find_spec('tritonact.kernels.io').origin)")
    run = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == str(ROOT / "tritonact" / "kernels" / "io.py")


def test_importing_tritonact_imports_no_torch():
    """``import tritonact`` costs no torch or triton import (``python -m tritonact`` sets
    Triton's interpreter up before either loads)."""
    code = "import sys, tritonact; print(sorted({'torch', 'triton'} & set(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
    assert importlib.util.find_spec("tritonact.kernels") is not None


def test_the_wheel_ships_py_typed_and_the_mapped_packages(tmp_path):
    """A wheel built from the checkout (a copy: the build writes build/ and *.egg-info) holds
    ``tritonact/py.typed`` (PEP 561: the package is typed) and the linked folders inside the
    package (``kernels/`` as ``tritonact/kernels``), and nothing at the top level but the
    package and its metadata."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for folder in ("tritonact", "kernels", "autograd", "bench"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True,
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
    assert {name.split("/")[0] for name in names} == {"tritonact",
                                                      "tritonact-0.1.0.dist-info"}
