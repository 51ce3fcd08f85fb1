# --- CLI/plugins: the example third-party plugin, installed for real with pip ---
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

THIRDPARTY_PLUGIN = Path(__file__).parent / "thirdparty_plugin"


class PluginSite:
    """Folders of installed plugins for a subprocess's PYTHONPATH, found through real entry points."""

    def __init__(self, *paths: Path) -> None:
        self.paths = list(paths)

    def add_distribution(self, root: Path, name: str, entry_points: dict[str, str], modules: dict[str, str]):
        """Install plugin modules as pip does: the modules plus NAME-VERSION.dist-info/entry_points.txt."""
        root.mkdir(parents=True, exist_ok=True)
        for filename, source in modules.items():
            (root / filename).write_text(source)
        info = root / f"{name.replace('-', '_')}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
        lines = "".join(f"{ep} = {target}\n" for ep, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[gan_zoo]\n{lines}")
        self.paths.append(root)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([*map(str, self.paths), env.get("PYTHONPATH", "")])
        return env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """``python -m zoo ARGS`` in a fresh process that sees these plugins."""
        return self._run([sys.executable, "-m", "zoo", *args], check)

    def python(self, code: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run([sys.executable, "-c", code], check)

    def _run(self, cmd: list[str], check: bool) -> subprocess.CompletedProcess:
        proc = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture(scope="session")
def example_plugin_dir(tmp_path_factory) -> Path:
    """tests/thirdparty_plugin pip-installed (offline: no index, no deps) into a temporary folder."""
    tmp = tmp_path_factory.mktemp("example_plugin")
    source = shutil.copytree(THIRDPARTY_PLUGIN, tmp / "src")  # pip builds in place: keep tests/ clean
    target = tmp / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    offline = ["--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*pip, *offline, "--target", str(target), str(source)], check=True, capture_output=True)
    return target


@pytest.fixture
def plugin_site(example_plugin_dir) -> PluginSite:
    """A PluginSite with the example plugin installed; tests add broken or clashing plugins to it."""
    return PluginSite(example_plugin_dir)


@pytest.fixture(autouse=True)
def zoo_cache(tmp_path, monkeypatch) -> Path:
    """gan-zoo's own cache (released originals, ``zoo convert URL``) in each test's temporary folder,
    subprocesses included: no test writes to ``$HOME`` or sees another test's downloads."""
    path = tmp_path / "zoo_cache"
    monkeypatch.setenv("ZOO_CACHE", str(path))
    return path


# --- trainer: tiny recipes that train in well under a second per hundred steps ---
@pytest.fixture
def single_thread():
    """One torch thread: tiny networks on a shared 2-core machine are many times faster this way."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def toy_recipe(tmp_path, single_thread) -> dict:
    """A vanilla GAN on the 25-Gaussian grid with a 16-unit MLP, writing to a temporary run dir."""
    return {
        "variant": "gan",
        "data": "gaussians25",
        "model": {"latent_dim": 4, "hidden": [16], "out_shape": [2], "output": "linear"},
        "batch_size": 32,
        "steps": 40,
        "log_every": 5,
        "sample_every": 20,
        "checkpoint_every": 10,
        "ema": {"decay": 0.9, "start": 5},
        "out": str(tmp_path / "run"),
    }


# --- Hub: a Hub-compatible server on 127.0.0.1, catalogue entries, tiny run dirs ---
HUB_TOKEN = "hf_me_token"  # may write the namespace "me"; "hf_other_token" may write "other"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A fresh Hub server; huggingface_hub points at it (HF_ENDPOINT) with a fresh HF_HOME and no token."""
    from hubserver import HubServer, point_client_at

    server = HubServer(tokens={HUB_TOKEN: {"me"}, "hf_other_token": {"other"}}).start()
    point_client_at(monkeypatch, server.url, str(tmp_path / "hf_home"))
    yield server
    server.stop()


@pytest.fixture
def catalogue():
    """``catalogue(name={entry fields})`` registers entries through an in-process register_models plugin."""
    import zoo
    from zoo.plugins import manager
    from zoo.registry import reset

    entries: list[dict] = []

    class CataloguePlugin:
        @zoo.hookimpl
        def register_models(self, register):
            for entry in entries:
                register(dict(entry))

    def add(**named: dict) -> None:
        entries.extend({"name": name, **fields} for name, fields in named.items())
        reset()

    plugin = CataloguePlugin()
    manager().register(plugin, name="test-catalogue")
    reset()
    yield add
    manager().unregister(plugin)
    reset()


@pytest.fixture
def make_run(tmp_path):
    """``make_run(seed)``: a run directory with a tiny DCGAN (width 8) as ``zoo train`` writes it."""
    import json

    import torch
    from zoo_plugins.dcgan.networks import DCGAN

    from zoo.weights import save_weights

    def make(seed: int = 0, name: str = "run", files: dict[str, bytes] | None = None):
        torch.manual_seed(seed)
        model = DCGAN(width=8).eval()
        run = tmp_path / name
        run.mkdir()
        save_weights(model, run / "model.safetensors")
        config = {"variant": "dcgan", "plugin": "dcgan", "config": model.config, "steps": 3}
        config["recipe"] = {"variant": "dcgan", "data": "mnist", "batch_size": 4, "steps": 3, "seed": seed}
        (run / "config.json").write_text(json.dumps(config))
        for relative, data in (files or {}).items():
            (run / relative).parent.mkdir(parents=True, exist_ok=True)
            (run / relative).write_bytes(data)
        return run, model

    return make


def as_checkpoint_sets(run: Path, sets: dict[str, Path], current: str) -> None:
    """Lay ``run`` out as ``zoo train`` does: each folder of ``sets`` (its weights and config) moved to
    ``run/NAME``, the link ``current`` to ``current``, and the top-level names links through it."""
    for name, source in sets.items():
        (run / name).mkdir(parents=True)
        for file in ("model.safetensors", "config.json"):
            (source / file).rename(run / name / file)
    (run / "current").symlink_to(current)
    for file in ("model.safetensors", "config.json"):
        (run / file).symlink_to(f"current/{file}")


def advance_after_reading_config(monkeypatch, module, run: Path, to: str) -> None:
    """Make checkpoint set ``to`` the run's current one (the trainer's one rename of ``current``) right
    after ``module`` reads a config.json: a checkpoint written while a command reads the run."""
    read = module.read_run_config

    def read_then_advance(path, where):
        config = read(path, where)
        (run / "next").symlink_to(to)
        (run / "next").replace(run / "current")
        return config

    monkeypatch.setattr(module, "read_run_config", read_then_advance)
