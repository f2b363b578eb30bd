"""The results: ``results.csv`` (one row per measurement), ``summary.md`` and PNG plots."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from tritonact.bench.cases import HEADLINE_SHAPES, MODES, PROVIDERS, shape_label
from tritonact.bench.plan import DRAM_FACTOR, PHASES, PhaseRecord
from tritonact.core.table import markdown_table

ENVIRONMENT_COLUMNS = ("device", "driver", "torch", "triton", "tritonact_commit", "date")
COLUMNS = (
    "benchmark",  # time, host_overhead, memory or roofline
    "op", "kind", "dtype", "shape", "numel", "mode", "provider",
    "status",  # ok, or why the provider did not run
    "median_us", "p20_us", "p80_us",
    "host_us",  # CPU time of issuing one call (the device idle before it)
    "bytes_moved", "gbps", "roofline_gbps", "pct_roofline",
    "l2_regime",  # L2 (working set fits the L2), mixed, or DRAM (at least 4x the L2)
    "speedup_vs_eager", "speedup_vs_compile",
    "peak_bytes", "saved_bytes",
    "timing", *ENVIRONMENT_COLUMNS,
)
Row = dict[str, object]


def add_speedups(rows: list[Row]) -> None:
    """Speed-up of each time and host-overhead row against eager and torch.compile on the same
    case: their median over this row's (above 1: faster than them)."""
    medians: dict[tuple, float] = {}
    key = lambda r: (r["benchmark"], r["op"], r["dtype"], r["shape"], r["mode"])
    for r in rows:
        if r["status"] == "ok" and r.get("median_us") not in (None, ""):
            medians[(*key(r), r["provider"])] = float(r["median_us"])
    for r in rows:
        if (*key(r), r["provider"]) not in medians:
            continue
        for other in ("eager", "compile"):
            theirs = medians.get((*key(r), other))
            if theirs is not None:
                r[f"speedup_vs_{other}"] = theirs / float(r["median_us"])


def write_csv(rows: Iterable[Row], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: _cell(r.get(c)) for c in COLUMNS})


