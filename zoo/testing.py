"""A conformance kit for plugin authors: the contracts every plugin, variant and named model must keep.

Call it from your plugin's own tests with tiny networks, e.g.::

    from zoo.testing import check_entries, check_plugin, check_variant

    def test_tinygan_keeps_the_zoo_contract(tmp_path):
        check_variant("tinygan", model={"latent_dim": 4, "size": 32}, data="mnist", out=tmp_path)

    def test_the_plugin_is_light_and_its_models_load():
        check_plugin("example")
        check_entries("example")

Each broken rule raises ``ConformanceError`` naming the contract and what the plugin must do instead.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError
from zoo.plugins import ENTRY_POINT_GROUP, LIGHT_DISCOVERY, SLOW_IMPORT_MS

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from zoo.model import GANModel


class ConformanceError(ZooError, AssertionError):
    """A plugin, variant or model breaks a rule of the plugin contract."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ConformanceError(message)


def check_variant(
    name: str,
    model: dict[str, Any],
    data: str | dict[str, Any],
    out: str | Path,
    steps: int = 2,
    batch_size: int = 2,
    step: dict[str, Any] | None = None,
    recipe: dict[str, Any] | None = None,
    inputs: Any = None,
) -> Path:
    """Check variant ``name`` with model options ``model`` on ``data``; returns the run directory.

    1. the variant is registered, its model class is a ``zoo.model.GANModel`` with the variant's task;
    2. ``config`` records the options, and building from ``model.config`` gives the same tensors; a
       ``generate`` model keeps its task's contract untrained (the trainer's sample grids call it);
    3. ``zoo.train`` runs ``steps`` steps (training step options ``step``, other recipe fields ``recipe``,
       e.g. ``validation``), writing weights, config, checkpoint and finite logged metrics; resuming adds
       one step;
    4. ``zoo.load(run)`` returns the trained weights exactly, in eval mode;
    5. the loaded model keeps its task's contract (``check_task``) on ``inputs``: by default a random image
       (``translate``, ``upscale``), three (``score``) or the captions of the first two training items
       (``text_to_image``).
    """
    import torch

    import zoo
    from zoo.build import build_model
    from zoo.model import GANModel
    from zoo.registry import registry
    from zoo.trainer import train
    from zoo.weights import read_weights

    variant = registry().variant(name)
    cls = variant.model_class()
    _require(
        isinstance(cls, type) and issubclass(cls, GANModel),
        f"{variant.model} must be a subclass of zoo.model.GANModel",
    )
    _require(
        cls.task == variant.task,
        f"task: the variant {name!r} registers task {variant.task!r} (what `zoo list` shows) but "
        f"{cls.__name__}.task is {cls.task!r} (what `zoo run` runs): make them the same",
    )
    built = build_model(name, model, data=data)  # as the trainer: options the data fills in first
    options = {**model, **{k: v for k, v in built.config.items() if k not in model}}
    config = built.config
    _require(
        isinstance(config, dict) and all(config.get(k) == v for k, v in options.items()),
        f"{cls.__name__}.config must record the __init__ options {model} (call super().__init__() first), "
        f"got {config!r}",
    )
    _require(
        json.loads(json.dumps(config)) == config,
        f"{cls.__name__}.config must be JSON (it is written to config.json): {config!r}",
    )
    rebuilt = {k: tuple(v.shape) for k, v in build_model(name, config).state_dict().items()}
    _require(
        rebuilt == {k: tuple(v.shape) for k, v in built.state_dict().items()},
        f"{cls.__name__}(**config) builds other tensors than {cls.__name__}(**{model}): "
        "config must hold every option that shapes the networks",
    )
    if cls.task == "generate":  # the trainer draws its sample grids with generate: check it first
        check_generate(built.eval())
    fields = {
        "variant": name,
        "model": model,
        "data": data,
        "step": step or {},
        "batch_size": batch_size,
        "steps": steps,
        "log_every": 1,
        "sample_every": steps,
        "checkpoint_every": steps,
        "out": str(Path(out) / name),
        **(recipe or {}),
    }
    run = train(fields)
    for file in ("model.safetensors", "config.json", "checkpoint.pt", "metrics.jsonl"):
        _require((run / file).is_file(), f"training wrote no {file} in {run}")
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    _require(
        [r["step"] for r in logged] == list(range(1, steps + 1)),
        f"the training step's values were not logged at every step: {logged}",
    )
    bad = {k: v for r in logged for k, v in r.items() if not torch.isfinite(torch.tensor(float(v)))}
    _require(not bad, f"the training step returned non-finite values: {bad}")
    train(fields, resume=True, steps=steps + 1)
    _require(
        json.loads((run / "config.json").read_text()).get("steps") == steps + 1,
        "resuming the run did not continue it by one step",
    )
    loaded = zoo.load(run)
    _require(not loaded.training, "zoo.load must return the model in eval mode")
    saved = read_weights(run / "model.safetensors")
    state = loaded.state_dict()
    _require(
        set(saved) == set(state) and all(torch.equal(state[k].cpu(), saved[k]) for k in saved),
        "zoo.load(run) does not give back the weights the run saved",
    )
    if loaded.task == "text_to_image" and inputs is None:
        inputs = _training_captions(data)
    check_task(loaded, inputs)
    return run


