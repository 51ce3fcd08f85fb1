"""pix2pix/CycleGAN networks: the original pytorch-CycleGAN-and-pix2pix key layout, loaded strictly.

The layouts (state-dict names and shapes) are compared with the original ``networks.py``'s module trees
(``tests/originals/pix2pix_cyclegan.py``). Parameter counts are those the original prints for the default
networks (pix2pix G 54.414 M, D 2.769 M; CycleGAN G 11.378 M).
"""

import pytest
import torch
from originals import pix2pix_cyclegan as original
from zoo_plugins.pix2pix.networks import define_discriminator, define_generator

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _layout(net: torch.nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


@pytest.mark.parametrize(
    "net_g, norm, dropout",
    [
        ("unet_256", "batch", True),
        ("unet_128", "instance", False),
        ("resnet_9blocks", "instance", False),
        ("resnet_6blocks", "batch", True),
    ],
)
def test_generators_have_the_original_layout(net_g, norm, dropout):
    net = define_generator(net_g, 3, 3, 64, norm, dropout)
    assert _layout(net) == _layout(original.define_G(3, 3, 64, net_g, norm, dropout))


def test_default_networks_have_the_original_parameter_counts():
    def millions(net):
        return round(sum(p.numel() for p in net.parameters()) / 1e6, 3)

    assert millions(define_generator("unet_256", 3, 3, 64, "batch", True)) == 54.414
    assert millions(define_generator("resnet_9blocks", 3, 3, 64, "instance", False)) == 11.378
    assert millions(define_discriminator("basic", 6, 64, "batch")) == 2.769  # pix2pix D sees A and B
    assert millions(define_discriminator("basic", 3, 64, "instance")) == 2.765  # CycleGAN D


@pytest.mark.parametrize(
    "net_d, channels, norm, layers",
    [("basic", 6, "batch", 3), ("n_layers", 3, "instance", 5), ("pixel", 6, "batch", 3)],
)
def test_discriminators_have_the_original_layout(net_d, channels, norm, layers):
    ours = define_discriminator(net_d, channels, 8, norm, layers)
    assert _layout(ours) == _layout(original.define_D(channels, 8, net_d, layers, norm))


def test_discriminator_layouts_in_detail():
    basic = _layout(define_discriminator("basic", 6, 64, "batch"))
    assert basic["model.0.weight"] == (64, 6, 4, 4) and "model.0.bias" in basic
    assert basic["model.2.weight"] == (128, 64, 4, 4) and "model.2.bias" not in basic
    assert basic["model.8.weight"] == (512, 256, 4, 4) and basic["model.9.running_mean"] == (512,)
    assert basic["model.11.weight"] == (1, 512, 4, 4) and len(basic) == 2 + 3 * 6 + 2
    deeper = _layout(define_discriminator("n_layers", 3, 8, "instance", n_layers=5))
    assert deeper["model.14.weight"] == (64, 64, 4, 4) and deeper["model.17.weight"] == (1, 64, 4, 4)
    pixel = _layout(define_discriminator("pixel", 6, 64, "batch"))
    assert set(pixel) == {
        "net.0.weight",
        "net.0.bias",
        "net.2.weight",
        *(f"net.3.{n}" for n in BN),
        "net.5.weight",
    }


def test_patchgan_output_and_sizes():
    d = define_discriminator("basic", 6, 8, "batch")
    assert d(torch.zeros(2, 6, 256, 256)).shape == (2, 1, 30, 30)  # 70x70 receptive fields
    g = define_generator("unet_32", 1, 1, 8, "batch", True).eval()
    assert g(torch.zeros(1, 1, 64, 32)).shape == (1, 1, 64, 32)


def test_unknown_architectures_are_clear_errors():
    with pytest.raises(ValueError, match="unknown generator 'unet_100'"):
        define_generator("unet_100", 3, 3, 8, "batch", False)
    with pytest.raises(ValueError, match="unknown discriminator"):
        define_discriminator("huge", 3, 8, "batch")
    with pytest.raises(ValueError, match="unknown norm"):
        define_generator("unet_32", 3, 3, 8, "group", False)
