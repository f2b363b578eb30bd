"""PyTorch's own test material, run against tritonact: ``op_db``'s sample, reference and error
inputs (``torch.testing._internal.common_methods_invocations``) and ``module_db``'s module
inputs (``common_modules``), for every registry op that torch has.

Each call is made twice, once with torch's function and once with tritonact's, and compared:
the exception type where torch raises, else values (against torch's op on fp64 copies of the
inputs, within torch's own error in the tested dtype plus the tolerances of
``tritonact.core.testing``), output strides, and the gradient of every input that requires one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import torch

from tritonact import functional
from tritonact.core.testing import TOLERANCES, layout_mismatch, mismatch, scalar_path_copy
from tritonact.registry import ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, ROWWISE

#: Every registry op that torch has, by name (the ops torch lacks have no entry there).
TORCH_OPS: tuple[str, ...] = tuple(
    spec.name for specs in (ELEMENTWISE, ROWWISE, GATED, LEARNABLE, RANDOMIZED)
    for spec in specs if getattr(spec, "torch_fn", None) is not None
    and getattr(spec, "torch_has_op", True))  # an elementwise op torch lacks has a composite


@functools.cache
def op_infos(name: str) -> list:
    """op_db's OpInfos for the registry op ``name`` (softmax has a ``with_dtype`` variant);
    complex-only variants aside."""
    from torch.testing._internal.common_methods_invocations import op_db

    return [info for info in op_db if info.name in (name, f"nn.functional.{name}")
            and info.variant_test_name != "complex"]


@functools.cache
def module_infos(name: str) -> list:
    """module_db's ModuleInfos for torch.nn classes tritonact.nn subclasses (by class name)."""
    from torch.testing._internal.common_modules import module_db

    return [info for info in module_db if info.module_cls.__name__ == name]


def _float_tensors(values) -> list[torch.Tensor]:
    return [v for v in values if isinstance(v, torch.Tensor) and v.is_floating_point()]


def _as(value, dtype: torch.dtype):
    """A float tensor copied to ``dtype`` as a new leaf in the same layout (the whole storage is
    copied and viewed with the same sizes, strides and offset, so steps, expanded and
    overlapping dims stay, and an in-place call writes into the copy only), requires_grad kept;
    anything else as is."""
    if not (isinstance(value, torch.Tensor) and value.is_floating_point()):
        return value
    storage = value.untyped_storage().nbytes() // value.element_size()
    whole = value.detach().as_strided((storage,), (1,), 0).to(dtype, copy=True)
    copy = whole.as_strided(value.shape, value.stride(), value.storage_offset())
    return copy.detach().requires_grad_(value.requires_grad)


def _upstream(out: torch.Tensor) -> torch.Tensor:
    """The upstream gradient for a result: fixed random numbers in fp64."""
    generator = torch.Generator(device=out.device).manual_seed(0)
    return torch.randn(out.shape, dtype=torch.float64, device=out.device, generator=generator)


def _call(fn: Callable, x, args: tuple, kwargs: dict):
    """``fn(x, *args, **kwargs)`` and the gradients of its float tensor inputs that require
    one, for a fixed upstream gradient; or the exception raised."""
    try:
        out = fn(x, *args, **kwargs)
    except Exception as error:  # compared by type with torch's
        return error, None, None
    leaves = [t for t in _float_tensors([x, *args, *kwargs.values()]) if t.requires_grad]
    if not (leaves and isinstance(out, torch.Tensor) and out.requires_grad):
        return None, out, None
    try:
        grads = torch.autograd.grad(out, leaves, _upstream(out).to(out.dtype), allow_unused=True)
    except Exception as error:
        return error, out, None
    return None, out, grads


