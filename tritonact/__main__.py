"""Command line: ``python -m tritonact list``, ``verify``, ``audit`` and ``bench``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def _prepare_device(requested: str | None) -> str:
    """The device to check on. Without CUDA, Triton's interpreter must be on before triton is
    imported, so this runs before anything imports tritonact's kernels."""
    import torch

    device = requested or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cpu"):
        if "triton" in sys.modules and os.environ.get("TRITON_INTERPRET") != "1":
            raise SystemExit("verify on the CPU needs TRITON_INTERPRET=1 before triton is imported")
        os.environ["TRITON_INTERPRET"] = "1"
    return device


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *map(line, rows)])


def cmd_list(args: argparse.Namespace) -> int:
    from tritonact.registry import ELEMENTWISE, GATED, LEARNABLE, RANDOMIZED, REQUIRED, ROWWISE

    rows = []
    for spec in ELEMENTWISE:
        params = ", ".join(
            f"{p.name}={p.default!r}" if p.default is not REQUIRED else p.name
            for p in spec.params
        )
        saves = ("output" if spec.saves_output is True
                 else "output or input, by parameters" if callable(spec.saves_output)
                 else "input")
        inplace = ", ".join(filter(None, ["inplace=" if spec.inplace else "",
                                          spec.inplace_name or ""]))
        rows.append([spec.name, params or "-", saves, inplace or "-",
                     f"nn.{spec.module.__name__}", spec.formula])
    for spec in ROWWISE:
        rows.append([spec.name, "dim=None, _stacklevel=3, dtype=None", "output", "-",
                     f"nn.{spec.module.__name__}", spec.formula])
    for spec in GATED:
        module = f"nn.{spec.module_name}"
        rows.append([spec.name + (f", {spec.mul_name}" if spec.mul_name else ""),
                     "dim=-1" + (", approximate='none'" if spec.takes_approximate else ""),
                     "inputs", "-", module, spec.formula])
    for spec in LEARNABLE:
        rows.append([spec.name, "weight", "input, weight", "-", f"nn.{spec.module.__name__}",
                     spec.formula])
    for spec in RANDOMIZED:
        params = ", ".join(f"{p.name}={p.default!r}" for p in spec.params)
        rows.append([spec.name, f"{params}, training=False", "input (training), as "
                     f"{spec.slope_op} (eval)", f"inplace=, {spec.inplace_name}",
                     f"nn.{spec.module.__name__}", spec.formula])
    print(_table(["op", "parameters", "backward saves", "in place", "module", "formula"], rows))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    device = _prepare_device(args.device)
    import warnings

    import torch

    # numpy, inside Triton's interpreter, on NaN/inf lanes that the kernels then discard
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="triton.runtime.interpreter")
    from tritonact import verify
    from tritonact.testing import DTYPES

    unknown = set(args.ops or ()) - verify.NAMES
    if unknown:
        listed = ", ".join(sorted(unknown))
        raise SystemExit(f"unknown ops: {listed} (see python -m tritonact list)")
    dtypes = [d for d in DTYPES if not args.dtypes or str(d).removeprefix("torch.") in args.dtypes]
    mode = "Triton interpreter" if device.startswith("cpu") else torch.cuda.get_device_name(device)
    print(f"tritonact verify on {device} ({mode}), torch {torch.__version__}")
    rows = []
    for row in verify.rows(args.ops, dtypes, device):
        rows.append(row.cells())
        for problem in row.problems:
            print(f"FAIL {row.op} [{row.params}] {row.dtype}: {problem}", file=sys.stderr)
    failures = sum(cells[-1] == "FAIL" for cells in rows)
    print(_table(["op", "parameters", "dtype", "forward+backward parity", "gradcheck", "result"],
                 rows))
    from tritonact import switch

    checks = switch.check_overrides(device, dtypes, args.ops)
    for check in checks:
        if check.problem:
            print(f"FAIL switch {check.op} [{check.params}] {check.dtype}: {check.problem}",
                  file=sys.stderr)
    failures += sum(check.problem is not None for check in checks)
    print(f"\nThe switch (tritonact.enable(): torch's own calls, switch on against off) covers "
          f"{', '.join(switch.covered_ops())}:")
    print(_table(["op", "parameters", "dtype", "aten operators served", "result"],
                 [[c.op, c.params, str(c.dtype).removeprefix("torch."), ", ".join(c.served),
                   "FAIL" if c.problem else "ok"] for c in checks]))
    total = len(rows) + len(checks)
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


