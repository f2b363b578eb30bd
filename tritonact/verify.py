"""``python -m tritonact verify``: parity and gradient checks of every registry op on one
device, driven by the registry (one check function per kind of op), and of the switch's aten
overrides. Import it only after the device is chosen (Triton's interpreter must be on before
triton is imported on a machine without CUDA)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch

from tritonact import functional
from tritonact.registry import ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, ROWWISE
from tritonact.testing import (
    away_from_kinks,
    check_elementwise,
    check_gated,
    check_learnable,
    check_randomized,
    check_rowwise,
)


@dataclass
class Row:
    """One op x parameter set x dtype: what went wrong (nothing when it passed) and the fp64
    gradcheck + gradgradcheck result ("ok", "FAIL", or "-" where not run: other dtypes)."""

    op: str
    params: str
    dtype: torch.dtype
    problems: list[str] = field(default_factory=list)
    gradcheck: str = "-"

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.gradcheck == "FAIL"

    def cells(self) -> list[str]:
        return [self.op, self.params, str(self.dtype).removeprefix("torch."),
                "FAIL" if self.problems else "ok", self.gradcheck,
                "FAIL" if self.failed else "ok"]


def _random(device, dtype):
    return lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)


def _gradcheck(row: Row, f: Callable, *inputs: torch.Tensor) -> None:
    """gradcheck and gradgradcheck of ``f`` in fp64, into ``row``."""
    try:
        ok = torch.autograd.gradcheck(f, inputs) and torch.autograd.gradgradcheck(f, inputs)
    except Exception as error:
        ok = False
        row.problems.append(f"gradcheck: {str(error).splitlines()[0]}")
    row.gradcheck = "ok" if ok else "FAIL"


def _described(x: torch.Tensor, problem: str | None) -> list[str]:
    return [f"{tuple(x.shape)}/{x.stride()}: {problem}"] if problem else []


def elementwise_rows(spec, dtype, device) -> Iterator[Row]:
    """Each parameter set on contiguous, odd-sized, 0-d, transposed and strided inputs."""
    fn, r = getattr(functional, spec.name), _random(device, dtype)
    for params in spec.param_sets():
        row = Row(spec.name, ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults",
                  dtype)
        for x in (r(4099), r(()), r(7, 33).t(), r(3, 40)[:, ::3]):
            row.problems += _described(x, check_elementwise(spec, params, x))
        if dtype == torch.float64:
            _gradcheck(row, lambda t, params=params: fn(t, **params),
                       away_from_kinks(spec, params, device))
        yield row


def rowwise_rows(spec, dtype, device) -> Iterator[Row]:
    """The reduced dim last, first (strided) and in the middle; short and long rows."""
    fn, r = getattr(functional, spec.name), _random(device, dtype)
    row = Row(spec.name, "dim 0, 1, -1, middle; rows 1..70000", dtype)
    for x, dim in ((r(5, 1000), -1), (r(300, 6)[:, ::2], 0), (r(2, 77, 3), 1),
                   (r(2, 70000), 1), (r(()), 0)):
        row.problems += _described(x, check_rowwise(spec, x, dim))
    if dtype == torch.float64:
        _gradcheck(row, lambda t: fn(t, 1),
                   torch.randn(3, 4, dtype=dtype, device=device, requires_grad=True))
    yield row


def gated_rows(spec, dtype, device) -> Iterator[Row]:
    """Each approximation on a fused projection's halves, a transposed and a stepped input."""
    fn, r = getattr(functional, spec.name), _random(device, dtype)
    for approximate in ("none", "tanh") if spec.takes_approximate else ("none",):
        kw = {"approximate": approximate} if spec.takes_approximate else {}
        row = Row(spec.name + (f", {spec.mul_name}" if spec.mul_name else ""),
                  f"approximate={approximate}" if kw else "defaults", dtype)
        for x, dim in ((r(7, 2 * 130), -1), (r(2 * 9, 5).t(), 1), (r(6, 2 * 40)[:, ::2], 1)):
            row.problems += _described(x, check_gated(spec, x, dim, approximate))
        if dtype == torch.float64:
            _gradcheck(row, lambda t, kw=kw: fn(t, -1, **kw),
                       torch.randn(3, 8, dtype=dtype, device=device, requires_grad=True))
        yield row


def learnable_rows(spec, dtype, device) -> Iterator[Row]:
    """2-D, 4-D and channels_last inputs with 1 and C weights; gradients of both."""
    row = Row(spec.name, "1 and C weights; 2-D, 4-D, channels_last", dtype,
              check_learnable(spec, dtype, device))
    if dtype == torch.float64:
        x = away_from_kinks(spec, {}, device, (2, 3, 2))
        for n in (1, 3):
            if row.gradcheck != "FAIL":
                _gradcheck(row, getattr(functional, spec.name), x,
                           torch.rand(n, dtype=dtype, device=device, requires_grad=True))
    yield row


def randomized_rows(spec, dtype, device) -> Iterator[Row]:
    """Eval parity for every parameter set; training slopes, and backward's equal to them."""
    yield Row(spec.name, "eval parity; training slopes, same slopes in backward", dtype,
              check_randomized(spec, dtype, device))


#: Each kind of op: its registry specs and how a row of them is checked.
KINDS = ((ELEMENTWISE, elementwise_rows), (ROWWISE, rowwise_rows), (GATED, gated_rows),
         (LEARNABLE, learnable_rows), (RANDOMIZED, randomized_rows))


def units(ops, dtypes) -> list[tuple[object, torch.dtype, Callable[..., Iterator[Row]]]]:
    """(spec, dtype, its kind's check) for every op in ``ops`` (all when None) and dtype."""
    return [(spec, dtype, check) for specs, check in KINDS for spec in specs
            if not ops or spec.name in ops for dtype in dtypes]


def rows(ops, dtypes, device, each: Callable[[list], Iterable] = iter) -> Iterator[Row]:
    """Every check of the ``ops`` (all when None) in ``dtypes``, row by row. ``each`` wraps the
    list of :func:`units` as they run (a progress display, say)."""
    torch.manual_seed(0)
    for spec, dtype, check in each(units(ops, dtypes)):
        yield from check(spec, dtype, device)
