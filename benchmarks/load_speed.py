"""``zoo.load("dcgan")`` time above ``import torch`` plus building the network, in fresh processes.

Two scripts run ``--repeats`` times each, interleaved, each in a new process with torch already
imported before the clock starts: (a) ``zoo.load(NAME)`` (registry, plugin import, network, weights
file resolution from the cache or the bundled file, sha256 check, strict load, eval); (b) only building
the same network from its registry entry. The overhead of loading is median(a) - median(b); target
at most 0.5 s. Run: ``python benchmarks/load_speed.py [--name dcgan]``.

``--original NAME`` measures a released original (``cyclegan-horse2zebra``: resnet_9blocks, 11.4 M
parameters; ``pix2pix-facades_label2photo``: unet_256, 54.4 M) loaded from gan-zoo's cache: a file in the
original's layout, random tensors of the real shapes, is served by the test suite's file server
(``tests/fileserver.py``, on 127.0.0.1), the entry's URL pointed at it, downloaded and converted once
into a temporary ``ZOO_CACHE``, the server stopped; then ``zoo.load(NAME)`` runs from the cache (the
converted file hashed against its record on each load).

``--hub`` measures the Hugging Face cache path instead: the entry's weights are published with the real
client to the test suite's local Hub server (``tests/hubserver.py``, on 127.0.0.1), downloaded into a
fresh cache, the server is stopped, and ``zoo.load("hf-hub:gan-zoo/NAME@<sha>")`` runs offline from that
cache (sha256 checked against the cached ETag).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_S = 0.5

PRELUDE = """
import json, logging, time
import torch
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
start = time.perf_counter()
"""
LOAD = (
    PRELUDE
    + """
import zoo
model = zoo.load({name!r})
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""
)
BUILD = (
    PRELUDE
    + """
from zoo.registry import registry
entry = registry().find({name!r})
model = registry().variant(entry.variant).model_class()(**entry.config)
print(json.dumps({{"seconds": time.perf_counter() - start}}))
"""
)


def run(code: str, env: dict[str, str]) -> tuple[float, str]:
    """Seconds the script measured, and what it logged (the loader says which weights file it used)."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark script failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"], proc.stderr.strip()


def hub_cache(name: str, tmp: Path) -> tuple[str, dict[str, str]]:
    """Publish ``name``'s bundled weights to a local Hub, download them, stop the Hub.

    Returns the ``hf-hub:`` name that loads from the filled cache, and the environment to load it in.
    """
    import pytest

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from hubserver import HubServer, point_client_at

    import zoo
    from zoo.hub_download import download
    from zoo.registry import registry

    entry = registry().find(name)
    run = tmp / "run"
    run.mkdir()
    shutil.copy(entry.weights.bundled, run / "model.safetensors")
    (run / "config.json").write_text(json.dumps({"variant": entry.variant, "config": entry.config}))
    server = HubServer(tokens={"bench-token": {"gan-zoo"}}).start()
    patch = pytest.MonkeyPatch()
    try:
        point_client_at(patch, server.url, str(tmp / "hf_home"))
        sha = zoo.publish(run, f"gan-zoo/{entry.name}", token="bench-token")
        hub_name = f"hf-hub:gan-zoo/{entry.name}@{sha}"
        download(hub_name)
    finally:
        patch.undo()
        server.stop()
    return hub_name, {"HF_HOME": str(tmp / "hf_home"), "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


ORIGINAL_PLUGIN = """
import sys
import zoo
from zoo.plugins import manager
from zoo.registry import registry, reset

entry = registry().find({name!r})
fields = {{"variant": entry.variant, "task": entry.task, "config": entry.config}}
fields["weights"] = {{"url": {url!r}}}


class Mirror:
    @zoo.hookimpl
    def register_models(self, register):
        register({{"name": {name!r}, **fields}})


manager().register(Mirror(), name="mirror")
reset()
"""


def original_cache(name: str, tmp: Path) -> tuple[str, dict[str, str]]:
    """A released original's file (the original's module tree, random weights) from a local server into
    gan-zoo's cache.

    Returns the code that registers ``mirror:NAME``, the entry with its URL on that server (run before
    each script's clock starts, so the registry's real config and conversion are used), and the
    environment with the cache.
    """
    import io

    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from fileserver import FileServer
    from originals import pix2pix_cyclegan as original

    from zoo.registry import registry

    entry = registry().find(name)
    c = entry.config
    net = original.define_G(c["in_channels"], c["out_channels"], c["ngf"], c["netG"], c["norm"], c["dropout"])
    state = net.state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    server = FileServer({"/original.pth": buffer.getvalue()}).start()
    env = {"ZOO_CACHE": str(tmp / "cache"), "HF_HUB_OFFLINE": "0"}
    plugin = ORIGINAL_PLUGIN.format(name=name, url=f"{server.url}/original.pth")
    try:
        code = plugin + f"zoo.load('mirror:{name}')\n"
        subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True)
    finally:
        server.stop()
    import time

    from zoo.weights import sha256_of

    converted = tmp / "cache" / "originals" / name / "model.safetensors"
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        sha256_of(converted)
        seconds.append(time.perf_counter() - start)
    size = converted.stat().st_size / 1e6
    print(
        f"sha256 of the converted {size:.1f} MB file (done on every load): {statistics.median(seconds):.3f} s"
    )
    return plugin, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="dcgan")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--offline", action="store_true", help="HF_HUB_OFFLINE=1: cache or bundled file")
    parser.add_argument("--hub", action="store_true", help="load from a filled HF cache (see above)")
    parser.add_argument("--original", action="store_true", help="a released original from gan-zoo's cache")
    args = parser.parse_args()
    env = {**os.environ, **({"HF_HUB_OFFLINE": "1"} if args.offline else {})}
    load_name = args.name
    with tempfile.TemporaryDirectory() as tmp:
        prefix = ""
        if args.hub:
            load_name, hub_env = hub_cache(args.name, Path(tmp))
            env.update(hub_env)
        if args.original:
            prefix, original_env = original_cache(args.name, Path(tmp))
            env.update(original_env)
            load_name = f"mirror:{args.name}"  # the same entry, its URL on the local server
        scripts = {
            "zoo.load": LOAD.format(name=load_name).replace("start = time", prefix + "start = time"),
            "build only": BUILD.format(name=load_name if args.original else args.name).replace(
                "start = time", prefix + "start = time"
            ),
        }
        measure(scripts, env, load_name, args.repeats)


def measure(scripts: dict[str, str], env: dict[str, str], load_name: str, repeats: int) -> None:
    """Time both scripts ``repeats`` times, interleaved, and print the medians and the overhead."""
    _, log = run(scripts["zoo.load"], env)  # warm-up: fills the disk cache (and shows the weights source)
    times: dict[str, list[float]] = {name: [] for name in scripts}
    for _ in range(repeats):
        for name, code in scripts.items():
            times[name].append(run(code, env)[0])
    median = {name: statistics.median(t) for name, t in times.items()}
    print("loader log:", *(log.splitlines() or ["(nothing at INFO)"]), sep="\n  ")
    for name, t in times.items():
        spread = f"min {min(t):.3f} max {max(t):.3f}, n={repeats}"
        print(f"{name:12s} median {median[name]:.3f} s  ({spread})")
    overhead = median["zoo.load"] - median["build only"]
    verdict = f"{'meets' if overhead <= TARGET_S else 'MISSES'} the {TARGET_S} s target"
    print(f"zoo.load({load_name!r}) above import torch + building the network: {overhead:.3f} s; {verdict}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
