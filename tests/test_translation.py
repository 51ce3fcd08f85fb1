"""pix2pix and CycleGAN: converting original checkpoints, translate() input kinds, one training step each."""

import json

import pytest
import torch
from originals import pix2pix_cyclegan as original
from originals import trained_like
from PIL import Image
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.cyclegan.pool import ImagePool
from zoo_plugins.pix2pix.model import Pix2Pix

import zoo
from zoo.cli import main
from zoo.convert import convert
from zoo.data import build_dataset
from zoo.errors import DataError, WeightsError
from zoo.hub_publish import model_card
from zoo.trainer import RecipeError, train

TINY_P2P = {"in_channels": 1, "out_channels": 1, "netG": "unet_32", "ngf": 8, "ndf": 8}
TINY_CYCLE = {"in_channels": 1, "out_channels": 1, "netG": "resnet_2blocks", "ngf": 8, "ndf": 8}


@pytest.fixture(autouse=True)
def _one_thread(single_thread):
    """Tiny networks on a shared CPU: one thread (conftest's fixture)."""


def original_checkpoint(
    path, net_g, norm, seed, old_instance_stats=False, data_parallel=False, dropout=False
):
    """A ``latest_net_G.pth`` as the original saves it: its generator (ngf 8, grey), trained-like weights."""
    state = trained_like(original.define_G(1, 1, 8, net_g, norm, dropout), seed).state_dict()
    if old_instance_stats:  # instance norms of older versions saved running statistics
        state["model.2.running_mean"], state["model.2.running_var"] = torch.zeros(8), torch.ones(8)
    if data_parallel:
        state = {f"module.{k}": v for k, v in state.items()}
    torch.save(state, path)
    return state


def test_pix2pix_converts_an_original_checkpoint_and_loads_it_strictly(tmp_path):
    original = original_checkpoint(tmp_path / "latest_net_G.pth", "unet_32", "batch", seed=0)
    out = convert("pix2pix", [tmp_path / "latest_net_G.pth"], tmp_path / "converted", netG="unet_32")
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["netG"] == "unet_32" and config["config"]["netD"] is None
    model = zoo.load(out)
    # the same numbers as the original-layout network loaded strictly from the .pth
    reference = Pix2Pix(**config["config"]).eval()
    reference.generator.load_state_dict(original, strict=True)
    x = torch.rand(2, 1, 32, 32)
    assert torch.equal(model.translate(x), reference.translate(x))
    again = zoo.load(out, weights=out / "model.safetensors")
    assert torch.equal(again.translate(x), model.translate(x))
    # its model card says where it came from: converted, not trained with gan-zoo
    card = model_card("me/p2p", config, None, samples=False, license="bsd-3-clause")
    assert "converted with `zoo convert` from checkpoints of the original code (latest_net_G.pth)" in card
    assert "trained and published with gan-zoo" not in card and "```yaml" not in card


def test_a_released_cyclegan_file_is_a_one_direction_model(tmp_path, capsys):
    """The original's released models (horse2zebra.pth, ...) are one resnet_9blocks generator each."""
    original = original_checkpoint(tmp_path / "horse2zebra.pth", "resnet_9blocks", "instance", seed=4)
    assert (
        main(["convert", "cyclegan", str(tmp_path / "horse2zebra.pth"), "--out", str(tmp_path / "h2z")]) == 0
    )
    model = zoo.load(tmp_path / "h2z")
    assert model.config["two_way"] is False and model.generator_ba is None
    reference = CycleGAN(**{**TINY_CYCLE, "netG": "resnet_9blocks", "netD": None, "two_way": False}).eval()
    reference.generator_ab.load_state_dict(original, strict=True)
    x = torch.rand(1, 1, 32, 32)
    assert torch.equal(model.translate(x), reference.translate(x))
    with pytest.raises(ValueError, match="translates AtoB only"):
        model.translate(x, direction="BtoA")
    with pytest.raises(ValueError, match="needs netD=None"):
        CycleGAN(two_way=False)


