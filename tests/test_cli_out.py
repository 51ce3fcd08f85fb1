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


def _cases(tmp: Path) -> list[tuple[list[str], str]]:
    """(zoo arguments, what the error must say) for outputs that cannot be written."""
    a_file = tmp / "notes.txt"
    a_file.write_text("not a folder")
    cases = [
        (["train", "dcgan", "--data", "mnist", "--out", str(a_file)], f"{a_file} is a file, not a folder"),
        (["run", "dcgan", "--out", str(a_file / "grid.png")], f"{a_file} is a file, not a folder"),
        (["run", "dcgan", "--out", str(tmp)], f"--out {tmp} is a folder: name the file to write"),
        (["bundle", str(tmp / "run"), str(tmp)], f"OUT {tmp} is a folder"),
    ]
    if Path("/proc").is_dir():  # a folder nothing can be written into (even by root)
        cases += [
            (["train", "dcgan", "--data", "mnist", "--out", "/proc/x"], "cannot write --out into /proc"),
            (["run", "dcgan", "--out", "/proc/x.png"], "cannot write --out into /proc"),
            (["evaluate", "dcgan", "--json", "/proc/x.json"], "cannot write --json into /proc"),
            (["plot", str(tmp / "run"), "--out", "/proc/x.png"], "cannot write --out into /proc"),
        ]
    return cases


@pytest.mark.parametrize("index", range(8))
def test_a_bad_out_fails_before_any_work(index, tmp_path):
    cases = _cases(tmp_path)
    if index >= len(cases):
        pytest.skip("no /proc here")
    args, says = cases[index]
    version = min(_timed([sys.executable, "-m", "zoo", "--version"])[1] for _ in range(2))
    done, wall = _timed([sys.executable, "-c", PROBE, *args])
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert "torch imported: False" in done.stderr
    assert wall < RATIO * version, f"{wall:.2f} s, `zoo --version` {version:.2f} s"
