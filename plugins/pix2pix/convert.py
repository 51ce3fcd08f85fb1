"""Reading generators saved by pytorch-CycleGAN-and-pix2pix (``latest_net_G.pth``, ``latest_net_G_A.pth``).

Those files are plain state dicts of ``networks.py``'s modules, so our networks take their keys as
they are. Four differences are handled: a ``module.`` prefix (saved from ``DataParallel``), the
running statistics that instance-norm layers of older versions stored (the original drops them too
when it loads), batch-norm counters that files saved before torch 0.4.1 lack (torch fills them when
the original loads such a file), and finding which architecture a file holds (the keys and shapes as a
whole), so a wrong ``--netG`` gets a clear error.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo.convert import with_batchnorm_counters
from zoo.errors import WeightsError

_STATS = ("running_mean", "running_var", "num_batches_tracked")


def _unet_prefix(level: int) -> str:
    """Key prefix of the Sequential of U-Net level ``level`` (1 = outermost)."""
    if level == 1:
        return "model.model."
    return "model.model.1.model." + "3.model." * (level - 2)


def detect_generator(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The generator options (``netG``, ``ngf``, channels, ``norm``, ``dropout``) a state dict shows."""
    if "model.model.0.weight" in state:
        downs = 1
        while any(k.startswith(_unet_prefix(downs + 1)) for k in state):
            downs += 1
        first, last = state["model.model.0.weight"], state.get("model.model.3.weight")
        norm = _norm(state, "model.model.0.bias", "model.model.1.model.2.weight")
        found = {"netG": f"unet_{2**downs}", "ngf": first.shape[0], "in_channels": first.shape[1]}
        # dropout leaves no parameters in a U-Net: it cannot be read from the file
        return {**found, "out_channels": last.shape[1] if last is not None else None, "norm": norm}
    blocks = {int(k.split(".")[1]) for k in state if k.startswith("model.") and ".conv_block." in k}
    if "model.1.weight" in state and blocks:
        first = state["model.1.weight"]
        last = state.get(f"model.{10 + len(blocks) + 7}.weight")
        return {
            "netG": f"resnet_{len(blocks)}blocks",
            "ngf": first.shape[0],
            "in_channels": first.shape[1],
            "out_channels": last.shape[0] if last is not None else None,
            "norm": _norm(state, "model.1.bias", "model.2.weight"),
            # Dropout shifts a block's 2nd conv from index 5 to 6; without it, index 6 is the 2nd norm (a
            # batch norm has a 1-d weight there), so only a 4-d weight at 6 means dropout
            "dropout": getattr(state.get(f"model.{min(blocks)}.conv_block.6.weight"), "ndim", 0) == 4,
        }
    keys = ", ".join(list(state)[:4])
    if "model.0.weight" in state and state["model.0.weight"].shape[-1] == 4:
        raise WeightsError(
            f"this checkpoint looks like a PatchGAN discriminator (latest_net_D*.pth; keys {keys}), "
            "not a generator: convert the generator file (latest_net_G*.pth)"
        )
    if "net.0.weight" in state:
        raise WeightsError(
            "this checkpoint looks like a pixel discriminator (netD pixel, latest_net_D*.pth), not a "
            "generator: convert the generator file (latest_net_G*.pth)"
        )
    raise WeightsError(
        f"this checkpoint is not a pytorch-CycleGAN-and-pix2pix generator (unet_* or resnet_*blocks): "
        f"its first keys are {keys}"
    )


def _norm(state: dict[str, torch.Tensor], conv_bias: str, norm_weight: str) -> str:
    """Instance norm gives convolutions a bias; batch norm has a weight of its own; else no norm."""
    return "instance" if conv_bias in state else "batch" if norm_weight in state else "none"


def describe(found: dict[str, Any]) -> str:
    """``unet_256 (ngf=64, batch norm, 3 -> 3 channels)``."""
    dropout = {True: ", dropout", False: ", no dropout"}.get(found.get("dropout"), "")
    return (
        f"{found['netG']} (ngf={found['ngf']}, {found['norm']} norm{dropout}, "
        f"{found['in_channels']} -> {found['out_channels']} channels)"
    )


def generator_from_original(
    state: dict[str, torch.Tensor], where: str, **expected: Any
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state dict cleaned for our generator, and the options it was built with.

    ``expected`` options given by the user (``netG="unet_256"``, ``norm="batch"``, ``dropout``) must agree
    with what the file holds; a mismatch says which architecture the file looks like. A U-Net's dropout
    leaves no parameters: there ``dropout`` is not checked but taken as given (``found`` gains it).
    """
    state = {k.removeprefix("module."): v for k, v in state.items()}
    found = detect_generator(state)
    wrong = {k: v for k, v in expected.items() if v is not None and k in found and found[k] != v}
    if wrong:
        asked = ", ".join(f"{k}={v}" for k, v in wrong.items())
        flags = f"--netG {found['netG']} --norm {found['norm']}"
        if "dropout" in found:
            flags += " --dropout" if found["dropout"] else " --no-dropout"
        raise WeightsError(
            f"{where} does not hold the generator asked for ({asked}): it looks like {describe(found)}. "
            f"Pass {flags} (or leave them out: the file decides)"
        )
    if "dropout" not in found and expected.get("dropout") is not None:
        found["dropout"] = expected["dropout"]
    if found["norm"] == "instance":
        state = {k: v for k, v in state.items() if not k.endswith(_STATS)}
    if found["norm"] == "batch":
        state = with_batchnorm_counters(state)
    return state, found
