"""`zoo train VARIANT --data FOLDER` on folders of your own: each model takes its shapes from the images."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hubserver import set_offline, set_unreachable
from PIL import Image

from zoo.errors import DataError
from zoo.trainer import load_recipe, train


def _images(folder: Path, n: int, size: tuple[int, int], mode: str = "RGB", seed: int = 0) -> Path:
    """``n`` random images of ``size`` (width, height) in ``mode``, as PNG files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(folder / f"{i:03d}.png")
    return folder


def _config(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())["config"]


def _train(variant: str, data: Path, out: Path, **model) -> Path:
    return train(variant, data=str(data), out=str(out), steps=2, checkpoint_every=0, model=model)


def test_dcgan_takes_rgb_channels_and_resizes_to_the_paper_resolution(tmp_path):
    data = _images(tmp_path / "photos", 6, (48, 48))
    run = _train("dcgan", data, tmp_path / "run", width=8)
    config = _config(run)
    assert (config["channels"], config["resolution"]) == (3, 64)
    grid = Image.open(run / "samples" / "latest.png")
    assert grid.mode == "RGB"


def test_dcgan_resizes_a_folder_of_mixed_sizes(tmp_path):
    data = _images(tmp_path / "photos", 3, (48, 48))
    _images(tmp_path / "photos" / "more", 3, (40, 30))
    config = _config(_train("dcgan", data, tmp_path / "run", width=8))
    assert (config["channels"], config["resolution"]) == (3, 64)


def test_dcgan_keeps_a_power_of_two_size_and_the_options_set_win(tmp_path):
    grey = _images(tmp_path / "grey", 4, (16, 16), mode="L")
    config = _config(_train("dcgan", grey, tmp_path / "a", width=8))
    assert (config["channels"], config["resolution"]) == (1, 16)
    config = _config(_train("dcgan", grey, tmp_path / "b", width=8, resolution=32))
    assert (config["channels"], config["resolution"]) == (1, 32)  # the folder is resized to the option
    config = _config(_train("dcgan", grey, tmp_path / "c", width=8, channels=3))
    assert config["channels"] == 3  # the grey folder is read as RGB to fit the option


def test_the_variant_recipe_is_the_papers_cut_to_the_folder(tmp_path):
    data = _images(tmp_path / "photos", 5, (32, 32))
    recipe = load_recipe("dcgan", data=str(data))
    assert recipe.batch_size == 5  # the paper's 128, cut to the five images
    assert recipe.optimizers["generator"] == {"name": "adam", "lr": 2.0e-4, "betas": [0.5, 0.999]}
    assert load_recipe("dcgan", data=str(data), batch_size=2).batch_size == 2


def test_gan_takes_its_out_shape_from_a_grey_folder(tmp_path):
    data = _images(tmp_path / "grey", 4, (12, 10), mode="L")
    run = _train("gan", data, tmp_path / "run", hidden=[16])
    assert _config(run)["out_shape"] == [1, 10, 12]
    assert (run / "samples" / "latest.png").is_file()


def test_pix2pix_takes_its_channels_from_paired_folders(tmp_path):
    _images(tmp_path / "pairs" / "A", 3, (32, 32), mode="L")
    _images(tmp_path / "pairs" / "B", 3, (32, 32), seed=1)
    run = _train("pix2pix", tmp_path / "pairs", tmp_path / "run", netG="unet_32", ngf=4, ndf=4)
    config = _config(run)
    assert (config["in_channels"], config["out_channels"]) == (3, 3)  # grey A read as RGB: one channel count


def test_pix2pix_reads_side_by_side_pairs(tmp_path):
    data = _images(tmp_path / "ab", 3, (64, 32))
    run = _train("pix2pix", data, tmp_path / "run", netG="unet_32", ngf=4, ndf=4)
    assert (_config(run)["in_channels"], _config(run)["out_channels"]) == (3, 3)


def test_cyclegan_takes_its_channels_from_unpaired_folders(tmp_path):
    _images(tmp_path / "horses" / "trainA", 3, (32, 32), mode="L")
    _images(tmp_path / "horses" / "trainB", 2, (32, 32), mode="L", seed=1)
    run = _train(
        "cyclegan", tmp_path / "horses", tmp_path / "run", netG="resnet_1blocks", ngf=4, ndf=4, n_layers_D=2
    )
    assert (_config(run)["in_channels"], _config(run)["out_channels"]) == (1, 1)


@pytest.mark.filterwarnings("ignore:.*validation")
def test_ganomaly_takes_channels_and_resolution_from_normal_images(tmp_path):
    data = _images(tmp_path / "normal", 4, (40, 40))
    run = _train("ganomaly", data, tmp_path / "run", width=4, latent_dim=8)
    config = _config(run)
    assert (config["channels"], config["resolution"]) == (3, 32)  # the paper's 32x32


