"""The checks of few-bit saved activations over the registry's ops: ``verify --saved-bits``
(piecewise-linear ops bit for bit against exact mode, smooth ones within the stated quantization
error), ``bench --saved-bits`` (the bytes autograd saves) and the shipped levels'
derivation (``tools/fewbit_levels.py``). The mode itself is ``tritonact.core.fewbit``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import torch

from tritonact import registry
from tritonact.core.fewbit import (
    ALLOWED_BITS,
    PIECEWISE,
    SMOOTH,
    Levels,
    Scheme,
    covers,
    derive,
    op_params,
    saved_bits,
    scheme_for,
    torch_derivative,
)
from tritonact.core.testing import Row


def derive_defaults(keys: Iterable[str] = SMOOTH) -> dict[tuple[str, int], Levels]:
    """The smooth ops' (``keys``') levels at their default parameters, by kernel key and bits
    (what ``tritonact.core.fewbit_levels`` ships; ``tools/fewbit_levels.py`` writes it)."""
    out = {}
    for spec in registry.ELEMENTWISE:
        for key, m in spec.kernels().items():
            if key in keys:
                derivative = torch_derivative(spec.reference or spec.torch_fn,
                                              op_params(spec, m, spec.defaults))
                out.update(((key, bits), levels) for bits, levels in derive(derivative).items())
    return out



# --- verify and bench --------------------------------------------------------------------------


def interval_errors(derivative: Callable[[torch.Tensor], torch.Tensor], table: tuple[float, ...],
                    bits: int, limit: float = 20.0, points: int = 40001) -> list[float]:
    """The stated quantization error: per interval, ``max |f'(x) - level|`` over a grid of
    ``points`` on ``[-limit, limit]`` (step 0.001 by default)."""
    x = torch.linspace(-limit, limit, points, dtype=torch.float64)
    bounds = torch.tensor(table[: 2**bits - 1], dtype=torch.float32).double()
    levels = torch.tensor(table[2**bits - 1:], dtype=torch.float32).double()
    code = (x[:, None] > bounds).sum(-1)
    error = (derivative(x) - levels[code]).abs()
    return [float(error[code == c].max()) if (code == c).any() else 0.0
            for c in range(2**bits)]


def saved_bytes(fn: Callable, x: torch.Tensor, bits: int | None, **params) -> int:
    """Bytes autograd saves for ``fn(x)`` under ``saved_bits(bits)`` (saved_tensors_hooks)."""
    found: list[torch.Tensor] = []
    leaf = x.detach().requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(lambda t: found.append(t) or t, lambda t: t):
        with saved_bits(bits):
            fn(leaf, **params)
    return sum(t.numel() * t.element_size() for t in found)


def saved_bytes_table(ops: Iterable[str] | None, dtypes: Iterable[torch.dtype],
                      device: torch.device | str, n: int = 2**12) -> list[list[str]]:
    """Rows of ``bench --saved-bits``: per op with a few-bit mode and dtype, the bytes per
    element autograd saves in exact mode and with 1 to 4 bits, measured on ``n`` elements."""
    rows = []
    for spec in registry.ELEMENTWISE:
        if (ops and spec.name not in ops) or not all(map(covers, spec.saved_bits_keys())):
            continue
        for dtype in dtypes:
            x = torch.randn(n, device=device).to(dtype)
            params = spec.param_sets()[0]
            sizes = [saved_bytes(spec.function, x, b, **params) / n
                     for b in (None, *ALLOWED_BITS)]
            rows.append([spec.name, str(dtype).removeprefix("torch."),
                         *(f"{s:g}" for s in sizes), f"{sizes[0] / sizes[2]:g}x"])
    return rows


def verify_rows(ops: Iterable[str] | None, dtypes: Iterable[torch.dtype],
                device: torch.device | str) -> Iterator:
    """``verify --saved-bits``: per op with a few-bit mode, parameter set, dtype and bit count,
    piecewise-linear ops' output and gradient bit for bit against exact mode (NaN, infinities
    and kinks included), smooth ops' gradient within the stated quantization error of the exact
    derivative (:func:`interval_errors`, plus the dtype's rounding)."""
    for spec in registry.ELEMENTWISE:
        if (ops and spec.name not in ops) or not all(map(covers, spec.saved_bits_keys())):
            continue
        for params in spec.param_sets():
            m = spec.math_for(params.get(spec.choice.name)) if spec.choice else spec.math
            floats = tuple(float(params[p]) for p in spec.float_params)
            for dtype in dtypes:
                for bits in (1,) if m.key in PIECEWISE else ALLOWED_BITS:
                    s = scheme_for(spec, m, bits, floats)
                    label = ", ".join(f"{k}={v}" for k, v in params.items())
                    row = Row(spec.name, f"{label + ', ' if label else ''}saved_bits={bits}",
                              dtype)
                    if s.smooth:
                        errors = interval_errors(torch_derivative(
                            spec.reference or spec.torch_fn, params), s.table, bits)
                        row.params += f" (max |f' - q| {max(errors):.3g})"
                        row.add(torch.empty(0), _smooth_problem(spec, params, s, errors, dtype,
                                                                device))
                    else:
                        row.add(torch.empty(0), _exact_problem(spec, params, dtype, device))
                    yield row


def _grads(fn, x, g, bits, params):
    leaf = x.detach().clone().requires_grad_()
    with saved_bits(bits):
        y = fn(leaf, **params)
    y.backward(g)
    return y.detach(), leaf.grad


def _exact_problem(spec, params, dtype, device) -> str | None:
    kinks = [float(p) for p in spec.points(**params)]
    values = [math.nan, math.inf, -math.inf, 0.0, -0.0, *kinks]
    x = torch.cat([torch.tensor(values, dtype=torch.float64),
                   torch.randn(4093, dtype=torch.float64) * 3]).to(dtype).to(device)
    x = torch.cat([x, torch.nextafter(x[5:5 + len(kinks)], torch.full_like(x[:len(kinks)], 9))])
    g = torch.randn(x.shape, device=device).to(dtype)
    (y0, dx0), (y1, dx1) = (_grads(spec.function, x, g, b, params) for b in (None, 1))
    if not (y0.view(torch.uint8).equal(y1.view(torch.uint8))):
        return "output differs from exact mode's"
    if not dx0.view(torch.uint8).equal(dx1.view(torch.uint8)):
        return "gradient differs from exact mode's, bit for bit"
    return None


def _smooth_problem(spec, params, s: Scheme, errors: list[float], dtype, device) -> str | None:
    x = (torch.randn(4099, dtype=torch.float64) * 3).clamp(-20, 20).to(dtype).to(device)
    g = torch.randn(x.shape, device=device).to(dtype)
    _, dx = _grads(spec.function, x, g, s.bits, params)
    x64, g64 = x.double().cpu(), g.double().cpu()
    exact = torch_derivative(spec.reference or spec.torch_fn, params)(x64) * g64
    bounds = torch.tensor(s.table[: 2**s.bits - 1], dtype=torch.float32).double()
    allowed = torch.tensor(errors, dtype=torch.float64)[(x64[:, None] > bounds).sum(-1)]
    eps = torch.finfo(dtype).eps
    # the stated error, a grid step's slack (0.001 times f'' < 2), and the dtype's rounding
    limit = g64.abs() * (allowed + 2e-3) + dx.double().cpu().abs() * eps + 1e-12
    over = ((dx.double().cpu() - exact).abs() > limit).sum().item()
    return f"{over} gradients beyond the stated error" if over else None
