"""The kernel audit's gate: every kernel the registry launches, compiled for sm_90 on this CPU,
moves 16-byte vectors on its contiguous path, never spills, holds no fp64 instruction unless its
dtype is fp64, stays within the registers of full occupancy and within the H200's issue ceiling
(the gated and one-pass 16-bit row-wise kernels within 0.8 of it), except where the kernel's own
module states why not (``AUDIT_EXCEPTIONS`` beside the kernels). The default run audits the hot
path (``--hot``: each kernel's forward and backward per dtype); ``--exhaustive`` and CI's
``.ci/run`` (a step of its own) audit every kernel."""

import json
import os
import re
import subprocess
import sys

from tritonact.core.audit_case import H200
from tritonact.families.rowwise import AUDIT_SHAPES
from tritonact.kernels.elementwise import AUDIT_EXCEPTIONS
from tritonact.kernels.rowwise import AUDIT_EXCEPTIONS as ROWWISE_EXCEPTIONS
from tritonact.registry import (
    BIASED,
    ELEMENTWISE,
    GATED,
    LEARNABLE,
    PARAMETRIC,
    RANDOMIZED,
    ROWWISE,
)


def test_every_kernel_passes_the_sm90_gate(tmp_path, exhaustive):
    report_file = tmp_path / "audit.json"
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_CACHE_DIR"] = str(tmp_path / "triton-cache")  # a real compile, not a cache hit
    # the default run audits the hot path (CI's .ci/run audits every kernel as its own step);
    # --exhaustive adds the elementwise ops' int64, strided and double-backward variants
    hot = [] if exhaustive else ["--hot"]
    run = subprocess.run([sys.executable, "-m", "tritonact", "audit", "--arch", "90", "--json",
                          str(report_file), *hot], env=env, capture_output=True, text=True)
    reports = json.loads(report_file.read_text())
    audited = {(r["case"]["kernel"], r["case"]["op"], r["case"]["dtype"], r["case"]["wide"])
               for r in reports}
    row_shapes = {(r["case"]["kernel"], r["case"]["op"], r["case"]["dtype"], r["case"]["rows"],
                   r["case"]["columns"]) for r in reports}
    for key in (key for spec in ELEMENTWISE for key in spec.kernels()):
        for dtype in ("fp32", "fp16", "bf16"):
            assert ("forward", key, dtype, False) in audited
            assert ("backward", key, dtype, False) in audited
        variants = [(kernel, key, "fp32", True) for kernel in ("forward", "backward")]  # int64
        variants += [(kernel, key, "fp32", False)
                     for kernel in ("forward_strided", "backward_strided", "second")]
        assert all((v in audited) == exhaustive for v in variants), key
    for key in (spec.math_for(a).key for spec in GATED for a in spec.approximations):
        for dtype in ("fp32", "fp16", "bf16"):
            for kernel in ("gated.forward", "gated.backward"):
                assert (kernel, key, dtype, False) in audited
    split = ("forward_chunk_stats", "forward_from_stats", "backward_chunk_sums",
             "backward_from_sums")
    for key in (spec.math.key for spec in ROWWISE):
        for dtype in ("fp32", "fp16", "bf16"):
            for rows, columns in AUDIT_SHAPES:
                # a few long rows split across programs (two launches each way), else one
                kernels = split if rows < 2 * H200.sms else ("forward", "backward")
                for kernel in kernels:
                    assert (f"rowwise.{kernel}", key, dtype, rows, columns) in row_shapes
    for module, keys in (("prelu", [s.math.key for s in LEARNABLE]),
                         ("randomized", [s.name for s in RANDOMIZED])):
        for key in keys:
            for dtype in ("fp32", "fp16", "bf16"):
                for kernel in ("forward", "backward"):
                    assert (f"{module}.{kernel}", key, dtype, False) in audited
    for key in (s.math.key for s in PARAMETRIC):  # the hot path: fp32 and bf16
        for dtype in ("fp32", "fp16", "bf16") if exhaustive else ("fp32", "bf16"):
            for kernel in ("parametric.forward", "parametric.backward"):
                assert (kernel, key, dtype, False) in audited
    for spec in BIASED:  # the hot path: the default approximation in fp32 and bf16
        for a in spec.approximations if exhaustive else spec.approximations[:1]:
            for dtype in ("fp32", "fp16", "bf16") if exhaustive else ("fp32", "bf16"):
                for kernel in ("biased.forward", "biased.backward"):
                    assert (kernel, spec.math_for(a).key, dtype, False) in audited
    failures = [f"{r['case']}: {r['violations']}" for r in reports if r["violations"]]
    assert not failures, "\n".join(failures)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    flat = [r for r in reports if not r["case"]["kernel"].endswith("_strided")]  # and rowwise
    assert all(r["widest_load"] == 128 for r in flat)
    # a split row's first pass stores a few partial results a program (a stated exception)
    assert all(r["widest_store"] == 128 for r in flat
               if r["case"]["kernel"].split(".")[-1] not in ROWWISE_EXCEPTIONS)
    assert all(r["local"] == 0 and r["stack"] == 0 for r in reports)
    assert all(not r["fp64"] for r in reports)  # none of these is an fp64 kernel
    # the model's columns, for every kernel: counted from its SASS, at its launch configuration
    for r in reports:
        assert r["instructions_per_element"] > 0 and r["bytes_per_element"] > 0, r["case"]
        assert r["ceiling_ratio"]["H200"] > 0 and 0 < r["occupancy"] <= 1, r["case"]
    by_case = {(r["case"]["kernel"], r["case"]["op"], r["case"]["dtype"], r["case"]["wide"],
                r["case"]["columns"]): r for r in reports}
    # bytes an element follow from the operands: 16-bit forward 4, backward 6; a gated forward
    # moves 6 an output; the one-pass softmax reads x once, the two-pass one twice
    assert by_case[("forward", "relu", "bf16", False, 0)]["bytes_per_element"] == 4
    assert by_case[("backward", "relu", "bf16", False, 0)]["bytes_per_element"] == 6
    assert by_case[("gated.forward", "silu", "bf16", False, 0)]["bytes_per_element"] == 6
    assert by_case[("rowwise.forward", "softmax", "bf16", False, 16384)]["bytes_per_element"] == 4
    assert by_case[("rowwise.forward", "softmax", "bf16", False, 65536)]["bytes_per_element"] == 6
    # split: x read once for the chunk stats, then again for y, plus a few bytes a chunk
    first = by_case[("rowwise.forward_chunk_stats", "softmax", "bf16", False, 2**20)]
    second = by_case[("rowwise.forward_from_stats", "softmax", "bf16", False, 2**20)]
    assert 2 <= first["bytes_per_element"] < 2.1 and 4 <= second["bytes_per_element"] < 4.3


