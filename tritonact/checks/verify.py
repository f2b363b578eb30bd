"""``python -m tritonact verify``: parity and gradient checks of every registry op on one
device (each spec's ``verify_rows``), and of the switch's aten overrides (torch's own calls with
the switch on against off). Import it only after the device is chosen (Triton's interpreter must
be on before triton is imported on a machine without CUDA)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch

from tritonact.core.testing import Row, SwitchCase, forward_backward, mismatch, scalar_path_copy
from tritonact.families.base import Spec
from tritonact.integrations import switch
from tritonact.registry import OPS, SPECS


def units(ops, dtypes) -> list[tuple[Spec, torch.dtype]]:
    """(spec, dtype) for every op in ``ops`` (all when None) and dtype."""
    return [(spec, dtype) for spec in SPECS if not ops or spec.name in ops for dtype in dtypes]


def rows(ops, dtypes, device, each: Callable[[list], Iterable] = iter) -> Iterator[Row]:
    """Every check of the ``ops`` (all when None) in ``dtypes``, row by row. ``each`` wraps the
    list of :func:`units` as they run (a progress display, say)."""
    torch.manual_seed(0)
    for spec, dtype in each(units(ops, dtypes)):
        yield from spec.verify_rows(dtype, device)


# --- the switch: torch's own calls, switch on against off -------------------------------------


@dataclass(frozen=True)
class Check:
    """One switch check: torch's public call for ``op`` with ``params`` in ``dtype``, with the
    switch on for ``op`` against torch with it off. ``served``: the aten operators the switch
    computed; ``problem``: None, or what went wrong."""

    op: str
    params: str
    dtype: torch.dtype
    served: tuple[str, ...]
    problem: str | None


def _compare(case: SwitchCase) -> tuple:
    """(served aten operators, problem) for ``case``: forward and backward (and the in-place
    form) with the switch on for its op against torch in fp64 and in x's dtype. With
    ``backward_from_output`` the switched backward is judged from the switched forward's own
    output (an ulp of a 16-bit softmax output is amplified by ``dy - sum(dy * y)``, for torch
    as for tritonact)."""
    op, fn, x, reference = case.op, case.fn, case.x, case.reference
    inplace, backward_from_output = case.inplace, case.backward_from_output
    with torch.no_grad():
        out_shape = fn(x).shape  # glu halves a dim
    g = torch.randn(out_shape, dtype=torch.float64, device=x.device).to(x.dtype)
    # the reference from torch's CPU scalar loop, which reads NaN as its CUDA kernels do
    y64, dx64 = forward_backward(reference or fn, scalar_path_copy(x.double()), g.double(), {})
    yt, dxt = forward_backward(fn, x, g, {})
    served_ops: list[str] = []
    switch.served_hooks.append(served_ops.append)
    try:
        with switch.use(include=[op]):
            y, dx = forward_backward(fn, x, g, {})
            y_inplace = inplace(x.detach().clone()) if inplace else None
    finally:
        switch.served_hooks.remove(served_ops.append)
    if backward_from_output is not None:
        dx64, dxt = backward_from_output(g.double(), y.double()), backward_from_output(g, y)
    problem = None
    for what, ours, exact, theirs in (("forward", y, y64, yt), ("backward", dx, dx64, dxt),
                                      ("in place", y_inplace, y64, yt)):
        found = ours is not None and mismatch(ours, exact, theirs, x.dtype)
        if found:
            problem = f"{what}: {found}"
            break
    if not problem and (y.dtype, dx.dtype) != (yt.dtype, dxt.dtype):
        problem = f"dtypes {y.dtype}/{dx.dtype}, torch's {yt.dtype}/{dxt.dtype}"
    if not problem and not served_ops:
        problem = "torch computed every call: the switch served nothing"
    return tuple(dict.fromkeys(served_ops)), problem


def check_overrides(device, dtypes: Iterable[torch.dtype],
                    ops: Iterable[str] | None = None) -> list[Check]:
    """torch's own calls (``F.<op>(x, **params)``, forward, backward and in place) for every
    op the switch covers (each spec's ``switch_cases``), switch on against switch off. Between
    them the checks reach every operator in ``tritonact.integrations.switch.OVERRIDES``."""
    wanted = [op for op in switch.covered_ops() if ops is None or op in set(ops)]
    return [Check(case.op, case.params, dtype, *_compare(case))
            for dtype in dtypes for op in wanted
            for case in OPS[op].switch_cases(dtype, device)]
