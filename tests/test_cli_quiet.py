"""`-q/--quiet` before or after the command: a successful command prints nothing on stderr, no log line and
no progress bar (the trainer's, `zoo run`'s score and upscale bars, huggingface_hub's download bars)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import HUB_TOKEN
from huggingface_hub.utils import enable_progress_bars
from PIL import Image

from zoo.cli import main


@pytest.fixture(autouse=True)
def hub_bars_restored(monkeypatch):
    """-q disables huggingface_hub's bars for the process (and its environment): enabled again after."""
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS", raising=False)
    enable_progress_bars()
    yield
    enable_progress_bars()


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8), "L").save(folder / f"{i}.png")
    return folder


COMMANDS = {
    "generate": lambda tmp, images: ["run", "gan-mnist", "--n", "4", "--out", str(tmp / "grid.png")],
    "score": lambda tmp, images: ["run", "ganomaly-mnist", str(images), "--out", str(tmp / "scores.csv")],
    "upscale": lambda tmp, images: ["run", "srresnet", str(images / "0.png"), "--out", str(tmp / "x4.png")],
    "train": lambda tmp, images: [
        "train",
        "gan",
        "--data",
        str(images),
        "--out",
        str(tmp / "run"),
        "--steps",
        "2",
    ],
    "evaluate": lambda tmp, images: ["evaluate", "gan-gaussians25", "--n", "100"],
    "plot": lambda tmp, images: ["plot", str(tmp / "run"), "--out", str(tmp / "curves.png")],
}


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_commands_print_nothing_on_stderr(where, tmp_path, images, capsys, single_thread):
    for name, command in COMMANDS.items():
        args = command(tmp_path, images)
        assert main(["-q", *args] if where == "before" else [*args, "--quiet"]) == 0, name
        assert capsys.readouterr().err == "", name
    # without -q the same commands do report on stderr: the bars and log lines above were there to hide
    assert main(COMMANDS["score"](tmp_path, images)) == 0
    assert "2/2" in capsys.readouterr().err
    assert main(["run", "srresnet", str(images / "0.png"), "--out", str(tmp_path / "y.png")]) == 0
    assert "upscale (rows of tiles)" in capsys.readouterr().err


def test_quiet_download_shows_no_hub_progress_bar(hub, make_run, monkeypatch, capsys):
    monkeypatch.setenv("TQDM_POSITION", "-1")  # huggingface_hub's bars show without a terminal too
    names = []
    for i in range(2):
        run, _ = make_run(seed=i, name=f"run{i}")
        assert main(["-q", "publish", str(run), "--repo-id", f"me/tiny{i}", "--token", HUB_TOKEN]) == 0
        names.append(f"hf-hub:me/tiny{i}@{capsys.readouterr().out.strip()}")
    assert main(["download", names[0], "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.strip().endswith("model.safetensors")
    enable_progress_bars()  # as a new process without -q would have them
    assert main(["download", names[1]]) == 0
    assert "model.safetensors" in capsys.readouterr().err  # the bar it hid, named after the file
