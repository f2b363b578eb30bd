"""The visible API: ``tritonact/functional.pyi`` and ``tritonact/nn.pyi``, written from the
registry, so that IDEs, ``mypy`` and go-to-definition see every function and module (built at
import from the specs) with its signature and docstring.

``python -m tritonact.checks.stubs`` rewrites both files; ``tests/test_stubs.py`` fails when
they are not what the registry says.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

#: The package folder, where the stubs sit beside the modules they describe.
PACKAGE = Path(__file__).resolve().parent.parent
WIDTH = 100
HEADER = "# Written by `python -m tritonact.checks.stubs` from the registry: do not edit.\n"


def _annotation(annotation: object) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):
        return annotation
    if annotation is torch.Tensor:
        return "torch.Tensor"
    return getattr(annotation, "__name__", repr(annotation))


def _signature(signature: inspect.Signature, skip_self: bool = False) -> str:
    """``(input: torch.Tensor, inplace: bool = False) -> torch.Tensor``."""
    parts, star = [], False
    for param in signature.parameters.values():
        if param.kind == param.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        text = param.name
        annotation = _annotation(param.annotation)
        if annotation:
            text += f": {annotation}"
        if param.default is not param.empty:
            text += f" = {param.default!r}" if annotation else f"={param.default!r}"
        parts.append(text)
    returns = _annotation(signature.return_annotation)
    return f"({', '.join(parts)})" + (f" -> {returns}" if returns else "")


def _docstring(doc: str | None, indent: str) -> list[str]:
    """``doc`` as a docstring at ``indent``, each line within ruff's 100 columns."""
    if not doc:
        return []
    text = inspect.cleandoc(doc).replace('"""', "'''").replace("\\", "\\\\")
    lines: list[str] = []
    for line in text.splitlines():
        lines += textwrap.wrap(line, WIDTH - len(indent) - 3, break_on_hyphens=False,
                               break_long_words=False) or [""]
    body = [f"{indent}{line}".rstrip() for line in lines]
    body[0] = f'{indent}"""{lines[0]}'
    return [*body, f'{indent}"""']


def _def(prefix: str, signature: str, indent: str, suffix: str = ":") -> list[str]:
    """``def name(...)``, its parameters one a line where one line is too long."""
    line = f"{indent}{prefix}{signature}{suffix}"
    if len(line) <= WIDTH:
        return [line]
    inner, _, returns = signature[1:].rpartition(")")
    return [f"{indent}{prefix}(", *(f"{indent}    {p.strip()}," for p in _split(inner)),
            f"{indent}){returns}{suffix}"]


def _split(params: str) -> list[str]:
    """A parameter list split at its top-level commas."""
    parts, depth, current = [], 0, ""
    for char in params:
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current.strip() else parts


def _all(names: list[str]) -> list[str]:
    """``__all__`` in isort's order (as ruff's RUF022 wants): constants, classes, the rest."""
    order = lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)
    return ["__all__ = [", *(f"    {name!r}," for name in sorted(names, key=order)), "]"]


def _function(name: str, function: Callable) -> list[str]:
    return [*_def(f"def {name}", _signature(inspect.signature(function)), ""),
            *_docstring(function.__doc__, "    "), "    ..."]


def functional_stub() -> str:
    """The text of ``functional.pyi``."""
    from tritonact import functional

    lines = [HEADER + '"""' + inspect.cleandoc(functional.__doc__) + '\n"""', "",
             "import torch", "", *_all(functional.__all__), ""]
    for name in functional.__all__:
        lines += ["", *_function(name, getattr(functional, name)), ""]
    return "\n".join(lines).rstrip() + "\n"


def _class(name: str, cls: type[nn.Module]) -> list[str]:
    """A module class: torch's class as its base where it subclasses one (its constructor is
    torch's, written out where tritonact adds ``saved_bits``), else ``nn.Module`` with its own
    constructor."""
    base = cls.__bases__[0]
    torch_base = base.__module__.startswith("torch.nn") and getattr(nn, base.__name__,
                                                                    None) is base
    lines = [f"class {name}(nn.{base.__name__ if torch_base else 'Module'}):",
             *_docstring(cls.__doc__, "    ")]
    init = inspect.signature(cls.__init__)
    if not torch_base or "saved_bits" in init.parameters:  # torch's, plus saved_bits
        lines += _def("def __init__", _signature(init), "    ", ": ...")
    lines.append("    def forward(self, input: torch.Tensor) -> torch.Tensor: ...")
    return lines


def nn_stub() -> str:
    """The text of ``nn.pyi``."""
    from tritonact import nn as tnn

    lines = [HEADER + '"""' + inspect.cleandoc(tnn.__doc__) + '\n"""', "", "import torch",
             "from torch import nn", "", *_all(tnn.__all__), ""]
    for name in tnn.__all__:
        lines += ["", *_class(name, getattr(tnn, name)), ""]
    return "\n".join(lines).rstrip() + "\n"


STUBS: dict[str, Callable[[], str]] = {"functional.pyi": functional_stub, "nn.pyi": nn_stub}


def main() -> int:
    for name, render in STUBS.items():
        (PACKAGE / name).write_text(render())
        print(f"wrote {PACKAGE / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
