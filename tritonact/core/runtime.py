"""Which kernels run in this process: tritonact's on CUDA tensors, and on CPU tensors only while
Triton's interpreter is on (``TRITON_INTERPRET=1`` before triton is imported); torch's own
kernels everywhere else, silently and with torch's results. Said once, at INFO on the
``tritonact`` logger, when tritonact's kernels are first imported."""

from __future__ import annotations

import functools
import logging

import torch

from tritonact.autograd.launch import INTERPRET

log = logging.getLogger("tritonact")


def kernel_paths() -> str:
    """One line: which float tensors run tritonact's kernels here, and which run torch's."""
    if INTERPRET:
        return ("TRITON_INTERPRET=1: tritonact's kernels run on CPU float tensors in Triton's "
                "interpreter (slow: for checking, not for speed)")
    if torch.cuda.is_available():
        return ("tritonact's Triton kernels run on CUDA float tensors; CPU tensors run torch's own "
                "kernels (with TRITON_INTERPRET=1 set before triton is imported, tritonact's "
                "kernels run on the CPU in Triton's interpreter)")
    return ("no CUDA device and TRITON_INTERPRET is not set: every tritonact op runs torch's own "
            "kernel (tritonact's kernels run on CUDA, or on the CPU in Triton's interpreter with "
            "TRITON_INTERPRET=1 set before triton is imported)")


@functools.cache
def log_kernel_paths() -> None:
    """Log :func:`kernel_paths` at INFO, once per process."""
    log.info(kernel_paths())
