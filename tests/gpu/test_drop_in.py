"""Drop-in checks that need CUDA: CUDA graphs, torch.compile(mode="reduce-overhead"), CUDA
autocast, and the switch at the CUDA dispatch key. Collected only when CUDA is present."""

import copy

import pytest
import torch
import torch.nn.functional as F

import tritonact
import tritonact.functional as TF
import tritonact.nn as tnn
from tritonact.checks import verify
from tritonact.integrations import switch


@pytest.fixture(autouse=True)
def switch_off():
    switch.disable()
    yield
    switch.disable()


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 128), tnn.GELU(approximate="tanh"), torch.nn.Linear(128, 64),
        tnn.SiLU(), torch.nn.Linear(64, 32), tnn.LogSoftmax(dim=-1),
    ).cuda()


def test_cuda_graph_captures_and_replays_forward_and_backward():
    model = _model()
    reference = copy.deepcopy(model)
    sample = torch.randn(16, 64, device="cuda", requires_grad=True)
    graphed = torch.cuda.make_graphed_callables(model, (sample,))
    for _ in range(2):  # replays with new data
        x = torch.randn(16, 64, device="cuda", requires_grad=True)
        x_ref = x.detach().clone().requires_grad_()
        out = graphed(x)
        out.sum().backward()
        expected = reference(x_ref)
        expected.sum().backward()
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(x.grad, x_ref.grad)
        for got, want in zip(model.parameters(), reference.parameters()):
            torch.testing.assert_close(got.grad, want.grad)
            got.grad = want.grad = None


def test_cuda_graph_capture_with_the_switch_on():
    static_x = torch.randn(1000, device="cuda")
    with tritonact.use():
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):  # warm up (Triton compiles) outside the capture
            F.gelu(static_x).sigmoid()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = F.gelu(static_x).sigmoid()
    new = torch.randn(1000, device="cuda")
    static_x.copy_(new)
    graph.replay()  # the switch is off now: the captured kernels are tritonact's all the same
    torch.testing.assert_close(static_out, F.gelu(new).sigmoid())


def test_compile_reduce_overhead():
    torch._dynamo.reset()
    model = _model()
    compiled = torch.compile(model, mode="reduce-overhead")
    with torch.no_grad():
        for _ in range(3):  # cudagraph trees record on a later call, then replay
            x = torch.randn(16, 64, device="cuda")
            out = compiled(x).clone()
            torch.testing.assert_close(out, model(x))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_autocast_gives_torchs_dtypes(dtype):
    x = torch.randn(8, 32, device="cuda")
    calls = {
        "relu": (F.relu, TF.relu), "gelu": (F.gelu, TF.gelu), "silu": (F.silu, TF.silu),
        "sigmoid": (torch.sigmoid, TF.sigmoid), "softplus": (F.softplus, TF.softplus),
        "softmax": (lambda t: F.softmax(t, -1), lambda t: TF.softmax(t, -1)),
        "log_softmax": (lambda t: F.log_softmax(t, -1), lambda t: TF.log_softmax(t, -1)),
        "softmin": (lambda t: F.softmin(t, -1), lambda t: TF.softmin(t, -1)),
        "glu": (F.glu, TF.glu),
    }
    for name, (theirs, ours) in calls.items():
        for source in (x, x.to(dtype)):
            with torch.autocast("cuda", dtype):
                expected = theirs(source)
                got = ours(source)
                with tritonact.use():
                    switched = theirs(source)
            assert got.dtype == switched.dtype == expected.dtype, name
            torch.testing.assert_close(got, expected, msg=name)
            torch.testing.assert_close(switched, expected, msg=name)
    model = torch.nn.Sequential(torch.nn.Linear(32, 32), torch.nn.GELU(), torch.nn.Softmax(-1),
                                torch.nn.Linear(32, 8), torch.nn.Softplus()).cuda()
    converted = tritonact.replace_activations(copy.deepcopy(model))
    with torch.autocast("cuda", dtype):
        for i in range(1, len(model) + 1):
            assert converted[:i](x).dtype == model[:i](x).dtype
        torch._dynamo.reset()
        compiled = torch.compile(converted, fullgraph=True)
        torch.testing.assert_close(compiled(x), model(x))  # dtype included


def test_switch_at_the_cuda_key_matches_torch_and_falls_back():
    checks = verify.check_overrides("cuda", [torch.float32, torch.float16, torch.bfloat16])
    assert not [c for c in checks if c.problem]
    ints = torch.arange(-5, 6, device="cuda")
    z = torch.randn(4, device="cuda", dtype=torch.cfloat)
    expected = torch.relu(ints), torch.sigmoid(z)
    before = {o.aten: torch._C._dispatch_dump(f"aten::{o.aten}") for o in switch.OVERRIDES}
    with tritonact.use():
        assert torch.equal(torch.relu(ints), expected[0])
        assert torch.equal(torch.sigmoid(z), expected[1])
        half = torch.randn(4, 8, device="cuda", dtype=torch.float16)
        torch.testing.assert_close(torch._softmax(half, 1, True),
                                   torch.softmax(half.float(), 1))  # half_to_float served
    assert before == {o.aten: torch._C._dispatch_dump(f"aten::{o.aten}")
                      for o in switch.OVERRIDES}
