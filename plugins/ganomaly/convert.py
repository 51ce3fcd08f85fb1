"""Reading the generator GANomaly's official code saves (samet-akcay/ganomaly: ``netG.pth``).

``lib/model.py`` saves ``{"epoch": e, "state_dict": NetG.state_dict()}``; ``zoo.convert`` takes the
``state_dict``. NetG is ``encoder1`` -> ``decoder`` -> ``encoder2``, each one ``main`` Sequential whose
modules are named after their channel counts (``initial-conv-3-64``, ``pyramid-64-128-conv``,
``pyramid-128-batchnorm``, ``final-256-1-conv``; the decoder ``initial-100-256-convt``, ...,
``final-64-3-convt``). Ours are the same layers in the same order (an encoder's ``features`` and ``head``,
the DCGAN generator as decoder), so each original module maps to one of ours by its name, the level read
from its channel counts. Two layouts have no counterpart and are refused: ``--extralayers`` (stride-1
layers that ours lack) and the discriminator file ``netD.pth``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch

from zoo.convert import with_batchnorm_counters
from zoo.errors import WeightsError

_PARTS = {
    "encoder1": "generator.encoder.",
    "decoder": "generator.decoder.",
    "encoder2": "generator.reencoder.",
}


def _level(channels: int, base: int, name: str) -> int:
    """How many doublings take ``base`` channels to ``channels`` (the pyramid level of module ``name``)."""
    level = math.log2(channels / base) if channels and base else -1.0
    if level < 0 or not level.is_integer():
        raise WeightsError(f"GANomaly module {name} does not fit a pyramid that starts at {base} channels")
    return int(level)


def _encoder_module(name: str, width: int) -> str:
    """Our encoder's module for the original ``Encoder.main`` module ``name`` (``width``: ndf)."""
    if re.fullmatch(r"initial-conv-\d+-\d+", name):
        return "features.0"
    if m := re.fullmatch(r"pyramid-(\d+)-\d+-conv", name):
        return f"features.{2 + 3 * _level(int(m[1]), width, name)}"
    if m := re.fullmatch(r"pyramid-(\d+)-batchnorm", name):
        return f"features.{3 + 3 * (_level(int(m[1]), width, name) - 1)}"
    if re.fullmatch(r"final-\d+-1-conv", name):
        return "head"
    raise _unknown(name)


def _decoder_module(name: str, top: int) -> str:
    """Our decoder's module (``main.i``) for the original ``Decoder.main`` module ``name``; ``top`` is the
    channel count of its first layer (each pyramid level halves it)."""
    if re.fullmatch(r"initial-\d+-\d+-convt", name):
        return "main.0"
    if re.fullmatch(r"initial-\d+-batchnorm", name):
        return "main.1"
    if m := re.fullmatch(r"(?:pyramid|final)-(\d+)-\d+-convt", name):
        return f"main.{3 + 3 * _level(top, int(m[1]), name)}"
    if m := re.fullmatch(r"pyramid-(\d+)-batchnorm", name):
        return f"main.{4 + 3 * (_level(top, int(m[1]), name) - 1)}"
    raise _unknown(name)


def _unknown(name: str) -> WeightsError:
    if name.startswith("extra-layers-"):
        return WeightsError(
            f"this GANomaly generator was trained with --extralayers (module {name}): those stride-1 layers "
            "have no counterpart in gan-zoo's GANomaly, which follows the paper's networks without them; "
            "only netG.pth files trained with --extralayers 0 (the default) convert"
        )
    return WeightsError(f"module {name} is not part of GANomaly's original Encoder or Decoder")


def detect_generator(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """``resolution``, ``channels``, ``width`` and ``latent_dim`` of an original NetG state dict."""
    if any(k.startswith(("features.", "classifier.")) for k in state):
        raise WeightsError(
            "this checkpoint looks like GANomaly's discriminator (netD.pth: features + classifier), not its "
            "generator: convert netG.pth (scoring needs the generator alone)"
        )
    parts = {k.split(".", 1)[0] for k in state}
    if parts != {"encoder1", "decoder", "encoder2"}:
        first = ", ".join(list(state)[:4])
        raise WeightsError(
            "this checkpoint is not GANomaly's original generator (NetG: encoder1, decoder, encoder2): its "
            f"first keys are {first}"
        )
    first = _find(state, r"encoder1\.main\.initial-conv-\d+-\d+\.weight")
    last = _find(state, r"encoder1\.main\.final-\d+-1-conv\.weight")
    pyramids = sum(bool(re.fullmatch(r"encoder1\.main\.pyramid-\d+-\d+-conv\.weight", k)) for k in state)
    return {
        "resolution": 8 * 2**pyramids,
        "channels": first.shape[1],
        "width": first.shape[0],
        "latent_dim": last.shape[0],
    }


def _find(state: dict[str, torch.Tensor], pattern: str) -> torch.Tensor:
    for key, value in state.items():
        if re.fullmatch(pattern, key):
            return value
    raise WeightsError(f"this GANomaly generator has no key matching {pattern!r}: is the file complete?")


def ganomaly_from_original(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Our GANomaly's weights (generator only, uncalibrated) and config from an original NetG state dict."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    config = detect_generator(state)
    top = _find(state, r"decoder\.main\.initial-\d+-\d+-convt\.weight").shape[1]
    ours = {}
    for key, value in with_batchnorm_counters(state).items():
        part, rest = key.split(".", 1)
        module, param = rest.removeprefix("main.").rsplit(".", 1)
        if part == "decoder":
            target = _decoder_module(module, top)
        else:
            target = _encoder_module(module, config["width"])
        ours[f"{_PARTS[part]}{target}.{param}"] = value
    unset = torch.tensor(float("inf"))  # calibrated on validation data by gan-zoo only
    ours |= {"score_min": unset, "score_max": unset.clone(), "threshold": unset.clone()}
    return ours, {**config, "discriminator": False}
