"""Every failure of the ``zoo`` command ends with exit status 2 and one ``error:`` line saying what was wrong
and what to do; a traceback only with ``--debug``; an unexpected exception is an internal error (status 1)."""

import errno
import json
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from zoo.cli import build_parser, main

TINY_GAN = "model={latent_dim: 4, hidden: [8], out_shape: [2], output: linear}"


def train_args(out: Path, *extra: str) -> list[str]:
    """``zoo train`` of a tiny vanilla GAN on the 25-Gaussian grid, into ``out``."""
    common = ["train", "gan-mnist", "--data", "gaussians25", "--out", str(out), "--batch-size", "8"]
    return [*common, "--steps", "2", "--set", TINY_GAN, "--set", "sample_every=0", *extra]


def error_line(capsys, args: list[str], phrase: str, status: int = 2) -> str:
    """Run ``zoo ARGS`` in this process: it exits with ``status`` and one ``error:`` line holding
    ``phrase``, without a traceback; returns that line."""
    try:
        exited = main(args)
    except SystemExit as exc:  # argparse's errors
        exited = exc.code
    assert exited == status
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert phrase in lines[0], err
    return lines[0]


# --------------------------------------------------------------------------------- --resume checkpoints
class Malicious:
    """Unpickling this would create ``marker``: a stand-in for code a malicious checkpoint runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _truncated(path: Path) -> None:
    torch.save({"step": 1, "model": {"w": torch.ones(1000)}}, path)
    path.write_bytes(path.read_bytes()[:500])


@pytest.mark.parametrize(
    ("write", "looks"),
    [
        (lambda p: torch.save(Malicious(p.parent / "pwned"), p), "pickled Python objects such as"),
        (lambda p: p.write_bytes(b""), "it is empty (0 bytes)"),
        (_truncated, "truncated or corrupted"),
        (lambda p: p.write_text("step: 3\n"), "not a file torch.save wrote"),
        (lambda p: torch.save({"state_dict": {"w": torch.ones(2)}}, p), "not a gan-zoo training checkpoint"),
        (lambda p: torch.save([1, 2], p), "not a gan-zoo training checkpoint"),
    ],
    ids=["malicious", "empty", "truncated", "text", "foreign-dict", "foreign-list"],
)
def test_resume_from_a_bad_checkpoint_names_the_file_and_what_to_do(write, looks, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    checkpoint = out / "checkpoint.pt"
    write(checkpoint)
    line = error_line(capsys, train_args(out, "--resume"), f"cannot resume from {checkpoint}: ")
    assert looks in line
    assert "delete it to start the run afresh, or point --out at another run directory" in line
    assert "weights_only=False" not in line
    assert not (out / "pwned").exists()  # nothing in the file was run


# ------------------------------------------------------------------------------------------ full disk
def test_a_full_disk_while_writing_names_the_file(tmp_path, capsys, monkeypatch):
    def no_space(self, *args, **kwargs):  # what a write() raises on a full disk: no file name
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", no_space)
    out = tmp_path / "grid.png"
    line = error_line(capsys, ["run", "dcgan", "--n", "4", "--out", str(out)], "no space left on device")
    assert line == f"error: no space left on device while writing {out}: free space or choose another --out"
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_a_full_disk_under_safetensors_is_a_disk_full_error(tmp_path, capsys, monkeypatch, single_thread):
    from safetensors import SafetensorError

    def short_write(*args, **kwargs):  # what safetensors raises when the disk fills up
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr("zoo.weights.save_file", short_write)
    out = tmp_path / "run"
    line = error_line(capsys, train_args(out), "no space left on device while writing")
    assert re.search(rf"{out}/ckpt-\d+/model\.safetensors: free space or choose another --out", line), line


@pytest.mark.parametrize("free", [0, 1 << 30])
def test_a_torch_write_failure_is_put_down_to_the_disk_only_when_it_is_full(free, tmp_path, monkeypatch):
    """torch.save's short-write errors (``unexpected pos``, ``basic_ios::clear``) never say "disk full"."""
    import shutil

    from zoo.io import atomic_path

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage._replace(free=free))
    with pytest.raises((OSError, RuntimeError)) as caught:
        with atomic_path(tmp_path / "checkpoint.pt"):
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534")
    if free:
        assert type(caught.value) is RuntimeError  # another failure: passed on as it is
    else:
        assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path / "checkpoint.pt")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------- unwritable --out
@pytest.mark.parametrize("command", ["run", "train"])
def test_an_unwritable_out_fails_before_anything_is_loaded(command, tmp_path, capsys, monkeypatch):
    def loaded(*args, **kwargs):
        raise AssertionError("the model or data was loaded before --out was checked")

    def denied(*args, **kwargs):  # as a folder without write permission does (root may write anywhere)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("zoo.load", loaded)
    monkeypatch.setattr("zoo.trainer.train", loaded)
    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    args = ["run", "dcgan", "--out", str(tmp_path / "grid.png")] if command == "run" else train_args(tmp_path)
    line = error_line(capsys, args, f"{tmp_path} is not writable (Permission denied)")
    assert "choose another --out" in line


