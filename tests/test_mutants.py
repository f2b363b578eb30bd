"""The mutation-testing list (``tools/mutants.py``) stays runnable: each original text occurs
exactly once in its file, ids are unique, every named test exists, exempt mutants say why, and
the tool imports the scratch copy rather than the checkout. The mutants themselves run with
``python tools/mutate.py``, not here (minutes)."""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


mutants = _load("mutants")
mutate = _load("mutate")
MUTANTS = mutants.MUTANTS


def test_ids_are_unique_and_originals_occur_exactly_once():
    ids = [m.id for m in MUTANTS]
    assert len(ids) == len(set(ids))
    stale = {m.id: mutate.occurrences(m) for m in MUTANTS if mutate.occurrences(m) != 1}
    assert not stale, f"original text found this many times (refresh these mutants): {stale}"
    assert all(m.original != m.replacement for m in MUTANTS)


def test_exempt_mutants_say_why_and_the_others_do_not_claim_it():
    for m in MUTANTS:
        assert m.status in (None, *mutants.EXEMPT), m.id
        assert bool(m.reason) == (m.status is not None), m.id
        assert m.why and m.tests, m.id


def test_the_list_covers_every_part_of_the_project():
    runnable = [m for m in MUTANTS if m.status is None]
    assert len(runnable) >= 30
    folders = {m.file.rsplit("/", 1)[0] for m in runnable}
    # every layer: the kernels, the launchers, the shared core, the families, the registry's
    # entries and the integrations (the switch among them)
    assert {"kernels", "autograd", "tritonact/core", "tritonact/families", "tritonact/registry",
            "tritonact/integrations", "tritonact/integrations/switch"} <= folders


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_named_test_exists(request):
    """Files and functions by reading the test files; parametrized ids among the ids this
    session collected, or (for files it did not collect) by collecting just those ids."""
    missing, parametrized = [], set()
    for m in MUTANTS:
        for node in m.tests:
            path, _, name = node.partition("::")
            if not (REPO / path).is_file():
                missing.append(f"{m.id}: {path}")
                continue
            function = name.split("[")[0]
            if function and function not in _test_functions(REPO / path):
                missing.append(f"{m.id}: {node}")
            elif "[" in name and m.status != "gpu-only":
                parametrized.add(node)
    assert not missing, missing
    collected = {item.nodeid for item in request.session.items}
    files_here = {node.split("::")[0] for node in collected}
    elsewhere = sorted(n for n in parametrized if n.split("::")[0] not in files_here)
    if elsewhere:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             *elsewhere], cwd=REPO, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        collected |= {line.strip() for line in run.stdout.splitlines()}
    assert parametrized <= collected, sorted(parametrized - collected)


def test_the_scratch_copy_is_what_gets_imported(tmp_path):
    """In a scratch copy's environment the packages resolve to the copy's folders, ahead of
    the editable install (asked without importing torch), from any working directory."""
    tree = mutate.scratch_copy(REPO, tmp_path)
    code = ("import importlib.util, os\n"
            "for name in ('tritonact', 'tritonact.kernels', 'tritonact.autograd'):\n"
            "    print(os.path.realpath(importlib.util.find_spec(name)"
            ".submodule_search_locations[0]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                         env=mutate.scratch_env(tree), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(tree / d) for d in ("tritonact", "kernels", "autograd")]
    assert (tree / "kernels" / "rowwise.py").read_text() == (
        REPO / "kernels" / "rowwise.py").read_text()


@pytest.mark.parametrize(("code", "status"), [(1, "killed"), (2, "killed"), (None, "killed"),
                                               (-11, "killed"), (0, "survived"), (4, "error"),
                                               (5, "error")])
def test_pytest_outcomes_are_classified(code, status):
    assert mutate.classify(code) == status


def test_stale_and_exempt_mutants_are_not_run(monkeypatch):
    """A mutant whose original text is gone is stale, an exempt one keeps its status; neither
    starts pytest. Survivors fail the run; stale ones alone ask for a refresh (status 2)."""
    monkeypatch.setattr(mutate, "run_tests", lambda *a, **k: pytest.fail("pytest was run"))
    gone = mutants.Mutant("gone", "tritonact/integrations/switch.py", "text that is not there",
                          "x", "why", ("tests/test_switch.py",))
    exempt = mutants.Mutant("exempt", "tritonact/integrations/switch.py", "x", "y", "why",
                            ("tests/test_switch.py",), status="equivalent", reason="because")
    outcomes = [mutate.run_mutant(gone, 1), mutate.run_mutant(exempt, 1)]
    assert [o.status for o in outcomes] == ["stale", "equivalent"]
    assert mutate.exit_status(outcomes) == 2
    survived = mutate.Outcome(gone, "survived")
    assert mutate.exit_status([*outcomes, survived]) == 1
    assert mutate.exit_status([mutate.Outcome(gone, "killed"), outcomes[1]]) == 0
