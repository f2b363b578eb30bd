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


@pytest.fixture
def device() -> torch.device:
    return DEVICE


@pytest.fixture
def launches():
    """The kernel names launched while the test runs, in order."""
    from tritonact.autograd.launch import launch_hooks

    names: list[str] = []
    launch_hooks.append(names.append)
    yield names
    launch_hooks.remove(names.append)
