"""Reading generators saved by Lornatang's SRGAN-PyTorch (``SRResNet`` / ``Generator`` state dicts).

Its layout: ``conv1.0`` (9x9 conv) ``conv1.1`` (PReLU), ``trunk.{i}.rcb.{0..4}`` (conv, BN, PReLU, conv, BN),
``conv2.{0,1}`` (conv, BN), ``upsampling.{j}.upsample_block.{0,2}`` (conv, PReLU), ``conv3`` (9x9 conv).
Older releases named the head, fuse and tail ``conv_block1``, ``conv_block2`` and ``conv_block3``. Checkpoints
saved through ``DataParallel`` or ``torch.compile`` carry ``module.`` or ``_orig_mod.`` prefixes.
"""

from __future__ import annotations

import re
from typing import Any

import torch

from zoo.errors import WeightsError

_OLD_NAMES = {"conv_block1.": "conv1.", "conv_block2.": "conv2.", "conv_block3.": "conv3."}
_RULES = [  # (original key pattern, our key) on the normalised names
    (r"conv1\.0\.(weight|bias)", r"head.0.\1"),
    (r"conv1\.1\.weight", "head.1.weight"),
    (r"trunk\.(\d+)\.rcb\.0\.(weight|bias)", r"blocks.\1.conv1.\2"),
    (r"trunk\.(\d+)\.rcb\.1\.(\w+)", r"blocks.\1.bn1.\2"),
    (r"trunk\.(\d+)\.rcb\.2\.weight", r"blocks.\1.act.weight"),
    (r"trunk\.(\d+)\.rcb\.3\.(weight|bias)", r"blocks.\1.conv2.\2"),
    (r"trunk\.(\d+)\.rcb\.4\.(\w+)", r"blocks.\1.bn2.\2"),
    (r"conv2\.0\.(weight|bias)", r"fuse.0.\1"),
    (r"conv2\.1\.(\w+)", r"fuse.1.\1"),
    (r"upsampling\.(\d+)\.upsample_block\.0\.(weight|bias)", r"upsample.\1.conv.\2"),
    (r"upsampling\.(\d+)\.upsample_block\.2\.weight", r"upsample.\1.act.weight"),
    (r"conv3\.(weight|bias)", r"tail.\1"),
]


def _normalise(key: str) -> str:
    while key.startswith(("module.", "_orig_mod.")):  # in either order: _orig_mod.module.conv1...
        key = key.split(".", 1)[1]
    for old, new in _OLD_NAMES.items():
        if key.startswith(old):
            return new + key[len(old) :]
    return key


def map_key(key: str) -> str | None:
    """Our generator's name for an original key, or None when the key is not part of the generator."""
    name = _normalise(key)
    for pattern, target in _RULES:
        if re.fullmatch(pattern, name):
            return re.sub(pattern, target, name)
    return None


def generator_from_original(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Our generator's state dict (keys without ``generator.``) and the config it fits."""
    mapped, unknown = {}, []
    for key, value in state.items():
        target = map_key(key)
        if target is None:
            unknown.append(key)
        else:
            mapped[target] = value
    if "head.0.weight" not in mapped or "tail.weight" not in mapped:
        first = ", ".join(list(state)[:4])
        hint = (
            " (a discriminator: convert the generator file)" if any("classifier" in k for k in state) else ""
        )
        raise WeightsError(
            f"this checkpoint is not an SRGAN-PyTorch generator{hint}: no conv1/conv3 keys; its first keys "
            f"are {first}"
        )
    if unknown:
        raise WeightsError(
            f"keys not in an SRGAN-PyTorch generator: {', '.join(unknown[:6])}"
            + (" ..." if len(unknown) > 6 else "")
        )
    head = mapped["head.0.weight"]
    blocks = len({k.split(".")[1] for k in mapped if k.startswith("blocks.")})
    ups = len({k.split(".")[1] for k in mapped if k.startswith("upsample.")})
    config = {
        "channels": head.shape[1],
        "width": head.shape[0],
        "blocks": blocks,
        "scale": 2**ups,
        "batch_norm": "fuse.1.weight" in mapped,
        "discriminator": False,
    }
    return mapped, config
