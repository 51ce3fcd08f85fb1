"""Deterministic, resumable, sharded batches.

The order of an epoch is a pure function of ``(seed, epoch)``: a resumed run recreates it and skips
the batches already seen, so it sees exactly the samples an uninterrupted run would. Each process
takes every ``world``-th index of that order (disjoint shards); incomplete batches are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from zoo.trainer.recipe import RecipeError


def epoch_order(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The shuffled indices ``0..n-1`` of ``epoch``: the same for the same ``(seed, epoch)``."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=gen)


class ShardBatches(Sampler[list[int]]):
    """The batches of one epoch for one process, starting after the first ``start`` batches."""

    def __init__(self, n: int, batch_size: int, seed: int, epoch: int, rank: int, world: int, start: int = 0):
        self.per_epoch = n // (batch_size * world)
        if self.per_epoch == 0:
            raise RecipeError(
                f"the dataset has {n} samples, fewer than one batch per process ({batch_size} x {world}); "
                "lower batch_size or use more data"
            )
        self.n, self.batch_size, self.seed, self.epoch = n, batch_size, seed, epoch
        self.rank, self.world, self.start = rank, world, start

    def __len__(self) -> int:
        return self.per_epoch - self.start

    def __iter__(self) -> Iterator[list[int]]:
        used = self.per_epoch * self.batch_size * self.world
        shard = epoch_order(self.n, self.seed, self.epoch)[:used][self.rank :: self.world]
        for b in range(self.start, self.per_epoch):
            yield shard[b * self.batch_size : (b + 1) * self.batch_size].tolist()


@dataclass
class Position:
    """Where the data stream stands: the epoch and the batches already taken from it."""

    epoch: int = 0
    index: int = 0


class BatchStream:
    """An endless iterator of collated batches that knows its ``Position`` for checkpoints."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        seed: int,
        rank: int,
        world: int,
        workers: int,
        pin: bool,
        position: Position | None = None,
    ) -> None:
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.rank, self.world, self.workers, self.pin = rank, world, workers, pin
        self.position = position or Position()
        self._it: Iterator | None = None

    def _loader(self) -> DataLoader:
        p = self.position
        sampler = ShardBatches(
            len(self.dataset), self.batch_size, self.seed, p.epoch, self.rank, self.world, p.index
        )
        # A seeded generator: DataLoader would otherwise draw worker seeds from the global RNG,
        # which the training step also uses, and a resumed run would draw them at another moment.
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + p.epoch * 101 + self.rank)
        return DataLoader(
            self.dataset,
            batch_sampler=sampler,
            num_workers=self.workers,
            pin_memory=self.pin,
            generator=gen,
            persistent_workers=False,
        )

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        while True:
            if self._it is None:
                self._it = iter(self._loader())
            try:
                batch = next(self._it)
            except StopIteration:
                self._it = None
                self.position = Position(self.position.epoch + 1, 0)
                continue
            self.position = Position(self.position.epoch, self.position.index + 1)
            return batch
