"""``python -m tritonact bench``: run the case list and write ``results.csv``, ``summary.md``
and PNG plots into ``--out``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import torch

from tritonact.bench.cases import (
    DTYPES,
    HOST_SHAPES,
    MEMORY_SHAPES,
    PROVIDERS,
    Case,
    Op,
    cases,
    shape_label,
)
from tritonact.bench.measure import (
    INTERPRETER_DISCLAIMER,
    Timer,
    copy_roofline,
    environment,
    host_overhead,
    peak_bytes,
    saved_bytes,
    timed_call,
)
from tritonact.bench.plan import (
    COMPILE,
    COMPILE_GUESS_S,
    DEFAULT_L2_BYTES,
    DRAM_FACTOR,
    PHASES,
    Costs,
    PhaseRecord,
    Step,
    cache_regime,
    fits,
    plan,
    totals,
)
from tritonact.bench.providers import (
    LIGER,
    Unavailable,
    applies,
    build,
    liger_missing,
    liger_version,
)
from tritonact.bench.report import Row, add_speedups, phase_table, plots, summary, write_csv
from tritonact.core.progress import progress

#: Timing effort per scale: do_bench's warm-up and timed milliseconds, interpreter repetitions.
TIMERS = {"full": (25, 100, 5), "quick": (10, 40, 5), "smoke": (0, 0, 3)}
#: Host overhead: calls issued back to back, and how many times that is repeated.
HOST_CALLS = {"full": (100, 7), "quick": (100, 5), "smoke": (1, 2)}
ROOFLINE_BYTES = {"cuda": 2**30, "cpu": 2**22}
HOST_MODES = ("forward", "forward+backward")
HOST_PROVIDERS = ("tritonact", "eager")


def scale_of(args: argparse.Namespace) -> str:
    return "smoke" if args.smoke else "quick" if args.quick else "full"


def left_out_providers(scale: str, device: torch.device) -> dict[str, str]:
    """Providers not run at all here, with the reason (said in the summary and the CSV)."""
    reasons = {}
    if scale == "smoke":
        reasons["compile"] = ("left out of --smoke: Inductor would compile every graph for the "
                              "CPU with a C compiler (seconds each), to time nothing a GPU user "
                              "needs")
    liger = "Liger-Kernel runs on CUDA only" if device.type != "cuda" else liger_missing()
    if liger is not None:
        reasons.update(dict.fromkeys(LIGER, liger))
    return reasons




def _input(shape: tuple[int, ...], dtype: str, device: torch.device) -> torch.Tensor:
    return torch.randn(shape, dtype=DTYPES[dtype], device=device, requires_grad=True)


def _why(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"error: {type(error).__name__}: {lines[0][:160] if lines else ''}"


def l2_bytes(device: torch.device) -> int:
    """The device's L2 cache size; DEFAULT_L2_BYTES where it reports none (the CPU path)."""
    if device.type == "cuda":
        size = getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 0)
        if size:
            return int(size)
    return DEFAULT_L2_BYTES


def start_costs(timer: Timer) -> Costs:
    """Costs before anything is measured: a timing is its warm-up and timed wall time plus a
    quarter for the estimate, capture and host-time calls and 50 ms of fixed cost; a
    torch.compile build COMPILE_GUESS_S. The CPU path's timings are a second each."""
    if timer.device.type != "cuda":
        return Costs(timing_s=1.0, compile_s=COMPILE_GUESS_S)
    return Costs(timing_s=1.25 * (timer.warmup_ms + timer.rep_ms) / 1e3 + 0.05,
                 compile_s=COMPILE_GUESS_S)


