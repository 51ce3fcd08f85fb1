"""Reading the generators pytorch/examples' DCGAN saves (``netG_epoch_N.pth``), the reference we follow.

Its ``Generator`` is one ``main`` Sequential: a 4x4 transposed convolution from ``nz``, then
(transposed convolution, batch norm, ReLU) stages that double the resolution, and a last transposed
convolution to ``nc`` channels with tanh: the layout of our ``Generator`` exactly, so its keys are ours
under ``generator.``. The file says ``nz`` (latent_dim), ``ngf`` (width), ``nc`` (channels) and the
resolution (the number of stages); its discriminator file (``netD_epoch_N.pth``) may be given too.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo.convert import with_batchnorm_counters
from zoo.errors import WeightsError


def _convs(state: dict[str, torch.Tensor]) -> list[int]:
    """Indices of ``main``'s 4-d weights (the convolutions), in order."""
    return sorted(int(k.split(".")[1]) for k, v in state.items() if k.startswith("main.") and v.ndim == 4)


def detect_generator(state: dict[str, torch.Tensor]) -> dict[str, int]:
    """``latent_dim``, ``width``, ``channels`` and ``resolution`` of a pytorch/examples DCGAN generator."""
    convs = _convs(state)
    if convs[:2] == [0, 2]:  # conv, LeakyReLU, conv: the discriminator's head has no batch norm
        raise WeightsError(
            "this checkpoint looks like a DCGAN discriminator (netD_epoch_N.pth), not a generator: give "
            "the generator file (netG_epoch_N.pth) first"
        )
    if len(convs) < 2 or convs != [3 * i for i in range(len(convs))]:
        keys = ", ".join(list(state)[:4])
        raise WeightsError(
            "this checkpoint is not a pytorch/examples DCGAN generator (main.0, main.3, ... transposed "
            f"convolutions with batch norms between them): its first keys are {keys}"
        )
    first, last = state["main.0.weight"], state[f"main.{convs[-1]}.weight"]
    return {
        "latent_dim": first.shape[0],
        "width": last.shape[0],
        "channels": last.shape[1],
        "resolution": 4 * 2 ** (len(convs) - 1),
    }


def dcgan_from_original(
    state_g: dict[str, torch.Tensor], state_d: dict[str, torch.Tensor] | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Our DCGAN's weights and config from the original generator (and discriminator) state dicts."""
    state_g = {k.removeprefix("module."): v for k, v in state_g.items()}
    config: dict[str, Any] = {**detect_generator(state_g), "discriminator": state_d is not None}
    state = {f"generator.{k}": v for k, v in with_batchnorm_counters(state_g).items()}
    if state_d is not None:
        state_d = {k.removeprefix("module."): v for k, v in state_d.items()}
        state |= {f"discriminator.{k}": v for k, v in with_batchnorm_counters(state_d).items()}
    return state, config
