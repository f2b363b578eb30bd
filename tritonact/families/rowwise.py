"""The row-wise family: a reduction over ``dim`` (softmax, log_softmax, softmin). Its math is
``@triton.jit`` functions in ``tritonact.kernels.rowwise``; its launchers and autograd
Functions are ``tritonact.autograd.rowwise``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.autograd import rowwise
from tritonact.autograd.autocast import autocast_input, is_any_autocast_enabled
from tritonact.autograd.launch import KERNEL_DTYPES, is_dense, served
from tritonact.autograd.rowwise import RowMath
from tritonact.core.audit_case import CEILING_RATIO, H200, Case, Launch, Work, audit_dtype
from tritonact.core.bench_op import Op
from tritonact.core.override import Override, has_backend_kernel, same_meta
from tritonact.core.testing import (
    TOLERANCES,
    Row,
    SwitchCase,
    forward_backward,
    gradcheck_into,
    layout_mismatch,
    mismatch,
    special_sample,
)
from tritonact.families.base import BenchShapes, ListRow, Spec, named, random_input, subclass
from tritonact.kernels import rowwise as kernels

#: 16-bit inputs whose fp32 ``dtype=`` result one kernel computes exactly (it loads them into
#: fp32, which is torch's cast); any other ``dtype=`` is a cast before the op, as torch's.
_HALF_TYPES = (torch.float16, torch.bfloat16)

#: Row-wise audit cases, (rows, columns), each tiled as the launcher tiles it: many rows of each
#: length the goals name (1024 to 16384: one pass) and longer (two passes), and a few very long
#: rows (64 of 2**20), which the launcher splits across programs on an H200 (two launches each
#: way). Fewer rows of the other lengths compile to the same code (the model does not see how
#: many programs fill the GPU).
AUDIT_SHAPES = ((4096, 1024), (4096, 4096), (4096, 16384), (4096, 65536), (64, 2**20))
#: The share of the H200's issue ceiling the one-pass 16-bit kernels may use (issue 15's goal,
#: which leaves the scheduler slack); the others are held to the audit's ``CEILING_RATIO``.
ONE_PASS_16BIT_GOAL = 0.8

ROW_LENGTHS = (256, 512, 1024, 2048, 4096, 8192, 12672, 32768)


@dataclass(frozen=True)
class Rowwise(Spec):
    """One row-wise activation: a reduction over ``dim`` (softmax and its kin).

    Every one has torch's signature ``(input, dim=None, _stacklevel=3, dtype=None)``; backward
    reads the output only. ``math`` holds its ``@triton.jit`` output/gradient functions and its
    double backward; ``torch_backward`` is torch's backward from the saved output,
    ``(dy, y, dim, input dtype) -> dx``; ``channel_module``, where set, is the torch.nn class
    over the channel dim of a 3-D or 4-D input (nn.Softmax2d) that this op also serves.
    """

    family: ClassVar[str] = "rowwise"
    bench_shapes: ClassVar[BenchShapes] = BenchShapes(
        full=tuple((4096, n) for n in ROW_LENGTHS) + tuple((64, 2**e) for e in (14, 16, 18, 20)),
        quick=((4096, 256), (4096, 4096), (4096, 32768), (64, 2**20)),
        smoke=((4, 256), (4, 1024)),
        headline=(4096, 32768), host=(4, 256),
        memory={"full": (4096, 4096), "quick": (4096, 4096), "smoke": (4, 1024)})

    name: str
    formula: str
    math: RowMath
    torch_fn: Callable
    module: type[nn.Module]
    torch_backward: Callable
    channel_module: type[nn.Module] | None = None

    # --- the public API -----------------------------------------------------------------------

    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        return [_make_function(self)]

    def build_modules(self) -> list[type[nn.Module]]:
        function = self.function

        def forward(self, input: torch.Tensor) -> torch.Tensor:
            return function(input, self.dim, _stacklevel=5)

        modules = [subclass(self.module, forward, self.formula)]
        if self.channel_module is not None:
            base = self.channel_module

            def forward_channels(self, input: torch.Tensor) -> torch.Tensor:
                if input.dim() not in (3, 4):
                    return base.forward(self, input)  # torch's ValueError
                return function(input, -3, _stacklevel=5)

            modules.append(subclass(base, forward_channels, f"{self.formula}, over the channel "
                                                            f"dim (-3) of a 3-D or 4-D input"))
        return modules

    def list_row(self) -> ListRow:
        modules = [self.module] + ([self.channel_module] if self.channel_module else [])
        return ListRow(self.name, "dim=None, _stacklevel=3, dtype=None", "output", "-",
                       ", ".join(f"nn.{m.__name__}" for m in modules), self.formula)

    def aten_overrides(self) -> list[Override]:
        """The switch's ``_<name>`` and ``_<name>_backward_data``."""
        serve = functools.partial(_serve_aten, self)
        resolve = lambda *_: ((self.name,), self.name, 0.0, 0.0)
        table = []
        if has_backend_kernel(f"_{self.name}"):
            table.append(Override(f"_{self.name}", (self.name,), "rowwise", resolve,
                                  serve=serve))
        if has_backend_kernel(f"_{self.name}_backward_data"):
            table.append(Override(f"_{self.name}_backward_data", (self.name,),
                                  "rowwise_backward", resolve, (0, 1), serve))
        return table

    # --- checks -------------------------------------------------------------------------------

    def check(self, x: torch.Tensor, dim: int, dtype: torch.dtype | None = None,
              g: torch.Tensor | None = None) -> str | None:
        """Forward and backward over ``dim`` (result in ``dtype``) against torch in fp64 and in
        the tested dtypes; None, or what went wrong."""
        out_dtype = dtype or x.dtype
        kw = {} if dtype is None else {"dtype": dtype}
        if g is None:
            g = torch.randn(x.shape, dtype=out_dtype, device=x.device)
        fn = self.function
        y, dx = forward_backward(lambda t: fn(t, dim, **kw), x, g, {})
        y64 = self.torch_fn(x.detach().double(), dim)
        try:
            yt, dxt_layout = forward_backward(lambda t: self.torch_fn(t, dim, **kw), x, g, {})
        except (RuntimeError, NotImplementedError):
            yt = dxt_layout = None
        # backward reads only the saved output: judge it from tritonact's own y (an ulp of y in
        # fp16 is amplified by dy - sum(dy * y), for torch as for us)
        d = dim % max(x.dim(), 1)
        y_saved = y.detach() if x.dim() else y.detach().reshape(1)
        g_ = g if x.dim() else g.reshape(1)
        dx64 = self.torch_backward(g_.double(), y_saved.double(), d,
                                   torch.float64).reshape(x.shape)
        dxt = self.torch_backward(g_, y_saved, d, y.dtype).to(x.dtype).reshape(x.shape)
        if y.dtype != out_dtype or dx.dtype != x.dtype:
            return f"dtypes: result {y.dtype}, gradient {dx.dtype}"
        # the gradient follows a dense input's layout (no AccumulateGrad copy:
        # ``autograd.rowwise.backward``), where torch's is contiguous
        if dxt_layout is not None and is_dense(x):
            dxt_layout = torch.empty_like(x)
        problem = layout_mismatch(x, (y, dx), (yt, dxt_layout))
        if problem:
            return problem
        lowest = max(out_dtype, x.dtype, key=lambda d: TOLERANCES[d][0])
        problem = mismatch(y, y64, yt, out_dtype)
        if problem:
            return f"forward: {problem}"
        problem = mismatch(dx, dx64, dxt, lowest)
        return f"backward: {problem}" if problem else None

    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """The reduced dim last, first (strided) and in the middle; short and long rows."""
        r = random_input(device, dtype)
        row = Row(self.name, "dim 0, 1, -1, middle; rows 1..70000", dtype)
        for x, dim in ((r(5, 1000), -1), (r(300, 6)[:, ::2], 0), (r(2, 77, 3), 1),
                       (r(2, 70000), 1), (r(()), 0)):
            row.add(x, self.check(x, dim))
        if dtype == torch.float64:
            gradcheck_into(row, lambda t: self.function(t, 1),
                           torch.randn(3, 4, dtype=dtype, device=device, requires_grad=True))
        yield row

    def switch_cases(self, dtype: torch.dtype, device: Any) -> list[SwitchCase]:
        """torch's own call over each dim of a 13 x 12 input (finite: the row-wise tests cover
        inf and NaN), judged backward from the switched forward's own output."""
        x = special_sample(dtype, device)[:156].reshape(13, 12)
        x = torch.where(x.isfinite(), x, 1.0)
        return [SwitchCase(self.name, f"dim={dim}", lambda t, dim=dim: self.torch_fn(t, dim), x,
                           backward_from_output=lambda g, y, dim=dim: self.torch_backward(
                               g, y, dim, y.dtype))
                for dim in (1, 0)]

    # --- benchmarks and machine code ----------------------------------------------------------

    def bench_ops(self):

        return [Op(self.family, self.name, (), self)]

    def bench_call(self, op, provider: str):
        fn = self.function if provider == "tritonact" else self.torch_fn
        return lambda x: fn(x, -1)

    def audit_cases(self, archs, dtypes, full):
        """Each kernel the launcher's plan launches for each audit shape (a split shape's two
        passes on its own summary rows), as planned for the H200's SMs."""

        planned = {(rows, columns): [k for backward in (False, True) for k in _planned_kernels(
                       self.math, rows, columns, backward, H200.sms)]
                   for rows, columns in AUDIT_SHAPES}
        return [Case(f"rowwise.{kernel}", self.math.key, dtype, False, arch, rows, columns,
                     spec=self.name, module=kernels.__name__,
                     goal=ONE_PASS_16BIT_GOAL if columns <= rowwise.ONE_PASS_LIMIT
                     and dtype in ("fp16", "bf16") else CEILING_RATIO,
                     group=f"{self.name} {rows}x{columns}{label}")
                for arch in archs for dtype in dtypes for rows, columns in AUDIT_SHAPES
                for kernel, label in planned[rows, columns]]

    def audit_launch(self, case):
        """The launcher's plan over the case's contiguous ``[rows, columns]`` input, reduced
        over the last dim, for the H200's SMs: the step that runs the case's kernel."""

        backward = case.kernel_name.startswith("backward")
        tensors = _audit_tensors(case.rows, case.columns, audit_dtype(case.dtype), backward)
        step = next(s for s in rowwise.plan(self.math, 1, tensors, backward, sms=H200.sms)
                    if s.kernel.__name__ == case.kernel_name)
        meta = dict(step.meta, WIDE=case.wide or step.meta["WIDE"])
        trips = 1 if meta.get("ONE_PASS") else -(-step.columns // meta["BLOCK"])
        return Launch(step.kernel, step.args, meta,
                      Work(meta["num_warps"], meta.get("ROWS", 1) * step.columns, trips))


def _audit_tensors(rows: int, columns: int, dtype: torch.dtype,
                   backward: bool) -> list[torch.Tensor]:
    """The audit's contiguous ``[rows, columns]`` operands on the meta device."""
    return [torch.empty(rows, columns, dtype=dtype, device="meta")
            for _ in range(3 if backward else 2)]


def _planned_kernels(m: RowMath, rows: int, columns: int, backward: bool,
                     sms: int) -> list[tuple[str, str]]:
    """(kernel name, summary label) of each launch the plan makes for a ``[rows, columns]``
    input: no label for one launch, `` pass 1``/`` pass 2`` for a split row's two."""
    steps = rowwise.plan(m, 1, _audit_tensors(rows, columns, torch.float32, backward), backward,
                         sms=sms)
    labels = [""] if len(steps) == 1 else [f" pass {i + 1}" for i in range(len(steps))]
    return [(s.kernel.__name__, label) for s, label in zip(steps, labels)]


# --- the functional form ---------------------------------------------------------------------


def _make_function(spec: Rowwise) -> Callable[..., torch.Tensor]:
    """The functional form of a row-wise spec, with torch's signature
    ``(input, dim=None, _stacklevel=3, dtype=None)``."""
    name, m, torch_fn = spec.name, spec.math, spec.torch_fn
    get_dim = torch.nn.functional._get_softmax_dim  # torch's legacy implicit dim, and warning

    def function(input: torch.Tensor, dim: int | None = None, _stacklevel: int = 3,
                 dtype: torch.dtype | None = None) -> torch.Tensor:
        if not served(input) or (dtype is not None and dtype not in KERNEL_DTYPES):
            return torch_fn(input, dim, _stacklevel + 1, dtype)
        if is_any_autocast_enabled():
            input = autocast_input(torch_fn, input, (dim, _stacklevel + 1, dtype), {})
        if dim is None:
            dim = get_dim(name, input.dim(), _stacklevel + 1)
        ndim = max(input.dim(), 1)
        if type(dim) is not int or not -ndim <= dim < ndim:
            return torch_fn(input, dim, _stacklevel + 1, dtype)  # torch's own error
        dim %= ndim
        if dtype is not None and dtype != input.dtype and not (
                input.dtype in _HALF_TYPES and dtype == torch.float32):
            input = input.to(dtype)  # torch's order: cast, then the op (autograd sees the cast)
        out_dtype = input.dtype if dtype is None else dtype
        if input.requires_grad and torch.is_grad_enabled():
            return rowwise.RowwiseFunction.apply(input, m, dim, out_dtype)
        return rowwise.run_forward(m, input, dim, out_dtype)

    return named(function, name, (
        f"{name}(x)_i = {spec.formula}, over ``dim``.\n\n"
        f"Same signature, defaults and result as :func:`torch.nn.functional.{name}` (``dim=None``"
        f" follows torch's legacy rule and warning; ``dtype`` casts inside the kernel). One "
        f"launch forward, one backward, which reads the saved output only. Rows of any length "
        f"and a reduced dim anywhere in any layout, with no copy.\n"
    ))


def _serve_aten(spec: Spec, override: Override, selection: frozenset[str]):
    """The switch's ``_softmax(x, dim, half_to_float)`` and ``_softmax_backward_data(dy, y,
    dim, input_dtype)`` (and log_softmax's): half_to_float (fp16 in, fp32 out) on CUDA only, as
    torch; None (torch's kernel) for what tritonact does not compute exactly."""
    m = spec.math
    served_here = spec.name in selection

    def run(args: list):
        if not served_here:
            return None
        if override.kind == "rowwise":
            x, dim, half_to_float = args
            if not served(x):
                return None
            dtype = x.dtype
            if half_to_float:
                if not (x.is_cuda and x.dtype == torch.float16):
                    return None
                dtype = torch.float32
            ndim = max(x.dim(), 1)
            if not -ndim <= dim < ndim:
                return None
            return rowwise.forward(m, x, dim % ndim, dtype)
        dy, y, dim, input_dtype = args
        if not (served(dy) and served(y) and same_meta(dy, y) and input_dtype in KERNEL_DTYPES):
            return None
        if input_dtype != y.dtype and not (y.is_cuda and y.dtype == torch.float32
                                           and input_dtype == torch.float16):
            return None
        ndim = max(y.dim(), 1)
        if not -ndim <= dim < ndim:
            return None
        return rowwise.backward(m, dy, y, dim % ndim, input_dtype)

    return run
