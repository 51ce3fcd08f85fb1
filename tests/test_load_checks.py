"""``zoo.load`` checks before it allocates: the config against the model class, the networks built on
the meta device against the weights file's header; only a config that fits its weights is built for real."""

from __future__ import annotations

import json

import pytest
import torch

import zoo
import zoo.build
from zoo import loading
from zoo.config_checks import Size, check_config
from zoo.errors import RegistryError, WeightsError
from zoo.registry import registry
from zoo.weights import load_weights, save_weights, shapes_of

TINY = {"latent_dim": 100, "resolution": 32, "channels": 1, "width": 8}


@pytest.fixture
def builds(monkeypatch) -> list[str]:
    """The device each ``build_model`` call of ``zoo.load`` builds on ('meta' or 'cpu'), in order."""
    devices: list[str] = []
    build = loading.build_model

    def spy(*args, **kwargs):
        devices.append(torch.empty(0).device.type)  # the default device the build runs under
        return build(*args, **kwargs)

    monkeypatch.setattr(loading, "build_model", spy)
    monkeypatch.setattr(zoo.build, "build_model", spy)  # the meta build of build.meta_shapes
    return devices


def rewrite_config(run, **changes) -> None:
    record = json.loads((run / "config.json").read_text())
    record["config"].update(changes)
    (run / "config.json").write_text(json.dumps(record))


@pytest.mark.parametrize("width", [2048, 100000])
def test_a_config_wider_than_its_weights_fails_from_the_header(make_run, builds, width):
    run, _ = make_run()
    rewrite_config(run, width=width)
    with pytest.raises(WeightsError, match=rf"config and the weights do not fit.*width={width}.*wrong shape"):
        zoo.load(run)
    assert builds == ["meta"]  # no parameter was allocated


def test_every_weights_source_is_checked_before_building(make_run, catalogue, builds, tmp_path):
    run, model = make_run()
    misfit = {**TINY, "width": 2048}
    with pytest.raises(
        WeightsError, match=r"discriminator.main.0.weight: file \(8, 1, 4, 4\) vs model \(2048,"
    ):
        zoo.load("dcgan", weights=run / "model.safetensors", **misfit)
    catalogue(
        tiny={"variant": "dcgan", "config": misfit, "weights": {"bundled": str(run / "model.safetensors")}}
    )
    with pytest.raises(WeightsError, match="do not fit"):
        zoo.load("tiny")
    assert builds == ["meta", "meta"]
    assert torch.equal(zoo.load(run).generate(2, seed=0), model.generate(2, seed=0))  # a fit still loads
    assert builds[2:] == ["meta", "cpu"]


def test_load_weights_reads_the_header_before_any_tensor(tmp_path, monkeypatch):
    path = save_weights(torch.nn.Linear(3, 2), tmp_path / "w.safetensors")

    def refuse(*args, **kwargs):
        raise AssertionError("tensors were read before the shapes were checked")

    monkeypatch.setattr("zoo.weights.load_file", refuse)
    with pytest.raises(WeightsError, match=r"weight: file \(2, 3\) vs model \(2, 300\)"):
        load_weights(torch.nn.Linear(300, 2), path)


def one_name_per_network() -> list[str]:
    """The first built-in model of each distinct variant and config (the released originals share two)."""
    names = {}
    for entry in registry().list():
        names.setdefault((entry.variant, repr(sorted(entry.config.items()))), entry.name)
    return sorted(names.values())


@pytest.mark.parametrize("name", one_name_per_network())
def test_every_built_in_model_builds_on_the_meta_device(name):
    entry = registry().find(name)
    shapes = zoo.build.meta_shapes(entry.variant, entry.config, name, entry.plugin)
    real = registry().variant(entry.variant).model_class()(**entry.config)
    assert shapes == shapes_of(real)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channels": -1}, "field 'channels': it must be at least 1, not -1"),
        ({"width": "64"}, r"field 'width' must be int, not '64' \(str\)"),
        ({"resolution": 33}, "field 'resolution': it must be a power of two, not 33"),
        ({"width": True}, "field 'width' must be int, not True"),
        ({"depth": 3}, r"field 'depth' is not one of its arguments \(latent_dim, resolution"),
    ],
)
def test_a_bad_config_names_its_field_before_building(make_run, builds, change, message):
    run, _ = make_run()
    rewrite_config(run, **change)
    with pytest.raises(RegistryError, match=f"the config does not fit DCGAN: {message}"):
        zoo.load(run)
    with pytest.raises(RegistryError, match=message):
        zoo.load("dcgan", pretrained=False, **change)
    assert builds == []


def test_registry_configs_are_checked(catalogue, builds):
    catalogue(tiny={"variant": "gan", "config": {"hidden": [128, 0]}})
    with pytest.raises(RegistryError, match=r"tiny: .*field 'hidden': every entry of it must be at least 1"):
        zoo.load("tiny", pretrained=False)
    assert builds == []


class Annotated(torch.nn.Module):
    config_constraints = {"sizes": Size(min=2, multiple_of=2), "scale": Size(power_of_two=True)}

    def __init__(
        self,
        sizes: list[int],
        scale: int = 2,
        rate: float = 0.5,
        name: str | None = None,
        extra: object = None,
    ) -> None:
        super().__init__()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"sizes": [4, 6], "rate": 1, "name": None, "extra": {"anything": 1}}, None),
        ({"sizes": [4, 6], "scale": 4, "name": "x", "rate": 0.1}, None),
        ({}, "'sizes' is missing"),
        ({"sizes": [4, 5]}, "'sizes': every entry of it must be a multiple of 2, not \\[4, 5\\]"),
        ({"sizes": (4, "6")}, r"'sizes' must be list\[int\]"),
        ({"sizes": [4], "scale": 6}, "'scale': it must be a power of two, not 6"),
        ({"sizes": [4], "rate": "fast"}, "'rate' must be float"),
        ({"sizes": [4], "name": 3}, "'name' must be str or None"),
    ],
)
def test_check_config_reads_the_signature(config, message):
    if message is None:
        check_config(Annotated, config, "x")
    else:
        with pytest.raises(RegistryError, match=f"x: the config does not fit Annotated: field {message}"):
            check_config(Annotated, config, "x")
