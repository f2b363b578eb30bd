"""Command line: ``python -m tritonact`` (or ``tritonact``) ``list``, ``verify``, ``audit`` and
``bench``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from tritonact.core.table import markdown_table

DESCRIPTION = ("tritonact's command line: list the ops, verify them against PyTorch, audit their "
               "machine code, benchmark them.")


class UsageError(Exception):
    """A request this machine or the registry cannot serve: said with the usage, exit status 2
    (as argparse's own errors)."""


def _device(requested: str | None) -> str:
    """The device to check on: ``requested``, else CUDA when present, else the CPU. Without
    CUDA, Triton's interpreter must be on before triton is imported, so this runs before
    anything imports tritonact's kernels."""
    import torch

    device = requested or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        kind = torch.device(device)
    except (RuntimeError, ValueError):
        raise UsageError(f"--device {device}: not a device torch knows (cuda, cuda:1, cpu)") \
            from None
    if kind.type == "cuda":
        if not torch.cuda.is_available():
            missing = ("this torch build has no CUDA" if torch.version.cuda is None
                       and torch.version.hip is None else "no CUDA device is visible")
            raise UsageError(f"--device {device}: {missing}. tritonact's kernels run on CUDA, or "
                             "on the CPU through Triton's interpreter (--device cpu)")
        count = torch.cuda.device_count()
        if kind.index is not None and kind.index >= count:
            raise UsageError(f"--device {device}: this machine has {count} CUDA device(s), "
                             f"cuda:0 to cuda:{count - 1}")
    elif kind.type != "cpu":
        raise UsageError(f"--device {device}: tritonact's kernels run on CUDA, or on the CPU "
                         f"through Triton's interpreter; not on {kind.type}")
    if kind.type == "cpu":
        if "triton" in sys.modules and os.environ.get("TRITON_INTERPRET") != "1":
            raise UsageError("on the CPU the kernels need TRITON_INTERPRET=1 before triton is "
                             "imported")
        os.environ["TRITON_INTERPRET"] = "1"
    return device


def _ops(names: list[str] | None, labels: bool = False) -> list[str] | None:
    """The registry ops ``names`` name (any name ``list`` shows: ``silu_mul``, ``relu_``), in
    order, or None (all) when there are none. ``labels``: bench's labels too, an op name with
    parameters (``geglu[approximate=tanh]``)."""
    if not names:
        return None
    from tritonact.registry import OP_NAMES, resolve_ops

    bases = [name.partition("[")[0] if labels else name for name in names]
    try:
        resolve_ops(bases)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return list(dict.fromkeys(OP_NAMES[base] + name[len(base):]
                              for base, name in zip(bases, names)))


def cmd_list(args: argparse.Namespace) -> int:
    from tritonact.registry import SPECS

    rows = [list(vars(spec.list_row()).values()) for spec in SPECS]
    print(markdown_table(["op", "parameters", "backward saves", "in place", "module",
                          "formula"], rows))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    device = _device(args.device)
    import warnings

    import torch

    # numpy, inside Triton's interpreter, on NaN/inf lanes that the kernels then discard
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="triton.runtime.interpreter")
    from tritonact.checks import verify
    from tritonact.core.progress import progress
    from tritonact.core.testing import DTYPES
    from tritonact.integrations import switch

    ops = _ops(args.ops)
    dtypes = [d for d in DTYPES if not args.dtypes or str(d).removeprefix("torch.") in args.dtypes]
    name = lambda dtype: str(dtype).removeprefix("torch.")
    mode = "Triton interpreter" if device.startswith("cpu") else torch.cuda.get_device_name(device)
    print(f"tritonact verify on {device} ({mode}), torch {torch.__version__}", flush=True)
    if args.saved_bits:
        return _verify_saved_bits(ops, dtypes, device)
    each = lambda units: progress(units, lambda u: f"{u[0].name} {name(u[1])}", "verify", "op")
    rows = []
    for row in verify.rows(ops, dtypes, device, each):
        rows.append(row.cells())
        for problem in row.problems:
            print(f"FAIL {row.op} [{row.params}] {row.dtype}: {problem}", file=sys.stderr)
    failures = sum(cells[-1] == "FAIL" for cells in rows)
    print(markdown_table(["op", "parameters", "dtype", "forward+backward parity",
                          "gradcheck+gradgradcheck (fp64)", "result"], rows), flush=True)

    pairs = [(op, dtype) for dtype in dtypes for op in switch.covered_ops()
             if not ops or op in ops]
    checks = []
    for op, dtype in progress(pairs, lambda p: f"{p[0]} {name(p[1])}", "verify switch", "op"):
        checks += verify.check_overrides(device, [dtype], [op])
    for check in checks:
        if check.problem:
            print(f"FAIL switch {check.op} [{check.params}] {check.dtype}: {check.problem}",
                  file=sys.stderr)
    failures += sum(check.problem is not None for check in checks)
    print(f"\nThe switch (tritonact.enable(): torch's own calls, switch on against off) covers "
          f"{', '.join(switch.covered_ops())}:")
    print(markdown_table(["op", "parameters", "dtype", "aten operators served", "result"],
                         [[c.op, c.params, name(c.dtype), ", ".join(c.served),
                           "FAIL" if c.problem else "ok"] for c in checks]))
    total = len(rows) + len(checks)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


