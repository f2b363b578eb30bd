"""An op torch lacks is one entry, and a new family is its own files: a throwaway activation
(squareplus) and a throwaway family (``double``, with a kernel and an autograd Function of its
own), each in a temporary module, appear in ``tritonact.functional``, ``tritonact.nn``,
``verify``, the benchmark cases, the audit and ``list`` with no other edit."""

import os
import subprocess
import sys
import textwrap

#: The activation: its three @triton.jit functions and one registry entry.
ACTIVATION = '''
import torch
import triton
import triton.language as tl

from tritonact.autograd.elementwise import Math
from tritonact.registry import Elementwise, Param, register


@triton.jit
def squareplus_forward(x, b, unused):
    return 0.5 * (x + tl.sqrt(x * x + b))


@triton.jit
def squareplus_backward(g, x, b, unused):
    return g * 0.5 * (1.0 + x / tl.sqrt(x * x + b))


@triton.jit
def squareplus_second(gg, g, x, b, unused):
    r = tl.sqrt(x * x + b)
    return gg * g * 0.5 * b / (r * r * r)


def squareplus(input, b=4.0):
    """The torch composite: the reference, and the fallback."""
    return 0.5 * (input + torch.sqrt(input * input + b))


register(Elementwise(
    "squareplus", "(x + sqrt(x^2 + b)) / 2",
    Math("squareplus", squareplus_forward, squareplus_backward, squareplus_second),
    squareplus, None, module_name="Squareplus", params=(Param("b", 4.0),),
    test_params=({"b": 1.0},)))
'''

#: The family's kernel file (what kernels/<family>.py would hold).
FAMILY_KERNELS = '''
import triton
import triton.language as tl


@triton.jit
def scale(x_ptr, y_ptr, n, factor, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, (x.to(tl.float32) * factor).to(y_ptr.dtype.element_ty), mask=mask)
'''

#: The family's torch side and spec type (what autograd/<family>.py would hold), and its one
#: op, registered.
FAMILY = '''
from dataclasses import dataclass
from typing import ClassVar

import torch
import triton
from torch import nn

import throwaway_kernels as kernels
from tritonact.autograd.launch import launch, served
from tritonact.families.base import BenchShapes, ListRow, Spec, named, random_input
from tritonact.registry import register
from tritonact.core.testing import Row, mismatch

BLOCK = 1024


def scaled(x, factor):
    y = torch.empty_like(x, memory_format=torch.contiguous_format)
    if x.numel():
        launch(kernels.scale, (triton.cdiv(x.numel(), BLOCK),), x.device, x, y, x.numel(),
               factor, BLOCK=BLOCK)
    return y


class DoubleFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return scaled(x.contiguous(), 2.0)

    @staticmethod
    def backward(ctx, g):
        return scaled(g.contiguous(), 2.0)


@dataclass(frozen=True)
class Doubled(Spec):
    family: ClassVar[str] = "doubled"
    bench_shapes: ClassVar[BenchShapes] = BenchShapes(
        full=((2**20,),), quick=((2**20,),), smoke=((1024,),), headline=(2**20,),
        host=(1024,), memory={"full": (2**20,), "quick": (2**20,), "smoke": (1024,)})
    name: str
    formula: str

    def build_functions(self):
        def function(input: torch.Tensor) -> torch.Tensor:
            if not served(input):
                return input * 2
            return DoubleFunction.apply(input)

        return [named(function, self.name, f"{self.name}(x) = {self.formula}")]

    def build_modules(self):
        function = self.function

        class Double(nn.Module):
            def forward(self, input):
                return function(input)

        Double.__module__ = "tritonact.nn"
        return [Double]

    def list_row(self):
        return ListRow(self.name, "-", "nothing", "-", "nn.Double", self.formula)

    def verify_rows(self, dtype, device):
        x = random_input(device, dtype)(37, 5).requires_grad_()
        y = self.function(x)
        (dx,) = torch.autograd.grad(y, x, torch.ones_like(y))
        row = Row(self.name, "defaults", dtype)
        row.add(x, mismatch(y, 2 * x.double()) or mismatch(dx, torch.full_like(x, 2.0)))
        yield row

    def bench_ops(self):
        from tritonact.core.bench_op import Op

        return [Op(self.family, self.name, (), self)]

    def bench_call(self, op, provider):
        return self.function if provider == "tritonact" else (lambda x: x * 2)

    def audit_cases(self, archs, dtypes, full):
        from tritonact.core.audit_case import Case

        return [Case("double.scale", self.name, dtype, False, arch, spec=self.name,
                     module=kernels.__name__) for arch in archs for dtype in dtypes]

    def audit_launch(self, case):
        from tritonact.core.audit_case import Launch, Work
        from tritonact.core.audit_case import audit_dtype

        x, y = (torch.empty(2**20, dtype=audit_dtype(case.dtype), device="meta")
                for _ in range(2))
        return Launch(kernels.scale, (x, y, x.numel(), 2.0), {"BLOCK": BLOCK}, Work(4, BLOCK))


register(Doubled("double", "2 * x"))
'''

