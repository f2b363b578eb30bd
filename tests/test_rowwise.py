"""Softmax, LogSoftmax, Softmin (and Softmax2d): parity for any dim, row length, dtype and
layout, special values, gradients, launches, modules and torch.compile."""

import math
import warnings

import pytest
import torch

import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.autograd import rowwise
from tritonact.core.testing import DTYPES
from tritonact.registry import ROWWISE

SPECS = [pytest.param(s, id=s.name) for s in ROWWISE]
LENGTHS = [1, 7, 128, 1000, 4097, 65537]
#: The two ways rows past ``ONE_PASS_LIMIT`` run, chosen by the SM count the planner sees (the
#: one thing the CPU path sets on its own): a program a row (0 SMs: never split), or, a few
#: rows, split across programs (``INTERPRETER_SMS``: fewer than 8 rows split, on a GPU too).
LONG_ROW_PATHS = {"per-row": 0, "split": rowwise.INTERPRETER_SMS}
SPLIT_LAUNCHES = {False: ["rowwise.forward", "rowwise.backward"],
                  True: ["rowwise.forward_chunk_stats", "rowwise.forward_from_stats",
                         "rowwise.backward_chunk_sums", "rowwise.backward_from_sums"]}


@pytest.fixture(params=list(LONG_ROW_PATHS))
def split(request, monkeypatch) -> bool:
    """Run rows past ``ONE_PASS_LIMIT`` a program a row, or split across programs."""
    sms = LONG_ROW_PATHS[request.param]
    monkeypatch.setattr(rowwise, "sm_count", lambda device: sms)
    return request.param == "split"


def _cases(n, dtype, device, k=3):
    """(label, x, dim): the reduced dim last, first and in the middle; contiguous and not; the
    other dims of size ``k`` (and 2)."""
    r = lambda *s: (torch.randn(*s, dtype=torch.float64, device=device) * 3).to(dtype)
    yield "last", r(k, n), -1
    yield "first", r(n, k), 0
    yield "middle", r(2, n, k), 1
    yield "last, transposed", r(n, k).t(), 1
    yield "first, stepped", r(n, 2 * k)[:, ::2], 0
    yield "middle, permuted", r(k, 2, n).permute(1, 2, 0), 1


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("spec", SPECS)
def test_parity_any_dim_any_length(spec, dtype, device):
    torch.manual_seed(0)
    failures = []
    for n in LENGTHS:
        for label, x, dim in _cases(n, dtype, device):
            # rows of 65537 (two passes, past ONE_PASS_LIMIT; these few rows split across
            # programs: INTERPRETER_SMS): the last layout only, one row (the interpreter is
            # slow; every layout of either two-pass path, several rows:
            # test_two_pass_rows_in_every_layout), and softmin (softmax's kernel, its input
            # negated) in fp32 and bf16 only
            if n > 5000 and (label != "last" or (spec.math.negate and dtype not in (
                    torch.float32, torch.bfloat16))):
                continue
            if n > 5000:
                x = x[:1]
            if n >= 128 and dtype != torch.float32 and label not in ("last", "middle", "first"):
                continue
            problem = spec.check(x, dim)
            if problem:
                failures.append(f"n={n} {label}: {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("spec", SPECS)
def test_two_pass_rows_in_every_layout(spec, split, device, launches):
    """Rows just past the one-pass limit (two passes, the last tile partial; split: chunks of
    one and two tiles, the last partial) in every layout of ``_cases``, with an upstream
    gradient laid out unlike the saved output (reversed dims), so that backward reads dy and y
    with strides of their own."""
    torch.manual_seed(0)
    n = rowwise.ONE_PASS_LIMIT + 1
    failures = []
    for label, x, dim in _cases(n, torch.float32, device, k=2):
        if split and spec is not ROWWISE[0] and label != "last":
            continue  # the layouts are the same code for every op: all six for softmax
        g = torch.randn(x.shape[::-1], device=device).permute(*range(x.dim() - 1, -1, -1))
        launches.clear()
        problem = spec.check(x, dim, g=g)
        if problem:
            failures.append(f"{label}: {problem}")
        assert launches == SPLIT_LAUNCHES[split], label
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("src", "dst"), [(torch.float16, torch.float32),
                                          (torch.bfloat16, torch.float32),
                                          (torch.float32, torch.float64),
                                          (torch.float32, torch.float16)], ids=str)
