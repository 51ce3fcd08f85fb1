"""Third-party plugins: tests/thirdparty_plugin installed with pip, plus broken and clashing plugins.

Every check runs ``zoo`` in a fresh process whose PYTHONPATH holds the installed plugins, so discovery
goes through real ``importlib.metadata`` entry points, as after ``pip install``.
"""

import inspect
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
THIRDPARTY = ROOT / "tests" / "thirdparty_plugin"

BROKEN = 'raise RuntimeError("this plugin is broken on purpose")\n'

# A plugin that imports fine but raises when asked for its models.
BAD_HOOK = """
import zoo

@zoo.hookimpl
def register_models(register):
    raise OSError("no catalogue")
"""

# A plugin whose command takes the name of a built-in one.
CLASHING_COMMAND = """
import zoo

@zoo.hookimpl
def register_commands(subparsers):
    subparsers.add_parser("list", help="a second list")
"""

# A second plugin that also names a model "tiny-example" (with a variant of its own).
CLASHING = """
import zoo

@zoo.hookimpl
def register_variants(register):
    register(zoo.Variant(name="tinygan-dup", model="zoo_plugin_example.networks:TinyGAN",
                         training_step="zoo_plugin_example.training:training_step"))

@zoo.hookimpl
def register_models(register):
    register({"name": "tiny-example", "variant": "tinygan-dup", "config": {"latent_dim": 4}})
"""

# A second plugin that registers "tiny-example" again, under the example plugin's own variant.
SAME_VARIANT = """
import zoo

@zoo.hookimpl
def register_models(register):
    config = {"latent_dim": 4, "hidden": 8, "size": 8}
    register({"name": "tiny-example", "variant": "tinygan", "config": config})
"""

# A plugin whose catalogue holds one bad entry: only its own models are disabled.
BAD_ENTRY = """
import zoo

@zoo.hookimpl
def register_models(register):
    register({"name": "fine", "variant": "tinygan", "config": {"latent_dim": 4, "hidden": 8, "size": 8}})
    register({"name": "broken", "variant": "tinygan", "default": "yes"})
"""

NO_TORCH = "import sys, zoo.cli; zoo.cli.main({args}); assert 'torch' not in sys.modules, 'imported torch'"


def test_installed_plugin_is_listed_described_and_shown(plugin_site):
    listing = plugin_site.run("list").stdout
    row = next(line for line in listing.splitlines() if line.startswith("tiny-example "))
    assert row.split()[:4] == ["tiny-example", "tinygan", "generate", "2.4K"]

    filtered = plugin_site.run("list", "tiny*").stdout.splitlines()
    assert [line.split()[0] for line in filtered[1:]] == ["tiny-example"]

    plugins = plugin_site.run("plugins").stdout
    row = next(line for line in plugins.splitlines() if line.startswith("example "))
    assert re.fullmatch(r"example +zoo-plugin-example +0\.1\.0 +ok +\d+\.\d ms +tinygan", row)

    info = json.loads(plugin_site.run("info", "tiny-example", "--json").stdout)
    assert info["plugin"] == "example" and info["variant"] == "tinygan"
    assert info["config"] == {"latent_dim": 8, "hidden": 32, "size": 8}
    assert info["weights"]["sha256"] == "fb287b65e18313df7ba521e81914c3b64b76a8a44c9a28b3124bfb9e1891f63d"
    assert info["weights"]["bundled"].endswith("zoo_plugin_example/weights/tiny-example.safetensors")

    for args in (["list"], ["info", "tiny-example"], ["plugins"]):
        plugin_site.python(NO_TORCH.format(args=args))


LOAD_AND_RUN = """
import numpy, torch, zoo
from PIL import Image
from torchvision.utils import make_grid
from zoo.cli import main
from zoo.weights import read_weights

g = zoo.load("tiny-example")
assert not g.training and g.device.type == "cpu" and type(g).__name__ == "TinyGAN"
x = g.generate(16, seed=0)
assert x.shape == (16, 1, 8, 8) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
assert torch.equal(x, g.generate(16, seed=0)) and not torch.equal(x, g.generate(16, seed=1))
for alias in ("tinygan", "example:tiny-example"):
    assert torch.equal(zoo.load(alias).generate(16, seed=0), x)
bundled = read_weights(zoo.info("tiny-example")["weights"]["bundled"])
assert bundled.keys() == g.state_dict().keys()
assert all(torch.equal(v, g.state_dict()[k]) for k, v in bundled.items())
assert next(zoo.load("tiny-example", dtype="float64").parameters()).dtype == torch.float64

assert main(["run", "tiny-example", "--n", "16", "--seed", "0", "--out", {out!r}]) == 0
expected = make_grid(x, nrow=4, padding=2).mul(255).add(0.5).clamp(0, 255).byte().permute(1, 2, 0).numpy()
assert numpy.array_equal(numpy.asarray(Image.open({out!r})), expected), "the grid is not these samples"
"""