def test_the_gate_catches_what_it_should():
    """A report with each fault fails the gate; a stated exception waives only its own check."""
    from tritonact.checks.audit import Report
    from tritonact.core.audit_case import Case

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
    # a store-width exception (a split row's partial results) waives the store only
    chunk_stats = lambda **fault: Report(Case("rowwise.forward_chunk_stats", "softmax", "bf16",
                                              False, 90, module="tritonact.kernels.rowwise"),
                                         **{**clean, **fault}).violations()
    assert "store_width" in ROWWISE_EXCEPTIONS["forward_chunk_stats"]
    assert chunk_stats(widest_store=32) == []
    assert chunk_stats(widest_load=64) == ["widest load 64 bits (128 expected)"]


def test_each_arch_has_its_register_ceiling():
    """sm_90: 32 (full occupancy); sm_80: 40 (75%, stated in ``REGISTER_CEILINGS``)."""
    from tritonact.checks.audit import Report
    from tritonact.core.audit_case import REGISTER_CEILINGS, Case

    assert REGISTER_CEILINGS == {90: 32, 80: 40}
    clean = dict(widest_load=128, widest_store=128)
    verdict = lambda arch, registers: Report(Case("forward", "selu", "bf16", False, arch),
                                             registers=registers, **clean).violations()
    assert verdict(90, 32) == [] and verdict(90, 33) == ["33 registers > 32 (sm_90's ceiling)"]
    assert verdict(80, 40) == [] and verdict(80, 41) == ["41 registers > 40 (sm_80's ceiling)"]


