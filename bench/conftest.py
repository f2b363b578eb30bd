"""``pytest bench/``: the case list of ``tritonact.bench.cases`` under pytest-benchmark.

With CUDA the quick case list runs (``--bench-scale full`` for all of it). Without CUDA the
smoke cases run on the CPU through Triton's interpreter: that proves the front end works and
measures nothing worth reading. The plain ``pytest`` run collects ``tests/`` only.
"""

from __future__ import annotations

import os

import torch

CUDA = torch.cuda.is_available()
if not CUDA:
    os.environ.setdefault("TRITON_INTERPRET", "1")  # before anything imports triton

from tritonact.bench.cases import DTYPES, MODES, PROVIDERS, SCALES, cases  # noqa: E402
from tritonact.bench.providers import applies  # noqa: E402


def pytest_addoption(parser) -> None:
    group = parser.getgroup("tritonact bench")
    group.addoption("--bench-scale", choices=SCALES,
                    help="case list: full, quick (default with CUDA) or smoke (default without)")
    group.addoption("--bench-ops", nargs="+", help="only these ops (names or labels)")
    group.addoption("--bench-dtypes", nargs="+", choices=list(DTYPES))
    group.addoption("--bench-modes", nargs="+", choices=list(MODES))
    group.addoption("--bench-providers", nargs="+", choices=list(PROVIDERS))
    group.addoption("--bench-rounds", type=int, help="timed rounds per benchmark (default: "
                                                     "200 on CUDA, 3 on the interpreter)")


def scale(config) -> str:
    return config.getoption("bench_scale") or ("quick" if CUDA else "smoke")


def pytest_report_header(config) -> list[str]:
    if CUDA:
        return [f"tritonact bench: {scale(config)} cases on {torch.cuda.get_device_name()}; "
                f"each round is one call and a synchronize, the L2 cache flushed before it"]
    return [f"tritonact bench: no CUDA, {scale(config)} cases on the CPU through Triton's "
            f"interpreter: these timings are not performance figures (torch.compile and "
            f"Liger-Kernel are left out: use a GPU)"]


def pytest_generate_tests(metafunc) -> None:
    """One test per case and provider; ``benchmark.group`` puts a case's providers together."""
    if "case" not in metafunc.fixturenames:
        return
    config = metafunc.config
    providers = config.getoption("bench_providers") or PROVIDERS
    if not CUDA:
        providers = [p for p in providers if p in ("tritonact", "eager")]
    pairs = [(case, provider)
             for case in cases(scale(config), config.getoption("bench_ops"),
                               config.getoption("bench_dtypes"), config.getoption("bench_modes"))
             for provider in providers if applies(provider, case.op)]
    metafunc.parametrize(("case", "provider"), pairs,
                         ids=[f"{case.label}-{provider}" for case, provider in pairs])
