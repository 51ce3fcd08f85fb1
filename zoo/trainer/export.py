"""The run directory's files for ``zoo.load`` and ``zoo publish``: ``model.safetensors``, ``config.json``."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from zoo.artifacts import WEIGHTS, model_files, write_run_config
from zoo.entries import Variant
from zoo.trainer.ema import EMA
from zoo.trainer.recipe import Recipe
from zoo.version import __version__
from zoo.weights import save_weights


def run_config(model: nn.Module, variant: Variant, recipe: Recipe, step: int) -> dict:
    """Everything needed to rebuild the networks (variant, plugin, kwargs) and to retrain them."""
    return {
        "variant": variant.name,
        "plugin": variant.plugin,
        "config": dict(model.config),
        "zoo_version": __version__,
        "recipe": recipe.to_dict(),
        "steps": step,
    }


def export_run(
    model: nn.Module, ema: EMA, variant: Variant, recipe: Recipe, step: int, run_dir: Path
) -> Path:
    """Write the inference weights (averaged networks in place of the trained ones) and ``config.json``
    into ``run_dir``, or into its current checkpoint set when it has one (a plugin re-exporting the
    checkpoint just written, e.g. with calibrated buffers, updates that set)."""
    folder = model_files(run_dir)
    with ema.swapped_in(model) as inference:
        save_weights(inference, folder / WEIGHTS, metadata={"variant": variant.name, "steps": str(step)})
    write_run_config(folder, run_config(model, variant, recipe, step))
    return folder / WEIGHTS