def test_the_summary_gives_each_failure_its_reason():
    from tritonact.checks.audit import Report, summary
    from tritonact.core.audit_case import Case

    clean = dict(registers=20, widest_load=128, widest_store=128)
    text = summary([Report(Case("forward", "mish", "fp16", False, 80), **clean),
                    Report(Case("backward", "mish", "fp16", False, 80), **{**clean, "local": 8})])
    assert "| mish | sm_80 |" in text and "| FAIL |" in text
    assert text.splitlines()[-1] == "FAIL backward mish fp16 i32 sm_80: local 8 B, stack 0 B"


def test_the_sm80_kernels_with_most_registers_pass_their_gate(tmp_path):
    """selu's bf16 forward and mish's fp16 backward, which ptxas gives 39 and 40 registers on
    sm_80 (triton 3.8), are within sm_80's ceiling: the default ``python -m tritonact audit``
    (both arches) passes; ``--hot`` holds both kernels."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["TRITON_CACHE_DIR"] = str(tmp_path / "triton-cache")  # a real compile, not a cache hit
    run = subprocess.run([sys.executable, "-m", "tritonact", "audit", "--arch", "80", "--hot",
                          "--ops", "selu", "mish", "--summary"], env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert re.search(r"^\| selu +\| sm_80 +\|", run.stdout, re.M)
    assert re.search(r"^\| mish +\| sm_80 +\|", run.stdout, re.M)
    assert "0 failed" in run.stdout


def test_the_issue_rate_gate_and_its_exceptions():
    """Above the H200's ceiling (about 7 instructions a byte) a kernel fails; 0.8 of it for the
    gated kernels and the one-pass 16-bit row-wise ones; an exception stated for one op waives
    only that op's kernel."""
    from tritonact.checks.audit import Report
    from tritonact.core.audit_case import H100, H200, Case

    assert round(H200.instructions_per_byte(), 2) == 6.97
    assert round(H100.instructions_per_byte(), 2) == 9.99
    assert round(H200.mufu_per_byte(), 2) == 0.87
    fields = dict(registers=20, widest_load=128, widest_store=128, num_warps=4,
                  elements_per_thread=8, bytes=32)  # 4 B an element
    report = lambda case, instructions, mufu=0: Report(case, instructions=instructions * 8,
                                                       mufu_ops=mufu * 8, **fields)
    relu = Case("forward", "relu", "bf16", False, 90)
    assert report(relu, 27.0).violations() == []
    assert report(relu, 29.0).violations()[0].startswith("1.04 > 1.0 of the H200's")
    assert report(relu, 10.0, mufu=3.6).violations()  # MUFU-bound: 3.6 / 4 B > 0.87
    assert report(relu, 29.0).ceiling_ratio(H100) < 1
    assert report(Case("forward", "relu", "bf16", False, 80), 99.0).ceiling_ratio(H200) is None
    assert report(Case("forward", "relu", "fp64", False, 90), 99.0).violations() == []
    case = lambda spec, kernel, columns=0: next(
        c for c in spec.audit_cases((90,), ("bf16",), False)
        if c.kernel == kernel and c.columns == columns)  # as the family states its goal
    gated = case(GATED[1], "gated.forward")
    assert report(gated, 22.0).violations() == [] and report(gated, 23.0).violations()
    one_pass = case(ROWWISE[0], "rowwise.forward", 16384)
    two_pass = case(ROWWISE[0], "rowwise.forward", 65536)
    assert report(one_pass, 23.0).violations() and report(two_pass, 23.0).violations() == []
    assert report(Case("forward", "elu", "bf16", False, 90), 60.0).violations() == []
    assert report(Case("backward", "elu", "bf16", False, 90), 60.0).violations()


