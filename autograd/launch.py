"""Launch helpers shared by every kernel family: device guard, launch hooks, layouts, params."""

from __future__ import annotations

import functools
import logging
import math
import struct
import sys
import threading
from collections.abc import Callable, Sequence

import torch
from torch._subclasses.functional_tensor import FunctionalTensor

from tritonact.kernels.io import INTERPRET  # True under Triton's CPU interpreter

#: Dtypes the kernels compute on; anything else goes to torch, which gives its own result/error.
KERNEL_DTYPES = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64})

#: Callables run with the kernel's name before every launch (tests count launches with it).
launch_hooks: list[Callable[[str], None]] = []

INT32_LIMIT = 2**31 - 1
#: The tensor types the launchers take directly; a DTensor (the only other type ``served``
#: accepts) goes through the ``tritonact::`` custom ops, whose DTensor dispatch runs the kernels
#: on its local shard (:data:`dtensor_rules`).
PLAIN_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)
_is_functorch_wrapped = torch._C._functorch.is_functorch_wrapped_tensor
NUM_WARPS = 4

#: Whether torch.compile (dynamo) is tracing: dynamo folds the call to a constant, so a branch on
#: it costs nothing in a compiled graph. The one definition every launcher imports.
is_compiling = torch.compiler.is_compiling


class _RewriteTracing(threading.local):
    """Set while aot_autograd traces a call the switch's Inductor pass rewrote
    (``tritonact.integrations.switch.rewrite``): the functions then take its functional tensors."""

    active = False


REWRITE_TRACING = _RewriteTracing()


def served(x: object) -> bool:
    """Whether a tritonact kernel runs on ``x``: a strided float tensor on CUDA, or on the CPU
    while Triton's interpreter is on. Everything else is left to torch (CPU fallback, int,
    complex, sparse layouts, and the wrapped tensors of torch.func transforms such as vmap, whose
    storage a kernel cannot reach: torch's batching rules compute those). A DTensor is served
    when its local shard is (:func:`served_sharded`): plain tensors pay one type check more only
    on the way to torch's fallback."""
    return (
        type(x) in PLAIN_TENSOR_TYPES
        and x.layout == torch.strided
        and x.dtype in KERNEL_DTYPES
        and (x.is_cuda or (INTERPRET and x.device.type == "cpu"))
        and (is_compiling() or not _is_functorch_wrapped(x))  # dynamo cannot trace the check
    ) or (is_dtensor(x) and served_sharded(x)) or (REWRITE_TRACING.active and served_traced(x))


def served_traced(x: object) -> bool:
    """Whether ``x``, one of aot_autograd's functional tensors, stands for a tensor the kernels
    serve (its custom ops then trace into the graph Inductor compiles)."""
    return (type(x) is FunctionalTensor and x.layout == torch.strided
            and x.dtype in KERNEL_DTYPES
            and (x.is_cuda or (INTERPRET and x.device.type == "cpu")))


def is_dtensor(x: object) -> bool:
    """Whether ``x`` is a DTensor. No DTensor exists before ``torch.distributed.tensor`` is
    imported, so this never imports it (a second or more that single-device users never pay)."""
    module = sys.modules.get("torch.distributed.tensor")
    return module is not None and type(x) is module.DTensor


def served_sharded(x) -> bool:
    """Whether a DTensor's local shard is served (see :func:`served`); the first time, the
    custom ops' DTensor sharding rules are registered (:data:`dtensor_rules`)."""
    if not served(x._local_tensor):
        local = x._local_tensor
        note_once(f"a {local.dtype} shard on {local.device}", "not served: torch's op")
        return False
    register_dtensor_rules()
    return True


#: Each launcher module's registration of its custom ops' DTensor sharding rules (built from
#: ``autograd/sharding.py``'s helpers), added as the module is imported and run once each, the
#: first time a DTensor is served: importing ``torch.distributed.tensor`` costs a second or
#: more, which a process without DTensors never pays.
dtensor_rules: list[Callable[[], None]] = []
_registered_rules: set[Callable[[], None]] = set()
_rules_lock = threading.Lock()


