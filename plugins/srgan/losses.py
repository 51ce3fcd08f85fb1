"""The SRGAN content loss: MSE between features of a fixed backbone created through timm.

``timm.create_model(backbone, pretrained=True, features_only=True)`` fetches the backbone's weights from the
Hugging Face Hub (``HF_ENDPOINT`` selects a mirror), like any other weights. The paper's VGG54 is
``vgg19`` features at index 4 (after conv5_4 and its ReLU, before the 5th max-pool), and the paper scales
that MSE by 1/12.75**2 when features are taken from the raw (0..255-scaled) network.
Where no pretrained backbone can be had, ``pretrained: false`` with a ``seed`` gives a fixed randomly
initialised one (say so in the model card).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from zoo.errors import HubError


class PerceptualLoss(nn.Module):
    """MSE between backbone features of two image batches in [0, 1] (ImageNet-normalised inputs)."""

    def __init__(
        self, backbone: str = "vgg19", index: int = 4, pretrained: bool = True, seed: int = 0
    ) -> None:
        super().__init__()
        import timm
        from huggingface_hub import constants

        from zoo.hub_download import check_timm_weights_reachable, hub_errors

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the random initialisation (pretrained: false) is the seed's
            try:
                if pretrained:
                    check_timm_weights_reachable(backbone)
                self.features = timm.create_model(
                    backbone, pretrained=pretrained, features_only=True, out_indices=(index,)
                )
            except hub_errors() as exc:  # huggingface_hub's HTTP, offline and cache errors
                reason = str(exc).rstrip(".")
                raise HubError(
                    f"the content loss needs pretrained {backbone!r} weights, which timm fetches from the "
                    f"Hugging Face Hub ({constants.ENDPOINT}), and they could not be had: {reason}. Go "
                    "online, point HF_ENDPOINT at a mirror, or train with a fixed random backbone: add "
                    "--set step.content.pretrained=false (in a recipe, content: {pretrained: false, seed: 0})"
                ) from exc
        self.features.eval().requires_grad_(False)
        cfg = self.features.pretrained_cfg
        self.register_buffer("mean", torch.tensor(cfg.get("mean", (0.485, 0.456, 0.406))).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(cfg.get("std", (0.229, 0.224, 0.225))).view(1, 3, 1, 1))

    def train(self, mode: bool = True) -> PerceptualLoss:
        return super().train(False)  # a fixed feature extractor: batch-norm statistics never update

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        (fake,) = self.features((sr - self.mean) / self.std)
        with torch.no_grad():
            (real,) = self.features((hr - self.mean) / self.std)
        return F.mse_loss(fake.float(), real.float())


@functools.cache
def _cached(backbone: str, index: int, pretrained: bool, seed: int, device: str) -> PerceptualLoss:
    return PerceptualLoss(backbone, index, pretrained, seed).to(device)


def perceptual_loss(spec: dict, device: torch.device) -> PerceptualLoss:
    """The content loss a step option names (``{backbone, index, pretrained, seed}``), built once."""
    unknown = set(spec) - {"backbone", "index", "pretrained", "seed"}
    if unknown:
        raise ValueError(
            f"unknown content-loss option(s) {sorted(unknown)}; allowed: backbone, index, pretrained, seed"
        )
    return _cached(
        spec.get("backbone", "vgg19"),
        int(spec.get("index", 4)),
        bool(spec.get("pretrained", True)),
        int(spec.get("seed", 0)),
        str(device),
    )
