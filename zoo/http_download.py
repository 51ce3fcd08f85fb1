"""Files from plain http(s) addresses (a released original's ``.pth``): atomic, resumable, with a
progress bar and timeouts.

The bytes go to ``DEST.part``, renamed to ``DEST`` only when complete, so ``DEST`` is never half a
file. An interrupted ``.part`` is continued with an HTTP Range request; a server that ignores Range
sends the whole file again, which replaces it. An unreachable host fails at once (no retries).
huggingface_hub's ``http_get`` is not used: it retries a failed connection five times a second apart
and sends the Hub client's headers to whatever host it is given.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from zoo.errors import DownloadError

#: seconds to connect, and to wait for each block of the answer
CONNECT_TIMEOUT, READ_TIMEOUT = 10.0, 60.0
PART = ".part"


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) address rather than a path."""
    return str(text).startswith(("http://", "https://"))


def offline() -> bool:
    """``HF_HUB_OFFLINE`` as huggingface_hub reads it: the zoo's one switch for no network."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def show_progress() -> bool:
    """The bar follows the ``zoo`` logger: hidden when it is set above INFO (``zoo -q``)."""
    level = logging.getLogger("zoo").level
    return level == logging.NOTSET or level <= logging.INFO


def fetch(url: str, dest: str | Path) -> Path:
    """Download ``url`` to ``dest`` (continuing ``dest.part`` where an earlier try stopped); returns
    ``dest``. Raises ``DownloadError`` naming the URL, what went wrong and what is kept."""
    import httpx2

    dest = Path(dest)
    part = dest.with_name(dest.name + PART)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if offline():
        raise DownloadError(f"HF_HUB_OFFLINE is set, so {url} is not fetched")
    try:
        complete = _get(url, part)
    except httpx2.HTTPError as exc:
        kept = part.stat().st_size if part.is_file() else 0
        resume = f"; the {kept} bytes received are kept in {part} and continued from" if kept else ""
        raise DownloadError(f"{url} could not be fetched ({type(exc).__name__}: {exc}){resume}") from exc
    if not complete:
        raise DownloadError(
            f"{url} was cut short after {part.stat().st_size} bytes; they are kept in {part}: run the "
            "command again to continue from there"
        )
    os.replace(part, dest)
    return dest


def _get(url: str, part: Path) -> bool:
    """One GET of ``url`` into ``part`` (from its end when it has bytes); whether the file is complete."""
    import httpx2
    from tqdm.auto import tqdm

    have = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    timeout = httpx2.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
    with httpx2.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as response:
        if response.status_code == 416 and have:  # nothing past our end: complete, or longer than the file
            total = _total(response.headers.get("Content-Range", ""))
            if total == have:
                return True
            part.unlink()
            return _get(url, part)
        if response.status_code not in (200, 206):
            raise DownloadError(f"{url} could not be fetched: the server answered {response.status_code}")
        start = have if response.status_code == 206 else 0  # 200: the server ignored Range: from 0
        if start and not response.headers.get("Content-Range", "").startswith(f"bytes {start}-"):
            raise DownloadError(f"{url}: the server resumed at another byte than asked ({start})")
        length = response.headers.get("Content-Length")
        total = start + int(length) if length is not None else None
        bar = tqdm(
            total=total,
            initial=start,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=url.rsplit("/", 1)[-1],
            disable=not show_progress(),
        )
        with open(part, "r+b" if start else "wb") as f, bar:
            f.seek(start)
            for chunk in response.iter_bytes():  # as they arrive: a cut keeps every byte received
                f.write(chunk)
                bar.update(len(chunk))
            f.flush()
            os.fsync(f.fileno())
            size = f.tell()
    return total is None or size == total


def _total(content_range: str) -> int | None:
    """The file size of a ``Content-Range: bytes */SIZE`` header, if it states one."""
    found = re.search(r"/(\d+)$", content_range)
    return int(found.group(1)) if found else None
