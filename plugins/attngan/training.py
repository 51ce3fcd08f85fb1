"""The two AttnGAN training steps, each a run of the core trainer (so each is resumable on its own):

1. ``damsm_step`` (variant ``attngan-damsm``): the text and image encoders learn to match images and
   captions with the DAMSM word + sentence losses (the original's ``pretrain_DAMSM.py``).
2. ``attngan_step`` (variant ``attngan``): the encoders of a finished DAMSM run (step option ``damsm``) are
   loaded before the first step and stay frozen; each step updates every stage's discriminator, then the
   generator with the adversarial losses of all stages, ``damsm_weight`` times the DAMSM loss of its last
   stage's images and the conditioning augmentation's KL term (the original's ``trainer.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.transforms.functional import gaussian_blur
from zoo_plugins.attngan.losses import (
    damsm_loss,
    feature_matching_loss,
    kl_loss,
    same_caption,
    stage_discriminator_loss,
    stage_generator_loss,
)
from zoo_plugins.attngan.model import DAMSM, AttnGAN
from zoo_plugins.attngan.vocab import tokenize

from zoo.weights import read_weights


def damsm_step(
    model: DAMSM,
    batch: dict,
    ctx,
    pretrained_backbone: bool = False,
    blur_negatives: float = 0.0,
    fade_negatives: float = 0.0,
    swap_words: list[list[str]] | None = None,
) -> dict[str, torch.Tensor]:
    """One update of both encoders on a batch of images and one caption each. ``pretrained_backbone``: a
    fresh run first loads the timm image backbone's pretrained weights (through the Hub); it is fine-tuned.

    Degraded copies of every image as extra negatives of every caption (not in the paper; 0 = off): they
    match no caption, so the encoders learn that what a generator can get away with is not the scene.
    ``blur_negatives``: a Gaussian blur of this many pixels (sigma): soft blobs of the right colour in the
    right place (the encoders trained without it ranked captions as well for scenes blurred by 3 px as for
    sharp ones). ``fade_negatives``: the image faded to this contrast towards mid grey (``c * x`` in
    [-1, 1]); it needs the model's ``image_bias``, without which the image encoder cannot see contrast.

    ``swap_words``: groups of words that exclude each other (e.g. ``[[circle, square, star]]``); every
    caption also goes in with one of its words of a group swapped for another of that group, a caption
    that its image must rank below its own: without it the shapes encoders told shapes apart only weakly
    (``benchmarks/attngan_swapped.py``), colours and places being enough to match captions in a batch."""
    if blur_negatives < 0:
        raise ValueError(f"blur_negatives is a blur sigma in pixels (0 = off), not {blur_negatives}")
    if not 0 <= fade_negatives < 1:
        raise ValueError(f"fade_negatives is a contrast in [0, 1) (0 = off), not {fade_negatives}")
    if fade_negatives and not model.encoders["image"].contrast_aware:
        raise ValueError(
            "fade_negatives needs image_bias: true in the model options (a contrast-aware encoder)"
        )
    if pretrained_backbone and ctx.step == 0 and ctx.micro == 0:
        model.encoders["image"].load_pretrained_backbone()
    captions = batch["caption"]
    exclude = same_caption(captions, ctx.device)
    wrong = swapped(captions, swap_words, model.vocab.words) if swap_words else None
    images = model.normalize(batch["x"])
    degraded = [blurred(images, blur_negatives)] if blur_negatives else []
    degraded += [images * fade_negatives] if fade_negatives else []
    with ctx.autocast():
        words, sentence, pad = model.encode_text(captions)
        regions, code = model.encoders["image"](torch.cat([images, *degraded]))
        n = len(captions)
        negatives = (regions[n:], code[n:]) if degraded else None
        wrong_captions = model.encode_text(wrong) if wrong else None
        loss_words, loss_sentence = damsm_loss(
            regions[:n], code[:n], words, sentence, pad, exclude, negatives, wrong_captions
        )
    loss = loss_words + loss_sentence
    ctx.optimize("encoders", loss)
    return {"loss": loss.detach(), "loss_words": loss_words.detach(), "loss_sentence": loss_sentence.detach()}


def attngan_step(
    model: AttnGAN,
    batch: dict,
    ctx,
    damsm: str | None = None,
    damsm_weight: float = 5.0,
    kl_weight: float = 1.0,
    damsm_warmup: int = 0,
    pixel_weight: float = 0.0,
    swap_words: list[list[str]] | None = None,
    feature_matching_weight: float = 0.0,
    perceptual_weight: float = 0.0,
) -> dict[str, torch.Tensor]:
    """One update of the discriminators, then one of the generator; ``damsm`` is the DAMSM run directory
    (or its ``model.safetensors``) whose encoders a fresh run starts from (a resumed run keeps its own).

    ``damsm_warmup``: the DAMSM weight rises linearly from 0 over this many steps, so the generator first
    learns images the discriminators accept before the (small, easily fooled) image encoder pulls on them.

    ``pixel_weight`` (not in the paper; 0 = off): this times the L1 distance of every stage's image to the
    caption's real image at that size, as pix2pix's L1 term. Only where a caption determines its scene (the
    shapes data: what, which colour, how large, where); where it does not (birds) it pulls towards a blur.

    ``swap_words`` (not in the paper; groups as the DAMSM step's): every real image also goes to the
    discriminators with its caption's word of a group swapped, as a wrong pair, and the generator's DAMSM
    loss must rank each image's caption above that swapped one (the DAMSM step's wrong captions). The
    original's wrong pairs (the next item's caption) differ mostly in colour and place on the shapes, so
    the conditional logits had no reason to look at the shape (docs/attngan.md: the gan-swap runs).

    ``feature_matching_weight`` and ``perceptual_weight`` (not in the paper; 0 = off; like ``pixel_weight``
    only where a caption determines its scene): this times the L1 distance of each stage's image to the
    caption's real image in the features of that stage's discriminator (pix2pixHD's feature matching), or
    of the last stage's image in the frozen DAMSM image encoder's layers (a perceptual loss)."""
    for name, value in (
        ("pixel_weight", pixel_weight),
        ("feature_matching_weight", feature_matching_weight),
        ("perceptual_weight", perceptual_weight),
    ):
        if value < 0:
            raise ValueError(f"{name} is the weight of an L1 term (0 = off), not {value}")
    if perceptual_weight and model.encoders["image"].backbone_name:
        raise ValueError("perceptual_weight uses the small CNN image encoder's layers: not a timm backbone")
    if ctx.step == 0 and ctx.micro == 0:  # the data was checked by model.check_training_data
        load_encoders(model, damsm)
    captions = batch["caption"]
    n = len(captions)
    with torch.no_grad():
        words, sentence, pad = model.encode_text(captions)
    z = torch.randn(n, model.generator.z_dim, device=ctx.device)
    eps = torch.randn(n, model.generator.ca_net.cond_dim, device=ctx.device)
    with torch.no_grad():  # drawn after the noise, so a swap does not change a seeded run's noise
        wrong = model.encode_text(swapped(captions, swap_words, model.vocab.words)) if swap_words else None
    real = model.normalize(batch["x"])
    reals = [
        F.interpolate(real, size=(s, s), mode="bilinear", antialias=True) if s != real.shape[-1] else real
        for s in model.sizes
    ]
    next_differs = torch.tensor(
        [a != b for a, b in zip(captions, captions[1:], strict=False)], device=ctx.device
    ).float()

    with ctx.autocast():
        fakes, _, mu, logvar = model.generator(z, sentence, words, pad, eps)
        loss_d = sum(
            stage_discriminator_loss(d, r, f, sentence, next_differs, None if wrong is None else wrong[1])
            for d, r, f in zip(model.discriminators, reals, fakes, strict=True)
        )
    ctx.optimize("discriminators", loss_d)

    with ctx.autocast():
        loss_adv = sum(
            stage_generator_loss(d, f, sentence) for d, f in zip(model.discriminators, fakes, strict=True)
        )
        regions, code = model.encoders["image"](fakes[-1])
        loss_words, loss_sentence = damsm_loss(
            regions, code, words, sentence, pad, same_caption(captions, ctx.device), wrong_captions=wrong
        )
        loss_kl = kl_loss(mu.float(), logvar.float())
        loss_pixel = sum(F.l1_loss(f.float(), r) for f, r in zip(fakes, reals, strict=True))
        weight = damsm_weight * min(1.0, ctx.step / damsm_warmup) if damsm_warmup > 0 else damsm_weight
        loss_g = (
            loss_adv + weight * (loss_words + loss_sentence) + kl_weight * loss_kl + pixel_weight * loss_pixel
        )
        extra = {}
        if feature_matching_weight:
            extra["loss_feature_matching"] = sum(
                feature_matching_loss(d.img_code, f, r)
                for d, f, r in zip(model.discriminators, fakes, reals, strict=True)
            )
            loss_g = loss_g + feature_matching_weight * extra["loss_feature_matching"]
        if perceptual_weight:
            image = model.encoders["image"]
            extra["loss_perceptual"] = feature_matching_loss(
                image.regions, image.resized(fakes[-1]), image.resized(reals[-1])
            )
            loss_g = loss_g + perceptual_weight * extra["loss_perceptual"]
    ctx.optimize("generator", loss_g)
    return {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "loss_g_adv": loss_adv.detach(),
        "loss_words": loss_words.detach(),
        "loss_sentence": loss_sentence.detach(),
        "loss_kl": loss_kl.detach(),
        "loss_pixel": loss_pixel.detach(),
        **{name: value.detach() for name, value in extra.items()},
    }


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """``images`` under a Gaussian blur of ``sigma`` pixels (a kernel of about 4 sigma either side)."""
    radius = max(1, round(4 * sigma))
    return gaussian_blur(images, [2 * radius + 1] * 2, [sigma] * 2)


def swapped(captions: list[str], groups: list[list[str]], vocabulary: list[str]) -> list[str]:
    """Each caption (as its words) with one word of a group, drawn at random, replaced by another word of
    its group, drawn at random (torch's generator, so a seeded run draws the same); every caption must
    have a word of a group."""
    unknown = sorted({w for group in groups for w in group} - set(vocabulary))
    if unknown or any(len(group) < 2 for group in groups):
        raise ValueError(
            f"swap_words takes groups of at least two words of the vocabulary, got {groups}"
            + (f" (not in the vocabulary: {unknown})" if unknown else "")
        )
    group_of = {w: group for group in groups for w in group}
    out = []
    for caption in captions:
        words = tokenize(caption)
        places = [i for i, w in enumerate(words) if w in group_of]
        if not places:
            raise ValueError(f"swap_words: the caption {caption!r} has no word of the groups {groups}")
        i = places[int(torch.randint(len(places), ()))]
        others = [w for w in group_of[words[i]] if w != words[i]]
        words[i] = others[int(torch.randint(len(others), ()))]
        out.append(" ".join(words))
    return out


def load_encoders(model: AttnGAN, damsm: str | Path | None) -> None:
    """Copy the text and image encoders of a DAMSM run (its directory or ``model.safetensors``), or of a
    model ``zoo.load`` knows that has both (``attngan-shapes``), into ``model``; its vocabulary must be the
    model's."""
    if damsm is None:
        raise ValueError(
            "the attngan stage starts from trained DAMSM encoders: train `attngan-damsm` first, then set the "
            "step option damsm to its run directory (zoo train ... --set step.damsm=runs/attngan-damsm)"
        )
    path = Path(damsm)
    if path.exists():
        words, state = _run_encoders(path)
    else:
        words, state = _model_encoders(str(damsm))
    if words != model.vocab.words:
        raise ValueError(
            f"the DAMSM encoders of {damsm} were trained with another vocabulary ({len(words or [])} words) "
            f"than this model's ({len(model.vocab.words)} words): train both stages on the same captions"
        )
    try:
        model.encoders.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"the encoders of {damsm} do not fit this model (text_dim, embedding_dim, image_size, "
            f"image_width, image_backbone and image_bias must be the DAMSM run's): {exc}"
        ) from exc


def _run_encoders(path: Path) -> tuple[list[str] | None, dict[str, torch.Tensor]]:
    """The vocabulary and encoder tensors of a run written by ``zoo train``."""
    weights = path / "model.safetensors" if path.is_dir() else path
    config_file = weights.parent / "config.json"
    if not config_file.is_file():
        raise ValueError(
            f"{config_file} is missing: point step.damsm at a DAMSM run directory written by zoo train"
        )
    words = json.loads(config_file.read_text()).get("config", {}).get("vocabulary")
    state = {
        k.removeprefix("encoders."): v for k, v in read_weights(weights).items() if k.startswith("encoders.")
    }
    return words, state


def _model_encoders(name: str) -> tuple[list[str], dict[str, torch.Tensor]]:
    """The vocabulary and encoder tensors of the model ``name`` (a registry name or ``hf-hub:...``)."""
    from zoo.errors import ZooError
    from zoo.loading import load

    try:
        source = load(name)
    except ZooError as exc:
        raise ValueError(
            f"step.damsm {name!r} is neither a DAMSM run directory nor a model zoo.load knows: {exc}"
        ) from exc
    encoders = getattr(source, "encoders", None)
    if encoders is None or "image" not in encoders:
        raise ValueError(f"step.damsm {name!r} holds no DAMSM text and image encoders")
    return source.vocab.words, encoders.state_dict()
