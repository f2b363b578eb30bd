"""Parity checking shared by the tests and ``python -m tritonact verify``.

All tolerances live here. A result passes when, elementwise,

    |ours - ref64| <= atol + rtol * |ref64| + |torch - ref64|

where ``ref64`` is torch's op computed in fp64 on the same (already rounded) inputs and
``torch`` is torch's op in the tested dtype: tritonact may be off by the dtype's tolerance plus
whatever error torch itself makes in that dtype (a bf16 sigmoid backward reads a bf16 output in
both), never more. NaN must sit where the reference has NaN, infinities must match exactly,
except where torch's result in the dtype and the fp64 one are different non-finite values: there
torch's result is accepted too. The fp64 reference is computed on
torch's CPU scalar loop (``scalar_path_copy``), which reads NaN inputs as its CUDA kernels do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

#: (rtol, atol) per dtype: torch.testing's defaults for fp16, bf16 and fp32 (the kernels' exp-built
#: tanh/expm1/log1p are within ~3 fp32 eps, torch's within ~1, so composite derivatives such as
#: mish' need fp32's 1e-5 atol near their zero crossings); fp64 at 1e-7 relative because torch's
#: own fp64 kernels round a few constants through fp32 (hardsigmoid's 1/6: 3e-8 relative), while
#: tritonact's fp64 path is exact to ~1e-15.
TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-7, 1e-12),
    torch.float32: (1.3e-6, 1e-5),
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
}

DTYPES = (torch.float32, torch.float16, torch.bfloat16, torch.float64)


def mismatch(actual: torch.Tensor, ref64: torch.Tensor, torch_result: torch.Tensor | None = None,
             dtype: torch.dtype | None = None, scale: torch.Tensor | None = None) -> str | None:
    """None when ``actual`` matches ``ref64`` within tolerance, else a description of the worst
    element. Where the exact result does not fit the dtype (it rounds to inf), torch's result in
    that dtype is the reference; where it fits, it stays the reference even if torch's own
    formula overflows (hardswish(3e38) in fp32: torch inf, exactly 3e38). ``scale``, where
    given, is the magnitude of the terms that the result sums (a gated gradient's ``dy * up``):
    rtol applies to it where it exceeds |ref64|, as a sum that cancels keeps only the absolute
    error of its terms."""
    if actual.shape != ref64.shape:
        return f"shape {tuple(actual.shape)} != {tuple(ref64.shape)}"
    rtol, atol = TOLERANCES[dtype or actual.dtype]
    ours = actual.detach().to(torch.float64).cpu().flatten()
    ref = ref64.detach().to(torch.float64).cpu().flatten()
    if torch_result is not None:
        lowp = torch_result.detach().to(torch.float64).cpu().flatten()
        # the exact result rounds to inf in the dtype: torch's infinity is the reference (an
        # exact result that fits stays the reference where torch's formula overflows)
        dtype_max = torch.finfo(dtype or actual.dtype).max
        ref = torch.where(ref.isfinite() & lowp.isinf() & (ref.abs() > dtype_max), lowp, ref)
    same = lambda a, b: (a == b) | (a.isnan() & b.isnan())
    # where torch's result in the dtype and the fp64 one are different non-finite values
    # (elu(x, inf) at x << 0: NaN in fp32, where exp(x) underflows to 0, -inf in fp64), torch's
    # result is as good as the reference; a finite reference is never waived this way
    torchs_own = (torch.zeros_like(ours, dtype=torch.bool) if torch_result is None else
                  ~lowp.isfinite() & ~ref.isfinite() & ~same(lowp, ref) & same(ours, lowp))
    for what, bad in (
        ("NaN", (ours.isnan() != ref.isnan()) & ~torchs_own),
        ("inf", (ours.isinf() | ref.isinf()) & ~ref.isnan() & (ours != ref) & ~torchs_own),
    ):
        if bad.any():
            i = int(bad.nonzero()[0])
            return f"{what} mismatch at flat index {i}: ours {ours[i].item()!r}, reference " \
                   f"{ref[i].item()!r}"
    magnitude = ref.abs()
    if scale is not None:
        magnitude = torch.maximum(magnitude, scale.detach().to(torch.float64).cpu().flatten())
    allowed = atol + rtol * magnitude
    if torch_result is not None:
        torch_err = (lowp - ref).abs()
        allowed = allowed + torch.where(torch_err.isfinite(), torch_err, 0.0)
    excess = torch.where(ref.isfinite() & ~torchs_own, (ours - ref).abs() - allowed, 0.0)
    if excess.numel() and excess.max() > 0:
        i = int(excess.argmax())
        return (f"{int((excess > 0).sum())} of {ours.numel()} elements off, worst at flat "
                f"index {i}: ours {ours[i].item()!r}, reference {ref[i].item()!r} "
                f"(rtol {rtol}, atol {atol})")
    return None


def scalar_path_copy(x: torch.Tensor) -> torch.Tensor:
    """``x``'s values in a stepped layout (every other element of a buffer twice as long), as a
    leaf with x's requires_grad. On such a tensor torch's CPU kernels run their scalar loop, which
    reads as torch's CUDA kernels do; their vectorised loop gives other gradients at NaN for a
    few ops (hardtanh, the shrinks, hardswish, the elu family), and tritonact follows CUDA. The
    fp64 reference is computed on this copy."""
    if x.dim() == 0:
        return x.detach().clone().requires_grad_(x.requires_grad)
    buffer = torch.empty((*x.shape[:-1], 2 * x.shape[-1]), dtype=x.dtype, device=x.device)
    copy = buffer[..., ::2]
    copy.copy_(x.detach())
    return copy.requires_grad_(x.requires_grad)


def _strides(t: torch.Tensor) -> tuple[int, ...]:
    """The strides that matter: those of dims longer than one (a size-1 dim's is arbitrary)."""
    return tuple(st for st, n in zip(t.stride(), t.shape) if n > 1) if t.numel() > 1 else ()


def layout_mismatch(x: torch.Tensor, ours: tuple, torch_results: tuple) -> str | None:
    """None when each of ``ours`` (result, input gradient, ...) has the strides of torch's
    result in the same place (None entries, where a result was not computed, are skipped)."""
    for what, got, want in zip(("result", "input gradient", "second gradient"), ours,
                               torch_results):
        if got is not None and want is not None and _strides(got) != _strides(want):
            return (f"{what} strides {got.stride()}, torch's {want.stride()}, for input "
                    f"{tuple(x.shape)}/{x.stride()}")
    return None


def forward_backward(fn: Callable, x: torch.Tensor, g: torch.Tensor | None, params: dict):
    """``(fn(x, **params), its input gradient for upstream g)`` on a fresh leaf of ``x``'s
    values (no gradient where ``g`` is None)."""
    x = x.detach().requires_grad_()
    y = fn(x, **params)
    if g is None:
        return y, None
    (dx,) = torch.autograd.grad(y, x, g.to(y.dtype))
    return y, dx


@dataclass
class Row:
    """One ``verify`` row: an op x parameter set x dtype, what went wrong (nothing when it
    passed) and the fp64 gradcheck + gradgradcheck result ("ok", "FAIL", or "-" where not run:
    other dtypes)."""

    op: str
    params: str
    dtype: torch.dtype
    problems: list[str] = field(default_factory=list)
    gradcheck: str = "-"

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.gradcheck == "FAIL"

    def add(self, x: torch.Tensor, problem: str | None) -> None:
        """Record ``problem`` (None: the check passed) of a check on ``x``."""
        if problem:
            self.problems.append(f"{tuple(x.shape)}/{x.stride()}: {problem}")

    def cells(self) -> list[str]:
        return [self.op, self.params, str(self.dtype).removeprefix("torch."),
                "FAIL" if self.problems else "ok", self.gradcheck,
                "FAIL" if self.failed else "ok"]


def gradcheck_into(row: Row, f: Callable, *inputs: torch.Tensor) -> None:
    """gradcheck and gradgradcheck of ``f`` in fp64, into ``row``."""
    try:
        ok = torch.autograd.gradcheck(f, inputs) and torch.autograd.gradgradcheck(f, inputs)
    except Exception as error:
        ok = False
        row.problems.append(f"gradcheck: {str(error).splitlines()[0]}")
    row.gradcheck = "ok" if ok else "FAIL"


def special_sample(dtype: torch.dtype, device, points=()) -> torch.Tensor:
    """Random values, an op's kinks (``points``), and the special values: +-0, +-inf, NaN,
    +-20."""
    special = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 20.0, -20.0, *points]
    values = torch.cat([torch.tensor(special, dtype=torch.float64, device=device),
                        torch.randn(150, dtype=torch.float64, device=device) * 3])
    return values.to(dtype)


@dataclass(frozen=True)
class SwitchCase:
    """One of ``verify``'s checks of the switch: torch's public call ``fn`` on ``x``, forward
    and backward (and ``inplace``, its in-place form), with the switch on for ``op`` against
    torch with it off. ``reference``: the fp64 reference where it is not ``fn``;
    ``backward_from_output(g, y)``: torch's backward from the saved output, where the switched
    backward is judged from the switched forward's own output."""

    op: str
    params: str
    fn: Callable
    x: torch.Tensor
    reference: Callable | None = None
    inplace: Callable | None = None
    backward_from_output: Callable | None = None