@pytest.mark.parametrize("spec", SPECS)
def test_dtype_argument_casts_inside_the_kernel(spec, src, dst, device, launches):
    x = (torch.randn(5, 300, device=device) * 3).to(src)
    assert spec.check(x, 1, dtype=dst) is None
    launches.clear()
    y = getattr(TF, spec.name)(x, 1, dtype=dst)
    assert y.dtype == dst and launches == ["rowwise.forward"]


@pytest.mark.parametrize("shape", [(), (0,), (5, 0, 0), (4, 1), (1, 4)], ids=str)
@pytest.mark.parametrize("spec", SPECS)
def test_edge_shapes(spec, shape, device):
    for dim in range(-max(len(shape), 1), max(len(shape), 1)):
        x = torch.randn(shape, dtype=torch.float64, device=device)
        assert spec.check(x, dim) is None, dim


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("spec", SPECS)
def test_special_values(spec, dtype, device):
    inf, nan = math.inf, math.nan
    rows = [[-inf] * 4, [-inf, 1.0, -inf, 2.0], [inf, 1.0, 0.0, -1.0], [nan, 1.0, 2.0, 3.0],
            [1e4, -1e4, 0.0, 5.0], [50.0, 50.0, -50.0, 20.0], [-0.0, 0.0, -0.0, 0.0],
            [inf, -inf, 1.0, 1.0]]
    x = torch.tensor(rows, dtype=torch.float64).to(dtype).to(device)
    for dim, view in ((1, x), (0, x.t())):
        assert spec.check(view, dim) is None


#: (path, dtype) of the special-value rows: the per-row path in every dtype, the split path in
#: fp32 and bf16 (the interpreter is slow; the split path's loads and stores in every dtype:
#: ``test_parity_any_dim_any_length``, whose few rows of 65537 split).
SPECIAL_PATHS = [pytest.param(path, dtype, id=f"{path}-{dtype}") for path in LONG_ROW_PATHS
                 for dtype in DTYPES
                 if path != "split" or dtype in (torch.float32, torch.bfloat16)]


@pytest.mark.parametrize(("path", "dtype"), SPECIAL_PATHS)
@pytest.mark.parametrize("spec", SPECS)
def test_special_values_in_long_rows(spec, path, dtype, device, launches, monkeypatch):
    """Rows past the one-pass limit: all -inf; -inf for more than a tile (a whole chunk when
    split), then finite; NaN in the middle; +inf near the end."""
    monkeypatch.setattr(rowwise, "sm_count", lambda device: LONG_ROW_PATHS[path])
    split = path == "split"
    n = rowwise.ONE_PASS_LIMIT + 1000
    long = torch.randn(4, n, device=device).to(dtype)
    long[:2, :5000] = -math.inf
    long[0] = -math.inf
    long[2, 9000] = math.nan
    long[3, n - 10] = math.inf
    assert spec.check(long, 1) is None
    assert launches == SPLIT_LAUNCHES[split]


@pytest.mark.parametrize("spec", SPECS)
def test_gradcheck_and_gradgradcheck(spec, device):
    torch.manual_seed(0)
    for shape, dim in (((2, 3), 1), ((2, 2, 2), 1)):
        x = torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
        f = lambda t, dim=dim: getattr(TF, spec.name)(t, dim)
        assert torch.autograd.gradcheck(f, (x,))
        assert torch.autograd.gradgradcheck(f, (x,))


@pytest.mark.parametrize("spec", SPECS)
def test_one_launch_each_way_and_only_the_output_saved(spec, device, launches):
    saved = []
    for x, dim in ((torch.randn(6, 700, device=device), 1),
                   (torch.randn(700, 6, device=device).t(), 1),
                   (torch.randn(4, 5, 6, device=device), 1)):
        x.requires_grad_()
        saved.clear()
        with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t,
                                                      lambda t: t):
            launches.clear()
            y = getattr(TF, spec.name)(x, dim)
        assert launches == ["rowwise.forward"]
        assert len(saved) == 1 and saved[0].data_ptr() == y.data_ptr()
        y.backward(torch.randn_like(y))
        assert launches == ["rowwise.forward", "rowwise.backward"]


