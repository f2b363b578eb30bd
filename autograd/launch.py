"""Launch helpers shared by every kernel family: device guard, launch hooks, layouts, params."""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Callable, Sequence

import torch

#: True when Triton runs kernels in its CPU interpreter (``TRITON_INTERPRET=1`` before import).
INTERPRET = os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")

#: Dtypes the kernels compute on; anything else goes to torch, which gives its own result/error.
KERNEL_DTYPES = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64})

#: Callables run with the kernel's name before every launch (tests count launches with it).
launch_hooks: list[Callable[[str], None]] = []

INT32_LIMIT = 2**31 - 1
_PLAIN_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)
_is_functorch_wrapped = torch._C._functorch.is_functorch_wrapped_tensor
_is_compiling = torch.compiler.is_compiling
NUM_WARPS = 4


def served(x: object) -> bool:
    """Whether a tritonact kernel runs on ``x``: a float tensor on CUDA, or on the CPU while
    Triton's interpreter is on. Everything else is left to torch (CPU fallback, int, complex,
    and the wrapped tensors of torch.func transforms such as vmap, whose storage a kernel cannot
    reach: torch's batching rules compute those)."""
    return (
        type(x) in _PLAIN_TENSOR_TYPES
        and x.dtype in KERNEL_DTYPES
        and (x.is_cuda or (INTERPRET and x.device.type == "cpu"))
        and (_is_compiling() or not _is_functorch_wrapped(x))  # dynamo cannot trace the check
    )


def launch(kernel, grid: tuple[int, ...], device: torch.device, *args,
           num_warps: int = NUM_WARPS, **meta) -> None:
    """Launch ``kernel`` on ``device`` (not on whichever GPU happens to be current)."""
    for hook in launch_hooks:
        hook(f"{kernel.fn.__module__.rsplit('.', 1)[-1]}.{kernel.__name__}")
    if device.type == "cuda" and device.index != torch.cuda.current_device():
        with torch.cuda.device(device):
            kernel[grid](*args, num_warps=num_warps, **meta)
    else:
        kernel[grid](*args, num_warps=num_warps, **meta)


@functools.lru_cache(maxsize=4096)
def param_args(value: float) -> tuple[float, int]:
    """A scalar parameter as the kernels take it: the float (fp32 kernels round it) and its
    fp64 bit pattern as an int (fp64 kernels reinterpret it, exactly)."""
    return value, struct.unpack("<q", struct.pack("<d", value))[0]


def block_size(dtype: torch.dtype) -> int:
    """Elements per program: 8 per thread at 4 warps (4 for fp64), so that every access is a
    16-byte vector (two per operand for fp32 and fp64, one for 16-bit types) and the kernels stay
    within the 32 registers of full occupancy (the audit checks both)."""
    return NUM_WARPS * 32 * (4 if dtype == torch.float64 else 8)


def is_dense(t: torch.Tensor) -> bool:
    """True when ``t`` covers ``numel()`` consecutive elements of its storage, in any dim order
    (contiguous, channels_last, transposed, permuted), so it can be walked as one flat run."""
    if t.is_contiguous():
        return True
    dims = sorted((stride, size) for size, stride in zip(t.shape, t.stride()) if size != 1)
    expected = 1
    for stride, size in dims:
        if stride != expected:
            return False
        expected *= size
    return True


def coalesce(shape: Sequence[int], strides: Sequence[Sequence[int]]):
    """Merge dims of ``shape`` that are contiguous in every operand's ``strides``.

    Dims are ordered by the last operand's strides (the output), so a strided kernel walks the
    output in memory order. Returns ``(sizes, [strides per operand])``, both outermost first.
    """
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    dims.sort(key=lambda d: strides[-1][d], reverse=True)
    sizes: list[int] = []
    merged: list[list[int]] = [[] for _ in strides]
    for d in dims:
        if sizes and all(m[-1] == s[d] * shape[d] for m, s in zip(merged, strides)):
            sizes[-1] *= shape[d]
            for m, s in zip(merged, strides):
                m[-1] = s[d]
            continue
        sizes.append(shape[d])
        for m, s in zip(merged, strides):
            m.append(s[d])
    return sizes, merged


def max_offset(sizes: Sequence[int], strides: Sequence[int]) -> int:
    """The largest element offset a strided walk reaches."""
    return sum((size - 1) * stride for size, stride in zip(sizes, strides))


def pad4(sizes: Sequence[int], strides: Sequence[Sequence[int]]):
    """Left-pad a coalesced shape (and each operand's strides) to the kernels' four dims."""
    pad = 4 - len(sizes)
    return [1] * pad + list(sizes), [[0] * pad + list(s) for s in strides]
