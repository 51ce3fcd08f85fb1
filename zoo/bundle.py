"""Bundled weights from a run: only the tensors a registry entry's config builds, optionally in float16.

``zoo bundle RUN OUT [--set KEY=VALUE ...] [--dtype float16] [--source TEXT]`` builds the run's
model with its ``config.json`` overridden by ``--set`` (e.g. ``discriminators=false``: the entry's
``config``), keeps the run's tensors that model has (strictly: a tensor it lacks is an error), casts the
floating ones to ``--dtype`` and writes them to OUT atomically with the metadata ``variant``, ``source``,
``steps`` and ``dtype``. With ``--catalogue YAML --entry NAME`` it records OUT (relative to the YAML's
folder) and its sha256 as that entry's ``weights.bundled`` and ``weights.sha256``, keeping the rest of
the file, comments included, as it was.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors.torch import save_file

from zoo.artifacts import CONFIG, WEIGHTS, model_files, read_run_config
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
    catalogue: str | Path | None = None,
    entry: str | None = None,
) -> str:
    """Write the bundle of ``run`` (see the module doc) to ``out`` and return its sha256; with
    ``catalogue`` and ``entry``, record the file and its sha256 in that catalogue entry."""
    run = Path(run)
    if (catalogue is None) != (entry is None):
        raise WeightsError(
            "give both catalogue and entry (the YAML file and the model to record), or neither"
        )
    if catalogue is not None:  # checked before any work is done
        relative = _bundled_path(Path(catalogue), Path(out))
        _catalogue_models(Path(catalogue), entry)
    files = model_files(run)  # one checkpoint's weights and config, even while the run goes on
    config = read_run_config(files / CONFIG, str(run))
    # zoo.load gives the config errors
    wanted = load(files, pretrained=False, **(overrides or {})).state_dict().keys()
    state = read_weights(files / WEIGHTS)
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
    sha256 = sha256_of(out)
    if catalogue is not None:
        record_weights(Path(catalogue), entry, {"bundled": relative, "sha256": sha256})
    return sha256


def _bundled_path(catalogue: Path, out: Path) -> str:
    """``out`` relative to the catalogue's folder, where ``models_from_yaml`` looks for it."""
    folder = Path(os.path.normpath(catalogue.absolute().parent))  # as models_from_yaml resolves it
    try:
        return Path(os.path.normpath(out.absolute())).relative_to(folder).as_posix()
    except ValueError:
        raise WeightsError(
            f"{out} is outside {folder}: a catalogue names bundled files inside its own folder (its plugin's "
            "package); write the bundle there"
        ) from None


def record_weights(catalogue: Path, entry: str, values: dict[str, str]) -> None:
    """Set ``weights.<key>: value`` of ``entry`` in the YAML ``catalogue`` by editing those lines only.

    A block-style ``weights:`` mapping is required (the layout of ``registry.yaml``); the result is parsed
    back and must differ from the original in exactly those values, else nothing is written.
    """
    text = catalogue.read_text()
    before = _catalogue_models(catalogue, entry)
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.rstrip() == f"  {entry}:")
    end = next((i for i in range(start + 1, len(lines)) if _indent(lines[i]) <= 2), len(lines))
    weights = next((i for i in range(start, end) if lines[i].strip().startswith("weights:")), None)
    if weights is None or lines[weights].strip() != "weights:":
        raise WeightsError(
            f"{catalogue}: model {entry!r} needs a block-style `weights:` mapping (one field per line) "
            "for its weights to be recorded"
        )
    depth = _indent(lines[weights]) + 2
    block = weights + 1
    while block < end and _indent(lines[block]) >= depth:
        block += 1
    for key, value in values.items():
        found = next((i for i in range(weights + 1, block) if lines[i].strip().startswith(f"{key}:")), None)
        text_value = value if yaml.safe_load(value) == value else json.dumps(value)  # e.g. an all-digit sha
        line = f"{' ' * depth}{key}: {text_value}\n"
        if found is None:
            lines.insert(block, line)
            block, end = block + 1, end + 1
        else:
            lines[found] = line
    new_text = "".join(lines)
    after = yaml.safe_load(new_text)
    expected = copy.deepcopy(before)
    expected["models"][entry].setdefault("weights", {}).update(values)
    if after != expected:
        raise WeightsError(f"{catalogue}: could not record the weights of {entry!r} safely; edit it by hand")
    with atomic_path(catalogue.resolve()) as tmp:  # through a link (plugins/registry.yaml), not over it
        tmp.write_text(new_text)


def _catalogue_models(catalogue: Path, entry: str) -> dict[str, Any]:
    """The parsed catalogue, which must name ``entry`` under ``models:``."""
    data = yaml.safe_load(catalogue.read_text())
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, dict) or entry not in models:
        raise WeightsError(f"{catalogue} has no model {entry!r} under `models:`; add the entry first")
    return data


def _indent(line: str) -> int:
    """Leading spaces of a line; blank and comment lines count as deeper than anything."""
    stripped = line.lstrip(" ")
    return 1 << 20 if not stripped.strip() or stripped.startswith("#") else len(line) - len(stripped)
