"""The ``zoo`` command line: list | info | plugins | run | train | download | publish | convert | evaluate |
bundle, plus the commands plugins add through the ``register_commands`` hook.

Listing and describing models must not import torch, so this module imports heavy code only
inside the commands that need it. Every failure ends with one ``error: <message>`` line on stderr:
bad input (a ``ZooError``, ``ValueError`` or ``OSError``, a full disk, too little memory) exits 2; any
other exception is a bug in the zoo or a plugin, reported as an internal error with exit status 1.
``--debug`` prints the traceback before that line.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shlex
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo.model import GANModel
    from zoo.tasks import Task

#: Exit status for errors caused by bad input (argparse uses the same for bad arguments).
EXIT_ERROR = 2
#: Exit status for an unexpected exception: a bug to report, not a mistake of the user's.
EXIT_INTERNAL = 1
#: The most samples ``zoo run`` draws at once (one grid image); more: call ``generate`` in batches.
MAX_SAMPLES = 10_000
#: ``zoo run --n`` when not given (generate tasks only)
DEFAULT_SAMPLES = 64


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``zoo`` command; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command as typed, recorded by `zoo evaluate`
    _configure_logging(args.quiet)
    try:
        return args.command(args) or 0
    except BrokenPipeError:  # `zoo info NAME | head`: the reader left early; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        message = error_message(exc)
        if message is None:
            hint = "" if args.debug else "; rerun with --debug and report it"
            first = next(iter(str(exc).splitlines()), "")
            print(f"error: internal error: {type(exc).__name__}: {first}{hint}", file=sys.stderr)
            return EXIT_INTERNAL
        print(f"error: {message}", file=sys.stderr)
        return EXIT_ERROR


def error_message(exc: Exception) -> str | None:
    """What went wrong and what to do, for the errors bad input causes; ``None`` for any other (a bug)."""
    text = str(exc)
    if "Original Traceback" in text:  # raised in a DataLoader worker: the original's last line is the error
        text = text.rstrip().splitlines()[-1].partition(": ")[2]
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = exc.filename or "the output"
        return f"no space left on device while writing {where}: free space or choose another --out"
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    if isinstance(exc, (ZooError, ValueError, OSError)):
        return text
    if isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)
    ):
        first = text.splitlines()[0] if text else type(exc).__name__
        return f"not enough memory ({first}): lower --n or --batch-size, or use another --device"
    return None


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors ending in one ``error:`` line like every other failure of the zoo."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"error: {message} (`{self.prog} --help` explains every argument)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from zoo import __version__

    parser = _Parser(prog="zoo", description="gan-zoo: pretrained GANs, training, publishing.")
    parser.add_argument("--version", action="version", version=f"gan-zoo {__version__}")
    _add_global_options(parser, default=False)
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
        help="inputs of the model's task: none for generate, one image file for translate and upscale, image "
        "files or folders for score, captions for text_to_image (plugins' tasks say theirs)",
    )
    p.add_argument(
        "--n",
        type=int,
        help=f"number of samples of generate models (default {DEFAULT_SAMPLES}, at most {MAX_SAMPLES})",
    )
    p.add_argument("--seed", type=_seed, default=0, help="random seed, 0 or more (default 0)")
    p.add_argument(
        "--out", default="grid.png", help="output image (default grid.png); a .csv for score models"
    )
    p.add_argument("--device", default="cpu", help="torch device: cpu, cuda, cuda:N, mps (default cpu)")
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
    p.add_argument("--seed", type=_seed, help="random seed, 0 or more")
    p.add_argument("--resume", action="store_true", help="continue from the run directory's checkpoint")
    _add_set_option(p, "a recipe value (dotted keys, YAML values), e.g. --set optimizers.generator.lr=1e-4")
    p.set_defaults(command=cmd_train)

    p = sub.add_parser(
        "download",
        help="fetch a model's weights into the Hugging Face cache (a released original's: into gan-zoo's "
        "cache, converted)",
    )
    p.add_argument("name", help="model name, alias, plugin:name or hf-hub:user/repo[@rev] (a published run)")
    p.add_argument(
        "--file",
        help="a released original's .pth fetched by hand (where this machine cannot reach its URL): hashed, "
        "recorded and converted into gan-zoo's cache",
    )
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
    p.add_argument(
        "checkpoints", nargs="+", help="checkpoint files or http(s) URLs (.pth; cyclegan: G_A then G_B)"
    )
    p.add_argument("--out", required=True, help="directory for model.safetensors and config.json")
    p.add_argument("--netG", help="generator the files must hold, e.g. unet_256 (default: what they hold)")
    p.add_argument("--norm", help="normalisation they must use: batch, instance or none")
    p.add_argument(
        "--dropout",
        action=argparse.BooleanOptionalAction,
        help="pix2pix/cyclegan: the generator was trained with dropout (a U-Net file cannot tell; default: "
        "pix2pix on, cyclegan off; a ResNet file tells, and a disagreeing option is an error)",
    )
    p.add_argument("--vocabulary", help="attngan: the original captions.pickle (plain data; saved as JSON)")
    p.add_argument(
        "--ema", action="store_true", help="a training checkpoint's ema_state_dict (SRGAN-PyTorch)"
    )
    p.set_defaults(command=cmd_convert)

    p = sub.add_parser("evaluate", help="a model's quality numbers with their protocol, as JSON")
    p.add_argument("target", help="model name, alias, plugin:name, hf-hub:user/repo[@rev] or a run directory")
    p.add_argument("--n", type=int, help="samples or test items (default: the protocol's, e.g. 1000 digits)")
    p.add_argument(
        "--seed", type=_seed, default=0, help="seed of the samples and of drawn subsets (default 0)"
    )
    p.add_argument("--data", help="dataset to evaluate on (default: the one it was trained on), e.g. mnist")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="also write the result to this file")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.set_defaults(command=cmd_evaluate)

    p = sub.add_parser("bundle", help="a run's weights for a catalogue entry: only what its config builds")
    p.add_argument("run", help="run directory written by `zoo train`")
    p.add_argument("out", help="the .safetensors file to write")
    _add_set_option(p, "the run's model config (YAML values), e.g. --set discriminators=false")
    p.add_argument("--dtype", help="dtype of the floating tensors, e.g. float16 (default: as trained)")
    p.add_argument("--source", default="", help="metadata: where the weights come from (default: RUN)")
    p.add_argument("--catalogue", metavar="YAML", help="catalogue whose entry gets the file's sha256")
    p.add_argument("--entry", metavar="NAME", help="the entry of --catalogue to update")
    p.set_defaults(command=cmd_bundle)

    p = sub.add_parser(
        "release",
        help="publish a distribution's bundled models to ORG/<name> and pin their catalogue to them",
    )
    p.add_argument(
        "names", nargs="*", help="models to release (default: every bundled model of --distribution)"
    )
    p.add_argument("--org", required=True, help="Hub namespace of the repos, e.g. gan-zoo")
    p.add_argument("--distribution", default="gan-zoo", help="whose plugins' models (default gan-zoo)")
    p.add_argument("--token", help="Hub token with write access (default: HF_TOKEN or the saved login)")
    p.add_argument("--private", action="store_true", help="create the repos as private")
    p.set_defaults(command=cmd_release)

    p = sub.add_parser("plot", help="draw a run's losses, D(x)/D(G(z)) and metrics from metrics.jsonl")
    p.add_argument("run", help="run directory written by `zoo train`")
    p.add_argument("--out", metavar="PNG", help="the image to write (default: RUN/curves.png)")
    p.add_argument("--keys", nargs="+", metavar="KEY", help="logged values to draw (default: all but img/s)")
    p.set_defaults(command=cmd_plot)

    _add_plugin_commands(sub)
    for command in sub.choices.values():  # the global options after the command too: `zoo run NAME -q`
        _add_global_options(command, default=argparse.SUPPRESS)
    return parser


def _add_global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """``-q/--quiet`` and ``--debug``; on a subcommand, ``default=SUPPRESS`` keeps what came before it."""
    options = (
        (("-q", "--quiet"), "only print warnings and errors on stderr"),
        (("--debug",), "print the traceback of an error (to report a bug)"),
    )
    for flags, help in options:
        try:
            parser.add_argument(*flags, action="store_true", default=default, help=help)
        except argparse.ArgumentError:  # a plugin's command uses the flag for its own option
            pass


def _seed(text: str) -> int:
    """``--seed``: a whole number from 0 (torch would take a negative one and wrap it silently)."""
    seed = int(text) if text.lstrip("-").isdigit() else None
    if seed is None or not 0 <= seed < 2**63:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0 to 2**63-1, not {text!r}")
    return seed


def _add_set_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--set KEY=VALUE`` (repeatable, into ``args.sets``): overrides applied with ``apply_override``."""
    parser.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help=f"override {what}"
    )


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    """The subcommands of every plugin's ``register_commands`` hook, after the built-in ones."""
    from zoo.plugins import call_each

    for _ in call_each("register_commands", subparsers=sub):
        pass


