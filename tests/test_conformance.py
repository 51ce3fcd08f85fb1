"""The plugin conformance kit (``zoo.testing``) on every built-in variant and plugin, and on variants, entries
and plugin modules that each break one contract."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import pytest
import torch
from PIL import Image
from test_attngan import DATA as SHAPES
from test_attngan import ENCODERS
from test_attngan import TINY as ATTNGAN
from zoo_plugins.gan.networks import VanillaGAN
from zoo_plugins.ganomaly.model import GANomaly
from zoo_plugins.pix2pix.model import Pix2Pix
from zoo_plugins.srgan.model import SRGAN

import zoo
from zoo.plugins import manager
from zoo.registry import registry, reset
from zoo.testing import ConformanceError, check_entries, check_plugin, check_variant

TINY = {
    "gan": ({"latent_dim": 4, "hidden": [8], "out_shape": [2], "output": "linear"}, "gaussians25"),
    "dcgan": ({"latent_dim": 8, "resolution": 32, "channels": 1, "width": 8}, "mnist"),
    "pix2pix": ({"netG": "unet_32", "ngf": 4, "ndf": 4}, "pairs"),
    "cyclegan": ({"netG": "resnet_2blocks", "ngf": 4, "ndf": 4}, "unpaired"),
    "srgan": ({"width": 8, "blocks": 1, "discriminator": False}, "photos"),
}


def write_images(folder: Path, count: int, width: int = 32) -> None:
    """``count`` random 32-pixel-high RGB images in ``folder``."""
    folder.mkdir(parents=True)
    gen = torch.Generator().manual_seed(count)
    for i in range(count):
        pixels = torch.randint(0, 256, (32, width, 3), generator=gen, dtype=torch.uint8).numpy()
        Image.fromarray(pixels).save(folder / f"{i}.png")


def data_spec(data: str, tmp_path: Path) -> str | dict:
    """``data`` as given; "pairs", "unpaired" and "photos": a spec of random images under ``tmp_path``."""
    if data == "pairs":  # a bare folder of A|B side-by-side images
        write_images(tmp_path / "data", 3, width=64)
        return str(tmp_path / "data")
    if data == "unpaired":
        write_images(tmp_path / "data" / "trainA", 3)
        write_images(tmp_path / "data" / "trainB", 2)
        return str(tmp_path / "data")
    if data == "photos":  # high-resolution crops of a folder
        write_images(tmp_path / "data", 2, width=48)
        return {"name": "sr_crops", "path": str(tmp_path / "data"), "crop": 32}
    return data


@pytest.mark.parametrize("variant", sorted(TINY))
def test_builtin_variants_keep_the_contract(variant, tmp_path, single_thread):
    model, data = TINY[variant]
    run = check_variant(variant, model, data_spec(data, tmp_path), tmp_path / "runs")
    assert (run / "samples" / "latest.png").is_file()


def test_text_to_image_keeps_the_contract(tmp_path, single_thread):
    """AttnGAN trains on a finished DAMSM run: the kit checks both, then generate(captions, seed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        damsm = check_variant("attngan-damsm", ENCODERS, SHAPES, tmp_path, batch_size=8)
        check_variant("attngan", ATTNGAN, SHAPES, tmp_path, batch_size=8, step={"damsm": str(damsm)})


def nan_step(model, batch, ctx):
    """A training step that reports a non-finite loss."""
    return {"loss_g": math.nan}


class SqueezedGAN(VanillaGAN):
    """Drops the channel axis: ``(n, H, W)``."""

    def generate(self, n, seed=None, batch_size=256):
        return super().generate(n, seed, batch_size).squeeze(1)


class TanhRangeGAN(VanillaGAN):
    """Returns the networks' [-1, 1] instead of [0, 1]."""

    def generate(self, n, seed=None, batch_size=256):
        return super().generate(n, seed, batch_size) * 2 - 1


class UnseededGAN(VanillaGAN):
    """Ignores the seed: other samples every call."""

    def generate(self, n, seed=None, batch_size=256):
        return super().generate(n, None, batch_size)


class FixedSeedGAN(VanillaGAN):
    """Always seed 0: the same samples for every seed."""

    def generate(self, n, seed=None, batch_size=256):
        return super().generate(n, 0, batch_size)


class OneSampleGAN(VanillaGAN):
    """One sample whatever n."""

    def generate(self, n, seed=None, batch_size=256):
        return super().generate(1, seed, batch_size)


class TransposingPix2Pix(Pix2Pix):
    """Returns a translated PIL image transposed (W and H swapped); tensors (the trainer's) as they are."""

    def translate(self, image):
        out = super().translate(image)
        return out.transpose(Image.Transpose.TRANSPOSE) if isinstance(out, Image.Image) else out


class HalfScaleSRGAN(SRGAN):
    """Claims ``scale`` but returns an image half that large."""

    def upscale(self, image, **options):
        out = super().upscale(image, **options)
        return out.resize((out.width // 2, out.height // 2))


class MeanScoreGANomaly(GANomaly):
    """Calibrated at construction (so any variant name trains it), but one score for the whole batch."""

    def __init__(self, latent_dim: int = 8, width: int = 4) -> None:
        super().__init__(channels=1, latent_dim=latent_dim, width=width)
        self.calibrate(torch.tensor([0.0, 1.0]), torch.tensor([0, 1]))

    def score(self, images, batch_size=256):
        return super().score(images, batch_size).mean()


IMAGES = {"latent_dim": 4, "hidden": [8], "out_shape": [1, 32, 32]}  # a vanilla GAN of MNIST digits
GAN_STEP = "zoo_plugins.gan.training:training_step"
BROKEN = {  # variant: (model class, training step, data kind, model options, data, the contract broken)
    "nangan": ("zoo_plugins.gan.networks:VanillaGAN", f"{__name__}:nan_step", "folder", TINY["gan"][0],
               "gaussians25", r"non-finite values: \{'loss_g': nan\}"),
    "squeezed": ("SqueezedGAN", GAN_STEP, "folder", IMAGES, "mnist", r"^shape: .*\(n, C, H, W\)"),
    "tanhrange": ("TanhRangeGAN", GAN_STEP, "folder", IMAGES, "mnist", r"^range: .* in \[0, 1\]"),
    "unseeded": ("UnseededGAN", GAN_STEP, "folder", IMAGES, "mnist", "^same seed, same samples: "),
    "fixedseed": ("FixedSeedGAN", GAN_STEP, "folder", IMAGES, "mnist", "^different seeds, different samples"),
    "onesample": ("OneSampleGAN", GAN_STEP, "folder", IMAGES, "mnist", r"^n respected: .*\(3 asked\), got 1"),
    "transposing": ("TransposingPix2Pix", "zoo_plugins.pix2pix.training:training_step", "paired",
                    TINY["pix2pix"][0], "pairs", r"^size: .* \(64, 32\), got \(32, 64\)"),
    "halfscale": ("HalfScaleSRGAN", "zoo_plugins.srgan.training:training_step", "sr_crops", TINY["srgan"][0],
                  "photos", r"^size: .*scale=4 times larger"),
    "meanscore": ("MeanScoreGANomaly", "zoo_plugins.ganomaly.training:training_step", "folder",
                  {"latent_dim": 8, "width": 4}, {"name": "mnist_oneclass", "anomaly": 3},
                  "^one float per input: .* of 3 inputs must return 3 scores"),
}  # fmt: skip


@pytest.fixture
def broken_variants():
    """Registers every variant of ``BROKEN`` through an in-process plugin, then forgets it."""

    class BrokenPlugin:
        @zoo.hookimpl
        def register_variants(self, register):
            for name, (model, step, kind, *_) in BROKEN.items():
                path = model if ":" in model else f"{__name__}:{model}"
                task = globals()[model].task if model in globals() else "generate"
                register(zoo.Variant(name=name, model=path, training_step=step, data=kind, task=task))

    manager().register(BrokenPlugin(), name="test-broken")
    reset()
    yield
    manager().unregister(name="test-broken")
    reset()


@pytest.mark.parametrize("variant", sorted(BROKEN))
def test_a_variant_breaking_a_contract_fails_the_kit_naming_it(
    variant, broken_variants, tmp_path, single_thread
):
    *_, model, data, contract = BROKEN[variant]
    with pytest.raises(ConformanceError, match=contract):
        check_variant(variant, model, data_spec(data, tmp_path), tmp_path / "runs")


def test_a_score_model_without_a_threshold_fails_the_kit(tmp_path, single_thread):
    """GANomaly trained without validation data has no threshold: score() refuses, and the kit says why."""
    with pytest.raises(ConformanceError, match="^threshold: .* calibrate it on validation data"):
        check_variant("ganomaly", {"channels": 1, "latent_dim": 8, "width": 4}, "mnist_oneclass", tmp_path)


def test_builtin_plugins_are_light_and_their_entries_verified():
    for plugin in ("gan", "ganomaly"):
        assert 0 < check_plugin(plugin) < 200
    assert sorted(check_entries("gan")) == ["gan:gan-gaussians25", "gan:gan-mnist"]


def test_released_originals_are_checked_offline_by_their_config(catalogue, monkeypatch):
    monkeypatch.setattr("zoo.originals.fetch", lambda *args: pytest.fail("fetched"))
    assert "pix2pix:pix2pix-day2night" in check_entries("pix2pix")
    catalogue(bad={"variant": "pix2pix", "config": {"ngf": -1}, "weights": {"url": "http://host/x.pth"}})
    with pytest.raises(
        ConformanceError, match="^config: Pix2Pix.check_config of test-catalogue:bad's config"
    ):
        check_entries("test-catalogue")


@pytest.mark.parametrize(
    ("sha256", "contract"),
    [
        (None, "^sha256: test-catalogue:copy registers no weights.sha256"),
        ("0" * 64, f"^sha256: test-catalogue:copy's bundled file .* registers {'0' * 64}"),
    ],
)
def test_an_entry_without_its_weights_sha256_fails_the_kit(sha256, contract, catalogue):
    real = registry().find("gan-mnist")
    weights = {"bundled": real.weights.bundled, "sha256": sha256}
    catalogue(copy={"variant": "gan", "config": real.config, "weights": weights})
    with pytest.raises(ConformanceError, match=contract):
        check_entries("test-catalogue")  # the plugin that registered the entry


HEAVY = """
import torch  # at module level: discovery pays for it

import zoo


@zoo.hookimpl
def register_variants(register):
    pass
"""


def test_a_plugin_importing_torch_fails_the_kit_and_is_flagged_by_zoo_plugins(plugin_site, tmp_path):
    plugin_site.add_distribution(
        tmp_path / "heavy", "zoo-plugin-heavy", {"heavy": "zoo_plugin_heavy"}, {"zoo_plugin_heavy.py": HEAVY}
    )
    proc = plugin_site.python("from zoo.testing import check_plugin; check_plugin('heavy')", check=False)
    assert proc.returncode != 0 and "ConformanceError: no torch at discovery" in proc.stderr
    assert "move torch imports into the functions that need them" in proc.stderr

    lines = plugin_site.run("plugins").stdout.splitlines()
    assert lines[0].split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "IMPORT", "VARIANTS"]
    rows = {line.split()[0]: line for line in lines[1 : lines.index("")]}
    assert re.search(r" ok +\d+\.\d ms +tinygan$", rows["example"])
    assert re.search(r" ok +\d+\.\d ms \(heavy\)$", rows["heavy"])
    note = next(line for line in lines if line.startswith("plugin 'heavy'"))
    assert "(zoo_plugin_heavy) makes discovery slow:" in note and "it imported torch" in note
    assert note.endswith(
        "move torch imports into the functions that need them; discovery imports only the hook module"
    )
    assert not any(line.startswith("plugin 'example'") for line in lines)


EXAMPLE_KIT = """
from zoo.testing import check_entries, check_plugin, check_variant

check_variant("tinygan", model={{"latent_dim": 4, "size": 32}}, data="mnist", out={out!r})
check_plugin("example")
print(check_entries("example"))
"""


def test_the_example_plugin_passes_the_kit_as_docs_plugins_md_calls_it(plugin_site, tmp_path):
    proc = plugin_site.python(EXAMPLE_KIT.format(out=str(tmp_path)))
    assert proc.stdout.strip() == "['example:tiny-example']"
    assert (tmp_path / "tinygan" / "model.safetensors").is_file()
