"""The visible API: ``functional.pyi`` and ``nn.pyi`` say what the registry builds, so IDEs,
type checkers and go-to-definition see every function and module with its signature."""

import ast
import inspect

import pytest

from tritonact import functional
from tritonact import nn as tnn
from tritonact.checks import stubs


@pytest.mark.parametrize("name", list(stubs.STUBS))
def test_each_stub_is_what_the_registry_writes(name):
    written = (stubs.PACKAGE / name).read_text()
    assert written == stubs.STUBS[name](), (
        f"tritonact/{name} is stale: run `python -m tritonact.checks.stubs`")


def test_the_stubs_declare_every_export_with_its_signature():
    tree = ast.parse((stubs.PACKAGE / "functional.pyi").read_text())
    declared = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert set(declared) == set(functional.__all__)
    for name, node in declared.items():
        ours = [p.name for p in inspect.signature(getattr(functional, name)).parameters.values()]
        assert [a.arg for a in (*node.args.args, *node.args.kwonlyargs)] == ours, name
        assert ast.get_docstring(node), name
    classes = {node.name for node in ast.parse((stubs.PACKAGE / "nn.pyi").read_text()).body
               if isinstance(node, ast.ClassDef)}
    assert classes == set(tnn.__all__)


def test_the_package_is_typed():
    assert (stubs.PACKAGE / "py.typed").exists()
