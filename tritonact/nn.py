"""Drop-in ``torch.nn`` activation modules backed by Triton kernels.

Each class subclasses the ``torch.nn`` class of the same name and overrides ``forward`` only, so
its constructor, defaults, ``repr``, ``state_dict``, hooks and ``isinstance`` are torch's:
``isinstance(tritonact.nn.GELU(), torch.nn.GELU)`` is True.
"""

from __future__ import annotations

import torch
from torch import nn

from tritonact import functional
from tritonact.registry import ELEMENTWISE, Elementwise

__all__: list[str] = []


def make_module(spec: Elementwise) -> type[nn.Module]:
    """A subclass of ``spec.module`` whose forward calls ``tritonact.functional.<name>``."""
    function = getattr(functional, spec.name)
    attrs = spec.module_attrs()

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return function(input, **{a: getattr(self, a) for a in attrs})

    base = spec.module
    doc = (f"{base.__name__} computed by tritonact's fused Triton kernels: {spec.formula}.\n\n"
           f"Drop-in for :class:`torch.nn.{base.__name__}` (subclass; same arguments, defaults, "
           f"repr and state_dict).\n\n{base.__doc__ or ''}")
    return type(base.__name__, (base,), {"forward": forward, "__doc__": doc,
                                         "__module__": __name__})


for _spec in ELEMENTWISE:
    _cls = make_module(_spec)
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
del _spec, _cls