def test_installed_plugin_loads_and_runs(plugin_site, tmp_path):
    plugin_site.python(LOAD_AND_RUN.format(out=str(tmp_path / "grid.png")))


def test_broken_plugin_is_reported_and_the_others_still_work(plugin_site, tmp_path):
    plugin_site.add_distribution(
        tmp_path / "broken",
        "zoo-plugin-broken",
        {"broken": "zoo_plugin_broken"},
        {"zoo_plugin_broken.py": BROKEN},
    )
    proc = plugin_site.run("plugins")
    row = next(line for line in proc.stdout.splitlines() if line.startswith("broken "))
    assert re.fullmatch(r"broken +zoo-plugin-broken +0\.0\.1 +failed +\d+\.\d ms", row)
    assert (
        "broken (zoo_plugin_broken) failed to load: RuntimeError: this plugin is broken on purpose"
        in proc.stdout
    )
    row = next(line for line in proc.stdout.splitlines() if line.startswith("example "))
    assert re.fullmatch(r"example +zoo-plugin-example +0\.1\.0 +ok +\d+\.\d ms +tinygan", row)

    names = [line.split()[0] for line in plugin_site.run("list").stdout.splitlines()[1:]]
    assert "tiny-example" in names
    info = json.loads(plugin_site.run("info", "tiny-example", "--json").stdout)
    assert info["plugin"] == "example"
    assert (
        plugin_site.run("run", "tiny-example", "--n", "4", "--out", str(tmp_path / "g.png")).returncode == 0
    )


@pytest.mark.parametrize(
    ("hooks", "error"),
    [
        (BAD_HOOK, "OSError: no catalogue"),
        (CLASHING_COMMAND, "ArgumentError: argument COMMAND: conflicting subparser: list"),
    ],
    ids=["register_models", "register_commands"],
)
def test_plugin_whose_hook_raises_is_reported_and_the_others_still_work(plugin_site, tmp_path, hooks, error):
    plugin_site.add_distribution(
        tmp_path / "badhook",
        "zoo-plugin-badhook",
        {"badhook": "zoo_plugin_badhook"},
        {"zoo_plugin_badhook.py": hooks},
    )
    proc = plugin_site.run("plugins")
    row = next(line for line in proc.stdout.splitlines() if line.startswith("badhook "))
    assert re.fullmatch(r"badhook +zoo-plugin-badhook +0\.0\.1 +failed +\d+\.\d ms", row)
    assert f"badhook (zoo_plugin_badhook) failed to load: {error}" in proc.stdout
    names = [line.split()[0] for line in plugin_site.run("list").stdout.splitlines()[1:]]
    assert {"tiny-example", "dcgan-mnist"} <= set(names)


