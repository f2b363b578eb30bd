"""The package's imports run one way, from the kernels up to the commands (docs/layout.md).

Every ``import`` of every module is read from its source (those inside functions and under
``TYPE_CHECKING`` too: a deferred import is still a dependency), resolved to a module of the
package, and held against the layers below. A module imports only its own layer or lower
ones; no set of modules imports itself round in a circle; a family's files import no other
family's; the kernels import nothing but Triton.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Top-level folders -> the package they install as (the links in tritonact/).
FOLDERS = {"tritonact": "tritonact", "kernels": "tritonact.kernels",
           "autograd": "tritonact.autograd", "bench": "tritonact.bench"}

#: The layers, lowest first: (name, module prefixes). A module belongs to the layer of its
#: longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kernels", ("tritonact.kernels",)),
    ("launch helpers", ("tritonact.autograd.launch", "tritonact.autograd.autocast")),
    ("sharding helpers", ("tritonact.autograd.sharding",)),
    ("launchers", ("tritonact.autograd",)),
    ("core", ("tritonact.core",)),
    ("families", ("tritonact.families",)),
    ("registry", ("tritonact.registry",)),
    ("consumers", ("tritonact.functional", "tritonact.nn", "tritonact.quant",
                   "tritonact.integrations", "tritonact.checks", "tritonact.bench")),
    ("commands", ("tritonact.__main__", "tritonact")),
)


def _modules() -> dict[str, Path]:
    """Every module of the package -> its file (a package by its ``__init__.py``)."""
    found = {}
    for folder, package in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT / folder)
            if folder == "tritonact" and relative.parts[0] in ("kernels", "autograd", "bench"):
                continue  # the links: read from the folders themselves
            parts = [*package.split("."), *relative.with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            if parts[-1] in ("conftest", "test_benchmarks"):
                continue  # bench/'s pytest front end, not part of the package's imports
            found[".".join(parts)] = path
    return found


MODULES = _modules()


#: The linked folders are namespace packages: importing one runs no code of its own.
NAMESPACES = {package for folder, package in FOLDERS.items() if folder != "tritonact"}


def _resolve(name: str) -> str | None:
    """The package module ``name`` (or its nearest enclosing package) is, or None if it is
    not the package's or is a namespace package."""
    if name in NAMESPACES:
        return None
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports, anywhere in its source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: imports(module) for module in MODULES}


def layer(module: str) -> int:
    best, index = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, index = len(prefix), i
    assert index is not None, f"{module} is in no layer: add it to LAYERS"
    return index


def test_the_reader_sees_every_module():
    assert {"tritonact.kernels.io", "tritonact.autograd.launch", "tritonact.core.testing",
            "tritonact.families.base", "tritonact.registry", "tritonact.functional",
            "tritonact.integrations.switch.state", "tritonact.checks.audit",
            "tritonact.bench.run", "tritonact.__main__"} <= set(MODULES)
    # the reader is not blind: known imports are found
    assert "tritonact.kernels.io" in GRAPH["tritonact.autograd.launch"]
    assert "tritonact.registry" in GRAPH["tritonact.functional"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_the_layers(module):
    upward = [f"{target} ({LAYERS[layer(target)][0]})" for target in sorted(GRAPH[module])
              if layer(target) > layer(module)]
    assert not upward, (f"{module} ({LAYERS[layer(module)][0]}) imports from a layer above: "
                        f"{', '.join(upward)}")


def _circles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_circles():
    assert _circles() == []


def test_the_cycle_finder_finds_one():
    """The check above can fail: a planted back edge closes a circle."""
    GRAPH["tritonact.kernels.io"].add("tritonact.autograd.launch")
    try:
        assert ["tritonact.autograd.launch", "tritonact.kernels.io"] in _circles()
    finally:
        GRAPH["tritonact.kernels.io"].discard("tritonact.autograd.launch")


def _family(module: str) -> str:
    """``tritonact.families.gated_function`` -> ``gated``."""
    return module.rsplit(".", 1)[-1].split("_")[0]


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if m.startswith("tritonact.families.")))
def test_a_family_imports_no_other_family(module):
    others = [t for t in GRAPH[module] if t.startswith("tritonact.families.")
              and t != "tritonact.families.base" and _family(t) != _family(module)]
    assert not others, f"{module} imports another family's files: {others} (share via base)"


@pytest.mark.parametrize("module", sorted(m for m in MODULES
                                          if m.startswith("tritonact.kernels.")))
def test_kernels_import_triton_only(module):
    tree = ast.parse(MODULES[module].read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    assert roots <= {"triton", "os", "__future__"}, roots
