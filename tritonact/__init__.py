"""tritonact: fused Triton kernels for PyTorch's activation functions.

``tritonact.functional`` mirrors ``torch.nn.functional`` and ``tritonact.nn`` mirrors the
``torch.nn`` activation modules; ``replace_activations(model)`` swaps them into a model, and
``enable()``/``disable()``/``use()`` route torch's own operators to the kernels;
``python -m tritonact verify`` checks every op against torch.

Submodules load on first use, so that ``python -m tritonact`` can switch Triton's interpreter on
before triton is imported.
"""

import importlib

__version__ = "0.1.0"
__all__ = ["OPS", "__version__", "disable", "enable", "functional", "nn", "replace_activations",
           "use"]

#: Public names defined in submodules: name -> submodule.
_EXPORTS = {"replace_activations": "replace", "enable": "switch", "disable": "switch",
            "use": "switch"}


def __getattr__(name: str):
    if name in ("functional", "nn", "registry", "testing", "replace", "switch"):
        return importlib.import_module(f"tritonact.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"tritonact.{_EXPORTS[name]}"), name)
    if name == "OPS":
        return importlib.import_module("tritonact.registry").OPS
    raise AttributeError(f"module 'tritonact' has no attribute {name!r}")
