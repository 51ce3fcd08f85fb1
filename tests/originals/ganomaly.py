"""GANomaly (samet-akcay/ganomaly ``lib/networks.py``): ``Encoder``, ``Decoder``, ``NetG``, ``NetD``.

DCGAN-style pyramids built with ``add_module`` and names that carry the channel counts
(``initial-conv-3-64``, ``pyramid-64-128-conv``, ``pyramid-128-batchnorm``, ``final-256-1-conv``, ...),
``--extralayers`` stride-1 layers after the first one. ``NetG`` = encoder1 -> decoder -> encoder2;
``NetD`` = an encoder's ``features`` and its last convolution plus a sigmoid as ``classifier``.
``lib/model.py`` saves ``{"epoch": e, "state_dict": netG.state_dict()}`` as ``netG.pth`` (and netD.pth).
"""

from __future__ import annotations

import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, isize: int, nz: int, nc: int, ndf: int, n_extra_layers: int = 0) -> None:
        super().__init__()
        assert isize % 16 == 0, "isize has to be a multiple of 16"
        main = nn.Sequential()
        main.add_module(f"initial-conv-{nc}-{ndf}", nn.Conv2d(nc, ndf, 4, 2, 1, bias=False))
        main.add_module(f"initial-relu-{ndf}", nn.LeakyReLU(0.2, inplace=True))
        csize, cndf = isize / 2, ndf
        for t in range(n_extra_layers):
            main.add_module(f"extra-layers-{t}-{cndf}-conv", nn.Conv2d(cndf, cndf, 3, 1, 1, bias=False))
            main.add_module(f"extra-layers-{t}-{cndf}-batchnorm", nn.BatchNorm2d(cndf))
            main.add_module(f"extra-layers-{t}-{cndf}-relu", nn.LeakyReLU(0.2, inplace=True))
        while csize > 4:
            in_feat, out_feat = cndf, cndf * 2
            main.add_module(
                f"pyramid-{in_feat}-{out_feat}-conv", nn.Conv2d(in_feat, out_feat, 4, 2, 1, bias=False)
            )
            main.add_module(f"pyramid-{out_feat}-batchnorm", nn.BatchNorm2d(out_feat))
            main.add_module(f"pyramid-{out_feat}-relu", nn.LeakyReLU(0.2, inplace=True))
            cndf, csize = cndf * 2, csize / 2
        main.add_module(f"final-{cndf}-{1}-conv", nn.Conv2d(cndf, nz, 4, 1, 0, bias=False))
        self.main = main

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class Decoder(nn.Module):
    def __init__(self, isize: int, nz: int, nc: int, ngf: int, n_extra_layers: int = 0) -> None:
        super().__init__()
        assert isize % 16 == 0, "isize has to be a multiple of 16"
        cngf, tisize = ngf // 2, 4
        while tisize != isize:
            cngf, tisize = cngf * 2, tisize * 2
        main = nn.Sequential()
        main.add_module(f"initial-{nz}-{cngf}-convt", nn.ConvTranspose2d(nz, cngf, 4, 1, 0, bias=False))
        main.add_module(f"initial-{cngf}-batchnorm", nn.BatchNorm2d(cngf))
        main.add_module(f"initial-{cngf}-relu", nn.ReLU(True))
        csize = 4
        while csize < isize // 2:
            main.add_module(
                f"pyramid-{cngf}-{cngf // 2}-convt", nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1, bias=False)
            )
            main.add_module(f"pyramid-{cngf // 2}-batchnorm", nn.BatchNorm2d(cngf // 2))
            main.add_module(f"pyramid-{cngf // 2}-relu", nn.ReLU(True))
            cngf, csize = cngf // 2, csize * 2
        for t in range(n_extra_layers):
            main.add_module(f"extra-layers-{t}-{cngf}-conv", nn.Conv2d(cngf, cngf, 3, 1, 1, bias=False))
            main.add_module(f"extra-layers-{t}-{cngf}-batchnorm", nn.BatchNorm2d(cngf))
            main.add_module(f"extra-layers-{t}-{cngf}-relu", nn.ReLU(True))
        main.add_module(f"final-{cngf}-{nc}-convt", nn.ConvTranspose2d(cngf, nc, 4, 2, 1, bias=False))
        main.add_module(f"final-{nc}-tanh", nn.Tanh())
        self.main = main

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class NetG(nn.Module):
    """``(gen_imag, latent_i, latent_o)``: the reconstruction and the codes of the input and of it."""

    def __init__(self, isize: int = 32, nz: int = 100, nc: int = 3, ngf: int = 64, extralayers: int = 0):
        super().__init__()
        self.encoder1 = Encoder(isize, nz, nc, ngf, extralayers)
        self.decoder = Decoder(isize, nz, nc, ngf, extralayers)
        self.encoder2 = Encoder(isize, nz, nc, ngf, extralayers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        latent_i = self.encoder1(x)
        gen_imag = self.decoder(latent_i)
        latent_o = self.encoder2(gen_imag)
        return gen_imag, latent_i, latent_o


class NetD(nn.Module):
    def __init__(self, isize: int = 32, nc: int = 3, ngf: int = 64, extralayers: int = 0) -> None:
        super().__init__()
        layers = list(Encoder(isize, 1, nc, ngf, extralayers).main.children())
        self.features = nn.Sequential(*layers[:-1])
        self.classifier = nn.Sequential(layers[-1])
        self.classifier.add_module("Sigmoid", nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(x)
        return self.classifier(features).view(-1, 1).squeeze(1), features
