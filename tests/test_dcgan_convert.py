"""pytorch/examples' DCGAN checkpoints (``netG_epoch_N.pth``, ``netD_epoch_N.pth``) convert exactly.

The checkpoints are saved from pytorch/examples' own module trees (``tests/originals/dcgan_examples.py``).
"""

from __future__ import annotations

import json

import pytest
import torch
from originals import trained_like
from originals.dcgan_examples import Discriminator, Generator

import zoo
from zoo.cli import main
from zoo.convert import convert


@pytest.mark.parametrize("old_file", [False, True])
def test_examples_generator_and_discriminator_convert_to_the_same_outputs(tmp_path, old_file):
    netg, netd = trained_like(Generator(16, 8, 3), 0), trained_like(Discriminator(8, 3), 1)
    states = [netg.state_dict(), netd.state_dict()]
    if old_file:  # saved before torch counted batch-norm batches
        states = [{k: v for k, v in s.items() if not k.endswith("num_batches_tracked")} for s in states]
    torch.save(states[0], tmp_path / "netG_epoch_24.pth")
    torch.save(states[1], tmp_path / "netD_epoch_24.pth")
    out = convert("dcgan", [tmp_path / "netG_epoch_24.pth", tmp_path / "netD_epoch_24.pth"], tmp_path / "c")
    config = json.loads((out / "config.json").read_text())["config"]
    assert config == {"latent_dim": 16, "resolution": 64, "channels": 3, "width": 8, "discriminator": True}
    model = zoo.load(out)
    z = torch.randn(3, 16)
    with torch.no_grad():
        assert torch.allclose(model.generator(z), netg(z[:, :, None, None]), atol=1e-6)
        x = torch.rand(3, 3, 64, 64) * 2 - 1
        assert torch.allclose(torch.sigmoid(model.discriminator(x)), netd(x), atol=1e-6)
    images = model.generate(2, seed=0)
    assert images.shape == (2, 3, 64, 64) and 0 <= images.min() and images.max() <= 1


def test_a_generator_alone_converts_and_a_discriminator_first_is_named(tmp_path, capsys):
    torch.save(trained_like(Generator(16, 8, 1), 2).state_dict(), tmp_path / "netG.pth")
    torch.save(trained_like(Discriminator(8, 1), 3).state_dict(), tmp_path / "netD.pth")
    assert main(["convert", "dcgan", str(tmp_path / "netG.pth"), "--out", str(tmp_path / "g")]) == 0
    assert zoo.load(tmp_path / "g").discriminator is None
    assert main(["convert", "dcgan", str(tmp_path / "netD.pth"), "--out", str(tmp_path / "d")]) == 2
    assert "looks like a DCGAN discriminator" in capsys.readouterr().err
