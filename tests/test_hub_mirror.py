"""Loading published runs through a Hub mirror whose listing carries no hashes (olah lists siblings
without ``lfs``): the zoo takes the LFS pointer's sha256 from the repo tree, and never calls a match with
the ETag the mirror computed from what it served "verified"."""

from __future__ import annotations

import hashlib
import logging
import re

import pytest
import torch
from conftest import HUB_TOKEN
from hubserver import set_offline

import zoo
from zoo.errors import HubError, WeightsError


@pytest.fixture
def mirrored(hub, make_run, caplog):
    """A run published to the test Hub, which then answers like a mirror; returns (run dir, model)."""
    run, model = make_run()
    zoo.publish(run, "me/x", token=HUB_TOKEN)
    hub.mirror = True
    caplog.set_level(logging.INFO, logger="zoo")
    return run, model


def test_mirror_listing_has_no_hashes(hub, mirrored):
    from huggingface_hub import HfApi

    siblings = HfApi().model_info("me/x", files_metadata=True).siblings
    assert siblings and all(s.lfs is None and s.blob_id is None for s in siblings)


def test_corrupted_bytes_from_a_mirror_are_refused(hub, mirrored, monkeypatch):
    run, _ = mirrored
    hub.corrupt("me/x", "model.safetensors")  # served with an ETag that matches the corrupted bytes
    published = hashlib.sha256((run / "model.safetensors").read_bytes()).hexdigest()
    served = hashlib.sha256(hub.repos["me/x"].resolve("main").files["model.safetensors"].data).hexdigest()
    with pytest.raises(WeightsError) as refused:
        zoo.load("hf-hub:me/x")
    message = str(refused.value)
    assert "model.safetensors of me/x@main" in message
    assert f"has sha256 {served}, expected {published}" in message
    set_offline(monkeypatch)  # the refused copy is not left in the cache for a later offline load
    with pytest.raises(HubError, match="not in the Hugging Face cache"):
        zoo.load("hf-hub:me/x")


def test_good_bytes_from_a_mirror_are_verified_against_the_lfs_pointer(hub, mirrored, caplog):
    _, model = mirrored
    loaded = zoo.load("hf-hub:me/x")
    assert torch.equal(loaded.generate(2, seed=0), model.generate(2, seed=0))
    assert re.search(
        r"model\.safetensors of me/x@main downloaded from \S+ \(sha256 verified against the "
        r"LFS pointer\)",
        caplog.text,
    )
    assert "config.json of me/x@main downloaded" in caplog.text and "(git blob sha1 verified)" in caplog.text
    assert ("POST", "/api/models/me/x/paths-info/" + hub.repos["me/x"].resolve("main").sha) in hub.requests


def test_without_any_published_hash_the_log_says_not_verified(hub, mirrored, caplog):
    hub.tree_api = False  # the mirror answers neither the tree nor paths-info
    zoo.load("hf-hub:me/x")
    checks = [r for r in caplog.records if "model.safetensors of me/x@main" in r.getMessage()]
    assert len(checks) == 1 and checks[0].levelno == logging.WARNING
    assert "NOT verified" in checks[0].getMessage() and "ETag" in checks[0].getMessage()
    assert not re.search(r"(?<!not )verified", caplog.text.lower())  # "verified" only as "not verified"


def test_a_listing_with_lfs_hashes_needs_no_tree_request(hub, make_run, caplog):
    run, _ = make_run()
    zoo.publish(run, "me/x", token=HUB_TOKEN)
    caplog.set_level(logging.INFO, logger="zoo")
    hub.requests.clear()
    zoo.load("hf-hub:me/x")
    assert "(sha256 verified against the LFS pointer)" in caplog.text
    assert not any("paths-info" in path or "/tree/" in path for _, path in hub.requests)
