"""The placement rules behind the DTensor sharding of tritonact's ``tritonact::`` custom ops.

A DTensor given to a tritonact function reaches the kernels through the family's custom ops
(``tritonact::elementwise_forward`` and the rest): DTensor's dispatch redistributes the inputs
to a placement the op's rule accepts, runs the op (so the kernels) on each rank's local shard
and wraps the result with the rule's output placement. Each launcher module registers its own
ops' rules (with torch's ``torch.distributed.tensor.experimental.register_sharding``) through
``launch.dtensor_rules``, built from the helpers here, which give the placements torch's own
rules give the matching aten op:

- pointwise ops (the elementwise family, the gated ops' two-tensor forms, their backward):
  any ``Shard(d)`` or ``Replicate`` runs locally and keeps its placement; ``Partial`` inputs are
  redistributed (to ``Replicate``, as torch's rule for a non-linear pointwise op does);
- row-wise ops (softmax, log_softmax, softmin): local when the reduced dim is not sharded;
  otherwise the reduced dim, and any ``Partial``, are replicated first (torch's softmax rule),
  never a per-shard softmax;
- prelu: local on any dim but the channel dim (the weight replicated); over the channel dim,
  with one slope per channel, the weight is sharded alongside. The weight's gradient over a
  sharded batch is ``Partial`` (a sum over ranks), as torch's autograd gives for the same math.

Imported only when the first DTensor reaches a tritonact function (importing
``torch.distributed.tensor`` costs a second or more, which a process without DTensors never
pays). Each redistribution a rule asks for is logged once per op and placement kind at INFO on
the ``tritonact`` logger.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch.distributed.tensor import Partial, Replicate, Shard
from torch.distributed.tensor.placement_types import Placement

from .launch import note_once

PlacementList = list[Placement | None]
Strategies = list[tuple[PlacementList, PlacementList]]


def pointwise(specs: Sequence, n_others: int, n_outputs: int) -> Strategies:
    """A pointwise op's placements: all inputs (``specs``) and outputs ``Shard(d)`` for each dim
    ``d`` an input is sharded on, or all ``Replicate`` (``n_others`` non-tensor arguments follow
    the inputs). ``Partial`` is not among them: DTensor reduces it to ``Replicate`` first, as
    torch's rule for its non-linear pointwise ops does (offering every ``Shard(d)`` would let
    DTensor's cost model reduce-scatter it to a shard instead, a placement torch never gives)."""
    dims = sorted({p.dim for spec in specs for p in spec.placements if isinstance(p, Shard)})
    choices: list[Placement] = [*(Shard(d) for d in dims), Replicate()]
    return [([p] * n_outputs, [p] * len(specs) + [None] * n_others) for p in choices]


def note_partial(op: str, *specs) -> None:
    if any(p.is_partial() for spec in specs for p in spec.placements):
        note_once(op, "a Partial input is reduced to Replicate first (torch's pointwise rule)")


def replicate_reduced(placement: Placement, dim: int) -> Placement:
    """torch's softmax rule for one mesh dim: ``Partial`` and ``Shard(dim)`` become
    ``Replicate``; any other placement stays."""
    if placement.is_partial() or (isinstance(placement, Shard) and placement.dim == dim):
        return Replicate()
    return placement


def rowwise(op: str, specs: Sequence, dim: int, n_others: int) -> Strategies:
    """A row-wise op over ``dim``: the placements of the most-sharded input (``specs``), with
    the reduced dim and any ``Partial`` replicated, for every tensor (torch's softmax rule)."""
    source = max(specs, key=lambda spec: spec.num_shards)
    targets = [replicate_reduced(p, dim) for p in source.placements]
    if any(target != p for target, p in zip(targets, source.placements)):
        note_once(op, f"reduced dim {dim} sharded or Partial: replicated first (torch's softmax "
                      f"rule), the kernel then runs on whole rows")
    choices = list(dict.fromkeys([*targets, Replicate()]))
    return [([p], [p] * len(specs) + [None] * n_others) for p in choices]


def prelu(op: str, x, weight, n_outputs: int) -> Strategies:
    """prelu's placements: ``x`` sharded on any dim but the channel dim (1), the weight
    replicated; over the channel dim with one slope per channel, the weight ``Shard(0)`` with
    it; all replicated. Backward (``n_outputs`` 2: dx, dweight) adds the weight gradient,
    ``Partial`` where the channels' slopes are summed over a sharded dim."""
    shared = weight.tensor_meta.shape.numel() == 1 or weight.ndim == 0
    n_inputs = 3 if n_outputs == 2 else 2  # backward takes (g, x, weight)
    strategies: Strategies = []
    for d in range(x.ndim):
        if d == 1 and x.ndim >= 2 and not shared:
            inputs: PlacementList = [Shard(1)] * (n_inputs - 1) + [Shard(0)]
            outputs: PlacementList = [Shard(1), Shard(0)][:n_outputs]
        else:
            inputs = [Shard(d)] * (n_inputs - 1) + [Replicate()]
            outputs = [Shard(d), Partial()][:n_outputs]
        strategies.append((outputs, [*inputs, None]))
    strategies.append(([Replicate()] * n_outputs, [Replicate()] * n_inputs + [None]))
    note_partial(op, x, weight)
    return strategies