@pytest.mark.parametrize("command", ["run", "train"])
def test_an_out_below_a_file_is_refused(command, tmp_path, capsys):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    out = blocker / "sub" / "grid.png"
    args = ["run", "dcgan", "--out", str(out)] if command == "run" else train_args(out)
    error_line(capsys, args, f"{blocker} is a file, not a folder")


# -------------------------------------------------------------------------------------------- devices
#: these check the error for a GPU asked for where there is none: on a machine with one there is no error
WITHOUT_GPU = pytest.mark.skipif(
    torch.cuda.is_available(), reason="checks the error on a machine without a GPU; this one has a GPU"
)


@WITHOUT_GPU
@pytest.mark.parametrize(
    ("device", "phrase"),
    [
        ("cuda", "device 'cuda' is not available: torch sees no cuda device; the devices here are: cpu"),
        ("cuda:1", "device 'cuda:1' is not available"),
        ("gpu", "unknown device 'gpu' (the devices here are: cpu; a GPU is 'cuda' or 'cuda:N')"),
        ("warp9", "unknown device 'warp9'"),
    ],
)
def test_an_unavailable_or_unknown_device_names_the_devices_there_are(device, phrase, capsys):
    error_line(capsys, ["run", "dcgan", "--device", device], phrase)
    error_line(capsys, ["evaluate", "dcgan", "--device", device], phrase)


@WITHOUT_GPU
def test_training_on_a_missing_gpu_names_the_devices_there_are(tmp_path, capsys):
    error_line(capsys, train_args(tmp_path / "run", "--set", "device=cuda"), "the devices here are: cpu")
    error_line(capsys, train_args(tmp_path / "run", "--set", "device=gpu"), "unknown device 'gpu'")


# --------------------------------------------------------------------------------------------- publish
def test_publishing_without_a_network_names_the_endpoint_and_what_to_do(
    make_run, tmp_path, capsys, monkeypatch
):
    from hubserver import point_client_at

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"
    point_client_at(monkeypatch, endpoint, str(tmp_path / "hf_home"))
    run, _ = make_run()
    line = error_line(
        capsys, ["publish", str(run), "--repo-id", "me/x", "--token", "hf_x"], "cannot be reached"
    )
    assert f"cannot publish {run} to me/x: the Hub at {endpoint} cannot be reached" in line
    assert "Check the network or HF_ENDPOINT" in line and "--token" in line


# ---------------------------------------------------------------------------------------- zoo run options
def test_a_one_way_translator_refuses_direction(tmp_path, capsys):
    image = tmp_path / "edges.png"
    Image.new("L", (32, 32)).save(image)
    args = ["run", "pix2pix", str(image), "--direction", "BtoA", "--out", str(tmp_path / "out.png")]
    error_line(
        capsys, args, "Pix2Pix translates in one direction only (the one it was trained on): drop --direction"
    )


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["run", "dcgan", "--n", "100000000"], "--n must be from 1 to 10000 (one grid image), got 100000000"),
        (["run", "dcgan", "--n", "0"], "--n must be from 1 to 10000"),
        (
            ["run", "dcgan", "--seed", "-1"],
            "argument --seed: a seed is a whole number from 0 to 2**63-1, not '-1'",
        ),
        (["evaluate", "dcgan", "--seed", "-3"], "a seed is a whole number from 0"),
        (["train", "dcgan", "--out", "x", "--seed", "x"], "a seed is a whole number from 0"),
        (["run", "attngan", "a red circle", "--n", "4"], "text_to_image models take captions"),
        (["run", "ganomaly-mnist", ".", "--n", "4"], "score models take image files or folders"),
    ],
)
def test_run_refuses_bad_counts_seeds_and_n_for_one_output_tasks(args, phrase, capsys, monkeypatch):
    def loaded(*args, **kwargs):
        raise AssertionError("the model was loaded before its arguments were checked")

    monkeypatch.setattr("zoo.load", loaded)
    line = error_line(capsys, args, phrase)
    if "--n" in args and args[1] != "dcgan":
        assert line.endswith("and make one output for them: drop --n")


def test_n_given_to_a_translator_is_an_error(tmp_path, capsys):
    image = tmp_path / "edges.png"
    Image.new("L", (32, 32)).save(image)
    error_line(capsys, ["run", "pix2pix", str(image), "--n", "4"], "translate models take one image file")


