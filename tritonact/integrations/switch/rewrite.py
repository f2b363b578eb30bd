"""The switch under ``torch.compile(backend="inductor")``: a graph pass that puts the
activations a model's own code calls inline on tritonact's kernels.

The switch's aten registrations serve eager code and the aot_eager backend, but Inductor lowers
aten operators into code of its own, so with the switch alone a compiled model's inline
``torch.tanh`` or ``F.softmax`` runs Inductor's kernel. While the switch is on (``enable()``,
``use()``), this pass is Inductor's ``pre_grad_custom_pass``: before autograd traces the graph
dynamo captured, it

- replaces each call of a torch activation the switch serves (``F.gelu``, ``torch.tanh``,
  ``x.softmax(-1)``, ``F.relu_``, ...: a function of ``torch.nn.functional``, ``torch`` or a
  ``Tensor`` method with the name and arguments of a ``tritonact.functional`` function) by that
  tritonact function, so autograd traces tritonact's autograd Function and Inductor keeps its
  custom ops, forward and backward;
- fuses ``act(a) * b`` (either order) into the gated two-tensor form (``silu_mul``,
  ``gelu_mul``, ``relu_mul``, ...) where the activation's only use is the product and ``a`` and
  ``b`` have one shape, dtype and device (no broadcasting or promotion to reproduce), and the
  activation is one the switch serves (the gated ops have no aten operator of their own).

It rewrites only calls on tensors the kernels serve (from the shapes dynamo recorded) and only
for the registry ops the switch serves now (``include``/``exclude``). A graph compiled before
the switch was turned on keeps its code: dynamo does not recompile for a config change
(``torch._dynamo.reset()`` does).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import operator
import os
import threading
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch._inductor import config
from torch._inductor.custom_graph_pass import CustomGraphPass
from torch.fx.operator_schemas import normalize_function

from tritonact.autograd import launch

#: While a rewritten call is traced, the tritonact functions accept aot_autograd's
#: functional tensors (:func:`tritonact.autograd.launch.served`).
_tracing = launch.REWRITE_TRACING


@functools.cache
def _functions() -> dict[str, Callable]:
    from tritonact import functional

    return {name: getattr(functional, name) for name in functional.__all__}


class _Traced:
    """A tritonact function as a graph target: it lets the functions serve aot_autograd's
    functional tensors while it runs (FX names a call by its ``__name__``)."""

    def __init__(self, name: str) -> None:
        self.function = _functions()[name]
        self.__name__ = f"tritonact_{name}"
        self.__qualname__ = self.__name__
        self.__module__ = __name__

    def __call__(self, *args, **kwargs):
        previous = _tracing.active
        _tracing.active = True
        try:
            return self.function(*args, **kwargs)
        finally:
            _tracing.active = previous

    def __repr__(self) -> str:
        return self.__name__

    def __reduce__(self):
        return _rewritten, (self.__name__.removeprefix("tritonact_"),)


@functools.cache
def _rewritten(name: str) -> _Traced:
    """The graph's new target for ``tritonact.functional.<name>`` (one object per name)."""
    return _Traced(name)


def __getattr__(attribute: str) -> _Traced:
    """``tritonact_<name>``: a rewritten call's target found by its qualified name (as FX's
    code and Inductor's caches name it)."""
    name = attribute.removeprefix("tritonact_")
    if name != attribute and name in _functions():
        return _rewritten(name)
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


@functools.cache
def _torch_callables() -> dict[object, str]:
    """torch's callables with a tritonact twin of the same name: ``F.<name>``, ``torch.<name>``
    and ``torch._C._nn.<name>`` (the Tensor methods are matched by name)."""
    table: dict[object, str] = {}
    for name in _functions():
        for owner in (F, torch, torch._C._nn):
            fn = getattr(owner, name, None)
            if callable(fn) and not isinstance(fn, type):
                table.setdefault(fn, name)
    return table


@functools.cache
def _gated_twins() -> dict[str, str]:
    """Elementwise op -> the gated two-tensor function computing ``op(a) * b``: the gated op
    whose gate math is the elementwise op's (the same kernel keys)."""
    from tritonact.registry import SPECS

    def keys(spec) -> frozenset[str]:
        math = spec.math
        return frozenset(m.key for m in (math.values() if isinstance(math, dict) else (math,)))

    gated = {keys(s): s.mul_name for s in SPECS if getattr(s, "mul_name", None)}
    return {s.name: gated[keys(s)] for s in SPECS
            if s.family == "elementwise" and keys(s) in gated}


def _value(node_or_value):
    return (node_or_value.meta.get("example_value")
            if isinstance(node_or_value, torch.fx.Node) else node_or_value)


def _served(value) -> bool:
    return (isinstance(value, torch.Tensor) and value.layout == torch.strided
            and value.dtype in launch.KERNEL_DTYPES
            and (value.is_cuda or (launch.INTERPRET and value.device.type == "cpu")))


def _name_of(node: torch.fx.Node) -> str | None:
    if node.op == "call_function":
        try:
            return _torch_callables().get(node.target)
        except TypeError:  # an unhashable target
            return None
    if node.op == "call_method" and node.target in _functions():
        return node.target
    return None


