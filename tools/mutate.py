"""Mutation testing: plant each curated bug of ``tools/mutants.py`` in a scratch copy of the
checkout, run the tests that should catch it, and table what they caught.

    python tools/mutate.py                 # every mutant
    python tools/mutate.py --only ID ...   # some
    python tools/mutate.py --list          # the list, with what each mutant plants and why
    python tools/mutate.py --jobs 2        # two mutants at a time (each pytest run serial)

Each mutant runs in a scratch copy of the working tree (tracked and untracked, not ignored
files: uncommitted tests count), never in the checkout itself, so an interrupted run leaves
nothing behind and the checkout can be edited meanwhile. The copy is imported instead of the
editable install: its root leads ``PYTHONPATH`` (its ``tritonact/`` links to its own
``kernels/``, ``autograd/`` and ``bench/``), which the subprocesses the tests start inherit.

Outcomes: ``killed`` (a test failed, collection failed, the process crashed or timed out),
``survived`` (the tests passed: a blind spot, or a mutant to mark ``equivalent``), ``stale``
(the original text is no longer in the file exactly once: refresh the mutant), ``error`` (the
named tests were not found), and the exempt ``equivalent``/``gpu-only``, which are not run.
Before the mutants, the tests they name run once unmutated (``--no-baseline`` skips it): a test
that fails there would "kill" every mutant.

Exit status: 0 when every runnable mutant is killed; 1 when one survived or errored; 2 when
none did but some are stale; 3 when the baseline fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import EXEMPT, MUTANTS, Mutant

REPO = Path(__file__).resolve().parent.parent
#: pytest's exit statuses: tests failed, collection failed or interrupted; not found, none ran.
FAILED, INTERRUPTED, USAGE_ERROR, NO_TESTS = 1, 2, 4, 5
DEFAULT_TIMEOUT_S = 900

@dataclass
class Outcome:
    """What running one mutant gave."""

    mutant: Mutant
    status: str
    seconds: float = 0.0
    detail: str = ""


def tree_files(root: Path) -> list[str]:
    """The working tree's files and links: tracked and untracked, not ignored (git's view)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=root, capture_output=True, check=True)
    return [f for f in out.stdout.decode().split("\0")
            if f and ((root / f).is_file() or (root / f).is_symlink())]


def scratch_copy(root: Path, destination: Path) -> Path:
    """Copy the working tree to ``destination/tree`` (links as links: ``tritonact/kernels``
    then points at the copy's ``kernels/``); returns the tree."""
    tree = destination / "tree"
    for name in tree_files(root):
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target, follow_symlinks=False)
    return tree


