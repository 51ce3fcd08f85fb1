"""``zoo convert``: checkpoints saved by a model's original code turned into a loadable model directory.

A variant's model class overrides ``GANModel.convert_original(*state_dicts, **options)``, which gives
``(state_dict, config)``; this module reads the pickled checkpoints safely (``torch.load(weights_only=True)``:
tensors only, no code), checks that the result fits the model built from ``config`` strictly (every key, every
shape), and writes ``model.safetensors`` and ``config.json`` atomically, so ``zoo.load(DIR)`` and
``zoo run DIR`` use it.
A directory and not a lone file: a bare weights file says nothing about the networks to build.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from zoo.artifacts import WEIGHTS, write_run_config
from zoo.build import build_model, meta_shapes
from zoo.errors import WeightsError, ZooError, unreadable_torch_file
from zoo.io import atomic_path
from zoo.version import __version__
from zoo.weights import check_fit, shapes_of

#: the options ``zoo convert`` passes to ``convert_original`` (``--netG``, ``--dropout/--no-dropout``, ...)
OPTIONS = ("netG", "norm", "dropout", "vocabulary")


def read_original(path: str | Path, ema: bool = False) -> dict[str, torch.Tensor]:
    """A plain state dict from a ``.pth`` file, unpickled with ``weights_only=True``; from a training
    checkpoint its ``state_dict``, or with ``ema`` its ``ema_state_dict`` (the averaged weights)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        state = _load(path)
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


def _load(path: Path) -> Any:
    """``torch.load(weights_only=True)``, memory-mapped (tensors read from the file as they are used, no
    copy) unless the file predates torch 1.6's zip format, which cannot be mapped."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as exc:
        if "_use_new_zipfile_serialization" not in str(exc):
            raise
        return torch.load(path, map_location="cpu", weights_only=True)


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
    """Convert ``checkpoints`` of ``variant``'s original code into the model directory ``out``.

    Lean on memory: the files are memory-mapped where their format allows, and the result is checked
    against the model built on the meta device (keys and shapes), so no second copy of the weights is
    allocated; the tensors go to ``model.safetensors`` as they are.
    """
    from zoo.registry import registry

    var = registry().variant(variant)
    cls = var.model_class()
    _check_call(variant, cls, len(checkpoints), options)
    names = " + ".join(map(str, checkpoints))
    states = [read_original(p, ema) for p in checkpoints]
    try:
        state, config = cls.convert_original(*states, **options)
    except WeightsError as exc:  # says what the file looks like; the user's files are named here
        raise WeightsError(f"cannot convert {names}: {exc}") from exc
    expected = meta_shapes(variant, config)
    if expected is None:  # the class cannot be built on the meta device: build it for real
        expected = shapes_of(build_model(variant, config))
    # strict, before anything is written; a misfit names the user's files, never a temporary one
    check_fit(expected, {k: tuple(v.shape) for k, v in state.items()}, names, cls.__name__)
    out = Path(out)
    with atomic_path(out / WEIGHTS) as tmp:
        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp), metadata={"variant": variant})
    record = {
        "variant": variant,
        "plugin": var.plugin,
        "config": config,
        "zoo_version": __version__,
        "converted_from": [Path(p).name for p in checkpoints],
    }
    write_run_config(out, record)
    return out


def _check_call(variant: str, cls: type, files: int, options: dict[str, Any]) -> None:
    """A clear error, before any file is read, when ``variant``'s ``convert_original`` takes another number
    of checkpoint files or does not take one of ``options``."""
    signature = inspect.signature(cls.convert_original)
    params = signature.parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = [k for k in options if k not in params]
        if unknown:
            takes = [f"--{k}" for k in OPTIONS if k in params]
            raise ZooError(
                f"zoo convert {variant} does not take {', '.join(f'--{k}' for k in unknown)}: "
                + (f"it takes {', '.join(takes)}" if takes else "its files say all it needs")
            )
    positional = [p for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    files_params = [p for p in positional if p.name not in OPTIONS]
    least = sum(p.default is p.empty for p in files_params)
    most = None if any(p.kind is p.VAR_POSITIONAL for p in params.values()) else len(files_params)
    if files < least or (most is not None and files > most):
        count = f"{least}" if least == most else f"{least} or more" if most is None else f"{least} to {most}"
        doc = (cls.convert_original.__doc__ or "").strip().splitlines()
        raise ZooError(
            f"zoo convert {variant} takes {count} checkpoint file(s), not {files}"
            + (f": {doc[0]}" if doc else "")
        )
