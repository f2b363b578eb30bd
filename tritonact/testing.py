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


def _forward_backward(fn: Callable, x: torch.Tensor, g: torch.Tensor | None, params: dict):
    x = x.detach().requires_grad_()
    y = fn(x, **params)
    if g is None:
        return y, None
    (dx,) = torch.autograd.grad(y, x, g.to(y.dtype))
    return y, dx


def check_elementwise(spec, params: dict, x: torch.Tensor, g: torch.Tensor | None = None,
                      backward: bool = True) -> str | None:
    """Forward (and backward, with upstream gradient ``g``, random by default) of ``spec`` on
    ``x`` against torch in fp64 and in ``x``'s dtype; the output must keep ``x``'s layout.
    Returns None, or what went wrong."""
    from tritonact import functional

    ours_fn = getattr(functional, spec.name)
    if backward and g is None:
        g = torch.randn(x.shape, dtype=x.dtype, device=x.device)
    y, dx = _forward_backward(ours_fn, x, g if backward else None, params)
    x64 = scalar_path_copy(x.detach().to(torch.float64))
    y64, dx64 = _forward_backward(spec.reference or spec.torch_fn, x64,
                                  g.to(torch.float64) if backward else None, params)
    try:
        yt, dxt = _forward_backward(spec.torch_fn, x.detach(), g if backward else None, params)
    except (RuntimeError, NotImplementedError):  # torch lacks this dtype on this device
        yt = dxt = None
    problem = layout_mismatch(x, (y, dx), (yt, dxt))
    if problem:
        return problem
    problem = mismatch(y, y64, yt, x.dtype)
    if problem:
        return f"forward: {problem}"
    if backward:
        problem = mismatch(dx, dx64, dxt, x.dtype)
        if problem:
            return f"backward: {problem}"
    return None


def away_from_kinks(spec, params: dict, device, shape=(3, 4)) -> torch.Tensor:
    """Random fp64 inputs at least 1e-3 from every kink, where finite differences are valid
    (gradcheck's input)."""
    x = torch.randn(shape, dtype=torch.float64, device=device) * 3
    for p in spec.points(**params):
        x = torch.where((x - p).abs() < 1e-3, x + 1e-2, x)
    return x.requires_grad_()


def check_rowwise(spec, x: torch.Tensor, dim: int, dtype: torch.dtype | None = None,
                  g: torch.Tensor | None = None) -> str | None:
    """Forward and backward of a row-wise ``spec`` over ``dim`` (result in ``dtype``) against
    torch in fp64 and in the tested dtypes; None, or what went wrong."""
    from tritonact import functional

    out_dtype = dtype or x.dtype
    kw = {} if dtype is None else {"dtype": dtype}
    if g is None:
        g = torch.randn(x.shape, dtype=out_dtype, device=x.device)
    fn = getattr(functional, spec.name)
    y, dx = _forward_backward(lambda t: fn(t, dim, **kw), x, g, {})
    y64 = spec.torch_fn(x.detach().double(), dim)
    try:
        yt, dxt_layout = _forward_backward(lambda t: spec.torch_fn(t, dim, **kw), x, g, {})
    except (RuntimeError, NotImplementedError):
        yt = dxt_layout = None
    # backward reads only the saved output: judge it from tritonact's own y (an ulp of y in
    # fp16 is amplified by dy - sum(dy * y), for torch as for us)
    d = dim % max(x.dim(), 1)
    y_saved = y.detach() if x.dim() else y.detach().reshape(1)
    g_ = g if x.dim() else g.reshape(1)
    dx64 = spec.torch_backward(g_.double(), y_saved.double(), d, torch.float64).reshape(x.shape)
    dxt = spec.torch_backward(g_, y_saved, d, y.dtype).to(x.dtype).reshape(x.shape)
    if y.dtype != out_dtype or dx.dtype != x.dtype:
        return f"dtypes: result {y.dtype}, gradient {dx.dtype}"
    problem = layout_mismatch(x, (y, dx), (yt, dxt_layout))
    if problem:
        return problem
    lowest = max(out_dtype, x.dtype, key=lambda d: TOLERANCES[d][0])
    problem = mismatch(y, y64, yt, out_dtype)
    if problem:
        return f"forward: {problem}"
    problem = mismatch(dx, dx64, dxt, lowest)
    return f"backward: {problem}" if problem else None


