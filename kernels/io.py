"""Loads, stores and scalar parameters shared by the kernels, and the one place for the
workarounds that Triton's interpreter needs.

Triton's interpreter (``TRITON_INTERPRET=1``, the CPU path) differs from the GPU in two bf16
casts: it flushes bf16 subnormals when it widens bf16 to fp32, and it truncates fp32 -> bf16
where GPUs round to nearest even. Under the interpreter the helpers below do both casts on the
bits instead (``widen_bf16``, ``round_to_bf16``), which gives the GPU's result; compiled, they are
the plain casts. Every other step is the same code on both paths.
"""

import os

import triton
import triton.language as tl

#: True when Triton runs kernels in its CPU interpreter (``TRITON_INTERPRET=1`` before triton is
#: imported); read once, here.
INTERPRET: bool = os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")

#: ``INTERPRET`` as ``@triton.jit`` code reads it (a global must be a ``tl.constexpr``).
INTERPRETED = tl.constexpr(INTERPRET)


@triton.jit
def widen_bf16(v):
    """``v`` unchanged, except bf16 under the interpreter: fp32 from its bits (the interpreter's
    own cast flushes bf16 subnormals; the GPU's keeps them, as this does)."""
    if INTERPRETED and v.dtype == tl.bfloat16:
        v = (v.to(tl.uint16, bitcast=True).to(tl.uint32) << 16).to(tl.float32, bitcast=True)
    return v


@triton.jit
def round_to_bf16(v):
    """fp32 -> bf16, round to nearest even, by integer arithmetic on the bits (NaN stays NaN)."""
    bits = v.to(tl.uint32, bitcast=True)
    bits = bits + 0x7FFF + ((bits >> 16) & 1)
    return (bits >> 16).to(tl.uint16).to(tl.bfloat16, bitcast=True)


@triton.jit
def load(ptr, offsets, mask):
    """Load and upcast: fp64 stays fp64, everything else computes in fp32."""
    v = widen_bf16(tl.load(ptr + offsets, mask=mask))
    if v.dtype != tl.float64:
        v = v.to(tl.float32)
    return v


@triton.jit
def store(ptr, offsets, value, mask):
    """Cast to the output's dtype (round to nearest even) and store. Under the interpreter a bf16
    output is rounded by hand from fp32 (an fp64 value is cast to fp32 first)."""
    if INTERPRETED and ptr.dtype.element_ty == tl.bfloat16:
        value = round_to_bf16(value.to(tl.float32))
    tl.store(ptr + offsets, value.to(ptr.dtype.element_ty), mask=mask)


@triton.jit
def param(value, bits, dtype: tl.constexpr):
    """A scalar parameter in the compute dtype: fp64 from its exact bits, else the fp32 value."""
    if dtype == tl.float64:
        return bits.to(tl.int64).to(tl.float64, bitcast=True)
    return tl.full([], value, dtype)


@triton.jit
def block_indices(BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """This program's linear indices; the program id is widened before multiplying."""
    pid = tl.program_id(0)
    if WIDE:
        pid = pid.to(tl.int64)
    return pid * BLOCK + tl.arange(0, BLOCK)
