"""What every family of ops provides, and the pieces the families share.

A family (elementwise, row-wise, gated, learnable, randomized) is a spec type: a frozen
dataclass subclassing :class:`Spec`. One spec is one op; the spec knows how to build its
functional forms and modules, its ``verify`` rows, its benchmark ops and calls, its audit cases,
its ``list`` row and its aten overrides. Every consumer (``tritonact.functional``,
``tritonact.nn``, ``verify``, ``bench``, ``audit``, ``list``, the switch, the stubs) iterates
``tritonact.registry.SPECS`` and calls these methods: none of them names a family.
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tritonact.core.audit_case import Case, Launch
from tritonact.core.bench_op import Op
from tritonact.core.override import Override
from tritonact.core.testing import Row

REQUIRED = inspect.Parameter.empty
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Param:
    """A scalar parameter, as torch names it, with torch's default (``REQUIRED`` if none).

    ``choices`` marks a string parameter that selects the math (gelu's ``approximate``) rather
    than reaching the kernel as a number. ``input_dtype`` marks a parameter that torch converts
    to the input's dtype (hardtanh's bounds, threshold's value, the shrinks' lambd): a finite
    value beyond that dtype's range is torch's overflow error; the others convert to the compute
    type (fp32, or fp64 for fp64 inputs).
    """

    name: str
    default: object = REQUIRED
    keyword_only: bool = False
    choices: tuple[str, ...] = ()
    input_dtype: bool = False


@dataclass(frozen=True)
class BenchShapes:
    """A family's benchmark inputs. ``full``, ``quick`` and ``smoke``: the timed shapes per
    scale; ``headline``: the goal shape of the summary's headline table; ``host``: a tiny shape
    that times per-call CPU overhead; ``memory``: the shape per scale whose peak and saved bytes
    are measured (one of the timed ones)."""

    full: tuple[Shape, ...]
    quick: tuple[Shape, ...]
    smoke: tuple[Shape, ...]
    headline: Shape
    host: Shape
    memory: dict[str, Shape]


@dataclass(frozen=True)
class ListRow:
    """An op's row in ``python -m tritonact list``."""

    op: str
    parameters: str
    saves: str
    inplace: str
    module: str
    formula: str


