"""SRGAN plugin: networks, tiled upscaling, inputs of every kind, bad input, conversion, metrics, training."""

from __future__ import annotations

import numpy
import pytest
import torch
from originals.srgan_pytorch import SRResNet
from PIL import Image
from torch import nn

import zoo
from zoo.cli import main as cli
from zoo.metrics.superres import (
    downsample,
    psnr_y,
    rgb_to_y,
    sharpness_ratio,
    sr_scores,
    ssim_y,
    upsample_bicubic,
)


def srgan(**config):
    from zoo.registry import registry

    torch.manual_seed(0)
    return registry().variant("srgan").model_class()(**config)


def tiny(**config):
    """A tiny generator in eval mode with non-trivial batch-norm statistics and PReLU slopes."""
    model = srgan(**{"width": 8, "blocks": 2, "discriminator": False, **config})
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    return model.eval()


# ----------------------------------------------------------------------------------------- networks
def test_networks_follow_the_paper():
    model = srgan()
    g, d = model.generator, model.discriminator
    assert len(g.blocks) == 16 and len(g.upsample) == 2
    assert [m.upscale_factor for m in g.modules() if isinstance(m, nn.PixelShuffle)] == [2, 2]
    assert sum(isinstance(m, nn.PReLU) for m in g.modules()) == 1 + 16 + 2
    assert g(torch.rand(1, 3, 6, 7)).shape == (1, 3, 24, 28)
    strides = [m.stride[0] for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert strides == [1, 2, 1, 2, 1, 2, 1, 2]
    assert any(isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.2 for m in d.modules())
    assert d(torch.rand(2, 3, 96, 96)).shape == (2, 1)
    assert d(torch.rand(2, 3, 64, 64)).shape == (2, 1)  # other crop sizes too
    # the paper's SRResNet (16 blocks, 64 channels, x4) has 1.55M parameters
    assert sum(p.numel() for p in g.parameters()) == pytest.approx(1.55e6, rel=0.01)
    assert srgan(scale=2, width=8, blocks=1).generator(torch.rand(1, 3, 5, 5)).shape == (1, 3, 10, 10)
    with pytest.raises(ValueError, match="scale must be one of"):
        srgan(scale=3)


def test_receptive_radius_is_the_context():
    """Changing one input pixel changes outputs no further than ``context`` LR pixels away."""
    model = tiny(bicubic_skip=True)
    x = torch.rand(1, 3, 41, 41)
    y = x.clone()
    y[..., 20, 20] += 0.5
    with torch.no_grad():
        diff = (model.generator(x) - model.generator(y)).abs().amax(dim=(0, 1))
    rows = diff.amax(1).nonzero().flatten()
    reach = max(20 * 4 - rows.min().item(), rows.max().item() - (20 * 4 + 3)) / 4
    assert 0 < reach <= model.generator.context


# -------------------------------------------------------------------------------------------- tiling
@pytest.mark.parametrize("skip", [False, True])
def test_tiled_output_equals_untiled(skip):
    model = tiny(bicubic_skip=skip)
    x = torch.rand(2, 3, 45, 70)
    with torch.no_grad():
        whole = model.generator(x).clamp(0, 1)
    calls = []
    original = model.generator.forward
    model.generator.forward = lambda t: calls.append(t.shape[-2:]) or original(t)
    tiled = model.upscale(x, tile=32)
    assert len(calls) > 4 and max(max(s) for s in calls) <= 32  # never more than one tile at a time
    assert tiled.shape == whole.shape
    assert (tiled - whole).abs().max().item() <= 1 / 255
    # less context than the receptive radius: still a seamless blend, only approximately equal
    rough = model.upscale(x, tile=32, pad=2)
    assert (rough - whole).abs().max().item() < 0.5
    with pytest.raises(ValueError, match="must exceed"):
        model.upscale(x, tile=8)


def test_tiles_cover_odd_sizes_and_thin_edges():
    from zoo_plugins.srgan.tiling import tile_starts

    for size in (1, 31, 32, 33, 57, 200):
        starts = tile_starts(size, 32, 10)
        covered = set()
        for s in starts:
            covered |= set(range(s, min(s + 32, size)))
        assert covered == set(range(size)) and starts[-1] + min(32, size) == size
    model = tiny()
    x = torch.rand(1, 3, 33, 61)  # one pixel past a tile: the last tile is shifted, not a 1-pixel sliver
    with torch.no_grad():
        whole = model.generator(x).clamp(0, 1)
    assert (model.upscale(x, tile=32) - whole).abs().max().item() <= 1 / 255


# ------------------------------------------------------------------------------------------ streaming
def mixed_image(mode, size=(70, 90)):
    pixels = numpy.random.default_rng(0).integers(0, 256, (size[1], size[0], len(mode)), dtype=numpy.uint8)
    return Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode)


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA"])
def test_streamed_file_equals_the_in_memory_result(tmp_path, mode):
    model = tiny(bicubic_skip=True)
    image = mixed_image(mode)  # 90 rows in tiles of 32: four rows of tiles, three columns
    in_memory = model.upscale(image, tile=32)
    assert model.upscale(image, tile=32, out=tmp_path / "x4.png") == tmp_path / "x4.png"
    with Image.open(tmp_path / "x4.png") as streamed:
        assert streamed.mode == in_memory.mode == mode and streamed.size == (280, 360)
        assert numpy.array_equal(numpy.asarray(streamed), numpy.asarray(in_memory))


