"""tritonact: fused Triton kernels for PyTorch's activation functions.

``tritonact.functional`` mirrors ``torch.nn.functional`` and ``tritonact.nn`` mirrors the
``torch.nn`` activation modules; ``python -m tritonact verify`` checks every op against torch.

Submodules load on first use, so that ``python -m tritonact`` can switch Triton's interpreter on
before triton is imported.
"""

import importlib

__version__ = "0.1.0"
__all__ = ["OPS", "__version__", "functional", "nn"]


def __getattr__(name: str):
    if name in ("functional", "nn", "registry", "testing"):
        return importlib.import_module(f"tritonact.{name}")
    if name == "OPS":
        return importlib.import_module("tritonact.registry").OPS
    raise AttributeError(f"module 'tritonact' has no attribute {name!r}")
