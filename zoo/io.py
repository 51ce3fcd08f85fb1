"""Atomic file writes: a file is either the old one or the complete new one, never half written."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left untouched; a full disk is raised as
    an ``OSError`` with errno ENOSPC naming ``path``, whatever the writer raised.
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
    except BaseException as exc:
        full = _disk_full(exc, path.parent)  # before the partial file is removed and frees its space
        tmp_path.unlink(missing_ok=True)
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
        raise


#: free bytes below which a failed write is put down to a full disk
_NEARLY_FULL = 1 << 20


def _disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether ``exc``, raised while writing into ``folder``, comes from a full disk: ENOSPC or EDQUOT,
    or the errors torch (``RuntimeError``, e.g. ``basic_ios::clear``) and safetensors (``SafetensorError``)
    raise on a short write, which do not always say so: then the disk is looked at."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if not isinstance(exc, (OSError, RuntimeError)) and type(exc).__name__ != "SafetensorError":
        return False
    if "No space left on device" in str(exc) or "os error 28" in str(exc):
        return True
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL
    except OSError:
        return False


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
