"""Hook implementations of the GANomaly plugin (light: torch and the networks are imported on use).

Besides the variant, the trainer hooks calibrate a GANomaly run on the recipe's ``validation`` data:
it is read (and checked) before the first step, and used at every checkpoint.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from zoo_plugins import register_catalogue_models

import zoo

log = logging.getLogger("zoo.ganomaly")  # under the zoo logger, which the CLI shows at INFO

#: validation images and labels of the runs in progress, read once at their start
_VALIDATION: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="ganomaly",
            model="zoo_plugins.ganomaly.model:GANomaly",
            training_step="zoo_plugins.ganomaly.training:training_step",
            recipe="zoo_plugins.ganomaly.training:RECIPE",
            task="score",
            summary="anomaly detection: encoder-decoder-encoder generator, score = latent distance; "
            "trained on normal images only",
            paper="Akcay et al. 2018, GANomaly: Semi-Supervised Anomaly Detection via Adversarial Training, "
            "arXiv:1805.06725",
            data="folder",
        )
    )


def _ours(trainer: Any) -> bool:
    return trainer.variant.name == "ganomaly"


@zoo.hookimpl
def on_train_start(trainer):
    if not _ours(trainer):
        return
    spec = trainer.recipe.validation
    if spec is None:
        log.warning(
            "the recipe has no validation data: the model will have no threshold or min-max "
            "constants (score() and is_anomaly() refuse); pass --validation DIR (good/ + anomaly/)"
        )
        return
    from zoo_plugins.ganomaly.calibration import validation_data

    _VALIDATION[trainer] = validation_data(spec, trainer.model)


@zoo.hookimpl
def on_checkpoint(trainer):
    if not _ours(trainer) or trainer not in _VALIDATION:
        return
    from zoo_plugins.ganomaly.calibration import validate, write_eval

    from zoo.trainer.export import export_run

    result = validate(trainer.model, *_VALIDATION[trainer])
    export_run(trainer.model, trainer.ema, trainer.variant, trainer.recipe, trainer.step, trainer.run_dir)
    write_eval(trainer.run_dir, {"step": trainer.step, "validation": trainer.recipe.validation, **result})
    log.info(
        "step %d, validation AUROC %.4f, threshold %.4f (TPR %.3f, FPR %.3f)",
        trainer.step,
        result["auroc"],
        result["threshold"],
        result["tpr"],
        result["fpr"],
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "ganomaly")
