"""One rank of ``tests/test_distributed.py``: every distributed scenario in one process group
(gloo, on the CPU), so that the two processes pay the imports once.

Run as ``python tests/distributed_worker.py RANK WORLD PORT OUT``: each scenario writes a record
``{"failures": [...], "launches": {...}}`` under its name to ``OUT.RANK.json``; the test reads
both ranks' files. Every scenario compares tritonact on DTensors (or under FSDP2) with the same
computation by torch in one process, and counts the kernels each rank launches.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
import traceback
from collections import Counter

os.environ.setdefault("TRITON_INTERPRET", "1")  # before triton is imported

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.distributed.tensor import (
    DTensor,
    Partial,
    Replicate,
    Shard,
    distribute_tensor,
    init_device_mesh,
)

import tritonact
import tritonact.functional as TF
from tritonact.autograd.launch import launch_hooks

TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}  # fp32, against torch in fp32


class Scenario:
    """A scenario's record: failures (strings) and the kernels launched, by name."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.launches: Counter[str] = Counter()

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)

    def close(self, what: str, actual: torch.Tensor, expected: torch.Tensor) -> None:
        actual = actual.full_tensor() if isinstance(actual, DTensor) else actual
        expected = expected.full_tensor() if isinstance(expected, DTensor) else expected
        if not torch.allclose(actual, expected, **TOLERANCE):
            self.failures.append(f"{what}: max difference {(actual - expected).abs().max()}")

    def same_placement(self, what: str, actual, expected) -> None:
        if tuple(actual.placements) != tuple(expected.placements):
            self.failures.append(f"{what}: placements {actual.placements}, torch's "
                                 f"{expected.placements}")

    def count(self, kernel: str) -> None:
        self.launches[kernel] += 1

    @contextlib.contextmanager
    def counting(self):
        """Count this rank's kernel launches while the block runs."""
        launch_hooks.append(self.count)
        try:
            yield self
        finally:
            launch_hooks.remove(self.count)


def _placements():
    return {"Shard(0)": Shard(0), "Shard(1)": Shard(1), "Replicate": Replicate(),
            "Partial": Partial()}


def _input(mesh, shape, placement, seed: int) -> DTensor:
    """A DTensor of ``shape`` (the global shape) with ``placement``, the same on every run."""
    torch.manual_seed(seed)
    full = torch.randn(shape)
    if isinstance(placement, Partial):  # each rank holds a different addend
        local = full / 2 + (dist.get_rank() - 0.5) * torch.randn(shape, generator=torch.Generator(
        ).manual_seed(seed + 1))
        return DTensor.from_local(local, mesh, [Partial()], run_check=False)
    return distribute_tensor(full, mesh, [placement])


def _torch_swiglu(t: torch.Tensor, dim: int) -> torch.Tensor:
    gate, up = t.chunk(2, dim)
    return F.silu(gate) * up


def _leaf(d: DTensor) -> DTensor:
    return d.detach().requires_grad_()


