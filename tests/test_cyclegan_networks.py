"""The ResNet generator's ``n_downsampling`` option: the default keeps the original network, fewer downs
give a full-resolution generator whose output pixels see only a small window of the input; and the
CycleGAN model's ``global_affine`` option (a spatial transformer in front of each generator)."""

import pytest
import torch
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.pix2pix.networks import define_generator


def _layout(net: torch.nn.Module) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


def test_default_n_downsampling_is_the_originals_two():
    default = define_generator("resnet_6blocks", 3, 3, 8, "instance", False)
    explicit = define_generator("resnet_6blocks", 3, 3, 8, "instance", False, n_downsampling=2)
    assert _layout(default) == _layout(explicit)
    assert default.multiple == 4


def test_no_downsampling_keeps_full_resolution_and_any_size():
    net = define_generator("resnet_3blocks", 1, 1, 8, "instance", False, n_downsampling=0)
    assert net.multiple == 1
    assert net(torch.rand(2, 1, 30, 27)).shape == (2, 1, 30, 27)
    blocks = [k for k in _layout(net) if "conv_block.1.weight" in k]
    assert len(blocks) == 3 and all(_layout(net)[k] == (8, 8, 3, 3) for k in blocks)


def test_receptive_field_of_a_full_resolution_generator():
    """7x7 stem, 3 blocks of two 3x3 convolutions, 7x7 head: an output pixel sees 25x25 input pixels
    (instance norm aside, whose statistics span the image: measured in eval mode with norm none)."""
    torch.manual_seed(0)  # some random weights (1 draw in 40) leave a ReLU dead at the field's edge
    net = define_generator("resnet_3blocks", 1, 1, 4, "none", False, n_downsampling=0).eval()
    x = torch.rand(1, 1, 48, 48, requires_grad=True)
    net(x)[0, 0, 24, 24].backward()
    rows, cols = (x.grad[0, 0].abs() > 0).nonzero(as_tuple=True)
    assert (rows.min().item(), rows.max().item()) == (12, 36)
    assert (cols.min().item(), cols.max().item()) == (12, 36)


def test_n_downsampling_errors():
    with pytest.raises(ValueError, match="resnet_\\* generators only"):
        define_generator("unet_32", 1, 1, 8, "instance", False, n_downsampling=1)
    with pytest.raises(ValueError, match="n_downsampling >= 0"):
        define_generator("resnet_3blocks", 1, 1, 8, "instance", False, n_downsampling=-1)


def test_cyclegan_passes_n_downsampling_to_both_generators():
    model = CycleGAN(1, 1, netG="resnet_2blocks", netD=None, ngf=4, n_downsampling=1).eval()
    assert model.config["n_downsampling"] == 1
    assert model.generator_ab.multiple == model.generator_ba.multiple == 2
    image = torch.rand(1, 1, 20, 20)
    for direction in ("AtoB", "BtoA"):
        out = model.translate(image, direction=direction)
        assert out.shape == image.shape and 0 <= out.min() and out.max() <= 1


def _small(**options) -> CycleGAN:
    torch.manual_seed(0)
    return CycleGAN(1, 1, netG="resnet_1blocks", ngf=4, ndf=4, n_downsampling=0, **options)


def test_global_affine_starts_as_the_plain_generator_and_learns_a_warp():
    plain, warped = _small(), _small(global_affine=True)
    prefixed = {k.replace("generator_ab.generator.", "generator_ab.") for k in warped.state_dict()}
    prefixed = {k.replace("generator_ba.generator.", "generator_ba.") for k in prefixed}
    assert set(plain.state_dict()) <= prefixed  # the generators inside keep their original names
    assert any(k.startswith("generator_ab.localization.") for k in warped.state_dict())
    x = torch.rand(3, 1, 16, 16)
    with torch.no_grad():
        warped.generator_ab.generator.load_state_dict(plain.generator_ab.state_dict())
    assert torch.allclose(warped.translate(x), plain.translate(x), atol=1e-5)  # identity warp at init
    # the warp's prediction gets gradients: the generator can learn to move the whole image
    warped.generator_ab(x * 2 - 1).mean().backward()
    assert warped.generator_ab.localization[-1].weight.grad.abs().sum() > 0


def test_global_affine_warp_moves_the_whole_image():
    warp = _small(global_affine=True).generator_ab
    with torch.no_grad():
        warp.localization[-1].bias.copy_(torch.tensor([1.0, 0.0, 0.5, 0.0, 1.0, 0.0]))  # shift by a quarter
    x = torch.zeros(1, 1, 16, 16)
    x[..., 8, 8] = 1.0
    moved = warp.warp(x)
    assert moved[..., 8, 8].item() < 0.5 and moved[..., 8, 4].item() > 0.5
