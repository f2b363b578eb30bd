"""Property-based fuzzing against torch (Hypothesis): random ops, parameters, dtypes, shapes
(0-d, empty, size-1 dims), layouts (transposed, stepped, expanded, channels_last), values with
special points mixed in, in place or not, with or without autograd. Each call must give torch's
result or torch's exception type (``tests.torch_db.compare``).

The default run is derandomized and short (60 examples a test: the Hypothesis profile in
conftest.py); ``pytest --exhaustive`` runs 2000, fresh ones each time.
"""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from tests.torch_db import compare, rowwise_backward
from tritonact import functional
from tritonact.core.testing import DTYPES
from tritonact.registry import ELEMENTWISE, GATED, ROWWISE

#: The largest tensor drawn (Triton's interpreter runs a few thousand elements in milliseconds).
MOST_ELEMENTS = 2048

SPECIAL_VALUES = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-40, -3.0, 3.0, 20.0, -20.0,
                  1e4, -1e4, 3e38, -3e38]
#: Parameter values: ordinary, at zero, negative, huge (torch's overflow), NaN and inf.
PARAMETERS = [0.01, 0.5, 1.0, 2.5, 0.0, -0.0, -0.3, -2.0, 6.1, 1e-3, 7e4, 1e39, math.nan,
              math.inf, -math.inf, 0.1]


@st.composite
def tensors(draw, dtype: torch.dtype, min_dims: int = 0) -> torch.Tensor:
    """A tensor of ``dtype`` in a random layout with random and special values."""
    shape = draw(st.lists(st.sampled_from([0, 1, 2, 3, 5, 8, 17]), min_size=min_dims,
                          max_size=4).filter(lambda s: math.prod(s) <= MOST_ELEMENTS))
    numel = math.prod(shape)
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    values = torch.randn(max(numel, 1), dtype=torch.float64, generator=generator) * draw(
        st.sampled_from([0.5, 3.0, 100.0]))
    for i in draw(st.lists(st.integers(0, max(numel - 1, 0)), max_size=6)):
        values[i] = draw(st.sampled_from(SPECIAL_VALUES))
    x = values[:numel].reshape(shape).to(dtype)
    layout = draw(st.sampled_from(["contiguous", "transposed", "stepped", "expanded",
                                   "channels_last"]))
    if layout == "transposed" and x.dim() >= 2:
        x = x.transpose(0, -1).contiguous().transpose(0, -1)
    elif layout == "stepped" and x.dim() >= 1:
        x = torch.repeat_interleave(x, 2, dim=-1)[..., ::2]
    elif layout == "expanded" and x.dim() >= 1 and x.shape[0] == 1:
        x = x.expand(3, *x.shape[1:])
    elif layout == "channels_last" and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def _non_leaf(t: torch.Tensor) -> torch.Tensor:
    """``t``'s values as a non-leaf in a stepped layout (a view of ``stack([t, t], -1)``): an
    in-place op on it is differentiable, and torch's CPU kernels take their scalar loop there,
    which reads as its CUDA kernels (see ``tritonact.core.testing.scalar_path_copy``)."""
    return t * 1.0 if t.dim() == 0 else torch.stack([t, t], -1)[..., 0]


@given(data=st.data(), spec=st.sampled_from(ELEMENTWISE), dtype=st.sampled_from(DTYPES),
       inplace=st.booleans(), requires_grad=st.booleans())
def test_elementwise_against_torch(data, spec, dtype, inplace, requires_grad):
    x = data.draw(tensors(dtype))
    params = {}
    for param in spec.params:
        if param.choices:
            params[param.name] = data.draw(st.sampled_from([*param.choices, "erf"]))
        else:
            params[param.name] = data.draw(st.sampled_from(PARAMETERS))
    if inplace and spec.inplace:
        params["inplace"] = True
    if params.get("inplace") and requires_grad:  # in place on a non-leaf
        ours = lambda t, **p: getattr(functional, spec.name)(_non_leaf(t), **p)
        theirs = lambda t, **p: spec.torch_fn(_non_leaf(t), **p)
    else:  # out of place, or in place on (a copy of) x itself, views included
        ours, theirs = getattr(functional, spec.name), spec.torch_fn
    x.requires_grad_(requires_grad)
    # the fp64 reference out of place: torch's in-place autograd saves a (contiguous) clone of
    # the input, whose CPU vectorised loop reads NaN otherwise than its CUDA kernels
    exact = spec.reference or spec.torch_fn
    reference = lambda t, **p: exact(_non_leaf(t) if p.pop("inplace", False) else t, **p)
    problem = compare(ours, theirs, x, (), params, reference=reference)
    assert problem is None, f"{spec.name} {params} on {tuple(x.shape)}/{x.stride()}: {problem}"


@given(data=st.data(), spec=st.sampled_from(ROWWISE), dtype=st.sampled_from(DTYPES),
       result_dtype=st.sampled_from([None, *DTYPES]), requires_grad=st.booleans())
def test_rowwise_against_torch(data, spec, dtype, result_dtype, requires_grad):
    x = data.draw(tensors(dtype)).requires_grad_(requires_grad)
    dim = data.draw(st.integers(-max(x.dim(), 1) - 1, max(x.dim(), 1)))
    kwargs = {} if result_dtype is None else {"dtype": result_dtype}
    backward = rowwise_backward(spec, dim, dtype) if -x.dim() <= dim < max(x.dim(), 1) else None
    problem = compare(getattr(functional, spec.name), spec.torch_fn, x, (dim,), kwargs,
                      backward_from_output=backward)
    assert problem is None, f"{spec.name} dim={dim} {kwargs} on {tuple(x.shape)}/" \
                            f"{x.stride()}: {problem}"


@given(data=st.data(), spec=st.sampled_from(GATED), dtype=st.sampled_from(DTYPES),
       requires_grad=st.booleans())
def test_gated_against_torch(data, spec, dtype, requires_grad):
    x = data.draw(tensors(dtype, min_dims=1)).requires_grad_(requires_grad)
    dim = data.draw(st.integers(-x.dim() - 1, x.dim()))
    kwargs = {}
    if spec.takes_approximate:
        kwargs["approximate"] = data.draw(st.sampled_from(["none", "tanh"]))

    def theirs(t, d, **kw):
        torch.nn.functional.glu(t.detach(), d)  # torch's checks of the split (documented)
        return spec.reference(t, d, **kw)

    problem = compare(getattr(functional, spec.name), theirs, x, (dim,), kwargs)
    assert problem is None, f"{spec.name} dim={dim} on {tuple(x.shape)}/{x.stride()}: {problem}"
