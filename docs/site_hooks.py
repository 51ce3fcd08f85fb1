"""mkdocs hooks: the pages generated at build time, never committed.

- ``models/index.md`` and ``models/NAME.md``: one page per entry of ``registry.yaml`` (what it does, its
  numbers and their protocol, its picture from docs/gallery.py, the code to load it), in the nav's "Models";
  ``models/released.md``: the released originals (``weights.url``) together, as nothing is drawn or
  measured from them here;
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


def catalogue_models() -> dict[str, dict[str, Any]]:
    """Every entry of the built-in catalogue, in file order."""
    return yaml.safe_load(REGISTRY.read_text())["models"]


def entries() -> dict[str, dict[str, Any]]:
    """The entries with a page of their own: gan-zoo's models, in file order."""
    return {n: e for n, e in catalogue_models().items() if not is_released(e)}


def released() -> dict[str, dict[str, Any]]:
    """The released originals (``weights.url``), shown together on one page: no picture is made here."""
    return {n: e for n, e in catalogue_models().items() if is_released(e)}


def is_released(entry: dict[str, Any]) -> bool:
    return "url" in (entry.get("weights") or {})


#: where each variant's released models and their quality are described
PAPERS = {
    "cyclegan": "Zhu et al. 2017, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593)",
    "pix2pix": "Isola et al. 2017, [arXiv:1611.07004](https://arxiv.org/abs/1611.07004)",
}


def released_page(catalogue: dict[str, dict[str, Any]]) -> str:
    """The Markdown of the released originals' page: how they load, and one row per entry."""
    rows = [
        f"| `{n}` | {e['summary'].partition(': ')[2] or e['summary']} | `{e['config']['netG']}`, "
        f"{e['params']} | [{e['weights']['url'].rsplit('/', 1)[1]}]({e['weights']['url']}) |"
        for n, e in catalogue.items()
    ]
    return "\n".join(
        [
            "# Released originals",
            "",
            "The original projects' published models ([pytorch-CycleGAN-and-pix2pix]"
            "(https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix), licence BSD), by their original "
            "names with the variant in front. They are not gan-zoo's weights: each is converted on first "
            "use from the original's file, which is downloaded once into gan-zoo's cache (`ZOO_CACHE`), "
            "its sha256 recorded and checked on every load "
            "([how](../conversion.md#released-models-by-name)).",
            "",
            "```python",
            "import zoo",
            "",
            'model = zoo.load("cyclegan-horse2zebra")   # first use: download + convert; then the cache',
            'zebra = model.translate("horse.jpg")',
            "```",
            "",
            "```console",
            "$ zoo run cyclegan-horse2zebra horse.jpg --out zebra.png",
            "$ zoo download pix2pix-facades_label2photo --file facades_label2photo.pth   # fetched by hand",
            "```",
            "",
            "No quality number was measured here and no picture is drawn here (the files are not in the "
            "repository): their quality is the papers', "
            + "; ".join(f"{v}: {paper}" for v, paper in PAPERS.items())
            + ". CycleGAN's models translate one way (`AtoB`); both run as the original's `test.py` "
            "(`test_mode: original`).",
            "",
            "| name | what | generator | original file |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


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
            "The original projects' published CycleGAN and pix2pix models load by name too: "
            "[Released originals](released.md).",
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
    pages.append({"Released originals": "models/released.md"})
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
    files.append(File.generated(config, "models/released.md", content=released_page(released())))
    files.append(File.generated(config, "cli.md", content=cli_page()))
    return files
