"""``zoo publish`` and ``zoo.load("hf-hub:...")`` end to end through huggingface_hub and the test Hub."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import torch
from conftest import HUB_TOKEN, advance_after_reading_config, as_checkpoint_sets
from hubserver import set_offline
from huggingface_hub import HfApi, ModelCard
from PIL import Image

import zoo
import zoo.hub_publish
from zoo.errors import HubError, WeightsError
from zoo.hub_download import download


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buffer, format="PNG")
    return buffer.getvalue()


def same_outputs(model, reference) -> bool:
    return torch.equal(model.generate(4, seed=0), reference.generate(4, seed=0))


def test_publish_then_load_gives_identical_outputs(hub, make_run, monkeypatch):
    evaluation = {"step": 3, "data": "mnist", "samples": 1000, "frechet_distance": 12.5}
    run, model = make_run(files={"samples/latest.png": png(), "eval.json": json.dumps(evaluation).encode()})
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    sha = zoo.publish(run, "me/x")
    assert len(sha) == 40 and hub.repos["me/x"].resolve("main").sha == sha
    stored = hub.repos["me/x"].resolve(sha).files
    assert set(stored) == {".gitattributes", "model.safetensors", "config.json", "README.md", "samples.png"}
    assert (
        stored["model.safetensors"].lfs
        and stored["model.safetensors"].data == (run / "model.safetensors").read_bytes()
    )
    for name in ("hf-hub:me/x", f"hf-hub:me/x@{sha}"):
        loaded = zoo.load(name)
        assert not loaded.training and type(loaded).__name__ == "DCGAN"
        assert same_outputs(loaded, model)


def test_publish_takes_one_checkpoints_files_while_the_run_writes_the_next(hub, make_run, monkeypatch):
    """A checkpoint made current between reading config.json and the weights must not mix two steps."""
    older, model = make_run(seed=0, name="older")
    newer, _ = make_run(seed=1, name="newer")
    run = older.parent / "run"
    as_checkpoint_sets(run, {"ckpt-3": older, "ckpt-9": newer}, "ckpt-3")
    advance_after_reading_config(monkeypatch, zoo.hub_publish, run, "ckpt-9")
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    sha = zoo.publish(run, "me/straddle")
    stored = hub.repos["me/straddle"].resolve(sha).files
    assert stored["model.safetensors"].data == (run / "ckpt-3" / "model.safetensors").read_bytes()
    assert same_outputs(zoo.load("hf-hub:me/straddle"), model)


TRAINER_EVAL = {  # what the trainer writes to eval.json for digits
    "step": 3,
    "data": "mnist",
    "fd": 12.5,
    "fd_floor": 0.6,
    "fd_ratio": 20.83,
    "class_min": 0.05,
    "class_max": 0.2,
    "classifier_accuracy": 0.984,
    "n": 1000,
}


def test_model_card(hub, make_run):
    run, _ = make_run(files={"samples/latest.png": png(), "eval.json": json.dumps(TRAINER_EVAL).encode()})
    sha = zoo.publish(run, "me/x", token=HUB_TOKEN, license="cc-by-4.0")
    text = hub.repos["me/x"].resolve(sha).files["README.md"].data.decode()
    card = ModelCard(text)
    assert card.data.library_name == "gan-zoo" and card.data.license == "cc-by-4.0"
    assert {"gan-zoo", "dcgan"} <= set(card.data.tags)
    assert card.data.pipeline_tag == "unconditional-image-generation"
    results = {r.metric_type: r for r in card.data.eval_results}
    assert set(results) == {"fd", "fd_floor", "fd_ratio", "class_min", "class_max", "classifier_accuracy"}
    assert results["fd"].metric_value == 12.5 and results["fd"].dataset_type == "mnist"
    assert results["fd"].task_type == "unconditional-image-generation"
    for expected in ("Radford", '"mnist"', "| fd | 12.5 |", "![samples](samples.png)"):
        assert expected in card.text
    assert "| n |" not in card.text and "| step |" not in card.text  # protocol fields are not metrics
    protocol = next(line for line in card.text.splitlines() if line.startswith("Protocol:"))
    for fact in (
        "penultimate features of the bundled digit classifier",
        "test-split",
        "1000 samples",
        "seed 0",
    ):
        assert fact in protocol
    assert (
        "step 3 of 3" in protocol and "`zoo evaluate hf-hub:me/x --data mnist --n 1000 --seed 0`" in protocol
    )
    assert 'zoo.load("hf-hub:me/x")' in card.text


def test_card_of_a_zoo_evaluate_result_keeps_its_protocol(hub, make_run):
    evaluation = {"modes": 24, "modes_total": 25, "high_quality": 0.87, "n": 2500, "protocol": "VEEGAN's way"}
    evaluation.update(data={"name": "gaussians25", "std": 0.05}, seed=1, model="/abs/run", command="zoo x")
    run, _ = make_run(files={"eval.json": json.dumps(evaluation).encode()})
    sha = zoo.publish(run, "me/x", token=HUB_TOKEN)
    card = ModelCard(hub.repos["me/x"].resolve(sha).files["README.md"].data.decode())
    results = {r.metric_type: r for r in card.data.eval_results}
    assert set(results) == {"modes", "high_quality"}  # modes_total, n and seed are protocol
    assert results["modes"].dataset_type == "gaussians25" and results["modes"].dataset_args == {"std": 0.05}
    assert "Protocol: VEEGAN's way. Measured on" in card.text and "2500 samples, seed 1" in card.text


def test_published_files_hold_no_machine_paths(hub, make_run, tmp_path):
    data = tmp_path / "my data" / "photos"
    evaluation = {**TRAINER_EVAL, "command": f"zoo evaluate {tmp_path / 'run'} --json {tmp_path / 'e.json'}"}
    run, _ = make_run(files={"eval.json": json.dumps(evaluation).encode()})
    config = json.loads((run / "config.json").read_text())
    config["recipe"].update(out=str(run), init=str(tmp_path / "base"), validation={"path": str(data)})
    (run / "config.json").write_text(json.dumps(config))
    sha = zoo.publish(run, "me/x", token=HUB_TOKEN)
    files = hub.repos["me/x"].resolve(sha).files
    for name, blob in files.items():
        for root in {str(tmp_path), str(tmp_path.resolve()), str(Path.home())}:
            assert root.encode() not in blob.data, f"{name} holds {root}"
    recipe = json.loads(files["config.json"].data)["recipe"]
    assert "out" not in recipe and recipe["init"] == "./base" and recipe["validation"] == {"path": "./photos"}
    assert recipe["data"] == "mnist" and recipe["seed"] == 0  # the rest as trained


def test_card_says_when_no_metrics_were_computed(hub, make_run):
    run, _ = make_run()
    sha = zoo.publish(run, "me/x", token=HUB_TOKEN)
    files = hub.repos["me/x"].resolve(sha).files
    assert "samples.png" not in files
    assert "No quality metrics were computed" in files["README.md"].data.decode()


def test_revision_pinning(hub, make_run):
    run1, model1 = make_run(seed=1, name="one")
    run2, model2 = make_run(seed=2, name="two")
    first = zoo.publish(run1, "me/x", token=HUB_TOKEN)
    second = zoo.publish(run2, "me/x", token=HUB_TOKEN, commit_message="retrained")
    assert first != second and not same_outputs(model1, model2)
    assert zoo.publish(run2, "me/x", token=HUB_TOKEN) == second  # nothing changed: no new commit
    assert len(hub.repos["me/x"].commits) == 3  # the repo's first commit, then ours
    assert same_outputs(zoo.load("hf-hub:me/x"), model2)
    assert same_outputs(zoo.load(f"hf-hub:me/x@{first}"), model1)
    assert same_outputs(zoo.load("hf-hub:me/x", revision=first), model1)
    with pytest.raises(HubError, match="give one of them"):
        zoo.load(f"hf-hub:me/x@{first}", revision=second)


def test_download_then_load_offline(hub, make_run, monkeypatch, caplog):
    run, model = make_run()
    sha = zoo.publish(run, "me/x", token=HUB_TOKEN)
    path = download("hf-hub:me/x")
    assert path.read_bytes() == (run / "model.safetensors").read_bytes()
    set_offline(monkeypatch)
    hub.requests.clear()
    caplog.set_level(logging.INFO, logger="zoo")
    for name in ("hf-hub:me/x", f"hf-hub:me/x@{sha}"):
        assert same_outputs(zoo.load(name), model)
    assert hub.requests == []
    assert "found in the Hugging Face cache (sha256 matches the ETag recorded in the cache)" in caplog.text


def test_offline_and_not_cached_says_what_to_do(hub, make_run, monkeypatch):
    run, _ = make_run()
    zoo.publish(run, "me/x", token=HUB_TOKEN)
    set_offline(monkeypatch)
    with pytest.raises(
        HubError, match=r"not in the Hugging Face cache.*zoo download hf-hub:me/x.*HF_HUB_OFFLINE"
    ):
        zoo.load("hf-hub:me/x")


def test_file_corrupted_on_the_hub_is_refused(hub, make_run):
    run, _ = make_run()
    zoo.publish(run, "me/x", token=HUB_TOKEN)
    hub.corrupt("me/x", "model.safetensors")
    with pytest.raises(WeightsError, match=r"model.safetensors of me/x@\w+ .* has sha256 \w+, expected"):
        zoo.load("hf-hub:me/x")


def test_corrupted_config_json_is_refused(hub, make_run):
    run, _ = make_run()
    zoo.publish(run, "me/x", token=HUB_TOKEN)
    hub.corrupt("me/x", "config.json")
    with pytest.raises(WeightsError, match="config.json .* has git blob sha1"):
        download("hf-hub:me/x")


def test_a_repo_that_is_not_a_zoo_model(hub, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    HfApi(token=HUB_TOKEN).create_repo("me/other")
    HfApi(token=HUB_TOKEN).upload_folder(repo_id="me/other", folder_path=tmp_path)
    with pytest.raises(HubError, match="has no model.safetensors: is it a gan-zoo repo"):
        zoo.load("hf-hub:me/other")
    with pytest.raises(HubError, match="no such repo"):
        zoo.load("hf-hub:me/missing")
    with pytest.raises(HubError, match="not a Hub model name"):
        zoo.load("hf-hub:no-namespace")


def test_unreachable_hub(hub, make_run):
    hub.stop()
    with pytest.raises(HubError, match="cannot be reached"):
        zoo.load("hf-hub:me/x")


def test_publish_without_a_token(hub, make_run):
    run, _ = make_run()
    with pytest.raises(HubError, match=r"set HF_TOKEN or run `hf auth login`"):
        zoo.publish(run, "me/x")
    assert hub.repos == {}


def test_publish_where_you_cannot_write(hub, make_run):
    run, _ = make_run()
    with pytest.raises(HubError, match=r"no write access to other/x \(403.*namespace 'other'"):
        zoo.publish(run, "other/x", token=HUB_TOKEN)
    zoo.publish(run, "other/x", token="hf_other_token")
    with pytest.raises(
        HubError, match=r"no write access to other/x \(403"
    ):  # the repo exists: upload refused
        zoo.publish(run, "other/x", token=HUB_TOKEN)
    with pytest.raises(HubError, match=r"rejected the token \(401"):
        zoo.publish(run, "me/x", token="hf_not_a_token")


def test_publish_refuses_incomplete_or_broken_runs(hub, make_run):
    run, _ = make_run()
    with pytest.raises(HubError, match="must be 'namespace/name'"):
        zoo.publish(run, "x", token=HUB_TOKEN)
    config = json.loads((run / "config.json").read_text())
    config["config"]["width"] = 16
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="wrong shape"):
        zoo.publish(run, "me/x", token=HUB_TOKEN)
    (run / "model.safetensors").unlink()
    with pytest.raises(HubError, match="model.safetensors is missing"):
        zoo.publish(run, "me/x", token=HUB_TOKEN)
    assert hub.repos == {}


def test_private_repo_needs_the_token_to_load(hub, make_run, monkeypatch):
    run, model = make_run()
    zoo.publish(run, "me/private", token=HUB_TOKEN, private=True)
    assert hub.repos["me/private"].private
    with pytest.raises(HubError, match="no such repo \\(or it is private: set HF_TOKEN\\)"):
        zoo.load("hf-hub:me/private")
    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    assert same_outputs(zoo.load("hf-hub:me/private"), model)
