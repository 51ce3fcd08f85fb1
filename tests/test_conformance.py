"""The plugin conformance kit (``zoo.testing``) on every built-in variant, and on a variant that breaks it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from PIL import Image

import zoo
from zoo.plugins import manager
from zoo.registry import reset
from zoo.testing import ConformanceError, check_variant

TINY = {
    "gan": ({"latent_dim": 4, "hidden": [8], "out_shape": [2], "output": "linear"}, "gaussians25"),
    "dcgan": ({"latent_dim": 8, "resolution": 32, "channels": 1, "width": 8}, "mnist"),
    "pix2pix": ({"netG": "unet_32", "ngf": 4, "ndf": 4}, "pairs"),
    "cyclegan": ({"netG": "resnet_2blocks", "ngf": 4, "ndf": 4}, "unpaired"),
}


def write_images(folder: Path, count: int, width: int = 32) -> None:
    """``count`` random 32-pixel-high RGB images in ``folder``."""
    folder.mkdir(parents=True)
    gen = torch.Generator().manual_seed(count)
    for i in range(count):
        pixels = torch.randint(0, 256, (32, width, 3), generator=gen, dtype=torch.uint8).numpy()
        Image.fromarray(pixels).save(folder / f"{i}.png")


@pytest.mark.parametrize("variant", sorted(TINY))
def test_builtin_variants_keep_the_contract(variant, tmp_path, single_thread):
    model, data = TINY[variant]
    if data == "pairs":  # a bare folder of A|B side-by-side images
        write_images(tmp_path / "data", 3, width=64)
        data = str(tmp_path / "data")
    elif data == "unpaired":
        write_images(tmp_path / "data" / "trainA", 3)
        write_images(tmp_path / "data" / "trainB", 2)
        data = str(tmp_path / "data")
    run = check_variant(variant, model, data, tmp_path / "runs")
    assert (run / "samples" / "latest.png").is_file()


def nan_step(model, batch, ctx):
    """A training step that reports a non-finite loss."""
    return {"loss_g": math.nan}


class Broken:
    """An in-process plugin registering a variant whose training step reports NaN."""

    @zoo.hookimpl
    def register_variants(self, register):
        register(
            zoo.Variant(
                name="nangan",
                model="zoo_plugins.gan.networks:VanillaGAN",
                training_step=f"{__name__}:nan_step",
            )
        )


def test_a_variant_reporting_nan_fails_the_kit(tmp_path, single_thread):
    manager().register(Broken(), name="test-broken")
    reset()
    try:
        with pytest.raises(ConformanceError, match=r"non-finite values: \{'loss_g': nan\}"):
            check_variant("nangan", TINY["gan"][0], "gaussians25", tmp_path)
    finally:
        manager().unregister(name="test-broken")
        reset()
