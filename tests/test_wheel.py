"""The product as people install it: a wheel built from the repository, installed (not editable) into a
fresh virtual environment and used from a folder outside the checkout.

The environment sees the machine's torch and other dependencies (``--system-site-packages``), so the
install takes seconds; every check asserts that ``zoo`` and ``zoo_plugins`` come from the wheel.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
CATALOGUE = yaml.safe_load((ROOT / "registry.yaml").read_text())["models"]
#: the entries with a file in the package (the released originals are converted on first use instead)
BUNDLED = {name: entry for name, entry in CATALOGUE.items() if "bundled" in entry["weights"]}


class Installed:
    """A virtual environment holding the gan-zoo wheel; commands run in ``cwd``, outside the checkout."""

    def __init__(self, venv: Path, cwd: Path) -> None:
        self.venv, self.cwd = venv, cwd
        self.python = venv / "bin" / "python"
        self.env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(HF_HOME=str(cwd / "hf-home"), HF_HUB_OFFLINE="1")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(args, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def zoo(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(str(self.venv / "bin" / "zoo"), *args, check=check)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(ROOT)], check=True)
    (wheel,) = (tmp / "dist").glob("gan_zoo-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True)
    (tmp / "elsewhere").mkdir()
    site = Installed(venv, tmp / "elsewhere")
    where = site.run(
        str(site.python), "-c", "import zoo, zoo_plugins; print(zoo.__file__, zoo_plugins.__file__)"
    )
    assert all(path.startswith(str(venv)) for path in where.stdout.split()), where.stdout
    return site


def test_zoo_list_shows_every_builtin_model(installed):
    rows = installed.zoo("list").stdout.splitlines()[1:]
    assert {row.split()[0] for row in rows} == set(CATALOGUE)


def test_every_builtin_model_loads_from_its_packaged_file(installed):
    code = (
        "import sys, zoo\n"
        "for name in zoo.list_models():\n"
        "    bundled = zoo.info(name)['weights']['bundled']\n"
        "    if bundled is None:  # a released original: converted on first use, from the network\n"
        "        continue\n"
        "    assert bundled.startswith(sys.prefix), bundled\n"
        "    model = zoo.load(name)\n"
        "    print(name, type(model).__name__, model.training)\n"
    )
    loaded = [line.split() for line in installed.run(str(installed.python), "-c", code).stdout.splitlines()]
    assert {name for name, _, _ in loaded} == set(BUNDLED)
    assert all(training == "False" for _, _, training in loaded)


def test_info_shows_the_packaged_recipe_and_train_reproduces_from_it(installed):
    info = json.loads(installed.zoo("info", "dcgan-mnist", "--json").stdout)
    recipe = Path(info["recipe"])
    assert recipe.is_file() and str(recipe).startswith(str(installed.venv))
    run = installed.cwd / "run"
    installed.zoo("-q", "train", "dcgan-mnist", "--out", str(run), "--steps", "2")
    trained = json.loads((run / "config.json").read_text())
    packaged = yaml.safe_load(recipe.read_text())
    assert trained["recipe"]["model"] == packaged["model"] and trained["steps"] == 2
    assert trained["config"] == {**CATALOGUE["dcgan-mnist"]["config"], "discriminator": True}


def test_a_wheel_missing_a_bundled_file_says_which_and_what_to_do(installed):
    bundled = Path(json.loads(installed.zoo("info", "gan-mnist", "--json").stdout)["weights"]["bundled"])
    original = bundled.read_bytes()
    bundled.unlink()  # this test's own environment: the file a broken install would lack
    proc = installed.zoo("run", "gan-mnist", "--out", str(installed.cwd / "g.png"), check=False)
    bundled.write_bytes(original)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(bundled) in proc.stderr and "reinstall gan-zoo" in proc.stderr, proc.stderr


def test_release_to_a_hub_then_every_model_loads_from_it_without_bundled_files(installed):
    """`zoo release` from the installed package, then each model comes from the Hub at its pinned revision."""
    from hubserver import HubServer

    server = HubServer(tokens={"hf_release_token": {"gan-zoo"}}).start()
    try:
        env = {
            **installed.env,
            "HF_ENDPOINT": server.url,
            "HF_TOKEN": "hf_release_token",
            "HF_HUB_DISABLE_XET": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_OFFLINE": "0",
        }
        installed.env, saved = env, installed.env
        released = dict(
            line.split() for line in installed.zoo("release", "--org", "gan-zoo").stdout.splitlines()
        )
        assert set(released) == set(BUNDLED)  # the released originals are not gan-zoo's to publish
        code = (
            "import sys, zoo\n"
            "for name in zoo.list_models():\n"
            "    w = zoo.info(name)['weights']\n"
            "    if w['bundled'] is None:\n"
            "        continue\n"
            "    print(name, w['repo'], w['revision'], w['bundled'])\n"
        )
        pinned = {}
        for line in installed.run(str(installed.python), "-c", code).stdout.splitlines():
            name, repo, revision, bundled = line.split()
            pinned[name] = (repo, revision, Path(bundled))
        for name, (repo, revision, bundled) in pinned.items():
            assert released[name] == f"{repo}@{revision}" and repo == f"gan-zoo/{name}"
            bundled.unlink()
        server.requests.clear()
        load = "import zoo\nfor name in sys.argv[1:]:\n    print(name, zoo.load(name).training)\n"
        out = installed.run(str(installed.python), "-c", "import sys\n" + load, *released).stdout
        assert [line.split() for line in out.splitlines()] == [[name, "False"] for name in released]
        fetched = {path.split("/")[2] for _, path in server.requests if "/resolve/" in path}
        assert fetched == set(released)
    finally:
        installed.env = saved
        server.stop()
