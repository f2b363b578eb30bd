"""Few-bit saved activations train as well as exact mode: an MLP on scikit-learn's digits
(1797 8x8 images, bundled with the package: no download), 64 -> hidden -> 10, full-batch Adam
for a fixed number of epochs, the hidden activation GELU or SiLU with 2-bit saved codes,
against the same network with exact backward, over several seeds.

The margin: the few-bit networks' mean test accuracy over the seeds is within 1.5 points of
the exact ones', and no seed's is more than 3 points below its exact twin's (same seed, same
initialisation).

The kernels run with one program per launch here (``BLOCK`` the hidden layer's 1024 * hidden
elements instead of 1024): Triton's interpreter costs per program, the math is the same at any
block size, and the block size is covered by ``tests/test_fewbit.py``.
"""

import pytest
import sklearn.datasets as sklearn_datasets  # the test extra's: scikit-learn==1.9.0
import torch

import tritonact.nn as tnn
from tritonact.autograd import elementwise, fewbit


def _digits():
    """(train x, train y, test x, test y): a fixed shuffle, 1024 to train on (773 to test),
    features standardised with the training set's statistics."""
    x, y = sklearn_datasets.load_digits(return_X_y=True)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x, y = x[order], y[order]
    x = (x - x[:1024].mean(0)) / (x[:1024].std(0) + 1.0)
    return x[:1024], y[:1024], x[1024:], y[1024:]


def _accuracy(data, activation: torch.nn.Module, seed: int, epochs: int, hidden: int) -> float:
    xtr, ytr, xte, yte = data
    torch.manual_seed(seed)
    first = torch.nn.Linear(64, hidden)
    last = torch.nn.Linear(hidden, 10)
    model = torch.nn.Sequential(first, activation, last)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xtr), ytr).backward()
        opt.step()
    with torch.no_grad():
        return (model(xte).argmax(1) == yte).float().mean().item()


def _compare(monkeypatch, name: str, bits: int, seeds: int, epochs: int, hidden: int,
             exact_by_torch: bool = False):
    block = 1024 * hidden  # the hidden layer's elements: one program per launch
    monkeypatch.setattr(elementwise, "block_size", lambda dtype: block)
    monkeypatch.setattr(fewbit, "block_size", lambda dtype: block)
    data = _digits()
    cls = getattr(tnn, name)
    base = getattr(torch.nn, name) if exact_by_torch else cls
    exact = [_accuracy(data, base(), s, epochs, hidden) for s in range(seeds)]
    few = [_accuracy(data, cls(saved_bits=bits), s, epochs, hidden) for s in range(seeds)]
    assert min(exact) > 0.9, exact  # the task is learnt at all
    print(f"{name} exact {exact} {bits}-bit {few}")
    assert sum(few) / seeds >= sum(exact) / seeds - 0.015, (exact, few)
    assert all(f >= e - 0.03 for e, f in zip(exact, few)), (exact, few)


@pytest.mark.parametrize("name", ["GELU", "SiLU"])
def test_digits_two_bits(monkeypatch, name):
    """2 bits against torch's own module (exact mode is torch's within the parity tests'
    tolerance; the exhaustive variant runs tritonact's exact mode), 3 seeds, 15 epochs."""
    _compare(monkeypatch, name, bits=2, seeds=3, epochs=15, hidden=16, exact_by_torch=True)


@pytest.mark.exhaustive
@pytest.mark.parametrize("name", ["GELU", "SiLU", "Mish", "ELU", "Softplus", "Hardswish"])
@pytest.mark.parametrize("bits", [1, 2, 3])
def test_digits_longer(monkeypatch, name, bits):
    _compare(monkeypatch, name, bits=bits, seeds=5, epochs=40, hidden=32)
