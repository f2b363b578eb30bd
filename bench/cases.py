"""The benchmark cases, defined once from the registry: op x dtype x shape x mode.

Both front ends (``python -m tritonact bench`` and ``pytest bench/``) iterate this list; an op
added to the registry's ``ELEMENTWISE``, ``ROWWISE``, ``GATED``, ``LEARNABLE`` or ``RANDOMIZED``
appears here without an edit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch

from tritonact.registry import ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, ROWWISE

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}
MODES = ("forward", "backward", "forward+backward")
#: Every provider, in the order they sit side by side. "liger" and "liger-fused" (its SwiGLU
#: over one fused gate-up tensor) exist only for the ops in ``providers.LIGER``; "compile" is
#: ``torch.compile`` of the eager expression.
PROVIDERS = ("tritonact", "eager", "compile", "liger", "liger-fused")
SCALES = ("full", "quick", "smoke")


@dataclass(frozen=True)
class Op:
    """One registry op with the parameters it is benchmarked at."""

    kind: str  # "elementwise", "rowwise", "gated", "learnable" or "randomized"
    name: str
    params: tuple[tuple[str, object], ...] = ()
    spec: object = field(default=None, compare=False, repr=False)
    defaults: tuple[tuple[str, object], ...] = field(default=(), compare=False, repr=False)

    @property
    def kwargs(self) -> dict[str, object]:
        return dict(self.params)

    @property
    def label(self) -> str:
        """``gelu``, or ``geglu[approximate=tanh]`` where a parameter differs from torch's
        default (or has none)."""
        shown = [f"{k}={v}" for k, v in self.params if (k, v) not in self.defaults]
        return self.name + (f"[{','.join(shown)}]" if shown else "")


def registry_ops() -> list[Op]:
    """Every op of the registry: elementwise ops at their first parameter set (torch's defaults
    where every parameter has one), row-wise ops over the last dim, gated ops over the last dim
    in each of their approximations, learnable ops (PReLU) with one weight per channel,
    randomized ops (RReLU) in training mode (eval mode is their slope op's kernel)."""
    ops = [Op("elementwise", s.name, tuple(s.param_sets()[0].items()), s,
              tuple(s.defaults.items())) for s in ELEMENTWISE if s.param_sets()]
    ops += [Op("rowwise", s.name, (), s) for s in ROWWISE]
    for s in GATED:
        choices = (("none",), ("tanh",)) if s.takes_approximate else ((),)
        ops += [Op("gated", s.name, tuple(zip(("approximate",), c)), s, (("approximate", "none"),))
                for c in choices]
    ops += [Op("learnable", s.name, (), s) for s in LEARNABLE]
    ops += [Op("randomized", s.name, (*s.defaults.items(), ("training", True)), s,
               tuple(s.defaults.items())) for s in RANDOMIZED]
    return ops


def _pow2(exponents: Iterable[int]) -> tuple[tuple[int, ...], ...]:
    return tuple((2**e,) for e in exponents)


def _gated(tokens: Sequence[int], hidden: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """LLM-shaped gate-up inputs: ``tokens x 2*d`` (the fused gate and up projections)."""
    return tuple((t, 2 * d) for d in hidden for t in tokens)


def _channels(exponents: Iterable[int], channels: int = 64) -> tuple[tuple[int, ...], ...]:
    """PReLU inputs ``[rows, channels]`` of 2^e elements (one weight per channel)."""
    return tuple((2**e // channels, channels) for e in exponents)


ROW_LENGTHS = (256, 512, 1024, 2048, 4096, 8192, 12672, 32768)
LLM_HIDDEN = (4096, 11008, 14336)
#: Each kind's goal shape, the headline table's: what a model runs (2^28 activations, 4096 rows
#: of 32768 logits, 4096 tokens of a Llama-3-8B MLP's fused gate-up projection), a working set
#: at least 4x a 50 MiB L2 in every mode and dtype (a bandwidth figure), and a shape every
#: provider accepts (Liger's softmax refuses rows over 65536).
HEADLINE_SHAPES: dict[str, tuple[int, ...]] = {
    "elementwise": (2**28,),
    "rowwise": (4096, 32768),
    "gated": (4096, 2 * 14336),
    "learnable": (2**28 // 64, 64),
    "randomized": (2**28,),
}

#: Input shapes per scale and kind. ``host`` shapes (2^10 elements) time the per-call CPU
#: overhead; ``memory`` is one of the timed shapes, where peak and saved bytes are measured.
SHAPES: dict[str, dict[str, tuple[tuple[int, ...], ...]]] = {
    "full": {
        "elementwise": _pow2(range(10, 29)),
        "rowwise": tuple((4096, n) for n in ROW_LENGTHS)
        + tuple((64, 2**e) for e in (14, 16, 18, 20)),
        "gated": _gated((1, 16, 128, 1024, 4096, 16384), LLM_HIDDEN),
        "learnable": _channels(range(10, 29)),
        "randomized": _pow2(range(10, 29)),
    },
    "quick": {
        "elementwise": _pow2((10, 16, 22, 28)),
        "rowwise": ((4096, 256), (4096, 4096), (4096, 32768), (64, 2**20)),
        "gated": _gated((16, 4096), (4096, 14336)),
        "learnable": _channels((10, 16, 22, 28)),
        "randomized": _pow2((10, 16, 22, 28)),
    },
    "smoke": {
        "elementwise": _pow2((10, 12)),
        "rowwise": ((4, 256), (4, 1024)),
        "gated": ((1, 1024), (4, 1024)),
        "learnable": _channels((10, 12)),
        "randomized": _pow2((10, 12)),
    },
}
HOST_SHAPES = {"elementwise": (2**10,), "rowwise": (4, 256), "gated": (1, 2**10),
               "learnable": (16, 64), "randomized": (2**10,)}
MEMORY_SHAPES = {
    scale: {"elementwise": (n,), "rowwise": rows, "gated": gated, "learnable": (n // 64, 64),
            "randomized": (n,)}
    for scale, n, rows, gated in (("full", 2**24, (4096, 4096), (4096, 2 * 4096)),
                                  ("quick", 2**22, (4096, 4096), (4096, 2 * 4096)),
                                  ("smoke", 2**12, (4, 1024), (4, 1024)))
}
#: The quick and smoke suites keep a few representative ops (those the registry still has).
SUBSETS = {
    "quick": ("relu", "gelu", "silu", "softmax", "swiglu", "geglu[approximate=tanh]", "prelu"),
    "smoke": ("relu", "softmax", "swiglu"),
}
SUBSET_DTYPES = {"quick": ("bfloat16",), "smoke": ("float32",)}


def output_shape(kind: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Gated ops halve the last dim; the others keep the shape."""
    return (*shape[:-1], shape[-1] // 2) if kind == "gated" else shape


def min_bytes(mode: str, input_numel: int, output_numel: int, itemsize: int) -> int:
    """The fewest bytes an op must move, for GB/s and the roofline fraction.

    forward reads the input and writes the output; backward reads the upstream gradient (output
    sized) and the saved tensor (input sized: the input, or the output of an elementwise or
    row-wise op, which has the input's size) and writes the input gradient.
    """
    forward = input_numel + output_numel
    backward = output_numel + 2 * input_numel
    elements = {"forward": forward, "backward": backward, "forward+backward": forward + backward}
    return elements[mode] * itemsize


@dataclass(frozen=True)
class Case:
    """One benchmark: an op on one input shape and dtype, in one mode (providers side by side)."""

    op: Op
    dtype: str
    shape: tuple[int, ...]
    mode: str

    @property
    def label(self) -> str:
        return f"{self.op.label}-{self.dtype}-{shape_label(self.shape)}-{self.mode}"

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def bytes_moved(self) -> int:
        output = math.prod(output_shape(self.op.kind, self.shape))
        return min_bytes(self.mode, self.numel, output, DTYPES[self.dtype].itemsize)


def shape_label(shape: tuple[int, ...]) -> str:
    """``2^20`` for a power-of-two vector, else ``4096x12672``."""
    if len(shape) == 1 and shape[0] & (shape[0] - 1) == 0:
        return f"2^{shape[0].bit_length() - 1}"
    return "x".join(map(str, shape))


def select_ops(scale: str, names: Sequence[str] | None = None) -> list[Op]:
    """The registry's ops, narrowed to ``names`` (op names or labels) or to the scale's subset."""
    ops = registry_ops()
    wanted = names or SUBSETS.get(scale)
    if not wanted:
        return ops
    unknown = set(names or ()) - {n for op in ops for n in (op.name, op.label)}
    if unknown:
        raise ValueError(f"unknown ops: {', '.join(sorted(unknown))}")
    return [op for op in ops if op.name in wanted or op.label in wanted]


def cases(scale: str = "full", ops: Sequence[str] | None = None,
          dtypes: Sequence[str] | None = None, modes: Sequence[str] | None = None) -> list[Case]:
    """The case list, ordered op, dtype, shape, mode (one op's shape stays together, so that a
    compiled graph serves its three modes)."""
    dtypes = dtypes or SUBSET_DTYPES.get(scale) or tuple(DTYPES)
    return [Case(op, dtype, shape, mode)
            for op in select_ops(scale, ops)
            for dtype in dtypes
            for shape in SHAPES[scale][op.kind]
            for mode in modes or MODES]
