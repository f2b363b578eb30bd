"""How things are measured: device time (CUDA events with the L2 flushed, or a plain clock under
Triton's interpreter), the copy roofline, host overhead, memory, and the environment."""

from __future__ import annotations

import datetime
import functools
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import triton

from tritonact.bench.providers import Workload

QUANTILES = (0.5, 0.2, 0.8)
INTERPRETER_DISCLAIMER = ("CPU run through the Triton interpreter: these timings prove the "
                          "harness end to end and are not performance figures.")


@dataclass(frozen=True)
class Environment:
    """What every result row names: the device, its driver, the versions, the commit, the date."""

    device: str
    driver: str
    torch: str
    triton: str
    tritonact_commit: str
    date: str

    def as_row(self) -> dict[str, str]:
        return asdict(self)


def _run(argv: list[str], cwd: Path | None = None) -> str:
    try:
        out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def commit() -> str:
    """The checkout's commit (``+dirty`` with uncommitted changes), or ``unknown``: from the
    package's own checkout, else from the working directory (a copied-out package)."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        head = _run(["git", "rev-parse", "--short=12", "HEAD"], root)
        if head:
            dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], root)
            return head + ("+dirty" if dirty else "")
    return "unknown"


def environment(device: torch.device) -> Environment:
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        index = device.index if device.index is not None else torch.cuda.current_device()
        driver = _run(["nvidia-smi", f"--id={index}", "--query-gpu=driver_version",
                       "--format=csv,noheader"])
        driver = driver or f"CUDA driver API {torch._C._cuda_getDriverVersion()}"
    else:
        name, driver = "cpu (Triton interpreter)", "-"
    return Environment(
        device=name, driver=driver, torch=torch.__version__, triton=triton.__version__,
        tritonact_commit=commit(),
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _quantiles(samples: list[float]) -> tuple[float, float, float]:
    q = torch.tensor(samples, dtype=torch.float64).quantile(torch.tensor(QUANTILES,
                                                                          dtype=torch.float64))
    return tuple(q.tolist())


#: Bytes cleared between timed calls so that none is served from the L2 cache (50 MB on
#: H100/H200), as ``do_bench`` does.
L2_FLUSH_BYTES = 256 * 2**20
MAX_REPS = 1000


@dataclass
class TimedCall:
    """What one timed call runs: ``run()``, or ``run(prepare())`` where ``prepare`` builds
    what the call consumes (the autograd graph a backward frees) outside the timing."""

    run: Callable[..., object]
    prepare: Callable[[], object] | None = None


def timed_call(workload: Workload, mode: str) -> TimedCall:
    """The call to time for ``mode``: the forward; the backward alone (each call on a graph
    its untimed ``prepare`` built: compiled backwards refuse ``retain_graph``); or forward and
    backward together. Gradients are returned, never accumulated into ``.grad``."""
    if mode == "forward":
        return TimedCall(workload.forward)
    grad = torch.randn_like(workload.forward())
    if mode == "backward":
        return TimedCall(lambda y: torch.autograd.grad(y, workload.inputs, grad),
                         workload.forward)
    return TimedCall(lambda: torch.autograd.grad(workload.forward(), workload.inputs, grad))


@functools.cache
def l2_flush_buffer(device: torch.device) -> torch.Tensor:
    return torch.empty(L2_FLUSH_BYTES, dtype=torch.int8, device=device)


@dataclass(frozen=True)
class Timer:
    """Median, 20th and 80th percentile of one call, in microseconds.

    On CUDA: CUDA events around each call, the L2 cache cleared before each, ``warmup_ms`` of
    warm-up, then ``rep_ms`` of timed calls: ``triton.testing.do_bench``, or for a call with a
    ``prepare`` step the same loop with that step run before the cache is cleared. On the CPU:
    a plain ``perf_counter`` loop of ``cpu_reps`` calls, interpreter timings (no warm-up: the
    interpreter compiles nothing).
    """

    device: torch.device
    warmup_ms: int = 25
    rep_ms: int = 100
    cpu_reps: int = 5

    @property
    def method(self) -> str:
        if self.device.type == "cuda":
            return f"cuda-events, L2 flushed, {self.warmup_ms}+{self.rep_ms} ms"
        return "interpreter, perf_counter (not a performance figure)"

    def __call__(self, call: TimedCall | Callable[[], object]) -> tuple[float, float, float]:
        call = call if isinstance(call, TimedCall) else TimedCall(call)
        if self.device.type != "cuda":
            samples = []
            for _ in range(self.cpu_reps):
                state = call.prepare() if call.prepare else None
                start = time.perf_counter()
                call.run(state) if call.prepare else call.run()
                samples.append(1e6 * (time.perf_counter() - start))
            return _quantiles(samples)
        if call.prepare is None:
            ms = triton.testing.do_bench(call.run, warmup=self.warmup_ms, rep=self.rep_ms,
                                         quantiles=list(QUANTILES))
            return tuple(1e3 * t for t in ms)
        return self._prepared_on_cuda(call)

    def _prepared_on_cuda(self, call: TimedCall) -> tuple[float, float, float]:
        """do_bench's loop with an untimed ``prepare`` before each call's cache clearing."""
        cache = l2_flush_buffer(self.device)

        def timed(count: int) -> list[float]:
            events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
                      for _ in range(count)]
            for start, end in events:
                state = call.prepare()
                cache.zero_()
                start.record()
                call.run(state)
                end.record()
            torch.cuda.synchronize(self.device)
            return [start.elapsed_time(end) for start, end in events]

        call.run(call.prepare())
        estimate_ms = max(sum(timed(5)) / 5, 1e-3)
        timed(min(MAX_REPS, max(1, int(self.warmup_ms / estimate_ms))))
        ms = timed(min(MAX_REPS, max(1, int(self.rep_ms / estimate_ms))))
        return tuple(1e3 * t for t in _quantiles(ms))


def copy_roofline(device: torch.device, timer: Timer, nbytes: int) -> tuple[float, float]:
    """GB/s of a device-to-device copy of ``nbytes`` (bytes read plus written), and its median
    time in microseconds: the memory roofline of this run."""
    source = torch.empty(nbytes // 4, dtype=torch.float32, device=device).uniform_()
    target = torch.empty_like(source)
    median, _, _ = timer(lambda: target.copy_(source))
    return 2 * nbytes / (median * 1e3), median


def host_overhead(call: Callable[[], object], device: torch.device, calls: int = 100,
                  repeats: int = 7) -> tuple[float, float, float]:
    """CPU time per call (µs; median, p20, p80 over ``repeats``) of ``calls`` calls issued back
    to back without synchronizing: what the Python side and the launches cost."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    call()
    samples = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append(1e6 * (time.perf_counter() - start) / calls)
    sync()
    return _quantiles(samples)


def saved_bytes(workload: Workload) -> int:
    """Bytes autograd keeps for backward: the storages of the saved tensors, each counted once."""
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        workload.forward()
    return sum(storages.values())


def peak_bytes(workload: Workload, device: torch.device) -> int | None:
    """Peak CUDA memory of one forward+backward above what was allocated before it (inputs and
    upstream gradient); None off CUDA."""
    if device.type != "cuda":
        return None
    y = workload.forward()
    grad = torch.randn_like(y)
    del y
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    torch.autograd.grad(workload.forward(), workload.inputs, grad)
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - base
