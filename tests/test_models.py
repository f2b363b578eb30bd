"""``tritonact.patch`` on tiny random-init Hugging Face models (built from configs: nothing is
downloaded): every gated MLP fused, every activation module on tritonact's kernels, output and
every parameter gradient as the unpatched model's, with the launches counted; ``unpatch``
restores the model; patched models keep their kernels under ``torch.compile``."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

import tritonact

transformers = pytest.importorskip("transformers")

#: The aten activation operators (and their backward operators) that a patched model must not
#: run outside tritonact, but for the calls written inline in the model's code.
ACTIVATIONS = {"silu", "gelu", "tanh", "sigmoid", "relu", "_softmax", "_log_softmax", "mish",
               "softplus", "threshold", "glu",
               "expm1"}  # xIELU's Python path (Apertus)

_DECODER = dict(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=16)


@dataclass(frozen=True)
class Arch:
    """A tiny model and what patch must do to it: the fused MLPs, the activation modules
    replaced, the launches of one forward and backward, and the aten activation operators its
    own code calls inline (no module to patch: the switch serves them)."""

    build: object
    mlps: int
    activations: int
    launches: tuple[str, ...]
    inline: frozenset[str] = frozenset()


GATED = ("gated.forward", "gated.backward")
ARCHS = {
    "llama": Arch(lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(**_DECODER)),
                  1, 1, GATED),
    "qwen2": Arch(lambda: transformers.Qwen2ForCausalLM(transformers.Qwen2Config(**_DECODER)),
                  1, 1, GATED),
    "mixtral": Arch(lambda: transformers.MixtralForCausalLM(transformers.MixtralConfig(
        **_DECODER, num_local_experts=2, num_experts_per_tok=2)), 1, 1, GATED,
        frozenset({"_softmax"})),  # the router's softmax
    "gemma2": Arch(lambda: transformers.Gemma2ForCausalLM(transformers.Gemma2Config(
        **_DECODER, head_dim=8)), 1, 1, GATED,
        frozenset({"tanh", "_softmax"})),  # logit soft-capping, eager attention
    "gpt2": Arch(lambda: transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=64, n_embd=16, n_layer=1, n_head=2, n_positions=16)), 0, 1,
        ("elementwise.forward", "elementwise.backward")),
    "bert": Arch(lambda: transformers.BertForMaskedLM(transformers.BertConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        num_attention_heads=2, max_position_embeddings=16)), 0, 2,
        ("elementwise.forward",) * 2 + ("elementwise.backward",) * 2),
    # xIELU with learnable alpha_p, alpha_n (ACT2FN's "xielu"), as Apertus builds it
    "apertus": Arch(lambda: transformers.ApertusForCausalLM(transformers.ApertusConfig(
        **_DECODER, dtype=torch.float32)), 0, 1, ("parametric.forward", "parametric.backward"),
        frozenset({"softplus"})),  # the stored weights' transform: softplus of one element
}


@functools.cache
def tiny(name: str) -> nn.Module:
    """One random-init model per architecture (eval mode: no dropout), built once."""
    torch.manual_seed(0)
    return ARCHS[name].build().eval()


class ActivationOps(TorchDispatchMode):
    """The aten activation operators called, with the bytes each reads."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name.split("::")[-1]
        base = name.removesuffix("_").removesuffix("_backward").removesuffix("_backward_data")
        if base in ACTIVATIONS:
            self.calls.append((base, args[0].numel() * args[0].element_size()))
        return func(*args, **(kwargs or {}))


def run(model: nn.Module, ids: torch.Tensor, grad: torch.Tensor, ops=None):
    """Logits and every parameter's gradient of one forward and backward."""
    model.zero_grad(set_to_none=True)
    if ops is None:
        logits = model(input_ids=ids).logits
        logits.backward(grad)
    else:
        with ops:
            logits = model(input_ids=ids).logits
            logits.backward(grad)
    return logits.detach(), {n.removeprefix("_orig_mod."): p.grad
                             for n, p in model.named_parameters() if p.grad is not None}


def assert_matches(got, want) -> float:
    """Outputs and gradients close (fp32); returns the largest difference."""
    (logits, grads), (ref_logits, ref_grads) = got, want
    torch.testing.assert_close(logits, ref_logits)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        torch.testing.assert_close(grads[name], ref_grads[name], msg=name)
    return max((logits - ref_logits).abs().max().item(),
               *((grads[n] - ref_grads[n]).abs().max().item() for n in grads))


def inputs(seed: int = 1):
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 64, (2, 6), generator=generator)
    return ids, torch.randn(2, 6, 64, generator=generator)


