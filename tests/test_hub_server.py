"""The test Hub server, driven by the real huggingface_hub client: what the zoo's Hub tests rely on."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

import pytest
from conftest import HUB_TOKEN
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)


def upload(folder: Path, files: dict[str, bytes], message: str) -> str:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    api = HfApi(token=HUB_TOKEN)
    api.create_repo("me/x", exist_ok=True)
    return api.upload_folder(repo_id="me/x", folder_path=folder, commit_message=message).oid


def test_upload_history_and_revisions(hub, tmp_path):
    first = upload(tmp_path, {"model.safetensors": b"A" * 3000, "config.json": b"{}"}, "one")
    second = upload(tmp_path, {"model.safetensors": b"B" * 3000}, "two")
    assert len(first) == len(second) == 40 and first != second
    assert hub.repos["me/x"].resolve("main").parent == first
    assert Path(hf_hub_download("me/x", "model.safetensors", revision=first)).read_bytes() == b"A" * 3000
    assert Path(hf_hub_download("me/x", "model.safetensors")).read_bytes() == b"B" * 3000
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("me/x", "model.safetensors", revision="f" * 40)
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download("me/x", "missing.bin")
    with pytest.raises(RepositoryNotFoundError):
        HfApi().model_info("me/nothing")


def test_metadata_tree_and_snapshot(hub, tmp_path):
    weights = b"\x01\x02" * 2000
    sha = upload(tmp_path, {"model.safetensors": weights, "config.json": b'{"a": 1}'}, "c")
    info = HfApi().model_info("me/x", revision=sha, files_metadata=True)
    files = {s.rfilename: s for s in info.siblings}
    assert info.sha == sha
    assert files["model.safetensors"].lfs.sha256 == hashlib.sha256(weights).hexdigest()
    assert files["config.json"].lfs is None and files["config.json"].size == 8
    tree = {f.path: f for f in HfApi().list_repo_tree("me/x", recursive=True)}
    assert set(tree) == {".gitattributes", "model.safetensors", "config.json"}
    pointer = (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{tree['model.safetensors'].lfs.sha256}\n"
    )
    pointer += f"size {len(weights)}\n"  # git stores the pointer: its blob id is the listed one
    assert (
        files["model.safetensors"].blob_id
        == hashlib.sha1(b"blob %d\0%s" % (len(pointer), pointer.encode())).hexdigest()
    )
    paths = HfApi().get_paths_info("me/x", ["model.safetensors", "config.json", "missing"], revision=sha)
    assert {p.path: (p.lfs.sha256 if p.lfs else p.blob_id) for p in paths} == {
        "model.safetensors": hashlib.sha256(weights).hexdigest(),
        "config.json": files["config.json"].blob_id,
    }
    folder = Path(snapshot_download("me/x"))
    assert (folder / "model.safetensors").read_bytes() == weights and folder.name == sha


def test_resolve_headers_and_range(hub, tmp_path):
    data = bytes(range(256)) * 20
    sha = upload(tmp_path, {"model.safetensors": data}, "c")
    request = urllib.request.Request(
        f"{hub.url}/me/x/resolve/main/model.safetensors", headers={"Range": "bytes=100-"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        assert response.headers["X-Repo-Commit"] == sha
        assert response.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
        assert response.read() == data[100:]


def test_writes_need_a_token_that_owns_the_namespace(hub):
    with pytest.raises(HfHubHTTPError) as no_token:
        HfApi(token=False).create_repo("me/x")
    assert no_token.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as forbidden:
        HfApi(token=HUB_TOKEN).create_repo("other/x")
    assert forbidden.value.response.status_code == 403
    HfApi(token=HUB_TOKEN).create_repo("me/x")
    with pytest.raises(HfHubHTTPError) as exists:
        HfApi(token=HUB_TOKEN).create_repo("me/x")
    assert exists.value.response.status_code == 409


def test_private_repos_are_hidden_without_the_owners_token(hub):
    HfApi(token=HUB_TOKEN).create_repo("me/secret", private=True)
    assert HfApi(token=HUB_TOKEN).model_info("me/secret").private
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).model_info("me/secret")


def test_invalid_model_card_metadata_is_refused(hub, tmp_path):
    with pytest.raises(ValueError, match="Invalid metadata"):
        upload(tmp_path, {"README.md": b"---\nlicense: [mit\n---\n# card\n"}, "bad card")


def test_corruption_goes_unnoticed_by_the_client(hub, tmp_path):
    """Why the zoo hashes what it loads: same size, flipped bytes, stored under the right sha256 name."""
    data = b"\x00" * 4096
    upload(tmp_path, {"model.safetensors": data}, "c")
    hub.corrupt("me/x", "model.safetensors")
    path = Path(hf_hub_download("me/x", "model.safetensors"))
    assert path.stat().st_size == len(data) and path.read_bytes() != data
    assert path.resolve().name == hashlib.sha256(data).hexdigest()
