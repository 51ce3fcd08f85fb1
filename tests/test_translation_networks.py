"""pix2pix/CycleGAN networks: the original pytorch-CycleGAN-and-pix2pix key layout, loaded strictly.

``original_keys`` derives the state-dict layout (names and shapes) of the original ``networks.py``
independently of our modules: each U-Net level is a Sequential ``model`` nested at index 1 (outermost)
or 3 (middle levels); a ResNet generator is one flat Sequential. Parameter counts are those the
original prints for the default networks (pix2pix G 54.414 M, D 2.769 M; CycleGAN G 11.378 M).
"""

import pytest
import torch
from zoo_plugins.pix2pix.networks import define_discriminator, define_generator

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def _conv(prefix, out_c, in_c, k, bias):
    keys = {f"{prefix}.weight": (out_c, in_c, k, k)}
    return keys | ({f"{prefix}.bias": (out_c,)} if bias else {})


def _norm(prefix, c, norm):
    if norm != "batch":
        return {}  # instance norm without affine parameters or running stats; none: Identity
    return {f"{prefix}.{n}": (c,) if n != "num_batches_tracked" else () for n in BN}


def original_keys(net_g: str, ngf: int, c_in: int, c_out: int, norm: str, dropout: bool = False) -> dict:
    """Key -> shape of the original's define_G(net_g) (ConvTranspose weights are (in, out, k, k))."""
    bias = norm == "instance"
    keys = {}
    if net_g.startswith("unet"):
        downs = int(torch.tensor(int(net_g.split("_")[1])).log2())
        pairs = [(ngf, 2 * ngf), (2 * ngf, 4 * ngf), (4 * ngf, 8 * ngf)] + [(8 * ngf, 8 * ngf)] * (downs - 5)
        keys |= _conv("model.model.0", ngf, c_in, 4, bias)
        keys |= {"model.model.3.weight": (2 * ngf, c_out, 4, 4), "model.model.3.bias": (c_out,)}
        prefix = "model.model.1.model"
        for outer, inner in pairs:
            keys |= _conv(f"{prefix}.1", inner, outer, 4, bias) | _norm(f"{prefix}.2", inner, norm)
            keys[f"{prefix}.5.weight"] = (2 * inner, outer, 4, 4)  # (in, out) of the up-convolution
            keys |= ({f"{prefix}.5.bias": (outer,)} if bias else {}) | _norm(f"{prefix}.6", outer, norm)
            prefix += ".3.model"
        inner = 8 * ngf  # innermost: down-conv, relu, up-conv, norm
        keys |= _conv(f"{prefix}.1", inner, inner, 4, bias)
        keys[f"{prefix}.3.weight"] = (inner, inner, 4, 4)
        keys |= ({f"{prefix}.3.bias": (inner,)} if bias else {}) | _norm(f"{prefix}.4", inner, norm)
        return keys
    blocks = int(net_g.removeprefix("resnet_").removesuffix("blocks"))
    keys |= _conv("model.1", ngf, c_in, 7, bias) | _norm("model.2", ngf, norm)
    keys |= _conv("model.4", 2 * ngf, ngf, 3, bias) | _norm("model.5", 2 * ngf, norm)
    keys |= _conv("model.7", 4 * ngf, 2 * ngf, 3, bias) | _norm("model.8", 4 * ngf, norm)
    second = 5 if dropout else 4
    for i in range(10, 10 + blocks):
        keys |= _conv(f"model.{i}.conv_block.1", 4 * ngf, 4 * ngf, 3, bias)
        keys |= _norm(f"model.{i}.conv_block.2", 4 * ngf, norm)
        keys |= _conv(f"model.{i}.conv_block.{second + 1}", 4 * ngf, 4 * ngf, 3, bias)
        keys |= _norm(f"model.{i}.conv_block.{second + 2}", 4 * ngf, norm)
    i = 10 + blocks
    for mult in (4, 2):
        keys[f"model.{i}.weight"] = (ngf * mult, ngf * mult // 2, 3, 3)
        keys |= ({f"model.{i}.bias": (ngf * mult // 2,)} if bias else {}) | _norm(
            f"model.{i + 1}", ngf * mult // 2, norm
        )
        i += 3
    return keys | _conv(f"model.{i + 1}", c_out, ngf, 7, True)


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
    assert _layout(net) == original_keys(net_g, 64, 3, 3, norm, dropout)


def test_default_networks_have_the_original_parameter_counts():
    def millions(net):
        return round(sum(p.numel() for p in net.parameters()) / 1e6, 3)

    assert millions(define_generator("unet_256", 3, 3, 64, "batch", True)) == 54.414
    assert millions(define_generator("resnet_9blocks", 3, 3, 64, "instance", False)) == 11.378
    assert millions(define_discriminator("basic", 6, 64, "batch")) == 2.769  # pix2pix D sees A and B
    assert millions(define_discriminator("basic", 3, 64, "instance")) == 2.765  # CycleGAN D


def test_discriminators_have_the_original_layout():
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