@pytest.mark.parametrize("name", ARCHS)
def test_patch_fuses_every_gated_mlp_and_unpatch_restores(name, launches):
    arch = ARCHS[name]
    model = copy.deepcopy(tiny(name))
    ids, grad = inputs()
    torch_ops = ActivationOps()
    reference = run(model, ids, grad, torch_ops)
    classes = {path: type(m) for path, m in model.named_modules()}

    report = tritonact.patch(model)
    assert (len(report.mlps), len(report.activations)) == (arch.mlps, arch.activations), report
    launches.clear()
    ops = ActivationOps()
    patched = run(model, ids, grad, ops)
    assert tuple(launches) == arch.launches
    assert_matches(patched, reference)
    # every activation byte the model's modules move is tritonact's; what is left at aten is
    # only what the model's code calls inline
    assert {op for op, _ in ops.calls} == arch.inline
    left = sum(size for _, size in ops.calls)
    assert left < sum(size for _, size in torch_ops.calls)
    # with the switch on too, every aten activation call launches a kernel: 100% of the bytes
    launches.clear()
    switched_ops = ActivationOps()
    with tritonact.use():
        switched = run(model, ids, grad, switched_ops)
    assert len(launches) == len(arch.launches) + len(switched_ops.calls)
    assert_matches(switched, reference)

    assert tritonact.patch(model).changed == 0  # idempotent
    restored = tritonact.unpatch(model)
    assert restored.changed == arch.mlps + arch.activations
    assert {path: type(m) for path, m in model.named_modules()} == classes
    launches.clear()
    after = run(model, ids, grad)
    assert not launches
    assert torch.equal(after[0], reference[0])
    assert tritonact.unpatch(model).changed == 0


def test_eager_experts_implementation_is_noted():
    """transformers' 'eager' experts forward never calls _apply_gate: the report says so."""
    model = copy.deepcopy(tiny("mixtral"))
    model.config._experts_implementation = "eager"
    report = tritonact.patch(model)
    assert any("'eager'" in note for _, note in report.notes)


@pytest.mark.exhaustive
@pytest.mark.parametrize("backend", ["aot_eager", "inductor"])
@pytest.mark.parametrize("name", ARCHS)
def test_patched_models_keep_their_kernels_under_compile(name, backend, launches):
    """fullgraph: the fused MLPs (Mixtral's through transformers' experts hook) and the replaced
    activation objects trace as tritonact's custom ops, which Inductor keeps. Collected with
    ``--exhaustive`` only (a model's Inductor build on this CPU takes a minute or more); the
    default run's compile check is the next test, on each kind of fused MLP block."""
    compiled_matches(name, backend, launches)


@pytest.mark.parametrize("name", ["llama", "mixtral", "gemma2"])
def test_patched_mlp_blocks_trace_fullgraph_with_their_kernels(name, launches):
    """The default run's compile check: each kind of fused MLP (separate projections with
    silu_mul, Mixtral's sparse MoE block through transformers' experts hook, Gemma2's
    gelu_mul tanh) compiled alone, fullgraph, with aot_eager (whole models: above)."""
    block = copy.deepcopy(tiny(name).model.layers[0].mlp)
    reference = copy.deepcopy(block)
    assert tritonact.patch(block).mlps
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 16, generator=generator)
    torch._dynamo.reset()
    launches.clear()
    out = torch.compile(block, backend="aot_eager", fullgraph=True)(x.clone().requires_grad_())
    out = out[0] if isinstance(out, tuple) else out
    out.square().sum().backward()
    assert launches == list(GATED)
    expected = reference(x)
    expected = expected[0] if isinstance(expected, tuple) else expected
    expected.square().sum().backward()
    torch.testing.assert_close(out, expected)
    for (n, p), q in zip(block.named_parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad, msg=n)


def compiled_matches(name: str, backend: str, launches) -> None:
    model = copy.deepcopy(tiny(name))
    ids, grad = inputs(2)
    reference = run(model, ids, grad)
    tritonact.patch(model)
    torch._dynamo.reset()
    launches.clear()
    got = run(torch.compile(model, backend=backend, fullgraph=True), ids, grad)
    assert tuple(sorted(launches)) == tuple(sorted(ARCHS[name].launches))
    assert_matches(got, reference)


