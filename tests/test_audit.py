"""The kernel audit's gate: every kernel the registry launches, compiled for sm_90 on this CPU,
moves 16-byte vectors on its contiguous path, never spills, holds no fp64 instruction unless its
dtype is fp64, and stays within the registers of full occupancy, except where the kernel's own
module states why not (``AUDIT_EXCEPTIONS`` beside the kernels)."""

import json
import os
import subprocess
import sys

from tritonact.autograd.elementwise import MATH
from tritonact.autograd.gated import GATED_BACKWARD
from tritonact.autograd.prelu import PRELU_MATH
from tritonact.autograd.rowwise import ROW_MATH
from tritonact.kernels.elementwise import AUDIT_EXCEPTIONS
from tritonact.registry import RANDOMIZED


def test_every_kernel_passes_the_sm90_gate(tmp_path):
    report_file = tmp_path / "audit.json"
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_CACHE_DIR"] = str(tmp_path / "triton-cache")  # a real compile, not a cache hit
    run = subprocess.run([sys.executable, "-m", "tritonact", "audit", "--arch", "90", "--json",
                          str(report_file)], env=env, capture_output=True, text=True)
    reports = json.loads(report_file.read_text())
    audited = {(r["case"]["kernel"], r["case"]["op"], r["case"]["dtype"], r["case"]["wide"])
               for r in reports}
    for key in MATH:
        for dtype in ("fp32", "fp16", "bf16"):
            assert ("forward", key, dtype, False) in audited
            assert ("backward", key, dtype, False) in audited
        for kernel in ("forward", "backward"):
            assert (kernel, key, "fp32", True) in audited  # the int64 index path
        for kernel in ("forward_strided", "backward_strided", "second"):
            assert (kernel, key, "fp32", False) in audited
    for key in GATED_BACKWARD:
        for dtype in ("fp32", "fp16", "bf16"):
            for kernel in ("gated.forward", "gated.backward"):
                assert (kernel, key, dtype, False) in audited
    for key in ROW_MATH:
        for dtype in ("fp32", "fp16", "bf16"):
            for kernel in ("forward", "backward", "forward_long", "backward_long"):
                assert (f"rowwise.{kernel}", key, dtype, False) in audited
    for module, keys in (("prelu", PRELU_MATH), ("randomized", [s.name for s in RANDOMIZED])):
        for key in keys:
            for dtype in ("fp32", "fp16", "bf16"):
                for kernel in ("forward", "backward"):
                    assert (f"{module}.{kernel}", key, dtype, False) in audited
    failures = [f"{r['case']}: {r['violations']}" for r in reports if r["violations"]]
    assert not failures, "\n".join(failures)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    flat = [r for r in reports if not r["case"]["kernel"].endswith("_strided")]  # and rowwise
    assert all(r["widest_load"] == 128 and r["widest_store"] == 128 for r in flat)
    assert all(r["local"] == 0 and r["stack"] == 0 for r in reports)
    assert all(not r["fp64"] for r in reports)  # none of these is an fp64 kernel


def test_the_gate_catches_what_it_should():
    """A report with each fault fails the gate; a stated exception waives only its own check."""
    from tritonact.audit import Case, Report

    clean = dict(registers=20, widest_load=128, widest_store=128)
    assert Report(Case("forward", "relu", "fp32", False, 90), **clean).violations() == []
    faults = [dict(registers=40), dict(local=16), dict(widest_load=32), dict(widest_store=64),
              dict(fp64=["DMUL"])]
    for fault in faults:
        report = Report(Case("forward", "relu", "bf16", False, 90), **{**clean, **fault})
        assert len(report.violations()) == 1, fault
    strided = Report(Case("forward_strided", "relu", "fp32", False, 90), **{**clean,
                     "widest_load": 32, "widest_store": 32, "local": 8})
    assert "vector_width" in AUDIT_EXCEPTIONS["forward_strided"]
    assert strided.violations() == ["local 8 B, stack 0 B"]
    fp64 = Report(Case("forward", "relu", "fp64", False, 90), **{**clean, "fp64": ["DADD"]})
    assert fp64.violations() == []


def test_each_arch_has_its_register_ceiling():
    """sm_90: 32 (full occupancy); sm_80: 40 (75%, stated in ``REGISTER_CEILINGS``)."""
    from tritonact.audit import REGISTER_CEILINGS, Case, Report

    assert REGISTER_CEILINGS == {90: 32, 80: 40}
    clean = dict(widest_load=128, widest_store=128)
    verdict = lambda arch, registers: Report(Case("forward", "selu", "bf16", False, arch),
                                             registers=registers, **clean).violations()
    assert verdict(90, 32) == [] and verdict(90, 33) == ["33 registers > 32 (sm_90's ceiling)"]
    assert verdict(80, 40) == [] and verdict(80, 41) == ["41 registers > 40 (sm_80's ceiling)"]


def test_the_summary_gives_each_failure_its_reason():
    from tritonact.audit import Case, Report, summary

    clean = dict(registers=20, widest_load=128, widest_store=128)
    text = summary([Report(Case("forward", "mish", "fp16", False, 80), **clean),
                    Report(Case("backward", "mish", "fp16", False, 80), **{**clean, "local": 8})])
    assert "| mish | sm_80 |" in text and "| FAIL |" in text
    assert text.splitlines()[-1] == "FAIL backward mish fp16 i32 sm_80: local 8 B, stack 0 B"


def test_the_sm80_kernels_with_most_registers_pass_their_gate(tmp_path):
    """selu's bf16 forward and mish's fp16 backward, which ptxas gives 39 and 40 registers on
    sm_80 (triton 3.8), are within sm_80's ceiling: the default ``python -m tritonact audit``
    (both arches) passes."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_CACHE_DIR"] = str(tmp_path / "triton-cache")  # a real compile, not a cache hit
    run = subprocess.run([sys.executable, "-m", "tritonact", "audit", "--arch", "80", "--ops",
                          "selu", "mish", "--summary"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "| selu | sm_80 |" in run.stdout and "| mish | sm_80 |" in run.stdout
    assert "0 failed" in run.stdout
