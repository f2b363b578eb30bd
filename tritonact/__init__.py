"""tritonact: fused Triton kernels for PyTorch's activation functions.

``tritonact.functional`` mirrors ``torch.nn.functional`` and ``tritonact.nn`` mirrors the
``torch.nn`` activation modules; ``patch(model)`` puts a real model (Hugging Face's, timm's) on
the kernels, its gated MLPs fused (``unpatch`` undoes it); ``replace_activations(model)`` swaps
the activation modules into a model, and ``enable()``/``disable()``/``use()`` route torch's own
operators to the kernels; ``python -m tritonact verify`` checks every op against torch.

The kernels run on CUDA tensors, and on CPU tensors only in Triton's interpreter
(``TRITON_INTERPRET=1`` set before triton is imported); anywhere else every op runs torch's own
kernel, with torch's result and no warning. Which of these runs is logged once, at INFO on the
``tritonact`` logger, when the kernels are first imported.

Submodules load on first use, so that ``python -m tritonact`` can switch Triton's interpreter on
before triton is imported.
"""

import importlib

__version__ = "0.1.0"
__all__ = ["OPS", "__version__", "disable", "enable", "functional", "nn", "patch",
           "replace_activations", "saved_bits", "unpatch", "use"]

#: Public names defined in submodules: name -> submodule.
_EXPORTS = {"replace_activations": "integrations.replace", "enable": "integrations.switch",
            "disable": "integrations.switch", "use": "integrations.switch",
            "patch": "integrations.patching", "unpatch": "integrations.patching",
            "saved_bits": "core.fewbit"}


def __getattr__(name: str):
    if name in ("functional", "nn", "registry", "core", "families", "integrations", "checks"):
        return importlib.import_module(f"tritonact.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"tritonact.{_EXPORTS[name]}"), name)
    if name == "OPS":
        return importlib.import_module("tritonact.registry").OPS
    raise AttributeError(f"module 'tritonact' has no attribute {name!r}")
