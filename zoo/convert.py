"""``zoo convert``: checkpoints saved by a model's original code turned into a loadable model directory.

A variant's model class overrides ``GANModel.convert_original(*state_dicts, **options)``, which gives
``(state_dict, config)``; this module reads the pickled checkpoints safely (``torch.load(weights_only=True)``:
tensors only, no code), checks that the result loads strictly into the model built from ``config``, and writes
``model.safetensors`` and ``config.json`` atomically, so ``zoo.load(DIR)`` and ``zoo run DIR`` use it.
A directory and not a lone file: a bare weights file says nothing about the networks to build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from zoo.artifacts import WEIGHTS, write_run_config
from zoo.build import build_model
from zoo.errors import WeightsError, ZooError, unreadable_torch_file
from zoo.io import atomic_path
from zoo.version import __version__
from zoo.weights import check_fit, shapes_of


def read_original(path: str | Path, ema: bool = False) -> dict[str, torch.Tensor]:
    """A plain state dict from a ``.pth`` file, unpickled with ``weights_only=True``; from a training
    checkpoint its ``state_dict``, or with ``ema`` its ``ema_state_dict`` (the averaged weights)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError:  # the file could not be read: its own message says why
        raise
    except Exception as exc:  # on content it cannot parse, torch.load raises EOFError, KeyError, ...
        raise WeightsError(
            f"{path} is not a checkpoint torch.load(weights_only=True) can read (a plain state dict "
            f"of tensors, as the original code saves): {unreadable_torch_file(exc)}"
        ) from exc
    wanted = "ema_state_dict" if ema else "state_dict"
    if isinstance(state, dict) and isinstance(state.get(wanted), dict):
        state = state[wanted]  # a training checkpoint: {"epoch", "state_dict", "ema_state_dict", ...}
    elif ema:
        raise WeightsError(
            f"{path} has no ema_state_dict (an SRGAN-PyTorch training checkpoint saves one): leave out --ema "
            "to convert its weights as they are"
        )
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise WeightsError(f"{path} does not hold a state dict (a mapping of parameter names to tensors)")
    return state


def with_batchnorm_counters(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with the batch-norm counters that files saved before torch 0.4.1 lack set to 0, as torch
    sets them when the original code loads such a file (strict loading would call them missing)."""
    counters = [
        k.removesuffix("running_mean") + "num_batches_tracked" for k in state if k.endswith("running_mean")
    ]
    return state | {k: torch.tensor(0) for k in counters if k not in state}


def convert(
    variant: str, checkpoints: list[str | Path], out: str | Path, ema: bool = False, **options: Any
) -> Path:
    """Convert ``checkpoints`` of ``variant``'s original code into the model directory ``out``."""
    from zoo.registry import registry

    var = registry().variant(variant)
    cls = var.model_class()
    states = [read_original(p, ema) for p in checkpoints]
    try:
        state, config = cls.convert_original(*states, **options)
    except TypeError as exc:
        raise ZooError(f"{variant} converts other checkpoints or options than given: {exc}") from exc
    model = build_model(variant, config)
    sources = [Path(p).name for p in checkpoints]
    # strict, before anything is written; a misfit names the user's files, never a temporary one
    converted = {k: tuple(v.shape) for k, v in state.items()}
    check_fit(shapes_of(model), converted, " + ".join(map(str, checkpoints)), cls.__name__)
    model.load_state_dict(state, strict=True)
    out = Path(out)
    with atomic_path(out / WEIGHTS) as tmp:
        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp), metadata={"variant": variant})
    record = {
        "variant": variant,
        "plugin": var.plugin,
        "config": config,
        "zoo_version": __version__,
        "converted_from": sources,
    }
    write_run_config(out, record)
    return out