def check_task(model: GANModel, inputs: Any = None) -> None:
    """Check that ``model`` (in eval mode) keeps the contract of its task (``TASK_CHECKS``); tasks the kit
    has no contract for (e.g. ``match``) pass. ``inputs``: what the task method gets (see check_variant)."""
    check = TASK_CHECKS.get(model.task)
    if check is not None:
        check(model, inputs)


def check_generate(model: GANModel, inputs: Any = None) -> None:
    """``generate(n, seed=...)``: see ``_check_samples``."""
    _check_samples(
        f"{type(model).__name__}.generate(n, seed)", lambda n, seed: model.generate(n, seed=seed), 3
    )


def check_text_to_image(model: GANModel, inputs: list[str] | None) -> None:
    """``generate(captions, seed=...)``: one sample per caption, otherwise as ``generate``."""
    if not inputs or len(inputs) < 2:
        raise ValueError("check text_to_image with at least two captions in the model's words: inputs=[...]")
    what = f"{type(model).__name__}.generate(captions, seed)"
    _check_samples(what, lambda n, seed: model.generate(list(inputs[:n]), seed=seed), len(inputs))


def _check_samples(what: str, sample: Callable[[int, int], Any], n: int) -> None:
    """``sample(n, seed)`` gives ``n`` float samples, ``(n, C, H, W)`` images (C 1 or 3) in ``[0, 1]`` or
    ``(n, D)`` points, finite; the same for the same seed, others for another seed; ``n`` respected."""
    import torch

    first = _call(what, sample, n, 0)
    _require(
        torch.is_tensor(first) and first.is_floating_point(),
        f"{what} must return a float tensor, got {_kind(first)}",
    )
    shape = tuple(first.shape)
    images = first.dim() == 4 and shape[1] in (1, 3)
    _require(
        images or first.dim() == 2,
        f"shape: {what} must return (n, C, H, W) images with C = 1 or 3, or (n, D) points (2-D models), "
        f"got shape {shape}: `zoo run` draws images and (n, 2) points",
    )
    _require(
        shape[0] == n,
        f"n respected: {what} must return one sample per request ({n} asked), got {shape[0]}",
    )
    _require(bool(torch.isfinite(first).all()), f"finite: {what} returned NaN or infinite values")
    if images:
        low, high = first.min().item(), first.max().item()
        _require(
            low >= 0 and high <= 1,
            f"range: {what} must return images in [0, 1], got values in [{low:.3g}, {high:.3g}]: map the "
            "network's [-1, 1] (tanh) output to data space, e.g. UnconditionalGAN.denormalize ((y + 1) / 2)",
        )
    _require(
        torch.equal(first, _call(what, sample, n, 0)),
        f"same seed, same samples: {what} gave different samples for seed 0 twice: draw all the noise "
        "from the seed (zoo.model.seeded_noise) and sample in eval mode",
    )
    _require(
        not torch.equal(first, _call(what, sample, n, 1)),
        f"different seeds, different samples: {what} gave the same samples for seeds 0 and 1: draw the "
        "noise from the seed it is given",
    )
    one = _call(what, sample, 1, 0)
    _require(
        torch.is_tensor(one) and tuple(one.shape) == (1, *shape[1:]),
        f"n respected: {what} must return one sample when one is asked, shaped like the others "
        f"{(1, *shape[1:])}, got {_kind(one)}",
    )


