"""Training recipes: a YAML file or a dict, checked field by field before anything runs.

A recipe names the variant, the model's keyword arguments, the data spec and every knob of the
loop. Unknown fields and wrong types are errors that name the field, so a typo never trains.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import ZooError
from zoo.trainer.schedule import check_schedule


class RecipeError(ZooError, ValueError):
    """A training recipe (or a resume request) cannot be used as given."""


OPTIMIZERS = ("adam", "adamw", "sgd")
AMP_MODES = (False, True, "fp16", "bf16")


@dataclass
class Recipe:
    """Everything a training run needs; ``batch_size`` is per process and micro-batch.

    One optimisation step sees ``batch_size * grad_accum * world_size`` samples.
    """

    variant: str
    data: str | dict
    validation: str | dict | None = None  # labelled validation data, for variants that use it (ganomaly)
    model: dict = field(default_factory=dict)
    step: dict = field(default_factory=dict)
    init: str | None = None  # weights a fresh run starts from: anything zoo.load takes (see the trainer)
    init_fresh: list[str] = field(default_factory=list)  # submodules that skip init: [discriminators]
    batch_size: int = 64
    steps: int = 1000
    optimizers: dict = field(default_factory=dict)
    ema: dict | None = field(default_factory=lambda: {"decay": 0.999, "start": 0})
    amp: bool | str = False
    grad_accum: int = 1
    grad_clip: float | None = None
    lr_schedule: dict | None = None  # {name: linear_decay, start: N}; see zoo.trainer.schedule
    seed: int = 0
    log_every: int = 50
    sample_every: int = 1000
    samples: int = 64
    checkpoint_every: int = 500
    eval_every: int = 0
    eval_samples: int | None = None  # None: the metrics' protocol default
    device: str = "auto"
    workers: int = 0
    channels_last: bool = False
    compile: bool = False
    out: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def run_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs") / self.variant


#: recipe fields a resumed run may change (how long it runs, what it logs, where it runs);
#: any other difference (batch size, model, data, seed, optimisers, ...) would make it another run
RESUMABLE_CHANGES = frozenset(
    {
        "steps",
        "log_every",
        "sample_every",
        "samples",
        "checkpoint_every",
        "eval_every",
        "eval_samples",
        "device",
        "workers",
        "channels_last",
        "compile",
        "out",
    }
)

# The accepted types of each field, for messages that say what was expected.
_TYPES: dict[str, tuple[type, ...]] = {
    "variant": (str,),
    "data": (str, dict),
    "validation": (str, dict, type(None)),
    "model": (dict,),
    "step": (dict,),
    "init": (str, type(None)),
    "init_fresh": (list,),
    "batch_size": (int,),
    "steps": (int,),
    "optimizers": (dict,),
    "ema": (dict, type(None)),
    "amp": (bool, str),
    "grad_accum": (int,),
    "grad_clip": (float, int, type(None)),
    "lr_schedule": (dict, type(None)),
    "seed": (int,),
    "log_every": (int,),
    "sample_every": (int,),
    "samples": (int,),
    "checkpoint_every": (int,),
    "eval_every": (int,),
    "eval_samples": (int, type(None)),
    "device": (str,),
    "workers": (int,),
    "channels_last": (bool,),
    "compile": (bool,),
    "out": (str, Path, type(None)),
}
# Lower bounds of the integer fields (0 disables the periodic ones).
_MINIMUM = {
    "batch_size": 1,
    "steps": 1,
    "grad_accum": 1,
    "log_every": 1,
    "samples": 1,
    "sample_every": 0,
    "checkpoint_every": 0,
    "eval_every": 0,
    "eval_samples": 1,
    "workers": 0,
}


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:  # True is an int in Python, never a count here
        return False
    return isinstance(value, types)


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is type(None) else "path" if t is Path else t.__name__ for t in types)


def recipe_from_dict(data: dict[str, Any], source: str = "recipe") -> Recipe:
    """Validate a recipe mapping and build a ``Recipe``; every error names the field at fault."""
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
    allowed = [f.name for f in fields(Recipe)]
    for key, value in data.items():
        if key not in _TYPES:
            raise RecipeError(f"{source}: unknown field {key!r}; allowed fields: {', '.join(allowed)}")
        if not _type_ok(value, _TYPES[key]):
            raise RecipeError(
                f"{source}: field {key!r} must be {_type_names(_TYPES[key])}, "
                f"got {type(value).__name__} ({value!r})"
            )
    for key in ("variant", "data"):
        if key not in data:
            raise RecipeError(
                f"{source}: missing required field {key!r} (e.g. `variant: dcgan`, `data: mnist`)"
            )
    for key, low in _MINIMUM.items():
        if data.get(key) is not None and data[key] < low:
            raise RecipeError(f"{source}: field {key!r} must be at least {low}, got {data[key]}")
    if data.get("amp", False) not in AMP_MODES:
        raise RecipeError(
            f"{source}: field 'amp' must be false, true (fp16 on CUDA) or 'bf16', got {data['amp']!r}"
        )
    _check_init_fresh(data.get("init_fresh", []), data.get("init"), source)
    _check_ema(data.get("ema"), source)
    problem = check_schedule(data.get("lr_schedule"), data.get("steps", Recipe.steps))
    if problem:
        raise RecipeError(f"{source}: {problem}")
    _check_optimizers(data.get("optimizers", {}), source)
    clean = {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}
    return Recipe(**clean)


def _check_init_fresh(names: list, init: str | None, source: str) -> None:
    if names and init is None:
        raise RecipeError(
            f"{source}: 'init_fresh' names submodules to leave out of 'init', but 'init' is not set"
        )
    if not all(isinstance(name, str) and name for name in names):
        raise RecipeError(f"{source}: 'init_fresh' must be a list of submodule names, got {names!r}")


def _check_ema(ema: dict | None, source: str) -> None:
    if ema is None:
        return
    unknown = set(ema) - {"decay", "start"}
    if unknown:
        raise RecipeError(f"{source}: unknown field(s) {sorted(unknown)} in 'ema'; allowed: decay, start")
    decay = ema.get("decay", 0.999)
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay < 1.0:
        raise RecipeError(f"{source}: 'ema.decay' must be a number in [0, 1), got {decay!r}")
    start = ema.get("start", 0)
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise RecipeError(f"{source}: 'ema.start' must be a step count >= 0, got {start!r}")


def _check_optimizers(specs: dict, source: str) -> None:
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            raise RecipeError(
                f"{source}: 'optimizers.{name}' must be a mapping like {{name: adam, lr: 2.0e-4}}"
            )
        if spec.get("name", "adam") not in OPTIMIZERS:
            raise RecipeError(
                f"{source}: 'optimizers.{name}.name' is {spec.get('name')!r}; "
                f"choose one of {', '.join(OPTIMIZERS)}"
            )


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied; a mapping overriding a mapping is merged one level deep."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def read_recipe_file(path: Path) -> dict[str, Any]:
    """The mapping in a YAML recipe file, or a clear error."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: expected a mapping of recipe fields at the top level")
    return data