def cmd_audit(args: argparse.Namespace) -> int:
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        # @triton.jit is the interpreter's in this process: audit in a clean one
        env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
        argv = [sys.executable, "-m", "tritonact", *sys.argv[1:]]
        return subprocess.run(argv, env=env).returncode
    import json

    from tritonact import audit

    reports = audit.run(audit.cases(args.ops, tuple(args.arch)), args.jobs)
    print(audit.summary(reports) if args.summary else audit.table(reports))
    failed = [r for r in reports if r.violations()]
    print(f"{len(reports) - len(failed)} passed, {len(failed)} failed")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(audit.to_json(reports), f, indent=1)
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace) -> int:
    device = _prepare_device("cpu" if args.smoke else None)
    if device == "cpu" and not (args.smoke or args.plan):
        raise SystemExit("no CUDA device: the suite measures GPUs. python -m tritonact bench "
                         "--smoke runs a tiny case list through Triton's interpreter to check "
                         "the harness")
    import torch

    from tritonact.bench.run import run

    return run(args, torch.device(device))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tritonact", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the registered ops, their parameters and what backward saves")
    verify = sub.add_parser("verify", help="parity and gradient checks of every op against torch, "
                                           "and of the switch's aten overrides")
    verify.add_argument("--ops", nargs="+", help="only these ops (default: all)")
    verify.add_argument("--dtypes", nargs="+", choices=["float32", "float16", "bfloat16",
                                                        "float64"], help="default: all four")
    verify.add_argument("--device", help="cuda, cuda:1, cpu (default: cuda if present, else cpu "
                                         "through Triton's interpreter)")
    audit = sub.add_parser("audit", help="compile every kernel for sm_90/sm_80 on the CPU and "
                                         "check its machine code (registers, spills, vector "
                                         "width, fp64, special functions)")
    audit.add_argument("--arch", nargs="+", type=int, default=[90, 80], choices=[80, 90])
    audit.add_argument("--ops", nargs="+", help="only these ops (default: all)")
    audit.add_argument("--json", help="also write the reports to this file")
    audit.add_argument("--jobs", type=int, help="parallel compiles (default: CPU count)")
    audit.add_argument("--summary", action="store_true", help="one row per op instead of one "
                                                              "per kernel")
    bench = sub.add_parser("bench", help="time every op against PyTorch eager, torch.compile and "
                                         "Liger-Kernel on CUDA; write results.csv, summary.md "
                                         "and plots")
    bench.add_argument("--ops", nargs="+", help="op names or labels such as "
                                                "geglu[approximate=tanh] (default: all; --quick: "
                                                "a representative few)")
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
    bench.add_argument("--out", default="bench-out", help="output folder (default: bench-out)")
    bench.add_argument("--budget", type=float, help="seconds within which the run ends: a step "
                                                    "starts only when its estimate fits what is "
                                                    "left; what was measured is written")
    bench.add_argument("--plan", action="store_true", help="print the run's phases, counts and "
                                                           "time estimates, and run nothing")
    bench.add_argument("--warm-compile", action="store_true",
                       help="only build the torch.compile steps (fills Inductor's caches)")
    args = parser.parse_args(argv)
    commands = {"list": cmd_list, "verify": cmd_verify, "audit": cmd_audit, "bench": cmd_bench}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
