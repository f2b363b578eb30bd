"""The benchmarks under pytest-benchmark: ``pytest bench/ [--benchmark-save=NAME]
[--benchmark-compare]``. Each case is one group, its providers side by side.

pytest-benchmark times each round with the host clock: one call then a synchronize, the L2
cache flushed before (outside the timing). That is the latency of a call, launch included; the
device time by CUDA events, GB/s and the roofline come from ``python -m tritonact bench``. The
fewest bytes moved and the GB/s from this median are kept in each result's ``extra_info``.
"""

from __future__ import annotations

import pytest
import torch

from tritonact.bench.cases import DTYPES, Case
from tritonact.bench.measure import environment, l2_flush_buffer, timed_call
from tritonact.bench.providers import Unavailable, Workload, build

pytest.importorskip("pytest_benchmark", reason="pytest bench/ needs pytest-benchmark "
                                               "(pip install pytest-benchmark)")

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

_workloads: dict[tuple, dict[str, Workload | Unavailable]] = {}


def _workload(case: Case, provider: str) -> Workload:
    """One input and workload per (op, dtype, shape), kept while its modes and providers run
    (a compiled graph is compiled once for the three modes)."""
    key = (case.op, case.dtype, case.shape)
    if key not in _workloads:
        _workloads.clear()
        if DEVICE.type == "cuda":
            torch.cuda.empty_cache()
        x = torch.randn(case.shape, dtype=DTYPES[case.dtype], device=DEVICE, requires_grad=True)
        _workloads[key] = {"input": x}
    built = _workloads[key]
    if provider not in built:
        try:
            built[provider] = build(provider, case.op, built["input"])
        except Unavailable as why:
            built[provider] = why
    if isinstance(built[provider], Unavailable):
        pytest.skip(str(built[provider]))
    return built[provider]


@pytest.fixture(scope="session")
def run_environment() -> dict[str, str]:
    return environment(DEVICE).as_row()


@pytest.fixture(scope="session")
def flush_l2():
    if DEVICE.type != "cuda":
        return lambda: None
    cache = l2_flush_buffer(DEVICE)

    def flush() -> None:
        cache.zero_()
        torch.cuda.synchronize(DEVICE)

    return flush


def test_benchmark(benchmark, case: Case, provider: str, run_environment, flush_l2, request):
    benchmark.group = case.label
    benchmark.extra_info.update(provider=provider, bytes_moved=case.bytes_moved,
                                **run_environment)
    call = timed_call(_workload(case, provider), case.mode)
    sync = torch.cuda.synchronize if DEVICE.type == "cuda" else (lambda: None)

    def setup() -> tuple[tuple, dict]:
        """Untimed: build what the call consumes (a backward's graph), then clear the L2."""
        state = (call.prepare(),) if call.prepare else ()
        flush_l2()
        return state, {}

    def synchronized_call(*state) -> None:
        call.run(*state)
        sync()

    rounds = request.config.getoption("bench_rounds") or (200 if DEVICE.type == "cuda" else 3)
    benchmark.pedantic(synchronized_call, setup=setup, rounds=rounds,
                       warmup_rounds=min(10, rounds))
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["gbps"] = case.bytes_moved / benchmark.stats.stats.median / 1e9
