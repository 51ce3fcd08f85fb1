"""``zoo release``: publish a distribution's named models to the Hub and pin their catalogue to them.

For each entry with a bundled weights file, a model directory is staged (that file, a ``config.json``
with the entry's variant, config and training recipe, its metrics and protocol as the evaluation, and a
sample picture the model draws), published with ``zoo.hub_publish.publish`` to ``ORG/<name>``, and the
returned commit is written back to the entry's catalogue as ``weights.repo`` and ``weights.revision``
(its ``sha256`` stays: the file is the same). So a maintainer with Hub access makes the bundled defaults
Hub-backed in one command; ``zoo.load`` then fetches them at the pinned revision, sha256 checked, and
uses the bundled copy only when the Hub cannot be reached. Released originals (``weights.url``: the
original projects' files, converted on first use) have no bundled file and are not released: they are
not gan-zoo's weights to publish.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

import yaml

from zoo.artifacts import EVALUATION, LATEST_SAMPLES, WEIGHTS, write_run_config
from zoo.bundle import record_weights
from zoo.entries import ModelEntry
from zoo.errors import HubError, ZooError
from zoo.hub_publish import publish
from zoo.loading import load
from zoo.plugins import plugin_infos
from zoo.registry import registry
from zoo.version import __version__

log = logging.getLogger(__name__)

#: how many samples the picture of a generate model shows
SAMPLES = 16


def release(
    org: str,
    names: list[str] | None = None,
    *,
    distribution: str = "gan-zoo",
    token: str | None = None,
    private: bool = False,
) -> dict[str, str]:
    """Publish ``names`` (default: every model of ``distribution``'s plugins) to ``ORG/<name>``; returns
    ``{name: commit}``. Each entry's catalogue records the repo and commit as soon as it is published."""
    entries = _entries(names, distribution)
    published = {}
    for entry in entries:
        repo_id = f"{org}/{entry.name}"
        with tempfile.TemporaryDirectory(prefix="zoo-release-") as staging:
            commit = publish(
                _stage(entry, Path(staging)),
                repo_id,
                token=token,
                private=private,
                commit_message=f"Release {entry.name} with gan-zoo {__version__}",
                license=(entry.license or "other").lower(),
            )
        record_weights(Path(entry.source), entry.name, {"repo": repo_id, "revision": commit})
        log.info("%s: published to %s at %s, pinned in %s", entry.name, repo_id, commit, entry.source)
        published[entry.name] = commit
    return published


def _entries(names: list[str] | None, distribution: str) -> list[ModelEntry]:
    """The entries to release: the named ones, or every bundled one of ``distribution``; each must have a
    bundled file and come from a catalogue file that can be pinned."""
    reg = registry()
    if names:
        chosen = [reg.find(name) for name in names]
    else:
        plugins = {p.name for p in plugin_infos() if p.distribution == distribution}
        chosen = [e for e in reg.list() if e.plugin in plugins and e.weights and e.weights.bundled]
        if not chosen:
            raise ZooError(f"no model of the distribution {distribution!r} has bundled weights to release")
    for entry in chosen:
        if entry.is_released:
            raise HubError(
                f"{entry.name} is the original project's released model, converted on first use from "
                f"{entry.weights.url}: not gan-zoo's weights to publish (zoo release publishes bundled "
                "models)"
            )
        if not (entry.weights and entry.weights.bundled and Path(entry.weights.bundled).is_file()):
            raise HubError(f"{entry.name} has no bundled weights file to release")
        if not Path(entry.source).is_file():
            raise HubError(
                f"{entry.name} was registered by {entry.source}, not read from a catalogue file: its Hub "
                "revision cannot be recorded; register it with zoo.models_from_yaml"
            )
    return chosen


def _stage(entry: ModelEntry, folder: Path) -> Path:
    """A model directory for ``entry``: its bundled weights, config, recipe, metrics and a sample picture."""
    shutil.copy2(entry.weights.bundled, folder / WEIGHTS)
    recipe = yaml.safe_load(entry.recipe_path.read_text()) if entry.recipe_path else None
    record = {
        "variant": entry.variant,
        "plugin": registry().variant(entry.variant).plugin,
        "config": entry.config,
        "zoo_version": __version__,
        **({"recipe": recipe, "steps": recipe.get("steps", "?")} if isinstance(recipe, dict) else {}),
    }
    write_run_config(folder, record)
    if entry.metrics:
        (folder / EVALUATION).write_text(json.dumps(entry.metrics, indent=2) + "\n")
    model = load(folder)
    if model.task == "generate":
        from zoo.images import save_samples

        (folder / LATEST_SAMPLES).parent.mkdir()
        save_samples(model.generate(SAMPLES, seed=0), folder / LATEST_SAMPLES)
    return folder
