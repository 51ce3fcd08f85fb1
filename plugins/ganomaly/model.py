"""The GANomaly model: ``score(images)`` (higher is more anomalous) and ``is_anomaly(images)``.

The raw score of GANomaly is the latent distance ``mean((z - z_hat)^2)`` between the code of an image
and the code of its reconstruction; ``adversarial=False`` builds the autoencoder baseline instead
(encoder and decoder only, trained on the L1 reconstruction), whose raw score is the mean squared
reconstruction error. ``score`` min-max normalises the raw score with the lowest and highest raw
scores seen on validation data, and ``is_anomaly`` compares it with the threshold chosen there. Both
constants and the threshold are registered buffers: they are saved in ``model.safetensors``.

Inputs of another size than ``resolution`` are resized (bilinear, antialiased) with a warning; PIL
images and paths are converted to the model's channel count, tensors with another one are an error.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from zoo_plugins.dcgan.networks import init_weights
from zoo_plugins.ganomaly.convert import ganomaly_from_original
from zoo_plugins.ganomaly.networks import Discriminator, Generator

from zoo.config_checks import Size
from zoo.errors import DataError
from zoo.images import ImageLike, denormalize, normalize, to_batch
from zoo.metrics.anomaly import auroc, youden_threshold
from zoo.model import GANModel, ImageShapeFromData

Images = ImageLike | Sequence[ImageLike]


class GANomaly(ImageShapeFromData, GANModel):
    """Akcay et al. 2018: generator = encoder -> decoder -> encoder, discriminator = encoder + logit.

    ``resolution`` 32 or 64 (any power of two from 16), ``channels`` 1 or 3, ``width`` the first
    encoder layer's filters (the paper's ngf/ndf, 64), ``latent_dim`` the code size (the paper's nz, 100).
    ``discriminator=False`` builds the generator alone: inference weights (a converted ``netG.pth``).
    """

    task = "score"
    averaged = ()  # the paper scores with the trained networks, no moving average
    config_constraints = {
        "resolution": Size(min=16, power_of_two=True),
        "channels": Size(),
        "latent_dim": Size(),
        "width": Size(),
    }

    #: The paper's image size (MNIST, CIFAR-10): a folder of other-sized images is resized to it.
    DATA_RESOLUTION = 32

    def __init__(
        self,
        resolution: int = 32,
        channels: int = 3,
        latent_dim: int = 100,
        width: int = 64,
        adversarial: bool = True,
        discriminator: bool = True,
    ) -> None:
        super().__init__()
        if channels not in (1, 3):
            raise ValueError(f"GANomaly takes 1 (grey) or 3 (RGB) channels, not {channels}")
        self.resolution, self.channels = resolution, channels
        self.generator = Generator(resolution, channels, width, latent_dim, reencode=adversarial)
        self.discriminator = (
            Discriminator(resolution, channels, width) if adversarial and discriminator else None
        )
        if self.discriminator is None:
            self.optimized = ("generator",)
        self.apply(init_weights)
        unset = torch.tensor(float("inf"))  # not calibrated yet (inf, unlike NaN, equals itself)
        self.register_buffer("score_min", unset.clone())  # raw-score range on validation data
        self.register_buffer("score_max", unset.clone())
        self.register_buffer("threshold", unset.clone())  # on the normalised score; >= is anomalous

    @classmethod
    def convert_original(
        cls, state_dict: dict[str, torch.Tensor]
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The official code's ``netG.pth`` (NetG: encoder1, decoder, encoder2) as our weights and config:
        the generator alone, uncalibrated (``raw_scores`` works; ``score`` needs ``calibrate``)."""
        return ganomaly_from_original(state_dict)

    def check_data(self, shape: tuple[int, ...], where: str) -> None:
        """A clear error when training or validation images do not have the model's shape."""
        expected = (self.channels, self.resolution, self.resolution)
        if tuple(shape) != expected:
            raise DataError(
                f"{where} has images of shape {tuple(shape)} but the model takes {expected}: set the model "
                "(--set model.resolution=64 --set model.channels=1) or resize the data "
                '(--data "{name: folder, path: DIR, size: 32}")'
            )

    def check_training_data(self, item: dict[str, torch.Tensor]) -> None:
        """Called by the trainer before anything is written: the training images must fit the model."""
        if self.generator.reencoder is not None and self.discriminator is None:
            raise ValueError(
                "this GANomaly has no discriminator (discriminator: false, e.g. a converted netG.pth): "
                "its adversarial training needs one; train from the recipe without discriminator: false"
            )
        self.check_data(item["x"].shape, "the training data")

    # ------------------------------------------------------------------------------ preprocessing
    #: data space (``[0, 1]`` images) to the networks' space (``[-1, 1]``) and back
    normalize = staticmethod(normalize)
    denormalize = staticmethod(denormalize)

    def to_input(self, images: Images) -> torch.Tensor:
        """``images`` (tensor, PIL image, path, or a list of them) as an ``(N, C, R, R)`` batch in [0, 1]."""
        items = images if isinstance(images, (list, tuple)) else [images]
        if not items:
            raise ValueError("no images given: pass an image, a path, a tensor or a non-empty list of them")
        batches = [self._resized(to_batch(item, self.channels)[0], item) for item in items]
        return torch.cat(batches)

    def _resized(self, batch: torch.Tensor, source: object) -> torch.Tensor:
        r = self.resolution
        if tuple(batch.shape[-2:]) == (r, r):
            return batch
        name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "an input image"
        warnings.warn(
            f"{name} is {batch.shape[-1]}x{batch.shape[-2]}; the model was trained at {r}x{r}: resizing it "
            "(bilinear). Scores of resized images are only comparable if the validation images were too.",
            stacklevel=4,
        )
        return F.interpolate(batch.float(), size=(r, r), mode="bilinear", antialias=True, align_corners=False)

    # ------------------------------------------------------------------------------------ scoring
    def _raw_batch(self, x: torch.Tensor) -> torch.Tensor:
        """Raw scores of a ``[-1, 1]`` batch: latent distance (GANomaly) or reconstruction MSE (baseline)."""
        fake, z, z_hat = self.generator(x)
        if z_hat is None:
            return (fake.float() - x.float()).pow(2).flatten(1).mean(1)
        return (z_hat.float() - z.float()).pow(2).mean(1)

    @torch.no_grad()
    def raw_scores(self, images: Images, batch_size: int = 256) -> torch.Tensor:
        """``(N,)`` un-normalised scores on the CPU, computed in eval mode (batch-norm running statistics)."""
        batch = self.to_input(images)
        param = next(self.parameters())
        was_training = self.training
        self.eval()
        try:
            return torch.cat(
                [
                    self._raw_batch(self.normalize(c.to(param.device, param.dtype))).cpu()
                    for c in batch.split(batch_size)
                ]
            )
        finally:
            self.train(was_training)

    @property
    def calibrated(self) -> bool:
        """Whether the min-max constants and the threshold were chosen on validation data."""
        return bool(torch.isfinite(torch.stack([self.score_min, self.score_max, self.threshold])).all())

    def _require_calibration(self) -> None:
        if not self.calibrated:
            raise ValueError(
                "this GANomaly model has no validation calibration (min-max constants and threshold): "
                "train it with validation data (`zoo train ganomaly --data DIR --validation DIR`, with "
                "good/ and anomaly/ subfolders) or call model.calibrate(raw_scores, labels); "
                "model.raw_scores(images) needs no calibration"
            )

    def normalized(self, raw: torch.Tensor) -> torch.Tensor:
        """Raw scores min-max normalised with the validation range (0 and 1 at its ends; not clipped)."""
        self._require_calibration()
        return self._min_max(raw)

    def _min_max(self, raw: torch.Tensor) -> torch.Tensor:
        low, high = self.score_min.float().cpu(), self.score_max.float().cpu()
        return (raw.float() - low) / (high - low).clamp_min(1e-12)

    def score(self, images: Images, batch_size: int = 256) -> torch.Tensor:
        """One anomaly score per image (``(N,)``, higher is more anomalous), normalised on validation data."""
        return self.normalized(self.raw_scores(images, batch_size))

    def is_anomaly(self, images: Images, batch_size: int = 256) -> torch.Tensor:
        """``(N,)`` booleans: the normalised score at or above the threshold chosen on validation data."""
        return self.score(images, batch_size) >= self.threshold.float().cpu()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.score(images)

    @torch.no_grad()
    def calibrate(self, raw: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """Set the min-max constants and the threshold (Youden's J) from validation raw scores and 0/1 labels.

        Returns the validation ``auroc``, the ``threshold`` (normalised) and the counts.
        """
        raw, labels = raw.double().cpu().flatten(), torch.as_tensor(labels).long().cpu().flatten()
        result = {"auroc": auroc(raw, labels)}  # first: it checks scores and labels
        self.score_min.fill_(raw.min().item())
        self.score_max.fill_(raw.max().item())
        normalized = self._min_max(raw)
        result["threshold"] = youden_threshold(normalized, labels)
        self.threshold.fill_(result["threshold"])
        flagged = normalized >= self.threshold.float().cpu()
        result["tpr"] = flagged[labels == 1].double().mean().item()
        result["fpr"] = flagged[labels == 0].double().mean().item()
        result["n_normal"], result["n_anomalous"] = int((labels == 0).sum()), int((labels == 1).sum())
        return result

    @torch.no_grad()
    def sample_images(self, batch: dict) -> torch.Tensor:
        """Training grids: ``(N, 2, C, H, W)`` in [0, 1], each input beside its reconstruction (eval mode)."""
        x = batch["x"][:16]
        fake = self.generator(self.normalize(x))[0]
        return torch.stack([x.float(), self.denormalize(fake)], 1)
