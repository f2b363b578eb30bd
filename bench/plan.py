"""The order a benchmark run spends its time in, and what fits a budget.

A GPU slot is short, so a run is a list of steps ordered by value, each one (op, dtype, shape)
on some providers in its modes: first the headline (every provider on each op's goal shape),
then the other sizes whose working set is at least 4x the L2 cache (bandwidth figures), then the
smaller sizes (latency figures) without torch.compile, and last torch.compile at those small
sizes, where a cold build costs seconds for a few microseconds of timing. A step is started only
when its estimated time fits what is left of the budget; the estimate starts from the timer's
settings and is refined by what the run has measured so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tritonact.bench.cases import HEADLINE_SHAPES, Case, shape_label
from tritonact.core.bench_op import Op

#: The L2 cache assumed where the device does not report one (the CPU path): 50 MiB, what torch
#: reports for an H100 or H200.
DEFAULT_L2_BYTES = 50 * 2**20
#: A working set at least this many times the L2 is served from device memory: its GB/s is a
#: bandwidth figure; below it, the L2 can serve part of it.
DRAM_FACTOR = 4
#: Phases in the order a run spends its time: ``host`` (per-call CPU time on tiny inputs,
#: seconds in all) holds no steps.
PHASES = ("headline", "host", "bandwidth", "latency", "latency-compile")
#: The starting estimate of one torch.compile build (forward and backward, Inductor, a cold
#: cache), in seconds: a guess, replaced by the mean of the builds the run has measured.
COMPILE_GUESS_S = 15.0
COMPILE = "compile"


def working_set(case: Case) -> int:
    """Bytes the call reads and writes, each tensor once: the case's fewest bytes moved."""
    return case.bytes_moved


def cache_regime(working_set_bytes: int, l2_bytes: int) -> str:
    """``L2`` (fits the L2 cache), ``DRAM`` (at least 4x the L2) or ``mixed`` (in between)."""
    if working_set_bytes <= l2_bytes:
        return "L2"
    return "DRAM" if working_set_bytes >= DRAM_FACTOR * l2_bytes else "mixed"


@dataclass(frozen=True)
class Step:
    """One step of a run: one input of ``op`` timed for ``providers`` in ``modes``."""

    phase: str
    op: Op
    dtype: str
    shape: tuple[int, ...]
    modes: tuple[str, ...]
    providers: tuple[str, ...]

    @property
    def timings(self) -> int:
        return len(self.modes) * len(self.providers)

    @property
    def compiles(self) -> int:
        return int(COMPILE in self.providers)

    @property
    def label(self) -> str:
        return f"{self.phase}: {self.op.label} {self.dtype} {shape_label(self.shape)}"


def phase_of(op: Op, dtype: str, shape: tuple[int, ...], l2_bytes: int) -> str:
    """``headline`` at the op's goal shape, ``bandwidth`` where even the forward's working set
    is at least 4x the L2, else ``latency``."""
    if shape == HEADLINE_SHAPES[op.kind]:
        return "headline"
    forward = working_set(Case(op, dtype, shape, "forward"))  # the smallest of the modes'
    return "bandwidth" if cache_regime(forward, l2_bytes) == "DRAM" else "latency"


def plan(case_list: Iterable[Case], providers: Sequence[str], l2_bytes: int,
         applies=lambda provider, op: True) -> list[Step]:
    """The steps of a run in the order of their value (``PHASES``); within a phase, the case
    list's order. ``applies(provider, op)`` says which providers an op has."""
    modes: dict[tuple[Op, str, tuple[int, ...]], list[str]] = {}
    for case in case_list:
        modes.setdefault((case.op, case.dtype, case.shape), []).append(case.mode)
    steps: dict[str, list[Step]] = {phase: [] for phase in PHASES}
    for (op, dtype, shape), its_modes in modes.items():
        mine = tuple(p for p in providers if applies(p, op))
        phase = phase_of(op, dtype, shape, l2_bytes)
        if phase == "latency" and COMPILE in mine:
            steps["latency-compile"].append(Step("latency-compile", op, dtype, shape,
                                                 tuple(its_modes), (COMPILE,)))
            mine = tuple(p for p in mine if p != COMPILE)
        if mine:
            steps[phase].append(Step(phase, op, dtype, shape, tuple(its_modes), mine))
    return [step for phase in PHASES for step in steps[phase]]


@dataclass
class Costs:
    """Seconds a step is expected to take: per timing (one provider in one mode: warm-up, timed
    calls, capture and host-time calls) and per torch.compile build (forward and backward).
    Start values come from the timer's settings; each measured step replaces them with the
    mean of what was measured."""

    timing_s: float
    compile_s: float
    measured_timings: list[float] = field(default_factory=list)
    measured_compiles: list[float] = field(default_factory=list)

    def estimate(self, step: Step) -> float:
        return step.timings * self.timing_s + step.compiles * self.compile_s

    def observe_timing(self, seconds: float) -> None:
        self.measured_timings.append(seconds)
        self.timing_s = sum(self.measured_timings) / len(self.measured_timings)

    def observe_compile(self, seconds: float) -> None:
        self.measured_compiles.append(seconds)
        self.compile_s = sum(self.measured_compiles) / len(self.measured_compiles)


def fits(step: Step, elapsed_s: float, budget_s: float | None, costs: Costs) -> bool:
    """Whether ``step`` is expected to end within the budget (no budget: always)."""
    return budget_s is None or elapsed_s + costs.estimate(step) <= budget_s


def totals(steps: Iterable[Step], costs: Costs) -> dict[str, tuple[int, int, int, float]]:
    """Per phase: (steps, timings, compiles, estimated seconds)."""
    out: dict[str, tuple[int, int, int, float]] = {}
    for step in steps:
        n, t, c, s = out.get(step.phase, (0, 0, 0, 0.0))
        out[step.phase] = (n + 1, t + step.timings, c + step.compiles, s + costs.estimate(step))
    return out


@dataclass
class PhaseRecord:
    """What a run did in one phase: steps planned and run, the wall time, the steps that did
    not fit the budget."""

    planned: int = 0
    ran: int = 0
    seconds: float = 0.0
    left_out: list[Step] = field(default_factory=list)
