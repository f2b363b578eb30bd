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


#: Timed iterations per measurement: at least MIN_REPS, at most MAX_REPS (and as many warm-up
#: iterations at most); ESTIMATE_ITERATIONS whole iterations first set the counts.
MIN_REPS = 5
MAX_REPS = 1000
ESTIMATE_ITERATIONS = 5
#: Host time of a call: the median over this many calls, each issued to an idle device.
HOST_SAMPLES = 10
#: The device delay before a start event, in multiples of the call's host time (fallback timing).
DELAY_FACTOR = 2
MIN_DELAY_US = 50


@dataclass(frozen=True)
class Measurement:
    """One timed call: device time (median, 20th and 80th percentile, µs), the host time of
    issuing it (µs, median), and how it was timed."""

    median_us: float
    p20_us: float
    p80_us: float
    host_us: float
    method: str


@dataclass(frozen=True)
class Repetitions:
    warmup: int
    timed: int


def repetitions(iteration_ms: float, warmup_ms: float, rep_ms: float) -> Repetitions:
    """Warm-up and timed iterations that fill ``warmup_ms`` and ``rep_ms`` of wall time, where
    one iteration costs ``iteration_ms`` with everything it runs (the untimed prepare step, the
    L2 flush, the call and its events): at least MIN_REPS timed, at most MAX_REPS of each."""
    per = max(iteration_ms, 1e-3)
    return Repetitions(warmup=min(MAX_REPS, int(warmup_ms / per)),
                       timed=min(MAX_REPS, max(MIN_REPS, int(rep_ms / per))))


Iteration = Callable[[], Callable[[], float]]


def bounded_samples(iteration: Iteration, synchronize: Callable[[], None], warmup_ms: float,
                    rep_ms: float, clock: Callable[[], float] = time.perf_counter) -> list[float]:
    """Samples (ms) of timed iterations, their number and the warm-up's bounded by wall time.

    ``iteration()`` enqueues one whole iteration and returns what reads its sample once the
    device is synchronized. A few whole iterations, timed on the wall clock, set the counts.
    """
    synchronize()
    start = clock()
    for _ in range(ESTIMATE_ITERATIONS):
        iteration()
    synchronize()
    reps = repetitions(1e3 * (clock() - start) / ESTIMATE_ITERATIONS, warmup_ms, rep_ms)
    for _ in range(reps.warmup):
        iteration()
    pending = [iteration() for _ in range(reps.timed)]
    synchronize()
    return [sample() for sample in pending]


def _issue(call: TimedCall) -> Callable[[], object]:
    """The call bound to a fresh prepared state (prepared now, outside any timing)."""
    if call.prepare is None:
        return call.run
    state = call.prepare()
    return lambda: call.run(state)


def host_time(call: TimedCall, synchronize: Callable[[], None], samples: int) -> float:
    """Median µs of issuing the call from the host, the device idle before each call."""
    times = []
    for _ in range(samples):
        issue = _issue(call)
        synchronize()
        start = time.perf_counter()
        issue()
        times.append(1e6 * (time.perf_counter() - start))
    synchronize()
    return _quantiles(times)[0]


@dataclass
class CapturedCall:
    """CUDA graphs of a call and of its prepare step (one memory pool), and the tensors that
    their replays read and write."""

    run: torch.cuda.CUDAGraph
    prepare: torch.cuda.CUDAGraph | None
    tensors: tuple


def capture(call: TimedCall, device: torch.device) -> CapturedCall:
    """Capture the call (and its prepare step) after warm-up calls on a side stream, as torch's
    CUDA graphs documentation prescribes; raises where the call cannot be captured."""
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(stream):
        for _ in range(3):
            _issue(call)()
    torch.cuda.current_stream(device).wait_stream(stream)
    pool = torch.cuda.graph_pool_handle()
    prepare_graph = None
    state = None
    if call.prepare is not None:
        prepare_graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(prepare_graph, pool=pool):
            state = call.prepare()
    run_graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(run_graph, pool=pool):
        out = call.run(state) if call.prepare is not None else call.run()
    return CapturedCall(run_graph, prepare_graph, (state, out))


