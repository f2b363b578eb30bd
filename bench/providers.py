"""What each provider runs for an op: tritonact, PyTorch eager (the built-in, or the eager
composite such as ``F.silu(a) * b``), ``torch.compile`` of that same eager expression, and
Liger-Kernel where it has the op (an optional dependency, never required)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import torch

from tritonact.core.bench_op import Op


class Unavailable(Exception):
    """A provider that cannot run a case here; the message says why."""


@dataclass
class Workload:
    """One provider's forward over its inputs (the leaves that require grad)."""

    inputs: tuple[torch.Tensor, ...]
    forward: Callable[[], torch.Tensor]


#: Liger's row-wise kernels hold a whole row in one block of at most this many elements and
#: refuse longer rows.
LIGER_MAX_ROW = 65536


@dataclass(frozen=True)
class LigerCall:
    """How Liger-Kernel's autograd.Function ``function`` (in ``liger_kernel.ops``) takes an op's
    input: ``halves``, gate and up as two contiguous tensors (as Liger's MLP modules call it;
    the same bytes as the halves of one input), else the input itself; ``max_row``, the longest
    last dim it accepts (0: any)."""

    function: str
    halves: bool = False
    max_row: int = 0


#: provider -> op label -> Liger-Kernel's call (``liger_kernel.ops`` holds the implementation
#: Liger selects for the device). Liger's GeGLU is the tanh approximation; ``liger-fused`` is
#: its SwiGLU over one fused gate-up tensor, as its Megatron integration calls it.
LIGER: dict[str, dict[str, LigerCall]] = {
    "liger": {"swiglu": LigerCall("LigerSiLUMulFunction", halves=True),
              "geglu[approximate=tanh]": LigerCall("LigerGELUMulFunction", halves=True),
              "softmax": LigerCall("LigerSoftmaxFunction", max_row=LIGER_MAX_ROW)},
    "liger-fused": {"swiglu": LigerCall("LigerFusedGateUpSiLUMulFunction")},
}


def applies(provider: str, op: Op) -> bool:
    """Liger-Kernel has a few ops; every other provider has them all."""
    return provider not in LIGER or op.label in LIGER[provider]


def liger_missing() -> str | None:
    """Why Liger-Kernel cannot be used here, or None: it is tried by importing its ops (a
    package can be installed and still fail to import: its utils need ``packaging``)."""
    try:
        importlib.import_module("liger_kernel.ops")
    except Exception as error:
        return (f"liger-kernel not importable ({type(error).__name__}: {_first_line(error)}; "
                f"pip install liger-kernel, or the bench extra)")
    return None


def liger_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("liger-kernel")
    except Exception:
        return None


def _liger(provider: str) -> Callable[[Op, torch.Tensor], Workload]:
    def make(op: Op, x: torch.Tensor) -> Workload:
        call = LIGER[provider][op.label]
        if call.max_row and x.shape[-1] > call.max_row:
            raise Unavailable(f"Liger-Kernel's {op.name} refuses rows over {call.max_row} "
                              f"elements")
        if x.device.type != "cuda":
            raise Unavailable("Liger-Kernel runs on CUDA only")
        why = liger_missing()
        if why is not None:
            raise Unavailable(why)
        function = getattr(importlib.import_module("liger_kernel.ops"), call.function)
        if not call.halves:
            return Workload((x,), lambda: function.apply(x))
        gate, up = (h.detach().contiguous().requires_grad_() for h in x.chunk(2, -1))
        return Workload((gate, up), lambda: function.apply(gate, up))

    return make


def _compiled(op: Op, x: torch.Tensor) -> Workload:
    """torch.compile of the eager expression, specialised to this shape, compiled and warmed up
    here (forward and backward) so that no timing includes compilation."""
    torch._dynamo.reset()  # a fresh cache per shape: no recompile limit, no fallback to eager
    compiled = torch.compile(op.spec.bench_call(op, "eager"), dynamic=False)
    leaves = op.spec.bench_leaves(op, x)
    workload = Workload((x, *leaves), lambda: compiled(x, *leaves))
    try:
        y = workload.forward()
        torch.autograd.grad(y, workload.inputs, torch.ones_like(y))
    except Exception as error:
        raise Unavailable(f"torch.compile failed ({type(error).__name__}: "
                          f"{_first_line(error)})") from None
    return workload


def _plain(provider: str) -> Callable[[Op, torch.Tensor], Workload]:
    """``provider``'s call of the op (``Spec.bench_call``) on ``x`` and the op's own leaves."""

    def make(op: Op, x: torch.Tensor) -> Workload:
        f = op.spec.bench_call(op, provider)
        leaves = op.spec.bench_leaves(op, x)
        return Workload((x, *leaves), lambda: f(x, *leaves))

    return make


#: provider -> (op, input) -> its workload
BUILDERS: dict[str, Callable[[Op, torch.Tensor], Workload]] = {
    "tritonact": _plain("tritonact"),
    "eager": _plain("eager"),
    "compile": _compiled,
    "liger": _liger("liger"),
    "liger-fused": _liger("liger-fused"),
}


def build(provider: str, op: Op, x: torch.Tensor) -> Workload:
    """The workload of ``provider`` for ``op`` on the input ``x`` (a leaf that requires grad);
    raises :class:`Unavailable` with the reason when the provider cannot run here."""
    return BUILDERS[provider](op, x)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else ""
