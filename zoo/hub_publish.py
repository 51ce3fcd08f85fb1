"""Publishing a model directory to the Hugging Face Hub: weights, ``config.json`` and a model card."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from zoo.artifacts import CONFIG, LATEST_SAMPLES, WEIGHTS, read_evaluation, read_run_config
from zoo.errors import HubError
from zoo.hub_download import REPO_ID, hub_errors, unreachable
from zoo.registry import registry
from zoo.version import __version__

log = logging.getLogger(__name__)


def publish(
    run: str | Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
    license: str = "mit",
) -> str:
    """Upload a run's ``model.safetensors``, ``config.json``, model card and samples; return the commit sha.

    The run is loaded first (strictly), so weights that do not fit their config are never published.
    """
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError

    from zoo.loading import load

    run = Path(run)
    for required in (WEIGHTS, CONFIG):
        if not (run / required).is_file():
            raise HubError(f"{run} is not a run directory: {required} is missing (`zoo train` writes it)")
    if not REPO_ID.fullmatch(repo_id):
        raise HubError(f"repo id {repo_id!r} must be 'namespace/name', e.g. 'me/dcgan-mnist'")
    token = token or get_token()
    if not token:
        raise HubError(
            "publishing needs a Hugging Face token with write access: set HF_TOKEN or run `hf auth login` "
            "(`huggingface-cli login` with huggingface_hub < 1.0), or pass token=..."
        )
    config = read_run_config(run / CONFIG, str(run))
    load(run)  # refuse to publish weights that do not load
    api = HfApi(token=token, library_name="gan-zoo", library_version=__version__)
    message = (
        commit_message or f"Publish a {config['variant']} run ({config.get('steps', '?')} steps) with gan-zoo"
    )
    with tempfile.TemporaryDirectory(prefix="zoo-publish-") as staging:
        stage = Path(staging)
        shutil.copy2(run / WEIGHTS, stage / WEIGHTS)
        shutil.copy2(run / CONFIG, stage / CONFIG)
        samples = run / LATEST_SAMPLES
        if samples.is_file():
            shutil.copy2(samples, stage / "samples.png")
        evaluation = read_evaluation(run)
        card = model_card(repo_id, config, evaluation, samples.is_file(), license)
        (stage / "README.md").write_text(card, encoding="utf-8")
        try:
            api.create_repo(repo_id, private=private, exist_ok=True)
            commit = api.upload_folder(repo_id=repo_id, folder_path=stage, commit_message=message)
        except HfHubHTTPError as exc:
            raise HubError(_explain_write(exc, repo_id)) from exc
        except hub_errors() as exc:  # transport errors: no network, a wrong HF_ENDPOINT
            raise HubError(
                f"cannot publish {run} to {repo_id}: {unreachable(exc)}; --token must be a token of that Hub"
            ) from exc
    log.info("published %s to %s at commit %s", run, repo_id, commit.oid)
    return commit.oid


def _explain_write(exc: Any, repo_id: str) -> str:
    status = exc.response.status_code if exc.response is not None else None
    server = exc.server_message or exc
    if status == 401:
        return (
            f"the Hub rejected the token (401: {server}). Set HF_TOKEN to a valid token with write access "
            "or run `hf auth login`."
        )
    if status == 403:
        return (
            f"no write access to {repo_id} (403: {server}): your token cannot write to the namespace "
            f"{repo_id.split('/')[0]!r}. Publish under your own namespace or ask its owner for write access."
        )
    return f"publishing to {repo_id} failed: {exc}"


def model_card(
    repo_id: str, config: dict[str, Any], evaluation: dict[str, Any] | None, samples: bool, license: str
) -> str:
    """``README.md`` for a published run: YAML metadata, then variant, data, metrics, samples, usage."""
    variant = registry().variants.get(config["variant"])
    task = variant.task if variant else "generate"
    recipe = config.get("recipe") or {}
    meta = {
        "library_name": "gan-zoo",
        "license": license,
        "tags": ["gan-zoo", "gan", config["variant"], task],
    }
    lines = [f"---\n{yaml.safe_dump(meta, sort_keys=False)}---", f"# {repo_id.split('/')[1]}", ""]
    summary = variant.summary if variant else "a variant from a third-party plugin"
    sources = config.get("converted_from")
    origin = (
        f"converted with `zoo convert` from checkpoints of the original code ({', '.join(sources)}) and "
        "published with gan-zoo; it was not trained with gan-zoo"
        if sources
        else "trained and published with gan-zoo"
    )
    lines += [
        f"A `{config['variant']}` model ({summary}), {origin}.",
        "",
        "## Model",
        "",
        f"- Variant: `{config['variant']}` (plugin `{config.get('plugin', '?')}`), task `{task}`",
        f"- Paper: {variant.paper if variant and variant.paper else 'n/a'}",
        f"- Network config: `{json.dumps(config['config'])}`",
        f"- Training steps: {config.get('steps', '?')}",
        "",
        "## Training data",
        "",
    ]
    if sources:
        lines += ["Trained by the original code on its own data: see the checkpoints' source.", ""]
    else:
        lines += [
            f"Data: `{json.dumps(recipe.get('data', '?'))}`. The full recipe (also in `config.json`):",
            "",
            "```yaml",
            yaml.safe_dump(recipe, sort_keys=False).rstrip() if recipe else "# not recorded",
            "```",
            "",
        ]
        notes = variant.model_class().training_notes(recipe) if variant and recipe else []
        lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    lines += [
        "## Metrics",
        "",
        *_metrics_lines(evaluation),
    ]
    if samples:
        lines += ["## Samples", "", "![samples](samples.png)", ""]
    call = {
        "generate": "model.generate(16, seed=0)  # (16, C, H, W) in [0, 1]",
        "text_to_image": 'model.generate(["a small red circle"], seed=0)  # (1, 3, H, W) in [0, 1]',
    }.get(task, f"model.{task}(...)")
    lines += [
        "## How to load",
        "",
        "```python",
        "import zoo",
        "",
        f'model = zoo.load("hf-hub:{repo_id}")  # or "hf-hub:{repo_id}@<commit sha>" to pin a revision',
        f"out = {call}",
        "```",
        "",
        f"License: {license}.",
        "",
    ]
    return "\n".join(lines)


def _metrics_lines(evaluation: dict[str, Any] | None) -> list[str]:
    """The run's ``eval.json`` as a table, with its protocol (data, sample count, step)."""
    if not evaluation:
        return ["No quality metrics were computed for this run (it has no `eval.json`).", ""]
    protocol = {k: v for k, v in evaluation.items() if k in ("step", "data", "samples") or not _is_number(v)}
    numbers = {k: v for k, v in evaluation.items() if k not in protocol}
    described = ", ".join(f"{k}: `{json.dumps(v)}`" for k, v in protocol.items())
    return [
        f"Protocol ({described}), computed by the gan-zoo trainer (`eval.json` of the run):",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {v:.4g} |" for k, v in numbers.items()),
        "",
    ]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
