"""Few-bit saved activations (issue 20): backward from a few bits per element instead of the
saved input or output.

``with tritonact.saved_bits(b):`` (or a module's ``saved_bits=b``) makes the covered ops save
``b``-bit codes, packed eight elements to ``b`` bytes, instead of a whole tensor:

- piecewise-linear ops (:data:`PIECEWISE`): their derivative takes two values, so one bit gives
  exact mode's gradient bit for bit (kinks and NaN included), whatever ``b`` asks for;
- smooth ops (:data:`SMOOTH`): the derivative is replaced by the optimal piecewise-constant
  approximation with ``2**b`` levels (Novikov et al., "Few-Bit Backward", arXiv 2202.00441):
  the boundaries and levels minimise ``integral (f'(x) - q(x))^2 w(x) dx`` with ``w`` the
  standard normal density (pre-activations after a normalisation layer are close to it; the
  paper's criterion weights by the input distribution). :func:`derive` finds them by dynamic
  programming over a grid of :data:`GRID` cells; the defaults' are shipped in
  ``tritonact.core.fewbit_levels`` (``tools/fewbit_levels.py`` writes it), other parameters' are
  derived on first use and cached.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
from collections.abc import Callable, Iterator

import torch

from tritonact.autograd.elementwise import Math
from tritonact.autograd.fewbit import FewbitFunction, Scheme
from tritonact.autograd.launch import PLAIN_TENSOR_TYPES, is_compiling, rounded

__all__ = ["ALLOWED_BITS", "PIECEWISE", "SMOOTH", "check_bits", "derive", "saved_bits",
           "scheme_for", "set_saved_bits"]

#: The bit counts ``saved_bits`` takes.
ALLOWED_BITS = (1, 2, 3, 4)

_NAN, _INF = math.nan, math.inf

#: A smooth op's few-bit quantization: (the boundaries, the levels).
Levels = tuple[tuple[float, ...], tuple[float, ...]]

#: Piecewise-linear ops (by kernel key): the representative points of code 0 and code 1, one
#: on each branch of the op's backward (``kernels.activations``) whatever the parameters. Code 1
#: is "the backward at this element equals the backward at the second point".
PIECEWISE: dict[str, tuple[float, float]] = {
    "relu": (-_INF, _NAN),           # y <= 0: 0; else (NaN too) g
    "relu6": (_INF, _NAN),           # y at a bound: 0; else g
    "hardtanh": (_INF, _NAN),
    "threshold": (-_INF, _NAN),      # t <= threshold: 0; else g
    "leaky_relu": (_NAN, _INF),      # t > 0: g; else (NaN too) g * negative_slope
    "hardshrink": (0.0, _NAN),       # |x| <= lambd: 0; else g
    "softshrink": (0.0, _NAN),
    "hardsigmoid": (_NAN, 0.0),      # -3 < x < 3: g / 6; else 0
}

#: Smooth ops (by kernel key) whose derivative is quantized; ``rrelu`` in eval mode is
#: leaky_relu's.
SMOOTH: frozenset[str] = frozenset({"gelu:none", "gelu:tanh", "silu", "mish", "elu", "selu",
                                    "celu", "softplus", "hardswish", "quick_gelu"})

#: The grid :func:`derive` works on: ``GRID`` cells of equal width over
#: ``[-GRID_LIMIT, GRID_LIMIT]``, the two outer cells extended to infinity.
GRID = 1200
GRID_LIMIT = 6.0

#: The enclosing block's bits: a context variable (per thread and task) for eager calls, and
#: its latest value in a plain dict for torch.compile, which cannot trace ``ContextVar.get``
#: (a graph break per activation) but guards on a global dict's entries (it recompiles when
#: the value changes). So under torch.compile the setting is the process's most recent one.
_BITS: contextvars.ContextVar[int | None] = contextvars.ContextVar("tritonact_saved_bits",
                                                                  default=None)
_TRACED: dict[str, int | None] = {"bits": None}


def check_bits(bits: int | None) -> int | None:
    """``bits`` if it is None or one of :data:`ALLOWED_BITS`, else ``ValueError``."""
    if bits is not None and (type(bits) is not int or bits not in ALLOWED_BITS):
        raise ValueError(f"saved_bits must be None (exact) or one of {ALLOWED_BITS}, got "
                         f"{bits!r}")
    return bits


def covers(key: str) -> bool:
    """Whether the op under kernel ``key`` has a few-bit mode."""
    return key in PIECEWISE or key in SMOOTH


@contextlib.contextmanager
def saved_bits(bits: int | None) -> Iterator[None]:
    """Within the block, the covered activations called with autograd recording save
    ``bits``-bit codes for backward instead of their input or output (None: exact, as
    outside). Ops without a few-bit mode (softmax, sigmoid, ...) run exact mode."""
    with _using(check_bits(bits)):
        yield


@contextlib.contextmanager
def _using(bits: int | None) -> Iterator[None]:
    token, traced = _BITS.set(bits), _TRACED["bits"]
    _TRACED["bits"] = bits
    try:
        yield
    finally:
        _BITS.reset(token)
        _TRACED["bits"] = traced


def current() -> int | None:
    """The bits the enclosing ``saved_bits`` block asks for (None: exact)."""
    if is_compiling():
        return _TRACED["bits"]
    return _BITS.get()


# --- levels ------------------------------------------------------------------------------------


def _normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x / math.sqrt(2.0))


def derive(derivative: Callable[[torch.Tensor], torch.Tensor], bits: tuple[int, ...] = ALLOWED_BITS,
           cells: int = GRID, limit: float = GRID_LIMIT) -> dict[int, Levels]:
    """For each of ``bits``, the ``2**bits - 1`` boundaries and ``2**bits`` levels of the
    piecewise-constant ``q`` minimising ``sum_cells w_i (f'(c_i) - q(c_i))^2``: ``c_i`` the
    cells' centres, ``w_i`` their standard normal mass. Each level is its interval's weighted
    mean of ``f'``; the boundaries are cell edges, chosen by dynamic programming over prefix
    sums (``O(2**max(bits) cells^2)``, one pass for every bit count)."""
    edges = torch.linspace(-limit, limit, cells + 1, dtype=torch.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    # each cell's mass from the nearer tail, so no cell's mass is lost to rounding near 1
    lower, upper = _normal_cdf(edges), _normal_cdf(-edges)
    lower[0], upper[-1] = 0.0, 0.0
    w = torch.where(centres < 0, lower[1:] - lower[:-1], upper[:-1] - upper[1:])
    f = derivative(centres)
    zero = torch.zeros(1, dtype=torch.float64)
    p0 = torch.cat([zero, torch.cumsum(w, 0)])
    p1 = torch.cat([zero, torch.cumsum(w * f, 0)])
    p2 = torch.cat([zero, torch.cumsum(w * f * f, 0)])
    # cost[i, j]: the weighted squared error of one level over cells i .. j - 1 (i < j)
    m0 = p0[None, :] - p0[:, None]
    m1 = p1[None, :] - p1[:, None]
    cost = (p2[None, :] - p2[:, None]) - m1 * m1 / m0.clamp_min(1e-300)
    idx = torch.arange(cells + 1)
    cost = torch.where(idx[:, None] < idx[None, :], cost.clamp_min(0.0), math.inf)
    best = cost[0]  # best[j]: the least error of k intervals over cells 0 .. j - 1
    choices = []  # choices[k - 2][j]: where the last of k intervals over cells 0 .. j - 1 starts
    out = {}
    for count in range(1, 2**max(bits) + 1):
        if count > 1:
            best, arg = (best[:, None] + cost).min(dim=0)
            choices.append(arg)
        if count.bit_length() - 1 in bits and count & (count - 1) == 0:
            out[count.bit_length() - 1] = _intervals(choices, cells, edges, p0, p1)
    return out


def _intervals(choices: list[torch.Tensor], cells: int, edges: torch.Tensor, p0: torch.Tensor,
               p1: torch.Tensor) -> Levels:
    """The boundaries and levels of the DP's best split into ``len(choices) + 1`` intervals."""
    cuts, end = [], cells
    for arg in reversed(choices):  # back from the last interval: where each one starts
        end = int(arg[end])
        cuts.append(end)
    starts = [0, *reversed(cuts)]
    ends = [*starts[1:], cells]
    boundaries = tuple(round(float(edges[s]), 9) + 0.0 for s in starts[1:])
    levels = tuple(float((p1[e] - p1[s]) / (p0[e] - p0[s])) for s, e in zip(starts, ends))
    return boundaries, levels


def torch_derivative(fn: Callable, params: dict) -> Callable[[torch.Tensor], torch.Tensor]:
    """``f'`` of torch's function (fp64 autograd, CPU)."""
    def derivative(x: torch.Tensor) -> torch.Tensor:
        x = x.detach().clone().requires_grad_()
        (grad,) = torch.autograd.grad(fn(x, **params).sum(), x)
        return grad.detach()
    return derivative


def op_params(spec, m: Math, floats: dict) -> dict:
    """The op's keyword arguments for ``m``: the float parameters and the choice naming ``m``."""
    params = {p: floats[p] for p in spec.float_params}
    if spec.choice is not None:
        params[spec.choice.name] = next(c for c in spec.choice.choices if spec.math_for(c) is m)
    return params


_DERIVED: dict[tuple, Levels] = {}


def levels_for(spec, key: str, params: dict, bits: int) -> Levels:
    """The boundaries and levels for a smooth op: shipped for its default parameters, derived
    once per parameter set otherwise."""
    from tritonact.core.fewbit_levels import LEVELS

    floats = tuple(float(params[p]) for p in spec.float_params)
    defaults = tuple(float(spec.defaults[p]) for p in spec.float_params)
    if floats == defaults and (key, bits) in LEVELS:
        return LEVELS[key, bits]
    cache_key = (key, floats, bits)
    found = _DERIVED.get(cache_key)
    if found is None:
        fn = spec.reference or spec.torch_fn
        found = _DERIVED[cache_key] = derive(torch_derivative(fn, params), (bits,))[bits]
    return found


_SCHEMES: dict[tuple, Scheme | None] = {}


def scheme_for(spec, m: Math, bits: int, floats: tuple[float, ...]) -> Scheme | None:
    """The few-bit scheme for an elementwise op's call (None: the op has no few-bit mode)."""
    key = (m.key, bits, floats)
    if key in _SCHEMES:
        return _SCHEMES[key]
    if m.key in PIECEWISE:
        scheme = Scheme(m, 1, False, PIECEWISE[m.key])
    elif m.key in SMOOTH:
        params = op_params(spec, m, dict(zip(spec.float_params, floats)))
        boundaries, levels = levels_for(spec, m.key, params, bits)
        scheme = Scheme(m, bits, True, boundaries + levels)
    else:
        scheme = None
    if len(_SCHEMES) >= 1024:
        _SCHEMES.clear()
    _SCHEMES[key] = scheme
    return scheme


def apply(spec, m: Math, bits: int, x: torch.Tensor, floats: tuple[float, ...], inplace: bool,
          keep_output: bool) -> torch.Tensor | None:
    """The few-bit autograd call of an elementwise op (None: no few-bit mode, or a DTensor or
    other tensor subclass, whose sharding the few-bit ops do not describe: run exact)."""
    if type(x) not in PLAIN_TENSOR_TYPES:
        return None
    s = scheme_for(spec, m, bits, floats)
    if s is None:
        return None
    a, b = (*floats, 0.0, 0.0)[:2]
    c, d = a, b
    if m.forward_rounds:
        a, b = rounded(a, x.dtype), rounded(b, x.dtype)
    if m.backward_rounds:
        c, d = rounded(c, x.dtype), rounded(d, x.dtype)
    return FewbitFunction.apply(x, s, a, b, c, d, keep_output, inplace)


# --- modules ---------------------------------------------------------------------------------


def with_saved_bits(cls: type[torch.nn.Module], name: str, keys: tuple[str, ...],
                    note: str = "") -> type[torch.nn.Module]:
    """``cls`` (a ``tritonact.nn`` class) with a keyword-only ``saved_bits`` constructor argument:
    None (the default) follows the enclosing ``tritonact.saved_bits`` block (exact outside one);
    1 to 4 makes the module save that many bits per element whatever the block says. ``keys``:
    the op's kernel keys; an op without a few-bit mode raises ``ValueError`` for a bit count."""
    base_init, base_forward, base_repr = cls.__init__, cls.forward, cls.extra_repr
    covered = all(covers(key) for key in keys)

    def __init__(self, *args, saved_bits: int | None = None, **kwargs) -> None:
        base_init(self, *args, **kwargs)
        check_bits(saved_bits)
        if saved_bits is not None and not covered:
            raise ValueError(f"{cls.__name__}: {name} has no few-bit mode (saved_bits covers the "
                             f"ops computed by the kernels of {', '.join(covered_kernels())})")
        self.saved_bits = saved_bits

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        bits = getattr(self, "saved_bits", None)
        if bits is None:
            return base_forward(self, input)
        if is_compiling():  # a plain dict write, which the trace replays (no ContextVar)
            outer = _TRACED["bits"]
            _TRACED["bits"] = bits
            try:
                return base_forward(self, input)
            finally:
                _TRACED["bits"] = outer
        with _using(bits):
            return base_forward(self, input)

    def extra_repr(self) -> str:
        text = base_repr(self)
        bits = getattr(self, "saved_bits", None)
        if bits is None:
            return text
        return f"{text}, saved_bits={bits}" if text else f"saved_bits={bits}"

    signature = inspect.signature(base_init)
    if covered:  # the signature shows saved_bits where it takes a bit count
        params = list(signature.parameters.values())
        params.insert(len(params) - any(p.kind == p.VAR_KEYWORD for p in params),
                      inspect.Parameter("saved_bits", inspect.Parameter.KEYWORD_ONLY,
                                        default=None, annotation="int | None"))
        signature = signature.replace(parameters=params)
    __init__.__signature__ = signature
    __init__.__doc__ = base_init.__doc__
    forward.__doc__ = base_forward.__doc__
    cls.__init__, cls.forward, cls.extra_repr = __init__, forward, extra_repr
    cls.saved_bits_covered = covered
    if cls.__doc__ and covered:
        cls.__doc__ += (f"\n\nKeyword-only ``saved_bits`` (1 to 4, default None): save that many "
                        f"bits per element for backward instead of a whole tensor "
                        f"(``tritonact.saved_bits``){note}.")
    return cls


def set_saved_bits(model: torch.nn.Module, bits: int | None) -> int:
    """Set ``saved_bits`` on every module of ``model`` (itself included) that has a few-bit
    mode (``replace_activations`` and ``patch`` pass theirs on); returns how many."""
    check_bits(bits)
    count = 0
    for module in model.modules():
        if getattr(type(module), "saved_bits_covered", False):
            module.saved_bits = bits
            count += 1
    return count


def covered_kernels() -> list[str]:
    """The kernels (by op name) that have a few-bit mode: an op computed by one of them
    (rrelu by leaky_relu's) has it too."""
    return sorted({key.split(":")[0] for key in (*PIECEWISE, *SMOOTH)})
