"""The SRGAN content loss gets its backbone's pretrained weights through timm and huggingface_hub, from the
local Hub-compatible server (weights made by the test, served under the repo timm's config names)."""

from __future__ import annotations

import pytest
import torch
from hubserver import Blob, Repo
from safetensors.torch import save

import zoo
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


def test_zoo_train_srgan_on_a_folder_runs_both_stages(hub, tmp_path, single_thread):
    """`zoo train srgan --data DIR` is the paper's recipe: pixel-MSE pretraining, then content (a backbone
    from the Hub, here timm's test_resnet served locally) + adversarial losses, in one resumable run."""
    import json
    import warnings

    from PIL import Image
    from zoo_plugins.srgan.training import RECIPE

    from zoo.cli import main

    serve_timm_weights(hub, "test_resnet", seed=3)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(2):
        Image.fromarray((torch.rand(100, 112, 3) * 255).to(torch.uint8).numpy()).save(folder / f"{i}.png")
    run = tmp_path / "run"
    small = ["model.width=8", "model.blocks=1", "model.d_width=4", "step.pretrain_steps=2", "batch_size=2"]
    small += ["step.content.backbone=test_resnet", "step.content.index=1", "sample_every=0", "log_every=1"]
    args = ["train", "srgan", "--data", str(folder), "--out", str(run)] + [f"--set={s}" for s in small]

    with pytest.warns(UserWarning, match="before the adversarial stage starts"):
        assert main([*args, "--steps", "2"]) == 0  # the SRResNet stage alone
    config = json.loads((run / "config.json").read_text())
    recipe = config["recipe"]
    assert recipe["step"]["adversarial_weight"] == RECIPE["step"]["adversarial_weight"] == 1e-3
    assert recipe["optimizers"] == RECIPE["optimizers"] and recipe["batch_size"] == 2  # --set wins
    assert config["config"]["discriminator"] and recipe["data"] == str(folder)
    pretrained_d = {k: v for k, v in zoo.load(run).state_dict().items() if k.startswith("discriminator.")}

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # past pretrain_steps: no warning
        assert main([*args, "--steps", "4", "--resume"]) == 0  # ... then the SRGAN stage
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [1, 2, 3, 4]
    assert not any(k in r for r in logged[:2] for k in ("loss_d", "loss_content", "loss_g_adv"))
    assert all(k in r for r in logged[2:] for k in ("loss_d", "loss_content", "loss_g_adv"))
    trained_d = zoo.load(run).state_dict()
    assert any(not torch.equal(trained_d[k], v) for k, v in pretrained_d.items())  # D trains in stage 2
    assert any("model.safetensors" in path for _, path in hub.requests)  # the backbone came from the Hub


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"step": {"pixel_weight": 1.0, "adversarial_weight": 5e-4}},
            "Content loss: none (no feature network)",
        ),
        (
            {"step": {"content": {"backbone": "vgg19", "index": 4}}},
            "`vgg19` features (out_indices=4), pretrained Image",
        ),
        (
            {"step": {"content": {"pretrained": False, "seed": 7}}},
            "NOT pretrained: a fixed randomly initialised backbone (seed 7)",
        ),
        ({"init": "runs/srresnet"}, "started from the weights of runs/srresnet (init; an SRResNet run's)"),
    ],
)
def test_model_card_names_the_feature_network_and_the_start(fields, says):
    from zoo.hub_publish import model_card

    config = {
        "variant": "srgan",
        "plugin": "srgan",
        "config": {"width": 8},
        "recipe": {"data": "x", **fields},
    }
    card = model_card("me/sr", config, None, samples=False, license="mit")
    assert says in card