def functional_ops(mesh, s: Scenario) -> None:
    """Each family's functional form on Shard(0), Shard(1), Replicate and Partial inputs:
    result, gradient and their placements as torch's own op gives on the same DTensor."""
    prelu_w = torch.tensor([0.25, -0.5, 1.5, 0.1, 0.3, 0.7])

    def torch_prelu(x, w):  # torch has no DTensor rule for prelu's backward: its math
        return torch.where(x > 0, x, w.view(1, -1) * x)

    cases = {
        "silu": (TF.silu, F.silu),
        "gelu-tanh": (lambda t: TF.gelu(t, approximate="tanh"),
                      lambda t: F.gelu(t, approximate="tanh")),
        "softmax-dim1": (lambda t: TF.softmax(t, 1), lambda t: F.softmax(t, 1)),
        "log_softmax-dim0": (lambda t: TF.log_softmax(t, 0), lambda t: F.log_softmax(t, 0)),
        "swiglu-dim1": (lambda t: TF.swiglu(t, 1), lambda t: _torch_swiglu(t, 1)),
        "glu-dim0": (lambda t: TF.glu(t, 0), lambda t: F.glu(t, 0)),
    }
    for pname, placement in _placements().items():
        for name, (ours, theirs) in cases.items():
            what = f"{name} on {pname}"
            x = _input(mesh, (4, 6), placement, seed=len(what))
            g = _input(mesh, (4, 6) if "glu" not in name else ((4, 3) if "dim1" in name
                                                               else (2, 6)), Shard(0), seed=7)
            before = sum(s.launches.values())
            with s.counting():
                x1 = _leaf(x)
                y1 = ours(x1)
                y1.backward(g)
            s.check(sum(s.launches.values()) >= before + 2, f"{what}: no kernel launched")
            x2 = _leaf(x)
            y2 = theirs(x2)
            y2.backward(g)
            s.check(type(y1) is DTensor, f"{what}: result is a {type(y1).__name__}")
            gated_on_partial = "glu" in name and isinstance(placement, Partial)
            # the single-tensor gated ops place their result by torch's own gated op, glu (the
            # composite silu(a) * b keeps a Partial b Partial); a Partial input's gradient is
            # the reduction's (Replicate), where glu's backward rule shards it: same values
            s.same_placement(what, y1, F.glu(x, 1) if gated_on_partial else y2)
            if not gated_on_partial:
                s.same_placement(f"{what} gradient", x1.grad, x2.grad)
            s.close(what, y1, y2)
            s.close(f"{what} gradient", x1.grad, x2.grad)
        # two tensors: silu_mul's gate and up, and prelu's input and weight
        what = f"silu_mul on {pname}"
        gate, up = _input(mesh, (4, 6), placement, 11), _input(mesh, (4, 6), placement, 12)
        with s.counting():
            a1, b1 = _leaf(gate), _leaf(up)
            y1 = TF.silu_mul(a1, b1)
            y1.sum().backward()
        a2, b2 = _leaf(gate), _leaf(up)
        y2 = F.silu(a2) * b2
        y2.sum().backward()
        s.same_placement(what, y1, y2)
        s.close(what, y1, y2)
        s.close(f"{what} gate gradient", a1.grad, a2.grad)
        s.close(f"{what} up gradient", b1.grad, b2.grad)
        if isinstance(placement, Partial):
            continue
        what = f"prelu on {pname}"
        x = _input(mesh, (4, 6), placement, 13)
        w = distribute_tensor(prelu_w, mesh, [Shard(0) if placement == Shard(1) else Replicate()])
        with s.counting():
            x1, w1 = _leaf(x), _leaf(w)
            y1 = TF.prelu(x1, w1)
            y1.sum().backward()
        x2, w2 = _leaf(x), _leaf(w)
        y2 = torch_prelu(x2, w2)
        y2.sum().backward()
        s.same_placement(what, y1, y2)
        s.same_placement(f"{what} weight gradient", w1.grad, w2.grad)
        s.close(what, y1, y2)
        s.close(f"{what} input gradient", x1.grad, x2.grad)
        s.close(f"{what} weight gradient", w1.grad, w2.grad)
    for name, (ours, theirs) in cases.items():  # uneven shards: 5 rows over 2 ranks
        if "glu" in name:
            continue
        x = _input(mesh, (5, 6), Shard(0), seed=14)
        with s.counting():
            y1 = ours(x)
        y2 = theirs(x)
        s.same_placement(f"{name} on uneven Shard(0)", y1, y2)
        s.close(f"{name} on uneven Shard(0)", y1, y2)
    for kernel in ("elementwise.forward", "elementwise.backward", "rowwise.forward",
                   "rowwise.backward", "gated.forward", "gated.backward", "prelu.forward",
                   "prelu.backward"):
        s.check(s.launches[kernel] > 0, f"{kernel} never launched")


class LlamaMLP(nn.Module):
    """Hugging Face's LlamaMLP: ``down(act(gate(x)) * up(x))``, the activation a module."""

    def __init__(self, dim: int = 8, hidden: int = 16) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)
        self.act_fn = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class FusedMLP(nn.Module):
    """A fused gate-up projection and ``swiglu`` (tritonact's when ``ours``, else torch's
    composite): each rank's column shard of ``[gate | up]`` holds neither whole half."""

    def __init__(self, ours: bool, dim: int = 8, hidden: int = 16) -> None:
        super().__init__()
        self.gate_up_proj = nn.Linear(dim, 2 * hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)
        self.ours = ours

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.gate_up_proj(x)
        return self.down_proj(TF.swiglu(h) if self.ours else _torch_swiglu(h, -1))