class Spec(ABC):
    """The base of every family's spec type (each a frozen dataclass with ``name`` and
    ``formula`` fields). Subclasses define the abstract methods (a spec type missing one cannot
    be instantiated); the rest has defaults."""

    #: The family's name: bench's ``kind`` column, the registry's grouping.
    family: ClassVar[str]
    #: The family's benchmark inputs.
    bench_shapes: ClassVar[BenchShapes]
    name: str
    formula: str

    # --- the public API -----------------------------------------------------------------------

    @functools.cached_property
    def functions(self) -> dict[str, Callable[..., torch.Tensor]]:
        """Public name -> the functional form (built once, on first use)."""
        return {function.__name__: function for function in self.build_functions()}

    @abstractmethod
    def build_functions(self) -> list[Callable[..., torch.Tensor]]:
        """The functional forms, each named as ``tritonact.functional`` exports it."""
        ...

    @functools.cached_property
    def modules(self) -> dict[str, type[nn.Module]]:
        """Class name -> the ``tritonact.nn`` class (built once, on first use)."""
        return {cls.__name__: cls for cls in self.build_modules()}

    @abstractmethod
    def build_modules(self) -> list[type[nn.Module]]:
        """The ``tritonact.nn`` classes of this op (their forward calls ``self.functions``)."""
        ...

    @property
    def function(self) -> Callable[..., torch.Tensor]:
        """The op's main functional form (``functions[name]``)."""
        return self.functions[self.name]

    def public_names(self) -> tuple[str, ...]:
        """Every name ``list`` shows for this op: its own and its aliases (``relu_``,
        ``silu_mul``)."""
        return tuple(self.functions)

    def saved_bits_keys(self) -> tuple[str, ...]:
        """The kernel keys whose few-bit mode (``tritonact.saved_bits``) this op's calls use:
        none by default (the op has no few-bit mode)."""
        return ()

    @abstractmethod
    def list_row(self) -> ListRow:
        """This op's row in ``python -m tritonact list``."""

    # --- checks, benchmarks, machine code ------------------------------------------------------

    @abstractmethod
    def verify_rows(self, dtype: torch.dtype, device: Any) -> Iterator[Row]:
        """``verify``'s rows for this op in ``dtype`` on ``device``."""
        ...

    def bench_ops(self) -> list[Op]:
        """The parameter sets this op is benchmarked at (default: one, the op as called with
        its input and ``bench_leaves``)."""
        return [Op(self.family, self.name, (), self)]

    def bench_call(self, op: Op, provider: str) -> Callable[..., torch.Tensor]:
        """``provider``'s call (``tritonact`` or ``eager``) on the input and ``bench_leaves``
        (default: the functional form, or torch's function)."""
        return self.function if provider == "tritonact" else self.torch_fn

    def bench_leaves(self, op: Op, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Leaves the op takes besides its input (PReLU's weight)."""
        return ()

    def output_shape(self, shape: Shape) -> Shape:
        """The result's shape for an input of ``shape`` (a gated op halves the last dim)."""
        return shape

    @abstractmethod
    def audit_cases(self, archs: tuple[int, ...], dtypes: tuple[str, ...],
                    full: bool) -> list[Case]:
        """Every kernel this op launches, as audit cases."""
        ...

    @abstractmethod
    def audit_launch(self, case: Case) -> Launch:
        """The launch the launcher makes for ``case``: its kernel, arguments and tiling."""
        ...

    def audit_label(self, case: Case) -> str:
        """The audit summary's row for ``case``."""
        return case.op

    def aten_overrides(self) -> list[Override]:
        """The aten operators the switch implements for this op (none by default)."""
        return []

    @classmethod
    def family_overrides(cls, specs: list[Spec]) -> list[Override]:
        """The switch's overrides for the family's registered ``specs``: each one's
        ``aten_overrides`` (a family whose aten operators serve several ops, as aten::elu
        serves elu, selu and celu, groups them here instead)."""
        return [override for spec in specs for override in spec.aten_overrides()]


# --- shapes several families share ---------------------------------------------------------


#: The benchmark inputs of a flat elementwise op: 2^e elements (the elementwise and randomized
#: families).
FLAT_BENCH_SHAPES = BenchShapes(
    full=tuple((2**e,) for e in range(10, 29)),
    quick=tuple((2**e,) for e in (10, 16, 22, 28)),
    smoke=tuple((2**e,) for e in (10, 12)),
    headline=(2**28,), host=(2**10,),
    memory={"full": (2**24,), "quick": (2**22,), "smoke": (2**12,)})


def _channels(exponents, channels: int = 64) -> tuple[tuple[int, int], ...]:
    """Inputs ``[rows, channels]`` of 2^e elements (one weight per channel)."""
    return tuple((2**e // channels, channels) for e in exponents)


#: The benchmark inputs of an op with a weight per channel (the learnable and parametric
#: families): ``[rows, 64]`` of 2^e elements.
CHANNEL_BENCH_SHAPES = BenchShapes(
    full=_channels(range(10, 29)), quick=_channels((10, 16, 22, 28)),
    smoke=_channels((10, 12)), headline=(2**28 // 64, 64), host=(16, 64),
    memory={"full": (2**24 // 64, 64), "quick": (2**22 // 64, 64),
            "smoke": (2**12 // 64, 64)})
#: The audit's input for an op with a weight per channel: a convolution's activation,
#: [32, 64, 56 * 56] contiguous, one weight per channel.
CHANNEL_AUDIT_SHAPE = (32, 64, 56 * 56)
#: The programs the audit's reduction launches are tiled for: a 132-SM GPU, 8 programs an SM.
AUDIT_PROGRAMS = 8 * 132
#: Hidden sizes of today's LLM MLPs (the gated and biased families' benchmark shapes).
LLM_HIDDEN = (4096, 11008, 14336)


def llm_gated_shapes(tokens, hidden) -> tuple[tuple[int, int], ...]:
    """LLM-shaped gate-up inputs: ``tokens x 2*d`` (the fused gate and up projections)."""
    return tuple((t, 2 * d) for d in hidden for t in tokens)


# --- shared by the families' builders --------------------------------------------------------


def named(function: Callable, name: str, doc: str) -> Callable:
    """``function`` named ``name`` in ``tritonact.functional``, with ``doc``."""
    function.__name__ = function.__qualname__ = name
    function.__module__ = "tritonact.functional"
    function.__doc__ = doc
    return function


def subclass(base: type[nn.Module], forward: Callable, formula: str,
             name: str | None = None, doc: str | None = None) -> type[nn.Module]:
    """``base`` with ``forward`` replaced, in ``tritonact.nn``: named and documented as
    ``base`` when it is torch's class, else as ``name`` with ``doc``."""
    name = name or base.__name__
    if doc is None:
        doc = (f"{base.__name__} computed by tritonact's fused Triton kernels: {formula}.\n\n"
               f"Drop-in for :class:`torch.nn.{base.__name__}` (subclass; same arguments, "
               f"defaults, repr and state_dict).\n\n{base.__doc__ or ''}")
    return type(name, (base,), {"forward": forward, "__doc__": doc,
                                "__module__": "tritonact.nn", "__qualname__": name})


#: Bumps a tensor's version counter: an in-place kernel write outside autograd, so that a
#: tensor saved earlier for backward is seen to have changed (torch raises, as for its own ops).
increment_version = torch.autograd.graph.increment_version


def leaf_in_place(x: torch.Tensor) -> bool:
    """An in-place write torch refuses: a leaf (or a view of one) that requires grad."""
    return x.is_leaf or (x._is_view() and x._base.is_leaf and x._base.requires_grad)


def random_input(device: Any, dtype: torch.dtype) -> Callable[..., torch.Tensor]:
    """``r(*shape)``: normal values of standard deviation 3, drawn in fp64, in ``dtype``."""
    return lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)


def away_from(points: tuple[float, ...], device: Any, shape=(3, 4)) -> torch.Tensor:
    """Random fp64 inputs (a leaf that requires grad) at least 1e-3 from each of ``points``,
    where finite differences are valid (gradcheck's input)."""
    x = torch.randn(shape, dtype=torch.float64, device=device) * 3
    for p in points:
        x = torch.where((x - p).abs() < 1e-3, x + 1e-2, x)
    return x.requires_grad_()


def describe_params(params: dict[str, object]) -> str:
    """``alpha=0.5, inplace=True``, or ``defaults``."""
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"


def bind_arguments(name: str, names: tuple[str, ...], defaults: tuple, n_positional: int,
                   args: tuple, kwargs: dict) -> list:
    """Python's own argument binding, on precomputed names (the hot path skips it): the values
    of ``names`` in order (``args`` fill the first ``n_positional``), ``defaults`` where not
    given, Python's ``TypeError`` where the call does not fit."""
    if len(args) > n_positional:
        raise TypeError(f"{name}() takes {n_positional + 1} positional arguments but "
                        f"{len(args) + 1} were given")
    values = [*args, *defaults[len(args):]]
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
        i = names.index(key)
        if i < len(args):
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        values[i] = value
    missing = [n for n, v in zip(names, values) if v is REQUIRED]
    if missing:
        raise TypeError(f"{name}() missing required arguments: {', '.join(missing)}")
    return values