def test_few_long_rows_split_to_fill_the_gpu(device, launches, monkeypatch):
    """Fewer than two rows an SM past ``ONE_PASS_LIMIT``: a (64, 2**20) input on an H200's 132
    SMs runs 8 chunks a row, 512 programs (one a row: 64); many rows or short ones keep a
    program a row (or a tile of rows). Two launches each way, also on the int64 index path."""
    from tritonact.core.audit_case import H200

    m = ROWWISE[0].math

    def steps(rows, columns, backward, sms=H200.sms):
        operands = [torch.empty(rows, columns, dtype=torch.bfloat16, device="meta")
                    for _ in range(3 if backward else 2)]
        return rowwise.plan(m, 1, operands, backward, sms=sms)

    for backward in (False, True):
        split = steps(64, 2**20, backward)
        assert [s.grid for s in split] == [(8, 64)] * 2
        assert [s.columns for s in split] == [2**17] * 2
        assert len(steps(264, 2**20, backward)) == len(steps(64, 2**20, backward, sms=0)) == 1
        assert len(steps(64, rowwise.ONE_PASS_LIMIT, backward)) == 1
    assert rowwise.split_chunk(64, 2**20, H200.sms) == 2**17
    assert rowwise.split_chunk(1, rowwise.ONE_PASS_LIMIT + 1, H200.sms) == rowwise.TILE
    # on a small input, with 64-bit indices (the limit lowered): torch's results, four launches
    monkeypatch.setattr(rowwise, "sm_count", lambda device: rowwise.INTERPRETER_SMS)
    monkeypatch.setattr(rowwise, "INT32_LIMIT", 64)
    log_softmax = ROWWISE[1]
    x = torch.randn(3, rowwise.ONE_PASS_LIMIT + 1, device=device)
    assert all(s.meta["WIDE"] for s in rowwise.plan(log_softmax.math, 1, [x, x], False))
    assert log_softmax.check(x, 1) is None
    assert launches == SPLIT_LAUNCHES[True]


@pytest.mark.parametrize("spec", SPECS)
def test_implicit_dim_warns_and_picks_as_torch(spec, device):
    for shape in ((4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)):
        x = torch.randn(shape, device=device)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            got = getattr(TF, spec.name)(x)
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            want = spec.torch_fn(x)
        user = lambda ws: [str(w.message) for w in ws if w.category is UserWarning]
        assert user(ours) == user(theirs) and user(ours)
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("spec", SPECS)
def test_module_is_a_drop_in(spec, device):
    ours, theirs = getattr(tnn, spec.module.__name__)(dim=1), spec.module(dim=1)
    assert isinstance(ours, spec.module) and repr(ours) == repr(theirs)
    x = torch.randn(3, 4, 5, dtype=torch.float64, device=device)
    torch.testing.assert_close(ours(x), theirs(x))


def test_softmax2d(device):
    ours, theirs = tnn.Softmax2d(), torch.nn.Softmax2d()
    assert isinstance(ours, torch.nn.Softmax2d) and repr(ours) == repr(theirs)
    for shape in ((3, 4, 5), (2, 3, 4, 5)):
        x = torch.randn(shape, dtype=torch.float64, device=device)
        torch.testing.assert_close(ours(x), theirs(x))
    with pytest.raises(ValueError):
        ours(torch.randn(4, 5, device=device))


def test_integer_inputs_and_bad_dims_behave_as_torch(device):
    x = torch.arange(6, device=device).view(2, 3)
    for spec in ROWWISE:
        fn = getattr(TF, spec.name)
        with pytest.raises(RuntimeError):
            spec.torch_fn(x, 1)
        with pytest.raises(RuntimeError):
            fn(x, 1)
        torch.testing.assert_close(fn(x, 1, dtype=torch.float32),
                                   spec.torch_fn(x, 1, dtype=torch.float32))
        with pytest.raises(IndexError):
            fn(x.float(), 2)


def test_torch_compile_fullgraph(device):
    torch._dynamo.reset()

    def f(x):
        return (TF.log_softmax(x, -1) + TF.softmax(x, 0, dtype=torch.float64).float()).sum()

    x = torch.randn(4, 33, device=device, requires_grad=True)
    out = torch.compile(f, fullgraph=True)(x)
    out.backward()
    got = x.grad.clone()
    x.grad = None
    f(x).backward()
    torch.testing.assert_close(got, x.grad)


def test_more_than_three_uncoalescable_other_dims(device):
    """Other dims that cannot be merged into three: dense copies, then the same kernels."""
    base = torch.randn(3, 4, 5, 6, 7, dtype=torch.float64, device=device)
    x = base.permute(4, 2, 0, 3, 1)[::2, :, ::2, :, ::3]
    for spec in ROWWISE:
        assert spec.check(x, 3) is None
