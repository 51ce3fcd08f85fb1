"""``zoo publish``, ``zoo download`` and ``zoo run hf-hub:...`` against the local Hub-compatible server."""

import re
from pathlib import Path

import numpy
import torch
from conftest import HUB_TOKEN
from PIL import Image
from torchvision.utils import make_grid

from zoo.cli import main


def test_publish_then_download_and_run_the_published_model(hub, make_run, tmp_path, capsys):
    run, model = make_run(seed=0)
    assert main(["publish", str(run), "--repo-id", "me/tiny-dcgan", "--token", HUB_TOKEN]) == 0
    sha = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", sha)

    assert main(["download", f"hf-hub:me/tiny-dcgan@{sha}"]) == 0
    cached = Path(capsys.readouterr().out.strip())
    assert cached.name == "model.safetensors" and str(tmp_path / "hf_home") in str(cached)

    out = tmp_path / "grid.png"
    assert main(["run", f"hf-hub:me/tiny-dcgan@{sha}", "--n", "4", "--seed", "3", "--out", str(out)]) == 0
    expected = make_grid(model.generate(4, seed=3), nrow=2, padding=2)
    expected = expected.mul(255).add(0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
    assert numpy.array_equal(numpy.asarray(Image.open(out)), expected)


def test_publish_without_token_or_write_access_exits_2(hub, make_run, capsys):
    run, _ = make_run()
    assert main(["publish", str(run), "--repo-id", "me/tiny-dcgan"]) == 2
    assert "needs a Hugging Face token with write access" in capsys.readouterr().err
    assert main(["publish", str(run), "--repo-id", "other/tiny-dcgan", "--token", HUB_TOKEN]) == 2
    assert "no write access to other/tiny-dcgan" in capsys.readouterr().err


def test_download_of_a_missing_repo_exits_2(hub, capsys):
    assert main(["download", "hf-hub:me/nothing-here"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "me/nothing-here" in err and "Traceback" not in err
