"""``tritonact.patch(model)``: a real model (Hugging Face's Llama, Qwen2, Mixtral, Gemma2, GPT-2,
BERT, ...) on tritonact's kernels, fused gated MLPs included; ``tritonact.unpatch(model)`` undoes
it.

The model is walked once and each module is patched by what its type is, not by which
architecture the model is:

- activation modules: :func:`tritonact.integrations.replace.replace` (torch's, Hugging
  Face's, timm's);
- gated MLPs with separate projections, whose ``forward`` is
  ``down_proj(act_fn(gate_proj(x)) * up_proj(x))`` (Llama, Mistral, Qwen2, Qwen3, Gemma,
  Gemma2, ...): ``down_proj(silu_mul(gate_proj(x), up_proj(x)))`` (``gelu_mul``, ``relu_mul``
  for other activations);
- gated MLPs with one fused gate-up projection whose ``forward`` splits it in two halves, gate
  first (Phi-3): ``down_proj(swiglu(gate_up_proj(x)))`` (``geglu``, ``reglu``);
- transformers' mixture-of-experts classes that gate through transformers' default
  ``_apply_gate`` hook (``act_fn(gate) * up`` on the halves; Mixtral's, Qwen2-MoE's, ...):
  ``_apply_gate`` becomes ``swiglu`` (``geglu``, ``reglu``).

An MLP is recognised by its class's ``forward`` source: its statements, with the argument
renamed, must be one of the patterns above exactly (:data:`_PATTERNS`), and its activation one
whose gated kernel computes the same formula. Anything else is left alone and reported. A
patched module's class becomes a subclass of its own (same name, ``isinstance`` unchanged,
the state_dict and parameters untouched) overriding ``forward`` or ``_apply_gate`` with the
fused call and nothing more, so the hot path is the fused kernel. Under ``torch.compile`` the
fused calls are tritonact's custom ops, which Inductor keeps as they are.

``patch`` is idempotent (a second call changes nothing) and records what it did on the model,
so that ``unpatch`` restores each class and each replaced module object.
"""

from __future__ import annotations

import ast
import functools
import inspect
import logging
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch.nn.functional as F
from torch import nn

from tritonact.integrations.replace import Factory, Selector, replace, replacements
from tritonact.integrations.thirdparty import TANH_FORMULA_NOTE, qualified_name

__all__ = ["PatchReport", "patch", "unpatch"]

log = logging.getLogger("tritonact")

#: The attribute (in the model's ``__dict__``, never a submodule) holding what patch changed.
_RECORD = "_tritonact_patch_record"
#: The class attribute naming the class a patched class was made from.
_ORIGINAL = "_tritonact_original_class"


# --- which gate an activation is ----------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """A gated kernel: ``kind`` (``"silu"``, ``"gelu"``, ``"relu"``), its ``approximate``
    (gelu only) and a ``note`` when the fused result differs from the model's by rounding."""

    kind: str
    approximate: str = "none"
    note: str = field(default="", compare=False)

    def two_tensor(self) -> Callable:
        """``f(gate, up)``: silu_mul, gelu_mul or relu_mul."""
        from tritonact import functional as TF

        fn = getattr(TF, f"{self.kind}_mul")
        return functools.partial(fn, approximate=self.approximate) if self.kind == "gelu" else fn

    def halves(self) -> Callable:
        """``f(gate_up)`` on the halves of the last dim: swiglu, geglu or reglu."""
        from tritonact import functional as TF

        fn = getattr(TF, {"silu": "swiglu", "gelu": "geglu", "relu": "reglu"}[self.kind])
        return functools.partial(fn, approximate=self.approximate) if self.kind == "gelu" else fn

    def describe(self, halves: bool = False) -> str:
        """The fused call's name: ``silu_mul`` (``swiglu`` on halves), with ``approximate``."""
        names = {"silu": ("silu_mul", "swiglu"), "gelu": ("gelu_mul", "geglu"),
                 "relu": ("relu_mul", "reglu")}
        name = names[self.kind][halves]
        return f"{name}(approximate={self.approximate!r})" if self.kind == "gelu" else name