def test_attngan_trains_on_a_captioned_folder_resized_to_its_last_stage(tmp_path):
    """`name.png` + `name.txt` (one caption per line): the DAMSM encoders first, then the GAN from them."""
    folder = tmp_path / "captioned"
    _images(folder, 4, (40, 40))
    for i, text in enumerate(["a red square", "a blue circle\nblue round thing"] * 2):
        (folder / f"{i:03d}.txt").write_text(text + "\n")
    encoders = {"embedding_dim": 16, "text_dim": 16, "image_size": 16, "image_width": 8}
    damsm = _train("attngan-damsm", folder, tmp_path / "damsm", **encoders)
    assert _config(damsm)["vocabulary"] == ["a", "blue", "circle", "red", "round", "square", "thing"]
    small = {"stages": 2, "base_size": 16, "ngf": 8, "z_dim": 8, "cond_dim": 8, "residuals": 1, "ndf": 8}
    run = train(
        "attngan",
        data=str(folder),
        out=str(tmp_path / "gan"),
        steps=2,
        checkpoint_every=0,
        model={**encoders, **small},
        step={"damsm": str(damsm)},
    )
    with Image.open(run / "samples" / "latest.png") as grid:  # the 40x40 images were read at 32x32
        assert grid.mode == "RGB"
    (folder / "001.txt").unlink()
    with pytest.raises(DataError, match=r"no caption file \(001.txt\).*name.txt beside it"):
        _train("attngan-damsm", folder, tmp_path / "bad", **encoders)


def _photos(folder: Path) -> Path:
    return _images(folder, 2, (100, 112))


SRGAN_SMALL = ["--steps", "2", "--batch-size", "2", "--set", "step.pretrain_steps=1"]
SRGAN_SMALL += ["--set", "model.width=8", "--set", "model.blocks=1", "--set", "model.d_width=4"]


@pytest.mark.parametrize("where", ["offline", "unreachable"])
def test_srgan_without_vgg19_weights_fails_at_once_naming_the_option(
    where, hub, tmp_path, monkeypatch, capsys, caplog
):
    """`zoo train srgan --data DIR` needs VGG19 from the Hub: offline, or with the Hub unreachable, it fails
    before the first step (no retries: huggingface_hub's would take about 45 s) and names the option."""
    from zoo.cli import main

    if where == "offline":
        set_offline(monkeypatch)  # the hub fixture's fresh HF_HOME: nothing cached
    else:
        set_unreachable(monkeypatch)
    run = tmp_path / "run"
    assert (
        main(["train", "srgan", "--data", str(_photos(tmp_path / "photos")), "--out", str(run), *SRGAN_SMALL])
        == 2
    )
    err = capsys.readouterr().err
    assert "pretrained 'vgg19' weights" in err and "add --set step.content.pretrained=false" in err
    assert not any("Retrying" in r.getMessage() for r in caplog.records)
    assert not run.exists()  # nothing trained, nothing left behind


def test_srgan_trains_offline_with_a_fixed_random_backbone(hub, tmp_path, monkeypatch, single_thread):
    """The documented way without the Hub: `--set step.content.pretrained=false` trains both stages."""
    from zoo.cli import main

    set_offline(monkeypatch)  # the hub fixture's fresh HF_HOME: nothing cached
    run = tmp_path / "run"
    args = ["train", "srgan", "--data", str(_photos(tmp_path / "photos")), "--out", str(run), *SRGAN_SMALL]
    assert main([*args, "--set", "step.content.pretrained=false", "--set", "log_every=1"]) == 0
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert "loss_content" in logged[-1] and (run / "model.safetensors").is_file()
    assert json.loads((run / "config.json").read_text())["recipe"]["step"]["content"]["pretrained"] is False


@pytest.mark.parametrize("quiet", [[], ["-q"]])
def test_the_progress_bar_prints_the_time_to_the_first_grid_once(quiet, tmp_path, capsys, single_thread):
    """`zoo train dcgan --data DIR` says once when, and where, its first sample grid was written; -q
    (before or after the command) prints nothing on stderr."""
    from zoo.cli import main

    data, run = _images(tmp_path / "photos", 4, (16, 16)), tmp_path / "run"
    args = [
        "train",
        "dcgan",
        "--data",
        str(data),
        "--out",
        str(run),
        "--steps",
        "3",
        "--set",
        "sample_every=1",
    ]
    assert main([*quiet, *args, "--set", "model.width=8", *quiet]) == 0
    err = capsys.readouterr().err
    if quiet:
        assert err == ""
        return
    lines = [line for line in err.splitlines() if "first sample grid" in line]
    grid = run / "samples" / "step_0000001.png"
    assert len(lines) == 1 and re.fullmatch(
        rf"first sample grid at step 1, [\d.]+ s into the run: {grid}", lines[0]
    )


def test_zoo_train_from_python_shows_the_bar_unless_the_zoo_logger_is_quiet(tmp_path, capsys, single_thread):
    import logging

    data = _images(tmp_path / "photos", 4, (16, 16))
    zoo_logger = logging.getLogger("zoo")
    before = zoo_logger.level
    try:
        for level, shown in ((logging.NOTSET, True), (logging.WARNING, False)):
            zoo_logger.setLevel(level)
            train(
                "dcgan",
                data=str(data),
                out=str(tmp_path / str(level)),
                steps=2,
                sample_every=1,
                model={"width": 8},
            )
            assert ("first sample grid at step 1" in capsys.readouterr().err) == shown
    finally:
        zoo_logger.setLevel(before)
