"""pytorch/examples' DCGAN checkpoints (``netG_epoch_N.pth``, ``netD_epoch_N.pth``) convert exactly.

``ExamplesGenerator``/``ExamplesDiscriminator`` are the module trees of pytorch/examples' ``dcgan/main.py``
(nz=100, ngf=ndf=64, nc=3, 64x64 by default), written here from that file's published structure.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import zoo
from zoo.cli import main
from zoo.convert import convert


class ExamplesGenerator(nn.Module):
    def __init__(self, nz: int, ngf: int, nc: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class ExamplesDiscriminator(nn.Module):
    def __init__(self, ndf: int, nc: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def trained_like(module: nn.Module, seed: int) -> nn.Module:
    """Random weights and batch-norm statistics, as after training (eval mode)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5 if "running_var" in name else
                             torch.randn(tensor.shape, generator=gen) * 0.05)  # fmt: skip
    return module.eval()


@pytest.mark.parametrize("old_file", [False, True])
def test_examples_generator_and_discriminator_convert_to_the_same_outputs(tmp_path, old_file):
    netg, netd = trained_like(ExamplesGenerator(16, 8, 3), 0), trained_like(ExamplesDiscriminator(8, 3), 1)
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
    torch.save(trained_like(ExamplesGenerator(16, 8, 1), 2).state_dict(), tmp_path / "netG.pth")
    torch.save(trained_like(ExamplesDiscriminator(8, 1), 3).state_dict(), tmp_path / "netD.pth")
    assert main(["convert", "dcgan", str(tmp_path / "netG.pth"), "--out", str(tmp_path / "g")]) == 0
    assert zoo.load(tmp_path / "g").discriminator is None
    assert main(["convert", "dcgan", str(tmp_path / "netD.pth"), "--out", str(tmp_path / "d")]) == 2
    assert "looks like a DCGAN discriminator" in capsys.readouterr().err
