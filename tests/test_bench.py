"""The benchmark suite's harness: the case list, the bytes helper, ``bench --smoke`` end to end
and the ``pytest bench/`` front end. No timing is judged: there is no GPU here."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from tritonact.autograd.launch import INTERPRET
from tritonact.bench import cases as bench_cases
from tritonact.bench.cases import LLM_HIDDEN, MODES, Case, Op, cases, min_bytes, select_ops
from tritonact.bench.measure import Timer, timed_call
from tritonact.bench.providers import Workload
from tritonact.bench.report import COLUMNS, ENVIRONMENT_COLUMNS, add_speedups
from tritonact.registry import ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, ROWWISE

ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]


def test_full_case_list_has_every_registry_op_dtype_mode_and_the_issue_sizes():
    full = cases("full")
    assert {(c.op.kind, c.op.name) for c in full} == {
        *(("elementwise", s.name) for s in ELEMENTWISE), *(("rowwise", s.name) for s in ROWWISE),
        *(("gated", s.name) for s in GATED), *(("learnable", s.name) for s in LEARNABLE),
        *(("randomized", s.name) for s in RANDOMIZED)}
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
    new_op = SimpleNamespace(name="new_op", param_sets=lambda: [{"slope": 0.5}], defaults={})
    monkeypatch.setattr(bench_cases, "ELEMENTWISE", (*ELEMENTWISE, new_op))
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
    relu = Op("elementwise", "relu")
    softmax = Op("rowwise", "softmax")
    assert Case(relu, "float32", (1024,), mode).bytes_moved == elements * 1024 * 4
    assert Case(softmax, "bfloat16", (4096, 256), mode).bytes_moved == elements * 4096 * 256 * 2


@pytest.mark.parametrize(("mode", "halves"), [("forward", 3), ("backward", 5),
                                              ("forward+backward", 8)])
def test_min_bytes_gated(mode, halves):
    """tokens x 2d in, tokens x d out. forward: read gate and up, write the output; backward:
    read dy, gate and up, write both gradients."""
    case = Case(Op("gated", "swiglu"), "bfloat16", (16, 2 * 4096), mode)
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
    median, p20, p80 = Timer(torch.device("cpu"), cpu_reps=4)(timed_call(work, "backward"))
    assert 0 < p20 <= median <= p80


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
                               ("swiglu", "liger"), ("softmax", "liger")}  # Liger's ops
    assert left_out[("relu", "compile")].startswith("skipped: left out of --smoke")
    for r in timed:
        median, gbps = float(r["median_us"]), float(r["gbps"])
        assert float(r["p20_us"]) <= median <= float(r["p80_us"])
        assert math.isclose(gbps, int(r["bytes_moved"]) / (median * 1e3), rel_tol=1e-3)
        assert math.isclose(float(r["pct_roofline"]), 100 * gbps / roofline_gbps, rel_tol=1e-3)
        assert r["provider"] == "eager" or float(r["speedup_vs_eager"]) > 0
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


def _check_summary_and_plots(smoke: Path) -> None:
    text = (smoke / "summary.md").read_text()
    assert "not performance figures" in text
    assert "compile: skipped: left out of --smoke" in text
    assert "liger: skipped: Liger-Kernel runs on CUDA" in text
    assert "| swiglu | float32 | forward+backward |" in text
    pngs = sorted(p.name for p in smoke.glob("*.png"))
    assert pngs == ["gbps_relu.png", "gbps_softmax.png", "gbps_swiglu.png", "speedup.png"]
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
