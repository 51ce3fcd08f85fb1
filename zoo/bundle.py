"""Bundled weights from a run: only the tensors a registry entry's config builds, optionally in float16.

``zoo bundle RUN OUT [--set KEY=VALUE ...] [--dtype float16] [--source TEXT]`` builds the run's
model with its ``config.json`` overridden by ``--set`` (e.g. ``discriminators=false``: the entry's
``config``), keeps the run's tensors that model has (strictly: a tensor it lacks is an error), casts the
floating ones to ``--dtype`` and writes them to OUT atomically with the metadata ``variant``, ``source``,
``steps`` and ``dtype``. It prints OUT's sha256 for the entry's ``weights.sha256``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from zoo.artifacts import CONFIG, WEIGHTS, read_run_config
from zoo.errors import WeightsError
from zoo.io import atomic_path
from zoo.loading import load
from zoo.weights import read_weights, sha256_of


def bundle(
    run: str | Path,
    out: str | Path,
    overrides: dict[str, Any] | None = None,
    dtype: torch.dtype | None = None,
    source: str = "",
) -> str:
    """Write the bundle of ``run`` (see the module doc) to ``out`` and return its sha256."""
    run = Path(run)
    config = read_run_config(run / CONFIG, str(run))
    wanted = load(run, pretrained=False, **(overrides or {})).state_dict().keys()  # zoo.load's config errors
    state = read_weights(run / WEIGHTS)
    missing = sorted(wanted - state.keys())
    if missing:
        raise WeightsError(f"{run}: the weights lack {len(missing)} tensors of the model: {missing[:5]}")
    keep = {
        key: (value.to(dtype) if dtype is not None and value.is_floating_point() else value).contiguous()
        for key, value in state.items()
        if key in wanted
    }
    metadata = {
        "variant": config["variant"],
        "source": source or str(run),
        "steps": str(config.get("steps", "?")),
        "dtype": ",".join(
            sorted({str(v.dtype).removeprefix("torch.") for v in keep.values() if v.is_floating_point()})
        ),
    }
    with atomic_path(out) as tmp:
        save_file(keep, str(tmp), metadata=metadata)
    return sha256_of(out)