_HF = "transformers.activations."


def gate_of(act) -> Gate | None:
    """The gated kernel computing ``act(gate) * up`` for the activation ``act`` (a module or a
    function), or None when tritonact has none that computes its formula."""
    if act is F.silu:
        return Gate("silu")
    if act is F.relu:
        return Gate("relu")
    if act is F.gelu:
        return Gate("gelu")
    if not isinstance(act, nn.Module):
        return None
    if isinstance(act, nn.SiLU):
        return Gate("silu")
    if isinstance(act, nn.ReLU) and not act.inplace:
        return Gate("relu")
    if isinstance(act, nn.GELU):
        return Gate("gelu", act.approximate)
    name = qualified_name(type(act))
    if name == _HF + "SiLUActivation":
        return Gate("silu")
    if name == _HF + "GELUActivation" and getattr(act, "act", None) is F.gelu:
        return Gate("gelu")
    if name == _HF + "GELUTanh":
        inner = getattr(act, "act", None)
        exact = (isinstance(inner, functools.partial) and inner.func is F.gelu
                 and inner.keywords == {"approximate": "tanh"})
        return Gate("gelu", "tanh", "" if exact else TANH_FORMULA_NOTE)
    if name in (_HF + "NewGELUActivation", _HF + "FastGELUActivation",
                _HF + "AccurateGELUActivation"):
        return Gate("gelu", "tanh", TANH_FORMULA_NOTE)
    return None


# --- recognising an MLP by its forward ------------------------------------------------------


def _gate_up_down(self, x):
    return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


def _gate_up_down_named(self, x):
    down_proj = self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))
    return down_proj


def _fused_gate_up(self, x):
    up_states = self.gate_up_proj(x)

    gate, up_states = up_states.chunk(2, dim=-1)
    up_states = up_states * self.activation_fn(gate)

    return self.down_proj(up_states)


