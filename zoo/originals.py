"""Released original checkpoints: download, record, convert, cache.

A catalogue entry whose ``weights.url`` names a file the original project published (CycleGAN's
``horse2zebra.pth``) loads by name: on first use the file is downloaded once into gan-zoo's cache
(``ZOO_CACHE``, default ``$XDG_CACHE_HOME/gan-zoo`` or ``~/.cache/gan-zoo``), its sha256 recorded
(trust on first use; the entry's ``url_sha256`` is the reference instead when given), converted with
``zoo.convert`` into ``model.safetensors`` + ``config.json`` beside it, and that is loaded from then
on, with no network and no reconversion. The record (``record.json``) is the trust anchor: every load
hashes the converted file against it and compares the cached original's size and modification time
(its hash when they changed); a download that differs from it is refused. So a changed file is an
error saying what differs and what to do, never a silent load.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from zoo.artifacts import CONFIG, WEIGHTS, read_run_config
from zoo.convert import convert
from zoo.entries import ModelEntry
from zoo.errors import DownloadError, WeightsError, ZooError
from zoo.http_download import fetch, is_url
from zoo.io import atomic_path
from zoo.registry import registry
from zoo.version import __version__
from zoo.weights import sha256_of

log = logging.getLogger(__name__)

RECORD = "record.json"
ORIGINALS = "originals"  # one folder per entry: the original, its record, the converted model
DOWNLOADS = "downloads"  # files `zoo convert URL` fetched, one folder per URL


def cache_root() -> Path:
    """gan-zoo's own cache: ``ZOO_CACHE``, else ``$XDG_CACHE_HOME/gan-zoo``, else ``~/.cache/gan-zoo``."""
    if os.environ.get("ZOO_CACHE"):
        return Path(os.environ["ZOO_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "gan-zoo"


def folder_of(entry: ModelEntry) -> Path:
    """Where ``entry``'s original, record and converted model are cached."""
    return cache_root() / ORIGINALS / entry.name


def converted_weights(entry: ModelEntry) -> Path:
    """``entry``'s converted ``model.safetensors``, checked against its record; made on first use."""
    folder = folder_of(entry)
    record = _record(entry, folder)
    if record is not None and (folder / WEIGHTS).is_file():
        return _checked(entry, folder, record)
    with _locked(folder):  # another process may be making it: wait, then use what it made
        record = _record(entry, folder)
        if record is not None and (folder / WEIGHTS).is_file():
            return _checked(entry, folder, record)
        return _prepare(entry, folder, record, None)


def download(entry: ModelEntry, file: str | Path | None = None) -> Path:
    """``zoo download NAME [--file FILE]``: make ``entry``'s converted weights from its URL, or from
    ``file`` (the original fetched by hand: hashed, recorded and converted as a download would be)."""
    if file is None:
        return converted_weights(entry)
    file = Path(file)
    if not file.is_file():
        raise FileNotFoundError(f"--file {file} does not exist: give the {_basename(entry)} you fetched")
    folder = folder_of(entry)
    with _locked(folder):
        return _prepare(entry, folder, _record(entry, folder), file)


def _prepare(entry: ModelEntry, folder: Path, record: dict[str, Any] | None, given: Path | None) -> Path:
    """Fetch (or take ``given``), check against the reference, convert, record; the converted file."""
    url = entry.weights.url
    original = folder / _basename(entry)
    if given is not None:
        sha256 = _check_original(entry, given, record, f"the file {given}")
        if given.resolve() != original.resolve():
            with atomic_path(original) as tmp:
                shutil.copyfile(given, tmp)
        source = f"the file {given}"
    elif original.is_file():
        sha256 = _check_original(entry, original, record, f"the cached original {original}")
        source = (record or {}).get("source", f"downloaded from {url}")
    else:
        try:
            fetch(url, original)
        except DownloadError as exc:
            raise DownloadError(_unavailable(entry, original, exc)) from exc
        what = f"the file just downloaded from {url}"
        sha256 = _check_original(entry, original, record, what, remove=True)
        source = f"downloaded from {url}"
    converted = _convert(entry, original, folder)
    stat = original.stat()
    new_record = {
        "url": url,
        "sha256": sha256,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "source": source,
        "recorded": (record or {}).get("recorded")
        or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "converted_sha256": sha256_of(converted),
        "zoo_version": __version__,
    }
    _write_record(folder, new_record)
    log.info("%s: the original (%s) converted into %s, sha256s in %s", entry.name, source, folder, RECORD)
    return converted


def _check_original(
    entry: ModelEntry, path: Path, record: dict[str, Any] | None, what: str, remove: bool = False
) -> str:
    """``path``'s sha256, checked against the reference (the registry's ``url_sha256``, else the recorded
    one) where there is one: else an error saying what differs and what to do (``remove``: the bad file
    is deleted first)."""
    actual = sha256_of(path)
    expected, vouched = _reference(entry, record)
    if expected is None or actual == expected:
        return actual
    if remove:
        path.unlink()
    fix = (
        "The registry's hash is the reference: report the entry if the file upstream has changed."
        if entry.weights.url_sha256
        else f"If you trust that the file changed upstream, delete {folder_of(entry) / RECORD} and load "
        "again: it is then recorded anew."
    )
    removed = " It was deleted." if remove else ""
    raise WeightsError(
        f"{entry.name}: {what} has sha256 {actual}, but {vouched} gives {expected}: it is not the file "
        f"{entry.weights.url} served before (corrupted, tampered with, or changed upstream).{removed} {fix}"
    )


def _reference(entry: ModelEntry, record: dict[str, Any] | None) -> tuple[str | None, str]:
    """The sha256 the original must have, and what vouches for it."""
    if entry.weights.url_sha256:
        return entry.weights.url_sha256.lower(), "the registry (weights.url_sha256)"
    if record is not None:
        return record["sha256"], f"the record of its first download ({record.get('recorded', '?')})"
    return None, ""


def _checked(entry: ModelEntry, folder: Path, record: dict[str, Any]) -> Path:
    """The cached converted file after checking it (sha256) and the cached original (size and time,
    its sha256 when they changed) against ``record``."""
    converted = folder / WEIGHTS
    actual = sha256_of(converted)
    if actual != record.get("converted_sha256"):
        raise WeightsError(
            f"{entry.name}: the converted weights {converted} have sha256 {actual}, but "
            f"{record.get('converted_sha256')} was recorded when they were made from {record['url']}: the "
            f"file has changed since. Delete it (rm {converted}) and load again: it is converted afresh "
            "from the cached original, which is checked against its record first."
        )
    original = folder / _basename(entry)
    if original.is_file():
        stat = original.stat()
        if (stat.st_size, stat.st_mtime_ns) != (record.get("size"), record.get("mtime_ns")):
            _check_original(entry, original, record, f"the cached original {original}")
            _write_record(folder, {**record, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    log.info(
        "%s: converted weights from gan-zoo's cache %s (sha256 checked against %s)",
        entry.name,
        converted,
        RECORD,
    )
    return converted


def _convert(entry: ModelEntry, original: Path, folder: Path) -> Path:
    """``original`` converted with ``zoo.convert`` into ``folder``; its config must be the entry's."""
    config = entry.config
    options = {k: config[k] for k in ("netG", "norm", "dropout") if k in config}
    with tempfile.TemporaryDirectory(dir=folder, prefix=".converting-") as staging:
        try:
            convert(entry.variant, [original], staging, **options)
        except ZooError as exc:
            why = str(exc).replace(str(original), entry.weights.url)
            raise WeightsError(_not_as_registered(entry, why)) from exc
        made = read_run_config(Path(staging) / CONFIG, entry.name)["config"]
        if _full(entry.variant, made) != _full(entry.variant, config):
            differ = {k: made.get(k) for k in set(made) | set(config) if made.get(k) != config.get(k)}
            raise WeightsError(_not_as_registered(entry, f"it converts to a model with {differ}"))
        for name in (WEIGHTS, CONFIG):
            os.replace(Path(staging) / name, folder / name)
    return folder / WEIGHTS


def _not_as_registered(entry: ModelEntry, why: str) -> str:
    return (
        f"{entry.name}: {entry.weights.url} is not the model the registry describes ({entry.variant} "
        f"{entry.config}): {why}. Report the entry; the converted model was not kept"
    )


def _full(variant: str, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the model class's defaults filled in: a setting the file cannot show (a U-Net's
    dropout) counts as the class's default."""
    cls = registry().variant(variant).model_class()
    defaults = {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return {**defaults, **config}


def _unavailable(entry: ModelEntry, original: Path, why: DownloadError) -> str:
    """The message when a released original is neither cached nor fetchable: why, and how to get it."""
    url = entry.weights.url
    return (
        f"{entry.name} is converted on first use from {url} (the original project's file), which is not "
        f"in gan-zoo's cache ({original}) and could not be fetched: {why}. Fetch {url} where it is "
        f"reachable, then run `zoo download {entry.name} --file {_basename(entry)}` here: the file is "
        "hashed, recorded and converted."
    )


def _basename(entry: ModelEntry) -> str:
    return Path(urlparse(entry.weights.url).path).name or "original.pth"


def _record(entry: ModelEntry, folder: Path) -> dict[str, Any] | None:
    """The entry's record, or ``None``; one of another URL (the registry changed it) does not apply."""
    try:
        record = json.loads((folder / RECORD).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WeightsError(
            f"{entry.name}: the record {folder / RECORD} cannot be read ({exc}): delete the folder {folder} "
            "and load again to download and convert afresh"
        ) from exc
    if record.get("url") != entry.weights.url:
        log.warning(
            "%s: the cached record is of %s, not %s: starting afresh",
            entry.name,
            record.get("url"),
            entry.weights.url,
        )
        for name in (WEIGHTS, CONFIG, _basename(entry), RECORD):
            (folder / name).unlink(missing_ok=True)
        return None
    return record


def _write_record(folder: Path, record: dict[str, Any]) -> None:
    with atomic_path(folder / RECORD) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time downloads and converts into ``folder``."""
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / ".lock"):
        yield


def fetch_checkpoint(source: str) -> Path:
    """``zoo convert``'s checkpoint: a path as it is, an http(s) URL downloaded (resumably) into the
    cache's ``downloads`` folder first, its sha256 recorded beside it and checked when it is used again."""
    if not is_url(source):
        return Path(source)
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    dest = cache_root() / DOWNLOADS / key / (Path(urlparse(source).path).name or "checkpoint.pth")
    recorded = dest.with_name(dest.name + ".sha256")
    if dest.is_file() and recorded.is_file():
        actual, expected = sha256_of(dest), recorded.read_text().strip()
        if actual != expected:
            raise WeightsError(
                f"{source}: its copy downloaded before ({dest}) has sha256 {actual}, not the {expected} "
                f"recorded at download: it has changed since. Delete {dest.parent} and run again to download "
                "it afresh."
            )
        return dest
    fetch(source, dest)
    with atomic_path(recorded) as tmp:
        tmp.write_text(sha256_of(dest) + "\n")
    return dest


def convert_sources(variant: str, sources: list[str], out: str | Path, **options: Any) -> Path:
    """``zoo.convert.convert`` of checkpoint paths or http(s) URLs; errors name the URLs, never the
    downloaded copies."""
    paths = [fetch_checkpoint(s) for s in sources]
    try:
        return convert(variant, paths, out, **options)
    except ZooError as exc:
        text = str(exc)
        for source, path in zip(sources, paths, strict=True):
            text = text.replace(str(path), source)
        if text == str(exc):
            raise
        raise type(exc)(text) from exc
