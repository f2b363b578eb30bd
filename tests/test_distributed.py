"""DTensor inputs run the kernels on their shards: two processes (gloo, on the CPU) run every
scenario of ``tests/distributed_worker.py`` once, and each test here reads one scenario's
record from both ranks: no failure (results, gradients and placements as torch's, within fp32
tolerance), and the kernels it needs launched on every rank."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

WORKER = Path(__file__).with_name("distributed_worker.py")
WORLD = 2
TIMEOUT_S = 240

pytestmark = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is needed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[dict]:
    """Each rank's scenario records, from one run of the two worker processes."""
    out = tmp_path_factory.mktemp("distributed") / "records"
    env = dict(os.environ)
    if "TRITON_INTERPRET" in os.environ or not _cuda():
        env["TRITON_INTERPRET"] = "1"
    port = _free_port()
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(rank), str(WORLD), str(port),
                               str(out)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for rank in range(WORLD)]
    logs = []
    try:
        for proc in procs:
            logs.append(proc.communicate(timeout=TIMEOUT_S)[0])
    finally:
        for proc in procs:  # a rank left waiting on a dead peer: end it
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for rank, proc in enumerate(procs):
        assert proc.returncode == 0, f"rank {rank} exited {proc.returncode}:\n{logs[rank][-4000:]}"
    return [json.loads(Path(f"{out}.{rank}.json").read_text()) for rank in range(WORLD)]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _check(records: list[dict], scenario: str, kernels: tuple[str, ...]) -> None:
    for rank, record in enumerate(records):
        found = record[scenario]
        assert not found["failures"], f"rank {rank}: " + "\n".join(found["failures"])
        for kernel in kernels:
            assert found["launches"].get(kernel, 0) > 0, (
                f"rank {rank}: {kernel} never launched: {found['launches']}")


def test_functional_ops_on_every_placement(records):
    """silu, gelu(tanh), softmax over a sharded and an unsharded dim, log_softmax, swiglu and
    glu (split dim sharded or not), silu_mul and prelu (batch- and channel-sharded, the
    weight's gradient Partial over a sharded batch) on Shard(0), Shard(1), Replicate and
    Partial: results, gradients and their placements as torch's."""
    _check(records, "functional_ops", ("elementwise.forward", "elementwise.backward",
                                       "rowwise.forward", "rowwise.backward", "gated.forward",
                                       "gated.backward", "prelu.forward", "prelu.backward"))


def test_tensor_parallel_llama_mlp(records):
    _check(records, "tensor_parallel_mlp", ("elementwise.forward", "elementwise.backward",
                                            "gated.forward", "gated.backward"))


def test_sequence_parallel_norm_and_activation(records):
    _check(records, "sequence_parallel_block", ("elementwise.forward", "elementwise.backward",
                                                "rowwise.forward", "rowwise.backward"))


def test_fsdp2_training_step(records):
    _check(records, "fsdp_step", ("elementwise.forward", "elementwise.backward"))


def test_switch_serves_dtensor_ops_on_their_shards(records):
    _check(records, "switch_on_dtensor", ("elementwise.forward", "elementwise.backward",
                                          "rowwise.forward", "rowwise.backward"))


def test_what_is_not_served_on_shards_is_logged_once(records):
    _check(records, "logged_fallbacks", ())
