"""Activation classes of other libraries (Hugging Face transformers, timm) and the tritonact
module each becomes.

Real models rarely hold ``torch.nn.GELU``: transformers builds its activations from ``ACT2FN``
(``SiLUActivation``, ``GELUTanh``, ``NewGELUActivation``, ...) and timm from its own
``timm.layers.activations``. These classes do not subclass tritonact's, so
``replace_activations`` cannot change their class and keep their type; it puts a new tritonact
module in the parent's slot instead (see :mod:`tritonact.integrations.replace`).

Classes are matched by their fully qualified name (``module.qualname``), so nothing here
imports transformers or timm: a class is looked at only when a model holds an instance of it.
Each entry is a converter, ``module -> tritonact module``, or a string saying why this instance
cannot be replaced exactly (a Python formula the kernels would not reproduce to the bit, an op
this tritonact lacks). Mappings are formula-exact: a class whose forward writes the tanh
approximation of GELU out as ``pow``/``mul``/``tanh`` (GPT-2's ``NewGELUActivation``) becomes
``GELU(approximate="tanh")``, the same formula computed in one kernel, whose result differs from
the written-out one by about one ulp (rounding order), and the conversion says so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import nn

__all__ = ["ALIASES", "THIRD_PARTY", "Conversion", "convert", "qualified_name"]

#: The note on the tanh-formula classes, whose result changes by rounding order only.
TANH_FORMULA_NOTE = ("the tanh formula written out in Python becomes one fused kernel: results "
                     "differ by about one ulp (rounding order)")


@dataclass(frozen=True)
class Conversion:
    """What a third-party activation module becomes: ``module`` (None when it cannot be
    replaced exactly, ``note`` then saying why), and a ``note`` on any change of result."""

    module: nn.Module | None
    note: str = ""


Converter = Callable[[nn.Module], Conversion]


def qualified_name(cls: type) -> str:
    """``module.qualname`` of a class: the key of :data:`THIRD_PARTY`."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _tnn():
    from tritonact import nn as tnn

    return tnn


def _to(factory: Callable[[], nn.Module], note: str = "") -> Converter:
    return lambda module: Conversion(factory(), note)


def _optional(name: str, op: str) -> Converter:
    """A module tritonact may not have yet (looked up by name when converting)."""

    def convert(module: nn.Module) -> Conversion:
        cls = getattr(_tnn(), name, None)
        if cls is None:
            return Conversion(None, f"this tritonact has no {op} (tritonact.nn.{name})")
        return Conversion(cls())

    return convert


def _is_gelu(fn, approximate: str) -> bool:
    """Whether ``fn`` is ``F.gelu`` (``approximate="none"``) or a partial of it with
    ``approximate`` (transformers' GELUTanh holds ``partial(gelu, approximate="tanh")``)."""
    if approximate == "none" and fn is F.gelu:
        return True
    return (isinstance(fn, functools.partial) and fn.func is F.gelu and not fn.args
            and fn.keywords == {"approximate": approximate})


def _hf_gelu(module: nn.Module) -> Conversion:
    """transformers' ``GELUActivation``: exact only while it wraps ``F.gelu`` (its
    ``use_gelu_python=True`` form writes the erf formula out in Python)."""
    if _is_gelu(getattr(module, "act", None), "none"):
        return Conversion(_tnn().GELU())
    return Conversion(None, "it computes the erf formula in Python (use_gelu_python=True), not "
                            "F.gelu: not replaced, since the result would change")


def _hf_gelu_tanh(module: nn.Module) -> Conversion:
    """transformers' ``GELUTanh``: ``F.gelu(approximate="tanh")``, or the tanh formula written
    out (``use_gelu_tanh_python=True``)."""
    exact = _is_gelu(getattr(module, "act", None), "tanh")
    return Conversion(_tnn().GELU(approximate="tanh"), "" if exact else TANH_FORMULA_NOTE)


def _hf_mish(module: nn.Module) -> Conversion:
    if getattr(module, "act", None) is F.mish:
        return Conversion(_tnn().Mish())
    return Conversion(None, "it does not wrap F.mish")


def _timm_prelu(module: nn.Module) -> Conversion:
    """timm's ``PReLU`` (an ``nn.PReLU`` subclass with an unused ``inplace``): tritonact's PReLU
    holding the same weight Parameter, so optimizers and state_dict keys are unchanged."""
    ours = _tnn().PReLU(num_parameters=module.num_parameters, device="meta")
    ours.weight = module.weight
    return Conversion(ours)


