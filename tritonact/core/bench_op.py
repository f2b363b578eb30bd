"""What a family says of each op it benchmarks: the op with its parameters
(``Spec.bench_ops``); ``tritonact.bench`` times it in every mode, dtype and shape."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Op:
    """One registry op with the parameters it is benchmarked at."""

    kind: str  # the spec's family: "elementwise", "rowwise", "gated", ...
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
