"""``zoo.load``: a name to a ready model, its weights found, verified and loaded strictly.

A name is a registry entry (``dcgan-mnist``), a variant alias (``dcgan``), ``plugin:name``, a run
directory written by ``zoo train``, or ``hf-hub:user/repo[@rev]``. Weights come from, in this order:
an explicit ``weights=`` path, the Hugging Face cache or the Hub, the entry's bundled default; a
released original's (``weights.url``) from gan-zoo's cache, converted there on first use
(``zoo.originals``). The source is logged at INFO; registry weights are checked against their sha256
on every load.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from zoo.artifacts import CONFIG, WEIGHTS, model_files, read_run_config
from zoo.build import build_model, meta_shapes
from zoo.errors import HubError, RegistryError, UnknownModelError
from zoo.hub_download import HUB_PREFIX, entry_weights
from zoo.model import GANModel
from zoo.originals import converted_weights
from zoo.registry import registry
from zoo.weights import check_fit, load_weights, read_shapes, verify_weights

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Spec:
    """What a name resolves to: the networks to build and how to find their weights."""

    label: str
    variant: str
    config: dict[str, Any]
    weights: Callable[[], tuple[Path, str | None]]  # the file, and the sha256 to check while loading it
    plugin: str = ""


def load(
    name: str | os.PathLike,
    *,
    pretrained: bool = True,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | str | None = None,
    weights: str | os.PathLike | None = None,
    revision: str | None = None,
    **config: Any,
) -> GANModel:
    """The model ``name`` names (``config`` overrides its kwargs) with its weights, in eval mode.

    The config is checked against the model class, and the networks are first built on the meta device
    (no memory) and compared with the weights file's header: a config that does not fit its weights
    fails before any parameter is allocated.
    """
    target_dtype = _dtype(dtype)
    spec = _resolve(name, revision, fetch_weights=pretrained and weights is None)
    config = {**spec.config, **config}
    _check_config(spec, config)
    path = None
    if weights is not None:
        log.info("%s: weights from the explicit path %s (no reference hash to check)", spec.label, weights)
        path = verify_weights(weights)
    elif pretrained:
        path = verify_weights(*spec.weights())
    if path is not None:
        shapes = meta_shapes(spec.variant, config, spec.label, spec.plugin)
        if shapes is not None:
            check_fit(shapes, read_shapes(path), path, f"{spec.variant} built from {_sizes(config)}")
    model = build_model(spec.variant, config, spec.label, spec.plugin)
    if path is not None:
        load_weights(model, path)  # its hash was checked above
    return model.to(device=device, dtype=target_dtype).eval()


def _check_config(spec: _Spec, config: dict[str, Any]) -> None:
    """The model class's ``check_config``; an unknown variant is left to ``build_model`` to explain."""
    try:
        cls = registry().variant(spec.variant).model_class()
    except UnknownModelError:
        return
    cls.check_config(config, spec.label)


def _sizes(config: dict[str, Any]) -> str:
    """The config's number fields (``width=2048, resolution=32``), the likely culprits of a misfit."""
    numbers = [f"{k}={v}" for k, v in config.items() if isinstance(v, int) and not isinstance(v, bool)]
    return f"the config ({', '.join(numbers)})" if numbers else "its config"


def _resolve(name: str | os.PathLike, revision: str | None, fetch_weights: bool) -> _Spec:
    text = os.fspath(name)
    if text.startswith(HUB_PREFIX):
        return _from_hub(text, revision, fetch_weights)
    if isinstance(name, os.PathLike) or "/" in text or os.sep in text:
        return _from_run(Path(text), revision)
    try:
        entry = registry().find(text)
    except UnknownModelError:
        if (Path(text) / CONFIG).is_file():
            return _from_run(Path(text), revision)
        raise
    if entry.is_released:
        if revision is not None:
            raise HubError(
                f"revision={revision!r} applies to Hub models; {entry.name} is a released original"
            )
        return _Spec(
            entry.name, entry.variant, entry.config, lambda: (converted_weights(entry), None), entry.plugin
        )
    return _Spec(
        entry.name, entry.variant, entry.config, lambda: entry_weights(entry, revision), entry.plugin
    )


def _from_hub(name: str, revision: str | None, fetch_weights: bool) -> _Spec:
    from zoo.hub_download import fetch_published, parse_hub_name

    repo_id, pinned = parse_hub_name(name)
    if revision and pinned and revision != pinned:
        raise HubError(
            f"{name} pins revision {pinned!r} but revision={revision!r} was passed: give one of them"
        )
    files = fetch_published(
        repo_id, revision or pinned, [CONFIG, WEIGHTS] if fetch_weights else [CONFIG], name
    )
    config = read_run_config(files[CONFIG], name)
    return _Spec(
        name, config["variant"], config["config"], lambda: (files[WEIGHTS], None), config.get("plugin", "")
    )


def _from_run(run: Path, revision: str | None) -> _Spec:
    if revision is not None:
        raise HubError(f"revision={revision!r} applies to Hub models, not to the run directory {run}")
    files = model_files(run)  # a run's current checkpoint: its config and weights are of one step
    if not (files / CONFIG).is_file():
        raise RegistryError(
            f"{run} is not a run directory: it has no {CONFIG} (`zoo train --out DIR` writes one)"
        )
    config = read_run_config(files / CONFIG, str(run))

    def weights() -> tuple[Path, None]:
        log.info("%s: weights from the run directory (%s; no reference hash to check)", run, files / WEIGHTS)
        return files / WEIGHTS, None

    return _Spec(str(run), config["variant"], config["config"], weights, config.get("plugin", ""))


def _dtype(dtype: torch.dtype | str | None) -> torch.dtype | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype).removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"dtype {dtype!r} is not a torch dtype: use e.g. torch.float16 or 'bfloat16'")
    return value
