"""Verified downloads from the Hugging Face Hub, its cache or a mirror, with huggingface_hub.

Downloads go through huggingface_hub, so ``HF_ENDPOINT`` (mirrors), ``HF_HUB_OFFLINE`` and its cache
work as usual. The client compares only sizes, so every file is hashed here against a reference: the
registry's sha256, or the hashes the Hub lists for a published repo (the LFS pointer's sha256, the git
blob sha1 of a regular file), from the repo listing or, when a mirror's listing leaves them out, from
the repo tree (paths info). Only these count as verified. The ETag a server sends is computed from the
bytes it serves, so matching it is reported as such, never as verified; offline, the cached copies are
checked against the ETags recorded at download time (the names of the cached blobs).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

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

    Online, ``model_info`` gives the hashes the Hub lists (LFS sha256, git blob sha1), and the repo tree
    (paths info) those a mirror's listing leaves out; offline, the cached copies are checked against the
    ETags recorded when they were downloaded.
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
    entries: dict[str, Any] = {f: listed[f] for f in filenames}
    if not any(s.lfs for s in listed.values()):  # no LFS metadata at all: a mirror may have dropped it
        entries.update(_paths_info(repo_id, info.sha or revision, filenames, name))
    return {
        f: _fetch_verified(
            repo_id,
            f,
            revision or "main",  # as asked, so the cache learns branch names for offline loads
            name,
            *_reference(entries[f]),
        )
        for f in filenames
    }


def _paths_info(repo_id: str, revision: str | None, filenames: list[str], name: str) -> dict[str, Any]:
    """The repo tree's entries of ``filenames`` (with their LFS pointers), or none when not answered."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.hf_api import RepoFile

    try:
        found = HfApi().get_paths_info(repo_id, filenames, revision=revision)
        return {e.path: e for e in found if isinstance(e, RepoFile) and e.path in filenames}
    except hub_errors() as exc:
        log.warning(
            "%s: %s lists no hashes for %s and its repo tree is not available (%s: %s)",
            name,
            constants.ENDPOINT,
            repo_id,
            type(exc).__name__,
            exc,
        )
        return {}


def _reference(entry: Any) -> tuple[str | None, str | None, str]:
    """``(sha256, git_sha1, source)`` a listed file (a listing's sibling or a tree entry) must match:
    the LFS pointer's sha256 for LFS files, the git blob sha1 for regular ones; neither when not listed."""
    if entry.lfs:
        return entry.lfs.sha256, None, " against the LFS pointer"
    return None, entry.blob_id, ""


def _fetch_verified(
    repo_id: str,
    filename: str,
    revision: str,
    name: str,
    sha256: str | None = None,
    git_sha1: str | None = None,
    source: str = "",
) -> Path:
    """One file through the Hugging Face cache, hashed against ``sha256``/``git_sha1`` (else its ETag);
    ``source`` says in the log what vouches for the hash."""
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
    if sha256 is None and git_sha1 is None:
        _check_etag(path, what, name, origin)
    else:
        kind = _check(path, what, name, sha256, git_sha1)
        log.info("%s: %s %s (%s verified%s)", name, what, origin, kind, source)
    return path


def _check_etag(path: Path, what: str, name: str, origin: str) -> None:
    """With no published hash, check ``path`` against the ETag its cached blob is named by, and log
    plainly that this is no verification: a server computes the ETag from the bytes it serves."""
    from huggingface_hub import constants

    etag = path.resolve().name  # the cache names each blob by the ETag the server sent: sha256 or git sha1
    if len(etag) not in (40, 64):
        log.warning("%s: %s %s (NOT verified: no reference hash, not even an ETag)", name, what, origin)
        return
    kind = _check(path, what, name, *((etag, None) if len(etag) == 64 else (None, etag)))
    if constants.HF_HUB_OFFLINE:
        log.info("%s: %s %s (%s matches the ETag recorded in the cache)", name, what, origin, kind)
        return
    log.warning(
        "%s: %s %s (NOT verified: %s lists no hash for it; its %s matches only the ETag the server sent, "
        "which the server computes from the bytes it serves: no independent check)",
        name,
        what,
        origin,
        constants.ENDPOINT,
        kind,
    )


def _check(path: Path, what: str, name: str, sha256: str | None, git_sha1: str | None) -> str:
    """Hash ``path`` against ``sha256`` (else ``git_sha1``) and return which kind was checked; on a
    mismatch, remove the file from the cache (so no later load finds it) and raise."""
    if sha256 is not None:
        kind, actual, expected = "sha256", sha256_of(path), sha256.lower()
    else:
        kind, actual, expected = "git blob sha1", git_blob_sha1(path), str(git_sha1).lower()
    if actual != expected:
        blob = path.resolve()
        path.unlink(missing_ok=True)
        blob.unlink(missing_ok=True)
        raise WeightsError(
            f"{what} ({path}) has {kind} {actual}, expected {expected}: the file is corrupted or not the "
            f"one published, and was removed from the Hugging Face cache. Run `zoo download {name}` again; "
            "if it fails the same way, the Hub or the mirror in HF_ENDPOINT serves a bad copy."
        )
    return kind


def check_timm_weights_reachable(backbone: str) -> None:
    """Raise the transport error at once when the timm model ``backbone``'s pretrained weights are neither
    cached nor reachable: ``timm.create_model(pretrained=True)`` would retry for about 45 s first."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url, try_to_load_from_cache
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(backbone)
    repo = cfg.hf_hub_id if cfg is not None else None
    if not repo or constants.HF_HUB_OFFLINE:
        return  # timm's own error (an unknown backbone; offline: not cached) comes at once
    if any(
        isinstance(try_to_load_from_cache(repo, f), str) for f in ("model.safetensors", "pytorch_model.bin")
    ):
        return
    from huggingface_hub.errors import HfHubHTTPError

    try:  # one request, no retries: a transport error goes up as it is
        get_hf_file_metadata(hf_hub_url(repo, "model.safetensors"))
    except HfHubHTTPError:  # the Hub answered (e.g. no such file): timm knows where else to look
        pass


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
