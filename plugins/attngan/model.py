"""The AttnGAN models: ``DAMSM`` (the text and image encoders, trained first) and ``AttnGAN`` (the same
encoders, frozen, plus the multi-stage generator and its discriminators). Both carry the vocabulary in their
config, so ``config.json`` beside the weights holds it as JSON.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from zoo_plugins.attngan.convert import state_from_original
from zoo_plugins.attngan.losses import sentence_scores
from zoo_plugins.attngan.networks import Generator, ImageEncoder, StageDiscriminator, TextEncoder
from zoo_plugins.attngan.vocab import Vocabulary, build_vocabulary, tokenize

from zoo.config_checks import Size
from zoo.errors import DataError
from zoo.images import denormalize, normalize
from zoo.model import GANModel, seeded_noise


class DAMSM(GANModel):
    """The Deep Attentional Multimodal Similarity Model's encoders: ``encoders.text`` (a bi-LSTM over the
    vocabulary) and ``encoders.image`` (a small CNN or a timm backbone), trained to match images and captions.

    ``vocabulary`` is the word list; a recipe leaves it (and ``max_words``) out and the trainer fills them in
    from the training captions (``config_from_data``).
    """

    task = "match"
    optimized = ("encoders",)
    averaged = ()
    config_constraints = {
        "max_words": Size(),
        "embedding_dim": Size(),
        "text_dim": Size(min=2, multiple_of=2),  # a bidirectional LSTM: half per direction
        "image_size": Size(),
        "image_width": Size(),
    }

    def __init__(
        self,
        vocabulary: list[str] | None = None,
        max_words: int = 18,
        embedding_dim: int = 300,
        text_dim: int = 256,
        text_dropout: float = 0.5,
        image_size: int = 64,
        image_width: int = 32,
        image_backbone: str | None = None,
        image_bias: bool = False,
    ) -> None:
        super().__init__()
        if vocabulary is None:
            raise ValueError(
                f"{type(self).__name__} needs its vocabulary: train it on captioned data (the trainer builds "
                "the word list from the captions) or pass vocabulary=[...]"
            )
        self.vocab = Vocabulary(vocabulary, max_words)
        self.encoders = nn.ModuleDict(
            {
                "text": TextEncoder(len(self.vocab), embedding_dim, text_dim, text_dropout),
                "image": ImageEncoder(text_dim, image_width, image_size, image_backbone, image_bias),
            }
        )

    @classmethod
    def config_from_data(cls, options: dict[str, Any], data: str | dict) -> dict[str, Any]:
        """The recipe's model options, ``vocabulary`` (every word of the training captions) and ``max_words``
        (the longest caption's word count) filled in from the data when the recipe leaves them unset."""
        if options.get("vocabulary") is not None and options.get("max_words") is not None:
            return options
        from zoo.data import build_dataset

        dataset = build_dataset(data, split="train")
        if not hasattr(dataset, "texts"):
            raise DataError(
                f"{cls.__name__} learns from captioned images, and the data {data!r} has no captions: "
                "use `shapes` or a folder of images with one caption file each (name.jpg + name.txt)"
            )
        texts = list(dataset.texts())
        if options.get("vocabulary") is None:
            options["vocabulary"] = build_vocabulary(texts)
        if options.get("max_words") is None:
            options["max_words"] = max(len(tokenize(t)) for t in texts)
        return options

    def check_training_data(self, item: dict[str, Any]) -> None:
        """The trainer's check of one training item before the first step: an RGB image and a caption."""
        if not isinstance(item.get("caption"), str):
            raise ValueError("the items have no 'caption': train on shapes or a captioned folder")
        if item["x"].dim() != 3 or item["x"].shape[0] != 3:
            raise ValueError(f"the images must be RGB (3, H, W), not {tuple(item['x'].shape)}")

    #: images in ``[0, 1]`` to the networks' ``[-1, 1]`` and back
    normalize = staticmethod(normalize)
    denormalize = staticmethod(denormalize)

    def encode_text(self, captions: str | list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Word features ``(N, D, L)``, sentence features ``(N, D)`` and the padding mask ``(N, L)``."""
        ids, lengths = self.vocab.encode(captions)
        device = next(self.encoders.parameters()).device
        words, sentence = self.encoders["text"](ids.to(device), lengths)
        pad = torch.arange(ids.shape[1], device=device)[None] >= lengths.to(device)[:, None]
        return words, sentence, pad

    def encode_images(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Region features ``(N, D, r, r)`` and global features ``(N, D)`` of images in ``[0, 1]``."""
        if "image" not in self.encoders:
            raise ValueError(
                "this model has no DAMSM image encoder (converted from the original release, whose "
                "Inception-v3 encoder is not converted): similarity needs a model trained with gan-zoo"
            )
        param = next(self.encoders.parameters())
        return self.encoders["image"](self.normalize(images.to(param.device, param.dtype)))

    @torch.no_grad()
    def similarity(self, images: torch.Tensor, captions: str | list[str]) -> torch.Tensor:
        """Cosine similarity of every (image, caption) pair's global features: ``(N_images, N_captions)``,
        the score R-precision ranks captions by."""
        _, sentence, _ = self.encode_text(captions)
        _, code = self.encode_images(images)
        return sentence_scores(code, sentence, gamma3=1.0)


class AttnGAN(DAMSM):
    """Text to image (Xu et al. 2018): frozen DAMSM encoders, a generator of ``stages`` images
    (``base_size`` pixels, doubling per stage, word attention from stage 2) and one discriminator per stage.

    ``generate(captions, seed=...)`` gives the last stage's images. ``d_norm``: the discriminators' batch
    norm (the paper's) or ``"spectral"`` norm; ``d_cond``: their conditional logit by the paper's
    concatenation or ``"projection"`` (Miyato & Koyama 2018; both in ``networks.StageDiscriminator``);
    ``ca_norm``: the sentence feature scaled to unit RMS before the conditioning augmentation (not in the
    paper; ``networks.CANet``).
    ``discriminators=False`` and ``image_encoder=False`` leave out what only training and R-precision need
    (converted original checkpoints have neither: the original DAMSM image encoder is an Inception-v3 we
    do not convert).
    """

    task = "text_to_image"
    optimized = ("generator", "discriminators")
    averaged = ("generator",)
    config_constraints = {
        **DAMSM.config_constraints,
        "stages": Size(),
        "base_size": Size(min=8, power_of_two=True),
        **{name: Size() for name in ("ngf", "z_dim", "cond_dim", "ndf")},
        "residuals": Size(min=0),
    }

    def __init__(
        self,
        vocabulary: list[str] | None = None,
        max_words: int = 18,
        embedding_dim: int = 300,
        text_dim: int = 256,
        text_dropout: float = 0.5,
        image_size: int = 64,
        image_width: int = 32,
        image_backbone: str | None = None,
        image_bias: bool = False,
        stages: int = 3,
        base_size: int = 64,
        ngf: int = 32,
        z_dim: int = 100,
        cond_dim: int = 100,
        residuals: int = 2,
        ndf: int = 64,
        d_norm: str = "batch",
        d_cond: str = "concat",
        ca_norm: bool = False,
        discriminators: bool = True,
        image_encoder: bool = True,
    ) -> None:
        super().__init__(
            vocabulary,
            max_words,
            embedding_dim,
            text_dim,
            text_dropout,
            image_size,
            image_width,
            image_backbone,
            image_bias,
        )
        if not image_encoder:
            del self.encoders["image"]
        self.encoders.requires_grad_(False)
        self.generator = Generator(stages, base_size, ngf, z_dim, cond_dim, text_dim, residuals, ca_norm)
        self.sizes = [base_size * 2**i for i in range(stages)]
        self.discriminators = (
            nn.ModuleList(StageDiscriminator(s, ndf, text_dim, d_norm, d_cond) for s in self.sizes)
            if discriminators
            else None
        )
        if not discriminators:
            self.optimized = ("generator",)

    def training_size(self) -> int:
        """The last stage's side: a captioned folder of your own is resized to it."""
        return self.sizes[-1]

    def check_training_data(self, item: dict[str, Any]) -> None:
        """Before the first step: training needs the discriminators, the DAMSM image encoder and images of
        the last stage's size."""
        super().check_training_data(item)
        if self.discriminators is None or "image" not in self.encoders:
            raise ValueError(
                "training needs discriminators: true and image_encoder: true in the model options"
            )
        size, shape = self.sizes[-1], tuple(item["x"].shape[1:])
        if shape != (size, size):
            raise ValueError(
                f"the data's images are {shape[1]}x{shape[0]} but the generator's last stage makes "
                f"{size}x{size} (base_size {self.sizes[0]}, {len(self.sizes)} stages): set the data size "
                f"(e.g. data: {{name: shapes, size: {size}}}) or the model's base_size/stages"
            )

    def train(self, mode: bool = True) -> AttnGAN:
        """Train the generator and discriminators; the frozen encoders stay in eval mode (no dropout, fixed
        batch-norm statistics), as the original keeps them."""
        super().train(mode)
        self.encoders.eval()
        return self

    def noise(self, n: int, seed: int | None, truncation: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
        """The generator's noise ``z`` and the conditioning augmentation's ``eps``, drawn from ``seed`` and
        scaled by ``truncation``."""
        if isinstance(truncation, bool) or not isinstance(truncation, int | float) or not truncation >= 0:
            raise ValueError(
                f"truncation scales the noise: a number of at least 0 (1: as trained), not {truncation!r}"
            )
        param = next(self.generator.parameters())
        both = truncation * seeded_noise(
            (n, self.generator.z_dim + self.generator.ca_net.cond_dim), seed, param.device, param.dtype
        )
        return both[:, : self.generator.z_dim], both[:, self.generator.z_dim :]

    def forward(
        self, captions: str | list[str], seed: int | None = None, truncation: float = 1.0
    ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every stage's images in ``[-1, 1]`` and the attention maps of stages 2+ (no gradient into the text
        encoder)."""
        with torch.no_grad():
            words, sentence, pad = self.encode_text(captions)
        z, eps = self.noise(len(sentence), seed, truncation)
        images, maps, _, _ = self.generator(z, sentence, words, pad, eps)
        return images, maps

    @torch.no_grad()
    def generate(
        self,
        captions: str | list[str],
        seed: int | None = None,
        return_attention: bool = False,
        truncation: float = 1.0,
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """``(N, 3, H, W)`` images in ``[0, 1]`` for N captions, the same for the same seed.

        With ``return_attention=True`` also the word attention of each stage from the second:
        ``(N, L, h, w)`` maps whose word ``k`` is the caption's ``k``-th word (``vocab.tokenize``, truncated
        to ``max_words``); each pixel's weights sum to 1 over the caption's words, padding gets 0.
        ``truncation`` scales the noise (``z`` and the conditioning augmentation's), as the truncation trick
        of BigGAN and StyleGAN: below 1 each caption's images vary less and are more typical, 0 gives one
        image per caption whatever the seed (docs/attngan.md has what it does to the metrics).
        """
        images, maps = self(captions, seed, truncation)
        out = self.denormalize(images[-1])
        return (out, [m.float() for m in maps]) if return_attention else out

    @torch.no_grad()
    def sample_images(self, batch: dict[str, Any]) -> torch.Tensor:
        """Training grids: per caption, the real image, then every stage's output at the final size."""
        images, _ = self(batch["caption"], seed=0)
        size = self.sizes[-1]
        panels = [batch["x"].float()] + [
            F.interpolate(self.denormalize(im), size=(size, size), mode="nearest") for im in images
        ]
        return torch.stack(panels, 1)

    @classmethod
    def convert_original(
        cls, text_encoder: dict[str, torch.Tensor], generator: dict[str, torch.Tensor], vocabulary: str
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The original code's released ``text_encoder*.pth`` and ``netG*.pth`` state dicts and its
        ``captions.pickle`` as our weights and config: the generator and the text encoder only
        (``discriminators=False``, ``image_encoder=False``)."""
        return state_from_original(cls, text_encoder, generator, vocabulary)