def test_two_plugins_claiming_one_name_is_an_error_naming_both(plugin_site, tmp_path):
    plugin_site.add_distribution(
        tmp_path / "dup", "zoo-plugin-dup", {"dup": "zoo_plugin_dup"}, {"zoo_plugin_dup.py": CLASHING}
    )
    proc = plugin_site.run("info", "tiny-example", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "claimed by several plugins" in proc.stderr
    assert "example:tiny-example" in proc.stderr
    assert "dup:tiny-example" in proc.stderr

    for name, variant in (("dup:tiny-example", "tinygan-dup"), ("example:tiny-example", "tinygan")):
        assert json.loads(plugin_site.run("info", name, "--json").stdout)["variant"] == variant
    names = {line.split()[0] for line in plugin_site.run("list", "tiny*").stdout.splitlines()[1:]}
    assert names == {"example:tiny-example", "dup:tiny-example"}
    assert plugin_site.run("run", "example:tiny-example", "--out", str(tmp_path / "g.png")).returncode == 0


def test_one_name_twice_under_one_variant_names_both_plugins_and_each_loads(plugin_site, tmp_path):
    plugin_site.add_distribution(
        tmp_path / "same",
        "zoo-plugin-same",
        {"same": "zoo_plugin_same"},
        {"zoo_plugin_same.py": SAME_VARIANT},
    )
    proc = plugin_site.run("run", "tiny-example", "--out", str(tmp_path / "g.png"), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "example:tiny-example" in proc.stderr and "same:tiny-example" in proc.stderr
    rows = {line.split()[0] for line in plugin_site.run("list", "tiny*").stdout.splitlines()[1:]}
    assert rows == {"example:tiny-example", "same:tiny-example"}
    code = (
        "import zoo; a = zoo.load('example:tiny-example');"
        "b = zoo.load('same:tiny-example', pretrained=False);"
        "print(a.config['latent_dim'], b.config['latent_dim'])"
    )
    assert plugin_site.python(code).stdout.split() == ["8", "4"]


def test_a_bad_entry_disables_only_its_own_plugins_models(plugin_site, tmp_path):
    plugin_site.add_distribution(
        tmp_path / "badentry",
        "zoo-plugin-badentry",
        {"badentry": "zoo_plugin_badentry"},
        {"zoo_plugin_badentry.py": BAD_ENTRY},
    )
    names = [line.split()[0] for line in plugin_site.run("list").stdout.splitlines()[1:]]
    assert "fine" not in names and {"tiny-example", "dcgan-mnist", "srgan"} <= set(names)
    proc = plugin_site.run("plugins")
    row = next(line for line in proc.stdout.splitlines() if line.startswith("badentry "))
    assert "failed" in row.split()
    assert "field 'default' must be bool" in proc.stdout


def test_installed_plugin_trains_with_the_core_trainer(plugin_site, tmp_path):
    from PIL import Image

    images = tmp_path / "images"
    images.mkdir()
    for i in range(8):
        Image.frombytes("L", (8, 8), bytes((i * 29 + j * 3) % 256 for j in range(64))).save(
            images / f"{i}.png"
        )
    run = tmp_path / "run"
    data = f"{{name: folder, path: '{images}', channels: 1}}"
    args = ["-q", "train", "tinygan", "--data", data, "--out", str(run), "--steps", "3", "--batch-size", "4"]
    plugin_site.run(*args, "--set", "sample_every=0", "--set", "log_every=1")

    config = json.loads((run / "config.json").read_text())
    assert (config["variant"], config["plugin"]) == ("tinygan", "example")
    assert config["config"] == {"latent_dim": 8, "hidden": 32, "size": 8}
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]
    assert (run / "model.safetensors").is_file()


DOCS = ROOT / "docs" / "plugins.md"


def test_plugin_docs_show_the_example_plugin_in_full():
    """Every ``<!-- file: PATH -->`` block of docs/plugins.md is that file, byte for byte."""
    text = DOCS.read_text()
    blocks = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```\n", text, flags=re.S)
    shown = {path for path, _ in blocks}
    package = {
        str(p.relative_to(ROOT)) for p in THIRDPARTY.rglob("*") if p.suffix in (".py", ".toml", ".yaml")
    }
    assert shown == package
    for path, body in blocks:
        assert body == (ROOT / path).read_text(), f"docs/plugins.md shows an outdated {path}"


def test_plugin_docs_describe_every_hook_with_its_arguments():
    from zoo import hookspecs

    text = DOCS.read_text()
    for name, fn in vars(hookspecs).items():
        if hasattr(fn, "gan_zoo_spec"):
            heading = f"### `{name}({', '.join(inspect.signature(fn).parameters)})`"
            assert heading in text, f"docs/plugins.md does not document the hook {name}"


# A plugin that brings its own task (with a zoo run runner and an evaluator) and its own zoo command.
TASKS_HOOKS = """
import zoo

@zoo.hookimpl
def register_variants(register):
    register(zoo.Variant(name="histgan", model="zoo_plugin_tasks_model:HistGAN",
                         training_step="zoo_plugin_example.training:training_step", task="histogram"))

@zoo.hookimpl
def register_tasks(register):
    register(zoo.Task(name="histogram", runner="zoo_plugin_tasks_model:run_histogram", inputs="none",
                      evaluator="zoo_plugin_tasks_model:evaluate_histogram", summary="pixel histograms"))

@zoo.hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("hello", help="greet from the tasks plugin")
    p.add_argument("who")
    p.set_defaults(command=lambda args: print(f"hello {args.who}") or 3)
"""

TASKS_MODEL = """
import json
from pathlib import Path

from zoo_plugin_example.networks import TinyGAN


class HistGAN(TinyGAN):
    task = "histogram"


def run_histogram(model, args):
    counts = model.generate(args.n, seed=args.seed).histc(bins=4, min=0, max=1)
    Path(args.out).write_text(json.dumps(counts.tolist()))
    return Path(args.out)


def evaluate_histogram(model, data, n, seed):
    n = 10 if n is None else n
    return {"mean_pixel": model.generate(n, seed=seed).mean().item(), "n": n, "protocol": f"{n} samples"}
"""

MAKE_HISTGAN_RUN = """
import json, torch
from pathlib import Path
from zoo_plugin_tasks_model import HistGAN
from zoo.weights import save_weights

run = Path({run!r})
torch.manual_seed(0)
model = HistGAN(latent_dim=4, hidden=8, size=4)
save_weights(model, run / "model.safetensors")
record = {{"variant": "histgan", "plugin": "tasks", "config": model.config}}
(run / "config.json").write_text(json.dumps(record))
"""


def test_plugin_adds_a_task_that_zoo_run_and_zoo_evaluate_use_and_a_command(plugin_site, tmp_path):
    plugin_site.add_distribution(
        tmp_path / "tasks",
        "zoo-plugin-tasks",
        {"tasks": "zoo_plugin_tasks"},
        {"zoo_plugin_tasks.py": TASKS_HOOKS, "zoo_plugin_tasks_model.py": TASKS_MODEL},
    )
    help_text = plugin_site.run("--help").stdout
    assert re.search(r"^ {4}hello +greet from the tasks plugin$", help_text, flags=re.M)
    greeting = plugin_site.run("hello", "world", check=False)
    assert (greeting.returncode, greeting.stdout) == (3, "hello world\n")
    plugin_site.python(NO_TORCH.format(args=["plugins"]))  # building the parser with plugin commands is light

    run = tmp_path / "run"
    run.mkdir()
    plugin_site.python(MAKE_HISTGAN_RUN.format(run=str(run)))
    out = tmp_path / "hist.json"
    assert plugin_site.run("-q", "run", str(run), "--n", "5", "--out", str(out)).stdout == f"{out}\n"
    assert sum(json.loads(out.read_text())) == 5 * 4 * 4  # every pixel of 5 samples of 4x4, binned

    refused = plugin_site.run("run", str(run), "x.png", check=False)
    assert refused.returncode == 2
    assert "histogram models take no inputs (zoo run NAME --out grid.png), got ['x.png']" in refused.stderr

    report = tmp_path / "eval.json"
    printed = plugin_site.run("-q", "evaluate", str(run), "--n", "6", "--seed", "2", "--json", str(report))
    result = json.loads(printed.stdout)
    assert result == json.loads(report.read_text())
    assert result["n"] == 6 and 0 <= result["mean_pixel"] <= 1 and result["protocol"] == "6 samples"
    assert (result["seed"], result["data"], result["model"]) == (2, None, str(run))


def test_plugin_docs_console_example_is_what_the_commands_print(plugin_site, tmp_path):
    """docs/plugins.md's `zoo plugins`, `zoo list` and `zoo run` output, import times aside."""
    block = re.search(r"```console\n\$ pip install[^\n]*\n(.*?)```", DOCS.read_text(), flags=re.S).group(1)
    shown = re.split(r"^\$ (.*)\n", block, flags=re.M)[1:]
    outputs = dict(zip(shown[::2], shown[1::2], strict=True))

    def times(text: str) -> str:
        return re.sub(r"\d+\.\d ms", "N ms", text)

    assert times(plugin_site.run("plugins").stdout) == times(outputs["zoo plugins"])
    assert plugin_site.run("list", "tiny*").stdout == outputs["zoo list 'tiny*'"]
    run = plugin_site.run("run", "tiny-example", "--n", "16", "--out", str(tmp_path / "tiny.png"))
    log, printed = outputs["zoo run tiny-example --n 16 --out tiny.png"].splitlines()
    before, after = log.split("...")
    assert run.stderr.strip().startswith(before) and run.stderr.strip().endswith(after)
    assert printed == "tiny.png" and run.stdout.strip() == str(tmp_path / "tiny.png")