def test_fused_gate_up_projection_becomes_swiglu(launches):
    """Phi-3's MLP: one gate_up_proj, split in halves, gate first."""
    torch.manual_seed(0)
    config = transformers.Phi3Config(hidden_size=16, intermediate_size=32)
    mlp = transformers.models.phi3.modeling_phi3.Phi3MLP(config)
    reference = copy.deepcopy(mlp)
    report = tritonact.patch(mlp)
    assert report.mlps == [("<model>", "Phi3MLP", "swiglu")]
    assert isinstance(mlp, type(reference)) and type(mlp).__name__ == "Phi3MLP"
    x = torch.randn(3, 16, requires_grad=True)
    launches.clear()
    mlp(x).square().sum().backward()
    assert launches == list(GATED)
    x_ref = x.detach().clone().requires_grad_()
    reference(x_ref).square().sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad)
    for p, q in zip(mlp.parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad)


class NotQuiteLlamaMLP(nn.Module):
    """The projections of a Llama MLP with a forward of its own: patch must leave it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate_proj, self.up_proj = nn.Linear(4, 8), nn.Linear(4, 8)
        self.down_proj, self.act_fn = nn.Linear(8, 4), nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x) + 1.0)


class ReluMLP(nn.Module):
    """The Llama pattern with another argument name and a ReLU: relu_mul."""

    def __init__(self) -> None:
        super().__init__()
        self.gate_proj, self.up_proj = nn.Linear(4, 8), nn.Linear(4, 8)
        self.down_proj, self.act_fn = nn.Linear(8, 4), nn.ReLU()

    def forward(self, hidden):
        return self.down_proj(self.act_fn(self.gate_proj(hidden)) * self.up_proj(hidden))


def test_only_the_exact_forward_pattern_is_fused(launches):
    model = nn.Sequential(NotQuiteLlamaMLP(), ReluMLP())
    reference = copy.deepcopy(model)
    report = tritonact.patch(model)
    assert report.mlps == [("1", "ReluMLP", "relu_mul")]
    assert report.skipped[0][:2] == ("0", "NotQuiteLlamaMLP")
    assert type(model[0]) is NotQuiteLlamaMLP and isinstance(model[1], ReluMLP)
    x = torch.randn(3, 4)
    launches.clear()
    torch.testing.assert_close(model(x), reference(x))
    assert launches == ["elementwise.forward", "gated.forward"]  # the kept SiLU; the fused MLP
    tritonact.unpatch(model)
    assert type(model[1]) is ReluMLP and type(model[0].act_fn) is nn.SiLU


def test_inplace_relu_before_a_conv_compiles_with_inductor(launches):
    """Issue 19, item 4: an in-place ReLU between two convolutions at 1x1 spatial size crashed
    Inductor's scheduler (KeyError 'opN') through tritonact's mutating custom op; in place
    under compile is now the out-of-place op and ``copy_``."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True),
                          nn.Conv2d(4, 4, 3, padding=1))
    reference = copy.deepcopy(model)
    tritonact.replace_activations(model)
    x = torch.randn(2, 4, 1, 1)
    torch._dynamo.reset()
    launches.clear()
    out = torch.compile(model)(x)
    out.sum().backward()
    assert launches == ["elementwise.forward", "elementwise.backward"]
    expected = reference(x)
    expected.sum().backward()
    torch.testing.assert_close(out, expected)
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad)


def test_inplace_under_compile_still_writes_the_input():
    """The functional form of an in-place call must keep its effect on the tensor written."""
    import tritonact.functional as TF

    def f(a):
        b = a * 2.0
        TF.relu_(b)
        TF.elu(b, inplace=True)
        return b + 0.0, a

    a = torch.randn(8)
    torch._dynamo.reset()
    got, _ = torch.compile(f, backend="aot_eager", fullgraph=True)(a)
    torch.testing.assert_close(got, torch.relu(a * 2.0))


def test_a_patched_model_pickles_and_deep_copies_patched(launches):
    """A whole-model torch.save (pickle) and deepcopy keep the fused MLP, in a fresh process
    too: the patched class is rebuilt from its name (simulated by emptying the cache)."""
    import pickle

    from tritonact.integrations import patching

    model = nn.Sequential(ReluMLP())
    tritonact.patch(model)
    for copied in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert type(copied[0]) is type(model[0]) and isinstance(copied[0], ReluMLP)
    data = pickle.dumps(model)
    patching._patched_class.cache_clear()
    loaded = pickle.loads(data)
    assert type(loaded[0]) is not type(model[0]) and isinstance(loaded[0], ReluMLP)
    launches.clear()
    torch.testing.assert_close(loaded(torch.ones(2, 4)), model(torch.ones(2, 4)))
    assert launches == ["gated.forward"] * 2