def check_translate(model: GANModel, inputs: Image.Image | None = None) -> None:
    """``translate(image)`` of a PIL image: a PIL image of the same size, mode ``L`` or ``RGB``, finite."""
    image = inputs if inputs is not None else _random_image(64, 32)  # not square: a transpose shows
    what = f"{type(model).__name__}.translate(image)"
    out = _check_pil(what, _call(what, model.translate, image))
    _require(
        out.mode in ("L", "RGB"),
        f"mode: {what} must return an L (one channel) or RGB image (zoo.images.to_pil), got {out.mode}",
    )
    _require(
        out.size == image.size,
        f"size: {what} must keep the image's size (W x H) {image.size}, got {out.size}",
    )


def check_upscale(model: GANModel, inputs: Image.Image | None = None) -> None:
    """``upscale(image)`` of a PIL image: a PIL image ``model.scale`` times larger, in the input's mode."""
    image = inputs if inputs is not None else _random_image(12, 10)
    scale = getattr(model, "scale", None)
    _require(
        isinstance(scale, int) and not isinstance(scale, bool) and scale >= 1,
        f"scale: an upscale model must have an integer attribute `scale` (how many times larger upscale "
        f"makes an image), {type(model).__name__} has {scale!r}",
    )
    what = f"{type(model).__name__}.upscale(image)"
    out = _check_pil(what, _call(what, model.upscale, image))
    expected = (image.width * scale, image.height * scale)
    _require(
        out.size == expected,
        f"size: {what} must return an image scale={scale} times larger: {image.size} in, {expected} "
        f"expected, got {out.size}",
    )
    _require(out.mode == image.mode, f"mode: {what} must keep the image's mode {image.mode}, got {out.mode}")


def check_score(model: GANModel, inputs: list[Image.Image] | None = None) -> None:
    """``score(images)`` and ``score(paths)``: one finite float per input, the same for an image and its PNG
    file; the model has a finite ``threshold`` (a score at or above it is anomalous)."""
    import torch

    images = inputs if inputs is not None else [_random_image(32, 32, seed) for seed in range(3)]
    name = type(model).__name__
    threshold = getattr(model, "threshold", None)
    _require(
        torch.is_tensor(threshold) or isinstance(threshold, (int, float)),
        f"threshold: a score model must have a `threshold` (scores at or above it are anomalous; `zoo run` "
        f"writes is_anomaly with it), {name} has {threshold!r}",
    )
    _require(
        math.isfinite(float(threshold)),
        f"threshold: {name}.threshold is {float(threshold)}: calibrate it on validation data (a recipe "
        "with `validation`) before the model is saved",
    )
    scores = _scores(f"{name}.score(images)", model.score, images)
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"{i}.png" for i in range(len(images))]
        for image, path in zip(images, paths, strict=True):
            image.save(path)
        from_paths = _scores(f"{name}.score(paths)", model.score, paths)
    _require(
        torch.allclose(scores, from_paths, rtol=1e-5, atol=1e-6),
        f"paths or images: {name}.score gave {from_paths.tolist()} for image files but {scores.tolist()} "
        "for the same images: read paths with zoo.images.to_batch",
    )


#: the contract of each task (``GANModel.task``), checked on a model in eval mode
TASK_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "generate": check_generate,
    "text_to_image": check_text_to_image,
    "translate": check_translate,
    "upscale": check_upscale,
    "score": check_score,
}


