"""The CycleGAN step's ``cycle_noise`` option: 0 is the paper's step, > 0 perturbs what is translated back."""

import contextlib

import pytest
import torch
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.cyclegan.training import training_step


class _Context:
    """The part of the trainer's context the step uses; ``optimize`` only records the losses."""

    def __init__(self) -> None:
        self.losses: dict[str, float] = {}

    def autocast(self):
        return contextlib.nullcontext()

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        self.losses[name] = loss.item()


def _cycle_loss(noise: float) -> float:
    torch.manual_seed(0)
    model = CycleGAN(
        1,
        1,
        netG="resnet_1blocks",
        ngf=4,
        ndf=4,
        netD="n_layers",
        n_layers_D=1,
        n_downsampling=0,
        pool_size=0,
    )
    batch = {"A": torch.rand(2, 1, 16, 16), "B": torch.rand(2, 1, 16, 16)}
    with torch.no_grad():
        return training_step(model, batch, _Context(), cycle_noise=noise)["loss_cycle"].item()


def test_cycle_noise_changes_only_the_cycle_path():
    assert _cycle_loss(0.0) == _cycle_loss(0.0)
    assert _cycle_loss(0.5) != _cycle_loss(0.0)


def test_negative_cycle_noise_is_an_error():
    with pytest.raises(ValueError, match="cycle_noise"):
        _cycle_loss(-0.1)