def register_dtensor_rules() -> None:
    """Run every launcher module's rule registration not yet run."""
    if len(_registered_rules) == len(dtensor_rules):
        return
    with _rules_lock:
        for rules in dtensor_rules:
            if rules not in _registered_rules:
                rules()
                _registered_rules.add(rules)


log = logging.getLogger("tritonact")
#: (op, what was redistributed) pairs already logged.
_logged: set[tuple[str, str]] = set()


def note_once(op: str, what: str) -> None:
    """Log at INFO, once per ``op`` and ``what``, how a DTensor call is served."""
    if (op, what) not in _logged:
        _logged.add((op, what))
        log.info("tritonact: %s on a DTensor: %s", op, what)


def writable_in_place(x: torch.Tensor) -> bool:
    """Whether a kernel may write ``x`` in place with torch's result: no two elements share
    memory, and ``x`` is not an inference tensor outside inference mode. Elsewhere the caller
    hands the call to torch, which raises its own error (an expanded, stride-0 view; an
    inference tensor) or, for views whose elements overlap without a zero stride, computes its
    own (order-dependent) result."""
    if x.is_inference() and not torch.is_inference_mode_enabled():
        return False
    if is_dtensor(x):  # no in-place custom op has a sharding rule: torch's in-place op runs
        note_once("an in-place activation", "runs torch's in-place op (falls back)")
        return False
    return x.is_contiguous() or not overlaps(x)


def overlaps(x: torch.Tensor) -> bool:
    """Whether two elements of ``x`` may share memory: false where each dim's stride, in
    increasing order, exceeds the extent of the dims inside it (dense, stepped and permuted
    views); true for expanded views and other overlapping ones."""
    extent = 0
    for stride, size in sorted((abs(st), n) for st, n in zip(x.stride(), x.shape) if n > 1):
        if stride <= extent:
            return True
        extent += stride * (size - 1)
    return False


def file_under_key(table: dict, record) -> None:
    """File a family's math ``record`` under its ``key`` in ``table``, where the family's
    ``tritonact::`` custom ops (which take strings) find it. Two different records under one
    key are an error: one would silently run the other's math."""
    if table.setdefault(record.key, record) != record:
        raise ValueError(f"two different kernel maths under the key {record.key!r}")


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


def scalar_args(a: float, b: float) -> tuple[float, int, float, int]:
    """An op's two scalar parameters as the kernels take them (see :func:`param_args`)."""
    return (*param_args(a), *param_args(b))


#: The largest finite value of each kernel dtype: torch refuses (``value cannot be converted to
#: type ... without overflow``) a finite scalar beyond the type it converts the scalar to.
_LARGEST = {dtype: torch.finfo(dtype).max for dtype in KERNEL_DTYPES}


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype the kernels compute in for ``dtype`` operands: fp64, else fp32."""
    return torch.float64 if dtype == torch.float64 else torch.float32


_PACKED = {torch.float16: "<e", torch.float32: "<f"}


def rounded(value: float, dtype: torch.dtype) -> float:
    """``value`` rounded to ``dtype`` (nearest even; past the largest value, inf), as torch's
    ``Scalar.to<scalar_t>()``: bf16 through fp32, as c10's BFloat16 is built. Plain Python
    (``struct``), so that torch.compile folds it into a constant."""
    if dtype == torch.float64 or value != value:  # fp64, or NaN (which stays NaN)
        return value
    if dtype == torch.bfloat16:
        bits = struct.unpack("<I", struct.pack("<f", rounded(value, torch.float32)))[0]
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    try:
        return struct.unpack(_PACKED[dtype], struct.pack(_PACKED[dtype], value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def fits(value: float, dtype: torch.dtype) -> bool:
    """Whether torch converts the scalar ``value`` to ``dtype`` without its overflow error: a
    finite value must lie within the dtype's range (inf and NaN convert)."""
    return not math.isfinite(value) or abs(value) <= _LARGEST[dtype]


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