def _statements(function) -> str | None:
    """``function``'s body as an AST dump, docstring dropped and its one argument after
    ``self`` renamed ``x`` (None when there is no source or not one such argument)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.FunctionDef):
        return None
    args = tree.args
    if (len(args.args) != 2 or args.vararg or args.kwarg or args.kwonlyargs
            or args.posonlyargs):
        return None
    argument = args.args[1].arg
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Name) and node.id == argument:
            node.id = "x"
    return "\n".join(ast.dump(statement) for statement in body)


@dataclass(frozen=True)
class Pattern:
    """A forward tritonact can fuse: its statements, the activation's attribute and the
    projections the module must hold."""

    name: str
    reference: Callable
    activation: str
    projections: tuple[str, ...]


_PATTERNS = (
    Pattern("gate_proj/up_proj", _gate_up_down, "act_fn", ("gate_proj", "up_proj", "down_proj")),
    Pattern("gate_proj/up_proj", _gate_up_down_named, "act_fn",
            ("gate_proj", "up_proj", "down_proj")),
    Pattern("gate_up_proj", _fused_gate_up, "activation_fn", ("gate_up_proj", "down_proj")),
)


@functools.cache
def _pattern_dumps() -> dict[str, Pattern]:
    return {_statements(p.reference): p for p in _PATTERNS}


@functools.cache
def _forward_pattern(cls: type) -> Pattern | None:
    """The pattern ``cls.forward`` is, if any (cached per class)."""
    return _pattern_dumps().get(_statements(cls.forward))


# --- the patched classes --------------------------------------------------------------------


def _separate_forward(gate: Gate) -> Callable:
    fused = gate.two_tensor()

    def forward(self, x):
        return self.down_proj(fused(self.gate_proj(x), self.up_proj(x)))

    return forward


def _fused_forward(gate: Gate) -> Callable:
    fused = gate.halves()

    def forward(self, x):
        return self.down_proj(fused(self.gate_up_proj(x)))

    return forward


def _apply_gate(gate: Gate) -> Callable:
    fused = gate.halves()

    def _apply_gate(self, gate_up):
        return fused(gate_up)

    return _apply_gate


_PREFIX = "_patched__"


@functools.cache
def _patched_class(cls: type, what: str, gate: Gate) -> type:
    """``cls`` with ``forward`` (or ``_apply_gate``) fused, named as ``cls`` (``repr`` reads as
    before). Its qualified name in this module encodes how it was made, so that pickle (a
    whole-model ``torch.save``) finds it again in a fresh process through ``__getattr__``."""
    if what == "experts":
        members = {"_apply_gate": _apply_gate(gate)}
    elif what == "gate_up_proj":
        members = {"forward": _fused_forward(gate)}
    else:
        members = {"forward": _separate_forward(gate)}
    key = "__".join((what, gate.kind, gate.approximate, cls.__module__, cls.__qualname__))
    members.update({_ORIGINAL: cls, "__module__": __name__,
                    "__qualname__": _PREFIX + key.replace(".", ":"), "__doc__": cls.__doc__})
    return type(cls.__name__, (cls,), members)


def __getattr__(name: str) -> type:
    """A patched class by its qualified name (pickle's look-up; see :func:`_patched_class`)."""
    if not name.startswith(_PREFIX):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    what, kind, approximate, module, qualname = name[len(_PREFIX):].replace(":", ".").split(
        "__", 4)
    cls = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return _patched_class(cls, what, Gate(kind, approximate))


def _default_apply_gate(cls: type) -> bool:
    """Whether ``cls`` gates through transformers' default hook (``act_fn(gate) * up`` on the
    halves of its fused gate-up projection)."""
    hook = getattr(cls, "_apply_gate", None)
    return (getattr(hook, "__qualname__", "") == "_default_apply_gate"
            and getattr(hook, "__module__", "").startswith("transformers."))


def _mlp_plan(module: nn.Module) -> tuple[str, Gate] | str | None:
    """``(what, gate)`` to fuse ``module``, a reason it cannot be, or None when it is not a
    gated MLP at all."""
    cls = type(module)
    if _ORIGINAL in cls.__dict__:
        return None  # already patched
    if _default_apply_gate(cls):
        if not (getattr(module, "has_gate", True) and getattr(module, "is_concatenated", True)):
            return "its experts do not store gate and up as two concatenated halves"
        gate = gate_of(getattr(module, "act_fn", None))
        if gate is None:
            return f"no gated kernel for its activation {module.act_fn!r}"
        return "experts", gate
    if not all(hasattr(module, p) for p in ("down_proj",)):
        return None
    pattern = _forward_pattern(cls)
    if pattern is None:
        if any(isinstance(getattr(module, p, None), nn.Module)
               for p in ("gate_proj", "gate_up_proj")):
            return "its forward is not one of the gated-MLP patterns tritonact fuses"
        return None
    if not all(isinstance(getattr(module, p, None), nn.Module) for p in pattern.projections):
        return f"it lacks the projections {pattern.projections}"
    gate = gate_of(getattr(module, pattern.activation, None))
    if gate is None:
        return f"no gated kernel for its activation {getattr(module, pattern.activation)!r}"
    return pattern.name, gate


# --- patch and unpatch ----------------------------------------------------------------------


@dataclass
class PatchReport:
    """What :func:`patch` (or :func:`unpatch`) changed: ``mlps`` (path, class, fused call),
    ``activations`` (path, class before, tritonact module), ``notes`` (path, note on a result
    that differs by rounding) and ``skipped`` (path, class, why)."""

    mlps: list[tuple[str, str, str]] = field(default_factory=list)
    activations: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.mlps) + len(self.activations)

    def __str__(self) -> str:
        lines = [f"tritonact: {len(self.mlps)} gated MLP(s) fused, {len(self.activations)} "
                 f"activation module(s) on tritonact's kernels"]
        lines += [f"  fused {path} ({cls}): {how}" for path, cls, how in self.mlps]
        lines += [f"  {path} ({cls}) -> {new}" for path, cls, new in self.activations]
        lines += [f"  note {path}: {note}" for path, note in self.notes]
        lines += [f"  left {path} ({cls}): {why}" for path, cls, why in self.skipped]
        return "\n".join(lines)