@functools.cache
def sleep_cycles_per_us(device: torch.device) -> float:
    """``torch.cuda._sleep`` cycles per microsecond on this device, measured once."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda._sleep(1000)
    start.record()
    torch.cuda._sleep(10**6)
    end.record()
    torch.cuda.synchronize(device)
    return 10**6 / max(1e3 * start.elapsed_time(end), 1e-3)


def _events() -> tuple[torch.cuda.Event, torch.cuda.Event, Callable[[], float]]:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    return start, end, lambda: start.elapsed_time(end)


@dataclass(frozen=True)
class Timer:
    """Device time of one call (median, 20th and 80th percentile, µs) and its host time.

    On CUDA each timed call starts after the L2 cache is cleared, with the device still busy
    when the start event is recorded, so no host time leaks in: the call is replayed from a
    CUDA graph where it can be captured (its prepare step, a backward's graph, replayed
    untimed before the flush), else run after a device-side delay of twice its measured host
    time. Warm-up and timed calls fill ``warmup_ms`` and ``rep_ms`` of wall time, flush and
    prepare included. On the CPU: a plain ``perf_counter`` loop of ``cpu_reps`` calls,
    interpreter timings (no warm-up: the interpreter compiles nothing).
    """

    device: torch.device
    warmup_ms: int = 25
    rep_ms: int = 100
    cpu_reps: int = 5

    @property
    def method(self) -> str:
        if self.device.type == "cuda":
            return f"cuda-graph replay, L2 flushed, {self.warmup_ms}+{self.rep_ms} ms wall"
        return "interpreter, perf_counter (not a performance figure)"

    def __call__(self, call: TimedCall | Callable[[], object]) -> Measurement:
        call = call if isinstance(call, TimedCall) else TimedCall(call)
        if self.device.type != "cuda":
            samples = []
            for _ in range(self.cpu_reps):
                issue = _issue(call)
                start = time.perf_counter()
                issue()
                samples.append(1e6 * (time.perf_counter() - start))
            median, p20, p80 = _quantiles(samples)
            return Measurement(median, p20, p80, median, self.method)
        return self._on_cuda(call)

    def _on_cuda(self, call: TimedCall) -> Measurement:
        synchronize = functools.partial(torch.cuda.synchronize, self.device)
        cache = l2_flush_buffer(self.device)
        host_us = host_time(call, synchronize, HOST_SAMPLES)
        try:
            graphs = capture(call, self.device)
        except Exception as error:
            synchronize()
            delay_us = max(DELAY_FACTOR * host_us, MIN_DELAY_US)
            cycles = int(delay_us * sleep_cycles_per_us(self.device))
            method = (f"cuda events after a {delay_us:.0f} µs device delay, L2 flushed, "
                      f"{self.warmup_ms}+{self.rep_ms} ms wall (no CUDA graph: "
                      f"{type(error).__name__})")

            def iteration() -> Callable[[], float]:
                issue = _issue(call)
                cache.zero_()
                torch.cuda._sleep(cycles)
                start, end, sample = _events()
                start.record()
                issue()
                end.record()
                return sample
        else:
            method = self.method

            def iteration() -> Callable[[], float]:
                if graphs.prepare is not None:
                    graphs.prepare.replay()
                cache.zero_()
                start, end, sample = _events()
                start.record()
                graphs.run.replay()
                end.record()
                return sample

        ms = bounded_samples(iteration, synchronize, self.warmup_ms, self.rep_ms)
        median, p20, p80 = (1e3 * t for t in _quantiles(ms))
        return Measurement(median, p20, p80, host_us, method)


def copy_roofline(device: torch.device, timer: Timer, nbytes: int) -> tuple[float, float]:
    """GB/s of a device-to-device copy of ``nbytes`` (bytes read plus written), and its median
    time in microseconds: the memory roofline of this run."""
    source = torch.empty(nbytes // 4, dtype=torch.float32, device=device).uniform_()
    target = torch.empty_like(source)
    measured = timer(lambda: target.copy_(source))
    return 2 * nbytes / (measured.median_us * 1e3), measured.median_us


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