def _configure_logging(quiet: bool) -> None:
    """Show the zoo's INFO messages (which weights file was used, ...) on stderr unless ``--quiet``, which
    also hides every progress bar: the zoo's follow the ``zoo`` logger's level, huggingface_hub's (downloads,
    uploads) are disabled."""
    logging.basicConfig(format="%(name)s: %(message)s")
    logging.getLogger("zoo").setLevel(logging.WARNING if quiet else logging.INFO)
    if quiet:
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # read when huggingface_hub is imported
        if "huggingface_hub" in sys.modules:  # already imported (main called from Python)
            from huggingface_hub.utils import disable_progress_bars

            disable_progress_bars()


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


#: ``zoo list``'s METRIC of a released original (``zoo info`` says more)
RELEASED = "none here: original release, converted on first use"


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
            RELEASED if e.is_released else headline_metric(e.metrics),
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
    """``zoo plugins``: each plugin's distribution, version, status, import time and variants; then the
    errors of failed plugins and a note for each plugin whose import is slow or pulls in torch."""
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
            f"{p.import_ms:.1f} ms" + (" (heavy)" if p.heavy else ""),
            ", ".join(sorted(v.name for v in variants if v.plugin == p.name)),
        ]
        for p in infos
    ]
    print(format_table(["PLUGIN", "DISTRIBUTION", "VERSION", "STATUS", "IMPORT", "VARIANTS"], rows))
    for p in infos:
        if p.status != "ok":
            print(f"\n{p.name} ({p.module}) failed to load: {p.error}")
        if p.heavy:
            print(f"\n{p.heavy}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``zoo run NAME [INPUTS...]``: load a model and run its task's runner (``zoo.tasks``); the inputs
    are checked against the task before the model is loaded where its task is known without loading it."""
    check_output_file(Path(args.out), "--out")  # first: before torch is imported
    import zoo
    from zoo.tasks import task, task_of
    from zoo.trainer.distributed import check_device

    known = task_of(args.name)
    if known is not None:
        _check_run_arguments(task(known), args)
    check_device(args.device)
    model = zoo.load(args.name, device=args.device)
    runner = task(model.task)
    if known is None:
        _check_run_arguments(runner, args)
    if args.n is None:
        args.n = DEFAULT_SAMPLES
    print(runner.run_function()(model, args))
    return 0


def _check_run_arguments(runner: Task, args: argparse.Namespace) -> None:
    """The inputs fit the task, and ``--n`` (samples from noise) is given to a task that takes none."""
    from zoo.tasks import INPUTS

    runner.check_inputs(args.inputs)
    if args.n is not None and runner.inputs != "none":
        raise ValueError(
            f"--n is the number of samples of models that generate from noise; {runner.name} models take "
            f"{INPUTS[runner.inputs][0]} and make one output for them: drop --n"
        )
    if args.n is not None:
        check_samples(args.n)


def check_samples(n: int) -> None:
    """``--n`` within 1 to ``MAX_SAMPLES``: one grid image, drawn in one batch."""
    if not 1 <= n <= MAX_SAMPLES:
        raise ValueError(
            f"--n must be from 1 to {MAX_SAMPLES} (one grid image), got {n}; for more samples call "
            "model.generate in batches from Python"
        )


def check_writable(folder: Path, option: str) -> None:
    """Fail fast, before a model or data is loaded, when nothing can be written into ``folder`` (or the
    nearest folder above it that exists: the missing ones are created later)."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"cannot write {option} into {folder}: {existing} is a file, not a folder")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as exc:
        raise ZooError(
            f"cannot write {option} into {folder}: {existing} is not writable ({exc.strerror}); "
            f"choose another {option} or change the folder's permissions"
        ) from exc


def check_output_file(path: Path, option: str) -> None:
    """Fail fast when the file ``path`` cannot be written: it is a folder, or its folder is not writable."""
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder: name the file to write, e.g. {path / 'out.png'}")
    check_writable(path.parent, option)


def run_generate(model: GANModel, args: argparse.Namespace) -> Path:
    """Sample ``--n`` outputs with ``--seed`` and save them to ``--out`` (an image grid or a scatter plot)."""
    from zoo.images import image_format, save_samples

    check_samples(args.n)
    out = Path(args.out)
    image_format(out)  # an unknown extension fails before sampling
    return save_samples(model.generate(args.n, seed=args.seed), out)


def run_translate(model: GANModel, args: argparse.Namespace) -> Path:
    """Translate the one input image (``--direction`` for two-way models) and save it to ``--out``."""
    import inspect

    from zoo.images import image_format, save_image

    options = {"direction": args.direction} if args.direction else {}
    if options and "direction" not in inspect.signature(model.translate).parameters:
        raise ValueError(
            f"{type(model).__name__} translates in one direction only (the one it was trained on): "
            "drop --direction"
        )
    out = Path(args.out)
    image_format(out)  # an unknown extension fails before the model runs
    return save_image(model.translate(Path(args.inputs[0]), **options), out)


def run_score(model: GANModel, args: argparse.Namespace, batch_size: int = 64) -> Path:
    """Score image files and folders (searched recursively) into the CSV ``--out``, with a progress bar
    (none with ``--quiet``).

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
    files = [f for item in map(Path, args.inputs) for f in (image_files(item) if item.is_dir() else [item])]
    bar = tqdm(total=len(files), unit="img", disable=args.quiet)
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as f, bar:
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
    """Upscale the one input image to ``--out``, tile by tile with a progress bar (none with ``--quiet``).

    A PNG is written band by band when the model can stream (``upscale(..., out=PATH)``), so the output
    never has to fit in memory; other formats are assembled in memory, then saved.
    """
    import inspect

    from zoo.images import image_format, save_image

    out, image = Path(args.out), Path(args.inputs[0])
    fmt = image_format(out)  # an unknown extension fails before the model runs
    if fmt == "PNG" and "out" in inspect.signature(model.upscale).parameters:
        return model.upscale(image, progress=not args.quiet, out=out)
    return save_image(model.upscale(image, progress=not args.quiet), out)


def run_text_to_image(model: GANModel, args: argparse.Namespace) -> Path:
    """One image per caption (each input is a caption) with ``--seed``, saved to ``--out`` as a grid."""
    from zoo.images import image_format, save_grid

    image_format(args.out)  # an unknown extension fails before the model runs
    return save_grid(model.generate(args.inputs, seed=args.seed), args.out)


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
    """``zoo train``: a model's, variant's or YAML file's recipe, with command-line overrides; with
    ``--resume`` the recipe recorded in the run's checkpoint, with only the changes a resumed run may make."""
    from zoo.overrides import apply_override
    from zoo.trainer import train
    from zoo.trainer.recipe import resolve_config

    if Path(args.target).suffix in (".yaml", ".yml") and not Path(args.target).is_file():
        raise FileNotFoundError(f"recipe file {args.target} does not exist")
    check_writable(Path(args.out), "--out")
    options = {
        "data": data_spec(args.data),
        "validation": data_spec(args.validation),
        "steps": args.steps,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }
    if args.resume:
        config = _resumed_config(args, options)
    else:
        config, _ = resolve_config(args.target, options["data"])
        for assignment in args.sets:
            apply_override(config, assignment)
    run_dir = train(config, resume=args.resume, out=args.out, **options)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, one line from the main process
        print(run_dir)
    return 0


def _resumed_config(args: argparse.Namespace, options: dict[str, Any]) -> dict[str, Any]:
    """The recipe recorded in ``--out``'s checkpoint with the options and ``--set`` values given; one that
    changes a field a resumed run may not change (``RESUMABLE_CHANGES``) is an error naming the options."""
    import copy

    from zoo.artifacts import CHECKPOINT
    from zoo.overrides import apply_override
    from zoo.registry import registry
    from zoo.trainer.checkpoint import load_checkpoint
    from zoo.trainer.recipe import RESUMABLE_CHANGES, RecipeError, refused_changes, resolve_config

    recorded = load_checkpoint(Path(args.out) / CHECKPOINT)["recipe"]
    target = resolve_config(args.target, recorded["data"])[0].get("variant")
    variant = recorded["variant"]
    if target is not None and registry().variant(target).name != registry().variant(variant).name:
        raise RecipeError(
            f"{args.out} is a run of the variant {variant!r}, not {target!r}: resume it with "
            f"`zoo train {variant} --out {args.out} --resume`, or start a new run with another --out"
        )
    config = copy.deepcopy(recorded)
    refused: dict[str, list[str]] = {}  # option -> the fields it would change
    for name, value in options.items():
        if value is not None and (fields := refused_changes(recorded, {name: value})):
            refused[f"--{name.replace('_', '-')}"] = fields
    for assignment in args.sets:
        changed = copy.deepcopy(config)
        apply_override(changed, assignment)
        if fields := refused_changes(recorded, changed):
            refused[f"--set {assignment}"] = fields
        else:
            config = changed
    if refused:
        named = "; ".join(f"{option} (changes {', '.join(f)})" for option, f in refused.items())
        raise RecipeError(
            f"cannot resume {args.out} with {named}: --resume continues the run with the recipe in its "
            f"checkpoint, and only {', '.join(sorted(RESUMABLE_CHANGES - {'out'}))} may change. "
            "Leave those options out, or start a new run with another --out"
        )
    return config


def cmd_download(args: argparse.Namespace) -> int:
    """``zoo download NAME``: fill the Hugging Face cache so later loads work offline; a released
    original is downloaded (or taken from ``--file``) and converted into gan-zoo's cache."""
    from zoo.hub_download import HUB_PREFIX, download
    from zoo.originals import download as download_original
    from zoo.registry import registry

    entry = None if args.name.startswith(HUB_PREFIX) else registry().find(args.name)
    if entry is not None and entry.is_released:
        print(download_original(entry, args.file))
        return 0
    if args.file is not None:
        raise ValueError(
            f"--file is for released originals (converted on first use from their URL); {args.name} is not "
            "one: drop --file"
        )
    print(download(args.name))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """``zoo publish RUN --repo-id ID``: upload weights, config.json and a model card; prints the commit."""
    import zoo

    commit = zoo.publish(args.run, args.repo_id, token=args.token, private=args.private)
    print(commit)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``zoo evaluate TARGET``: the model's task evaluator (``zoo.tasks``) on its data; prints JSON with the
    protocol and the command itself, and writes it to ``--json OUT`` too."""
    if args.json_out is not None:
        check_output_file(Path(args.json_out), "--json")  # before the minutes of evaluation
    import json

    from zoo.io import atomic_path
    from zoo.metrics.report import evaluate_target
    from zoo.trainer.distributed import check_device

    check_device(args.device)
    result = evaluate_target(args.target, args.n, args.seed, data_spec(args.data), args.device)
    result["command"] = shlex.join(["zoo", *args.argv])
    text = json.dumps(result, indent=2)
    if args.json_out is not None:
        with atomic_path(Path(args.json_out)) as tmp:
            tmp.write_text(text + "\n")
    print(text)
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    """``zoo bundle RUN OUT``: the run's tensors its (``--set``-overridden) config builds, in ``--dtype``;
    prints the file, its sha256 and size as JSON, and records the sha256 in ``--catalogue``'s ``--entry``."""
    check_output_file(Path(args.out), "OUT")
    import json

    from zoo.bundle import bundle
    from zoo.loading import _dtype
    from zoo.overrides import apply_override

    if (args.catalogue is None) != (args.entry is None):  # before any work
        raise ValueError("--catalogue YAML and --entry NAME go together: the entry whose sha256 to update")
    overrides: dict[str, Any] = {}
    for assignment in args.sets:
        apply_override(overrides, assignment)
    dtype = _dtype(args.dtype)
    sha = bundle(args.run, args.out, overrides, dtype, args.source, args.catalogue, args.entry)
    print(json.dumps({"file": args.out, "sha256": sha, "bytes": Path(args.out).stat().st_size}))
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``zoo plot RUN``: the run's curves as a PNG (matplotlib, imported here); prints its path."""
    if args.out is not None:
        check_output_file(Path(args.out), "--out")
    from zoo.plot import plot_run

    print(plot_run(args.run, args.out, args.keys))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    """``zoo convert VARIANT CHECKPOINT... --out DIR``: prints the directory, loadable with zoo.load(DIR)."""
    from zoo.originals import convert_sources

    given = (
        ("netG", args.netG),
        ("norm", args.norm),
        ("dropout", args.dropout),
        ("vocabulary", args.vocabulary),
    )
    options = {k: v for k, v in given if v is not None}
    print(convert_sources(args.variant, args.checkpoints, args.out, ema=args.ema, **options))
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """``zoo release --org ORG [NAME...]``: prints each model's repo and commit as it is pinned."""
    from zoo.release import release

    published = release(
        args.org, args.names, distribution=args.distribution, token=args.token, private=args.private
    )
    for name, commit in published.items():
        print(f"{name}  {args.org}/{name}@{commit}")
    return 0
