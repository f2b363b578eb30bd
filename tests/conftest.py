"""Test setup: kernels run on CUDA when there is a GPU, else on the CPU through Triton's
interpreter, which must be switched on before triton is imported."""

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import pytest

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

# tests/gpu/ holds checks that only mean something on a GPU (2**31 elements, a second device);
# on a machine without CUDA they are not collected at all.
collect_ignore = [] if torch.cuda.is_available() else ["gpu"]


def pytest_addoption(parser) -> None:
    parser.addoption("--exhaustive", action="store_true",
                     help="every op_db reference input and many more Hypothesis examples (the "
                          "default run samples them to stay within the suite's time budget)")


def pytest_configure(config) -> None:
    """Hypothesis's profile for the fuzz tests: short and derandomized by default (the same
    examples on every run, within the suite's budget); ``--exhaustive``: many fresh ones."""
    from hypothesis import HealthCheck, settings

    config.addinivalue_line("markers", "exhaustive: a test run only with --exhaustive (too slow "
                                       "for the default run's budget)")

    common = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}
    settings.register_profile("tritonact", max_examples=60, derandomize=True, **common)
    settings.register_profile("tritonact-exhaustive", max_examples=2000, **common)
    exhaustive = config.getoption("--exhaustive", default=False)
    settings.load_profile("tritonact-exhaustive" if exhaustive else "tritonact")


def pytest_collection_modifyitems(config, items) -> None:
    """Without ``--exhaustive``, the tests marked ``exhaustive`` are deselected (not run, and
    not counted as skipped)."""
    if config.getoption("--exhaustive"):
        return
    chosen = [item for item in items if item.get_closest_marker("exhaustive") is None]
    if len(chosen) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen


@pytest.fixture
def device() -> torch.device:
    return DEVICE


@pytest.fixture
def exhaustive(request) -> bool:
    """Whether ``--exhaustive`` was given: full test databases and long fuzzing."""
    return request.config.getoption("--exhaustive")


@pytest.fixture
def launches():
    """The kernel names launched while the test runs, in order."""
    from tritonact.autograd.launch import launch_hooks

    names: list[str] = []
    launch_hooks.append(names.append)
    yield names
    launch_hooks.remove(names.append)
