"""Generic elementwise kernels: the activation's math arrives as a ``tl.constexpr`` function.

Three kernels serve every elementwise activation, each in two layouts:

- ``forward``: ``y = FORWARD(x, a, b)``
- ``backward``: ``dx = BACKWARD(g, t, a, b)`` with ``t`` the saved input or output
- ``second`` (double backward, contiguous only): ``dg = BACKWARD(gg, t)``, ``dt = SECOND(gg, g, t)``

The flat variants treat every operand as one run of ``n`` elements in memory order: the launcher
uses them whenever all operands share one dense layout (contiguous, channels_last, transposed,
any permutation). The ``_strided`` variants take up to four (coalesced) dims with a stride per
operand, for views that are not dense (steps, expands) or operands whose layouts differ.

Loads are upcast to fp32 (fp16, bf16, fp32) or kept in fp64, and stores cast back to the output's
dtype. A scalar parameter arrives twice: as an fp32 argument (``a``) that fp16/bf16/fp32 kernels
use, and as the int64 bit pattern of the Python float (``a_bits``) that fp64 kernels reinterpret,
so fp64 kernels see it exactly and the others never hold an fp64 scalar. ``WIDE`` switches
indices to int64 for tensors whose offsets can pass 2**31. The loads, stores and parameters are
``io``'s, shared with the other kernels.
"""

import triton
import triton.language as tl

from .io import block_indices, load, param, store