def resolve_config(
    config: str | Path | dict[str, Any], data: str | dict | None = None
) -> tuple[dict[str, Any], str]:
    """The raw recipe mapping and where it came from.

    ``config`` is a dict, a YAML path, a registry model (or variant alias) whose entry names a
    ``recipe`` file, or a bare variant name (then the variant's own recipe, ``Variant.recipe``, with the
    field defaults for the rest). A variant name with a folder of your own as ``data`` also takes the
    variant's own recipe (the paper's settings): the recipe of the variant's default model is made for
    that model's bundled data.
    """
    if isinstance(config, dict):
        return dict(config), "recipe"
    path = Path(config)
    if path.is_file():
        return read_recipe_file(path), str(path)
    from zoo.errors import UnknownModelError
    from zoo.registry import registry

    name = str(config)
    reg = registry()
    if name in reg.variants and isinstance(data, (str, Path)) and Path(data).is_dir():
        recipe = _fit_batch(_variant_recipe(reg.variants[name]), reg.variants[name], Path(data))
        return recipe, f"variant {name!r} (own recipe, folder {data})"
    try:
        entry = reg.find(name)
    except UnknownModelError:
        if name in reg.variants:
            return _variant_recipe(reg.variants[name]), f"variant {name!r}"
        raise
    if entry.recipe_path:
        return read_recipe_file(entry.recipe_path), str(entry.recipe_path)
    if name in reg.variants:
        return _variant_recipe(reg.variants[name]), f"variant {name!r}"
    raise RecipeError(f"model {name!r} names no training recipe; pass a recipe file (configs/*.yaml)")


def _variant_recipe(variant) -> dict[str, Any]:
    """A variant's own recipe: its plugin's default fields (the paper's settings), else the field defaults."""
    return {**variant.default_recipe(), "variant": variant.name}


def _fit_batch(recipe: dict[str, Any], variant, folder: Path) -> dict[str, Any]:
    """``recipe`` with its batch size cut to the number of training items in ``folder``, if fewer (a folder
    of single images is counted without reading them: it may mix sizes, resized later)."""
    from zoo.data import build_dataset
    from zoo.data.folder import image_files

    if variant.data == "folder":
        items = len(image_files(folder))
    else:
        items = len(build_dataset({"name": variant.data, "path": str(folder)}, split="train"))
    return {**recipe, "batch_size": min(recipe.get("batch_size", Recipe.batch_size), items)}


def load_recipe(config: str | Path | dict[str, Any], **overrides: Any) -> Recipe:
    """A validated ``Recipe`` from ``config`` with keyword ``overrides`` (``out=``, ``steps=``, ...)."""
    data, source = resolve_config(config, overrides.get("data"))
    return recipe_from_dict(_merge(data, _given(overrides)), source)


def _given(overrides: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in overrides.items() if v is not None}


def refused_changes(recorded: dict[str, Any], resumed: dict[str, Any]) -> list[str]:
    """The fields, sorted, in which ``resumed`` differs from a run's ``recorded`` recipe although a resumed
    run may not change them; a field the recorded recipe lacks (it predates the field) is its default."""
    defaults = {
        f.name: f.default_factory() if f.default_factory is not MISSING else f.default for f in fields(Recipe)
    }
    return sorted(
        k
        for k, v in resumed.items()
        if k in _TYPES and k not in RESUMABLE_CHANGES and recorded.get(k, defaults[k]) != v
    )