def test_streaming_never_holds_the_output(monkeypatch, tmp_path):
    """The writer gets bands of at most one row of tiles, and the input stays 8-bit until a tile is taken."""
    import zoo_plugins.srgan.model as srgan_model
    from zoo_plugins.srgan.images import split_input

    model = tiny()
    image = mixed_image("RGB", (50, 120))
    split = split_input(image)
    assert split.rgb.dtype == torch.uint8  # never expanded to float whole
    received = []

    def fake_writer(path, size, mode, bands):
        received.extend(band.shape for band in bands)  # consumed one at a time, as the real writer does
        return path

    monkeypatch.setattr(srgan_model, "write_png_rows", fake_writer)
    tiles = []
    original = model.generator.forward
    model.generator.forward = lambda t: tiles.append(t.dtype) or original(t)
    model.upscale(image, tile=32, out=tmp_path / "x4.png")
    assert sum(rows for rows, *_ in received) == 480 and all(shape[1:] == (200, 3) for shape in received)
    assert len(received) >= 4 and max(rows for rows, *_ in received) <= 32 * 4  # a band, not the image
    assert set(tiles) == {torch.float32}


def test_streaming_errors_are_clear_and_leave_no_file(tmp_path):
    model = tiny()
    mixed_image("RGB").save(tmp_path / "in.png")
    data = (tmp_path / "in.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])  # a truncated download
    with pytest.raises(zoo.errors.DataError, match="cut.png is not a readable image"):
        model.upscale(tmp_path / "cut.png", out=tmp_path / "out.png")
    with pytest.raises(ValueError, match="writes one image as PNG"):
        model.upscale(tmp_path / "in.png", out=tmp_path / "out.jpg")
    with pytest.raises(ValueError, match="got 2 images"):
        model.upscale(torch.rand(2, 3, 8, 8), out=tmp_path / "out.png")
    with pytest.raises(ValueError, match="must exceed"):
        model.upscale(tmp_path / "in.png", tile=8, out=tmp_path / "out.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.png", "in.png"]


@pytest.mark.parametrize("size, rows", [((20, 20), 1), ((20, 90), 4)])
def test_progress_counts_rows_of_tiles(capsys, size, rows):
    tiny().upscale(mixed_image("RGB", size), tile=32, pad=2, progress=True)  # rows start at 0, 24, 48, 58
    assert f"{rows}/{rows}" in capsys.readouterr().err.splitlines()[-1]


# -------------------------------------------------------------------------------------------- inputs
def test_upscale_returns_the_kind_it_was_given(tmp_path):
    model = tiny()
    rgb = Image.new("RGB", (9, 7), (200, 30, 60))
    out = model.upscale(rgb)
    assert isinstance(out, Image.Image) and out.mode == "RGB" and out.size == (36, 28)
    rgb.save(tmp_path / "in.png")
    from_path = model.upscale(tmp_path / "in.png")
    assert from_path.tobytes() == out.tobytes()
    assert model.upscale(str(tmp_path / "in.png")).size == (36, 28)
    single = model.upscale(torch.rand(3, 5, 6))
    assert single.shape == (3, 20, 24)
    assert model.upscale(torch.rand(2, 3, 5, 6)).shape == (2, 3, 20, 24)


def test_grayscale_alpha_palette_and_tiny_images():
    model = tiny()
    gray = model.upscale(Image.new("L", (5, 3), 90))
    assert gray.mode == "L" and gray.size == (20, 12)
    rgba = Image.new("RGBA", (6, 4), (10, 200, 30, 0))
    rgba.putpixel((2, 2), (10, 200, 30, 255))
    out = model.upscale(rgba)
    assert out.mode == "RGBA" and out.size == (24, 16)
    alpha = torch.tensor(numpy.asarray(out.getchannel("A")), dtype=torch.float32) / 255
    source = torch.tensor(numpy.asarray(rgba.getchannel("A")), dtype=torch.float32)[None, None] / 255
    expected = upsample_bicubic(source, 4)[0, 0]
    assert (alpha - expected).abs().max().item() <= 1 / 255 + 1e-6  # alpha: bicubic, not the network
    assert model.upscale(Image.new("LA", (3, 3))).mode == "LA"
    assert model.upscale(Image.new("P", (3, 3))).mode == "RGB"
    assert model.upscale(Image.new("RGB", (1, 1))).size == (4, 4)
    assert model.upscale(Image.new("RGB", (1, 9))).size == (4, 36)
    assert model.upscale(torch.rand(1, 1, 7)).shape == (1, 4, 28)  # grayscale tensor
    four = model.upscale(torch.rand(4, 5, 3))
    assert four.shape == (4, 20, 12)


def test_bad_input_is_a_clear_error(tmp_path):
    model = tiny()
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match="empty file"):
        model.upscale(tmp_path / "empty.png")
    with pytest.raises(ValueError, match="not a readable image"):
        model.upscale(tmp_path / "notes.png")
    with pytest.raises(FileNotFoundError):
        model.upscale(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="C = 1"):
        model.upscale(torch.rand(1, 5, 8, 8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.upscale(torch.rand(1, 3, 8, 8) * 2 - 1)
    with pytest.raises(ValueError, match="float"):
        model.upscale(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.upscale(torch.full((1, 3, 4, 4), float("nan")))
    with pytest.raises(ValueError, match="empty"):
        model.upscale(torch.rand(1, 3, 0, 4))
    with pytest.raises(ValueError, match="16-bit"):
        model.upscale(Image.new("I;16", (4, 4), 40000))
    with pytest.raises(TypeError, match="PIL image"):
        model.upscale([1, 2, 3])


# ------------------------------------------------------------------------------- conversion and CLI
def original_checkpoint(path, scale=4, prefix="", wrap=True, rename=None):
    torch.manual_seed(1)
    net = SRResNet(channels=16, num_rcb=3, upscale_factor=scale)  # the original's own module tree
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.randn_like(p) * (0.05 if p.dim() > 1 else 0.2) + (0.25 if "PReLU" in name else 0))
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    state = {}
    for k, v in net.state_dict().items():
        for old, new in (rename or {}).items():
            k = k.replace(old, new, 1) if k.startswith(old) else k
        state[prefix + k] = v
    torch.save({"epoch": 7, "best_psnr": 27.1, "state_dict": state} if wrap else state, path)
    return net.eval()


@pytest.mark.parametrize(
    "scale, prefix, wrap, rename",
    [
        (4, "", True, None),
        (2, "module.", False, None),
        (4, "", True, {"conv1.": "conv_block1.", "conv2.": "conv_block2.", "conv3.": "conv_block3."}),
    ],
)
def test_convert_lornatang_checkpoint(tmp_path, scale, prefix, wrap, rename):
    original = original_checkpoint(tmp_path / "g_best.pth.tar", scale, prefix, wrap, rename)
    assert cli(["convert", "srgan", str(tmp_path / "g_best.pth.tar"), "--out", str(tmp_path / "conv")]) == 0
    model = zoo.load(tmp_path / "conv")
    assert model.config["scale"] == scale and model.config["width"] == 16 and model.config["blocks"] == 3
    x = torch.rand(2, 3, 11, 13)
    with torch.no_grad():
        expected = original(x)
    assert (model.upscale(x) - expected).abs().max().item() < 1e-5


def test_convert_picks_the_ema_weights_of_a_training_checkpoint_and_compiled_prefixes(tmp_path, capsys):
    """SRGAN-PyTorch training checkpoints hold state_dict and ema_state_dict, saved through
    torch.compile and DataParallel (_orig_mod.module.); --ema converts the averaged weights."""
    raw = original_checkpoint(tmp_path / "raw.pth", wrap=False)
    ema = original_checkpoint(tmp_path / "ema.pth", wrap=False)
    with torch.no_grad():
        for p in ema.parameters():
            p.mul_(0.9)
    prefixed = {f"_orig_mod.module.{k}": v for k, v in ema.state_dict().items()}
    training = {"epoch": 9, "state_dict": torch.load(tmp_path / "raw.pth"), "ema_state_dict": prefixed}
    torch.save(training, tmp_path / "g_epoch_9.pth.tar")
    torch.save(prefixed, tmp_path / "ema_alone.pth")
    x = torch.rand(1, 3, 9, 9)
    for args, network in (
        (["g_epoch_9.pth.tar"], raw),
        (["g_epoch_9.pth.tar", "--ema"], ema),
        (["ema_alone.pth"], ema),
    ):
        out = tmp_path / ("out-" + "-".join(args))
        assert cli(["convert", "srgan", str(tmp_path / args[0]), *args[1:], "--out", str(out)]) == 0
        with torch.no_grad():
            assert (zoo.load(out).upscale(x) - network(x)).abs().max().item() < 1e-5
    assert cli(["convert", "srgan", str(tmp_path / "raw.pth"), "--ema", "--out", str(tmp_path / "x")]) == 2
    assert "has no ema_state_dict" in capsys.readouterr().err


def test_convert_refuses_other_checkpoints(tmp_path):
    torch.save(
        {"features.0.weight": torch.zeros(64, 3, 3, 3), "classifier.0.weight": torch.zeros(1, 1)},
        tmp_path / "d.pth",
    )
    assert cli(["convert", "srgan", str(tmp_path / "d.pth"), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_zoo_run_upscales_a_file_and_never_writes_half(tmp_path, capsys):
    original_checkpoint(tmp_path / "g.pth")
    cli(["convert", "srgan", str(tmp_path / "g.pth"), "--out", str(tmp_path / "model")])
    Image.new("RGBA", (21, 13), (5, 100, 200, 128)).save(tmp_path / "in.png")
    assert (
        cli(["run", str(tmp_path / "model"), str(tmp_path / "in.png"), "--out", str(tmp_path / "x4.png")])
        == 0
    )
    with Image.open(tmp_path / "x4.png") as out:  # streamed, equal to the in-memory result
        assert out.size == (84, 52) and out.mode == "RGBA"
        in_memory = zoo.load(tmp_path / "model").upscale(tmp_path / "in.png")
        assert numpy.array_equal(numpy.asarray(out), numpy.asarray(in_memory))
    assert "rows of tiles" in capsys.readouterr().err  # the progress bar
    (tmp_path / "bad.png").write_bytes(b"")
    assert (
        cli(["run", str(tmp_path / "model"), str(tmp_path / "bad.png"), "--out", str(tmp_path / "o.png")])
        == 2
    )
    assert (
        cli(["run", str(tmp_path / "model"), str(tmp_path / "in.png"), "--out", str(tmp_path / "o.jpg")]) == 2
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("o.", ".o"))) == []


# ------------------------------------------------------------------------------------------- metrics
def test_psnr_ssim_match_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    torch.manual_seed(0)
    hr = torch.rand(1, 3, 40, 36)
    sr = (hr + 0.05 * torch.randn_like(hr)).clamp(0, 1)
    q = lambda t: ((t * 255).round() / 255).double()  # noqa: E731
    y_sr = (rgb_to_y(q(sr))[0, 0, 4:-4, 4:-4]).numpy()
    y_hr = (rgb_to_y(q(hr))[0, 0, 4:-4, 4:-4]).numpy()
    assert psnr_y(sr, hr, 4).item() == pytest.approx(
        metrics.peak_signal_noise_ratio(y_hr, y_sr, data_range=255)
    )
    expected = metrics.structural_similarity(
        y_hr, y_sr, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    assert ssim_y(sr, hr, 4).item() == pytest.approx(expected, abs=1e-6)
    assert psnr_y(hr, hr, 4).item() > 90 and ssim_y(hr, hr, 4).item() == pytest.approx(1.0)
    assert sharpness_ratio(hr, hr, 4).item() == pytest.approx(1.0)


def test_bicubic_is_its_own_baseline():
    torch.manual_seed(0)
    images = [torch.rand(3, 42, 50)]
    scores = sr_scores(lambda lr: upsample_bicubic(lr, 4), images, 4)
    assert scores["psnr_gain_db"] == 0 and scores["model"] == scores["bicubic"]
    assert downsample(images[0][None, :, :40, :48], 4).shape == (1, 3, 10, 12)
    assert scores["bicubic"]["sharpness"] < 1  # bicubic upsampling is blurrier than the original


# ------------------------------------------------------------------------------------------ training
def test_packaged_photos_hold_out_the_test_images():
    from zoo.data import build_dataset
    from zoo.data.photos import TEST_PHOTOS, TRAIN_PHOTOS, photo_files

    assert {"skimage:coffee.png", "sklearn:flower.jpg", "matplotlib:grace_hopper.jpg"} <= set(TEST_PHOTOS)
    assert not set(TRAIN_PHOTOS) & set(TEST_PHOTOS)
    assert not set(photo_files("train")) & set(photo_files("test"))
    crops = build_dataset({"name": "sr_crops", "crop": 96, "repeats": 2})
    assert len(crops) == 2 * len(TRAIN_PHOTOS)
    item = crops[5]["hr"]
    assert item.shape == (3, 96, 96) and 0 <= item.min() and item.max() <= 1
    assert len(build_dataset({"name": "sr_crops"}, split="test").images) == len(TEST_PHOTOS)


@pytest.fixture
def photo_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    torch.manual_seed(0)
    for i in range(2):
        pixels = (torch.rand(100, 112, 3) * 255).to(torch.uint8).numpy()
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return folder


def recipe(tmp_path, name, **fields):
    return {
        "variant": "srgan",
        "model": {"width": 8, "blocks": 1, "discriminator": False, "d_width": 4},
        "batch_size": 2,
        "steps": 3,
        "log_every": 1,
        "sample_every": 3,
        "samples": 2,
        "checkpoint_every": 3,
        "ema": None,
        "out": str(tmp_path / name),
        **fields,
    }


def test_two_stage_training(tmp_path, photo_folder, single_thread):
    data = {"name": "sr_crops", "path": str(photo_folder), "crop": 32}
    first = zoo.train(recipe(tmp_path, "srresnet", data=str(photo_folder)))  # a bare folder: sr_crops
    with Image.open(first / "samples" / "latest.png") as grid:  # 2 rows of LR | bicubic | SR | HR at 96 px
        assert grid.size == (4 * 96 + 5 * 2, 2 * 96 + 3 * 2)
    pretrained = zoo.load(first)
    second = zoo.train(
        recipe(
            tmp_path,
            "srgan",
            data=data,
            model={"width": 8, "blocks": 1, "discriminator": True, "d_width": 4},
            step={
                "pixel_weight": 0.0,
                "content": {"backbone": "test_resnet", "index": 1, "pretrained": False},
                "adversarial_weight": 1e-3,
            },
            init=str(first),
            optimizers={"generator": {"lr": 0.0}, "discriminator": {"lr": 1e-4}},
        )
    )
    logged = [line for line in (second / "metrics.jsonl").read_text().splitlines()]
    assert all(k in logged[-1] for k in ("loss_d", "loss_content", "loss_g_adv", "d_real"))
    trained = zoo.load(second)
    weights = dict(trained.generator.named_parameters())
    for key, value in pretrained.generator.named_parameters():  # lr 0: the SRResNet's weights (BN stats move)
        assert torch.equal(weights[key], value), key


def test_resume_keeps_the_runs_own_generator_and_bf16_trains(tmp_path, photo_folder, single_thread):
    data = {"name": "sr_crops", "path": str(photo_folder), "crop": 32}
    first = zoo.train(recipe(tmp_path, "init", data=data))
    fields = dict(data=data, amp="bf16", init=str(first))
    run = zoo.train(recipe(tmp_path, "run", steps=2, **fields))
    before = dict(zoo.load(run).generator.named_parameters())
    (first / "model.safetensors").unlink()  # a resumed run must not read it again
    zoo.train(recipe(tmp_path, "run", steps=3, **fields), resume=True)
    after = dict(zoo.load(run).generator.named_parameters())
    assert any(not torch.equal(before[k], after[k]) for k in before)  # it trained on from its own weights
    assert all(torch.isfinite(v).all() for v in after.values())


def test_training_errors_are_clear(tmp_path, photo_folder, single_thread):
    with pytest.raises(ValueError, match="needs a discriminator"):
        zoo.train(recipe(tmp_path, "a", data=str(photo_folder), step={"adversarial_weight": 1e-3}))
    odd = {"name": "sr_crops", "path": str(photo_folder), "crop": 30}
    with pytest.raises(ValueError, match="multiple of the scale"):
        zoo.train(recipe(tmp_path, "b", data=odd))
    with pytest.raises(zoo.errors.DataError, match="smaller than the crop"):
        zoo.train(recipe(tmp_path, "c", data={"name": "sr_crops", "path": str(photo_folder), "crop": 128}))


# ------------------------------------------------------------------------------------ bundled models
def test_bundled_models_resolve_by_their_aliases_and_meet_their_goals():
    srresnet, srgan_ = zoo.info("srresnet"), zoo.info("srgan")
    assert srresnet["task"] == srgan_["task"] == "upscale" and srgan_["name"] == "srgan"
    assert not srresnet["config"]["discriminator"] and not srgan_["config"]["discriminator"]  # G only
    # the goals, on the held-out photos (test_model_quality re-measures these numbers)
    assert srresnet["metrics"]["psnr_gain_db"] >= 1.0
    assert srgan_["metrics"]["psnr"] > srgan_["metrics"]["bicubic_psnr"]
    assert abs(1 - srgan_["metrics"]["sharpness"]) < abs(1 - srresnet["metrics"]["sharpness"])
    model = zoo.load("srgan")
    assert model.upscale(torch.rand(1, 3, 9, 9)).shape == (1, 3, 36, 36)
