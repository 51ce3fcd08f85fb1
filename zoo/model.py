"""Base classes of the models plugins provide: the networks of one variant, built from a config.

A model is an ``nn.Module`` whose ``__init__`` takes the entry's config as keyword arguments, so
``config.json`` on the Hub and ``registry.yaml`` hold everything needed to rebuild it. Every method the
core calls on a model is declared on ``GANModel`` with its default; a variant overrides the ones it needs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from zoo import images
from zoo.config_checks import Size, check_config
from zoo.errors import ZooError


class GANModel(nn.Module):
    """The networks of one GAN variant and the task method users call (``generate``, ...).

    ``self.config`` holds the keyword arguments the model was built with, defaults filled in, so that
    ``type(model)(**model.config)`` rebuilds it; it is recorded automatically (as huggingface_hub's
    ``ModelHubMixin`` does), so subclasses just call ``super().__init__()``.
    """

    #: the method users call, named in ``zoo list``: a registered task (``zoo.tasks``), which says how
    #: ``zoo run`` runs it and how ``zoo evaluate`` scores it
    task: ClassVar[str] = "generate"
    #: attributes holding networks that the trainer gives an optimiser each
    optimized: ClassVar[tuple[str, ...]] = ("generator", "discriminator")
    #: networks whose exponential moving average the trainer keeps and publishes
    averaged: ClassVar[tuple[str, ...]] = ("generator",)
    #: bounds of the config's size fields (``zoo.config_checks.Size``: positive by default), checked by
    #: ``check_config`` with the ``__init__`` annotations before the model is built
    config_constraints: ClassVar[Mapping[str, Size]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
            raise TypeError(f"{cls.__name__}.__init__ must name its arguments: they are the model's config")

        @functools.wraps(init)
        def recording_init(self: GANModel, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            if type(self).__init__ is recording_init:  # the most derived class records its own arguments
                bound = signature.bind(self, *args, **kwargs)
                bound.apply_defaults()
                self.config = dict(list(bound.arguments.items())[1:])

        cls.__init__ = recording_init

    def __init__(self) -> None:
        super().__init__()
        self.config: dict[str, Any] = {}

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @classmethod
    def check_config(cls, config: Mapping[str, Any], label: str = "") -> None:
        """Raise ``RegistryError`` naming the field when ``config`` cannot build this class: an unknown or
        missing field, a type other than ``__init__``'s annotation, a size outside ``config_constraints``.

        ``zoo.load`` calls it before building anything; override it (calling ``super()``) to add checks
        that relate several fields.
        """
        check_config(cls, config, label or cls.__name__)

    @classmethod
    def training_notes(cls, recipe: dict[str, Any]) -> list[str]:
        """Lines a model card adds about how a run of ``recipe`` trained, beyond the recipe itself (for
        example which pretrained network a loss used); none by default."""
        return []

    @classmethod
    def config_from_data(cls, options: dict[str, Any], data: str | dict[str, Any]) -> dict[str, Any]:
        """The recipe's ``model`` options completed from the training data spec before the model is built
        (AttnGAN's vocabulary comes from the training captions); unchanged by default.

        Called by the trainer once per run, with the run's random streams saved and restored around it.
        """
        return options

    def training_size(self) -> int | None:
        """The side of the square images this model trains on, to which the trainer resizes a folder of your
        own (``--data DIR``): the config's ``resolution`` by default; ``None`` keeps the folder's size."""
        resolution = self.config.get("resolution")
        return resolution if isinstance(resolution, int) else None

    def check_training_data(self, item: dict[str, Any]) -> None:
        """Raise ``ValueError`` (or a ``ZooError``) saying what is wrong when one training item (the
        dataset's first, before collation) cannot train this model; accepts every item by default.

        Called by the trainer before the first step, so a misfit fails before any work is done.
        """

    def sample_images(self, batch: dict[str, Any]) -> torch.Tensor | None:
        """The trainer's sample grid for a fixed training ``batch``: ``(N, K, C, H, W)`` images in
        ``[0, 1]``, K panels per example (pix2pix: input | output | target), drawn one row per example.

        Called in eval mode without gradients, with the averaged weights swapped in. ``None`` (the default)
        draws no grid; ``UnconditionalGAN`` models get a grid of ``generate`` samples instead.
        """
        return None

    @classmethod
    def convert_original(
        cls, *state_dicts: dict[str, torch.Tensor], **options: Any
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Checkpoints saved by the variant's original code (state dicts, in the order ``zoo convert``
        takes the files) as ``(state_dict, config)`` of this class, for ``zoo convert``.

        ``options`` are ``zoo convert``'s ``--netG``, ``--norm`` and ``--vocabulary`` where given. The
        default raises: the variant converts nothing.
        """
        raise ZooError(
            f"{cls.__name__} cannot convert checkpoints of its original code: its model class does not "
            "override convert_original"
        )


def seeded_noise(
    shape: tuple[int, ...], seed: int | None, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Gaussian noise drawn on the CPU from ``seed``: the same numbers on every device."""
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    return torch.randn(shape, generator=gen).to(device=device, dtype=dtype)


class ImageShapeFromData:
    """Mixin for image models: ``channels`` and ``resolution`` from a training folder's first image where
    the options leave them unset; a folder of images that are not square powers of two is resized to the
    paper's size, ``DATA_RESOLUTION``."""

    DATA_RESOLUTION: ClassVar[int]

    @classmethod
    def config_from_data(cls, options: dict[str, Any], data: str | dict[str, Any]) -> dict[str, Any]:
        from zoo.data import image_options

        return image_options(options, data, cls.DATA_RESOLUTION)


class UnconditionalGAN(GANModel):
    """A generator of images from Gaussian noise; subclasses set ``generator`` and ``latent_dim``.

    Datasets give images in ``[0, 1]``; the networks work in ``[-1, 1]`` (tanh output), and
    ``normalize``/``denormalize`` convert between the two.
    """

    latent_dim: int
    generator: nn.Module

    #: data space (``[0, 1]`` images) to the networks' space (``[-1, 1]``), and the generator's output back
    normalize = staticmethod(images.normalize)
    denormalize = staticmethod(images.denormalize)

    def sample_latent(self, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` latent vectors on the model's device (drawn from ``seed`` when given)."""
        param = next(self.generator.parameters())
        return seeded_noise((n, self.latent_dim), seed, param.device, param.dtype)

    @torch.no_grad()
    def generate(self, n: int, seed: int | None = None, batch_size: int = 256) -> torch.Tensor:
        """``n`` samples, e.g. ``(n, C, H, W)`` images in ``[0, 1]``; the same ones for the same seed."""
        if n < 1:
            raise ValueError(f"generate(n={n}): ask for at least one sample")
        z = self.sample_latent(n, seed)
        out = torch.cat([self.generator(chunk) for chunk in z.split(batch_size)])
        return self.denormalize(out)

    def forward(self, n: int, seed: int | None = None) -> torch.Tensor:
        return self.generate(n, seed)
