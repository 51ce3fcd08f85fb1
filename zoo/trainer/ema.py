"""Exponential moving averages of the networks a model names in ``averaged`` (the generator).

Until ``start`` steps have run the average simply follows the network (a copy each step); from
then on it decays by ``decay`` per step. Parameters and buffers (batch-norm statistics) are averaged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class EMA:
    """One ``AveragedModel`` per name in ``names`` (none: the trained networks are used as they are)."""

    def __init__(
        self, model: nn.Module, names: tuple[str, ...], decay: float = 0.999, start: int = 0
    ) -> None:
        self.start = start
        self.averages = {
            name: AveragedModel(
                getattr(model, name), multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True
            )
            for name in names
        }

    def update(self, model: nn.Module, step: int) -> None:
        """Fold the networks' weights after optimisation step ``step`` (1-based) into the averages."""
        for name, avg in self.averages.items():
            if step <= self.start:
                avg.n_averaged.zero_()  # AveragedModel copies the weights when nothing is averaged yet
            avg.update_parameters(getattr(model, name))

    def state_dict(self) -> dict[str, Any]:
        return {name: avg.state_dict() for name, avg in self.averages.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, avg in self.averages.items():
            avg.load_state_dict(state[name])

    @contextlib.contextmanager
    def swapped_in(self, model: nn.Module) -> Iterator[nn.Module]:
        """``model`` with the averaged networks in place of the trained ones, in eval mode."""
        originals = {name: getattr(model, name) for name in self.averages}
        training = model.training
        try:
            for name, avg in self.averages.items():
                setattr(model, name, avg.module)
            yield model.eval()
        finally:
            for name, net in originals.items():
                setattr(model, name, net)
            model.train(training)
