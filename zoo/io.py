"""Atomic file writes: a file is either the old one or the complete new one, never half written."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        tmp_path.chmod(0o666 & ~umask)  # mkstemp's 0600 would make the result private
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def fsync_directory(path: str | Path) -> None:
    """Flush a directory's entries (names created, renamed or removed in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_symlink(link: str | Path, target: str) -> None:
    """Point the symbolic link ``link`` at ``target`` with one rename: a reader finds the old target or
    the new one, never no link."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.{secrets.token_hex(4)}.tmp")  # the names remove_stale_temps knows
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(link.parent)


def remove_stale_temps(directory: str | Path) -> list[Path]:
    """Remove the temporary files ``atomic_path`` and ``replace_symlink`` leave in ``directory`` when their
    process is killed; returns them. Only for a directory no other process is writing (hold its lock)."""
    stale = [p for p in Path(directory).glob(".*.*.tmp") if p.is_symlink() or p.is_file()]  # .NAME.RANDOM.tmp
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
