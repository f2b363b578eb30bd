"""Which kernels run is said once, at INFO on the ``tritonact`` logger, when they are imported:
on a machine without CUDA and without the interpreter every op silently runs torch's kernel."""

import os
import subprocess
import sys

import torch

from tritonact.core import runtime

IMPORT_EVERY_ENTRY_POINT = """
import logging
logging.basicConfig(level=logging.INFO, format="%(name)s %(levelname)s %(message)s")
import tritonact.functional, tritonact.nn, tritonact.checks.verify
import tritonact.integrations.switch, tritonact.integrations.replace
"""


def test_the_path_is_logged_once_when_the_kernels_are_imported():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    run = subprocess.run([sys.executable, "-c", IMPORT_EVERY_ENTRY_POINT], capture_output=True,
                         text=True, env={**env, "CUDA_VISIBLE_DEVICES": ""}, timeout=120)
    assert run.returncode == 0, run.stderr
    logged = [line for line in run.stderr.splitlines() if line.startswith("tritonact INFO")]
    assert logged == ["tritonact INFO no CUDA device and TRITON_INTERPRET is not set: every "
                      "tritonact op runs torch's own kernel (tritonact's kernels run on CUDA, or "
                      "on the CPU in Triton's interpreter with TRITON_INTERPRET=1 set before "
                      "triton is imported)"]


def test_each_path_is_described(monkeypatch):
    monkeypatch.setattr(runtime, "INTERPRET", True)
    assert "run on CPU float tensors in Triton's interpreter" in runtime.kernel_paths()
    monkeypatch.setattr(runtime, "INTERPRET", False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runtime.kernel_paths().startswith("tritonact's Triton kernels run on CUDA float "
                                             "tensors; CPU tensors run torch's own kernels")
