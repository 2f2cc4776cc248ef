"""Data-parallel training over several processes started by torchrun: the process group, each
rank's device and random seed, and the few collectives the training loop needs. With one
process (`Dist()`, the default) every helper is a no-op, so training runs exactly as before.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as td
from torch import nn

from .errors import UserError


def pick_device(name: str = "auto") -> torch.device:
    """A torch device by name; "auto": cuda, then mps, then cpu."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass(frozen=True)
class Dist:
    """Where this process stands: rank `rank` of `world`, collectives on `device`."""

    rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        """Rank 0 alone logs, writes samples and checkpoints."""
        return self.rank == 0

    def share(self, batch_size: int) -> int:
        """This rank's part of the global batch."""
        if batch_size % self.world or batch_size < 2 * self.world:
            raise UserError(f"batch size {batch_size} does not split over {self.world} processes: --batch-size is the "
                            f"global batch, give a multiple of {self.world} of at least {2 * self.world}")
        return batch_size // self.world

    def reseed(self, rng: np.random.Generator, *keys: int) -> None:
        """Ranks above 0 draw their own data and noise, from (keys, rank); rank 0 keeps the
        single-process streams, so one process trains exactly as it always did."""
        if self.main:
            return
        seq = np.random.SeedSequence([*keys, self.rank])
        rng.bit_generator.state = np.random.default_rng(seq).bit_generator.state
        torch.manual_seed(int(seq.generate_state(1)[0]))

    def broadcast(self, modules: list[nn.Module]) -> None:
        """Rank 0's parameters and buffers on every rank: the replicas start identical."""
        if self.world == 1:
            return
        for module in modules:
            for t in [*module.parameters(), *module.buffers()]:
                td.broadcast(t.data, src=0)

    def average_gradients(self, params: list[torch.Tensor]) -> None:
        """Mean gradient over ranks, in place, as one flat all-reduce (NVlabs stylegan3's way).
        Every rank runs the same code path, so the same parameters have gradients everywhere."""
        if self.world == 1:
            return
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.flatten() for g in grads])
        td.all_reduce(flat)
        flat /= self.world
        for g, avg in zip(grads, flat.split([g.numel() for g in grads])):
            g.copy_(avg.view_as(g))

    def all_finite(self, loss: torch.Tensor) -> bool:
        """Whether the loss is finite on every rank: a step skipped on one is skipped on all."""
        finite = torch.isfinite(loss).all()
        if self.world == 1:
            return bool(finite)
        flag = finite.to(self.device, torch.float32)
        td.all_reduce(flag, op=td.ReduceOp.MIN)
        return bool(flag)

    def agree(self, stop: bool, elapsed: float) -> tuple[bool, float]:
        """(any rank asked to stop, the longest training time): every rank leaves the loop after
        the same step, even under a --minutes budget that each rank times on its own clock."""
        if self.world == 1:
            return stop, elapsed
        both = torch.tensor([float(stop), elapsed], dtype=torch.float64, device=self.device)
        td.all_reduce(both, op=td.ReduceOp.MAX)
        return bool(both[0]), float(both[1])

    def barrier(self) -> None:
        if self.world > 1:
            td.barrier()

    @contextmanager
    def deferred_interrupt(self):
        """Ctrl-C sets the yielded flag instead of raising, so all ranks stop after the same
        step (see `agree`); with one process Ctrl-C raises KeyboardInterrupt as usual."""
        flag = threading.Event()
        if self.world == 1 or threading.current_thread() is not threading.main_thread():
            yield flag
            return
        previous = signal.signal(signal.SIGINT, lambda *_: flag.set())
        try:
            yield flag
        finally:
            signal.signal(signal.SIGINT, previous)


def init(rank: int, world: int, local_rank: int, device: str = "auto") -> tuple[Dist, str]:
    """Join the process group that torchrun set up (its MASTER_ADDR/PORT): nccl on CUDA, gloo on
    CPU. Returns the Dist and this rank's device: cuda:LOCAL_RANK, or cpu."""
    if world == 1:
        return Dist(), device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device cuda was asked for, but this machine has no CUDA GPU")
        dev = torch.device("cuda", local_rank if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    elif dev.type != "cpu":
        raise UserError(f"several processes train on CUDA (nccl) or CPU (gloo), not on {dev.type}")
    backend = "nccl" if dev.type == "cuda" else "gloo"
    td.init_process_group(backend, rank=rank, world_size=world, device_id=dev if dev.type == "cuda" else None)
    return Dist(rank, world, dev), str(dev)


def shutdown(dist: Dist) -> None:
    if dist.world > 1 and td.is_initialized():
        td.destroy_process_group()
