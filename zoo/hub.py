"""The Hugging Face Hub side of the zoo: verified downloads (cache, Hub or mirror) and publishing runs.

Downloads go through huggingface_hub, so ``HF_ENDPOINT`` (mirrors), ``HF_HUB_OFFLINE`` and its cache
work as usual. The client compares only sizes, so every file is hashed here against a reference: the
registry's sha256, the hashes the Hub lists for a published repo (LFS sha256 or git blob sha1), or,
offline, the ETag the Hub sent at download time (the name of the cached blob).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import HubError, WeightsError
from zoo.registry import ModelEntry, registry
from zoo.weights import sha256_of

log = logging.getLogger(__name__)

HUB_PREFIX = "hf-hub:"
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")


def parse_hub_name(name: str) -> tuple[str, str | None]:
    """``"hf-hub:user/repo@rev"`` to ``("user/repo", "rev")`` (``None`` when no revision is given)."""
    repo_id, _, revision = name.removeprefix(HUB_PREFIX).partition("@")
    if not _REPO_ID.fullmatch(repo_id):
        raise HubError(
            f"{name!r} is not a Hub model name: write 'hf-hub:user/repo' or 'hf-hub:user/repo@revision'"
        )
    return repo_id, revision or None


def git_blob_sha1(path: str | Path) -> str:
    """The git blob id of a file: what the Hub lists (and sends as ETag) for files not stored in LFS."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# -- downloads ---------------------------------------------------------------------------------------------


def download(name: str, revision: str | None = None) -> Path:
    """Fetch a model's weights into the Hugging Face cache (verified) so later loads work offline."""
    if name.startswith(HUB_PREFIX):
        repo_id, rev = parse_hub_name(name)
        return fetch_published(repo_id, revision or rev, [CONFIG, WEIGHTS], name)[WEIGHTS]
    entry = registry().find(name)
    weights = entry.weights
    if weights is None or not (weights.repo or weights.bundled):
        raise HubError(
            f"{entry.name} has no pretrained weights in the registry: there is nothing to download"
        )
    if not weights.repo:
        log.info(
            "%s: weights are bundled with the package (%s): nothing to download", entry.name, weights.bundled
        )
        return Path(weights.bundled)
    return fetch_entry_weights(entry, revision)


def fetch_entry_weights(entry: ModelEntry, revision: str | None = None) -> Path:
    """A registry entry's weights file from the cache or the Hub, checked against the registry's sha256.

    At another revision than the pinned one, the registry's hash does not apply: the Hub's is used.
    """
    weights = entry.weights
    assert weights is not None and weights.repo, f"{entry.name} has no Hub repo"
    repo_id, filename = weights.repo, weights.file
    if revision in (None, weights.revision) and weights.sha256:
        return _fetch_verified(repo_id, filename, weights.revision, entry.name, sha256=weights.sha256)
    return fetch_published(repo_id, revision or weights.revision, [filename], entry.name)[filename]


def fetch_published(repo_id: str, revision: str | None, filenames: list[str], name: str) -> dict[str, Path]:
    """Files of a Hub repo at ``revision`` (default ``main``), each checked against the hash listed for it.

    Online, ``model_info`` gives the hashes the Hub lists (LFS sha256, git blob sha1); offline, the
    cached copies are checked against the ETags recorded when they were downloaded.
    """
    from huggingface_hub import HfApi, constants

    if constants.HF_HUB_OFFLINE:
        return {f: _fetch_verified(repo_id, f, revision or "main", name) for f in filenames}
    try:
        info = HfApi().model_info(repo_id, revision=revision, files_metadata=True)
    except _hub_errors() as exc:
        raise HubError(_explain(exc, f"{repo_id}@{revision or 'main'}", name)) from exc
    listed = {s.rfilename: s for s in info.siblings or []}
    missing = [f for f in filenames if f not in listed]
    if missing:
        raise HubError(
            f"{repo_id}@{info.sha} has no {', '.join(missing)}: is it a gan-zoo repo? "
            f"`zoo publish` uploads {WEIGHTS}, {CONFIG} and a model card."
        )
    return {
        f: _fetch_verified(
            repo_id,
            f,
            revision or "main",  # as asked, so the cache learns branch names for offline loads
            name,
            sha256=listed[f].lfs.sha256 if listed[f].lfs else None,
            git_sha1=None if listed[f].lfs else listed[f].blob_id,
        )
        for f in filenames
    }


def _fetch_verified(
    repo_id: str,
    filename: str,
    revision: str,
    name: str,
    sha256: str | None = None,
    git_sha1: str | None = None,
) -> Path:
    """One file through the Hugging Face cache, hashed against ``sha256``/``git_sha1`` (else its ETag)."""
    from huggingface_hub import (
        constants,
        get_hf_file_metadata,
        hf_hub_download,
        hf_hub_url,
        try_to_load_from_cache,
    )

    what = f"{filename} of {repo_id}@{revision}"
    cached = try_to_load_from_cache(repo_id, filename, revision=revision)
    try:
        if not isinstance(cached, str) and not constants.HF_HUB_OFFLINE:
            # One HEAD without retries first: hf_hub_download retries an unreachable Hub for ~20 s.
            get_hf_file_metadata(hf_hub_url(repo_id, filename, revision=revision))
        path = Path(hf_hub_download(repo_id, filename, revision=revision))
    except _hub_errors() as exc:
        raise HubError(_explain(exc, what, name)) from exc
    origin = (
        "found in the Hugging Face cache" if str(path) == cached else f"downloaded from {constants.ENDPOINT}"
    )
    check = _verify(path, repo_id, what, name, sha256, git_sha1)
    log.info("%s: %s %s (%s)", name, what, origin, check)
    return path


