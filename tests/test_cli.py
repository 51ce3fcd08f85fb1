"""The ``zoo`` command line: listing without torch, info, errors, sample grids, recipe overrides."""

import json
import os
import re
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import numpy
import pytest

from zoo.cli import headline_metric, main

ZOO_SCRIPT = Path(sys.executable).parent / "zoo"


def zoo(*args: str) -> subprocess.CompletedProcess:
    """``python -m zoo ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "zoo", *args], capture_output=True, text=True, timeout=300)


def names(stdout: str) -> list[str]:
    """The NAME column of a ``zoo list`` table."""
    return [line.split()[0] for line in stdout.splitlines()[1:]]


@pytest.mark.parametrize(
    "code",
    [
        "import zoo.cli, sys; zoo.cli.main(['list']); assert 'torch' not in sys.modules",
        "import zoo.cli, sys; zoo.cli.main(['list', 'dcgan*']); assert 'torch' not in sys.modules",
        "import zoo.cli, sys; zoo.cli.main(['info', 'dcgan-mnist']); assert 'torch' not in sys.modules",
        "import zoo.cli, sys; zoo.cli.main(['plugins']); assert 'torch' not in sys.modules",
        "import zoo, sys; zoo.list_models(); zoo.info('dcgan'); assert 'torch' not in sys.modules",
    ],
)
def test_listing_and_describing_never_import_torch(code):
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_console_script_and_module_entry_points():
    # README's install (pip install -e .) always creates it; its absence is a broken install, not a skip
    assert ZOO_SCRIPT.exists(), f"no console script at {ZOO_SCRIPT}: run `pip install -e .`"
    script = subprocess.run([str(ZOO_SCRIPT), "list"], capture_output=True, text=True, timeout=120)
    assert script.returncode == 0, script.stderr
    assert script.stdout == zoo("list").stdout
    assert script.stdout.splitlines()[0].split() == ["NAME", "VARIANT", "TASK", "PARAMS", "METRIC"]


def test_list_filters_with_wildcards_and_substrings(capsys):
    assert main(["list", "dcgan*"]) == 0
    assert names(capsys.readouterr().out) == ["dcgan-mnist"]
    assert main(["list", "gan-*"]) == 0
    assert names(capsys.readouterr().out) == ["gan-gaussians25", "gan-mnist"]
    assert main(["list", "mnist"]) == 0  # no wildcard: names containing it
    found = names(capsys.readouterr().out)
    assert {"dcgan-mnist", "gan-mnist"} <= set(found) and all("mnist" in n for n in found)
    assert main(["list", "stylegan*"]) == 1
    assert "no model matches 'stylegan*'" in capsys.readouterr().err


def test_list_row_shows_variant_task_params_and_headline_metric(capsys):
    import zoo

    assert main(["list", "dcgan-mnist"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    entry = zoo.info("dcgan-mnist")
    assert row.split()[:3] == ["dcgan-mnist", "dcgan", "generate"]
    if entry["params"]:
        assert row[header.index("PARAMS") :].split()[0] == entry["params"]
    assert row[header.index("METRIC") :].strip() == headline_metric(entry["metrics"])


def test_headline_metric_is_the_first_numeric_one():
    metrics = {"protocol": "1,000 samples", "fd": {"value": 12.3456, "floor": 3.1}, "classes": 0.1}
    assert headline_metric(metrics) == "fd 12.35"
    assert headline_metric({"modes_covered": 24, "high_quality": 0.91}) == "modes_covered 24"
    assert headline_metric({}) == headline_metric({"note": {"text": "n/a"}}) == ""


def test_info_shows_config_weights_licence_metrics_and_reproduce_command(capsys):
    assert main(["info", "dcgan", "--json"]) == 0  # the variant alias resolves to the default entry
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "dcgan-mnist" and info["plugin"] == "dcgan"
    assert info["config"] == {"latent_dim": 100, "resolution": 32, "channels": 1, "width": 32}
    assert info["license"] == "MIT"
    recipe = Path(info["recipe"])  # the packaged recipe file, wherever the package is installed
    assert recipe.is_file() and recipe.parts[-2:] == ("configs", "dcgan-mnist.yaml")
    assert info["reproduce"] == "zoo train dcgan:dcgan-mnist --out runs/dcgan-mnist"
    assert {"weights", "metrics", "paper"} <= set(info)

    assert main(["info", "dcgan-mnist"]) == 0  # YAML by default
    text = capsys.readouterr().out
    assert "name: dcgan-mnist" in text and "latent_dim: 100" in text and "license: MIT" in text


def test_plugins_shows_builtin_plugins(capsys):
    assert main(["plugins"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:] if line}
    assert re.fullmatch(r"dcgan +gan-zoo +0\.1\.0 +ok +\d+\.\d ms +dcgan", rows["dcgan"])
    assert re.fullmatch(r"gan +gan-zoo +0\.1\.0 +ok +\d+\.\d ms +gan", rows["gan"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["info", "dcgan-mnst"], "error: unknown model 'dcgan-mnst'. Did you mean 'dcgan-mnist'"),
        (["run", "dcgan-mnst"], "error: unknown model 'dcgan-mnst'. Did you mean 'dcgan-mnist'"),
        (["run", "hf-hub:not a repo"], "error: 'hf-hub:not a repo' is not a Hub model name"),
        (["train", "missing.yaml", "--out", "x"], "error: recipe file missing.yaml does not exist"),
        (["train", "dcgan", "--out", "x", "--set", "steps"], "error: --set 'steps': expected KEY=VALUE"),
        (
            ["train", "dcgan", "--out", "x", "--set", "steps.n=3"],
            "error: --set 'steps.n=3': 'steps' holds",
        ),
    ],
)
def test_bad_input_prints_error_and_exits_2_without_traceback(args, message):
    proc = zoo(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_command_is_a_usage_error():
    proc = zoo()
    assert proc.returncode == 2 and "usage: zoo" in proc.stderr


COMMANDS = [
    "list",
    "info",
    "plugins",
    "run",
    "train",
    "download",
    "publish",
    "convert",
    "evaluate",
    "bundle",
    "release",
    "plot",
]


def test_help_lists_every_command_and_version_and_download_name_hub_models():
    listed = re.findall(r"^ {4}(\w+) ", zoo("--help").stdout, flags=re.M)
    assert listed == COMMANDS
    version = zoo("--version")
    assert version.returncode == 0 and re.fullmatch(r"gan-zoo \d+\.\d+\.\d+\n", version.stdout)
    assert "hf-hub:user/repo[@rev]" in zoo("download", "--help").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "dcgan", "x.png"],
            "generate models take no inputs (zoo run NAME --out grid.png), got ['x.png']",
        ),
        (
            ["run", "pix2pix"],
            "translate models take one image file (zoo run NAME in.png --out out.png), got none",
        ),
        (["run", "pix2pix", "a.png", "b.png"], "translate models take one image file"),
        (["run", "pix2pix", "missing.png"], "translate input missing.png does not exist"),
        (["run", "attngan"], "text_to_image models take captions"),
        (["run", "ganomaly-mnist"], "score models take image files or folders"),
    ],
)
def test_run_checks_inputs_against_the_models_task(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_run_checks_inputs_before_loading_the_model(make_run, capsys):
    run, _ = make_run()
    (run / "model.safetensors").unlink()  # loading would fail: the inputs are refused first
    assert main(["run", str(run), "x.png"]) == 2
    assert "generate models take no inputs" in capsys.readouterr().err
    assert main(["run", str(run), "--out", str(run / "grid.png")]) == 2
    assert "model.safetensors" in capsys.readouterr().err


def test_the_core_registers_every_builtin_task_and_refuses_unknown_ones():
    from zoo.errors import RegistryError, ZooError
    from zoo.registry import registry
    from zoo.tasks import Task, task, tasks

    known = tasks()
    assert {v.task for v in registry().variants.values()} - {"match"} <= set(known)
    assert all(t.plugin == "zoo" and t.run_function() and t.evaluate_function() for t in known.values())
    assert [known[n].inputs for n in ("generate", "translate", "score", "upscale", "text_to_image")] == [
        "none",
        "image",
        "images",
        "image",
        "captions",
    ]
    with pytest.raises(ZooError, match="no installed plugin registers the task 'match'"):
        task("match")
    with pytest.raises(RegistryError, match="inputs 'video' is not one of"):
        Task("clip", "m:f", inputs="video")
    with pytest.raises(ZooError, match="the task 'x' has no evaluator"):
        Task("x", "m:f").evaluate_function()


def run_args(out: Path, n: int = 64, inputs: tuple = ()) -> Namespace:
    return Namespace(inputs=list(inputs), n=n, seed=0, out=str(out))


def test_generate_writes_a_sample_grid(tmp_path):
    from PIL import Image
    from zoo_plugins.dcgan.networks import DCGAN

    from zoo.cli import run_generate

    model = DCGAN(latent_dim=8, resolution=32, channels=1, width=4).eval()
    out = run_generate(model, run_args(tmp_path / "sub" / "grid.png", n=10))
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (4 * 34 + 2, 3 * 34 + 2)  # 10 samples: 4 per row, 2 px padding
    assert [p.name for p in out.parent.iterdir()] == ["grid.png"]  # no temporary file left behind


def test_generate_draws_2d_points_as_a_scatter_plot(tmp_path):
    from PIL import Image
    from zoo_plugins.gan.networks import VanillaGAN

    from zoo.cli import run_generate

    model = VanillaGAN(latent_dim=4, hidden=[8], out_shape=[2], output="linear").eval()
    out = run_generate(model, run_args(tmp_path / "points.png", n=100))
    with Image.open(out) as image:
        assert image.size == (512, 512)
        assert len(image.getcolors(1 << 16)) > 1  # points were drawn on the white canvas


@pytest.mark.parametrize(
    ("out", "n", "inputs", "message"),
    [
        ("grid.unknown", 4, (), "unknown image extension '.unknown'"),
        ("grid.png", 0, (), "--n must be from 1 to 10000"),
    ],
)
def test_generate_rejects_bad_arguments_and_writes_nothing(tmp_path, out, n, inputs, message):
    from zoo_plugins.dcgan.networks import DCGAN

    from zoo.cli import run_generate

    model = DCGAN(latent_dim=8, width=4).eval()
    with pytest.raises(ValueError, match=message):
        run_generate(model, run_args(tmp_path / out, n=n, inputs=inputs))
    assert list(tmp_path.iterdir()) == []


def test_train_applies_command_line_overrides_and_resumes(tmp_path, single_thread):
    out = tmp_path / "run"
    common = ["-q", "train", "gan-mnist", "--data", "gaussians25", "--out", str(out), "--batch-size", "16"]
    common += ["--seed", "3", "--set", "model={latent_dim: 4, hidden: [8], out_shape: [2], output: linear}"]
    common += ["--set", "optimizers.generator.lr=1e-4", "--set", "log_every=1", "--set", "sample_every=0"]
    assert main([*common, "--steps", "4", "--set", "checkpoint_every=2"]) == 0

    recipe = json.loads((out / "config.json").read_text())["recipe"]
    assert (recipe["data"], recipe["steps"], recipe["batch_size"], recipe["seed"]) == (
        "gaussians25",
        4,
        16,
        3,
    )
    assert recipe["model"]["hidden"] == [8]
    # a dotted --set changes one value and keeps its siblings from the recipe file
    assert recipe["optimizers"]["generator"] == {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.999]}
    assert recipe["optimizers"]["discriminator"]["lr"] == 2e-4

    assert main([*common, "--steps", "6"]) == 2  # the run exists: continuing it needs --resume
    assert main([*common, "--steps", "6", "--resume"]) == 0
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_torchrun_module_entry_point_trains_with_two_processes(tmp_path):
    out = tmp_path / "ddp"
    model = "model={latent_dim: 4, hidden: [8], out_shape: [2], output: linear}"
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd = [*torchrun, "-m", "zoo"]
    cmd += ["-q", "train", "gan-mnist", "--data", "gaussians25", "--out", str(out), "--steps", "3"]
    cmd += ["--batch-size", "8", "--set", model, "--set", "log_every=1", "--set", "sample_every=0"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == [str(out)]  # printed once, by rank 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3]
    assert records[-1]["img_per_s"] > 0


def documented_commands() -> list[tuple[str, list[str]]]:
    """Every ``zoo ...`` command (also ``torchrun ... -m zoo ...``) in the console blocks of docs/."""
    import shlex

    commands = []
    for doc in sorted((Path(__file__).parent.parent / "docs").glob("*.md")):
        for block in re.findall(r"```console\n(.*?)```", doc.read_text(), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                if not line.startswith("$ "):
                    continue
                words = shlex.split(line[2:], comments=True)
                while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value prefixes
                    words.pop(0)
                if words[:1] == ["zoo"]:
                    commands.append((doc.name, words[1:]))
                elif "-m" in words and words[words.index("-m") + 1 : words.index("-m") + 2] == ["zoo"]:
                    commands.append((doc.name, words[words.index("-m") + 2 :]))
    return commands


def test_documented_commands_parse():
    from zoo.cli import build_parser

    commands = documented_commands()
    assert len(commands) > 15
    for doc, args in commands:
        try:
            build_parser().parse_args(args)
        except SystemExit:
            pytest.fail(f"{doc}: `zoo {' '.join(args)}` does not parse")


def pretrained_entries(task: str) -> list[str]:
    """Registry entries of ``task`` that name weights, bundled or on the Hub (a released original's come
    from its URL on first use: tests/test_released.py)."""
    import zoo

    return [
        name
        for name in zoo.list_models()
        if zoo.info(name)["weights"]
        and not zoo.info(name)["weights"]["url"]
        and zoo.info(name)["task"] == task
    ]


@pytest.mark.parametrize("name", pretrained_entries("generate"))
def test_pretrained_entry_is_verified_and_runs(name, tmp_path, capsys):
    import torch
    from PIL import Image
    from torchvision.utils import make_grid

    import zoo
    from zoo.weights import sha256_of

    weights = zoo.info(name)["weights"]
    assert re.fullmatch(r"[0-9a-f]{64}", weights["sha256"])
    if weights["bundled"]:
        assert sha256_of(weights["bundled"]) == weights["sha256"]
    out = tmp_path / "grid.png"
    assert main(["-q", "run", name, "--n", "16", "--seed", "0", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    samples = zoo.load(name).generate(16, seed=0)
    with Image.open(out) as image:
        if samples.ndim == 4:
            grid = make_grid(samples, nrow=4, padding=2).mul(255).add(0.5).clamp(0, 255).to(torch.uint8)
            assert torch.equal(torch.from_numpy(numpy.array(image.convert("RGB"))), grid.permute(1, 2, 0))
        else:
            assert image.size == (512, 512)


@pytest.mark.parametrize("name", pretrained_entries("translate"))
def test_pretrained_translate_entry_is_verified_and_runs(name, tmp_path, capsys):
    from PIL import Image, ImageDraw

    import zoo
    from zoo.weights import sha256_of

    weights = zoo.info(name)["weights"]
    if weights["bundled"]:
        assert sha256_of(weights["bundled"]) == weights["sha256"]
    model = zoo.load(name)
    source, out = tmp_path / "in.png", tmp_path / "out.png"
    image = Image.new("RGB", (256, 256))  # 256: a multiple of every generator's stride
    ImageDraw.Draw(image).rectangle((64, 64, 192, 192), outline="white", width=4)
    image.save(source)
    assert main(["-q", "run", name, str(source), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    with Image.open(out) as image, Image.open(source) as original:
        assert image.size == (256, 256)
        assert numpy.array_equal(numpy.array(image), numpy.array(model.translate(original)))
