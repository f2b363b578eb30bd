"""The primer's second network: a 784-128-64-10 MLP, converted with ``replace_activations``.

Trains the converted model and an unconverted copy (same initial weights, same batches of random
data) side by side and prints both losses; ``--activation`` picks the activation (the primer's
comparison: relu, leaky_relu, elu, silu, gelu, mish, tanh, sigmoid), ``--activation all`` runs
each in turn. Runs on CUDA, or on the CPU through Triton's interpreter, which it switches on
itself when there is no GPU (without it, tritonact's modules would run torch's own CPU kernels):

    python examples/mlp.py [--activation gelu] [--steps 50] [--batch 64]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys

import torch

if not torch.cuda.is_available():  # the interpreter must be on before triton is imported
    os.environ.setdefault("TRITON_INTERPRET", "1")

import tritonact

ACTIVATIONS = ("relu", "leaky_relu", "elu", "silu", "gelu", "mish", "tanh", "sigmoid")


def build(activation: str) -> torch.nn.Sequential:
    """Linear(784, 128) -> act -> Linear(128, 64) -> act -> Linear(64, 10), act being torch's
    module for the registry op ``activation``."""
    act = tritonact.OPS[activation].module
    return torch.nn.Sequential(torch.nn.Linear(784, 128), act(), torch.nn.Linear(128, 64), act(),
                               torch.nn.Linear(64, 10))


def compare(activation: str, steps: int, batch: int, lr: float, seed: int,
            device) -> tuple[list[float], list[float]]:
    """(torch's losses, tritonact's losses), trained in lockstep on the same random batches;
    progress on stderr every 10 steps."""
    torch.manual_seed(seed)
    reference = build(activation).to(device)
    converted = tritonact.replace_activations(copy.deepcopy(reference))
    optimizers = [torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
                  for m in (reference, converted)]
    losses: tuple[list[float], list[float]] = ([], [])
    for step in range(steps):
        x = torch.randn(batch, 784, device=device)
        y = torch.randint(0, 10, (batch,), device=device)
        for model, optimizer, curve in zip((reference, converted), optimizers, losses):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            curve.append(loss.item())
        if (step + 1) % 10 == 0 or step + 1 == steps:
            print(f"{activation}: step {step + 1}/{steps}", file=sys.stderr, flush=True)
    return losses


def main(argv: list[str] | None = None) -> dict[str, tuple[list[float], list[float]]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="relu", choices=[*ACTIVATIONS, "all"])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = ACTIVATIONS if args.activation == "all" else (args.activation,)
    results = {}
    where = "" if device.type == "cuda" else " (Triton's interpreter: slow)"
    print(f"784-128-64-10 MLP, SGD(lr={args.lr}, momentum=0.9), batch {args.batch}, random data, "
          f"on {device}{where}", flush=True)
    print(f"{'activation':>10}  {'first loss':>10}  {'torch last':>10}  {'tritonact last':>14}  "
          f"{'largest difference':>18}")
    for activation in chosen:
        theirs, ours = compare(activation, args.steps, args.batch, args.lr, args.seed, device)
        gap = max(abs(a - b) for a, b in zip(theirs, ours))
        print(f"{activation:>10}  {theirs[0]:>10.4f}  {theirs[-1]:>10.4f}  {ours[-1]:>14.4f}  "
              f"{gap:>18.2e}", flush=True)
        results[activation] = (theirs, ours)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
