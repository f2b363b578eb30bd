"""Few-bit saved activations: forward writes ``y = f(x)`` and a ``BITS``-bit code per element in
one pass; backward reads the codes and the upstream gradient only.

A code says which piece of the derivative an element is on:

- ``SMOOTH``: the interval of ``x`` among the ``2**BITS - 1`` boundaries (the number of
  boundaries below ``x``); backward multiplies ``g`` by that interval's level. The table holds
  the boundaries, then the levels (fp32).
- piecewise-linear (``SMOOTH`` false, one bit): whether the op's own backward, probed with
  ``g = 1`` at the saved tensor exact mode would read (``x``, or ``y`` as stored), equals its
  value at the table's second representative point. Backward runs the op's own backward at the
  code's representative point (the table: code 0's, code 1's), so the gradient is exact mode's
  bit for bit, kinks and NaN included.

Codes are packed eight elements to ``BITS`` bytes (little-endian: element ``8i + j`` holds bits
``BITS*j .. BITS*j + BITS - 1`` of group ``i``'s word), in registers: the block is reshaped to
``[BLOCK // 8, 8]``, shifted and summed along the last axis. Both kernels run over ``n``
elements in one memory order (the launcher's), the codes in that order.
"""

import triton
import triton.language as tl

from .io import INTERPRETED, block_indices, load, param, round_to_bf16, store, widen_bf16


@triton.jit
def as_stored(value, ptr):
    """``value`` as a load of it from ``ptr`` would read it back after :func:`io.store`: cast to
    the pointer's dtype (rounding as ``store`` does) and widened as ``load`` does."""
    dtype: tl.constexpr = ptr.dtype.element_ty
    if INTERPRETED and dtype == tl.bfloat16:
        narrow = round_to_bf16(value.to(tl.float32))
    else:
        narrow = value.to(dtype)
    v = widen_bf16(narrow)
    if v.dtype != tl.float64:
        v = v.to(tl.float32)
    return v


@triton.jit(do_not_specialize=["a_bits", "b_bits", "c_bits", "d_bits"])
def forward(x_ptr, y_ptr, codes_ptr, table_ptr, n, a, a_bits: tl.int64, b, b_bits: tl.int64,
            c, c_bits: tl.int64, d, d_bits: tl.int64,
            FORWARD: tl.constexpr, BACKWARD: tl.constexpr, BITS: tl.constexpr,
            SMOOTH: tl.constexpr, FROM_OUTPUT: tl.constexpr, BLOCK: tl.constexpr,
            WIDE: tl.constexpr):
    """``y = FORWARD(x, a, b)`` and the packed codes; ``c``, ``d``: backward's parameters."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    x = load(x_ptr, idx, mask)
    y = FORWARD(x, param(a, a_bits, x.dtype), param(b, b_bits, x.dtype))
    store(y_ptr, idx, y, mask)
    if SMOOTH:
        code = tl.zeros([BLOCK], tl.uint32)
        for i in tl.static_range((1 << BITS) - 1):
            code += (x > tl.load(table_ptr + i).to(x.dtype)).to(tl.uint32)
    else:
        t = x
        if FROM_OUTPUT:
            t = as_stored(y, y_ptr)
        pc = param(c, c_bits, t.dtype)
        pd = param(d, d_bits, t.dtype)
        one = tl.full([BLOCK], 1.0, t.dtype)
        rep = tl.load(table_ptr + 1).to(t.dtype)
        code = (BACKWARD(one, t, pc, pd) == BACKWARD(one, rep, pc, pd)).to(tl.uint32)
    code = tl.where(mask, code, 0)
    word = tl.sum(tl.reshape(code, [BLOCK // 8, 8]) << (tl.arange(0, 8) * BITS)[None, :], axis=1)
    group = block_indices(BLOCK // 8, WIDE)
    k = tl.arange(0, 4)
    packed = ((word[:, None] >> (k * 8)[None, :]) & 0xFF).to(tl.uint8)
    tl.store(codes_ptr + group[:, None] * BITS + k[None, :], packed,
             mask=(k[None, :] < BITS) & (group[:, None] * 8 < n))


@triton.jit(do_not_specialize=["c_bits", "d_bits"])
def backward(g_ptr, codes_ptr, table_ptr, dx_ptr, n, c, c_bits: tl.int64, d, d_bits: tl.int64,
             BACKWARD: tl.constexpr, BITS: tl.constexpr, SMOOTH: tl.constexpr,
             BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """``dx = g * level[code]`` (smooth) or ``BACKWARD(g, rep[code], c, d)`` (piecewise)."""
    group = block_indices(BLOCK // 8, WIDE)
    k = tl.arange(0, 4)
    packed = tl.load(codes_ptr + group[:, None] * BITS + k[None, :],
                     mask=(k[None, :] < BITS) & (group[:, None] * 8 < n), other=0)
    word = tl.sum(packed.to(tl.uint32) << (k * 8)[None, :], axis=1)
    code = (word[:, None] >> (tl.arange(0, 8) * BITS)[None, :]) & ((1 << BITS) - 1)
    code = tl.reshape(code, [BLOCK])
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    g = load(g_ptr, idx, mask)
    if SMOOTH:
        level = tl.load(table_ptr + ((1 << BITS) - 1) + code, mask=mask, other=0.0)
        dx = g * level.to(g.dtype)
    else:
        rep = tl.where(code != 0, tl.load(table_ptr + 1), tl.load(table_ptr)).to(g.dtype)
        dx = BACKWARD(g, rep, param(c, c_bits, g.dtype), param(d, d_bits, g.dtype))
    store(dx_ptr, idx, dx, mask)


#: The audit's exceptions for these kernels (see ``kernels/elementwise.py``): the forward
#: computes the op's own forward (whose exceptions there apply) plus the code and its packing.
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "forward gelu:none": {"issue_rate": "erf is libdevice's polynomial (tl.erf), as exact "
                                        "mode's forward, plus three compares and the packing: "
                                        "52.8 instructions an element, 1.26 of the H200's "
                                        "ceiling at 16-bit (6 B an element: x, y, 2 bits)"},
    **{f"forward {op}": {"issue_rate": f"{what}, as exact mode's forward (which has the same "
                                       f"exception), plus three compares and the packing: "
                                       f"71-78 instructions an element, 1.7-1.9 of the H200's "
                                       f"ceiling at 16-bit, 1.02-1.07 at fp32"}
       for op, what in (("elu", "expm1 from exp and log"), ("selu", "expm1 from exp and log"),
                        ("celu", "expm1 from exp and log"),
                        ("softplus", "log1p(exp(-|x|)) from exp and log"))},
}
_PACKING_REGISTERS = ("the packing's layout conversion (eight codes a byte group, through "
                      "shared memory) while the forward's exp/log intermediates are live: "
                      "{} registers at 16-bit (exact mode's forward: 32); a follow-up could "
                      "pack in the load's own layout")
AUDIT_EXCEPTIONS["forward selu"] = {**AUDIT_EXCEPTIONS["forward selu"],
                                    "registers": _PACKING_REGISTERS.format("42-54")}
AUDIT_EXCEPTIONS["forward softplus"] = {**AUDIT_EXCEPTIONS["forward softplus"],
                                        "registers": _PACKING_REGISTERS.format("34-35")}
AUDIT_EXCEPTIONS["forward mish"] = {"registers": _PACKING_REGISTERS.format("36 (bf16)")}
