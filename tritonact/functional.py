"""``torch.nn.functional``-style activations backed by Triton kernels.

Every function here is built from its registry spec and has torch's name, positional order,
keyword names and defaults: ``tritonact.functional.silu(x)`` is a drop-in for
``torch.nn.functional.silu(x)``. Float tensors on CUDA (and on the CPU while
``TRITON_INTERPRET=1``) run the fused Triton kernels; anything else (CPU tensors without the
interpreter, integer, bool or complex tensors, parameters torch rejects) goes to torch itself,
so results and errors are torch's. ``functional.pyi`` beside this file declares every function
with its signature and docstring for IDEs and type checkers (``python -m tritonact.checks.stubs``
writes it from the registry; a test checks it is current).
"""

from __future__ import annotations

from tritonact.registry import SPECS

__all__: list[str] = []

for _spec in SPECS:
    for _name, _function in _spec.functions.items():
        globals()[_name] = _function
        __all__.append(_name)
del _spec, _name, _function