class SiluMulMLP(LlamaMLP):
    """The Llama MLP calling ``tritonact.functional.silu_mul(gate, up)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(TF.silu_mul(self.gate_proj(x), self.up_proj(x)))


def _train_step(model: nn.Module, x: torch.Tensor, s: Scenario | None = None):
    """Loss and one backward, counting launches into ``s`` when given."""
    if s is None:
        loss = model(x).pow(2).mean()
        loss.backward()
        return loss
    with s.counting():
        loss = model(x).pow(2).mean()
        loss.backward()
    return loss


def _compare_grads(s: Scenario, what: str, model: nn.Module, reference: nn.Module) -> None:
    for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        s.close(f"{what}: {name}'s gradient", p.grad, q.grad)


def tensor_parallel_mlp(mesh, s: Scenario) -> None:
    """The Llama MLP with gate/up ColwiseParallel and down RowwiseParallel, against torch's
    activations in one process: ``replace_activations`` (nn.SiLU), with ColwiseParallel's
    default local outputs (plain shards) and with DTensor outputs (Shard(-1)); ``silu_mul`` on
    DTensors; a fused gate-up projection and ``swiglu``, whose split dim is sharded (torch's
    result: gathered, never a local split, which would pair the wrong elements)."""
    from torch.distributed.tensor.parallel import (
        ColwiseParallel,
        RowwiseParallel,
        parallelize_module,
    )

    torch.manual_seed(0)
    x = torch.randn(3, 5, 8)
    for what, build, local in (("replace_activations", LlamaMLP, True),
                               ("replace_activations on DTensors", LlamaMLP, False),
                               ("silu_mul", SiluMulMLP, False)):
        plan = {"gate_proj": ColwiseParallel(use_local_output=local),
                "up_proj": ColwiseParallel(use_local_output=local),
                "down_proj": RowwiseParallel()}
        torch.manual_seed(1)
        reference = LlamaMLP()
        model = build()
        model.load_state_dict(reference.state_dict())
        tritonact.replace_activations(model)
        parallelize_module(model, mesh, plan)
        before = Counter(s.launches)
        loss = _train_step(model, x, s)
        expected = _train_step(reference, x)
        s.close(f"{what}: loss", loss, expected)
        _compare_grads(s, what, model, reference)
        kernel = "gated" if what == "silu_mul" else "elementwise"
        for way in ("forward", "backward"):
            s.check(s.launches[f"{kernel}.{way}"] > before[f"{kernel}.{way}"],
                    f"{what}: {kernel}.{way} not launched")
    torch.manual_seed(2)
    reference = FusedMLP(ours=False)
    model = FusedMLP(ours=True)
    model.load_state_dict(reference.state_dict())
    parallelize_module(model, mesh, {"gate_up_proj": ColwiseParallel(use_local_output=False),
                                     "down_proj": RowwiseParallel()})
    before = Counter(s.launches)
    loss = _train_step(model, x, s)
    expected = _train_step(reference, x)
    s.close("fused swiglu: loss", loss, expected)
    _compare_grads(s, "fused swiglu", model, reference)
    s.check(s.launches["gated.forward"] > before["gated.forward"], "fused swiglu: not launched")


class NormBlock(nn.Module):
    """LayerNorm, then GELU and a softmax over the hidden dim (torch's modules; converted by
    ``replace_activations``)."""

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.act = nn.GELU(approximate="tanh")
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self.act(self.norm(x)))


def sequence_parallel_block(mesh, s: Scenario) -> None:
    """LayerNorm under SequenceParallel (activations Shard(1) over the sequence), then GELU and
    softmax: both run locally on the sequence shard; output placement as torch's."""
    from torch.distributed.tensor.parallel import SequenceParallel, parallelize_module

    torch.manual_seed(3)
    reference = NormBlock()
    model = NormBlock()
    model.load_state_dict(reference.state_dict())
    tritonact.replace_activations(model)
    parallelize_module(model, mesh, {"norm": SequenceParallel()})
    torch.manual_seed(4)
    x = torch.randn(2, 6, 8)
    g = torch.randn(2, 6, 8)
    with s.counting():
        y = model(distribute_tensor(x, mesh, [Shard(1)]))
        y.backward(distribute_tensor(g, mesh, [Shard(1)]))
    expected = reference(x)
    expected.backward(g)
    s.check(tuple(y.placements) == (Shard(1),), f"placements {y.placements}, not Shard(1)")
    s.close("output", y, expected)
    _compare_grads(s, "sequence parallel", model, reference)
    for kernel in ("elementwise.forward", "elementwise.backward", "rowwise.forward",
                   "rowwise.backward"):
        s.check(s.launches[kernel] > 0, f"{kernel} not launched")