def compare(ours: Callable, theirs: Callable, x, args: tuple, kwargs: dict,
            values: bool = True, reference: Callable | None = None,
            backward_from_output: Callable | None = None) -> str | None:
    """None when tritonact's ``ours`` gives torch's ``theirs``'s result (or exception type) on
    one call; else what differs. ``values=False`` (random ops) checks everything but values.

    ``reference`` computes the fp64 reference (default ``theirs``: a module needs an fp64 copy).
    ``backward_from_output(g, y, dtype)``, where given, is torch's input gradient from the saved
    output (the row-wise ops): tritonact's gradient is judged from its own ``y``, whose last-ulp
    difference from torch's the row-wise backward amplifies for torch as for tritonact.
    """
    args = tuple(args)

    def copies(dtype):
        return (_as(x, dtype), tuple(_as(a, dtype) for a in args),
                {k: _as(v, dtype) for k, v in kwargs.items()})

    dtype = x.dtype
    x_t, args_t, kwargs_t = copies(dtype)
    torch_error, expected, expected_grads = _call(theirs, x_t, args_t, kwargs_t)
    x_o, args_o, kwargs_o = copies(dtype)
    error, got, grads = _call(ours, x_o, args_o, kwargs_o)
    if torch_error is not None or error is not None:
        if type(torch_error) is not type(error):
            return f"torch raised {torch_error!r}, tritonact {error!r}"
        return None
    if not isinstance(expected, torch.Tensor):
        return None if type(got) is type(expected) else f"result {type(got)}"
    if got.dtype != expected.dtype or got.shape != expected.shape:
        return f"result {got.dtype}{tuple(got.shape)}, torch's {expected.dtype}" \
               f"{tuple(expected.shape)}"
    problem = layout_mismatch(x, (got, *(grads or ())), (expected, *(expected_grads or ())))
    if problem or not values or not got.is_floating_point():
        return problem
    result_dtype = kwargs.get("dtype") or dtype
    # torch's dtype= casts the input first; its scalar loop reads as its CUDA kernels
    x64 = scalar_path_copy(_as(_as(x, result_dtype), torch.float64))
    _, args64, kwargs64 = copies(torch.float64)
    kwargs64.pop("dtype", None)
    ref_error, ref, ref_grads = _call(reference or theirs, x64, args64, kwargs64)
    if ref is None:
        return f"torch's fp64 reference raised {ref_error!r}"
    problem = mismatch(got, ref, expected, result_dtype)
    if problem:
        return f"result: {problem}"
    if backward_from_output is not None and grads:
        g = _upstream(got)
        ref_grads = (backward_from_output(g, got.detach().double(), torch.float64),)
        expected_grads = (backward_from_output(g.to(got.dtype), got.detach(), dtype),)
    # a gradient that went through dtype= is as coarse as the coarser of the two dtypes
    coarser = max(dtype, result_dtype, key=lambda d: TOLERANCES[d][0])
    for i, (mine, want, lowp) in enumerate(zip(grads or (), ref_grads or (),
                                               expected_grads or ())):
        if mine is None or want is None:
            continue
        problem = mismatch(mine, want, lowp, coarser, _sum_scale(i, x, lowp))
        if problem:
            return f"gradient of input {i}: {problem}"
    return None


def _sum_scale(i: int, x, lowp: torch.Tensor) -> torch.Tensor | None:
    """A weight gradient (PReLU's, input 1) is a sum over all but the channel dim: judged, as in
    ``Learnable.check``, against the sum of its terms' magnitudes."""
    if i == 0:
        return None
    terms = (x.detach().double() * _upstream(x)).abs()
    if lowp.numel() == 1 or terms.dim() < 2:
        return terms.sum().reshape(lowp.shape)
    return terms.sum([d for d in range(terms.dim()) if d != 1]).reshape(lowp.shape)


def rowwise_backward(spec, dim: int, input_dtype: torch.dtype) -> Callable:
    """A row-wise op's ``backward_from_output`` for ``compare``: torch's input gradient from a
    saved output ``y`` over ``dim``, in fp64 for the reference, else in the input's dtype."""

    def backward(g: torch.Tensor, y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        flat = (lambda t: t.reshape(1)) if y.dim() == 0 else (lambda t: t)
        dx = spec.torch_backward(flat(g.to(y.dtype)), flat(y), dim % max(y.dim(), 1), y.dtype)
        return dx.reshape(y.shape).to(torch.float64 if dtype == torch.float64 else input_dtype)

    return backward


def samples(info, dtype: torch.dtype, device, reference: bool) -> Iterator:
    """op_db's sample inputs (and, with ``reference``, its reference inputs) for ``dtype``."""
    yield from info.sample_inputs(device, dtype, requires_grad=True)
    if reference and info.reference_inputs_func is not None:
        yield from info.reference_inputs(device, dtype, requires_grad=True)


def ours_for(name: str) -> Callable:
    return getattr(functional, name)


def inplace_ours_for(name: str) -> Callable | None:
    spec = next((s for s in ELEMENTWISE if s.name == name), None)
    return getattr(functional, spec.inplace_name) if spec and spec.inplace_name else None
