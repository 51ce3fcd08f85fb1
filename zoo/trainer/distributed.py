"""torch.distributed for the trainer: one code path for one process and for ``torchrun``.

GANs are not wrapped in ``DistributedDataParallel``: a step runs D several times (on real, on
fake, and again inside G's loss) and backpropagates G's loss through D, which DDP's one-forward,
one-backward gradient hooks handle badly. Instead the replicas start from rank 0's weights, the
context averages gradients with ``all_reduce`` before each optimiser step, and buffers (batch-norm
statistics) are broadcast from rank 0 after every step, so every replica holds the same weights.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from zoo.errors import ZooError


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (rank 0 of 1 when not distributed)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # whether ``init`` created the process group (and ``close`` ends it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.size > 1

    def broadcast_module(self, module: nn.Module, buffers_only: bool = False) -> None:
        """Overwrite every replica's parameters (and buffers) with rank 0's."""
        if not self.enabled:
            return
        tensors = (
            list(module.buffers())
            if buffers_only
            else list(itertools.chain(module.parameters(), module.buffers()))
        )
        for t in tensors:
            dist.broadcast(t.data, src=0)

    def average_gradients(self, params: list[torch.Tensor]) -> None:
        """Replace each gradient by its mean over the replicas (one flat all-reduce)."""
        if not self.enabled:
            return
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.size
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def mean(self, values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The mean of each logged value over the replicas (called on log steps only)."""
        if not self.enabled or not values:
            return values
        keys = list(values)  # every rank runs the same step, so the same keys in the same order
        stacked = torch.stack([torch.as_tensor(values[k], dtype=torch.float32).reshape(()) for k in keys])
        dist.all_reduce(stacked)
        return dict(zip(keys, stacked / self.size, strict=True))

    def gather(self, obj: Any) -> list[Any]:
        """``obj`` from every rank, in rank order, on every rank."""
        if not self.enabled:
            return [obj]
        out: list[Any] = [None] * self.size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def init(device: str) -> World:
    """Join the process group that ``torchrun`` describes in the environment (WORLD_SIZE > 1).

    The backend is NCCL on CUDA and gloo otherwise; a group someone else created is reused as is.
    """
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    owns = False
    if not dist.is_initialized():
        backend = "nccl" if device_type(device) == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
        owns = True
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), owns)


def device_type(device: str) -> str:
    """``"cuda"`` or ``"cpu"`` (``auto`` picks CUDA when available)."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return check_device(device).type


def available_devices() -> list[str]:
    """The devices torch can use on this machine: ``cpu``, then each CUDA GPU and Apple's ``mps``."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += ["cuda", *(f"cuda:{i}" for i in range(torch.cuda.device_count()))]
    if torch.backends.mps.is_available():
        found.append("mps")
    return found


def check_device(device: str) -> torch.device:
    """``device`` as a torch device when this machine has it; else an error naming the devices it has."""
    here = f"the devices here are: {', '.join(available_devices())}"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ZooError(f"unknown device {device!r} ({here}; a GPU is 'cuda' or 'cuda:N')") from None
    backend = getattr(torch, parsed.type, None)
    if not getattr(backend, "is_available", lambda: True)():
        raise ZooError(f"device {device!r} is not available: torch sees no {parsed.type} device; {here}")
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ZooError(f"device {device!r}: torch sees {torch.cuda.device_count()} GPU(s); {here}")
    return parsed


def select_device(device: str, world: World) -> torch.device:
    """The device this process trains on: ``auto`` is CUDA when available, one GPU per local rank."""
    kind = device_type(device)
    if kind == "cuda":
        index = world.local_rank if world.enabled or device == "auto" else (torch.device(device).index or 0)
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return torch.device(kind)
