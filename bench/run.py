"""``python -m tritonact bench``: run the case list and write ``results.csv``, ``summary.md``
and PNG plots into ``--out``."""

from __future__ import annotations

import argparse
import importlib.util
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
from tritonact.bench.providers import Unavailable, applies, build, liger_version
from tritonact.bench.report import Row, add_speedups, plots, summary, write_csv
from tritonact.progress import progress

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
    if device.type != "cuda":
        reasons["liger"] = "Liger-Kernel runs on CUDA only"
    elif importlib.util.find_spec("liger_kernel") is None:
        reasons["liger"] = ("liger-kernel is not installed (pip install liger-kernel, or the "
                            "bench extra)")
    return reasons


def _workloads(case_list: Iterable[Case]) -> dict[tuple[Op, str, tuple[int, ...]], list[str]]:
    """(op, dtype, shape) -> its modes, in case-list order: one input serves the modes."""
    grouped: dict[tuple[Op, str, tuple[int, ...]], list[str]] = {}
    for case in case_list:
        grouped.setdefault((case.op, case.dtype, case.shape), []).append(case.mode)
    return grouped


def _input(shape: tuple[int, ...], dtype: str, device: torch.device) -> torch.Tensor:
    return torch.randn(shape, dtype=DTYPES[dtype], device=device, requires_grad=True)


def _why(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"error: {type(error).__name__}: {lines[0][:160] if lines else ''}"


class Bench:
    """One run: its device, timer, environment and rows."""

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
                 bytes_moved=2 * nbytes, gbps=gbps, roofline_gbps=gbps, pct_roofline=100.0)

    def workload(self, op: Op, dtype: str, shape: tuple[int, ...], modes: list[str]) -> None:
        """Time every provider on one input in each mode; peak and saved bytes at the memory
        shape."""
        x = _input(shape, dtype, self.device)
        for provider in (p for p in self.providers if applies(p, op)):
            try:
                work = build(provider, op, x)
            except Unavailable as why:
                for mode in modes:
                    self.row("time", op, dtype, shape, mode, provider, f"skipped: {why}")
                continue
            for mode in modes:
                case = Case(op, dtype, shape, mode)
                try:
                    median, p20, p80 = self.timer(timed_call(work, mode))
                except Exception as error:
                    self.row("time", op, dtype, shape, mode, provider, _why(error))
                    continue
                gbps = case.bytes_moved / (median * 1e3)
                roofline = self.roofline_gbps
                self.row("time", op, dtype, shape, mode, provider, median_us=median, p20_us=p20,
                         p80_us=p80, bytes_moved=case.bytes_moved, gbps=gbps,
                         roofline_gbps=roofline, pct_roofline=roofline and 100 * gbps / roofline)
            if shape == MEMORY_SHAPES[self.scale][op.kind]:
                self.memory(op, dtype, shape, provider, work)
            del work
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def left_out_rows(self, workloads: Iterable[tuple[Op, str, tuple[int, ...]]]) -> None:
        """A row per left-out provider, op and dtype it would have run, with the reason."""
        for provider, why in self.left_out.items():
            for op, dtype in dict.fromkeys((op, dtype) for op, dtype, _ in workloads):
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


def run(args: argparse.Namespace, device: torch.device) -> int:
    scale = scale_of(args)
    try:
        case_list = cases(scale, args.ops, args.dtypes, args.modes)
    except ValueError as error:
        raise SystemExit(f"{error} (see python -m tritonact list)") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bench = Bench(device, scale, args.providers or PROVIDERS)
    disclaimer = INTERPRETER_DISCLAIMER if device.type != "cuda" else None
    notes: list[str] = []  # the left-out providers are rows (see Bench.left_out_rows)
    if disclaimer:
        print(disclaimer, file=sys.stderr)
    for provider, why in bench.left_out.items():
        print(f"not measured: {provider}: {why}", file=sys.stderr)
    details = [f"{scale} suite; timing: {bench.timer.method}."]
    if "liger" in bench.providers:
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
    workloads = _workloads(case_list)
    bench.left_out_rows(workloads)
    finished: list[tuple] = []
    status = 0
    try:
        bench.roofline()
        for op, dtype in dict.fromkeys((op, dtype) for op, dtype, _ in workloads):
            bench.host(op, dtype)  # first: tiny tensors, seconds in all
        label = lambda w: f"{w[0].label} {w[1]} {shape_label(w[2])}"
        for op, dtype, shape in progress(list(workloads), label, "bench", "case"):
            if args.budget and time.monotonic() - start > args.budget:
                break
            try:
                bench.workload(op, dtype, shape, workloads[(op, dtype, shape)])
            except Exception as error:  # the input itself did not fit, say
                bench.row("time", op, dtype, shape, "all", "all", _why(error))
            finished.append((op, dtype, shape))
    except (KeyboardInterrupt, SystemExit):
        notes.append("the run was interrupted")
        status = 130
    finally:
        missing = [w for w in workloads if w not in finished]
        if missing:
            named = ", ".join(f"{op.label} {dtype} {shape_label(shape)}"
                              for op, dtype, shape in missing)
            notes.append(f"{len(missing)} of {len(workloads)} (op, dtype, shape) workloads not "
                         f"run or not finished (--budget or an interruption): {named}")
        torch.set_num_threads(threads)
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
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

