"""Drop-in ``torch.nn`` activation modules backed by Triton kernels.

Each class subclasses the ``torch.nn`` class of the same name and overrides ``forward`` only, so
its constructor, defaults, ``repr``, ``state_dict``, hooks and ``isinstance`` are torch's:
``isinstance(tritonact.nn.GELU(), torch.nn.GELU)`` is True.

Float tensors on CUDA (and on the CPU while ``TRITON_INTERPRET=1``, set before triton is
imported) run the Triton kernels; on the CPU without the interpreter every module runs torch's
own kernel, silently (``tritonact.runtime`` logs which, once, at INFO).
"""

from __future__ import annotations

import torch
from torch import nn

from tritonact import functional
from tritonact.registry import (
    ELEMENTWISE,
    GATED,
    LEARNABLE,
    RANDOMIZED,
    ROWWISE,
    Elementwise,
    Gated,
    Learnable,
    Randomized,
    Rowwise,
)

__all__: list[str] = []


def make_module(spec: Elementwise) -> type[nn.Module]:
    """A subclass of ``spec.module`` whose forward calls ``tritonact.functional.<name>``."""
    function = getattr(functional, spec.name)
    attrs = spec.module_attrs()

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return function(input, **{a: getattr(self, a) for a in attrs})

    return _subclass(spec.module, forward, spec.formula)


def _subclass(base: type[nn.Module], forward, formula: str) -> type[nn.Module]:
    """``base`` with ``forward`` replaced, named and documented as ``base``."""
    doc = (f"{base.__name__} computed by tritonact's fused Triton kernels: {formula}.\n\n"
           f"Drop-in for :class:`torch.nn.{base.__name__}` (subclass; same arguments, defaults, "
           f"repr and state_dict).\n\n{base.__doc__ or ''}")
    return type(base.__name__, (base,), {"forward": forward, "__doc__": doc,
                                         "__module__": __name__})


def make_rowwise_module(spec: Rowwise) -> type[nn.Module]:
    """A subclass of ``spec.module`` (Softmax, LogSoftmax, Softmin) over its ``dim``."""
    function = getattr(functional, spec.name)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return function(input, self.dim, _stacklevel=5)

    return _subclass(spec.module, forward, spec.formula)


def make_gated_module(spec: Gated) -> type[nn.Module]:
    """nn.GLU's subclass, or SwiGLU/GeGLU/ReGLU(dim=-1[, approximate]) over the halves of dim."""
    function = getattr(functional, spec.name)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if spec.takes_approximate:
            return function(input, self.dim, self.approximate)
        return function(input, self.dim)

    if spec.module.__name__ == spec.module_name:  # torch's own class (nn.GLU)
        return _subclass(spec.module, forward, spec.formula)
    doc = (f"{spec.module_name}: {spec.formula}; the gate is the first half (as Hugging Face's "
           f"and vLLM's ``silu_and_mul``). Input ``(*, 2d, *)`` along ``dim``, output "
           f"``(*, d, *)``.")
    return type(spec.module_name, (spec.module,), {"forward": forward, "__doc__": doc,
                                                   "__module__": __name__})


def make_learnable_module(spec: Learnable) -> type[nn.Module]:
    """nn.PReLU's subclass: its own ``weight`` Parameter, tritonact's kernels."""
    function = getattr(functional, spec.name)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return function(input, self.weight)

    return _subclass(spec.module, forward, spec.formula)


def make_randomized_module(spec: Randomized) -> type[nn.Module]:
    """nn.RReLU's subclass: random slopes in training mode, the mean slope in eval mode."""
    function = getattr(functional, spec.name)
    names = tuple(p.name for p in spec.params)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return function(input, *(getattr(self, n) for n in names), self.training, self.inplace)

    return _subclass(spec.module, forward, spec.formula)


for _cls in [*map(make_module, ELEMENTWISE), *map(make_rowwise_module, ROWWISE),
             *map(make_gated_module, GATED), *map(make_learnable_module, LEARNABLE),
             *map(make_randomized_module, RANDOMIZED)]:
    globals()[_cls.__name__] = _cls
    __all__.append(_cls.__name__)
del _cls


class Softmax2d(nn.Softmax2d):
    """Softmax over the channel dim (-3) of a 3-D or 4-D input, by tritonact's softmax kernel.
    Drop-in for :class:`torch.nn.Softmax2d`."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.dim() not in (3, 4):
            return super().forward(input)  # torch's ValueError
        return functional.softmax(input, -3, _stacklevel=5)


__all__.append("Softmax2d")