def _cell(value: object) -> object:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def _geomean(values: Sequence[float]) -> float | None:
    values = [v for v in values if v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def _fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def _ok(rows: Iterable[Row], benchmark: str) -> list[Row]:
    return [r for r in rows if r["benchmark"] == benchmark and r["status"] == "ok"]


def _speedups(providers: dict[str, Row], others: Sequence[str]) -> list[str]:
    """Their median time over tritonact's, per other provider."""
    ours = providers.get("tritonact")
    return [_fmt(float(providers[o]["median_us"]) / float(ours["median_us"]), ".3g", "x")
            if ours and o in providers else "-" for o in others]


def _others(rows: Iterable[Row]) -> list[str]:
    present = {r["provider"] for r in rows}
    return [p for p in PROVIDERS[1:] if p in present]


def headline_table(rows: list[Row]) -> str:
    """Every provider on each op's goal shape: median µs each, tritonact's GB/s and % of the
    roofline, and its speed-up against each."""
    goal = {k: shape_label(s) for k, s in HEADLINE_SHAPES.items()}
    cells: dict[tuple, dict[str, Row]] = defaultdict(dict)
    for r in _ok(rows, "time"):
        if goal.get(r["kind"]) == r["shape"]:
            cells[(r["op"], r["dtype"], r["shape"], r["mode"])][r["provider"]] = r
    providers = [p for p in PROVIDERS if any(p in c for c in cells.values())]
    others = [p for p in providers if p != "tritonact"]
    body = []
    for (op, dtype, shape, mode), c in cells.items():
        ours = c.get("tritonact", {})
        body.append([op, dtype, shape, mode, ours.get("l2_regime", "-"),
                     *(_fmt(float(c[p]["median_us"]), ".4g") if p in c else "-"
                       for p in providers),
                     _fmt(ours.get("gbps"), ".3g"), _fmt(ours.get("pct_roofline"), ".3g", "%"),
                     *_speedups(c, others)])
    header = ["op", "dtype", "shape", "mode", "L2", *(f"{p} µs" for p in providers),
              "tritonact GB/s", "% roofline", *(f"vs {o}" for o in others)]
    return markdown_table(header, body, padded=False)


def bandwidth_table(rows: list[Row]) -> str:
    """Per op, dtype and mode, over the sizes whose working set is at least 4x the L2:
    tritonact at the largest (GB/s, % of roofline) and its geometric-mean speed-up against
    each other provider."""
    by_case: dict[tuple, dict[str, dict[str, Row]]] = defaultdict(lambda: defaultdict(dict))
    dram = [r for r in _ok(rows, "time") if r.get("l2_regime") == "DRAM"]
    for r in dram:
        by_case[(r["op"], r["dtype"], r["mode"])][r["shape"]][r["provider"]] = r
    others = _others(dram)
    body = []
    for (op, dtype, mode), shapes in by_case.items():
        ours = [s for s, p in shapes.items() if "tritonact" in p]
        if not ours:
            continue
        top = shapes[max(ours, key=lambda s: int(shapes[s]["tritonact"]["numel"]))]["tritonact"]
        ratios = [_geomean([float(p[o]["median_us"]) / float(p["tritonact"]["median_us"])
                            for p in shapes.values() if o in p and "tritonact" in p])
                  for o in others]
        body.append([op, dtype, mode, str(len(ours)), str(top["shape"]),
                     _fmt(top.get("gbps"), ".3g"), _fmt(top.get("pct_roofline"), ".3g", "%"),
                     *(_fmt(r, ".3g", "x") for r in ratios)])
    header = ["op", "dtype", "mode", "sizes", "largest", "tritonact GB/s", "% roofline",
              *(f"vs {o}" for o in others)]
    return markdown_table(header, body, padded=False)


def latency_table(rows: list[Row]) -> str:
    """Every size whose working set is under 4x the L2 (marked L2 or mixed): each provider's
    median µs and tritonact's speed-up against each, size by size (no mean across regimes)."""
    cells: dict[tuple, dict[str, Row]] = defaultdict(dict)
    small = [r for r in _ok(rows, "time") if r.get("l2_regime") in ("L2", "mixed")]
    for r in small:
        cells[(r["op"], r["dtype"], r["shape"], r["mode"])][r["provider"]] = r
    providers = [p for p in PROVIDERS if any(p in c for c in cells.values())]
    others = [p for p in providers if p != "tritonact"]
    body = [[op, dtype, shape, mode, next(iter(c.values()))["l2_regime"],
             *(_fmt(float(c[p]["median_us"]), ".4g") if p in c else "-" for p in providers),
             *_speedups(c, others)]
            for (op, dtype, shape, mode), c in cells.items()]
    header = ["op", "dtype", "shape", "mode", "L2", *(f"{p} µs" for p in providers),
              *(f"vs {o}" for o in others)]
    return markdown_table(header, body, padded=False)


def phase_table(phases: dict[str, PhaseRecord]) -> str:
    """Per phase: steps run of those planned, steps the budget left out, wall seconds."""
    body = [[p, f"{r.ran}/{r.planned}" if p != "host" else "-", str(len(r.left_out)),
             f"{r.seconds:.1f}"] for p in PHASES if (r := phases.get(p))]
    return markdown_table(["phase", "steps run", "left out", "seconds"], body, padded=False)


def host_table(rows: list[Row]) -> str:
    cells: dict[tuple, dict[str, Row]] = defaultdict(dict)
    for r in _ok(rows, "host_overhead"):
        cells[(r["op"], r["dtype"], r["mode"])][r["provider"]] = r
    providers = sorted({p for c in cells.values() for p in c}, key=PROVIDERS.index)
    body = [[op, dtype, mode, *(_fmt(float(c[p]["median_us"]), ".1f") if p in c else "-"
                                for p in providers)]
            for (op, dtype, mode), c in cells.items()]
    header = ["op", "dtype", "mode", *(f"{p} µs/call" for p in providers)]
    return markdown_table(header, body, padded=False)


def memory_table(rows: list[Row]) -> str:
    cells: dict[tuple, dict[str, Row]] = defaultdict(dict)
    for r in _ok(rows, "memory"):
        cells[(r["op"], r["dtype"], r["shape"])][r["provider"]] = r
    providers = sorted({p for c in cells.values() for p in c}, key=PROVIDERS.index)
    mib = lambda r, col: "-" if r.get(col) in (None, "") else f"{int(r[col]) / 2**20:.3g}"
    body = [[op, dtype, shape, *(f"{mib(c[p], 'peak_bytes')} / {mib(c[p], 'saved_bytes')}"
                                 if p in c else "-" for p in providers)]
            for (op, dtype, shape), c in cells.items()]
    header = ["op", "dtype", "shape", *(f"{p} peak / saved MiB" for p in providers)]
    return markdown_table(header, body, padded=False)


def summary(rows: list[Row], environment: dict[str, str], notes: Sequence[str],
            disclaimer: str | None, details: Sequence[str] = ()) -> str:
    roofline = next((r for r in rows if r["benchmark"] == "roofline"), None)
    skipped = sorted({f"{r['provider']}: {r['status']}" for r in rows if r["status"] != "ok"})
    parts = [f"# tritonact benchmark: {environment['device']}", ""]
    if disclaimer:
        parts += [f"**{disclaimer}**", ""]
    parts += [", ".join(f"{k} {environment[k]}" for k in ENVIRONMENT_COLUMNS[1:]) + ".", ""]
    parts += [*(f"{d}" for d in details), ""] if details else []
    if roofline:
        parts += [f"Memory roofline, measured in this run: {float(roofline['gbps']):.1f} GB/s "
                  f"(a copy of {int(roofline['bytes_moved']) // 2**21} MiB within the device, "
                  f"bytes read plus written; {roofline['timing']}).", ""]
    parts += ["## Headline", "",
              "Every provider on each op's goal shape: median device time (µs), tritonact's "
              "GB/s (the fewest bytes the op must move / median time) and % of the copy "
              "roofline, and its speed-up: their median time over tritonact's (above 1x: "
              "tritonact is faster).", "", headline_table(rows), "",
              "## Bandwidth", "",
              f"Sizes whose working set (the bytes a call reads and writes) is at least "
              f"{DRAM_FACTOR}x the L2 cache: tritonact at the largest, and its speed-up against "
              f"each provider, the geometric mean over these sizes.", "", bandwidth_table(rows),
              "",
              "## Latency", "",
              f"Sizes under {DRAM_FACTOR}x the L2 (L2: the working set fits in it; mixed: "
              f"in between), size by size: median device time (µs) of each provider and "
              f"tritonact's speed-up. Launch latency and the L2 shape these; they are not "
              f"bandwidth figures.", "", latency_table(rows), "",
              "## Host overhead", "",
              "CPU time per call on 2^10 elements, calls issued without synchronizing.", "",
              host_table(rows), "",
              "## Memory", "",
              "Peak bytes of one forward+backward above its inputs (CUDA only), and the bytes "
              "saved for backward.", "", memory_table(rows), ""]
    if skipped or notes:
        parts += ["## Not measured", "", *(f"- {s}" for s in [*notes, *skipped]), ""]
    return "\n".join(parts)


def plots(rows: list[Row], out: Path, title: str) -> list[Path] | None:
    """GB/s against size per op (a panel per mode and dtype, the roofline dashed) and the
    speed-up bars; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    roofline = next((float(r["gbps"]) for r in rows if r["benchmark"] == "roofline"), None)
    timed = _ok(rows, "time")
    written = []
    for op in dict.fromkeys(r["op"] for r in timed):
        mine = [r for r in timed if r["op"] == op]
        dtypes = list(dict.fromkeys(r["dtype"] for r in mine))
        modes = [m for m in MODES if any(r["mode"] == m for r in mine)]
        fig, axes = plt.subplots(len(modes), len(dtypes), squeeze=False, sharey=True,
                                 figsize=(max(7.0, 4.5 * len(dtypes) + 1), 3.2 * len(modes) + 0.8))
        for (i, mode), (j, dtype) in ((a, b) for a in enumerate(modes) for b in enumerate(dtypes)):
            ax = axes[i][j]
            panel = [r for r in mine if r["mode"] == mode and r["dtype"] == dtype]
            shapes = list(dict.fromkeys(r["shape"] for r in panel))
            for provider in PROVIDERS:
                points = {r["shape"]: float(r["gbps"]) for r in panel if r["provider"] == provider}
                if points:
                    xs = [k for k, s in enumerate(shapes) if s in points]
                    ax.plot(xs, [points[shapes[k]] for k in xs], marker="o", label=provider)
            if roofline:
                ax.axhline(roofline, color="gray", linestyle="--", label="copy roofline")
            regime = {r["shape"]: r.get("l2_regime") for r in panel}
            ticks = [s if regime.get(s) in ("DRAM", None, "") else f"{s} ({regime[s]})"
                     for s in shapes]
            ax.set_xticks(range(len(shapes)), ticks, rotation=45, ha="right", fontsize=7)
            ax.set_title(f"{mode}, {dtype}", fontsize=9)
            ax.set_xlabel("input shape" if i == len(modes) - 1 else "", fontsize=8)
            _log_y(ax)
            ax.set_ylabel("GB/s" if j == 0 else "")
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"{op}: GB/s (fewest bytes moved / median time)\n{title}", fontsize=9)
        fig.tight_layout()
        written.append(_save(fig, out / f"gbps_{_safe(op)}.png", plt))
    if any(r["provider"] == "tritonact" and r.get("l2_regime") == "DRAM" for r in timed):
        written.append(_speedup_plot(rows, out / "speedup.png", title, plt))
    return written


def _speedup_plot(rows: list[Row], path: Path, title: str, plt) -> Path:
    """Bars per op: tritonact's geometric-mean speed-up against eager and torch.compile over
the sizes whose working set is at least 4x the L2 (bandwidth figures only)."""
    timed = [r for r in _ok(rows, "time")
             if r["provider"] == "tritonact" and r.get("l2_regime") == "DRAM"]
    ops = list(dict.fromkeys(r["op"] for r in timed))
    modes = [m for m in MODES if any(r["mode"] == m for r in timed)]
    fig, axes = plt.subplots(len(modes), 1, squeeze=False,
                             figsize=(max(7.0, 0.5 * len(ops) + 2), 2.8 * len(modes) + 0.8))
    for i, mode in enumerate(modes):
        ax = axes[i][0]
        for k, other in enumerate(("eager", "compile")):
            values = [_geomean([float(r[f"speedup_vs_{other}"]) for r in timed
                                if r["op"] == op and r["mode"] == mode
                                and r.get(f"speedup_vs_{other}") not in (None, "")])
                      for op in ops]
            if all(v is None for v in values):
                continue  # that provider was not measured: no bars, rather than bars of 0
            values = [math.nan if v is None else v for v in values]
            ax.bar([x + 0.4 * k - 0.2 for x in range(len(ops))], values, width=0.4,
                   label=f"vs {other}")
        ax.axhline(1.0, color="gray", linewidth=0.8)
        _log_y(ax)
        ax.set_xticks(range(len(ops)), ops, rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("speed-up (x)")
        ax.set_title(f"{mode}: tritonact's speed-up, geometric mean over sizes >= "
                     f"{DRAM_FACTOR}x L2 and dtypes",
                     fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path, plt)


def _log_y(ax) -> None:
    """A log y axis with plain decade labels and no minor ticks (cheap to draw)."""
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log")
    ax.minorticks_off()
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


def _save(fig, path: Path, plt) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")