def check_plugin(name: str, budget_ms: float = SLOW_IMPORT_MS) -> float:
    """Import plugin ``name``'s entry-point module in a fresh process: it must not import torch and must take
    at most ``budget_ms`` (after ``import zoo``); returns the milliseconds it took."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    _require(
        name in found,
        f"no installed plugin is named {name!r} (installed: {', '.join(sorted(found))}): install the "
        f"distribution whose [project.entry-points.{ENTRY_POINT_GROUP}] names it (pip install -e .)",
    )
    module = found[name].value.split(":")[0]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # what this process sees
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    _require(
        proc.returncode == 0,
        f"import: plugin {name!r}'s module {module} fails to import in a fresh process:\n"
        + proc.stderr[-2000:],
    )
    probe = json.loads(proc.stdout.splitlines()[-1])
    _require(
        not probe["torch"],
        f"no torch at discovery: importing plugin {name!r}'s module {module} imports torch, so every `zoo` "
        f"command (even `zoo list`) pays for importing torch: {LIGHT_DISCOVERY}",
    )
    _require(
        probe["ms"] <= budget_ms,
        f"import time: importing plugin {name!r}'s module {module} took {probe['ms']:.0f} ms, over the "
        f"budget of {budget_ms:.0f} ms that every `zoo` command pays: {LIGHT_DISCOVERY}",
    )
    return probe["ms"]


_IMPORT_PROBE = """
import importlib, json, sys, time
import zoo  # every plugin imports the core: its cost is not the plugin's
start = time.perf_counter()
importlib.import_module({module!r})
print(json.dumps({{"torch": "torch" in sys.modules, "ms": (time.perf_counter() - start) * 1000}}))
"""


def check_entries(plugin: str) -> list[str]:
    """Every named model ``plugin`` registers has weights with a registered sha256 that the bundled file
    matches, and ``zoo.load`` loads it (verifying the hash) in eval mode; returns the names checked.

    A released original (``weights.url``, converted on first use) is checked offline: its config must
    fit its model class; its file is neither fetched nor loaded.
    """
    import zoo
    from zoo.plugins import manager
    from zoo.registry import registry
    from zoo.weights import sha256_of

    known = sorted(name for name, _ in manager().list_name_plugin())
    _require(plugin in known, f"no plugin named {plugin!r} is registered (found: {', '.join(known)})")
    names = []
    for entry in (e for e in registry().entries if e.plugin == plugin):
        name, weights = entry.qualified_name, entry.weights
        if entry.is_released:
            cls = registry().variant(entry.variant).model_class()
            _call(
                f"config: {cls.__name__}.check_config of {name}'s config",
                cls.check_config,
                entry.config,
                name,
            )
            names.append(name)
            continue
        _require(
            weights is not None and bool(weights.repo or weights.bundled),
            f"weights: {name} names no weights (weights.repo or weights.bundled) for zoo.load to load",
        )
        _require(
            bool(weights.sha256),
            f"sha256: {name} registers no weights.sha256, so its weights are loaded unverified: record the "
            "file's hash (zoo.weights.sha256_of(path)) in the entry",
        )
        if weights.bundled:
            _require(
                Path(weights.bundled).is_file(),
                f"weights: {name}'s bundled file {weights.bundled} is missing",
            )
            actual = sha256_of(weights.bundled)
            _require(
                actual == weights.sha256.lower(),
                f"sha256: {name}'s bundled file {weights.bundled} has sha256 {actual}, the entry registers "
                f"{weights.sha256}: record the hash of the file you ship (or ship the file it names)",
            )
        try:
            model = zoo.load(name)
        except ZooError as exc:
            raise ConformanceError(f"load: zoo.load({name!r}) fails: {exc}") from exc
        _require(not model.training, f"load: zoo.load({name!r}) must return the model in eval mode")
        names.append(name)
    return names


def _call(what: str, method: Callable[..., Any], *args: Any) -> Any:
    """``method(*args)``; an exception on valid input breaks the contract too."""
    try:
        return method(*args)
    except Exception as exc:
        raise ConformanceError(f"{what} raised {type(exc).__name__}: {exc}") from exc


def _check_pil(what: str, out: Any) -> Image.Image:
    from PIL import Image

    _require(
        isinstance(out, Image.Image),
        f"kind: {what} of a PIL image must return a PIL image (the input's kind; zoo.images.to_batch gives "
        f"the conversion back), got {_kind(out)}",
    )
    return out


def _scores(what: str, score: Callable[[Any], Any], items: list[Any]) -> torch.Tensor:
    import torch

    result = _call(what, score, items)
    try:
        values = torch.as_tensor(result, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ConformanceError(
            f"one float per input: {what} must return numbers, got {_kind(result)}"
        ) from exc
    _require(
        values.dim() == 1 and len(values) == len(items),
        f"one float per input: {what} of {len(items)} inputs must return {len(items)} scores, got "
        f"{_kind(result)}",
    )
    _require(bool(torch.isfinite(values).all()), f"finite: {what} returned {values.tolist()}")
    return values


def _kind(value: Any) -> str:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    return f"{type(value).__name__}" + (f" of shape {tuple(shape)}, {dtype}" if shape is not None else "")


def _random_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """A seeded random RGB image."""
    import torch
    from PIL import Image

    gen = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (height, width, 3), generator=gen, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy())


def _training_captions(data: str | dict[str, Any]) -> list[str]:
    """The captions of the first two training items, to check a text-to-image model in its own words."""
    from zoo.data import build_dataset

    dataset = build_dataset(data, split="train")
    captions = [dataset[i].get("caption") for i in range(min(2, len(dataset)))]
    if len(captions) < 2 or not all(isinstance(c, str) for c in captions):
        raise ValueError(f"the data {data!r} gives no two captions: pass inputs=[caption, caption, ...]")
    return captions
