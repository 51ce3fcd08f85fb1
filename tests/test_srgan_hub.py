"""The SRGAN content loss gets its backbone's pretrained weights through timm and huggingface_hub, from the
local Hub-compatible server (weights made by the test, served under the repo timm's config names)."""

from __future__ import annotations

import pytest
import torch
from hubserver import Blob, Repo
from safetensors.torch import save

from zoo.errors import HubError

timm = pytest.importorskip("timm")


def serve_timm_weights(hub, model_name: str, seed: int) -> dict[str, torch.Tensor]:
    """Random weights of ``model_name`` stored as its Hub repo's ``model.safetensors``; returns them."""
    torch.manual_seed(seed)
    full = timm.create_model(model_name, pretrained=False)
    state = {k: v.contiguous() for k, v in full.state_dict().items()}
    repo_id = full.pretrained_cfg["hf_hub_id"]
    hub.repos[repo_id] = repo = Repo(repo_id, private=False)
    repo.add_commit("main", "weights", {"model.safetensors": Blob(save(state), lfs=True)})
    return state


def test_perceptual_loss_backbone_comes_from_the_hub(hub):
    from zoo_plugins.srgan.losses import PerceptualLoss

    state = serve_timm_weights(hub, "test_resnet", seed=3)
    loss = PerceptualLoss("test_resnet", index=1, pretrained=True)
    assert any("model.safetensors" in path for _, path in hub.requests)

    # what the loss must compute: the served weights in timm's feature extractor, ImageNet-normalised inputs
    reference = timm.create_model("test_resnet", pretrained=False, features_only=True, out_indices=(1,))
    missing, _ = reference.load_state_dict(state, strict=False)
    assert not missing
    reference.eval()
    mean = torch.tensor(reference.pretrained_cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(reference.pretrained_cfg["std"]).view(1, 3, 1, 1)
    torch.manual_seed(0)
    sr, hr = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        expected = torch.mean((reference((sr - mean) / std)[0] - reference((hr - mean) / std)[0]) ** 2)
        assert loss(sr, hr).item() == pytest.approx(expected.item(), rel=1e-5)
        assert loss(hr, hr).item() == 0
    random = PerceptualLoss("test_resnet", index=1, pretrained=False, seed=0)
    with torch.no_grad():
        assert random(sr, hr).item() != pytest.approx(
            expected.item(), rel=1e-3
        )  # the served weights mattered


def test_perceptual_loss_without_reachable_weights_fails(hub):
    from zoo_plugins.srgan.losses import PerceptualLoss

    with pytest.raises(HubError, match="(?s)pretrained .test_resnet. weights.*pretrained: false"):
        PerceptualLoss("test_resnet", index=1, pretrained=True)