def _verify_saved_bits(ops, dtypes, device: str) -> int:
    """``verify --saved-bits``: the few-bit modes against exact mode (``fewbit.verify_rows``)."""
    from tritonact.checks import fewbit

    rows = list(fewbit.verify_rows(ops, dtypes, device))
    for row in rows:
        for problem in row.problems:
            print(f"FAIL {row.op} [{row.params}] {row.dtype}: {problem}", file=sys.stderr)
    print(markdown_table(["op", "parameters", "dtype", "few-bit vs exact mode", "result"],
                         [[*row.cells()[:4], row.cells()[-1]] for row in rows]))
    failures = sum(row.failed for row in rows)
    print(f"{len(rows) - failures} passed, {failures} failed")
    return 1 if failures else 0


def cmd_audit(args: argparse.Namespace) -> int:
    ops = _ops(args.ops)  # names only: no kernel is compiled in this process
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        # @triton.jit is the interpreter's in this process: audit in a clean one
        env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
        argv = [sys.executable, "-m", "tritonact", *args.argv]
        return subprocess.run(argv, env=env).returncode
    import json

    from tritonact.checks import audit

    reports = audit.run(audit.cases(ops, tuple(args.arch), full=not args.hot), args.jobs)
    print(audit.summary(reports) if args.summary else audit.table(reports))
    failed = [r for r in reports if r.violations()]
    print(f"{len(reports) - len(failed)} passed, {len(failed)} failed")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(audit.to_json(reports), f, indent=1)
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace) -> int:
    import torch

    if args.saved_bits:  # measured on any device: the interpreter's CPU tensors will do
        device = _device(None)
        from tritonact.checks import fewbit

        dtypes = [getattr(torch, d) for d in args.dtypes or ("bfloat16", "float32")]
        print("Bytes per element autograd saves for backward (saved_tensors_hooks, 2^12 "
              "elements, the first parameter set):")
        print(markdown_table(["op", "dtype", "exact", *(f"{b} bit" for b in fewbit.ALLOWED_BITS),
                              "exact / 2 bits"],
                             fewbit.saved_bytes_table(_ops(args.ops), dtypes, device)))
        return 0
    if not (args.smoke or args.plan) and not torch.cuda.is_available():
        raise UsageError("no CUDA device: the suite measures GPUs. --smoke runs a tiny case "
                         "list through Triton's interpreter to check the harness; --plan "
                         "prints the run's phases")
    device = _device("cpu" if args.smoke else None)  # --plan without CUDA: the CPU
    from tritonact.bench.run import run

    args.ops = _ops(args.ops, labels=True)
    return run(args, torch.device(device))