def scratch_env(tree: Path) -> dict[str, str]:
    """The environment that imports tritonact from the copy ``tree``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def occurrences(mutant: Mutant, root: Path = REPO) -> int:
    path = root / mutant.file
    return path.read_text().count(mutant.original) if path.is_file() else 0


def pytest_command(tests: tuple[str, ...], first_failure: bool = True) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
            *(["-x"] if first_failure else []), *tests]


def run_tests(tree: Path, env: dict, tests: tuple[str, ...], timeout: float,
              first_failure: bool = True) -> tuple[int | None, str]:
    """(pytest's exit status or None on timeout, the output's tail)."""
    try:
        done = subprocess.run(pytest_command(tests, first_failure), cwd=tree, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, (done.stdout + done.stderr)[-3000:]


def classify(code: int | None) -> str:
    if code is None or code in (FAILED, INTERRUPTED) or code < 0:
        return "killed"
    if code == 0:
        return "survived"
    return "error"


def run_mutant(mutant: Mutant, timeout: float) -> Outcome:
    """Plant ``mutant`` in a scratch copy, run its tests there, and classify the result."""
    if mutant.status in EXEMPT:
        return Outcome(mutant, mutant.status, detail=mutant.reason)
    found = occurrences(mutant)
    if found != 1:
        where = "no longer found" if found == 0 else f"found {found} times"
        return Outcome(mutant, "stale", detail=f"original text {where} in {mutant.file}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.id}-") as scratch:
        tree = scratch_copy(REPO, Path(scratch))
        path = tree / mutant.file
        path.write_text(path.read_text().replace(mutant.original, mutant.replacement))
        code, output = run_tests(tree, scratch_env(tree), mutant.tests, timeout)
    status = classify(code)
    detail = {None: f"timed out after {timeout:.0f} s"}.get(code, "")
    if code is not None and code < 0:
        detail = f"crashed (signal {-code})"
    elif code == INTERRUPTED:
        detail = "collection failed"
    elif status == "error":
        last = output.strip().splitlines()[-1] if output.strip() else ""
        detail = f"pytest exit status {code}: {last}"
    elif status == "killed":
        failed = [ln for ln in output.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        detail = failed[0][:110] if failed else ""
    return Outcome(mutant, status, time.monotonic() - start, detail)


def baseline(mutants: list[Mutant], timeout: float) -> tuple[bool, str]:
    """Run every test the runnable mutants name, unmutated, in a scratch copy."""
    tests = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
    if not tests:
        return True, ""
    with tempfile.TemporaryDirectory(prefix="mutant-baseline-") as scratch:
        tree = scratch_copy(REPO, Path(scratch))
        code, output = run_tests(tree, scratch_env(tree), tests, timeout,
                                 first_failure=False)
    return code == 0, output


def table(outcomes: list[Outcome]) -> str:
    width = max(len(o.mutant.id) for o in outcomes)
    lines = [f"{'mutant':<{width}}  {'result':<11} {'s':>5}  file / detail"]
    for o in outcomes:
        seconds = f"{o.seconds:5.0f}" if o.seconds else "    -"
        lines.append(f"{o.mutant.id:<{width}}  {o.status:<11} {seconds}  {o.mutant.file}"
                     + (f": {o.detail}" if o.detail else ""))
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    runnable = sum(counts.get(s, 0) for s in ("killed", "survived", "error"))
    lines.append("")
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                 + f"; score {counts.get('killed', 0)}/{runnable} of the runnable mutants")
    return "\n".join(lines)


def describe(mutants: list[Mutant]) -> str:
    blocks = []
    for m in mutants:
        exempt = f"  [{m.status}: {m.reason}]" if m.status else ""
        blocks.append(f"{m.id} ({m.file}){exempt}\n  why: {m.why}\n"
                      f"  - {m.original.strip()}\n  + {m.replacement.strip()}\n"
                      f"  tests: {' '.join(m.tests)}")
    return "\n\n".join(blocks)


def exit_status(outcomes: list[Outcome]) -> int:
    statuses = {o.status for o in outcomes}
    if statuses & {"survived", "error"}:
        return 1
    return 2 if "stale" in statuses else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these mutants only")
    parser.add_argument("--list", action="store_true", help="describe the mutants and exit")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds per mutant before it counts as killed by a timeout")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the unmutated run of the named tests")
    args = parser.parse_args(argv)
    # a terminated run still removes its scratch copies (after the running mutants end)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    chosen = MUTANTS
    if args.only:
        unknown = set(args.only) - {m.id for m in MUTANTS}
        if unknown:
            parser.error(f"no mutant named {sorted(unknown)}")
        chosen = [m for m in MUTANTS if m.id in set(args.only)]
    if args.list:
        print(describe(chosen))
        return 0
    started = time.monotonic()
    runnable = [m for m in chosen if m.status not in EXEMPT and occurrences(m) == 1]
    if not args.no_baseline:
        ok, output = baseline(runnable, args.timeout)
        if not ok:
            print(output, "\nthe named tests fail without any mutant: fix them first")
            return 3
        print(f"baseline: the named tests pass unmutated ({time.monotonic() - started:.0f} s)",
              flush=True)
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for outcome in pool.map(lambda m: run_mutant(m, args.timeout), chosen):
            outcomes.append(outcome)
            print(f"{outcome.mutant.id}: {outcome.status} {outcome.detail}".rstrip(),
                  flush=True)
    print()
    print(table(outcomes))
    print(f"wall time {time.monotonic() - started:.0f} s")
    return exit_status(outcomes)


if __name__ == "__main__":
    sys.exit(main())
