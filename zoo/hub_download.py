"""Verified downloads from the Hugging Face Hub, its cache or a mirror, with huggingface_hub.

Downloads go through huggingface_hub, so ``HF_ENDPOINT`` (mirrors), ``HF_HUB_OFFLINE`` and its cache
work as usual. The client compares only sizes, so every file is hashed here against a reference: the
registry's sha256, the hashes the Hub lists for a published repo (LFS sha256 or git blob sha1), or,
offline, the ETag the Hub sent at download time (the name of the cached blob).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from zoo.artifacts import CONFIG, WEIGHTS
from zoo.entries import ModelEntry, Weights
from zoo.errors import HubError, WeightsError
from zoo.plugins import plugin_infos
from zoo.registry import registry
from zoo.weights import sha256_of

log = logging.getLogger(__name__)

HUB_PREFIX = "hf-hub:"
REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")


def parse_hub_name(name: str) -> tuple[str, str | None]:
    """``"hf-hub:user/repo@rev"`` to ``("user/repo", "rev")`` (``None`` when no revision is given)."""
    repo_id, _, revision = name.removeprefix(HUB_PREFIX).partition("@")
    if not REPO_ID.fullmatch(repo_id):
        raise HubError(
            f"{name!r} is not a Hub model name: write 'hf-hub:user/repo' or 'hf-hub:user/repo@revision'"
        )
    return repo_id, revision or None


def git_blob_sha1(path: str | Path) -> str:
    """The git blob id of a file: what the Hub lists (and sends as ETag) for files not stored in LFS."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def download(name: str, revision: str | None = None) -> Path:
    """Fetch a model's weights into the Hugging Face cache (verified) so later loads work offline."""
    if name.startswith(HUB_PREFIX):
        repo_id, rev = parse_hub_name(name)
        return fetch_published(repo_id, revision or rev, [CONFIG, WEIGHTS], name)[WEIGHTS]
    entry = registry().find(name)
    weights = _pretrained(entry, "there is nothing to download")
    if not weights.repo:
        log.info(
            "%s: weights are bundled with the package (%s): nothing to download", entry.name, weights.bundled
        )
        return Path(weights.bundled)
    return fetch_entry_weights(entry, revision)


def entry_weights(entry: ModelEntry, revision: str | None) -> tuple[Path, str | None]:
    """Where a registry entry's weights are, and the sha256 to check while loading them.

    The Hugging Face cache or the Hub first (verified there, so no hash is returned), else the file
    bundled with the plugin's package.
    """
    found = _pretrained(entry, "load it with pretrained=False (random initialisation) or pass weights=PATH")
    reason = "the registry names no Hub repo"
    if found.repo:
        try:
            return fetch_entry_weights(entry, revision), None
        except HubError as exc:
            if not found.bundled or revision not in (None, found.revision):
                raise
            reason = f"the cache and the Hub could not provide them: {exc}"
    if not Path(found.bundled).is_file():
        package = next((p.distribution for p in plugin_infos() if p.name == entry.plugin), "its plugin")
        raise WeightsError(
            f"{entry.name}: the bundled weights file {found.bundled} is missing: the installed package is "
            f"incomplete; reinstall {package} (pip install --force-reinstall {package})"
        )
    if found.sha256 is None:
        log.warning(
            "%s: the registry gives no sha256 for its weights: %s is not verified", entry.name, found.bundled
        )
    log.info("%s: weights from the bundled default %s (%s)", entry.name, found.bundled, reason)
    return Path(found.bundled), found.sha256


def _pretrained(entry: ModelEntry, otherwise: str) -> Weights:
    """The entry's weights reference, or an error saying it has none and what to do ``otherwise``."""
    if entry.weights is None or not (entry.weights.repo or entry.weights.bundled):
        raise WeightsError(f"{entry.name} has no pretrained weights in the registry: {otherwise}")
    return entry.weights


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
    except hub_errors() as exc:
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
    except hub_errors() as exc:
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


def hub_errors() -> tuple[type[BaseException], ...]:
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
            f"{what} is not cached and {unreachable(exc)}, or run `zoo download {name}` where the Hub is "
            "reachable and load with HF_HUB_OFFLINE=1."
        )
    return f"{what}: download failed ({type(exc).__name__}: {exc}); run the command again"


def unreachable(exc: BaseException) -> str:
    """Why the Hub could not be reached (``exc``, a transport error) and the first thing to check."""
    from huggingface_hub import constants

    return (
        f"the Hub at {constants.ENDPOINT} cannot be reached ({type(exc).__name__}: {exc}). "
        "Check the network or HF_ENDPOINT (a mirror)"
    )