@triton.jit
def _offsets(idx, size1, size2, size3, stride0, stride1, stride2, stride3):
    """Memory offsets of linear indices ``idx`` over a 4-d shape (dim 0's size is implied)."""
    i3 = idx % size3
    rest = idx // size3
    i2 = rest % size2
    rest = rest // size2
    i1 = rest % size1
    i0 = rest // size1
    return i0 * stride0 + i1 * stride1 + i2 * stride2 + i3 * stride3


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def forward(x_ptr, y_ptr, n, a, a_bits: tl.int64, b, b_bits: tl.int64,
            FORWARD: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """y = FORWARD(x) over n elements in memory order."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    x = load(x_ptr, idx, mask)
    y = FORWARD(x, param(a, a_bits, x.dtype), param(b, b_bits, x.dtype))
    store(y_ptr, idx, y, mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def forward_strided(x_ptr, y_ptr, n, a, a_bits: tl.int64, b, b_bits: tl.int64,
                    size1, size2, size3, xs0, xs1, xs2, xs3, ys0, ys1, ys2, ys3,
                    FORWARD: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """y = FORWARD(x) where x and y each have their own strides over one 4-d shape."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    x = load(x_ptr, _offsets(idx, size1, size2, size3, xs0, xs1, xs2, xs3), mask)
    y = FORWARD(x, param(a, a_bits, x.dtype), param(b, b_bits, x.dtype))
    y_offsets = _offsets(idx, size1, size2, size3, ys0, ys1, ys2, ys3)
    store(y_ptr, y_offsets, y, mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def backward(g_ptr, t_ptr, dx_ptr, n, a, a_bits: tl.int64, b, b_bits: tl.int64,
             BACKWARD: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """dx = BACKWARD(g, t) over n elements in memory order."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    g = load(g_ptr, idx, mask)
    t = load(t_ptr, idx, mask)
    dx = BACKWARD(g, t, param(a, a_bits, t.dtype), param(b, b_bits, t.dtype))
    store(dx_ptr, idx, dx, mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def backward_strided(g_ptr, t_ptr, dx_ptr, n, a, a_bits: tl.int64, b, b_bits: tl.int64,
                     size1, size2, size3, gs0, gs1, gs2, gs3, ts0, ts1, ts2, ts3,
                     ds0, ds1, ds2, ds3,
                     BACKWARD: tl.constexpr, BLOCK: tl.constexpr, WIDE: tl.constexpr):
    """dx = BACKWARD(g, t) where g, t and dx each have their own strides over one 4-d shape."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    g = load(g_ptr, _offsets(idx, size1, size2, size3, gs0, gs1, gs2, gs3), mask)
    t = load(t_ptr, _offsets(idx, size1, size2, size3, ts0, ts1, ts2, ts3), mask)
    dx = BACKWARD(g, t, param(a, a_bits, t.dtype), param(b, b_bits, t.dtype))
    dx_offsets = _offsets(idx, size1, size2, size3, ds0, ds1, ds2, ds3)
    store(dx_ptr, dx_offsets, dx, mask)


@triton.jit(do_not_specialize=["a_bits", "b_bits"])
def second(gg_ptr, g_ptr, t_ptr, dg_ptr, dt_ptr, n, a, a_bits: tl.int64, b, b_bits: tl.int64,
           BACKWARD: tl.constexpr, SECOND: tl.constexpr, BLOCK: tl.constexpr,
           WIDE: tl.constexpr):
    """Double backward of dx = BACKWARD(g, t): dg = BACKWARD(gg, t), dt = SECOND(gg, g, t)."""
    idx = block_indices(BLOCK, WIDE)
    mask = idx < n
    gg = load(gg_ptr, idx, mask)
    g = load(g_ptr, idx, mask)
    t = load(t_ptr, idx, mask)
    a = param(a, a_bits, t.dtype)
    b = param(b, b_bits, t.dtype)
    store(dg_ptr, idx, BACKWARD(gg, t, a, b), mask)
    store(dt_ptr, idx, SECOND(gg, g, t, a, b), mask)


#: Where the kernel audit (``python -m tritonact audit``) must not hold a kernel to its gate, and
#: why: per kernel, or per kernel and op (``"forward elu"``). Keys: "vector_width" (or one of
#: "load_width", "store_width"), "registers", "spills", "fp64", "issue_rate". The issue rates
#: are the audit's counts (triton 3.8, sm_90, 16-bit, 4 B an element forward and 6 backward).
_STRIDED = {
    "vector_width": "a view that is not dense has no contiguous run: one element per index",
    "registers": "4-d index arithmetic per operand (50-70 registers): the slow path for views "
                 "that are not dense, bound by integer division and scattered accesses, not by "
                 "occupancy",
    "issue_rate": "three integer divisions an operand an element (75-130 instructions an "
                  "element): the slow path for views that are not dense",
}
_EXPM1 = {"issue_rate": "expm1 built from exp and log with Kahan's correction (an exp, a log and "
                        "a division; libdevice's is not in the interpreter, which must run the "
                        "same math): 54-58 instructions an element, 1.95-2.09 of the H200's "
                        "ceiling (celu's fp32 forward 1.02)"}
_LOG1P = {"issue_rate": "log1p(exp(-|x|)) built from exp and log with Kahan's correction: 47 "
                        "(logsigmoid) and 55 (softplus) instructions an element, 1.68 and 1.97 "
                        "of the H200's ceiling"}
_TANH = {"issue_rate": "the exp-built tanh evaluates both its Taylor branch and its exp branch "
                       "(a select, not a branch): 31 instructions an element, 1.12-1.13 of the "
                       "H200's ceiling"}
AUDIT_EXCEPTIONS: dict[str, dict[str, str]] = {
    "forward_strided": _STRIDED,
    "backward_strided": _STRIDED,
    "forward elu": _EXPM1,
    "forward selu": _EXPM1,
    "forward celu": _EXPM1,
    "forward softplus": _LOG1P,
    "forward logsigmoid": _LOG1P,
    "forward tanh": _TANH,
    "forward tanhshrink": _TANH,
    "forward gelu:none": {"issue_rate": "erf is libdevice's polynomial (tl.erf): 36.8 "
                                        "instructions an element, 1.32 of the H200's ceiling"},
    "backward gelu:none": {"issue_rate": "erf and exp: 47.8 instructions an element, 1.14 of "
                                         "the H200's ceiling"},
    "second": {
        "registers": "double backward holds three inputs and two outputs per element (40-50 "
                     "registers); it runs only under create_graph=True, not in training's hot "
                     "path",
    },
}
