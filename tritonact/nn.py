"""Drop-in ``torch.nn`` activation modules backed by Triton kernels.

Each class of an op torch has subclasses the ``torch.nn`` class of the same name and overrides
``forward`` only, so its constructor, defaults, ``repr``, ``state_dict``, hooks and
``isinstance`` are torch's: ``isinstance(tritonact.nn.GELU(), torch.nn.GELU)`` is True. The ops
torch lacks (SwiGLU, GeGLU, ReGLU, ...) have classes of their own. ``nn.pyi`` beside this file
declares them all for IDEs and type checkers.

Float tensors on CUDA (and on the CPU while ``TRITON_INTERPRET=1``, set before triton is
imported) run the Triton kernels; on the CPU without the interpreter every module runs torch's
own kernel, silently (``tritonact.core.runtime`` logs which, once, at INFO).
"""

from __future__ import annotations

from tritonact.registry import SPECS

__all__: list[str] = []

for _spec in SPECS:
    for _name, _cls in _spec.modules.items():
        globals()[_name] = _cls
        __all__.append(_name)
del _spec, _name, _cls
