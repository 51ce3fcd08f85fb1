"""The model base class records the arguments a model was built with, so it can be rebuilt."""

import pytest
import torch
from zoo_plugins.dcgan.networks import DCGAN

from zoo.model import GANModel, UnconditionalGAN


def test_config_holds_every_argument_with_defaults_and_rebuilds_the_model():
    model = DCGAN(width=8)
    assert model.config == {
        "latent_dim": 100,
        "resolution": 32,
        "channels": 1,
        "width": 8,
        "discriminator": True,
    }
    twin = DCGAN(**model.config)
    assert {k: v.shape for k, v in twin.state_dict().items()} == {
        k: v.shape for k, v in model.state_dict().items()
    }


def test_a_subclass_without_its_own_init_records_its_parents_arguments():
    class Narrow(DCGAN):
        pass

    assert Narrow(width=4, resolution=64).config["resolution"] == 64


def test_generate_is_in_range_and_seeded():
    model = DCGAN(width=8).eval()
    a, b = model.generate(3, seed=1), model.generate(3, seed=1)
    assert a.shape == (3, 1, 32, 32) and torch.equal(a, b)
    assert 0 <= a.min() and a.max() <= 1
    assert not torch.equal(a, model.generate(3, seed=2))
    with pytest.raises(ValueError, match="at least one"):
        model.generate(0)


def test_init_must_name_its_arguments():
    with pytest.raises(TypeError, match="must name its arguments"):

        class Loose(GANModel):
            def __init__(self, **config):
                super().__init__()

    assert issubclass(DCGAN, UnconditionalGAN)


def test_methods_the_core_calls_have_defaults_a_variant_overrides(tmp_path, capsys):
    from zoo_plugins.gan.networks import VanillaGAN
    from zoo_plugins.pix2pix.model import Pix2Pix

    from zoo.cli import main
    from zoo.errors import ZooError

    model = DCGAN(width=4)
    options = {"width": 4}
    assert DCGAN.config_from_data(options, "mnist") is options  # unchanged: nothing to read from the data
    assert model.check_training_data({"x": torch.zeros(5)}) is None  # accepts any item
    assert model.sample_images({"x": torch.zeros(2, 1, 32, 32)}) is None  # no panels: no grid
    with pytest.raises(ZooError, match="VanillaGAN cannot convert checkpoints of its original code"):
        VanillaGAN.convert_original({"w": torch.zeros(1)})
    assert Pix2Pix.convert_original.__func__ is not GANModel.convert_original.__func__  # built-ins override

    torch.save({"w": torch.zeros(1)}, tmp_path / "g.pth")
    assert main(["convert", "gan", str(tmp_path / "g.pth"), "--out", str(tmp_path / "out")]) == 2
    assert "VanillaGAN cannot convert checkpoints" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
