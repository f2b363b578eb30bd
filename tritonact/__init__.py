"""tritonact: fused Triton kernels for PyTorch's activation functions.

``tritonact.functional`` mirrors ``torch.nn.functional`` and ``tritonact.nn`` mirrors the
``torch.nn`` activation modules; ``python -m tritonact verify`` checks every op against torch.
"""

from tritonact import functional, nn
from tritonact.registry import OPS

__version__ = "0.1.0"
__all__ = ["OPS", "__version__", "functional", "nn"]