def fsdp_step(mesh, s: Scenario) -> None:
    """One FSDP2 (fully_shard) training step of a small model with tritonact's activations,
    each rank on its half of the batch, against the whole batch in one process with torch's:
    loss, gradients and updated parameters."""
    from torch.distributed.fsdp import fully_shard

    def build():
        return nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 16), nn.SiLU(),
                             nn.Linear(16, 4))

    torch.manual_seed(5)
    reference = build()
    model = build()
    model.load_state_dict(reference.state_dict())
    tritonact.replace_activations(model)
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    reference_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    torch.manual_seed(6)
    x = torch.randn(8, 8)
    local = x.chunk(2)[dist.get_rank()]
    loss = _train_step(model, local, s)
    optimizer.step()
    expected = _train_step(reference, x)
    reference_optimizer.step()
    total = loss.detach().clone()
    dist.all_reduce(total)
    s.close("loss (mean over ranks)", total / 2, expected)
    _compare_grads(s, "fsdp", model, reference)
    for (name, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
        s.close(f"fsdp: {name} after the step", p, q)
    for kernel in ("elementwise.forward", "elementwise.backward"):
        s.check(s.launches[kernel] >= 2, f"{kernel}: {s.launches[kernel]} launches, not 2")


def switch_on_dtensor(mesh, s: Scenario) -> None:
    """``tritonact.use()``: torch's own ops on a DTensor reach the switched aten kernels on the
    local shards (DTensor's dispatch), placements and results torch's."""
    x = _input(mesh, (4, 6), Shard(1), seed=8)
    with s.counting(), tritonact.use():
        x1 = _leaf(x)
        y1 = torch.softmax(F.gelu(x1), -1)
        y1.sum().backward()
    x2 = _leaf(x)
    y2 = torch.softmax(F.gelu(x2), -1)
    y2.sum().backward()
    s.same_placement("switch", y1, y2)
    s.close("switch", y1, y2)
    s.close("switch gradient", x1.grad, x2.grad)
    for kernel in ("elementwise.forward", "elementwise.backward", "rowwise.forward",
                   "rowwise.backward"):
        s.check(s.launches[kernel] > 0, f"{kernel} not launched")


def logged_fallbacks(mesh, s: Scenario) -> None:
    """What is not served on shards as it is says so, once, on the ``tritonact`` logger (over
    the whole run, whichever scenario met it first), and gives torch's result: an in-place op,
    rrelu in training, a gated op's sharded split dim (gathered), a softmax over a sharded dim
    and a Partial input (replicated)."""
    x = _input(mesh, (4, 6), Shard(1), seed=9)
    y = x.clone()
    TF.relu_(y)
    s.close("relu_", y, F.relu(x))
    s.same_placement("relu_", y, x)
    torch.manual_seed(10)
    y = TF.rrelu(x, training=True)
    s.check(tuple(y.placements) == (Shard(1),), f"rrelu placements {y.placements}")
    for _ in range(2):  # logged once, not per call
        s.close("swiglu", TF.swiglu(x, 1), _torch_swiglu(x, 1))
        s.close("softmax", TF.softmax(x, 1), F.softmax(x, 1))
    for words in ("in-place activation", "rrelu on a DTensor: training", "split dim 1 sharded",
                  "reduced dim 1 sharded", "a Partial input is reduced"):
        s.check(any(words in r for r in LOGGED), f"{words!r} never logged: {LOGGED}")
    s.check(len(LOGGED) == len(set(LOGGED)), f"a line logged twice: {LOGGED}")


#: What the ``tritonact`` logger said about DTensors during the run (every scenario's calls).
LOGGED: list[str] = []


class _Recorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if "DTensor" in record.getMessage():
            LOGGED.append(record.getMessage())


SCENARIOS = {f.__name__: f for f in (functional_ops, tensor_parallel_mlp,
                                     sequence_parallel_block, fsdp_step, switch_on_dtensor,
                                     logged_fallbacks)}


def main(rank: int, world: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", rank=rank, world_size=world,
                            init_method=f"tcp://127.0.0.1:{port}")
    records = {}
    logger = logging.getLogger("tritonact")
    logger.addHandler(_Recorder())
    logger.setLevel(logging.INFO)
    try:
        mesh = init_device_mesh("cpu", (world,))
        for name, scenario in SCENARIOS.items():
            s = Scenario()
            start = time.perf_counter()
            try:
                scenario(mesh, s)
            except Exception:  # reported to the test, which fails on it
                s.failures.append(traceback.format_exc())
            records[name] = {"failures": s.failures, "launches": dict(s.launches),
                             "seconds": round(time.perf_counter() - start, 2)}
            dist.barrier()
    finally:
        with open(f"{out}.{rank}.json", "w") as f:
            json.dump(records, f)
        dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