def test_quiet_and_debug_go_before_or_after_the_command():
    parse = build_parser().parse_args
    assert (parse(["run", "dcgan"]).quiet, parse(["run", "dcgan"]).debug) == (False, False)
    assert parse(["-q", "--debug", "run", "dcgan"]).quiet and parse(["--debug", "run", "dcgan"]).debug
    assert parse(["run", "dcgan", "-q", "--debug"]).quiet and parse(["run", "dcgan", "--debug"]).debug
    assert parse(["train", "dcgan", "--out", "x", "--quiet"]).quiet


# ---------------------------------------------------------------------------------- convert, config.json
@pytest.mark.parametrize(
    ("content", "looks"),
    [
        (b"my notes\n", "it is not a file torch.save wrote"),
        (None, "it holds pickled Python objects such as"),
    ],
    ids=["text", "malicious"],
)
def test_convert_of_a_file_that_is_not_a_checkpoint(content, looks, tmp_path, capsys):
    source = tmp_path / "notes.txt"
    if content is None:
        torch.save(Malicious(tmp_path / "pwned"), source)
    else:
        source.write_bytes(content)
    args = ["convert", "pix2pix", str(source), "--out", str(tmp_path / "out")]
    line = error_line(capsys, args, f"{source} is not a checkpoint torch.load(weights_only=True) can read")
    assert looks in line
    assert "weights_only=False" not in line and "weights_only` set to `False" not in line
    assert not (tmp_path / "pwned").exists()


def test_a_config_field_that_builds_no_network_is_named(make_run, tmp_path, capsys):
    run, _ = make_run()
    record = json.loads((run / "config.json").read_text())
    record["config"]["channels"] = -1
    (run / "config.json").write_text(json.dumps(record))
    line = error_line(capsys, ["run", str(run), "--out", str(tmp_path / "grid.png")], "field 'channels'")
    assert (
        line
        == f"error: {run}: the config does not fit DCGAN: field 'channels': it must be at least 1, not -1"
    )


# ------------------------------------------------------------------------------------ training images
def _folder(tmp_path: Path, bad: str) -> Path:
    """Four 32x32 RGB images and one bad file named ``bad`` (sorted last)."""
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(4):
        Image.new("RGB", (32, 32), color=(40 * i, 0, 0)).save(folder / f"{i}.png")
    good = (folder / "0.png").read_bytes()
    (folder / bad).write_bytes(good[:60] if bad == "z_cut.png" else b"not an image at all")
    return folder


@pytest.mark.parametrize("workers", [0, 1])
@pytest.mark.parametrize("bad", ["z_cut.png", "z_notes.png"])
def test_a_corrupt_training_image_is_one_error_naming_the_file(bad, workers, tmp_path, capsys, single_thread):
    folder = _folder(tmp_path, bad)
    args = ["train", "dcgan", "--data", str(folder), "--out", str(tmp_path / "run"), "--steps", "4"]
    args += ["--batch-size", "2", "--set", "model.width=4", "--set", "sample_every=0"]
    args += ["--set", f"workers={workers}", "--set", "model.channels=3"]
    error_line(capsys, args, f"{folder / bad} is not a readable image")


# ------------------------------------------------------------------------------------ --debug, bugs
def test_debug_shows_the_traceback_before_the_error_line():
    def zoo(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "zoo", *args], capture_output=True, text=True, timeout=300
        )

    message = "error: unknown device 'warp9' (the devices here are: cpu"
    for args in (
        ["--debug", "run", "dcgan", "--device", "warp9"],
        ["run", "dcgan", "--device", "warp9", "--debug"],
    ):
        proc = zoo(*args)
        assert proc.returncode == 2
        assert "Traceback (most recent call last)" in proc.stderr
        assert proc.stderr.rstrip().splitlines()[-1].startswith(message)
    proc = zoo("run", "dcgan", "--device", "warp9")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("error:")][0].startswith(message)


@pytest.mark.parametrize(
    "failure",
    [
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you tried"
        ),
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
        MemoryError(),
    ],
    ids=["cpu", "cuda", "python"],
)
def test_running_out_of_memory_says_what_to_lower(failure, capsys, monkeypatch):
    def allocate(args):
        raise failure

    monkeypatch.setattr("zoo.cli.cmd_list", allocate)
    line = error_line(capsys, ["list"], "error: not enough memory (")
    assert line.endswith("): lower --n or --batch-size, or use another --device")


def test_an_unexpected_exception_is_an_internal_error_to_report(capsys, monkeypatch):
    def bug(args):
        return {}["missing"]

    monkeypatch.setattr("zoo.cli.cmd_list", bug)
    line = error_line(capsys, ["list"], "error: internal error: KeyError: 'missing'", status=1)
    assert line.endswith("; rerun with --debug and report it")
    assert main(["list", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_argparse_errors_end_with_one_error_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["run"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: zoo run")
    assert [line for line in err.splitlines() if line.startswith("error:")] == [
        "error: the following arguments are required: name, inputs (`zoo run --help` explains every argument)"
    ]
