"""The trainer: every variant's loop, optimisers, EMA, AMP, torch.distributed, checkpoints and resume.

A plugin supplies the networks and a training step; ``train`` does everything around them::

    zoo.train("configs/dcgan-mnist.yaml", out="runs/dcgan", steps=2000)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.trainer.recipe import Recipe, RecipeError, load_recipe

__all__ = ["Recipe", "RecipeError", "Trainer", "load_recipe", "train"]


def train(config: str | Path | dict[str, Any], resume: bool = False, **overrides: Any) -> Path:
    """Train from a recipe (YAML path, dict, model or variant name) and ``overrides``; returns the run dir.

    ``resume=True`` continues from ``<out>/checkpoint.pt`` (an error when there is none).
    """
    from zoo.trainer.loop import Trainer

    return Trainer(load_recipe(config, **overrides), resume=resume).run()


def __getattr__(name: str) -> Any:
    if name == "Trainer":  # torch-heavy: imported on use
        from zoo.trainer.loop import Trainer

        return Trainer
    raise AttributeError(name)
