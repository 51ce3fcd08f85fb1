"""The ``zoo`` command line: list | info | plugins | run | train | download | publish | convert.

Listing and describing models must not import torch, so this module imports heavy code only
inside the commands that need it. Errors from bad input print ``error: <message>`` and exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo.model import GANModel

#: Exit status for errors caused by bad input (argparse uses the same for bad arguments).
EXIT_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``zoo`` command; returns the process exit status."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.quiet)
    try:
        return args.command(args) or 0
    except (ZooError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `zoo info NAME | head`: the reader left early; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from zoo import __version__

    parser = argparse.ArgumentParser(
        prog="zoo", description="gan-zoo: pretrained GANs, training, publishing."
    )
    parser.add_argument("--version", action="version", version=f"gan-zoo {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print warnings and errors on stderr")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="list models (does not import torch)")
    p.add_argument("pattern", nargs="?", default="*", help="wildcard, e.g. 'dcgan*' (default: all)")
    p.set_defaults(command=cmd_list)

    p = sub.add_parser("info", help="a model's config, weights source, licence, metrics and protocol")
    p.add_argument("name", help="model name, variant alias or plugin:name")
    p.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    p.set_defaults(command=cmd_info)

    p = sub.add_parser("plugins", help="installed plugins with distribution, version and status")
    p.set_defaults(command=cmd_plugins)

    p = sub.add_parser("run", help="run a model on its task; generate models write a sample grid")
    p.add_argument("name", help="model name, alias, plugin:name, hf-hub:user/repo[@rev] or a run directory")
    p.add_argument(
        "inputs",
        nargs="*",
        help="inputs of the model's task (none for generate; image files or folders for score; captions "
        "for text_to_image)",
    )
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--out", default="grid.png", help="output image (default grid.png); a .csv for score models"
    )
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--direction", help="translate models with two directions (CycleGAN): AtoB or BtoA")
    p.set_defaults(command=cmd_run)

    p = sub.add_parser("train", help="train from a model's recipe or a recipe YAML")
    p.add_argument("target", metavar="NAME_OR_RECIPE", help="model name, alias, or recipe YAML path")
    p.add_argument("--out", required=True, help="run directory (checkpoints, samples, metrics, weights)")
    p.add_argument(
        "--data",
        help="dataset: mnist, gaussians25, gaussians8, an image folder or a YAML mapping {name: ...}",
    )
    p.add_argument(
        "--validation",
        help="labelled validation data (ganomaly): a folder with good/ and anomaly/ or a YAML mapping",
    )
    p.add_argument("--steps", type=int, help="total optimisation steps")
    p.add_argument("--batch-size", type=int, help="batch size per process")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's checkpoint")
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe value (dotted keys, YAML values), e.g. --set optimizers.generator.lr=1e-4",
    )
    p.set_defaults(command=cmd_train)

    p = sub.add_parser("download", help="fetch a model's weights into the Hugging Face cache")
    p.add_argument("name", help="model name, alias or plugin:name")
    p.set_defaults(command=cmd_download)

    p = sub.add_parser("publish", help="upload a run directory to a Hugging Face Hub repo")
    p.add_argument("run", help="run directory written by `zoo train`")
    p.add_argument("--repo-id", required=True, help="user/name of the Hub repo (created when missing)")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--token", help="Hub token with write access (default: HF_TOKEN or the saved login)")
    p.set_defaults(command=cmd_publish)

    p = sub.add_parser(
        "convert", help="convert checkpoints saved by a model's original code to a model directory"
    )
    p.add_argument("variant", help="the variant whose original code saved them, e.g. pix2pix or cyclegan")
    p.add_argument("checkpoints", nargs="+", help="checkpoint files (.pth; cyclegan: G_A then G_B)")
    p.add_argument("--out", required=True, help="directory for model.safetensors and config.json")
    p.add_argument("--netG", help="generator the files must hold, e.g. unet_256 (default: what they hold)")
    p.add_argument("--norm", help="normalisation they must use: batch, instance or none")
    p.add_argument("--vocabulary", help="attngan: the original captions.pickle (plain data; saved as JSON)")
    p.set_defaults(command=cmd_convert)
    return parser


def _configure_logging(quiet: bool) -> None:
    """Show the zoo's INFO messages (which weights file was used, ...) on stderr unless ``--quiet``."""
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger("zoo").setLevel(logging.WARNING if quiet else logging.INFO)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with an upper-case header line."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    return "\n".join(lines)


