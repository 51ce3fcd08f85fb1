"""mkdocs hooks: the pages generated at build time, never committed.

- ``models/index.md`` and ``models/NAME.md``: one page per entry of ``registry.yaml`` (what it does, its
  numbers and their protocol, its picture from docs/gallery.py, the code to load it), in the nav's "Models";
- ``cli.md``: the help of ``zoo`` and of every subcommand, from ``zoo.cli.build_parser()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

DOCS = Path(__file__).parent
REGISTRY = DOCS.parent / "registry.yaml"
#: the page that tells more about a variant's models
VARIANT_PAGES = {
    "srgan": "srgan.md",
    "attngan": "attngan.md",
    "cyclegan": "cyclegan.md",
    "ganomaly": "ganomaly.md",
    "pix2pix": "usage.md#image-to-image-models-and-original-checkpoints",
}
#: how each task is called from Python and from the command line ({name} is the model)
USAGE = {
    "generate": (
        "x = model.generate(16, seed=0)          # (16, C, H, W) in [0, 1], or (16, 2) points",
        "zoo run {name} --n 64 --seed 0 --out grid.png",
    ),
    "translate": (
        'out = model.translate("input.png")      # a PIL image of the same size',
        "zoo run {name} input.png --out out.png",
    ),
    "upscale": (
        'big = model.upscale("photo.png")        # a PIL image, 4x larger',
        "zoo run {name} photo.png --out photo_x4.png",
    ),
    "score": (
        "scores = model.score(images)            # one score per image; >= model.threshold: anomalous",
        "zoo run {name} images/ --out scores.csv",
    ),
    "text_to_image": (
        'images = model.generate(["a small red circle at the top left"], seed=0)',
        'zoo run {name} "a blue square" --out out.png',
    ),
}


def entries() -> dict[str, dict[str, Any]]:
    """The built-in catalogue, in file order."""
    return yaml.safe_load(REGISTRY.read_text())["models"]


def model_page(name: str, entry: dict[str, Any]) -> str:
    """The Markdown of one model's page."""
    from gallery import CURVE_CHANGES, CURVES, PICTURES, curves_file

    python, command = USAGE[entry["task"]]
    metrics = dict(entry.get("metrics", {}))
    protocol, evaluate = metrics.pop("protocol", ""), metrics.pop("command", f"zoo evaluate {name}")
    baselines = metrics.pop("baselines", None)
    alias = f" (the default `{entry['variant']}`)" if entry.get("default") else ""
    lines = [
        f"# {name}",
        "",
        f"{entry['summary']}.",
        "",
        "| variant | task | parameters | licence | recipe |",
        "|---|---|---|---|---|",
        f"| `{entry['variant']}`{alias} | `{entry['task']}` | {entry.get('params', '')} | "
        f"{entry.get('license', '')} | `{entry.get('recipe', '')}` |",
        "",
        f"![{name}](../{PICTURES[name]})",
        "",
        f"*Drawn from the bundled weights by `python docs/gallery.py {name}`.*",
        "",
        "## Load it",
        "",
        "```python",
        "import zoo",
        "",
        f'model = zoo.load("{name}")   # pretrained, eval mode, CPU; the bundled weights, sha256-checked',
        python,
        "```",
        "",
        "```console",
        f"$ {command.format(name=name)}",
        f"$ zoo info {name}",
        "```",
        "",
        "## Quality",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| `{k}` | {v} |" for k, v in metrics.items()),
        "",
        f"**Protocol:** {' '.join(str(protocol).split())}",
        "",
        f"Reproduce: `{evaluate}`.",
        "",
    ]
    if baselines:
        lines += ["Baselines:", "", "```yaml", yaml.safe_dump(baselines, sort_keys=False).strip(), "```", ""]
    lines += ["## Training curves", ""]
    recipe = entry.get("recipe", f"configs/{name}.yaml")
    if name in CURVES and (DOCS / curves_file(name)).is_file():
        changed = f" ({CURVE_CHANGES[name][1]})" if name in CURVE_CHANGES else ""
        lines += [
            f"![training curves of a short run of {recipe}](../{curves_file(name)})",
            "",
            f"*The first {CURVES[name]} steps of `{recipe}`{changed}, drawn by `python docs/gallery.py "
            "--curves`: a short run, not the run that trained the bundled weights (its run directory is not "
            "kept in the repository).*",
            "",
        ]
    else:
        lines += [
            "The run that trained the bundled weights is not kept in the repository, so no curves are "
            "shown here.",
            "",
        ]
    lines += [
        "Retrain it and draw its curves:",
        "",
        "```console",
        f"$ zoo train {recipe} --out runs/{name}",
        f"$ zoo plot runs/{name}                # runs/{name}/curves.png",
        "```",
        "",
    ]
    if entry["variant"] in VARIANT_PAGES:
        lines += [f"More: [the {entry['variant']} plugin](../{VARIANT_PAGES[entry['variant']]}).", ""]
    return "\n".join(lines)


def models_index(catalogue: dict[str, dict[str, Any]]) -> str:
    """The Markdown of the models overview: one row per entry."""
    rows = [
        f"| [{n}]({n}.md) | `{e['variant']}` | `{e['task']}` | {e['summary']} |" for n, e in catalogue.items()
    ]
    return "\n".join(
        [
            "# Models",
            "",
            "The built-in catalogue (`registry.yaml`); `zoo list` prints the same, plus what plugins add.",
            "",
            "| name | variant | task | what |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def cli_page() -> str:
    """The Markdown of the CLI reference: ``zoo --help`` and ``zoo COMMAND --help`` of every command."""
    from zoo.cli import build_parser

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal: the same page everywhere
    try:
        parser = build_parser()
        commands = parser._subparsers._group_actions[0].choices  # argparse keeps them only there
        lines = ["# Command line", "", "Generated from `zoo.cli.build_parser()`.", ""]
        lines += ["```text", parser.format_help().strip(), "```", ""]
        for name, sub in commands.items():
            lines += [f"## zoo {name}", "", "```text", sub.format_help().strip(), "```", ""]
    finally:
        if columns is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = columns
    return "\n".join(lines)


def on_config(config: Any) -> Any:
    """Fill the nav's "Models" section with one page per catalogue entry."""
    import sys

    sys.path.insert(0, str(DOCS))  # gallery.py names the pictures
    pages = [{"Overview": "models/index.md"}, *({n: f"models/{n}.md"} for n in entries())]
    for item in config["nav"]:
        if isinstance(item, dict) and "Models" in item:
            item["Models"] = pages
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages."""
    from mkdocs.structure.files import File  # the page functions above work without mkdocs

    catalogue = entries()
    files.append(File.generated(config, "models/index.md", content=models_index(catalogue)))
    for name, entry in catalogue.items():
        files.append(File.generated(config, f"models/{name}.md", content=model_page(name, entry)))
    files.append(File.generated(config, "cli.md", content=cli_page()))
    return files
