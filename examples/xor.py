"""The primer's first network: XOR with a 2-4-1 MLP (ReLU, then Sigmoid), BCELoss and Adam.

Trains two copies from the same initial weights, one with torch's activations and one with
tritonact's (``replace_activations``), and prints both loss curves side by side and the final
predictions. Runs on CUDA, or on the CPU through Triton's interpreter, which it switches on
itself when there is no GPU (without it, tritonact's modules would run torch's own CPU kernels);
progress goes to stderr every ``--every`` steps:

    python examples/xor.py [--steps 1000] [--every 100]
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

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [[0.0], [1.0], [1.0], [0.0]]


def build() -> torch.nn.Sequential:
    """Linear(2, 4) -> ReLU -> Linear(4, 1) -> Sigmoid."""
    return torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1),
                               torch.nn.Sigmoid())


def train(model: torch.nn.Module, steps: int, lr: float, device, name: str = "",
          every: int = 0) -> list[float]:
    """Full-batch Adam on the four XOR points; the loss before each step. With ``every``, a
    progress line on stderr every that many steps."""
    x = torch.tensor(INPUTS, device=device)
    y = torch.tensor(TARGETS, device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.BCELoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if every and (len(losses) % every == 0 or len(losses) == steps):
            print(f"{name}: step {len(losses)}/{steps}, loss {losses[-1]:.6f}", file=sys.stderr,
                  flush=True)
    return losses


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=100, help="print the losses every N steps")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    where = "" if device.type == "cuda" else " (Triton's interpreter: slow)"
    print(f"XOR, 2-4-1, ReLU + Sigmoid, BCELoss, Adam(lr={args.lr}) on {device}{where}",
          flush=True)
    torch.manual_seed(args.seed)
    reference = build().to(device)
    converted = tritonact.replace_activations(copy.deepcopy(reference))
    torch_losses = train(reference, args.steps, args.lr, device, "torch", args.every)
    ours_losses = train(converted, args.steps, args.lr, device, "tritonact", args.every)

    print(f"{'step':>6}  {'torch loss':>12}  {'tritonact loss':>14}")
    for step in [*range(0, args.steps, args.every), args.steps - 1]:
        print(f"{step:>6}  {torch_losses[step]:>12.6f}  {ours_losses[step]:>14.6f}")
    gap = max(abs(a - b) for a, b in zip(torch_losses, ours_losses))
    print(f"largest loss difference over {args.steps} steps: {gap:.2e}")
    x = torch.tensor(INPUTS, device=device)
    with torch.no_grad():
        torch_pred, ours_pred = reference(x).flatten(), converted(x).flatten()
    print("input   target  torch   tritonact")
    for inputs, target, a, b in zip(INPUTS, TARGETS, torch_pred.tolist(), ours_pred.tolist()):
        print(f"{inputs!s:8}  {target[0]:.0f}     {a:.4f}  {b:.4f}")
    return {"torch": torch_losses, "tritonact": ours_losses, "torch_pred": torch_pred.cpu(),
            "tritonact_pred": ours_pred.cpu()}


if __name__ == "__main__":
    main(sys.argv[1:])
