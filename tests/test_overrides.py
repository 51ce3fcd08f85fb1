"""``--set KEY=VALUE``: one parser (zoo.overrides) for every command."""

import pytest

from zoo.overrides import OverrideError, apply_override, parse_override


def test_apply_override_sets_nested_yaml_values():
    config = {"optimizers": {"generator": {"name": "adam", "lr": 2e-4}}, "steps": 10}
    for assignment in [
        "optimizers.generator.lr=1e-4",
        "steps=5",
        "ema=null",
        "model.hidden=[64, 64]",
        "amp=bf16",
    ]:
        apply_override(config, assignment)
    assert config == {
        "optimizers": {"generator": {"name": "adam", "lr": 1e-4}},
        "steps": 5,
        "ema": None,
        "model": {"hidden": [64, 64]},
        "amp": "bf16",
    }


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("lr=1e-4", "lr", 1e-4),  # YAML 1.1 would give the string "1e-4"
        ("lr=-2E+3", "lr", -2000.0),
        ("lr=.5e-1", "lr", 0.05),
        ("betas=[0.5, 1e-3]", "betas", [0.5, 1e-3]),  # exponents inside lists too
        ("opt={lr: 3e-4}", "opt", {"lr": 3e-4}),
        ("steps=1000", "steps", 1000),
        ("scale=2.5", "scale", 2.5),
        ("discriminators=false", "discriminators", False),  # a flat key, as zoo.bundle's --set takes
        ("name=v1e4", "name", "v1e4"),
        ("version=1.10", "version", 1.1),
        ("text='1e-4'", "text", "1e-4"),  # quoted: a string
        ("text=''", "text", ""),
        ("expr=a=b", "expr", "a=b"),  # only the first '=' splits
        (" model . width = 64", "model.width", 64),
        ("x=.inf", "x", float("inf")),
    ],
)
def test_parse_override_reads_values_as_yaml_with_exponent_floats(text, key, value):
    assert parse_override(text) == (key, value)
    assert type(parse_override(text)[1]) is type(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr", "expected KEY=VALUE"),
        ("=3", "expected KEY=VALUE"),
        ("a..b=3", "empty part"),
        (".a=3", "empty part"),
        ("lr=", "no value"),
        ("lr=[1, 2", "not valid YAML"),
    ],
)
def test_bad_overrides_are_clear_errors(text, message):
    with pytest.raises(OverrideError, match=message):
        parse_override(text)
    assert issubclass(OverrideError, ValueError)  # the CLI reports ValueErrors as `error: ...`


def test_an_override_below_a_non_mapping_is_refused():
    config = {"model": {"width": 64}}
    with pytest.raises(OverrideError, match="'width' holds 64, not a mapping"):
        apply_override(config, "model.width.inner=2")
    assert config == {"model": {"width": 64}}


def test_the_module_is_a_leaf():
    import ast
    from pathlib import Path

    import zoo.overrides

    tree = ast.parse(Path(zoo.overrides.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m and m.startswith("zoo")} == {"zoo.errors"}