class Bench:
    """One run: its device, timer, environment, rows, and the costs it has measured."""

    def __init__(self, device: torch.device, scale: str, providers: Iterable[str]) -> None:
        self.device, self.scale = device, scale
        warmup_ms, rep_ms, cpu_reps = TIMERS[scale]
        self.timer = Timer(device, warmup_ms, rep_ms, cpu_reps)
        self.environment = environment(device).as_row()
        self.left_out = {p: why for p, why in left_out_providers(scale, device).items()
                         if p in providers}
        self.providers = [p for p in providers if p not in self.left_out]
        self.rows: list[Row] = []
        self.roofline_gbps: float | None = None
        self.l2_bytes = l2_bytes(device)
        self.costs = start_costs(self.timer)

    def row(self, benchmark: str, op: Op | None, dtype: str, shape: tuple[int, ...] | None,
            mode: str, provider: str, status: str = "ok", **values: object) -> None:
        self.rows.append({
            "benchmark": benchmark, "op": op.label if op else "all", "kind": op.kind if op else "",
            "dtype": dtype, "shape": shape_label(shape) if shape else "",
            "numel": torch.Size(shape).numel() if shape else "", "mode": mode,
            "provider": provider, "status": status, "timing": self.timer.method,
            **values, **self.environment,
        })

    def roofline(self) -> None:
        nbytes = ROOFLINE_BYTES[self.device.type]
        gbps, median = copy_roofline(self.device, self.timer, nbytes)
        self.roofline_gbps = gbps
        self.row("roofline", None, "float32", (nbytes // 4,), "copy", "torch", median_us=median,
                 bytes_moved=2 * nbytes, gbps=gbps, roofline_gbps=gbps, pct_roofline=100.0,
                 l2_regime=cache_regime(2 * nbytes, self.l2_bytes))

    def step(self, step: Step) -> None:
        """Time the step's providers on one input in each of its modes; peak and saved bytes
        at the memory shape."""
        op, dtype, shape = step.op, step.dtype, step.shape
        x = _input(shape, dtype, self.device)
        for provider in step.providers:
            started = time.monotonic()
            try:
                work = build(provider, op, x)
            except Unavailable as why:
                for mode in step.modes:
                    self.row("time", op, dtype, shape, mode, provider, f"skipped: {why}")
                continue
            if provider == COMPILE:
                self.costs.observe_compile(time.monotonic() - started)
            for mode in step.modes:
                self.time(Case(op, dtype, shape, mode), provider, work)
            if shape == MEMORY_SHAPES[self.scale][op.kind]:
                self.memory(op, dtype, shape, provider, work)
            del work
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def time(self, case: Case, provider: str, work) -> None:
        op, dtype, shape, mode = case.op, case.dtype, case.shape, case.mode
        started = time.monotonic()
        try:
            measured = self.timer(timed_call(work, mode))
        except Exception as error:
            self.row("time", op, dtype, shape, mode, provider, _why(error))
            return
        finally:
            self.costs.observe_timing(time.monotonic() - started)
        gbps = case.bytes_moved / (measured.median_us * 1e3)
        roofline = self.roofline_gbps
        self.row("time", op, dtype, shape, mode, provider, median_us=measured.median_us,
                 p20_us=measured.p20_us, p80_us=measured.p80_us, host_us=measured.host_us,
                 bytes_moved=case.bytes_moved, gbps=gbps, roofline_gbps=roofline,
                 pct_roofline=roofline and 100 * gbps / roofline,
                 l2_regime=cache_regime(case.bytes_moved, self.l2_bytes),
                 timing=measured.method)

    def left_out_rows(self, case_list: Iterable[Case]) -> None:
        """A row per left-out provider, op and dtype it would have run, with the reason."""
        for provider, why in self.left_out.items():
            for op, dtype in dict.fromkeys((case.op, case.dtype) for case in case_list):
                if applies(provider, op):
                    self.row("time", op, dtype, None, "all", provider, f"skipped: {why}")

    def unmeasured(self, requested: Iterable[str]) -> str | None:
        """None when a requested provider timed a case; else why each of them timed none."""
        requested = list(requested)
        timed = {r["provider"] for r in self.rows if r["benchmark"] == "time"
                 and r["status"] == "ok"}
        if timed & set(requested):
            return None
        why = {p: sorted({str(r["status"]) for r in self.rows
                          if r["provider"] == p and r["status"] != "ok"}) for p in requested}
        return "; ".join(f"{p}: {', '.join(why[p]) or 'timed no case'}"
                         for p in requested)

    def memory(self, op: Op, dtype: str, shape: tuple[int, ...], provider: str, work) -> None:
        try:
            peak, saved = peak_bytes(work, self.device), saved_bytes(work)
        except Exception as error:
            self.row("memory", op, dtype, shape, "forward+backward", provider, _why(error))
            return
        self.row("memory", op, dtype, shape, "forward+backward", provider, peak_bytes=peak,
                 saved_bytes=saved)

    def host(self, op: Op, dtype: str) -> None:
        """Per-call CPU time on 2^10 elements, forward and forward+backward, against eager."""
        shape = HOST_SHAPES[op.kind]
        x = _input(shape, dtype, self.device)
        for provider in (p for p in HOST_PROVIDERS if p in self.providers):
            try:
                work = build(provider, op, x)
                for mode in HOST_MODES:
                    median, p20, p80 = host_overhead(timed_call(work, mode).run, self.device,
                                                     *HOST_CALLS[self.scale])
                    self.row("host_overhead", op, dtype, shape, mode, provider, median_us=median,
                             p20_us=p20, p80_us=p80, timing="perf_counter, no synchronize")
            except Exception as error:
                self.row("host_overhead", op, dtype, shape, "forward", provider, _why(error))

    def steps(self, case_list: list[Case]) -> list[Step]:
        return plan(case_list, self.providers, self.l2_bytes, applies)


def plan_table(steps: list[Step], costs: Costs) -> str:
    """The run's phases: steps, timings, torch.compile builds and estimated seconds."""
    lines = ["phase            steps  timings  compiles  estimate"]
    for phase, (n, timed, compiled, seconds) in totals(steps, costs).items():
        lines.append(f"{phase:<16} {n:>5}  {timed:>7}  {compiled:>8}  {seconds:>7.0f} s")
    lines.append(f"(estimates: {costs.timing_s:.2f} s per timing, {costs.compile_s:.0f} s per "
                 f"torch.compile build)")
    return "\n".join(lines)


def warm_compile(bench: Bench, steps: list[Step]) -> int:
    """Build torch.compile for every step that times it, in plan order, and time nothing: run
    beside the tests, this fills Inductor's on-disk caches so that the timed run's builds are
    cache hits."""
    for step in (s for s in steps if s.compiles):
        started = time.monotonic()
        try:
            build(COMPILE, step.op, _input(step.shape, step.dtype, bench.device))
            outcome = "built"
        except Unavailable as why:
            outcome = str(why)
        print(f"{step.label}: {outcome} in {time.monotonic() - started:.1f} s", file=sys.stderr,
              flush=True)
        if bench.device.type == "cuda":
            torch.cuda.empty_cache()
    return 0


def run(args: argparse.Namespace, device: torch.device) -> int:
    scale = scale_of(args)
    try:
        case_list = cases(scale, args.ops, args.dtypes, args.modes)
    except ValueError as error:
        raise SystemExit(f"{error} (see python -m tritonact list)") from None
    if getattr(args, "plan", False):  # as a CUDA run would go, every provider included
        timer = Timer(torch.device("cuda"), *TIMERS[scale])
        print(plan_table(plan(case_list, args.providers or PROVIDERS, l2_bytes(device), applies),
                         start_costs(timer)))
        return 0
    bench = Bench(device, scale, args.providers or PROVIDERS)
    steps = bench.steps(case_list)
    print(plan_table(steps, bench.costs), file=sys.stderr)
    if getattr(args, "warm_compile", False):
        return warm_compile(bench, steps)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    disclaimer = INTERPRETER_DISCLAIMER if device.type != "cuda" else None
    notes: list[str] = []  # the left-out providers are rows (see Bench.left_out_rows)
    if disclaimer:
        print(disclaimer, file=sys.stderr)
    for provider, why in bench.left_out.items():
        print(f"not measured: {provider}: {why}", file=sys.stderr)
    details = [f"{scale} suite; timing: {bench.timer.method}.",
               f"L2 cache: {bench.l2_bytes / 2**20:.0f} MiB"
               + (" (assumed: the device reports none)" if device.type != "cuda" else "")
               + f"; a working set of at least {DRAM_FACTOR}x that is a bandwidth figure."]
    if any(p in LIGER for p in bench.providers):
        details.append(f"Liger-Kernel {liger_version()}.")

    # `timeout` and Ctrl-C end the run early, but the results so far are still written.
    try:
        previous_handler = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    except ValueError:  # not the main thread: leave the signals alone
        previous_handler = None
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)  # tiny CPU ops: no thread-pool barriers on a busy machine
    start = time.monotonic()
    bench.left_out_rows(case_list)
    phases: dict[str, PhaseRecord] = {}
    status = 0
    try:
        bench.roofline()
        for phase in PHASES:
            if phase == "host":
                record = phases.setdefault(phase, PhaseRecord())
                began = time.monotonic()
                for op, dtype in dict.fromkeys((s.op, s.dtype) for s in steps):
                    bench.host(op, dtype)  # tiny tensors, seconds in all
                record.ran, record.seconds = 1, time.monotonic() - began
                continue
            mine = [s for s in steps if s.phase == phase]
            for step in progress(mine, lambda s: s.label, "bench", "step"):
                record = phases.setdefault(phase, PhaseRecord())
                record.planned += 1
                if not fits(step, time.monotonic() - start, args.budget, bench.costs):
                    record.left_out.append(step)
                    continue
                began = time.monotonic()
                try:
                    bench.step(step)
                except Exception as error:  # the input itself did not fit, say
                    bench.row("time", step.op, step.dtype, step.shape, "all", "all", _why(error))
                record.ran += 1
                record.seconds += time.monotonic() - began
    except (KeyboardInterrupt, SystemExit):
        notes.append("the run was interrupted")
        status = 130
    finally:
        left = [s for r in phases.values() for s in r.left_out]
        if left:
            notes.append(f"{len(left)} of {len(steps)} steps left out by --budget "
                         f"{args.budget:.0f} s: " + ", ".join(s.label for s in left))
        not_reached = len(steps) - sum(r.ran for p, r in phases.items() if p != "host") - len(left)
        if not_reached:
            notes.append(f"{not_reached} of {len(steps)} steps not reached (interrupted)")
        torch.set_num_threads(threads)
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
        details.append("Phases (measured wall time):\n\n" + phase_table(phases))
        _write(bench, out, notes, details, disclaimer, scale)
    unmeasured = bench.unmeasured(args.providers or PROVIDERS)
    if status == 0 and unmeasured is not None:
        print(f"measured nothing: no requested provider ran ({unmeasured})", file=sys.stderr)
        status = 1
    return status


def _write(bench: Bench, out: Path, notes: list[str], details: list[str],
           disclaimer: str | None, scale: str) -> None:
    add_speedups(bench.rows)
    write_csv(bench.rows, out / "results.csv")
    env = bench.environment
    title = f"{env['device']}, {scale} suite, tritonact {env['tritonact_commit']}"
    if disclaimer:
        title += "\nTriton interpreter on the CPU: not performance figures"
    pngs = plots(bench.rows, out, title)
    if pngs is None:
        pngs = []
        notes.append("plots: matplotlib is not installed (pip install matplotlib)")
        print(f"not written: {notes[-1]}", file=sys.stderr)
    (out / "summary.md").write_text(summary(bench.rows, bench.environment, notes, disclaimer,
                                                  details))
    print(f"wrote {out / 'results.csv'} ({len(bench.rows)} rows), {out / 'summary.md'} and "
          f"{len(pngs)} plots", file=sys.stderr)

