"""Registry bad input: malformed catalogues, unknown or ambiguous names give errors saying what to fix."""

import pytest

from zoo import ModelEntry, Variant, models_from_yaml
from zoo.errors import RegistryError, UnknownModelError
from zoo.registry import Registry


def catalogue(tmp_path, text: str):
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    config: {width: 8}\n", ["'broken'", "missing required field 'variant'"]),
        ("    variant: dcgan\n    config: [1, 2]\n", ["'broken'", "field 'config' must be dict", "list"]),
        ("    variant: dcgan\n    default: 'yes'\n", ["'broken'", "field 'default' must be bool"]),
        ("    variant: 3\n", ["'broken'", "field 'variant' must be str", "int"]),
        ("    variant: dcgan\n    varient: dcgan\n", ["'broken'", "unknown field 'varient'", "allowed:"]),
        (
            "    variant: dcgan\n    weights: {repo: a/b, sha: abc}\n",
            ["'broken'", "unknown weights field 'sha'"],
        ),
        ("    variant: dcgan\n    weights: {revision: 7}\n", ["'broken'", "weights.revision must be str"]),
        ("    variant: dcgan\n    weights: ok\n", ["'broken'", "field 'weights' must be dict"]),
    ],
)
def test_malformed_entry_names_entry_field_and_file(tmp_path, body, expected):
    path = catalogue(tmp_path, f"models:\n  fine:\n    variant: dcgan\n  broken:\n{body}")
    with pytest.raises(RegistryError) as err:
        models_from_yaml(path)
    message = str(err.value)
    assert str(path) in message
    for part in expected:
        assert part in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models: [a, b]\n", "expected a top-level mapping"),
        ("model:\n  a: {variant: dcgan}\n", "expected a top-level mapping"),
        ("models:\n  a: dcgan\n", "model 'a'"),
        ("models: {a: [\n", "not valid YAML"),
    ],
)
def test_malformed_catalogue_is_a_clear_error(tmp_path, text, expected):
    path = catalogue(tmp_path, text)
    with pytest.raises(RegistryError, match=expected):
        models_from_yaml(path)


def test_valid_catalogue_resolves_bundled_weights_next_to_it(tmp_path):
    path = catalogue(
        tmp_path,
        "models:\n  m:\n    variant: dcgan\n    default: true\n"
        "    weights: {bundled: weights/m.safetensors, sha256: " + "ab" * 32 + "}\n",
    )
    (entry,) = models_from_yaml(path)
    assert entry.name == "m" and entry.variant == "dcgan" and entry.default is True
    assert entry.weights.bundled == str(tmp_path / "weights" / "m.safetensors")
    assert entry.source == str(path)


def small_registry() -> Registry:
    variants = {
        name: Variant(name, f"pkg.{name}:Model", f"pkg.{name}:step", plugin=name) for name in ("dcgan", "gan")
    }
    entries = [
        ModelEntry("dcgan-mnist", "dcgan", default=True, plugin="dcgan"),
        ModelEntry("dcgan-mnist64", "dcgan", plugin="dcgan"),
        ModelEntry("gan-mnist", "gan", default=True, plugin="gan"),
        ModelEntry("gan-grid", "gan", plugin="gan"),
    ]
    return Registry(variants, entries)


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownModelError) as err:
        small_registry().find("dcgan-mnst")
    message = str(err.value)
    assert "unknown model 'dcgan-mnst'" in message
    assert "'dcgan-mnist'" in message and "zoo list" in message


def test_unknown_name_without_close_names_points_to_zoo_list():
    with pytest.raises(UnknownModelError) as err:
        small_registry().find("pix2pix")
    assert "Did you mean" not in str(err.value) and "zoo list" in str(err.value)


def test_names_aliases_and_plugin_prefixes_resolve():
    reg = small_registry()
    assert reg.find("dcgan").name == "dcgan-mnist"  # a variant name is an alias of its default entry
    assert reg.find("gan:gan-grid").name == "gan-grid"
    with pytest.raises(UnknownModelError):
        reg.find("gan:dcgan-mnist")  # that plugin has no such model


def test_two_plugins_claiming_one_name_name_both_and_plugin_prefix_picks_one():
    reg = small_registry()
    reg.entries.append(ModelEntry("gan-mnist", "gan2", plugin="other", source="plugin 'other'"))
    with pytest.raises(RegistryError) as err:
        reg.find("gan-mnist")
    assert "gan:gan-mnist" in str(err.value) and "other:gan-mnist" in str(err.value)
    assert reg.find("other:gan-mnist").variant == "gan2"
    assert reg.find("gan:gan-mnist").variant == "gan"


def test_unknown_variant_names_installed_ones():
    with pytest.raises(UnknownModelError, match="installed: dcgan, gan"):
        small_registry().variant("pix2pix")


def test_list_filters_with_wildcards():
    reg = small_registry()
    assert [e.name for e in reg.list("dcgan*")] == ["dcgan-mnist", "dcgan-mnist64"]
    assert [e.name for e in reg.list("*-mnist")] == ["dcgan-mnist", "gan-mnist"]
    assert [e.name for e in reg.list("gan-???d")] == ["gan-grid"]
    assert reg.list("nothing*") == []


def test_recipe_paths_are_relative_to_their_catalogue(tmp_path):
    catalogue = tmp_path / "plugin" / "models.yaml"
    catalogue.parent.mkdir()
    catalogue.write_text("models:\n  m:\n    variant: gan\n    recipe: recipes/m.yaml\n")
    (entry,) = models_from_yaml(catalogue)
    assert entry.recipe_path == tmp_path / "plugin" / "recipes" / "m.yaml"


@pytest.mark.parametrize(
    "field_text",
    [
        "    weights: {bundled: ../../etc/passwd}\n",
        "    weights: {bundled: /etc/passwd}\n",
        "    recipe: weights/../../outside.yaml\n",
    ],
)
def test_paths_outside_the_catalogues_folder_are_refused(tmp_path, field_text):
    path = catalogue(tmp_path, f"models:\n  m:\n    variant: gan\n{field_text}")
    with pytest.raises(RegistryError, match="points outside"):
        models_from_yaml(path)


def test_a_variant_filter_skips_other_variants_entries_unvalidated(tmp_path):
    path = catalogue(tmp_path, "models:\n  good: {variant: gan}\n  bad: {variant: dcgan, default: 'yes'}\n")
    assert [e.name for e in models_from_yaml(path, ["gan"])] == ["good"]
    with pytest.raises(RegistryError, match="'bad'"):
        models_from_yaml(path, ["dcgan"])


def test_a_variant_without_a_default_model_says_so():
    reg = Registry({"v": Variant(name="v", model="m:M", training_step="m:step", plugin="p")}, [])
    with pytest.raises(UnknownModelError, match="variant 'v' has no default model"):
        reg.find("v")


def test_a_variants_own_recipe_is_a_fresh_mapping_and_must_be_one():
    srgan = Variant("srgan", "m:M", "m:step", recipe="zoo_plugins.srgan.training:RECIPE")
    first = srgan.default_recipe()
    first["step"]["content"]["backbone"] = "changed"  # what --set does to the recipe it is given
    assert srgan.default_recipe()["step"]["content"]["backbone"] == "vgg19"
    assert Variant("v", "m:M", "m:step").default_recipe() == {}
    with pytest.raises(RegistryError, match="'v': recipe 'os:sep' is not a mapping"):
        Variant("v", "m:M", "m:step", recipe="os:sep").default_recipe()