def _arguments(node: torch.fx.Node, name: str) -> dict | None:
    """The call's arguments by tritonact's parameter names, or None where they do not bind."""
    target = node.target
    args = node.args
    if node.op == "call_method":
        target = getattr(torch, name, None)
        if target is None:
            return None
    types = tuple(torch.Tensor if isinstance(a, torch.fx.Node) else type(a) for a in args)
    kwarg_types = {k: torch.Tensor if isinstance(v, torch.fx.Node) else type(v)
                   for k, v in node.kwargs.items()}
    try:
        pair = normalize_function(target, args, node.kwargs, arg_types=types,
                                  kwarg_types=kwarg_types, normalize_to_only_use_kwargs=True)
    except Exception:  # an ambiguous or unknown schema: the call stays torch's
        pair = None
    if pair is None:
        return None
    kwargs = dict(pair.kwargs)
    if "self" in kwargs:
        kwargs["input"] = kwargs.pop("self")
    try:
        inspect.signature(_functions()[name]).bind(**kwargs)
    except TypeError:
        return None
    return kwargs


_MULTIPLY = (operator.mul, torch.mul)


def _is_multiply(node: torch.fx.Node) -> bool:
    return ((node.op == "call_function" and node.target in _MULTIPLY)
            or (node.op == "call_method" and node.target == "mul")) and not node.kwargs


def rewrite(graph: torch.fx.Graph, ops: frozenset[str]) -> int:
    """Rewrite ``graph`` (dynamo's, before autograd) in place: activation calls of the registry
    ops in ``ops`` become tritonact's, ``act(a) * b`` the gated two-tensor call. Returns the
    number of calls rewritten."""
    from tritonact.registry import OP_NAMES

    rewritten = 0
    acts: dict[torch.fx.Node, tuple[str, dict]] = {}
    for node in list(graph.nodes):
        name = _name_of(node)
        if name is None or OP_NAMES[name] not in ops:
            continue
        kwargs = _arguments(node, name)
        if kwargs is None or not _served(_value(kwargs["input"])):
            continue
        node.op, node.target, node.args, node.kwargs = "call_function", _rewritten(name), (), kwargs
        acts[node] = (name, kwargs)
        rewritten += 1
    twins = _gated_twins()
    for node in list(graph.nodes):
        if not _is_multiply(node) or len(node.args) != 2:
            continue
        for act, other in (node.args, node.args[::-1]):
            fused = _fusion(act, other, acts, twins)
            if fused is not None:
                node.op, node.target, node.args, node.kwargs = "call_function", *fused
                graph.erase_node(act)
                break
    return rewritten


def _fusion(act, other, acts, twins):
    """``(target, args, kwargs)`` of the gated call computing ``act * other``, or None."""
    if act not in acts or not isinstance(other, torch.fx.Node) or len(act.users) != 1:
        return None
    name, kwargs = acts[act]
    twin = twins.get(name)
    if twin is None or kwargs.get("inplace"):
        return None
    gate, up = _value(kwargs["input"]), _value(other)
    if not (_served(up) and gate.shape == up.shape and gate.dtype == up.dtype
            and gate.device == up.device):
        return None
    params = {k: v for k, v in kwargs.items() if k not in ("input", "inplace")}
    try:
        inspect.signature(_functions()[twin]).bind(gate, up, **params)
    except TypeError:
        return None
    return _rewritten(twin), (kwargs["input"], other), params


@functools.cache
def _source_hash() -> str:
    """What Inductor's caches key the pass on: tritonact's source, every file of the installed
    package (the rewritten calls trace its functions, autograd Functions and custom ops)."""
    import tritonact.autograd
    import tritonact.kernels

    package = Path(__file__).resolve().parents[2]  # tritonact/
    digest = hashlib.sha256()
    folders = [package, *tritonact.autograd.__path__, *tritonact.kernels.__path__]
    for folder in folders:  # links not followed: kernels/ and autograd/ by their own paths
        for root, _, files in sorted(os.walk(folder)):
            for name in sorted(f for f in files if f.endswith(".py")):
                digest.update((Path(root) / name).read_bytes())
    return digest.hexdigest()


class InlineActivations(CustomGraphPass):
    """Inductor's ``pre_grad_custom_pass`` while the switch is on: :func:`rewrite` for the ops
    the switch serves, after the pass that was configured before (if any)."""

    def __init__(self, ops: frozenset[str], previous=None) -> None:
        self.ops = ops
        self.previous = previous

    def __call__(self, graph: torch.fx.Graph) -> None:
        if self.previous is not None:
            self.previous(graph)
        rewrite(graph, self.ops)

    def uuid(self) -> object:
        previous = None
        if self.previous is not None:
            if not isinstance(self.previous, CustomGraphPass):
                return None  # Inductor then runs the passes before its cache lookup
            previous = self.previous.uuid()
        return ("tritonact", _source_hash(), tuple(sorted(self.ops)), previous)


_install_lock = threading.Lock()


def install(ops: frozenset[str]) -> None:
    """Make Inductor's ``pre_grad_custom_pass`` rewrite ``ops`` (none: restore the pass that
    was configured before)."""
    with _install_lock:
        current = config.pre_grad_custom_pass
        previous = current.previous if isinstance(current, InlineActivations) else current
        config.pre_grad_custom_pass = InlineActivations(ops, previous) if ops else previous
