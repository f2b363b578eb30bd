"""The benchmark suite's harness: the case list, the bytes helper, ``bench --smoke`` end to end
and the ``pytest bench/`` front end. No timing is judged: there is no GPU here."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from tritonact import registry
from tritonact.autograd.launch import INTERPRET
from tritonact.bench import cases as bench_cases
from tritonact.bench.cases import (
    DTYPES,
    HEADLINE_SHAPES,
    MODES,
    PROVIDERS,
    Case,
    Op,
    cases,
    min_bytes,
    registry_ops,
    select_ops,
)
from tritonact.bench.measure import (
    ESTIMATE_ITERATIONS,
    MAX_REPS,
    MIN_REPS,
    Repetitions,
    Timer,
    bounded_samples,
    host_time,
    repetitions,
    timed_call,
)
from tritonact.bench.plan import (
    COMPILE,
    DEFAULT_L2_BYTES,
    PHASES,
    Costs,
    Step,
    cache_regime,
    fits,
    phase_of,
    plan,
    totals,
    working_set,
)
from tritonact.bench.providers import Unavailable, Workload, applies, build, liger_missing
from tritonact.bench.report import (
    COLUMNS,
    ENVIRONMENT_COLUMNS,
    add_speedups,
    bandwidth_table,
    headline_table,
    latency_table,
    plots,
)
from tritonact.families.base import LLM_HIDDEN
from tritonact.registry import (
    BIASED,
    ELEMENTWISE,
    GATED,
    LEARNABLE,
    PARAMETRIC,
    RANDOMIZED,
    ROWWISE,
    Param,
)


def op_named(label: str) -> Op:
    """The registry's benchmark op of this label."""
    return next(op for op in registry_ops() if op.label == label)

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def test_full_case_list_has_every_registry_op_dtype_mode_and_the_issue_sizes():
    full = cases("full")
    assert {(c.op.kind, c.op.name) for c in full} == {
        *(("elementwise", s.name) for s in ELEMENTWISE), *(("rowwise", s.name) for s in ROWWISE),
        *(("gated", s.name) for s in GATED), *(("learnable", s.name) for s in LEARNABLE),
        *(("randomized", s.name) for s in RANDOMIZED),
        *(("parametric", s.name) for s in PARAMETRIC), *(("biased", s.name) for s in BIASED)}
    assert {c.dtype for c in full} == {"float32", "bfloat16", "float16"}
    assert {c.mode for c in full} == set(MODES)
    shapes = lambda kind: {c.shape for c in full if c.op.kind == kind}
    assert shapes("elementwise") == {(2**e,) for e in range(10, 29)}
    rows = shapes("rowwise")
    assert {n for m, n in rows if m == 4096} >= {256, 4096, 12672}
    assert min(n for m, n in rows if m == 4096) == 256 and max(n for _, n in rows) == 2**20
    gated = shapes("gated")
    assert {t for t, _ in gated} == {1, 16, 128, 1024, 4096, 16384}
    assert {n // 2 for _, n in gated} == set(LLM_HIDDEN) == {4096, 11008, 14336}
    geglu = {c.op.label for c in full if c.op.name == "geglu"}
    assert geglu == {"geglu", "geglu[approximate=tanh]"}


def test_an_op_added_to_the_registry_is_benchmarked_without_an_edit(monkeypatch):
    new_op = dataclasses.replace(next(s for s in ELEMENTWISE if s.name == "leaky_relu"),
                                 name="new_op", params=(Param("slope"),),
                                 test_params=({"slope": 0.5},), inplace_name=None)
    monkeypatch.setattr(registry, "SPECS", [*registry.SPECS, new_op])
    added = [c for c in cases("full", ops=["new_op"])]
    assert len(added) == 19 * 3 * 3 and added[0].op.kwargs == {"slope": 0.5}
    assert added[0].label == "new_op[slope=0.5]-float32-2^10-forward"


def test_quick_and_smoke_subsets_exist_and_unknown_ops_are_refused():
    for scale in ("quick", "smoke"):
        wanted = set(bench_cases.SUBSETS[scale])
        assert {op.label for op in select_ops(scale)} == wanted
    with pytest.raises(ValueError, match="unknown ops: nope"):
        cases("quick", ops=["relu", "nope"])


@pytest.mark.parametrize(("mode", "elements"), [("forward", 2), ("backward", 3),
                                                ("forward+backward", 5)])
def test_min_bytes_elementwise_and_rowwise(mode, elements):
    """forward: read x, write y; backward: read dy and the saved tensor, write dx."""
    assert min_bytes(mode, 1000, 1000, 2) == elements * 1000 * 2
    relu, softmax = op_named("relu"), op_named("softmax")
    assert Case(relu, "float32", (1024,), mode).bytes_moved == elements * 1024 * 4
    assert Case(softmax, "bfloat16", (4096, 256), mode).bytes_moved == elements * 4096 * 256 * 2


@pytest.mark.parametrize(("mode", "halves"), [("forward", 3), ("backward", 5),
                                              ("forward+backward", 8)])
def test_min_bytes_gated(mode, halves):
    """tokens x 2d in, tokens x d out. forward: read gate and up, write the output; backward:
    read dy, gate and up, write both gradients."""
    case = Case(op_named("swiglu"), "bfloat16", (16, 2 * 4096), mode)
    assert case.bytes_moved == halves * 16 * 4096 * 2


def test_speedups_are_the_other_providers_median_over_ours():
    row = lambda provider, median, status="ok": {
        "benchmark": "time", "op": "relu", "dtype": "float32", "shape": "2^10",
        "mode": "forward", "provider": provider, "status": status, "median_us": median}
    rows = [row("tritonact", 2.0), row("eager", 5.0), row("compile", 3.0),
            row("liger", None, "skipped: no")]
    add_speedups(rows)
    assert rows[0]["speedup_vs_eager"] == 2.5 and rows[0]["speedup_vs_compile"] == 1.5
    assert rows[1]["speedup_vs_eager"] == 1.0 and "speedup_vs_eager" not in rows[3]


class _OnceBackward(torch.autograd.Function):
    """A backward that may run once per graph, as a compiled one with donated buffers."""

    @staticmethod
    def forward(ctx, x):
        ctx.used = False
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        assert not ctx.used, "backward ran twice on one graph"
        ctx.used = True
        return grad * 2


def test_backward_mode_times_each_call_on_a_fresh_graph():
    x = torch.randn(8, requires_grad=True)
    work = Workload((x,), lambda: _OnceBackward.apply(x))
    measured = Timer(torch.device("cpu"), cpu_reps=4)(timed_call(work, "backward"))
    assert 0 < measured.p20_us <= measured.median_us <= measured.p80_us


def test_bench_smoke_end_to_end(tmp_path):
    """``python -m tritonact bench --smoke`` (one run, checked three ways: xdist would run a
    shared fixture once per worker)."""
    out = _run_smoke(tmp_path)
    _check_csv(out)
    _check_saved_bytes(out)
    _check_summary_and_plots(out)


def _run_smoke(out: Path) -> Path:
    """In this process under the interpreter; where the tests run on CUDA, in a fresh process
    that must switch the interpreter on by itself."""
    if INTERPRET:
        from tritonact.__main__ import main

        assert main(["bench", "--smoke", "--out", str(out)]) == 0
    else:
        env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
        done = subprocess.run([sys.executable, "-m", "tritonact", "bench", "--smoke", "--out",
                               str(out)], env={**env, "CUDA_VISIBLE_DEVICES": ""},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return out


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def _check_csv(smoke: Path) -> None:
    header, rows = _csv(smoke / "results.csv")
    assert tuple(header) == COLUMNS
    for r in rows:
        assert all(r[c] for c in ENVIRONMENT_COLUMNS), r
        assert r["device"] == "cpu (Triton interpreter)"
    (roofline,) = [r for r in rows if r["benchmark"] == "roofline"]
    roofline_gbps = float(roofline["gbps"])
    timed = [r for r in rows if r["benchmark"] == "time" and r["status"] == "ok"]
    expected = {(op, mode, p) for op in bench_cases.SUBSETS["smoke"] for mode in MODES
                for p in ("tritonact", "eager")}
    assert {(r["op"], r["mode"], r["provider"]) for r in timed} == expected
    left_out = {(r["op"], r["provider"]): r["status"] for r in rows if r["status"] != "ok"}
    assert left_out.keys() == {*((op, "compile") for op in bench_cases.SUBSETS["smoke"]),
                               ("swiglu", "liger"), ("softmax", "liger"),
                               ("swiglu", "liger-fused")}  # Liger's ops
    assert left_out[("relu", "compile")].startswith("skipped: left out of --smoke")
    for r in timed:
        median, gbps = float(r["median_us"]), float(r["gbps"])
        assert float(r["p20_us"]) <= median <= float(r["p80_us"])
        assert math.isclose(gbps, int(r["bytes_moved"]) / (median * 1e3), rel_tol=1e-3)
        assert math.isclose(float(r["pct_roofline"]), 100 * gbps / roofline_gbps, rel_tol=1e-3)
        assert r["provider"] == "eager" or float(r["speedup_vs_eager"]) > 0
        assert float(r["host_us"]) > 0 and r["l2_regime"] == "L2"  # tiny: 50 MiB assumed
    host = {(r["op"], r["mode"], r["provider"]) for r in rows
            if r["benchmark"] == "host_overhead" and r["status"] == "ok"}
    assert host == {(op, mode, p) for op in bench_cases.SUBSETS["smoke"]
                    for mode in ("forward", "forward+backward") for p in ("tritonact", "eager")}


def _check_saved_bytes(smoke: Path) -> None:
    _, rows = _csv(smoke / "results.csv")
    saved = {(r["op"], r["provider"]): int(r["saved_bytes"]) for r in rows
             if r["benchmark"] == "memory"}
    n = 4 * 1024 * 4  # the 4 x 1024 fp32 memory shape
    assert saved[("swiglu", "tritonact")] == n  # the input alone
    assert saved[("swiglu", "eager")] == n + n // 2  # the input's halves and silu(gate)
    assert saved[("relu", "tritonact")] == saved[("relu", "eager")] == n  # the output
    # the input and the bias; the composite keeps x + bias and silu(gate)
    assert saved[("bias_swiglu", "tritonact")] == n + 1024 * 4
    assert saved[("bias_swiglu", "eager")] == n + n // 2


def _check_summary_and_plots(smoke: Path) -> None:
    text = (smoke / "summary.md").read_text()
    assert "not performance figures" in text
    assert "compile: skipped: left out of --smoke" in text
    assert "liger: skipped: Liger-Kernel runs on CUDA" in text
    assert "liger-fused: skipped: Liger-Kernel runs on CUDA" in text
    assert "| swiglu | float32 | 4x1024 | forward+backward | L2 |" in text  # the latency table
    assert "| latency | 9/9 | 0 |" in text  # the phases: every step run, none left out
    pngs = sorted(p.name for p in smoke.glob("*.png"))
    # no speed-up bars: they are drawn from bandwidth sizes only, and the smoke sizes fit the L2
    assert pngs == ["gbps_bias_swiglu.png", "gbps_relu.png", "gbps_snake.png", "gbps_softmax.png",
                    "gbps_swiglu.png"]
    assert all((smoke / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_a_run_that_measures_no_requested_provider_says_so_and_fails(tmp_path, capsys,
                                                                      monkeypatch):
    """``--providers compile`` under ``--smoke`` (which leaves compile out): exit status 1, the
    reason on the console and in the CSV; a missing matplotlib is said on the console too."""
    from tritonact.__main__ import main
    from tritonact.bench import run

    monkeypatch.setattr(run, "plots", lambda *args: None)  # as without matplotlib
    assert main(["bench", "--smoke", "--ops", "relu", "--modes", "forward", "--providers",
                 "compile", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "measured nothing: no requested provider ran (compile: skipped: left out" in err
    assert "matplotlib is not installed" in err
    _, rows = _csv(tmp_path / "results.csv")
    assert [(r["op"], r["provider"], r["status"][:29]) for r in rows if r["benchmark"] == "time"] \
        == [("relu", "compile", "skipped: left out of --smoke:")]


def test_bench_takes_every_public_op_name_and_labels():
    from tritonact.__main__ import _ops

    assert _ops(["gelu_mul[approximate=tanh]", "silu_mul", "swiglu"], labels=True) == [
        "geglu[approximate=tanh]", "swiglu"]


def test_pytest_front_end_groups_providers_by_case(pytester, monkeypatch):
    import pytest_benchmark  # noqa: F401 - a test dependency: its absence fails, never skips
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # else pytest-benchmark disables
    json_path = pytester.path / "out.json"
    result = pytester.runpytest_inprocess(
        str(ROOT / "bench"), "-p", "no:cacheprovider", "--bench-scale", "smoke",
        "--bench-ops", "relu", "--bench-modes", "forward", "--bench-providers", "tritonact",
        "eager", "--bench-rounds", "2", f"--benchmark-json={json_path}")
    result.assert_outcomes(passed=4)
    groups = {}
    for b in json.loads(json_path.read_text())["benchmarks"]:
        groups.setdefault(b["group"], set()).add(b["extra_info"]["provider"])
        assert b["extra_info"]["bytes_moved"] > 0 and b["extra_info"]["tritonact_commit"]
    assert groups == {"relu-float32-2^10-forward": {"tritonact", "eager"},
                      "relu-float32-2^12-forward": {"tritonact", "eager"}}


# --- The run plan: phase order, budget, L2 regimes, warm-up bound, Liger, CI's triton 3.6 ---

L2 = DEFAULT_L2_BYTES


def _quick_plan() -> list[Step]:
    return plan(cases("quick"), PROVIDERS, L2, applies)


def test_the_plan_runs_the_headline_first_and_small_compiles_last():
    steps = _quick_plan()
    order = [PHASES.index(s.phase) for s in steps]
    assert order == sorted(order)
    headline = [s for s in steps if s.phase == "headline"]
    assert {(s.op.label, s.shape) for s in headline} == {
        (op.label, HEADLINE_SHAPES[op.kind]) for op in select_ops("quick")}
    for s in headline:  # every provider the op has, in every mode
        assert s.providers == tuple(p for p in PROVIDERS if applies(p, s.op))
        assert s.modes == MODES
    swiglu = next(s for s in headline if s.op.name == "swiglu")
    assert swiglu.providers == ("tritonact", "eager", "compile", "liger", "liger-fused")
    assert [(s.op.label, s.shape) for s in steps if s.phase == "bandwidth"] == [
        ("softmax", (64, 2**20))]
    latency = [s for s in steps if s.phase == "latency"]
    assert latency and all(COMPILE not in s.providers for s in latency)
    late = [s for s in steps if s.phase == "latency-compile"]
    assert all(s.providers == (COMPILE,) for s in late)
    assert {(s.op, s.shape) for s in late} == {(s.op, s.shape) for s in latency}
    # nothing lost or doubled: every (case, provider) pair is timed exactly once
    pairs = [(s.op, s.dtype, s.shape, m, p) for s in steps for m in s.modes for p in s.providers]
    assert sorted(map(str, pairs)) == sorted(
        str((c.op, c.dtype, c.shape, c.mode, p)) for c in cases("quick") for p in PROVIDERS
        if applies(p, c.op))
    assert sum(s.compiles for s in steps) == len({(c.op, c.shape) for c in cases("quick")})


def test_the_budget_starts_only_steps_that_fit_and_estimates_follow_measurements():
    relu = op_named("relu")
    small = Step("latency", relu, "bfloat16", (1024,), MODES, ("tritonact", "eager"))
    compiled = Step("latency-compile", relu, "bfloat16", (1024,), MODES, (COMPILE,))
    costs = Costs(timing_s=0.5, compile_s=20.0)
    assert costs.estimate(small) == 3.0 and costs.estimate(compiled) == 21.5
    assert fits(compiled, elapsed_s=0.0, budget_s=None, costs=costs)
    assert not fits(compiled, elapsed_s=10.0, budget_s=30.0, costs=costs)
    assert fits(small, elapsed_s=10.0, budget_s=30.0, costs=costs)  # a cheaper later step runs
    costs.observe_compile(2.0)
    costs.observe_compile(4.0)
    costs.observe_timing(0.1)
    assert costs.compile_s == 3.0 and costs.timing_s == 0.1
    assert fits(compiled, elapsed_s=10.0, budget_s=30.0, costs=costs)
    phases = totals([small, compiled], costs)
    assert phases == {"latency": (1, 6, 0, pytest.approx(0.6)),
                      "latency-compile": (1, 3, 1, pytest.approx(3.3))}


def test_sizes_are_classified_by_working_set_against_the_l2():
    assert cache_regime(L2, L2) == "L2"
    assert cache_regime(L2 + 1, L2) == "mixed"
    assert cache_regime(4 * L2 - 1, L2) == "mixed"
    assert cache_regime(4 * L2, L2) == "DRAM"
    # the goal shapes are bandwidth figures in every mode and dtype; small sizes are not
    for kind, shape in HEADLINE_SHAPES.items():
        op = next(op for op in registry_ops() if op.kind == kind)
        for dtype in DTYPES:
            for mode in MODES:
                assert cache_regime(working_set(Case(op, dtype, shape, mode)), L2) == "DRAM"
    relu = op_named("relu")
    assert cache_regime(working_set(Case(relu, "bfloat16", (2**22,), "forward")), L2) == "L2"
    assert phase_of(relu, "bfloat16", (2**22,), L2) == "latency"


def test_warmup_and_repetitions_are_bounded_by_wall_time_flush_included():
    """A 5 µs call behind a 1 ms flush: do_bench's estimate of the call alone would ask for
    1000 + 1000 iterations (2 s); bounded by wall time, 20 + 40 ms is about 60 iterations."""
    clock = SimpleNamespace(now=0.0, iterations=0)

    def iteration():
        clock.iterations += 1
        clock.now += 1.005e-3  # the flush and the call, on the wall clock
        return lambda: 0.005  # the call's event time, ms

    samples = bounded_samples(iteration, lambda: None, warmup_ms=20, rep_ms=40,
                              clock=lambda: clock.now)
    assert samples == [0.005] * 39
    assert clock.iterations == ESTIMATE_ITERATIONS + 19 + 39
    assert repetitions(1e-4, 20, 40) == Repetitions(MAX_REPS, MAX_REPS)  # capped
    assert repetitions(500.0, 20, 40) == Repetitions(0, MIN_REPS)  # slow calls: a few samples


def test_host_time_is_reported_beside_device_time():
    x = torch.randn(8, requires_grad=True)
    work = Workload((x,), lambda: _OnceBackward.apply(x))
    measured = Timer(torch.device("cpu"), cpu_reps=3)(timed_call(work, "forward+backward"))
    assert measured.host_us > 0 and measured.p20_us <= measured.median_us <= measured.p80_us
    assert host_time(timed_call(work, "backward"), lambda: None, samples=3) > 0


def test_liger_is_tested_by_importing_it_and_its_limits_are_reasons(monkeypatch):
    monkeypatch.setitem(sys.modules, "liger_kernel.ops", None)  # installed but not importable
    assert liger_missing().startswith("liger-kernel not importable (ModuleNotFoundError")
    swiglu, softmax = (next(op for op in registry_ops() if op.label == name)
                       for name in ("swiglu", "softmax"))
    assert applies("liger-fused", swiglu) and not applies("liger-fused", softmax)
    with pytest.raises(Unavailable, match="refuses rows over 65536"):
        build("liger", softmax, torch.randn(2, 65537))
    with pytest.raises(Unavailable, match="CUDA only"):
        build("liger-fused", swiglu, torch.randn(2, 8))


def _time_row(provider, shape, regime, median, mode="forward"):
    return {"benchmark": "time", "op": "relu", "kind": "elementwise", "dtype": "bfloat16",
            "shape": shape, "numel": 2**28 if shape == "2^28" else 1024, "mode": mode,
            "provider": provider, "status": "ok", "median_us": median, "gbps": 1.0,
            "pct_roofline": 50.0, "l2_regime": regime}


def test_summary_keeps_bandwidth_and_latency_figures_apart(tmp_path):
    rows = [_time_row("tritonact", "2^28", "DRAM", 100.0), _time_row("eager", "2^28", "DRAM",
                                                                      200.0),
            _time_row("tritonact", "2^10", "L2", 4.0), _time_row("eager", "2^10", "L2", 2.0)]
    add_speedups(rows)
    headline = headline_table(rows)
    assert "| relu | bfloat16 | 2^28 | forward | DRAM | 100 | 200 |" in headline
    assert "2^10" not in headline
    bandwidth = bandwidth_table(rows)
    assert "| relu | bfloat16 | forward | 1 | 2^28 |" in bandwidth and "| 2x |" in bandwidth
    latency = latency_table(rows)
    assert "| relu | bfloat16 | 2^10 | forward | L2 | 4 | 2 | 0.5x |" in latency
    assert "2^28" not in latency
    pngs = plots(rows, tmp_path, "test")
    assert sorted(p.name for p in pngs) == ["gbps_relu.png", "speedup.png"]


def test_plan_flag_prints_the_phases_without_a_gpu(capsys):
    from tritonact.__main__ import main

    assert main(["bench", "--quick", "--plan"]) == 0
    printed = capsys.readouterr().out
    for phase in ("headline", "bandwidth", "latency", "latency-compile"):
        assert phase in printed
    assert "per torch.compile build" in printed


def test_ci_also_runs_the_gpu_machines_triton():
    """The GPU machine runs triton 3.6: CI audits every kernel with it and runs the suite
    under its interpreter, in a venv of its own."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "triton==3.6.0" in ci
    block = ci[ci.index("triton==3.6.0"):]
    assert "-m tritonact audit" in block and "-m pytest" in block
