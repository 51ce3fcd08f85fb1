"""Bundled weights from a run: only the tensors a registry entry's config builds, optionally in float16.

``python -m zoo.bundle RUN OUT [--set KEY=VALUE ...] [--dtype float16] [--source TEXT]`` builds the run's
model with its ``config.json`` overridden by ``--set`` (e.g. ``discriminators=false``: the entry's
``config``), keeps the run's tensors that model has (strictly: a tensor it lacks is an error), casts the
floating ones to ``--dtype`` and writes them to OUT atomically with the metadata ``variant``, ``source``,
``steps`` and ``dtype``. It prints OUT's sha256 for the entry's ``weights.sha256``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors.torch import save_file

from zoo.artifacts import CONFIG, WEIGHTS, read_run_config
from zoo.errors import WeightsError
from zoo.io import atomic_path
from zoo.loading import _dtype, load
from zoo.weights import read_weights, sha256_of


def bundle(
    run: str | Path,
    out: str | Path,
    overrides: dict[str, Any] | None = None,
    dtype: torch.dtype | None = None,
    source: str = "",
) -> str:
    """Write the bundle of ``run`` (see the module doc) to ``out`` and return its sha256."""
    run = Path(run)
    config = read_run_config(run / CONFIG, str(run))
    wanted = load(run, pretrained=False, **(overrides or {})).state_dict().keys()  # zoo.load's config errors
    state = read_weights(run / WEIGHTS)
    missing = sorted(wanted - state.keys())
    if missing:
        raise WeightsError(f"{run}: the weights lack {len(missing)} tensors of the model: {missing[:5]}")
    keep = {
        key: (value.to(dtype) if dtype is not None and value.is_floating_point() else value).contiguous()
        for key, value in state.items()
        if key in wanted
    }
    metadata = {
        "variant": config["variant"],
        "source": source or str(run),
        "steps": str(config.get("steps", "?")),
        "dtype": ",".join(
            sorted({str(v.dtype).removeprefix("torch.") for v in keep.values() if v.is_floating_point()})
        ),
    }
    with atomic_path(out) as tmp:
        save_file(keep, str(tmp), metadata=metadata)
    return sha256_of(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.bundle", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a run directory written by `zoo train`")
    parser.add_argument("out", help="the bundled .safetensors file to write")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override")
    parser.add_argument("--dtype", default=None, help="floating tensors' dtype, e.g. float16")
    parser.add_argument("--source", default="", help="metadata: where the weights come from")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set {item!r} is not KEY=VALUE")
        overrides[key] = yaml.safe_load(value)
    try:
        dtype = _dtype(args.dtype)
    except ValueError as exc:
        parser.error(f"--dtype: {exc}")
    sha = bundle(args.run, args.out, overrides, dtype, args.source)
    print(json.dumps({"file": str(args.out), "sha256": sha, "bytes": Path(args.out).stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
