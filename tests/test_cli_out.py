"""A bad output path fails before any work: a clear error, torch never imported, and a wall time of the
order of `zoo --version`'s (a ratio measured in the same test, never an absolute time)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

#: runs a zoo command like the ``zoo`` script, then says on stderr whether torch was imported
PROBE = (
    "import sys; from zoo.cli import main; rc = main(sys.argv[1:]); "
    "print('torch imported:', 'torch' in sys.modules, file=sys.stderr); sys.exit(rc)"
)
#: how many times `zoo --version`'s wall time a failing check may take (torch's import alone is ~10x)
RATIO = 3.0


def _timed(args: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return done, time.perf_counter() - start


#: a folder nothing can be written into, even by root
NEEDS_PROC = pytest.mark.skipif(
    not Path("/proc").is_dir(), reason="needs /proc (Linux): a folder no one can write into, even root"
)


def _proc(args: list[str], says: str):
    return pytest.param(args, says, marks=NEEDS_PROC)


#: (zoo arguments, what the error must say); {file} is an existing file, {tmp} an existing folder
CASES = [
    (["train", "dcgan", "--data", "mnist", "--out", "{file}"], "{file} is a file, not a folder"),
    (["run", "dcgan", "--out", "{file}/grid.png"], "{file} is a file, not a folder"),
    (["run", "dcgan", "--out", "{tmp}"], "--out {tmp} is a folder: name the file to write"),
    (["bundle", "{tmp}/run", "{tmp}"], "OUT {tmp} is a folder"),
    _proc(["train", "dcgan", "--data", "mnist", "--out", "/proc/x"], "cannot write --out into /proc"),
    _proc(["run", "dcgan", "--out", "/proc/x.png"], "cannot write --out into /proc"),
    _proc(["evaluate", "dcgan", "--json", "/proc/x.json"], "cannot write --json into /proc"),
    _proc(["plot", "{tmp}/run", "--out", "/proc/x.png"], "cannot write --out into /proc"),
]


@pytest.mark.parametrize(("args", "says"), CASES)
def test_a_bad_out_fails_before_any_work(args, says, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    args = [a.format(file=a_file, tmp=tmp_path) for a in args]
    says = says.format(file=a_file, tmp=tmp_path)
    version = min(_timed([sys.executable, "-m", "zoo", "--version"])[1] for _ in range(2))
    done, wall = _timed([sys.executable, "-c", PROBE, *args])
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert "torch imported: False" in done.stderr
    assert wall < RATIO * version, f"{wall:.2f} s, `zoo --version` {version:.2f} s"