def _hf_xielu(module: nn.Module) -> Conversion:
    """transformers' ``XIELUActivation`` (Apertus): tritonact's XIELU holding the same
    Parameters (``alpha_p``, ``alpha_n``: softplus-inverses) and buffers (``beta``, ``eps``), so
    optimizers and state_dict keys are unchanged; the formula of its Python path, in one kernel
    (its optional CUDA extension's path is left behind)."""
    ours = _tnn().XIELU(dtype=module.alpha_p.dtype,
                        with_vector_loads=getattr(module, "with_vector_loads", False))
    ours.alpha_p, ours.alpha_n = module.alpha_p, module.alpha_n
    ours.beta, ours.eps = module.beta, module.eps
    ours._beta_scalar, ours._eps_scalar = float(module.beta), float(module.eps)
    return Conversion(ours)


def _timm_star_relu(module: nn.Module) -> Conversion:
    """MetaFormer's ``StarReLU`` (timm): tritonact's StarReLU holding the same ``scale`` and
    ``bias`` Parameters. With ``inplace=True`` timm's also writes relu(x) into its input;
    tritonact's leaves the input as it is."""
    inplace = bool(getattr(module, "inplace", False))
    ours = _tnn().StarReLU(inplace=inplace)
    ours.scale, ours.bias = module.scale, module.bias
    return Conversion(ours, "the input is no longer overwritten with relu(x) (inplace=True)"
                      if inplace else "")


_HF = "transformers.activations."
_TIMM_PREFIXES = ("timm.layers.activations.", "timm.models.layers.activations.")

#: Fully qualified class name -> converter. timm's ``GELU``, ``Sigmoid`` and ``Tanh`` take an
#: ``inplace`` flag; tritonact's results are the same values, written to a new tensor.
THIRD_PARTY: dict[str, Converter] = {
    _HF + "SiLUActivation": _to(lambda: _tnn().SiLU()),
    _HF + "GELUActivation": _hf_gelu,
    _HF + "GELUTanh": _hf_gelu_tanh,
    _HF + "NewGELUActivation": _to(lambda: _tnn().GELU(approximate="tanh"), TANH_FORMULA_NOTE),
    _HF + "FastGELUActivation": _to(lambda: _tnn().GELU(approximate="tanh"), TANH_FORMULA_NOTE),
    _HF + "AccurateGELUActivation": _to(lambda: _tnn().GELU(approximate="tanh"),
                                        TANH_FORMULA_NOTE),
    _HF + "QuickGELUActivation": _optional("QuickGELU", "quick_gelu"),
    _HF + "MishActivation": _hf_mish,
    _HF + "ReLUSquaredActivation": _optional("ReLUSquared", "relu_squared"),
    **{prefix + name: converter for prefix in _TIMM_PREFIXES for name, converter in {
        "GELU": _to(lambda: _tnn().GELU()),
        "GELUTanh": _to(lambda: _tnn().GELU(approximate="tanh")),
        "QuickGELU": _optional("QuickGELU", "quick_gelu"),
        "Sigmoid": _to(lambda: _tnn().Sigmoid()),
        "Tanh": _to(lambda: _tnn().Tanh()),
        "PReLU": _timm_prelu,
    }.items()},
}


THIRD_PARTY[_HF + "XIELUActivation"] = _hf_xielu
THIRD_PARTY["timm.models.metaformer.StarReLU"] = _timm_star_relu

#: Further selector names of third-party classes for ``replace_activations``'s ``include`` and
#: ``exclude``: the ``ACT2FN`` key of a Hugging Face class, tritonact's op name of a timm one.
ALIASES: dict[str, tuple[str, ...]] = {
    _HF + "XIELUActivation": ("xielu",),
    "timm.models.metaformer.StarReLU": ("star_relu",),
}


def convert(module: nn.Module) -> Conversion | None:
    """The conversion of a third-party activation module, or None when its class is not one
    of :data:`THIRD_PARTY` (matched by exact class: a user's subclass keeps its forward)."""
    converter = THIRD_PARTY.get(qualified_name(type(module)))
    if converter is None:
        return None
    conversion = converter(module)
    if conversion.module is not None:
        conversion.module.train(module.training)
    return conversion