def _prog() -> str:
    """``tritonact`` when run as the console script, else ``python -m tritonact``."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "tritonact" if script in ("tritonact", "tritonact.exe") else "python -m tritonact"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog=_prog(), description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    parsers = {"list": sub.add_parser("list", help="the registered ops, their parameters and "
                                                   "what backward saves")}
    verify = parsers["verify"] = sub.add_parser(
        "verify", help="parity, gradcheck and gradgradcheck of every op against torch, and of "
                       "the switch's aten overrides")
    verify.add_argument("--ops", nargs="+", help="only these ops, by any name `list` shows "
                                                 "(default: all)")
    verify.add_argument("--dtypes", nargs="+", choices=["float32", "float16", "bfloat16",
                                                        "float64"], help="default: all four")
    verify.add_argument("--device", help="cuda, cuda:1, cpu (default: cuda if present, else cpu "
                                         "through Triton's interpreter)")
    verify.add_argument("--saved-bits", action="store_true", help="check the few-bit saved "
                        "activations instead: piecewise-linear ops bit for bit against exact "
                        "mode, smooth ones within their stated quantization error")
    audit = parsers["audit"] = sub.add_parser(
        "audit", help="compile every kernel for sm_90/sm_80 on the CPU and check its machine "
                      "code (registers, spills, vector width, fp64, special functions)")
    audit.add_argument("--arch", nargs="+", type=int, default=[90, 80], choices=[80, 90],
                       help="GPU architectures to compile for: 90 (Hopper), 80 (Ampere) "
                            "(default: both)")
    audit.add_argument("--ops", nargs="+", help="only these ops, by any name `list` shows "
                                                "(default: all)")
    audit.add_argument("--json", help="also write the reports to this file")
    audit.add_argument("--jobs", type=int, help="parallel compiles (default: CPU count)")
    audit.add_argument("--summary", action="store_true", help="one row per op instead of one "
                                                              "per kernel, then each failure "
                                                              "with its reason")
    audit.add_argument("--hot", action="store_true",
                       help="the hot path only: each kernel's forward and backward in each "
                            "dtype with int32 indices, without the elementwise ops' int64, "
                            "strided and double-backward variants (about half the time)")
    bench = parsers["bench"] = sub.add_parser(
        "bench", help="time every op against PyTorch eager, torch.compile and Liger-Kernel on "
                      "CUDA; write results.csv, summary.md and plots")
    bench.add_argument("--ops", nargs="+", help="op names (any name `list` shows) or labels "
                                                "such as geglu[approximate=tanh] (default: all; "
                                                "--quick: a representative few)")
    bench.add_argument("--dtypes", nargs="+", choices=["float32", "bfloat16", "float16"],
                       help="default: all three (--quick: bfloat16)")
    bench.add_argument("--modes", nargs="+", choices=["forward", "backward", "forward+backward"])
    bench.add_argument("--providers", nargs="+", choices=["tritonact", "eager", "compile",
                                                          "liger", "liger-fused"],
                       help="default: all")
    scale = bench.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_true", help="fewer ops, sizes and dtypes, "
                                                            "shorter timing (minutes)")
    scale.add_argument("--smoke", action="store_true", help="a tiny case list on the CPU "
                                                            "through Triton's interpreter: proves "
                                                            "the harness, measures nothing")
    bench.add_argument("--saved-bits", action="store_true", help="instead of timing: the bytes "
                       "per element saved for backward in exact mode and with 1-4 saved bits "
                       "(runs anywhere, the interpreter included)")
    bench.add_argument("--out", default="bench-out", help="output folder (default: bench-out)")
    bench.add_argument("--budget", type=float, help="seconds within which the run ends: a step "
                                                    "starts only when its estimate fits what is "
                                                    "left; what was measured is written")
    bench.add_argument("--plan", action="store_true", help="print the run's phases, counts and "
                                                           "time estimates, and run nothing")
    bench.add_argument("--warm-compile", action="store_true",
                       help="only build the torch.compile steps (fills Inductor's caches)")
    args = parser.parse_args(argv)
    args.argv = argv
    commands = {"list": cmd_list, "verify": cmd_verify, "audit": cmd_audit, "bench": cmd_bench}
    try:
        return commands[args.command](args)
    except UsageError as error:
        parsers[args.command].error(str(error))  # exits with status 2


if __name__ == "__main__":
    sys.exit(main())
