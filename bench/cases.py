"""The benchmark cases, defined once from the registry: op x dtype x shape x mode.

Both front ends (``python -m tritonact bench`` and ``pytest bench/``) iterate this list; an op
added to the registry (of any family: each spec says its benchmark parameter sets, and its
family its shapes) appears here without an edit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tritonact import registry
from tritonact.core.bench_op import Op

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


def registry_ops() -> list[Op]:
    """Every op of the registry, each at the parameter sets its spec benchmarks
    (``Spec.bench_ops``): elementwise ops at their first parameter set (torch's defaults where
    every parameter has one), row-wise ops over the last dim, gated ops over the last dim in
    each of their approximations, learnable ops (PReLU) with one weight per channel, randomized
    ops (RReLU) in training mode (eval mode is their slope op's kernel)."""
    return [op for spec in registry.SPECS for op in spec.bench_ops()]


def _families() -> dict[str, object]:
    """family name -> its benchmark shapes, for every family the registry holds."""
    return {type(spec).family: type(spec).bench_shapes for spec in registry.SPECS}


#: Each family's goal shape, the headline table's: what a model runs (2^28 activations, 4096
#: rows of 32768 logits, 4096 tokens of a Llama-3-8B MLP's fused gate-up projection), a working
#: set at least 4x a 50 MiB L2 in every mode and dtype (a bandwidth figure), and a shape every
#: provider accepts (Liger's softmax refuses rows over 65536).
HEADLINE_SHAPES: dict[str, tuple[int, ...]] = {f: b.headline for f, b in _families().items()}
#: Input shapes per scale and family. ``host`` shapes (2^10 elements) time the per-call CPU
#: overhead; ``memory`` is one of the timed shapes, where peak and saved bytes are measured.
SHAPES: dict[str, dict[str, tuple[tuple[int, ...], ...]]] = {
    scale: {f: getattr(b, scale) for f, b in _families().items()}
    for scale in ("full", "quick", "smoke")}
HOST_SHAPES = {f: b.host for f, b in _families().items()}
MEMORY_SHAPES = {scale: {f: b.memory[scale] for f, b in _families().items()}
                 for scale in ("full", "quick", "smoke")}
#: The quick and smoke suites keep a few representative ops (those the registry still has).
SUBSETS = {
    "quick": ("relu", "gelu", "silu", "softmax", "swiglu", "geglu[approximate=tanh]", "prelu"),
    "smoke": ("relu", "softmax", "swiglu", "bias_swiglu", "snake"),
}
SUBSET_DTYPES = {"quick": ("bfloat16",), "smoke": ("float32",)}


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
        output = math.prod(self.op.spec.output_shape(self.shape))
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
