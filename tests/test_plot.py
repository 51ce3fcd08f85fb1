"""``zoo plot RUN``: a run's metrics.jsonl drawn to a PNG, and clear errors for runs it cannot draw."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from zoo.cli import main
from zoo.plot import PlotError, choose_keys, panels, plot_run, read_metrics


def write_metrics(run, records, tail=""):
    run.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in records) + tail
    (run / "metrics.jsonl").write_text(text)
    return run


RECORDS = [
    {"step": 50, "loss_d": 1.3, "loss_g": 0.8, "d_real": 0.6, "d_fake": 0.4, "img_per_s": 300.0},
    {"step": 100, "loss_d": 1.1, "loss_g": 1.2, "d_real": 0.7, "d_fake": 0.3, "img_per_s": 310.0},
    {"step": 100, "eval_fd": 4.2},
]


def test_plot_writes_curves_png_in_the_run_by_default(tmp_path, capsys):
    run = write_metrics(tmp_path / "run", RECORDS, tail='{"step": 150, "loss_')  # killed mid-line
    assert main(["plot", str(run)]) == 0
    out = run / "curves.png"
    assert capsys.readouterr().out.strip() == str(out)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 200 and image.height > 300


def test_plot_groups_losses_discriminator_outputs_and_eval_metrics():
    keys = choose_keys(RECORDS, None)
    assert "img_per_s" not in keys
    assert panels(keys) == [
        ("losses", ["loss_d", "loss_g"]),
        ("D(x) and D(G(z))", ["d_real", "d_fake"]),
        ("evaluation", ["eval_fd"]),
    ]


def test_plot_keys_choose_the_curves_and_out_the_file(tmp_path):
    run = write_metrics(tmp_path / "run", RECORDS)
    one = plot_run(run, tmp_path / "one.png", keys=["loss_g"])
    every = plot_run(run, tmp_path / "every.png")
    with Image.open(one) as a, Image.open(every) as b:
        assert a.height < b.height  # one panel instead of three
    assert not (run / "curves.png").exists()


def test_plot_is_deterministic(tmp_path):
    run = write_metrics(tmp_path / "run", RECORDS)
    first = plot_run(run, tmp_path / "a.png").read_bytes()
    assert plot_run(run, tmp_path / "b.png").read_bytes() == first


def test_plot_unknown_key_names_the_logged_ones(tmp_path, capsys):
    run = write_metrics(tmp_path / "run", RECORDS)
    assert main(["plot", str(run), "--keys", "loss_d", "fid"]) == 2
    err = capsys.readouterr().err
    assert "fid not in metrics.jsonl" in err and "loss_d, loss_g, d_real, d_fake, img_per_s, eval_fd" in err
    assert "Traceback" not in err


def test_plot_without_metrics_or_with_none_logged_says_what_to_do(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(PlotError, match="holds no metrics.jsonl"):
        read_metrics(tmp_path / "run")
    with pytest.raises(PlotError, match="is not a directory"):
        read_metrics(tmp_path / "missing")
    write_metrics(tmp_path / "run", [], tail="\n")
    with pytest.raises(PlotError, match="no logged step yet"):
        read_metrics(tmp_path / "run")


def test_zoo_list_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys; from zoo.cli import main; main(['list']); assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
