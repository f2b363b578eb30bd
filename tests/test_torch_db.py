"""PyTorch's own test databases against tritonact: op_db's sample, reference and error inputs
and module_db's module inputs, for every registry op torch has, in the four dtypes.

The default run takes every sample input and every ``REFERENCE_STEP``-th reference input, of
at most ``LARGEST`` elements (op_db's reference inputs go up to 2**20 elements, which Triton's
interpreter takes seconds to run), and of those at most ``MOST_PER_DTYPE`` per op and dtype,
evenly spaced (each costs the interpreter's launches, whatever its size: glu and prelu have
dozens); ``pytest --exhaustive`` takes them all.
"""

import copy

import pytest
import torch

import tritonact.nn as tnn
from tests.torch_db import (
    TORCH_OPS,
    compare,
    inplace_ours_for,
    module_infos,
    op_infos,
    ours_for,
    rowwise_backward,
    samples,
)
from tritonact.core.testing import DTYPES
from tritonact.registry import ELEMENTWISE, ROWWISE

#: In the default run, every how-many-th of op_db's reference inputs is taken, and inputs of
#: at most this many elements.
REFERENCE_STEP = 4
LARGEST = 20_000
MOST_PER_DTYPE = 8

#: Ops whose results are random in training mode: their values are not compared there.
RANDOM_IN_TRAINING = {"rrelu", "RReLU"}


ROWWISE_SPECS = {spec.name: spec for spec in ROWWISE}
#: The registry's exact fp64 references, where torch's own fp64 kernel is not exact (celu).
EXACT_REFERENCES = {spec.name: spec.reference for spec in ELEMENTWISE if spec.reference}


def _backward_from_output(name: str, sample):
    spec = ROWWISE_SPECS.get(name)
    if spec is None:
        return None
    dim = sample.args[0] if sample.args else sample.kwargs.get("dim")
    return rowwise_backward(spec, dim, sample.input.dtype)


def _described(sample, problem: str) -> str:
    x = sample.input
    shape = f"{tuple(x.shape)}/{x.stride()}" if isinstance(x, torch.Tensor) else repr(x)
    return f"{shape} args={sample.args} kwargs={sample.kwargs}: {problem}"


@pytest.mark.parametrize("name", TORCH_OPS)
def test_op_db_samples(name, device, exhaustive):
    """op_db's sample and reference inputs in each dtype op_db runs the op in on this device
    (rrelu has no fp16 on the CPU), against torch, out of place and in place."""
    ours, ours_inplace = ours_for(name), inplace_ours_for(name)
    failures, count = [], 0
    for dtype in DTYPES:
        for info in op_infos(name):
            if dtype not in info.supported_dtypes(device.type):
                continue
            chosen = [sample for i, sample in enumerate(samples(info, dtype, device,
                                                                reference=True))
                      if exhaustive or not ((i >= REFERENCE_STEP and i % REFERENCE_STEP)
                                            or sample.input.numel() > LARGEST)]
            if not exhaustive and len(chosen) > MOST_PER_DTYPE:
                step = len(chosen) / MOST_PER_DTYPE
                chosen = [chosen[int(k * step)] for k in range(MOST_PER_DTYPE)]
            for sample in chosen:
                count += 1
                values = not (name in RANDOM_IN_TRAINING and sample.kwargs.get("training"))
                problem = compare(ours, info.op, sample.input, sample.args, sample.kwargs, values,
                                  reference=EXACT_REFERENCES.get(name),
                                  backward_from_output=_backward_from_output(name, sample))
                if problem is None and ours_inplace and info.inplace_variant is not None:
                    problem = compare(ours_inplace, info.inplace_variant, sample.input.detach(),
                                      sample.args, sample.kwargs, values)
                    problem = problem and f"in place: {problem}"
                if problem:
                    failures.append(f"{dtype}: {_described(sample, problem)}")
    assert count, f"op_db has no sample of {name}"
    assert not failures, f"{len(failures)} of {count} samples differ:\n" + "\n".join(failures)


def test_op_db_error_inputs(device):
    """Where op_db says torch raises (prelu's weights, gelu's approximate, the shrinks' and
    hardtanh's parameters, rrelu's bounds), tritonact raises the same exception type, with a
    message matching torch's."""
    checked = []
    for name in TORCH_OPS:
        for info in op_infos(name):
            if info.error_inputs_func is None:
                continue
            for error_input in info.error_inputs(device):
                sample = error_input.sample_input
                with pytest.raises(error_input.error_type, match=error_input.error_regex):
                    ours_for(name)(sample.input, *sample.args, **sample.kwargs)
                checked.append(name)
    assert len(set(checked)) >= 5, checked  # op_db has error inputs for five of these ops


MODULES = sorted(name for name in tnn.__all__ if module_infos(name))


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("name", MODULES)
def test_module_db(name, dtype, training, device):
    """Each of module_db's inputs: torch's module and tritonact's, built alike (parameters
    copied), give the same result and input gradient."""
    failures, count = [], 0
    for info in module_infos(name):
        inputs = info.module_inputs_func(info, device=device, dtype=dtype, requires_grad=True,
                                         training=training)
        for module_input in inputs:
            if module_input.forward_input is None:
                continue
            ctor = module_input.constructor_input
            theirs = info.module_cls(*ctor.args, **ctor.kwargs).to(device, dtype)
            ours = getattr(tnn, name)(*ctor.args, **ctor.kwargs).to(device, dtype)
            ours.load_state_dict(theirs.state_dict())
            theirs.train(training)
            ours.train(training)
            x, *rest = module_input.forward_input.args
            count += 1
            values = not (training and name in RANDOM_IN_TRAINING)
            reference = copy.deepcopy(theirs).to(torch.float64)
            problem = compare(ours, theirs, x, tuple(rest), module_input.forward_input.kwargs,
                              values, reference=reference)
            if problem:
                failures.append(f"{ctor.args} {ctor.kwargs}: {problem}")
    assert count, f"module_db has no input for {name}"
    assert not failures, "\n".join(failures)