def test_cyclegan_converts_two_generators_with_old_instance_stats(tmp_path):
    kw = {"norm": "instance", "old_instance_stats": True}
    ab = original_checkpoint(tmp_path / "G_A.pth", "resnet_2blocks", seed=1, data_parallel=True, **kw)
    ba = original_checkpoint(tmp_path / "G_B.pth", "resnet_2blocks", seed=2, **kw)
    assert main(["convert", "cyclegan", str(tmp_path / "G_A.pth"), str(tmp_path / "G_B.pth"),
                 "--out", str(tmp_path / "c")]) == 0  # fmt: skip
    model = zoo.load(tmp_path / "c")
    reference = CycleGAN(**{**TINY_CYCLE, "netD": None, "norm": "instance"}).eval()
    strip = lambda s: {k.removeprefix("module."): v for k, v in s.items() if "running" not in k}  # noqa: E731
    reference.generator_ab.load_state_dict(strip(ab), strict=True)
    reference.generator_ba.load_state_dict(strip(ba), strict=True)
    x = torch.rand(1, 1, 32, 32)
    for direction in ("AtoB", "BtoA"):
        assert torch.equal(
            model.translate(x, direction=direction), reference.translate(x, direction=direction)
        )
    assert not torch.equal(model.translate(x, "AtoB"), model.translate(x, "BtoA"))
    with pytest.raises(ValueError, match="direction must be"):
        model.translate(x, direction="sideways")
    # zoo run DIR in.png --out out.png: the same translation, written as an image
    Image.fromarray((x[0, 0] * 255).round().byte().numpy()).save(tmp_path / "in.png")
    argv = ["run", str(tmp_path / "c"), str(tmp_path / "in.png"), "--out", str(tmp_path / "out.png")]
    assert main([*argv, "--direction", "BtoA"]) == 0
    expected = model.translate(Image.open(tmp_path / "in.png"), direction="BtoA")
    assert Image.open(tmp_path / "out.png").tobytes() == expected.tobytes()


def test_convert_names_the_architecture_a_checkpoint_holds(tmp_path, capsys):
    original_checkpoint(tmp_path / "g.pth", "resnet_6blocks", "instance", seed=0)
    with pytest.raises(
        WeightsError,
        match=r"g.pth: .* looks like resnet_6blocks \(ngf=8, instance norm, no dropout, 1 -> 1 channels\)",
    ):
        convert("pix2pix", [tmp_path / "g.pth"], tmp_path / "out", netG="unet_256")
    assert not (tmp_path / "out").exists()
    torch.save(Pix2Pix(**TINY_P2P).discriminator.state_dict(), tmp_path / "d.pth")
    assert main(["convert", "pix2pix", str(tmp_path / "d.pth"), "--out", str(tmp_path / "out")]) == 2
    assert "looks like a PatchGAN discriminator" in capsys.readouterr().err
    torch.save({"model": {"nested": 1}}, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match="does not hold a state dict"):
        convert("pix2pix", [tmp_path / "bad.pth"], tmp_path / "out")
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_translate_accepts_pil_paths_and_tensors(tmp_path):
    model = Pix2Pix(**TINY_P2P).eval()
    x = torch.rand(1, 32, 32)
    out = model.translate(x)
    assert out.shape == (1, 32, 32) and 0 <= out.min() and out.max() <= 1
    assert model.translate(x[None]).shape == (1, 1, 32, 32)
    image = Image.fromarray((x[0] * 255).round().byte().numpy())
    image.save(tmp_path / "in.png")
    from_pil, from_path = model.translate(image), model.translate(tmp_path / "in.png")
    assert isinstance(from_pil, Image.Image) and from_pil.size == (32, 32) and from_pil.mode == "L"
    assert from_pil.tobytes() == from_path.tobytes()
    with pytest.raises(ValueError, match="C=1"):
        model.translate(torch.rand(3, 32, 32))


def test_image_pool_returns_past_images_once_full():
    torch.manual_seed(0)
    pool = ImagePool(4)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling up: the new images come back
    mixed = pool.query(torch.full((16, 1, 1, 1), 9.0)).flatten().tolist()
    assert 9.0 in mixed and set(mixed) - {9.0} <= {0.0, 1.0, 2.0, 3.0} and set(mixed) != {9.0}


