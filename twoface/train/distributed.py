"""Several processes, one model: ``torchrun --nproc_per_node N -m twoface train ...``.

Under torchrun (``WORLD_SIZE`` > 1 in the environment) each process trains a replica wrapped in
DistributedDataParallel (gloo on CPU, nccl on CUDA, one GPU per process by ``LOCAL_RANK``),
samples its own faces (seed + rank), and all replicas average gradients every step, so the
batch is N times the per-process batch. Rank 0 alone writes the model folder. Stopping is agreed:
every step the ranks share a stop flag (budget reached, Ctrl-C), so no process is left waiting.
Without torchrun everything here is a no-op with ``world == 1``.
"""

from __future__ import annotations

import hashlib
import os
import signal
from dataclasses import dataclass

import torch
from torch import nn

from twoface.train.device import pick_device


@dataclass(frozen=True)
class Dist:
    """This process's place: ``rank`` of ``world`` processes, and its device."""

    rank: int
    world: int
    device: str

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(requested_device: str) -> Dist:
    """Join the torchrun process group when launched by torchrun, else a world of one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist(0, 1, pick_device(requested_device))
    device = pick_device(requested_device)
    if device == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return Dist(torch.distributed.get_rank(), world, device)


def wrap(module: nn.Module, dist: Dist) -> nn.Module:
    """DDP around ``module`` when there are several processes (rank 0's weights win)."""
    if dist.world == 1:
        return module
    ids = [torch.device(dist.device).index] if dist.device.startswith("cuda") else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids)


class StopFlag:
    """Ctrl-C sets a flag instead of raising (a raise mid-collective would hang the others)."""

    def __init__(self) -> None:
        self.raised = False
        self.previous = signal.signal(signal.SIGINT, self._set)

    def _set(self, *_args) -> None:
        self.raised = True

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self.previous)


def agree(stop: bool, dist: Dist) -> bool:
    """True on every rank when any rank wants to stop."""
    if dist.world == 1:
        return stop
    flag = torch.tensor([1.0 if stop else 0.0], device=dist.device)
    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
    return bool(flag.item())


def weights_digest(module: nn.Module) -> str:
    """Short SHA-256 of all parameters in order: equal digests mean identical replicas."""
    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def finish(dist: Dist) -> None:
    if dist.world > 1 and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
