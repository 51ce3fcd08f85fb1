"""Publishing a model directory to the Hugging Face Hub: weights, ``config.json`` and a model card.

What is published holds no machine paths: the recipe's ``out`` is dropped and every other absolute path
(``init``, data folders, paths in an evaluation's command) becomes ``./<its last name>``. The card's
metadata carries the run's metrics as a ``model-index`` (``huggingface_hub.ModelCardData``); its text
gives their protocol (data, split, sample count, seed, feature network) and the command that reproduces
them.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from zoo.artifacts import CONFIG, LATEST_SAMPLES, WEIGHTS, model_files, read_evaluation, read_run_config
from zoo.errors import HubError
from zoo.hub_download import REPO_ID, hub_errors, unreachable
from zoo.registry import registry
from zoo.version import __version__

log = logging.getLogger(__name__)

#: an absolute path (POSIX, home-relative or Windows): a whole string, or one quoted or unquoted in a text
_ROOT = r"(?:~?/|[A-Za-z]:\\)"
_ABSOLUTE = re.compile(rf"{_ROOT}.*", re.DOTALL)
_ABSOLUTE_IN_TEXT = re.compile(rf"(?P<q>['\"]){_ROOT}[^'\"]*(?P=q)|(?<![\w:/.~-]){_ROOT}[^\s'\"`]+")
#: evaluation fields that describe how the numbers were made, not quality numbers
PROTOCOL_FIELDS = ("step", "n", "seed", "samples", "n_normal", "n_anomalous", "modes_total")
#: the Hub's pipeline tag of each built-in task (a plugin's own tasks get none)
PIPELINE_TAGS = {
    "generate": "unconditional-image-generation",
    "translate": "image-to-image",
    "upscale": "image-to-image",
    "text_to_image": "text-to-image",
}


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
    files = model_files(run)  # one checkpoint's weights and config, even while the run goes on
    for required in (WEIGHTS, CONFIG):
        if not (files / required).is_file():
            raise HubError(f"{run} is not a run directory: {required} is missing (`zoo train` writes it)")
    if not REPO_ID.fullmatch(repo_id):
        raise HubError(f"repo id {repo_id!r} must be 'namespace/name', e.g. 'me/dcgan-mnist'")
    token = token or get_token()
    if not token:
        raise HubError(
            "publishing needs a Hugging Face token with write access: set HF_TOKEN or run `hf auth login` "
            "(`huggingface-cli login` with huggingface_hub < 1.0), or pass token=..."
        )
    config = portable(read_run_config(files / CONFIG, str(run)))
    if isinstance(config.get("recipe"), dict):
        config["recipe"].pop("out", None)  # where the run was written: nothing to others
    load(files)  # refuse to publish weights that do not load
    api = HfApi(token=token, library_name="gan-zoo", library_version=__version__)
    message = (
        commit_message or f"Publish a {config['variant']} run ({config.get('steps', '?')} steps) with gan-zoo"
    )
    with tempfile.TemporaryDirectory(prefix="zoo-publish-") as staging:
        stage = Path(staging)
        shutil.copy2(files / WEIGHTS, stage / WEIGHTS)
        (stage / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
        samples = run / LATEST_SAMPLES
        if samples.is_file():
            shutil.copy2(samples, stage / "samples.png")
        evaluation = portable(read_evaluation(run))
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


def portable(value: Any) -> Any:
    """``value`` (JSON-like) with every absolute path in its strings replaced by ``./<its last name>``."""
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [portable(v) for v in value]
    if isinstance(value, str):
        return (
            _ABSOLUTE_IN_TEXT.sub(_last_name, value) if not _ABSOLUTE.fullmatch(value) else _relative(value)
        )
    return value


def _last_name(found: re.Match[str]) -> str:
    quote = found["q"] or ""
    return quote + _relative(found[0].strip(quote)) + quote


def _relative(path: str) -> str:
    """``./NAME`` for an absolute path: its last component, relative."""
    return "./" + re.split(r"[\\/]", path.rstrip("/\\"))[-1]


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
    from huggingface_hub import ModelCardData

    variant = registry().variants.get(config["variant"])
    task = variant.task if variant else "generate"
    recipe = config.get("recipe") or {}
    model_name = repo_id.split("/")[1]
    metrics = _metrics(evaluation)
    meta = ModelCardData(
        library_name="gan-zoo",
        license=license,
        tags=["gan-zoo", "gan", config["variant"], task],
        pipeline_tag=PIPELINE_TAGS.get(task),
        model_name=model_name,
        eval_results=_eval_results(evaluation, metrics, task) or None,
    )
    lines = [f"---\n{meta.to_yaml()}\n---", f"# {model_name}", ""]
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
        *_metrics_lines(repo_id, config, evaluation, metrics),
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


def _metrics(evaluation: dict[str, Any] | None) -> dict[str, float]:
    """The quality numbers of an ``eval.json``: its numbers, less the protocol's (sample count, seed...)."""
    return {
        k: v
        for k, v in (evaluation or {}).items()
        if k not in PROTOCOL_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _eval_results(evaluation: dict[str, Any] | None, metrics: dict[str, float], task: str) -> list[Any]:
    """The card's ``model-index`` entries: one ``EvalResult`` per metric, on the evaluation's dataset."""
    from huggingface_hub import EvalResult

    data = (evaluation or {}).get("data")
    if data is None:
        return []
    name = data.get("name", "data") if isinstance(data, dict) else str(data)
    args = {k: v for k, v in data.items() if k != "name"} if isinstance(data, dict) else {}
    return [
        EvalResult(
            task_type=PIPELINE_TAGS.get(task, task),
            dataset_type=name,
            dataset_name=name,
            dataset_args=args or None,
            metric_type=metric,
            metric_name=metric,
            metric_value=value,
        )
        for metric, value in metrics.items()
    ]


def _metrics_lines(
    repo_id: str, config: dict[str, Any], evaluation: dict[str, Any] | None, metrics: dict[str, float]
) -> list[str]:
    """The metrics as a table, then their protocol in words and the command that reproduces them."""
    if not evaluation or not metrics:
        return ["No quality metrics were computed for this run (it has no `eval.json`).", ""]
    return [
        "| metric | value |",
        "|---|---|",
        *(f"| {k} | {v:.4g} |" for k, v in metrics.items()),
        "",
        _protocol(repo_id, config, evaluation),
        "",
    ]


def _protocol(repo_id: str, config: dict[str, Any], evaluation: dict[str, Any]) -> str:
    """What the numbers were measured on and how: the evaluator's protocol text (``zoo evaluate`` records
    it; for the trainer's ``eval.json`` the metrics suite words it), the data, sample count, seed and step,
    and the ``zoo evaluate`` command that measures them again on the published weights."""
    data, n = evaluation.get("data"), evaluation.get("n")
    seed = evaluation.get("seed", 0)  # the trainer's periodic evaluation uses seed 0
    text = evaluation.get("protocol") or _suite_protocol(data, n, seed)
    facts = [f"data `{json.dumps(data)}`"] if data is not None else []
    facts += [f"{n} samples"] if n is not None else []
    facts += [f"seed {seed}"]
    if "step" in evaluation:
        facts.append(f"the weights at step {evaluation['step']} of {config.get('steps', '?')}")
    command = evaluation.get("command")  # recorded by `zoo evaluate --json`
    if data is not None:  # the same measurement, on the published weights
        spec = data if isinstance(data, str) else json.dumps(data)
        words = ["zoo", "evaluate", f"hf-hub:{repo_id}", "--data", spec]
        command = shlex.join(words + (["--n", str(n)] if n is not None else []) + ["--seed", str(seed)])
    paragraph = (
        f"Protocol: {text.rstrip('.')}." if text else "Protocol: the run's own evaluation (`eval.json`)."
    )
    paragraph += f" Measured on {', '.join(facts)}."
    if command:
        paragraph += f" Reproduce with `{command}`."
    return paragraph


def _suite_protocol(data: Any, n: int | None, seed: int) -> str:
    """The core metrics suite's protocol text for ``data``, or "" when the suite does not score it."""
    if data is None or n is None:
        return ""
    from zoo.metrics.suite import protocol

    try:
        return protocol(data, n, seed)
    except (ValueError, KeyError):  # a dataset the core's metrics do not know
        return ""