def test_instruction_counts_weigh_loops_by_their_trips():
    """NOP padding and the branch-to-self after EXIT never run; a backward branch closes a loop
    whose body runs ``trips`` times; MUFU ops and the bytes of global loads and stores count."""
    from tritonact.checks.audit import Report, _count, executed
    from tritonact.core.audit_case import Case

    sass = """
        /*0000*/                   S2R R0, SR_TID.X ;
        /*0010*/                   LDG.E.128 R4, desc[UR4][R2.64] ;
        /*0020*/                   MUFU.EX2 R4, R4 ;
        /*0030*/               @P0 BRA 0x10 ;
        /*0040*/                   STG.E.U16 desc[UR4][R2.64], R4 ;
        /*0050*/                   EXIT ;
        /*0060*/                   BRA 0x60;
        /*0070*/                   NOP;
    """
    assert [(op, times) for op, _, times in executed(sass, 5)] == [
        ("S2R", 1), ("LDG.E.128", 5), ("MUFU.EX2", 5), ("BRA", 5), ("STG.E.U16", 1),
        ("EXIT", 1)]
    report = Report(Case("forward", "relu", "bf16", False, 90), elements_per_thread=10)
    _count(report, sass, 5)
    assert (report.instructions, report.mufu_ops, report.bytes) == (18, 5, 5 * 16 + 2)
    assert report.instructions_per_element == 1.8 and report.bytes_per_element == 8.2


def test_occupancy_from_registers_warps_and_shared_memory():
    from tritonact.core.audit_case import occupancy

    assert occupancy(32, 4, 0, 90) == 1.0  # 2048 threads x 32 registers: the whole file
    assert occupancy(40, 4, 0, 90) == 0.75
    assert occupancy(48, 32, 0, 90) == 0.5  # one program of 1024 threads
    assert occupancy(33, 32, 0, 90) == 0.5  # 40 registers a thread as allocated
    assert occupancy(16, 4, 100 * 1024, 90) == 2 * 4 / 64  # two programs' shared memory


def test_rowwise_cases_compile_as_the_launcher_launches():
    """A contiguous 2-D input's outer sizes are 1, which Triton makes constants (no division
    in the row offsets); the tiling and num_warps are the launcher's, a split row's too."""
    from tritonact.autograd.rowwise import ONE_PASS_LIMIT
    from tritonact.checks.audit import signature
    from tritonact.core.audit_case import Case, Work

    case = Case("rowwise.forward", "softmax", "bf16", False, 90, 4096, ONE_PASS_LIMIT,
                spec="softmax")
    launch = ROWWISE[0].audit_launch(case)
    types, constexprs, _ = signature(launch)
    work = launch.work
    assert constexprs["size1"] == constexprs["size2"] == constexprs["x_col"] == 1
    assert constexprs["ONE_PASS"] and constexprs["BLOCK"] == ONE_PASS_LIMIT >= 16384
    assert work.num_warps == 32 and work.elements / (32 * work.num_warps) == 16
    assert types["n_cols"] == "i32"
    # a few long rows: the launcher's split plan, a program a chunk of 32 tiles (8 a row)
    split = Case("rowwise.forward_from_stats", "softmax", "bf16", False, 90, 64, 2**20,
                 spec="softmax")
    launch = ROWWISE[0].audit_launch(split)
    types, constexprs, _ = signature(launch)
    assert types["chunk"] == "i32" and constexprs["CHUNKS"] == 8 and constexprs["x_col"] == 1
    assert launch.work == Work(16, 2**17, 32)