def _verify(path: Path, repo_id: str, what: str, name: str, sha256: str | None, git_sha1: str | None) -> str:
    """Hash ``path`` against the expected value; say what was checked (raise on a mismatch)."""
    basis = ""
    if sha256 is None and git_sha1 is None:
        etag = path.resolve().name  # the cache names each blob by the ETag the Hub sent: sha256 or git sha1
        sha256, git_sha1 = (etag, None) if len(etag) == 64 else (None, etag if len(etag) == 40 else None)
        basis = " against the ETag recorded in the cache"
    if sha256 is not None:
        kind, actual, expected = "sha256", sha256_of(path), sha256.lower()
    elif git_sha1 is not None:
        kind, actual, expected = "git blob sha1", git_blob_sha1(path), git_sha1.lower()
    else:
        log.warning("%s: cannot verify %s: no reference hash (cache without symlinks?)", name, what)
        return "NOT verified: no reference hash"
    if actual != expected:
        raise WeightsError(
            f"{what} ({path}) has {kind} {actual}, expected {expected}: the file is corrupted or not the one "
            f"published. Remove it from the Hugging Face cache (`hf cache rm model/{repo_id}`, or delete "
            f"{path.resolve()}) and run `zoo download {name}` again."
        )
    return f"{kind} verified{basis}"


def _hub_errors() -> tuple[type[BaseException], ...]:
    """What huggingface_hub raises when the Hub or its cache cannot give a file."""
    import httpx2  # huggingface_hub's HTTP client (transport errors are not OSErrors)
    from huggingface_hub.errors import EntryNotFoundError

    return (OSError, EntryNotFoundError, httpx2.HTTPError)


def _explain(exc: BaseException, what: str, name: str) -> str:
    """A message for a failed download: what is missing and what to do."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        HfHubHTTPError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    endpoint = constants.ENDPOINT
    if constants.HF_HUB_OFFLINE or isinstance(exc, OfflineModeIsEnabled):
        return (
            f"{what} is not in the Hugging Face cache and HF_HUB_OFFLINE is set. Run `zoo download {name}` "
            "while online (or unset HF_HUB_OFFLINE), or pass weights=PATH to a local safetensors file."
        )
    if isinstance(exc, RepositoryNotFoundError):
        return f"{what}: the Hub at {endpoint} has no such repo (or it is private: set HF_TOKEN)"
    if isinstance(exc, RevisionNotFoundError):
        return f"{what}: the repo has no such revision on {endpoint}"
    if isinstance(exc, RemoteEntryNotFoundError):
        return f"{what}: no such file in the repo on {endpoint}"
    if isinstance(exc, HfHubHTTPError):
        return f"{what}: the Hub at {endpoint} answered an error: {exc}"
    if isinstance(exc, LocalEntryNotFoundError) or not isinstance(exc, OSError):
        return (
            f"{what} is not cached and the Hub at {endpoint} cannot be reached "
            f"({type(exc).__name__}: {exc}). "
            f"Check the network or HF_ENDPOINT (a mirror), or run `zoo download {name}` where the Hub is "
            "reachable and load with HF_HUB_OFFLINE=1."
        )
    return f"{what}: download failed ({type(exc).__name__}: {exc}); run the command again"


# -- publishing ---------------------------------------------------------------------------------------------


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

    import zoo
    from zoo.loading import load, read_run_config

    run = Path(run)
    for required in (WEIGHTS, CONFIG):
        if not (run / required).is_file():
            raise HubError(f"{run} is not a run directory: {required} is missing (`zoo train` writes it)")
    if not _REPO_ID.fullmatch(repo_id):
        raise HubError(f"repo id {repo_id!r} must be 'namespace/name', e.g. 'me/dcgan-mnist'")
    token = token or get_token()
    if not token:
        raise HubError(
            "publishing needs a Hugging Face token with write access: set HF_TOKEN or run `hf auth login` "
            "(`huggingface-cli login` with huggingface_hub < 1.0), or pass token=..."
        )
    config = read_run_config(run / CONFIG, str(run))
    load(run)  # refuse to publish weights that do not load
    api = HfApi(token=token, library_name="gan-zoo", library_version=zoo.__version__)
    message = (
        commit_message or f"Publish a {config['variant']} run ({config.get('steps', '?')} steps) with gan-zoo"
    )
    with tempfile.TemporaryDirectory(prefix="zoo-publish-") as staging:
        stage = Path(staging)
        shutil.copy2(run / WEIGHTS, stage / WEIGHTS)
        shutil.copy2(run / CONFIG, stage / CONFIG)
        samples = run / "samples" / "latest.png"
        if samples.is_file():
            shutil.copy2(samples, stage / "samples.png")
        evaluation = json.loads((run / "eval.json").read_text()) if (run / "eval.json").is_file() else None
        card = model_card(repo_id, config, evaluation, samples.is_file(), license)
        (stage / "README.md").write_text(card, encoding="utf-8")
        try:
            api.create_repo(repo_id, private=private, exist_ok=True)
            commit = api.upload_folder(repo_id=repo_id, folder_path=stage, commit_message=message)
        except HfHubHTTPError as exc:
            raise HubError(_explain_write(exc, repo_id)) from exc
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
