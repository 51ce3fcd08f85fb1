"""Released originals by name (zoo/originals.py, zoo/http_download.py): the original project's files are
downloaded once from a local server (tests/fileserver.py) through the real download code, recorded,
converted and loaded from the cache; changed files, interrupted downloads and offline use."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from fileserver import FileServer
from hubserver import set_offline
from originals import pix2pix_cyclegan as original
from originals import trained_like
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.pix2pix.model import Pix2Pix

import zoo
from zoo.cli import main
from zoo.errors import DownloadError, RegistryError, WeightsError
from zoo.originals import folder_of
from zoo.registry import registry

ROOT = Path(__file__).resolve().parent.parent
CYCLEGAN = {"in_channels": 3, "out_channels": 3, "netG": "resnet_2blocks", "netD": None, "ngf": 4}
CYCLEGAN |= {"norm": "instance", "dropout": False, "test_mode": "original", "two_way": False}
PIX2PIX = {"in_channels": 3, "out_channels": 3, "netG": "unet_32", "netD": None, "ngf": 4, "norm": "batch"}
PIX2PIX |= {"dropout": True, "test_mode": "original"}


def original_file(net_g: str, norm: str, seed: int = 0) -> tuple[bytes, dict[str, torch.Tensor]]:
    """A generator as the original project saves it (``torch.save`` of its state dict), built with the
    original's module tree, 3 -> 3 channels, ngf 4, trained-like weights: the file's bytes and its state."""
    dropout = net_g.startswith("unet")  # pix2pix's default; the released CycleGANs have none
    state = trained_like(original.define_G(3, 3, 4, net_g, norm, dropout), seed).state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue(), state


@pytest.fixture
def site(monkeypatch, tmp_path):
    """A download site on 127.0.0.1 with a CycleGAN and a pix2pix file; online; a fresh cache."""
    set_offline(monkeypatch, False)
    monkeypatch.setenv("ZOO_CACHE", str(tmp_path / "cache"))
    files = {"/cyclegan/tiny.pth": ("resnet_2blocks", "instance"), "/pix2pix/tiny.pth": ("unet_32", "batch")}
    server = FileServer({path: original_file(*kind)[0] for path, kind in files.items()})
    yield server.start()
    server.stop()


def register(catalogue, name: str, config: dict, url: str, **weights: str) -> None:
    """A catalogue entry ``name`` of a released original at ``url``."""
    variant = "cyclegan" if "two_way" in config else "pix2pix"
    catalogue(
        **{
            name: {
                "variant": variant,
                "task": "translate",
                "config": config,
                "weights": {"url": url, **weights},
            }
        }
    )


@pytest.mark.parametrize(
    ("cls", "config", "path", "net_g", "norm"),
    [
        (CycleGAN, CYCLEGAN, "/cyclegan/tiny.pth", "resnet_2blocks", "instance"),
        (Pix2Pix, PIX2PIX, "/pix2pix/tiny.pth", "unet_32", "batch"),
    ],
)
def test_first_load_downloads_and_converts_then_loads_from_the_cache(
    site, catalogue, cls, config, path, net_g, norm
):
    register(catalogue, "tiny", config, site.url + path)
    model = zoo.load("tiny")
    assert site.requests == [(path, None)]
    folder = folder_of(registry().find("tiny"))
    record = json.loads((folder / "record.json").read_text())
    assert record["sha256"] == hashlib.sha256(site.files[path]).hexdigest()
    assert record["url"] == site.url + path and (folder / "tiny.pth").read_bytes() == site.files[path]
    # the original network's outputs (its own module tree, eval mode) from the converted file
    net = original.define_G(3, 3, 4, net_g, norm, net_g.startswith("unet")).eval()
    net.load_state_dict(original_file(net_g, norm)[1])
    evaluated = zoo.load("tiny", test_mode="eval")
    generator = evaluated.generator_ab if cls is CycleGAN else evaluated.generator
    z = torch.rand(2, 3, 32, 32) * 2 - 1
    assert torch.allclose(generator(z), net(z), atol=1e-5)
    x = torch.rand(2, 3, 32, 32)
    site.stop()  # no network from now on: the cache alone
    again = zoo.load("tiny")
    assert torch.equal(again.translate(x, seed=1), model.translate(x, seed=1))
    assert site.requests == [(path, None)]


def test_a_changed_upstream_file_after_clearing_the_cache_is_refused(site, catalogue):
    register(catalogue, "tiny", CYCLEGAN, site.url + "/cyclegan/tiny.pth")
    zoo.load("tiny")
    folder = folder_of(registry().find("tiny"))
    for name in ("tiny.pth", "model.safetensors"):  # the files cleared, the record kept
        (folder / name).unlink()
    site.files["/cyclegan/tiny.pth"] = original_file("resnet_2blocks", "instance", seed=1)[0]
    with pytest.raises(WeightsError, match="the record of its first download") as err:
        zoo.load("tiny")
    assert "the file just downloaded from http://127.0.0.1" in str(err.value)
    assert f"delete {folder / 'record.json'}" in str(err.value) and "It was deleted" in str(err.value)
    assert not (folder / "tiny.pth").exists() and not (folder / "model.safetensors").exists()


@pytest.mark.parametrize("name", ["tiny.pth", "model.safetensors"])
def test_a_tampered_cached_file_is_an_error_naming_it(site, catalogue, name):
    register(catalogue, "tiny", CYCLEGAN, site.url + "/cyclegan/tiny.pth")
    zoo.load("tiny")
    path = folder_of(registry().find("tiny")) / name
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="sha256") as err:
        zoo.load("tiny")
    assert str(path) in str(err.value) and "load again" in str(err.value)
    assert len(site.requests) == 1


def test_a_registry_hash_is_the_reference_and_a_file_that_differs_is_deleted(site, catalogue):
    register(catalogue, "tiny", CYCLEGAN, site.url + "/cyclegan/tiny.pth", url_sha256="ab" * 32)
    with pytest.raises(WeightsError, match=r"the registry \(weights.url_sha256\) gives abab"):
        zoo.load("tiny")
    assert not (folder_of(registry().find("tiny")) / "tiny.pth").exists()


def test_an_interrupted_download_resumes_with_range_and_gives_the_same_bytes(site, catalogue):
    path = "/cyclegan/tiny.pth"
    register(catalogue, "tiny", CYCLEGAN, site.url + path)
    site.cut_once[path] = 20_000
    with pytest.raises(DownloadError, match="the 20000 bytes received are kept in .*tiny.pth.part"):
        zoo.load("tiny")
    zoo.load("tiny")
    assert site.requests == [(path, None), (path, "bytes=20000-")]
    folder = folder_of(registry().find("tiny"))
    assert (folder / "tiny.pth").read_bytes() == site.files[path]
    assert not (folder / "tiny.pth.part").exists()


def test_a_server_that_ignores_range_gives_the_whole_file_again(site, catalogue):
    path = "/cyclegan/tiny.pth"
    register(catalogue, "tiny", CYCLEGAN, site.url + path)
    site.cut_once[path] = 20_000
    with pytest.raises(DownloadError):
        zoo.load("tiny")
    site.ignore_range = True
    zoo.load("tiny")
    assert site.requests[1] == (path, "bytes=20000-")
    assert (folder_of(registry().find("tiny")) / "tiny.pth").read_bytes() == site.files[path]


def test_a_file_that_is_not_what_the_registry_says_is_refused(site, catalogue):
    register(catalogue, "tiny", {**CYCLEGAN, "ngf": 8}, site.url + "/cyclegan/tiny.pth")
    with pytest.raises(WeightsError, match="is not the model the registry describes") as err:
        zoo.load("tiny")
    assert "ngf" in str(err.value) and ".converting" not in str(err.value)
    assert not (folder_of(registry().find("tiny")) / "model.safetensors").exists()


def test_an_unreachable_host_says_how_to_fetch_the_file_elsewhere(site, catalogue):
    site.stop()  # its port is closed now
    register(catalogue, "tiny", CYCLEGAN, site.url + "/cyclegan/tiny.pth")
    with pytest.raises(DownloadError, match="ConnectError") as err:
        zoo.load("tiny")
    assert "zoo download tiny --file tiny.pth" in str(err.value)


def test_offline_the_real_entry_says_it_is_converted_on_first_use_and_how_to_get_it(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ZOO_CACHE": str(tmp_path / "cache")}
    code = "import sys, zoo.cli; sys.exit(zoo.cli.main(['download', 'cyclegan-horse2zebra']))"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    url = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/horse2zebra.pth"
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    for part in (
        f"converted on first use from {url}",
        str(tmp_path / "cache" / "originals" / "cyclegan-horse2zebra" / "horse2zebra.pth"),
        "HF_HUB_OFFLINE is set",
        "zoo download cyclegan-horse2zebra --file horse2zebra.pth",
    ):
        assert part in proc.stderr, proc.stderr


def test_download_file_records_and_converts_a_file_fetched_by_hand(site, catalogue, tmp_path, capsys):
    register(catalogue, "tiny", CYCLEGAN, site.url + "/cyclegan/tiny.pth")
    fetched = tmp_path / "tiny.pth"
    fetched.write_bytes(site.files["/cyclegan/tiny.pth"])
    site.stop()
    assert main(["download", "tiny", "--file", str(fetched)]) == 0
    folder = folder_of(registry().find("tiny"))
    assert capsys.readouterr().out.strip() == str(folder / "model.safetensors")
    record = json.loads((folder / "record.json").read_text())
    assert record["source"] == f"the file {fetched}" and site.requests == []
    assert not zoo.load("tiny").training
    other = tmp_path / "other.pth"
    other.write_bytes(original_file("resnet_2blocks", "instance", seed=5)[0])
    assert main(["download", "tiny", "--file", str(other)]) == 2
    assert f"the file {other} has sha256" in capsys.readouterr().err


def test_download_file_is_only_for_released_originals(capsys, tmp_path):
    assert main(["download", "dcgan-mnist", "--file", str(tmp_path / "x.pth")]) == 2
    assert "--file is for released originals" in capsys.readouterr().err


def test_download_shows_progress_unless_quiet(site, catalogue, capsys):
    register(catalogue, "tiny", CYCLEGAN, site.url + "/cyclegan/tiny.pth")
    register(catalogue, "tiny2", PIX2PIX, site.url + "/pix2pix/tiny.pth")
    try:
        assert main(["download", "tiny"]) == 0
        assert "tiny.pth: 100%" in capsys.readouterr().err
        assert main(["-q", "download", "tiny2"]) == 0
        assert "tiny.pth" not in capsys.readouterr().err
    finally:
        main(["list", "nothing-matches-this"])  # the zoo logger back at INFO for the tests after
        capsys.readouterr()


def test_convert_takes_a_url_and_its_errors_name_the_url(site, tmp_path, capsys):
    url = site.url + "/cyclegan/tiny.pth"
    assert main(["convert", "cyclegan", url, "--out", str(tmp_path / "d")]) == 0
    assert json.loads((tmp_path / "d" / "config.json").read_text())["config"]["netG"] == "resnet_2blocks"
    # a second conversion uses the copy downloaded before, checked against the sha256 recorded then
    requests = len(site.requests)
    assert main(["convert", "cyclegan", url, "--out", str(tmp_path / "d2")]) == 0
    assert len(site.requests) == requests
    (copy,) = (tmp_path / "cache" / "downloads").glob("*/tiny.pth")
    copy.write_bytes(copy.read_bytes()[:-1] + b"x")
    assert main(["convert", "cyclegan", url, "--out", str(tmp_path / "d3")]) == 2
    err = capsys.readouterr().err
    assert f"{url}: its copy downloaded before ({copy}) has sha256" in err and "Delete" in err
    shutil.rmtree(copy.parent)
    assert main(["convert", "cyclegan", url, "--out", str(tmp_path / "e"), "--netG", "resnet_9blocks"]) == 2
    assert "does not hold the generator asked for" in capsys.readouterr().err
    site.files["/junk.pth"] = b"not a checkpoint"
    assert main(["convert", "cyclegan", site.url + "/junk.pth", "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err
    assert f"{site.url}/junk.pth is not a checkpoint" in err and str(tmp_path / "cache") not in err
    assert main(["convert", "cyclegan", site.url + "/nothing.pth", "--out", str(tmp_path / "f")]) == 2
    assert f"{site.url}/nothing.pth could not be fetched: the server answered 404" in capsys.readouterr().err


def test_the_built_in_released_entries_are_the_originals_files():
    cyclegan = """apple2orange orange2apple summer2winter_yosemite winter2summer_yosemite horse2zebra
        zebra2horse monet2photo style_monet style_cezanne style_ukiyoe style_vangogh sat2map map2sat
        cityscapes_photo2label cityscapes_label2photo facades_photo2label facades_label2photo
        iphone2dslr_flower""".split()
    pix2pix = "edges2shoes sat2map map2sat facades_label2photo day2night".split()
    released = {e.name: e for e in registry().entries if e.weights and e.weights.url}
    assert set(released) == {f"cyclegan-{n}" for n in cyclegan} | {f"pix2pix-{n}" for n in pix2pix}
    base = "http://efrosgans.eecs.berkeley.edu/"
    for name in cyclegan:
        entry = released[f"cyclegan-{name}"]
        assert entry.weights.url == f"{base}cyclegan/pretrained_models/{name}.pth"
        assert entry.config == {**CYCLEGAN, "netG": "resnet_9blocks", "ngf": 64}
    for name in pix2pix:
        entry = released[f"pix2pix-{name}"]
        assert entry.weights.url == f"{base}pix2pix/models-pytorch/{name}.pth"
        assert entry.config == {**PIX2PIX, "netG": "unet_256", "ngf": 64}
    assert all(e.task == "translate" and "BSD" in e.license for e in released.values())
    assert "no number measured here" in zoo.info("pix2pix-day2night")["released_original"]["quality"]
    assert (
        "https://arxiv.org/abs/1703.10593" in zoo.info("cyclegan-horse2zebra")["released_original"]["quality"]
    )


def test_the_catalogue_keeps_its_templates_out_of_the_models():
    raw = yaml.safe_load((ROOT / "registry.yaml").read_text())
    assert set(raw) == {"templates", "models"} and not set(raw["templates"]) & set(raw["models"])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"url": "ftp://host/x.pth"}, "weights.url must be an http:// or https:// address"),
        ({"url": "http://host/x.pth", "url_sha256": "abc"}, "weights.url_sha256 must be 64 hex digits"),
        ({"url_sha256": "ab" * 32}, "give the url too"),
        ({"url": "http://host/x.pth", "bundled": "x.safetensors"}, "goes without weights.bundled"),
    ],
)
def test_bad_url_fields_are_named(weights, message):
    from zoo.entries import entry_from_dict

    with pytest.raises(RegistryError, match=message):
        entry_from_dict("x", {"variant": "cyclegan", "weights": weights}, "test")


def test_evaluate_says_where_the_quality_of_a_released_original_is_before_fetching_it(capsys, monkeypatch):
    monkeypatch.setattr("zoo.originals.fetch", lambda *args: pytest.fail("fetched"))
    assert main(["evaluate", "pix2pix-edges2shoes"]) == 2
    err = capsys.readouterr().err
    assert "no number measured here: see the paper" in err and "https://arxiv.org/abs/1611.07004" in err


def test_list_and_info_say_released_originals_are_converted_on_first_use(capsys):
    assert main(["list", "horse2zebra"]) == 0
    (row,) = capsys.readouterr().out.splitlines()[1:]
    assert row.startswith("cyclegan-horse2zebra") and "converted on first use" in row
    assert main(["info", "cyclegan-horse2zebra"]) == 0
    out = capsys.readouterr().out
    assert "converted on first use" in out and "--file FILE.pth" in out


def test_a_complete_part_file_is_finished_without_downloading_it_again(site, tmp_path):
    from zoo.http_download import fetch

    data = site.files["/cyclegan/tiny.pth"]
    (tmp_path / "x.pth.part").write_bytes(data)  # complete, but killed before the rename
    assert fetch(site.url + "/cyclegan/tiny.pth", tmp_path / "x.pth").read_bytes() == data
    assert site.requests == [("/cyclegan/tiny.pth", f"bytes={len(data)}-")]
    (tmp_path / "y.pth.part").write_bytes(data + b"more")  # longer than the file: not this file's start
    assert fetch(site.url + "/cyclegan/tiny.pth", tmp_path / "y.pth").read_bytes() == data
