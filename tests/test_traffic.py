"""Memory traffic outside the kernels: forward and backward of every op, on a leaf input in
every layout the op's family reads in place, make no copy of a whole tensor (a ``copy_``,
``clone`` or ``_to_copy`` of at least half the input's elements) on the torch side, autograd's
own included. The launch-count tests cannot see such a copy: it is not a launch of ours, and
AccumulateGrad's copy of a gradient into its leaf's layout (what logsigmoid's contiguous
gradient cost a transposed leaf) happens in autograd's engine, after the op returned.

The kernels' own accesses run inside Triton's interpreter, which copies to and from numpy:
those are left out (the dispatch mode ignores everything inside an interpreted launch). The
layouts each family copies by design are named beside it, with the copy its docs state.
"""

from __future__ import annotations

import pytest
import torch
import triton.runtime.interpreter as interpreter
from torch.utils._python_dispatch import TorchDispatchMode

from tritonact.registry import SPECS

COPIES = ("aten.copy_.", "aten.clone.", "aten._to_copy.")
SHAPE = (4, 6, 5, 8)


class _Kernels:
    """Whether an interpreted kernel is running (its numpy copies are the kernel's I/O)."""

    depth = 0


@pytest.fixture
def copies(monkeypatch):
    """``copies(fn, *leaves)``: the whole-tensor copies that ``fn(*leaves)`` and its backward
    make outside the kernels."""
    run = interpreter.InterpretedFunction.run

    def traced(self, *args, **kwargs):
        _Kernels.depth += 1
        try:
            return run(self, *args, **kwargs)
        finally:
            _Kernels.depth -= 1

    monkeypatch.setattr(interpreter.InterpretedFunction, "run", traced)

    class Copies(TorchDispatchMode):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.size, self.found = size, []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if not _Kernels.depth and str(func).startswith(COPIES):
                if isinstance(out, torch.Tensor) and 2 * out.numel() >= self.size:
                    self.found.append(str(func))
            return out

    def count(fn, *leaves):
        leaves = [t.detach().requires_grad_() for t in leaves]
        with Copies(leaves[0].numel()) as mode:
            y = fn(*leaves)
            y.backward(torch.empty_like(y).normal_())
        return mode.found

    return count


def _layouts(shape=SHAPE):
    """(name, tensor) for the layouts of a 4-d input."""
    r = lambda s: torch.randn(s)
    yield "contiguous", r(shape)
    yield "transposed", r((*shape[:-2], shape[-1], shape[-2])).transpose(-1, -2)
    yield "channels_last", r(shape).contiguous(memory_format=torch.channels_last)
    yield "batch-transposed", r((shape[1], shape[0], *shape[2:])).transpose(0, 1)
    yield "stepped", r((*shape[:-1], 2 * shape[-1]))[..., ::2]


def _row_slices(shape=SHAPE):
    """The layouts of ``[rows, contiguous columns]`` operands: whole, and a column slice of a
    wider tensor (row-strided)."""
    yield "contiguous", torch.randn(shape)
    yield "row-strided", torch.randn((*shape[:-1], 3 * shape[-1]))[..., shape[-1]:2 * shape[-1]]


def _channel_weights(spec, x):
    if spec.family == "learnable":
        return (torch.rand(x.shape[1]),)
    return tuple(spec.sample_weights(x.shape[1] if spec.per_channel else 1, "cpu"))


#: family -> (its calls on an input in each layout it reads in place). Not in place, by design
#: (each family's docs): the gated ops' and bias ops' operands whose last dim is not contiguous
#: (copied to ``[rows, contiguous columns]`` first), PReLU's and the parametric ops' layouts
#: whose dims after the channel do not merge, RReLU's non-dense inputs in training.
CALLS = {
    "elementwise": lambda spec: [
        (f"{name} {params}", (lambda t, p=params: spec.function(t, **p)), (x,))
        for name, x in _layouts() for params in spec.param_sets()[:1]],
    "rowwise": lambda spec: [
        (f"{name} dim={dim}", (lambda t, d=dim: spec.function(t, d)), (x,))
        for name, x in _layouts() for dim in (-1, 0, 1)],
    "gated": lambda spec: [
        *((name, (lambda t: spec.function(t, -1)), (x,)) for name, x in _row_slices()),
        *((f"{name} interleaved", (lambda t: spec.function(t, -1, interleaved=True)), (x,))
          for name, x in _row_slices() if spec.has_layout_options),
        *((f"{name} two tensors", (lambda g, u: spec.functions[spec.mul_name](g, u)),
           (x, torch.randn_like(x))) for name, x in _row_slices() if spec.mul_name)],
    "learnable": lambda spec: [
        (name, (lambda t, *w: spec.function(t, *w)), (x, *_channel_weights(spec, x)))
        for name, x in _layouts() if name in ("contiguous", "channels_last",
                                               "batch-transposed")],
    "randomized": lambda spec: [
        (name, (lambda t: spec.function(t, training=True)), (x,))
        for name, x in _layouts() if name != "stepped"],
    "biased": lambda spec: [
        (name, (lambda t, b: spec.function(t, b)), (x, torch.randn(x.shape[-1])))
        for name, x in _row_slices()],
}
CALLS["parametric"] = CALLS["learnable"]


def _cases():
    for spec in SPECS:
        calls = CALLS.get(spec.family)
        if calls is not None:
            yield pytest.param(spec, calls, id=spec.name)


def test_every_family_is_covered():
    assert {spec.family for spec in SPECS} <= set(CALLS), "a family without traffic cases"


@pytest.mark.parametrize(("spec", "calls"), list(_cases()))
def test_no_whole_tensor_copy_outside_the_kernels(spec, calls, copies):
    found = {label: made for label, fn, leaves in calls(spec) if (made := copies(fn, *leaves))}
    assert not found, f"{spec.name}: copies outside the kernels: {found}"


class _ContiguousGrad(torch.autograd.Function):
    """Identity whose gradient comes back contiguous whatever the input's layout (written by
    ``mul(..., out=)``: no copy of its own)."""

    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return torch.mul(g, 1, out=torch.empty(g.shape))


def test_the_count_sees_autograds_layout_copy(copies):
    """The check above can fail: a gradient in another layout than its leaf's is copied by
    AccumulateGrad, and that copy is counted; a contiguous leaf's is not."""
    layouts = dict(_layouts())
    assert copies(_ContiguousGrad.apply, layouts["transposed"]) == ["aten.copy_.default"]
    assert copies(_ContiguousGrad.apply, layouts["contiguous"]) == []
