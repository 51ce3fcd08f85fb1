"""The evaluation command: a model's quality numbers with their protocol, as JSON for the registry.

``python -m zoo.metrics.evaluate RUN_DIR_OR_MODEL_NAME [--n N] [--seed S] [--data SPEC] [--json OUT]``
loads the model with ``zoo.load`` (a run directory, a registry name or ``hf-hub:user/repo``), takes the
dataset from the run's recipe or the registry entry's recipe file (``--data`` overrides), evaluates it
and prints ``{metrics..., "protocol", "data", "seed", "model", "command"}``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

from zoo.artifacts import CONFIG
from zoo.io import atomic_path

PROG = "python -m zoo.metrics.evaluate"


def recipe_data(target: str) -> str | dict[str, Any]:
    """The data spec ``target`` was trained on: from its run's ``config.json`` or its registry recipe."""
    run_config = Path(target) / CONFIG
    if run_config.is_file():
        data = json.loads(run_config.read_text()).get("recipe", {}).get("data")
        where = str(run_config)
    else:
        from zoo.registry import registry

        entry = registry().find(target)
        if not entry.recipe:
            raise ValueError(
                f"the registry entry {entry.name!r} names no recipe: pass --data (e.g. --data mnist)"
            )
        recipe = entry.recipe_path
        data = yaml.safe_load(recipe.read_text()).get("data")
        where = str(recipe)
    if data is None:
        raise ValueError(f"{where} names no training data: pass --data (e.g. --data mnist)")
    return data


def evaluate_target(
    target: str,
    n: int | None = None,
    seed: int = 0,
    data: str | dict[str, Any] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Load ``target``, evaluate it on its data (or ``data``) and return the numbers with their protocol."""
    import zoo
    from zoo.metrics.suite import default_n, evaluate, protocol

    spec = data if data is not None else recipe_data(target)
    n = default_n(spec) if n is None else n
    model = zoo.load(target, device=device)
    result = evaluate(model, spec, n=n, seed=seed)
    return {**result, "protocol": protocol(spec, n, seed), "data": spec, "seed": seed, "model": target}


def _data_arg(text: str) -> str | dict[str, Any]:
    """``--data mnist`` or ``--data '{name: mnist, size: 28}'`` (YAML/JSON mapping)."""
    value = yaml.safe_load(text)
    if not isinstance(value, (str, dict)):
        raise argparse.ArgumentTypeError(f"--data must be a dataset name or a mapping, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog=PROG, description="Evaluate a generator; print JSON with its protocol."
    )
    parser.add_argument("target", help="a run directory, a registry model name or hf-hub:user/repo[@rev]")
    parser.add_argument(
        "--n", type=int, default=None, help="samples (default: 1000 digits, 2500 mixture points)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the samples and of the floor's real draws"
    )
    parser.add_argument("--data", type=_data_arg, default=None, help="override the dataset, e.g. mnist")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", type=Path, default=None, help="also write the result to this file")
    args = parser.parse_args(argv)
    out = evaluate_target(args.target, args.n, args.seed, args.data, args.device)
    out["command"] = " ".join([PROG, *map(shlex.quote, argv)])
    text = json.dumps(out, indent=2)
    if args.json is not None:
        with atomic_path(args.json) as tmp:
            tmp.write_text(text + "\n")
    print(text)
    return 0