def patch(model: nn.Module, *, mlps: bool = True, activations: bool = True,
          include: Iterable[Selector] | None = None, exclude: Iterable[Selector] | None = None,
          extra: Mapping[type, Factory] | None = None,
          saved_bits: int | None = None) -> PatchReport:
    """Put ``model`` on tritonact's kernels: fuse every gated MLP tritonact recognises (see the
    module's docstring) and replace every activation module (``include``, ``exclude``,
    ``extra`` and ``saved_bits`` as :func:`tritonact.replace_activations` takes them;
    ``activations=False`` or ``mlps=False`` leaves that part out; a fused gated MLP has no
    few-bit mode and saves as before). Returns what changed; logs it at INFO (a WARNING when
    nothing changed although the model holds activation classes tritonact left).

    Parameters, buffers, the state_dict and module objects holding parameters are untouched;
    a patched MLP keeps its activation module (no longer called). Idempotent: a second call
    changes nothing. :func:`unpatch` restores the model as it was.
    """
    from tritonact.core import fewbit

    fewbit.check_bits(saved_bits)
    report = PatchReport()
    record = model.__dict__.setdefault(_RECORD, [])
    paths = {}
    for path, module in model.named_modules(remove_duplicate=False):
        paths.setdefault(id(module), path or "<model>")
    if mlps:
        for module in model.modules():
            plan = _mlp_plan(module)
            if plan is None:
                continue
            path, cls = paths[id(module)], type(module)
            if isinstance(plan, str):
                report.skipped.append((path, cls.__name__, plan))
                continue
            what, gate = plan
            module.__class__ = _patched_class(cls, what, gate)
            record.append(("class", module, cls))
            how = gate.describe(halves=what != "gate_proj/up_proj")
            how = f"_apply_gate -> {how}" if what == "experts" else how
            report.mlps.append((path, cls.__name__, how))
            if gate.note:
                report.notes.append((path, gate.note))
            implementation = getattr(getattr(module, "config", None), "_experts_implementation",
                                     None)
            if what == "experts" and implementation == "eager":
                report.notes.append((path, "its experts implementation is 'eager', which does not "
                                           "call _apply_gate: the gate is fused only under "
                                           "'grouped_mm' or 'batched_mm' (its activation module "
                                           "is tritonact's either way)"))
    if activations:
        _, result = replace(model, include, exclude, extra, root=False, report=False,
                            saved_bits=saved_bits)
        for path, module, cls in result.swapped:
            record.append(("class", module, cls))
            report.activations.append((path, cls.__name__, f"tritonact.nn.{cls.__name__}"))
        for r in result.replaced:
            record.append(("object", r.slots, r.old, r.new))
            report.activations.append((r.path, type(r.old).__name__, f"tritonact.nn.{r.new!r}"))
            if r.note:
                report.notes.append((r.path, r.note))
        report.skipped += result.skipped
    if report.changed:
        log.info("%s", report)
    elif report.skipped:
        log.warning("%s", report)
    return report


def unpatch(model: nn.Module) -> PatchReport:
    """Undo every :func:`patch` of ``model``, latest first: patched classes back to the
    model's own, replaced activation modules back in their slots (where a slot still holds
    tritonact's module). Returns what was restored; a model never patched is left as it is."""
    report = PatchReport()
    record = model.__dict__.pop(_RECORD, [])
    paths = {id(m): path or "<model>" for path, m in model.named_modules()}
    ours = set(replacements().values())
    for entry in reversed(record):
        if entry[0] == "class":
            _, module, cls = entry
            if type(module).__bases__[0] is cls or type(module) in ours:
                kind = report.activations if type(module) in ours else report.mlps
                kind.append((paths.get(id(module), "?"), type(module).__name__, cls.__name__))
                module.__class__ = cls
                module.__dict__.pop("saved_bits", None)  # patch's, if it set one
        else:
            _, slots, old, new = entry
            for parent, name in slots:
                if parent._modules.get(name) is new:
                    parent._modules[name] = old
            report.activations.append((paths.get(id(new), "?"), type(new).__name__,
                                       type(old).__name__))
    log.info("tritonact: unpatched %d module(s) in %s", report.changed, type(model).__name__)
    return report