def check_gated(spec, x: torch.Tensor, dim: int, approximate: str = "none",
                g: torch.Tensor | None = None) -> str | None:
    """A gated ``spec`` over the halves of ``dim`` of ``x`` (and its two-tensor form on those
    halves), forward and backward, against torch's composite in fp64 and in x's dtype."""
    from tritonact import functional

    kw = {"approximate": approximate} if spec.takes_approximate else {}
    ours = lambda t: getattr(functional, spec.name)(t, dim, **kw)
    theirs = lambda t: spec.reference(t, dim, **kw)
    out_shape = list(x.shape)
    out_shape[dim] //= 2
    if g is None:
        g = torch.randn(out_shape, dtype=x.dtype, device=x.device)
    y, dx = _forward_backward(ours, x, g, {})
    y64, dx64 = _forward_backward(theirs, x.detach().double(), g.double(), {})
    yt, dxt = _forward_backward(theirs, x.detach(), g, {})
    first, second = x.detach().double().chunk(2, dim)
    up = second if spec.gate_first else first
    gate_scale = (g.double() * up).abs()
    scale = torch.cat((gate_scale, torch.zeros_like(gate_scale)) if spec.gate_first
                      else (torch.zeros_like(gate_scale), gate_scale), dim)
    problem = (layout_mismatch(x, (y, dx if spec.torch_fn else None), (yt, dxt))
               or mismatch(y, y64, yt, x.dtype) or mismatch(dx, dx64, dxt, x.dtype, scale))
    if problem:
        return f"{spec.name}: {problem}"
    if spec.mul_name:
        first, second = x.detach().chunk(2, dim)
        def run(fn, dtype):
            a, b = first.to(dtype).requires_grad_(), second.to(dtype).requires_grad_()
            out = fn(a, b, **kw)
            return (out, *torch.autograd.grad(out, (a, b), g.to(dtype)))

        o, ga, gb = run(getattr(functional, spec.mul_name), x.dtype)
        o64, ga64, gb64 = run(spec.reference_mul, torch.float64)
        ot, gat, gbt = run(spec.reference_mul, x.dtype)
        for name, got, want, lowp, scale in (
                ("forward", o, o64, ot, None), ("gate grad", ga, ga64, gat, gate_scale),
                ("up grad", gb, gb64, gbt, None)):
            problem = mismatch(got, want, lowp, x.dtype, scale)
            if problem:
                return f"{spec.mul_name} {name}: {problem}"
    return None


def check_learnable_case(spec, x: torch.Tensor, weight: torch.Tensor,
                         g: torch.Tensor) -> str | None:
    """PReLU-like ``spec`` on ``x`` with ``weight``: forward, input and weight gradients against
    torch in fp64 and in x's dtype. The weight gradient is a sum over all but the channel dim:
    rtol applies to the sum of its terms' magnitudes."""
    from tritonact import functional

    def run(fn, dtype):
        a = x.detach().to(dtype).requires_grad_()
        w = weight.detach().to(dtype).requires_grad_()
        y = fn(a, w)
        return (y, *torch.autograd.grad(y, (a, w), g.to(dtype)))

    ours = run(getattr(functional, spec.name), x.dtype)
    ref, lowp = run(spec.torch_fn, torch.float64), run(spec.torch_fn, x.dtype)
    x64, g64 = x.detach().double(), g.double()
    dims = [d for d in range(x.dim()) if d != 1 or weight.numel() == 1]
    terms = (torch.where(x64 > 0, 0.0, x64) * g64).abs()
    scale = (terms.sum(dims) if dims else terms).reshape(weight.shape)
    for name, i, s in (("forward", 0, None), ("input grad", 1, None), ("weight grad", 2, scale)):
        problem = mismatch(ours[i], ref[i], lowp[i], x.dtype, s)
        if problem:
            return f"{name}: {problem}"
    return None


def check_learnable(spec, dtype: torch.dtype, device) -> list[str]:
    """``check_learnable_case`` on 2-D, 4-D and channels_last inputs with 1 and C weights."""
    r = lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)
    problems = []
    for x in (r(37, 6), r(2, 3, 5, 7),
              r(2, 5, 3, 4).contiguous(memory_format=torch.channels_last)):
        for n in (1, x.shape[1]):
            weight = (torch.rand(n, device=device) - 0.3).to(dtype)
            problem = check_learnable_case(spec, x, weight, torch.randn_like(x))
            if problem:
                problems.append(f"{tuple(x.shape)}/{x.stride()}, {n} weights: {problem}")
    return problems


def check_randomized(spec, dtype: torch.dtype, device) -> list[str]:
    """RReLU-like ``spec``: eval mode against torch (every parameter set); training mode's
    slopes within [lower, upper], positive inputs passed through, and backward using the
    forward's slopes (``dx / g == y / x``)."""
    from tritonact import functional

    fn = getattr(functional, spec.name)
    problems = []
    x = (torch.randn(9, 70, dtype=torch.float64, device=device) * 3).to(dtype)
    g = torch.randn(x.shape, dtype=dtype, device=device)
    for params in spec.param_sets():
        def run(f, dt, params=params):
            a = x.detach().to(dt).requires_grad_()
            y = f(a, **params)
            return y, torch.autograd.grad(y, a, g.to(dt))[0]

        ours, ref, lowp = run(fn, dtype), run(spec.torch_fn, torch.float64), run(
            spec.torch_fn, dtype)
        for name, i in (("eval forward", 0), ("eval backward", 1)):
            problem = mismatch(ours[i], ref[i], lowp[i], dtype)
            if problem:
                problems.append(f"{params} {name}: {problem}")
        lower, upper = params["lower"], params["upper"]
        a = x.detach().requires_grad_()
        y = fn(a, training=True, **params)
        (dx,) = torch.autograd.grad(y, a, g)
        negative = x < 0
        slopes = (y.double() / x.double())[negative]
        eps = torch.finfo(dtype).eps
        if slopes.numel() and (slopes.min() < min(lower * (1 + eps), lower * (1 - eps))
                               or slopes.max() > max(upper * (1 + eps), upper * (1 - eps))):
            problems.append(f"{params} training: slopes in [{slopes.min()}, {slopes.max()}]")
        if not torch.equal(y[~negative], x[~negative]):
            problems.append(f"{params} training: non-negative inputs changed")
        backward_slopes = (dx.double() / g.double())[negative & (g != 0)]
        forward_slopes = (y.double() / x.double())[negative & (g != 0)]
        if not torch.allclose(backward_slopes, forward_slopes, rtol=4 * eps, atol=1e-12):
            problems.append(f"{params} training: backward's slopes differ from forward's")
    return problems