def headline_metric(metrics: dict[str, Any]) -> str:
    """The first numeric metric as ``name value`` (a number, or a mapping with a numeric ``value``)."""
    for name, value in metrics.items():
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{name} {value:.4g}"
    return ""


def cmd_list(args: argparse.Namespace) -> int:
    """``zoo list [PATTERN]``: a pattern without wildcards matches names containing it."""
    from zoo.registry import registry

    pattern = args.pattern if any(c in args.pattern for c in "*?[") else f"*{args.pattern}*"
    entries = registry().list(pattern)
    if not entries:
        print(f"no model matches {args.pattern!r}; `zoo list` shows every model", file=sys.stderr)
        return 1
    names = [e.name for e in entries]
    rows = [
        [
            e.qualified_name if names.count(e.name) > 1 else e.name,
            e.variant,
            e.task,
            e.params,
            headline_metric(e.metrics),
        ]
        for e in entries
    ]
    print(format_table(["NAME", "VARIANT", "TASK", "PARAMS", "METRIC"], rows))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``zoo info NAME``: everything the registry knows, plus the command that retrains it."""
    import zoo

    info = zoo.info(args.name)
    if info.get("recipe"):
        info["reproduce"] = f"zoo train {info['plugin']}:{info['name']} --out runs/{info['name']}"
    if args.json:
        import json

        print(json.dumps(info, indent=2))
    else:
        import yaml

        print(yaml.safe_dump(info, sort_keys=False, allow_unicode=True, width=100).rstrip())
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    """``zoo plugins``: each plugin's distribution, version, status and variants; failures with errors."""
    from zoo.plugins import plugin_infos
    from zoo.registry import registry

    variants = registry().variants.values()  # first: a plugin whose hooks raise is marked failed here
    infos = plugin_infos()
    rows = [
        [
            p.name,
            p.distribution,
            p.version,
            p.status,
            ", ".join(sorted(v.name for v in variants if v.plugin == p.name)),
        ]
        for p in infos
    ]
    print(format_table(["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "VARIANTS"], rows))
    for p in infos:
        if p.status != "ok":
            print(f"\n{p.name} ({p.module}) failed to load: {p.error}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``zoo run NAME [INPUTS...]``: load a model and run its task (see ``TASK_RUNNERS``)."""
    import zoo

    model = zoo.load(args.name, device=args.device)
    runner = TASK_RUNNERS.get(model.task)
    if runner is None:
        raise ValueError(
            f"`zoo run` cannot run the task {model.task!r} of {args.name!r} yet "
            f"(it runs: {', '.join(sorted(TASK_RUNNERS))}); call it from Python after zoo.load({args.name!r})"
        )
    out = runner(model, args)
    print(out)
    return 0


def run_generate(model: GANModel, args: argparse.Namespace) -> Path:
    """Sample ``--n`` outputs with ``--seed`` and save them to ``--out`` (an image grid or a scatter plot)."""
    if args.inputs:
        raise ValueError(f"generate models take no inputs, got {args.inputs}")
    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}")
    from zoo.images import image_format, save_samples

    out = Path(args.out)
    image_format(out)  # an unknown extension fails before sampling
    return save_samples(model.generate(args.n, seed=args.seed), out)


def run_translate(model: GANModel, args: argparse.Namespace) -> Path:
    """Translate the one input image (``--direction`` for two-way models) and save it to ``--out``."""
    from zoo.images import image_format, save_image

    if len(args.inputs) != 1:
        raise ValueError(
            f"translate models take one input image (zoo run NAME in.png --out out.png), got {args.inputs}"
        )
    options = {"direction": args.direction} if args.direction else {}
    out = Path(args.out)
    image_format(out)  # an unknown extension fails before the model runs
    return save_image(model.translate(Path(args.inputs[0]), **options), out)


def run_score(model: GANModel, args: argparse.Namespace, batch_size: int = 64) -> Path:
    """Score image files and folders (searched recursively) into the CSV ``--out``, with a progress bar.

    Columns: ``path``, ``score`` (higher is more anomalous), ``is_anomaly`` (the score at or above the
    model's stored ``threshold``). Written atomically: a failing run leaves no CSV behind.
    """
    import csv

    from tqdm.auto import tqdm

    from zoo.data.folder import image_files
    from zoo.io import atomic_path

    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise ValueError(f"score models write a CSV: pass --out scores.csv (got --out {out})")
    if not args.inputs:
        raise ValueError("score models take image files or folders: zoo run NAME DIR --out scores.csv")
    files = [f for item in map(Path, args.inputs) for f in (image_files(item) if item.is_dir() else [item])]
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as f, tqdm(total=len(files), unit="img") as bar:
        writer = csv.writer(f)
        writer.writerow(["path", "score", "is_anomaly"])
        threshold = float(model.threshold)
        for start in range(0, len(files), batch_size):
            chunk = files[start : start + batch_size]
            scores = model.score(chunk).tolist()
            writer.writerows(
                [str(p), f"{s:.6g}", int(s >= threshold)] for p, s in zip(chunk, scores, strict=True)
            )
            bar.update(len(chunk))
    return out


def run_upscale(model: GANModel, args: argparse.Namespace) -> Path:
    """Upscale the one input image to ``--out``, tile by tile with a progress bar (none with ``--quiet``)."""
    from zoo.images import image_format, save_image

    if len(args.inputs) != 1:
        raise ValueError(
            f"upscale models take one input image (zoo run srgan in.png --out out.png), got {args.inputs}"
        )
    out = Path(args.out)
    image_format(out)  # an unknown extension fails before the model runs
    return save_image(model.upscale(Path(args.inputs[0]), progress=not args.quiet), out)


def run_text_to_image(model: GANModel, args: argparse.Namespace) -> Path:
    """One image per caption (each input is a caption) with ``--seed``, saved to ``--out`` as a grid."""
    from zoo.images import image_format, save_grid

    if not args.inputs:
        raise ValueError('text-to-image models take captions: zoo run NAME "a red circle" --out out.png')
    image_format(args.out)  # an unknown extension fails before the model runs
    return save_grid(model.generate(args.inputs, seed=args.seed), args.out)


#: What ``zoo run`` does for each task; a plugin with a new task adds its runner here.
TASK_RUNNERS: dict[str, Callable[[Any, argparse.Namespace], Path]] = {
    "generate": run_generate,
    "translate": run_translate,
    "score": run_score,
    "upscale": run_upscale,
    "text_to_image": run_text_to_image,
}


def data_spec(raw: str | None) -> str | dict[str, Any] | None:
    """``--data``: a name or folder as given, or a YAML mapping (``{name: folder, path: DIR, size: 64}``)."""
    if raw is None or not raw.lstrip().startswith("{"):
        return raw
    import yaml

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ValueError(f"--data {raw!r} is not a valid YAML mapping: {exc}") from exc


def cmd_train(args: argparse.Namespace) -> int:
    """``zoo train``: a model's, variant's or YAML file's recipe, with command-line overrides."""
    from zoo.overrides import apply_override
    from zoo.trainer import train
    from zoo.trainer.recipe import resolve_config

    if Path(args.target).suffix in (".yaml", ".yml") and not Path(args.target).is_file():
        raise FileNotFoundError(f"recipe file {args.target} does not exist")
    config, _ = resolve_config(args.target, data_spec(args.data))
    for assignment in args.sets:
        apply_override(config, assignment)
    options = {
        "data": data_spec(args.data),
        "validation": data_spec(args.validation),
        "steps": args.steps,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    run_dir = train(config, resume=args.resume, out=args.out, **options)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, one line from the main process
        print(run_dir)
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    """``zoo download NAME``: fill the Hugging Face cache so later loads work offline."""
    from zoo.hub_download import download

    print(download(args.name))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """``zoo publish RUN --repo-id ID``: upload weights, config.json and a model card; prints the commit."""
    import zoo

    commit = zoo.publish(args.run, args.repo_id, token=args.token, private=args.private)
    print(commit)
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    """``zoo convert VARIANT CHECKPOINT... --out DIR``: prints the directory, loadable with zoo.load(DIR)."""
    from zoo.convert import convert

    given = (("netG", args.netG), ("norm", args.norm), ("vocabulary", args.vocabulary))
    options = {k: v for k, v in given if v is not None}
    print(convert(args.variant, args.checkpoints, args.out, **options))
    return 0