def _write_images(folder, names, seed, size=(32, 32)):
    folder.mkdir(parents=True)
    gen = torch.Generator().manual_seed(seed)
    for name in names:
        pixels = torch.randint(0, 256, (size[1], size[0]), generator=gen, dtype=torch.uint8)
        Image.fromarray(pixels.numpy()).save(folder / name)


def _recipe(variant, model, data, tmp_path):
    return {
        "variant": variant,
        "model": model,
        "data": data,
        "batch_size": 2,
        "steps": 2,
        "log_every": 1,
        "sample_every": 0,
        "checkpoint_every": 0,
        "out": str(tmp_path / "run"),
    }


def test_pix2pix_trains_on_a_bare_folder_of_side_by_side_pairs(tmp_path):
    _write_images(tmp_path / "facades" / "train", [f"{i}.png" for i in range(4)], seed=0, size=(64, 32))
    rgb = {**TINY_P2P, "in_channels": 3, "out_channels": 3}
    # a bare folder is read as the variant's kind of data: pairs for pix2pix (RGB unless a spec says channels)
    recipe = {**_recipe("pix2pix", rgb, str(tmp_path / "facades"), tmp_path), "sample_every": 2, "samples": 3}
    run = train(recipe)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [1, 2] and all(r["loss_l1"] > 0 for r in logged)
    assert all(r["loss_g"] > 100 * r["loss_l1"] for r in logged)  # cGAN term + lambda * L1
    assert zoo.load(run).translate(torch.rand(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    # the sample grid: one row per example, input | output | target (make_grid pads 2 px around each)
    grid = Image.open(run / "samples" / "latest.png")
    assert grid.size == (3 * 34 + 2, 3 * 34 + 2)
    left = torch.from_numpy(__import__("numpy").array(grid)).float()[2:34, 2:34] / 255
    first_input = torch.from_numpy(__import__("numpy").array(Image.open(tmp_path / "facades/train/0.png")))
    assert (left[..., 0] - first_input[:, :32].float() / 255).abs().max() <= 1 / 255


def test_cyclegan_trains_on_unpaired_folders(tmp_path):
    _write_images(tmp_path / "d" / "trainA", ["a.png", "b.png", "c.png"], seed=0)
    _write_images(tmp_path / "d" / "trainB", ["x.png", "y.png"], seed=1)
    data = {"name": "unpaired", "path": str(tmp_path / "d"), "channels": 1}
    run = train({**_recipe("cyclegan", {**TINY_CYCLE, "pool_size": 3}, data, tmp_path), "sample_every": 2})
    # A | A->B | A->B->A | B | B->A | B->A->B for the first 3 (all) images of A
    assert Image.open(run / "samples" / "latest.png").size == (6 * 34 + 2, 3 * 34 + 2)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(r["loss_cycle"] > 0 and r["loss_idt"] > 0 and r["loss_d"] > 0 for r in logged)
    model = zoo.load(run)
    keys = {k.split(".")[0] for k in model.state_dict()}
    assert keys == {"generator_ab", "generator_ba", "discriminator_a", "discriminator_b"}
    assert model.translate(torch.rand(1, 32, 32), direction="BtoA").shape == (1, 32, 32)
    # the grouped optimisers (generators, discriminators) checkpoint and resume
    recipe = {**_recipe("cyclegan", {**TINY_CYCLE, "pool_size": 3}, data, tmp_path), "sample_every": 2}
    resumed = train(recipe, resume=True, steps=3)
    assert json.loads((resumed / "config.json").read_text())["steps"] == 3


def test_paired_and_unpaired_data_errors(tmp_path):
    _write_images(tmp_path / "u" / "trainA", ["a.png"], seed=0)
    _write_images(tmp_path / "u" / "trainB", ["b.png"], seed=0, size=(16, 16))
    with pytest.raises(DataError, match="unpaired folders"):
        build_dataset({"name": "paired", "path": str(tmp_path / "u")})
    with pytest.raises(DataError, match="differ in size"):
        build_dataset({"name": "unpaired", "path": str(tmp_path / "u")})
    with pytest.raises(DataError, match="no trainA or trainB"):
        build_dataset({"name": "unpaired", "path": str(tmp_path)})
    _write_images(tmp_path / "p" / "A", ["1.png", "2.png"], seed=0)
    _write_images(tmp_path / "p" / "B", ["1.png", "3.png"], seed=0)
    with pytest.raises(DataError, match="unmatched: 2.png, 3.png"):
        build_dataset({"name": "paired", "path": str(tmp_path / "p")})
    _write_images(tmp_path / "s" / "A", ["1.png"], seed=0)
    _write_images(tmp_path / "s" / "B", ["1.png"], seed=0, size=(32, 16))
    with pytest.raises(DataError, match="differ in size"):
        build_dataset({"name": "paired", "path": str(tmp_path / "s")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no images"):
        build_dataset({"name": "paired", "path": str(tmp_path / "empty")})
    _write_images(tmp_path / "odd", ["1.png"], seed=0, size=(33, 16))
    with pytest.raises(DataError, match="even width"):
        build_dataset({"name": "paired", "path": str(tmp_path / "odd")})


def test_paired_folders_give_aligned_items(tmp_path):
    _write_images(tmp_path / "p" / "A", ["1.png"], seed=0)
    _write_images(tmp_path / "p" / "B", ["1.png"], seed=1)
    item = build_dataset({"name": "paired", "path": str(tmp_path / "p"), "channels": 1})[0]
    a = torch.from_numpy(__import__("numpy").array(Image.open(tmp_path / "p" / "A" / "1.png"))).float() / 255
    assert item["A"].shape == item["B"].shape == (1, 32, 32) and torch.equal(item["A"][0], a)


def test_zoo_train_pix2pix_on_a_folder_takes_the_papers_networks(tmp_path, capsys):
    # the original's facades layout: train/ with A|B side-by-side images (grey here), 256x256 each side
    _write_images(tmp_path / "facades" / "train", ["1.png", "2.png"], seed=0, size=(512, 256))
    args = ["train", "pix2pix", "--data", str(tmp_path / "facades"), "--steps", "1", "--batch-size", "2"]
    args += ["--set", "model.ngf=4", "--set", "model.ndf=4", "--out", str(tmp_path / "run")]
    assert main(args) == 0
    run = json.loads((tmp_path / "run" / "config.json").read_text())
    config, recipe = run["config"], run["recipe"]
    assert config["netG"] == "unet_256" and config["in_channels"] == config["out_channels"] == 1  # the data's
    # ... and the original's training: no EMA, the rate constant then decaying over the second half
    assert recipe["ema"] is None and recipe["lr_schedule"] == {"name": "linear_decay", "start": 0.5}


def test_data_that_does_not_fit_the_networks_fails_before_training(tmp_path):
    _write_images(tmp_path / "pairs", ["1.png"], seed=0, size=(96, 48))
    recipe = _recipe("pix2pix", TINY_P2P, {"name": "paired", "path": str(tmp_path / "pairs")}, tmp_path)
    with pytest.raises(RecipeError, match=r"A images have 3 channels but the model's in_channels is 1: set"):
        train(recipe)
    recipe["data"]["channels"] = 1
    with pytest.raises(
        RecipeError, match=r"unet_32 needs image sides that are multiples of 32, the data's are 48x48"
    ):
        train(recipe)
    assert not (tmp_path / "run").exists()


def test_a_misfit_names_the_users_file_not_a_temporary_one(tmp_path, capsys):
    state = original_checkpoint(tmp_path / "G.pth", "unet_32", "batch", seed=5)
    state.pop("model.model.0.weight")
    state["model.model.0.weight"] = torch.zeros(8, 1, 3, 3)  # a unet_32 whose first conv is 3x3
    torch.save(state, tmp_path / "G.pth")
    assert main(["convert", "pix2pix", str(tmp_path / "G.pth"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "G.pth") in err and ".tmp" not in err and "model.model.0.weight" in err
    assert not (tmp_path / "out").exists()


def test_translate_takes_any_size_and_gives_it_back(tmp_path):
    """A U-Net's input is resized to a size it takes and back; a ResNet's is reflect-padded and cropped."""
    edges2digits = zoo.load("pix2pix-edges2digits")
    image = Image.fromarray((torch.rand(28, 28) * 255).byte().numpy())
    out = edges2digits.translate(image)
    assert isinstance(out, Image.Image) and out.size == (28, 28)
    x = torch.rand(2, 1, 28, 28)
    # 28x28 runs at 32x32: the same as resizing by hand, then back
    resize = lambda t, side: torch.nn.functional.interpolate(t, size=(side, side), mode="bicubic")  # noqa: E731
    by_hand = resize(edges2digits.translate(resize(x, 32)) * 2 - 1, 28).add(1).div(2).clamp(0, 1)
    assert torch.allclose(edges2digits.translate(x), by_hand, atol=1e-5)
    assert edges2digits.translate(torch.rand(1, 1, 70, 50)).shape == (1, 1, 70, 50)  # runs at 64x64
    cycle = CycleGAN(**TINY_CYCLE).eval()
    x = torch.rand(1, 1, 50, 70)
    out = cycle.translate(x, "BtoA")
    assert out.shape == (1, 1, 50, 70)
    padded = torch.nn.functional.pad(x * 2 - 1, (0, 2, 0, 2), mode="reflect")
    expected = ((cycle.generator_ba(padded)[..., :50, :70] + 1) / 2).clamp(0, 1)
    assert torch.equal(out, expected)
    assert cycle.translate(torch.rand(1, 1, 2, 10)).shape == (1, 1, 2, 10)  # too short to reflect: repeated


def test_converted_pix2pix_translates_as_the_original_test_script(tmp_path):
    """test_mode "original": the generator in train mode on each image alone (batch statistics, dropout),
    the loaded model's mode and running statistics untouched; "eval": running statistics."""
    original = original_checkpoint(tmp_path / "G.pth", "unet_64", "batch", seed=5, dropout=True)
    out = convert("pix2pix", [tmp_path / "G.pth"], tmp_path / "converted")
    assert json.loads((out / "config.json").read_text())["config"]["test_mode"] == "original"
    model = zoo.load(out)
    assert not model.training
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    x = torch.rand(2, 1, 64, 64)
    got = model.translate(x, seed=7)
    assert not model.training and all(
        torch.equal(v, before[k]) for k, v in model.generator.state_dict().items()
    )
    reference = Pix2Pix(**{**TINY_P2P, "netG": "unet_64", "netD": None})
    reference.generator.load_state_dict(original)
    torch.manual_seed(7)
    with torch.no_grad():
        by_hand = torch.cat([reference.generator.train()(one * 2 - 1) for one in x.split(1)])
    assert torch.equal(got, ((by_hand + 1) / 2).clamp(0, 1))
    assert torch.equal(model.translate(x, seed=7), got)  # the seed fixes the dropout
    assert not torch.equal(model.translate(x, seed=8), got)
    reference.generator.load_state_dict(original)  # the train-mode run above moved its statistics
    reference.eval()
    with torch.no_grad():
        eval_out = ((reference.generator(x * 2 - 1) + 1) / 2).clamp(0, 1)
    evaluated = zoo.load(out, test_mode="eval")
    assert torch.equal(evaluated.translate(x), eval_out) and not torch.allclose(eval_out, got, atol=1e-3)
    # trained with gan-zoo: eval by default, and the model card says so
    assert Pix2Pix(**TINY_P2P).config["test_mode"] == "eval"
    assert "eval mode" in Pix2Pix.training_notes({"model": {}})[0]
    assert "test.py" in CycleGAN.training_notes({"model": {"test_mode": "original"}})[0]
    with pytest.raises(ValueError, match="test_mode must be 'original'"):
        Pix2Pix(**TINY_P2P, test_mode="train")