#: In a fresh interpreter with the interpreter on: import the two modules, then every consumer.
CHECK = '''
import os, sys
sys.path.insert(0, sys.argv[1])
import torch
import throwaway_activation, throwaway_family
import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.checks import verify
from tritonact.__main__ import main
from tritonact.bench.cases import cases
from tritonact.bench.providers import build
from tritonact.core.testing import mismatch

x = torch.randn(64, dtype=torch.float64) * 3
exact = 0.5 * (x + torch.sqrt(x * x + 4.0))
assert mismatch(TF.squareplus(x.float()), exact, dtype=torch.float32) is None
assert mismatch(tnn.Squareplus(b=1.0)(x), 0.5 * (x + torch.sqrt(x * x + 1.0))) is None
assert repr(tnn.Squareplus()) == "Squareplus(b=4.0)"
xf = x.float()
assert torch.equal(TF.double(xf), 2 * xf) and torch.equal(tnn.Double()(xf), 2 * xf)
assert "torch has no such function" in TF.squareplus.__doc__

rows = list(verify.rows(["squareplus", "double"], [torch.float32, torch.bfloat16,
                                                  torch.float64], "cpu"))
assert {r.op for r in rows} == {"squareplus", "double"}, rows
assert not [r for r in rows if r.failed], [(r.op, r.problems, r.gradcheck) for r in rows]
assert any(r.gradcheck == "ok" for r in rows if r.op == "squareplus")

smoke = cases("smoke", ops=["squareplus", "double"])
assert {c.op.name for c in smoke} == {"squareplus", "double"}
for case in smoke[:1] + [c for c in smoke if c.op.name == "double"][:1]:
    inp = torch.randn(case.shape, requires_grad=True)
    for provider in ("tritonact", "eager"):
        build(provider, case.op, inp).forward().sum().backward()

assert main(["list"]) == 0
print("CONSUMERS OK")
'''

#: Without the interpreter: the audit compiles the new kernels for sm_90.
AUDIT = '''
import sys
sys.path.insert(0, sys.argv[1])
import throwaway_activation, throwaway_family
from tritonact.checks import audit

reports = audit.run(audit.cases(["squareplus", "double"], archs=(90,), dtypes=("bf16",),
                                full=False), jobs=1)
assert {r.case.spec for r in reports} == {"squareplus", "double"}
assert not [r for r in reports if r.error], [r.error for r in reports]
assert all(r.registers and r.widest_load for r in reports)
print("AUDIT OK", len(reports))
'''


def _run(code: str, folder, interpret: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    if interpret:
        env["TRITON_INTERPRET"] = "1"
    env["TRITON_CACHE_DIR"] = str(folder / "triton-cache")
    return subprocess.run([sys.executable, "-c", code, str(folder)], env=env,
                          capture_output=True, text=True, timeout=600)


def _write_modules(folder) -> None:
    for name, text in (("throwaway_activation", ACTIVATION),
                       ("throwaway_kernels", FAMILY_KERNELS), ("throwaway_family", FAMILY)):
        (folder / f"{name}.py").write_text(textwrap.dedent(text))


def test_a_new_activation_and_a_new_family_reach_every_consumer(tmp_path):
    _write_modules(tmp_path)
    run = _run(CHECK, tmp_path, interpret=True)
    assert "CONSUMERS OK" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    listed = run.stdout
    assert "| squareplus" in listed and "nn.Squareplus" in listed and "| double" in listed


def test_the_audit_compiles_a_new_activation_and_a_new_family(tmp_path):
    _write_modules(tmp_path)
    run = _run(AUDIT, tmp_path, interpret=False)
    assert "AUDIT OK" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]


def test_a_taken_name_or_kernel_key_is_refused():
    """A second op under a name the registry has, or a second math under a kernel key, would
    silently shadow the first: both are errors."""
    import pytest

    from tritonact import registry
    from tritonact.autograd.elementwise import Math

    with pytest.raises(ValueError, match="relu"):
        registry.register(registry.OPS["relu"])
    relu = registry.OPS["relu"].math
    with pytest.raises(ValueError, match="two different kernel maths under the key 'relu'"):
        Math("relu", relu.backward, relu.backward, relu.second)
    assert registry.OPS["relu"].math is relu
