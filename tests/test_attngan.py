"""The AttnGAN plugin: networks, DAMSM losses, vocabulary, both training stages, loading, CLI, conversion."""

from __future__ import annotations

import contextlib
import json
import math
import pickle
import types
import warnings

import pytest
import torch
import torch.nn.functional as F
from hubserver import set_unreachable
from zoo_plugins.attngan.losses import (
    damsm_loss,
    feature_matching_loss,
    stage_discriminator_loss,
    word_scores,
)
from zoo_plugins.attngan.model import DAMSM, AttnGAN
from zoo_plugins.attngan.networks import CANet, Generator, ImageEncoder, StageDiscriminator, TextEncoder
from zoo_plugins.attngan.training import attngan_step, blurred, damsm_step, swapped
from zoo_plugins.attngan.vocab import Vocabulary, tokenize

import zoo
from zoo.cli import main
from zoo.errors import WeightsError
from zoo.hub_publish import model_card

WORDS = ["a", "at", "blue", "circle", "left", "red", "square", "the", "top"]
ENCODERS = {"embedding_dim": 16, "text_dim": 16, "image_size": 16, "image_width": 8}
TINY = {
    **ENCODERS,
    "stages": 2,
    "base_size": 16,
    "ngf": 8,
    "z_dim": 8,
    "cond_dim": 8,
    "residuals": 1,
    "ndf": 8,
}
DATA = {"name": "shapes", "size": 32, "length": 48}
LOOP = {"batch_size": 8, "steps": 2, "log_every": 1, "checkpoint_every": 0, "sample_every": 0}


def tiny(**overrides) -> AttnGAN:
    torch.manual_seed(0)
    return AttnGAN(vocabulary=WORDS, **{**TINY, **overrides}).eval()


def test_generator_stages_and_attention_maps():
    model = tiny(stages=3)
    images, maps = model.generate(
        ["a red circle", "a blue square at the top left"], seed=0, return_attention=True
    )
    assert images.shape == (2, 3, 64, 64) and 0 <= images.min() and images.max() <= 1
    assert [m.shape for m in maps] == [(2, 7, 16, 16), (2, 7, 32, 32)]  # 7 words in the longest caption
    for m in maps:
        assert torch.allclose(m.sum(1), torch.ones(2, *m.shape[2:]), atol=1e-5)  # a softmax over words
        assert m[0, 3:].abs().max() == 0  # "a red circle" has 3 words: padding gets no attention


def test_generate_is_deterministic_per_seed():
    model = tiny()
    a = model.generate(["a red circle", "a blue square"], seed=3)
    assert torch.equal(a, model.generate(["a red circle", "a blue square"], seed=3))
    assert not torch.equal(a, model.generate(["a red circle", "a blue square"], seed=4))
    # one string is one caption, and a caption's noise does not depend on the others in the batch
    assert torch.allclose(a[:1], model.generate("a red circle", seed=3), atol=1e-5)


def test_network_shapes():
    words, sentence = TextEncoder(10, 16, 24, 0.0)(torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.tensor([3, 2]))
    assert words.shape == (2, 24, 3) and sentence.shape == (2, 24)
    assert words[1, :, 2].abs().max() == 0  # padded positions have no word feature
    gen = Generator(stages=2, base_size=8, ngf=4, z_dim=4, cond_dim=4, text_dim=24, residuals=1)
    pad = torch.tensor([[False] * 3, [False, False, True]])
    images, maps, mu, logvar = gen(torch.randn(2, 4), sentence, words, pad, torch.randn(2, 4))
    assert [i.shape for i in images] == [(2, 3, 8, 8), (2, 3, 16, 16)] and maps[0].shape == (2, 3, 8, 8)
    assert mu.shape == logvar.shape == (2, 4)
    d = StageDiscriminator(32, ndf=4, text_dim=24)
    features = d(torch.randn(2, 3, 32, 32))
    assert features.shape[2:] == (4, 4) and d.logits(features).shape == d.logits(
        features, sentence
    ).shape == (2,)
    regions, code = tiny().encode_images(torch.rand(2, 3, 32, 32))
    assert regions.shape == (2, 16, 2, 2) and code.shape == (2, 16)
    with pytest.raises(ValueError, match="4 times a power of two"):
        Generator(base_size=48)


def test_spectral_discriminator_has_unit_spectral_norm_and_no_batch_norm():
    torch.manual_seed(0)
    d = StageDiscriminator(32, ndf=4, text_dim=24, norm="spectral").train()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    for _ in range(30):  # one power iteration per forward in train mode
        d.logits(d(torch.randn(2, 3, 32, 32)), torch.randn(2, 24))
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 6  # three strided, the joint 3x3 and both logit convolutions
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert float(sigma) == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="norm must be one of"):
        StageDiscriminator(32, norm="layer")


def test_projection_discriminator_logit_is_linear_in_the_sentence():
    """``d_cond="projection"``: the conditional logit is psi(h) + <V s, h>, linear in the sentence (the
    paper's concatenation goes through a LeakyReLU, so it is not), and the text reaches every feature cell."""
    torch.manual_seed(0)
    for norm in ("batch", "spectral"):
        d = StageDiscriminator(32, ndf=4, text_dim=24, norm=norm, cond="projection").train()
        assert hasattr(d, "project") and not hasattr(d, "joint")
        for _ in range(30):  # spectral norm: one power iteration per forward in train mode
            d.logits(d(torch.randn(2, 3, 32, 32)), torch.randn(2, 24))
        d.eval()
        features = d(torch.randn(3, 3, 32, 32))
        a, b = torch.randn(3, 24), torch.randn(3, 24)
        zero = d.logits(features, torch.zeros(3, 24))
        assert torch.allclose(zero, d.cond(features).flatten())
        summed = d.logits(features, a + b) - d.logits(features, a) - d.logits(features, b) + zero
        assert summed.abs().max() < 1e-4 and not torch.allclose(d.logits(features, a), zero)
        if norm == "spectral":
            sigma = torch.linalg.matrix_norm(d.project.weight.detach(), ord=2)
            assert float(sigma) == pytest.approx(1.0, abs=0.05)
    concat = StageDiscriminator(32, ndf=4, text_dim=24).eval()
    features = concat(torch.randn(3, 3, 32, 32))
    zero = concat.logits(features, torch.zeros(3, 24))
    summed = concat.logits(features, a + b) - concat.logits(features, a) - concat.logits(features, b) + zero
    assert summed.abs().max() > 1e-3  # the check above can fail
    assert all(hasattr(d, "project") for d in tiny(d_cond="projection").discriminators)
    with pytest.raises(ValueError, match="conditioning must be one of"):
        StageDiscriminator(32, cond="film")


def test_conditioning_augmentation_unit_input_ignores_the_sentence_scale():
    torch.manual_seed(0)
    sentence, eps = torch.randn(3, 16) * 0.2, torch.randn(3, 8)
    plain, unit = CANet(16, 8), CANet(16, 8, unit_input=True)
    unit.load_state_dict(plain.state_dict())
    assert torch.allclose(unit(sentence, eps)[0], unit(5 * sentence, eps)[0], atol=1e-5)
    assert not torch.allclose(plain(sentence, eps)[0], plain(5 * sentence, eps)[0], atol=1e-3)
    rms = sentence.pow(2).mean(dim=1, keepdim=True).sqrt()
    assert torch.allclose(unit(sentence, eps)[1], plain(sentence / rms, eps)[1], atol=1e-5)


def test_image_codes_do_not_depend_on_the_batch():
    """Training matches images and captions within a batch; R-precision ranks them one image at a time in
    eval mode: an image's code must be its own in both modes (no batch statistics)."""
    encoder = tiny().encoders["image"].train()
    images = torch.rand(5, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        regions, code = encoder(images)
        alone = encoder(images[:2])[1]
        evaluated = encoder.eval()(images)[1]
    assert torch.allclose(code[:2], alone, atol=1e-5) and torch.allclose(code, evaluated, atol=1e-5)


def test_damsm_loss_prefers_matching_pairs():
    torch.manual_seed(0)
    n, dim = 6, 16
    regions = torch.randn(n, dim, 3, 3)
    # each caption's words are features of its own image's regions (plus noise): a matching batch
    words = regions.flatten(2)[:, :, [0, 4, 8, 2]] + 0.1 * torch.randn(n, dim, 4)
    code = regions.mean((2, 3))
    sentence = code + 0.1 * torch.randn(n, dim)
    pad = torch.zeros(n, 4, dtype=torch.bool)
    pad[0, 3] = True
    scores, maps = word_scores(regions, words, pad)
    assert (scores.diagonal()[:, None] > scores).sum() == n * (n - 1)  # each image ranks its caption first
    assert maps.shape == (n, 4, 3, 3) and torch.allclose(maps[1].sum((1, 2)), torch.ones(4))
    matched = damsm_loss(regions, code, words, sentence, pad)
    shuffle = torch.roll(torch.arange(n), 1)
    shuffled = damsm_loss(regions, code, words[shuffle], sentence[shuffle], pad[shuffle])
    assert matched[0] < shuffled[0] and matched[1] < shuffled[1]
    # a pair excluded as "not a negative" leaves the softmax: the loss cannot grow
    exclude = torch.zeros(n, n, dtype=torch.bool)
    exclude[0, 1] = exclude[1, 0] = True
    assert damsm_loss(regions, code, words, sentence, pad, exclude)[0] <= matched[0]
    # negatives identical to the images double every caption's choices: log 2 more per level, exactly
    doubled = damsm_loss(regions, code, words, sentence, pad, negatives=(regions, code))
    for with_neg, without in zip(doubled, matched, strict=True):
        assert float(with_neg - without) == pytest.approx(math.log(2), abs=1e-4)
    # negatives unlike every caption (scores far below) change almost nothing
    far = damsm_loss(regions, code, words, sentence, pad, negatives=(-regions, -code))
    assert all(float(f - m) < 0.05 for f, m in zip(far, matched, strict=True))


def test_degraded_negatives_options():
    """DAMSM step options ``blur_negatives`` and ``fade_negatives``: degraded copies of the images are extra
    negatives of every caption (a larger loss than without them); fading needs a contrast-aware encoder."""
    images = torch.zeros(1, 3, 17, 17)
    images[0, :, 8, 8] = 1.0
    soft = blurred(images, 2.0)
    assert soft.shape == images.shape and 0 < soft[0, 0, 8, 8] < 0.1 and soft[0, 0, 8, 12] > 0
    assert float(soft.sum()) == pytest.approx(3.0, rel=0.02)  # a blur keeps the light, spreads it

    torch.manual_seed(0)
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    blind, aware = ImageEncoder(16, 8, 16).eval(), ImageEncoder(16, 8, 16, bias=True).eval()
    assert torch.allclose(blind(x)[1], blind(0.2 * x)[1], atol=1e-5)  # without a bias: blind to contrast
    assert not torch.allclose(aware(x)[1], aware(0.2 * x)[1], atol=1e-3)

    ctx = types.SimpleNamespace(
        step=1, micro=0, device=torch.device("cpu"), autocast=contextlib.nullcontext, optimize=lambda *a: None
    )
    batch = {"x": x.add(1).div(2), "caption": ["a red circle", "a blue square", "a red square"]}
    model = DAMSM(vocabulary=WORDS, **ENCODERS, image_bias=True).eval()
    plain = damsm_step(model, batch, ctx)["loss"]
    for option in ({"blur_negatives": 1.5}, {"fade_negatives": 0.3}):
        assert damsm_step(model, batch, ctx, **option)["loss"] > plain, option
    with pytest.raises(ValueError, match="blur sigma"):
        damsm_step(model, batch, ctx, blur_negatives=-1.0)
    with pytest.raises(ValueError, match="contrast in"):
        damsm_step(model, batch, ctx, fade_negatives=1.0)
    with pytest.raises(ValueError, match="needs image_bias"):
        damsm_step(DAMSM(vocabulary=WORDS, **ENCODERS), batch, ctx, fade_negatives=0.3)
    with pytest.raises(ValueError, match="small CNN"):
        ImageEncoder(16, backbone="resnet18", bias=True)


def test_swapped_word_captions_are_negatives_of_their_images():
    """DAMSM step option ``swap_words``: each caption with one word of a group swapped is a wrong caption
    of its image (a larger loss); bad groups and captions without a group word are clear errors."""
    shapes = [["circle", "square"]]
    assert swapped(["a red circle", "a blue square at the top"], shapes, WORDS) == [
        "a red square",
        "a blue circle at the top",
    ]
    with pytest.raises(ValueError, match="not in the vocabulary: \\['hexagon'\\]"):
        swapped(["a red circle"], [["circle", "hexagon"]], WORDS)
    with pytest.raises(ValueError, match="has no word of the groups"):
        swapped(["a red"], shapes, WORDS)

    ctx = types.SimpleNamespace(
        step=1, micro=0, device=torch.device("cpu"), autocast=contextlib.nullcontext, optimize=lambda *a: None
    )
    batch = {"x": torch.rand(3, 3, 16, 16), "caption": ["a red circle", "a blue square", "a red square"]}
    model = DAMSM(vocabulary=WORDS, **ENCODERS).eval()
    assert damsm_step(model, batch, ctx, swap_words=shapes)["loss"] > damsm_step(model, batch, ctx)["loss"]
    # a wrong caption scored as the true one is one more choice as likely as the answer: it adds between 0
    # and log 2 to each image's cross-entropy (log 2 only if the other captions had no weight)
    with torch.no_grad():
        regions, code = model.encode_images(batch["x"])
        words, sentence, pad = model.encode_text(batch["caption"])
        plain = damsm_loss(regions, code, words, sentence, pad)
        same = damsm_loss(regions, code, words, sentence, pad, wrong_captions=(words, sentence, pad))
    for with_wrong, without in zip(same, plain, strict=True):
        assert 0 < float(with_wrong - without) <= math.log(2) + 1e-4


def test_swapped_word_captions_are_wrong_pairs_in_the_gan_step():
    """GAN step option ``swap_words``: each real image with its shape-swapped caption's sentence is one
    more wrong pair of the conditional logit, averaged with the original's (next item's caption), and a
    wrong caption of the generated image in the generator's DAMSM loss."""
    torch.manual_seed(0)
    d = StageDiscriminator(16, 8, 16, "spectral", "concat").eval()  # eval: fixed spectral norms
    real, fake = torch.rand(3, 3, 16, 16) * 2 - 1, torch.rand(3, 3, 16, 16) * 2 - 1
    sentence, altered, mismatched = torch.randn(3, 16), torch.randn(3, 16), torch.ones(2)
    with torch.no_grad():
        plain = stage_discriminator_loss(d, real, fake, sentence, mismatched)
        both = stage_discriminator_loss(d, real, fake, sentence, mismatched, altered)
        real_f, fake_target = d(real), torch.zeros(3)
        wrong = F.binary_cross_entropy_with_logits(d.logits(real_f[:-1], sentence[1:]), fake_target[:2])
        extra = (
            (F.binary_cross_entropy_with_logits(d.logits(real_f, altered), fake_target) - wrong) / 2 / 3
        )  # wrong pairs: 1 of 3 fake terms
    assert float(both) == pytest.approx(float(plain + extra), rel=1e-5) and float(extra) != 0

    # and the generator's DAMSM loss gets the swapped captions as wrong ones: one more choice per image
    ctx = types.SimpleNamespace(
        step=1, micro=0, device=torch.device("cpu"), autocast=contextlib.nullcontext, optimize=lambda *a: None
    )
    batch = {"x": torch.rand(2, 3, 32, 32), "caption": ["a red circle", "a blue square"]}
    logs = []
    for swap in (None, [["circle", "square"]]):
        model = tiny(d_norm="spectral").train()
        torch.manual_seed(1)  # the same noise: the swap is drawn after it
        logs.append(attngan_step(model, batch, ctx, swap_words=swap))
    assert 0 < float(logs[1]["loss_words"] - logs[0]["loss_words"]) <= math.log(2) + 1e-4
    assert 0 < float(logs[1]["loss_sentence"] - logs[0]["loss_sentence"]) <= math.log(2) + 1e-4
    assert logs[1]["loss_d"] != logs[0]["loss_d"]
    with pytest.raises(ValueError, match="has no word of the groups"):
        attngan_step(
            model, {**batch, "caption": ["a red circle", "a blue"]}, ctx, swap_words=[["circle", "square"]]
        )


def test_feature_matching_and_perceptual_terms_in_the_gan_step():
    """GAN step options ``feature_matching_weight`` (each stage's discriminator features) and
    ``perceptual_weight`` (the DAMSM image encoder's layers): L1 distances of the generated images to the
    real ones in those features, the real side a fixed target, added to the generator's loss."""
    d = StageDiscriminator(16, 8, 16, "spectral", "concat").eval()
    real = (torch.rand(2, 3, 16, 16) * 2 - 1).requires_grad_()
    fake = (torch.rand(2, 3, 16, 16) * 2 - 1).requires_grad_()
    with torch.no_grad():
        assert float(feature_matching_loss(d.img_code, real, real)) == 0
    loss = feature_matching_loss(d.img_code, fake, real)
    loss.backward()
    assert float(loss.detach()) > 0 and fake.grad.abs().sum() > 0 and real.grad is None
    with pytest.raises(ValueError, match="no"):
        feature_matching_loss(torch.nn.Sequential(torch.nn.Conv2d(3, 3, 1)), fake, real)

    ctx = types.SimpleNamespace(
        step=1, micro=0, device=torch.device("cpu"), autocast=contextlib.nullcontext, optimize=lambda *a: None
    )
    batch = {"x": torch.rand(2, 3, 32, 32), "caption": ["a red circle", "a blue square"]}
    logs = []
    for weights in ({}, {"feature_matching_weight": 2.0, "perceptual_weight": 3.0}):
        model = tiny(d_norm="spectral").train()
        torch.manual_seed(1)
        logs.append(attngan_step(model, batch, ctx, **weights))
    plain, both = logs
    assert "loss_perceptual" not in plain and "loss_feature_matching" not in plain
    assert both["loss_feature_matching"] > 0 and both["loss_perceptual"] > 0
    expected = plain["loss_g"] + 2.0 * both["loss_feature_matching"] + 3.0 * both["loss_perceptual"]
    assert float(both["loss_g"]) == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(ValueError, match="perceptual_weight is the weight of an L1 term"):
        attngan_step(model, batch, ctx, perceptual_weight=-1.0)
    with pytest.raises(ValueError, match="not a timm backbone"):
        backbone = tiny(d_norm="spectral", image_backbone="test_resnet", image_size=32)
        attngan_step(backbone, batch, ctx, perceptual_weight=1.0)


def test_vocabulary_json_round_trip_and_bad_captions():
    vocab = Vocabulary(WORDS, max_words=4)
    again = Vocabulary(json.loads(json.dumps(vocab.words)), 4)
    ids, lengths = again.encode(["A red, RED circle!", "top"])
    assert ids.tolist() == [[1, 6, 6, 4], [9, 0, 0, 0]] and lengths.tolist() == [4, 1]
    assert torch.equal(vocab.encode(["a red circle"])[0], again.encode(["a red circle"])[0])
    assert vocab.decode(ids[1], 1) == ["top"] and tokenize("A top-left, blue") == ["a", "top", "left", "blue"]
    with pytest.raises(ValueError, match=r"unknown word\(s\) 'green', 'triangle'.* 9 words .*a, at, blue"):
        vocab.encode(["a green triangle"])
    with pytest.raises(ValueError, match="no captions"):
        vocab.encode([])
    with pytest.raises(ValueError, match="has no words"):
        vocab.encode(["a red circle", "  ,. "])
    with pytest.raises(TypeError, match="must be a string"):
        vocab.encode(["a red circle", 3])
    with pytest.raises(TypeError, match="string or a list"):
        vocab.encode(torch.zeros(2))
    with pytest.warns(UserWarning, match="truncated to their first 4 words"):
        ids, lengths = vocab.encode(["a red circle at the top"])
    assert lengths.tolist() == [4] and ids.shape == (1, 4)


def test_model_needs_a_vocabulary_and_data_with_captions():
    with pytest.raises(ValueError, match="needs its vocabulary"):
        DAMSM()
    with pytest.raises(zoo.errors.DataError, match="no captions"):
        DAMSM.config_from_data({}, "gaussians8")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A DAMSM run (with blurred negatives) and an AttnGAN run from its encoders: two steps each, tiny
    networks."""
    root = tmp_path_factory.mktemp("attngan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        damsm = zoo.train(
            {
                "variant": "attngan-damsm",
                "data": DATA,
                "model": ENCODERS,
                "step": {"blur_negatives": 1.5},
                "ema": None,
                **LOOP,
            },
            out=root / "damsm",
        )
        recipe = {
            "variant": "attngan",
            "data": DATA,
            "model": {**TINY, "d_norm": "spectral"},
            "step": {"damsm": str(damsm), "damsm_warmup": 2, "pixel_weight": 3.0},
            **LOOP,
        }
        gan = zoo.train({**recipe, "sample_every": 2, "samples": 3}, out=root / "gan")
    return {"damsm": damsm, "gan": gan, "recipe": recipe, "root": root}


def test_both_stages_train_and_write_loadable_runs(runs):
    damsm_log = [json.loads(line) for line in (runs["damsm"] / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in damsm_log] == [1, 2] and all(r["loss_words"] > 0 for r in damsm_log)
    config = json.loads((runs["gan"] / "config.json").read_text())
    words = config["config"]["vocabulary"]
    assert "triangle" in words and "green" in words and config["config"]["max_words"] >= 20
    assert json.loads((runs["damsm"] / "config.json").read_text())["config"]["vocabulary"] == words
    log = [json.loads(line) for line in (runs["gan"] / "metrics.jsonl").read_text().splitlines()]
    assert {"loss_d", "loss_g", "loss_words", "loss_sentence", "loss_kl", "loss_pixel"} <= set(log[-1])
    # damsm_warmup 2: the DAMSM weight (5) is 0 at the first step, half at the second; pixel_weight 3
    for row, weight in zip(log, (0.0, 2.5), strict=True):
        damsm = weight * (row["loss_words"] + row["loss_sentence"])
        expected = row["loss_g_adv"] + damsm + row["loss_kl"] + 3.0 * row["loss_pixel"]
        assert row["loss_pixel"] > 0 and row["loss_g"] == pytest.approx(expected, rel=1e-4)
    assert (runs["gan"] / "samples" / "latest.png").is_file()

    model = zoo.load(runs["gan"])
    assert isinstance(model, AttnGAN) and not model.training
    # the frozen encoders are the DAMSM run's, byte for byte
    damsm = zoo.load(runs["damsm"])
    for key, value in damsm.encoders.state_dict().items():
        assert torch.equal(model.encoders.state_dict()[key], value), key
    images = model.generate(["a green triangle at the top left", "a red circle"], seed=1)
    assert images.shape == (2, 3, 32, 32)
    assert torch.equal(
        images, zoo.load(runs["gan"]).generate(["a green triangle at the top left", "a red circle"], seed=1)
    )
    sim = damsm.similarity(torch.rand(3, 3, 32, 32), ["a red circle", "a blue square"])
    assert sim.shape == (3, 2) and sim.abs().max() <= 1 + 1e-5
    ctx = types.SimpleNamespace(step=1, micro=0, device=torch.device("cpu"))
    batch = {"x": torch.rand(2, 3, 32, 32), "caption": ["a red circle", "a blue square"]}
    with pytest.raises(ValueError, match="weight of an L1 term"):
        attngan_step(model, batch, ctx, pixel_weight=-1.0)
    # the model card shows the call that works for a text-to-image model
    card = model_card("me/t2i", config, None, samples=False, license="mit")
    assert "model.generate([" in card and "model.text_to_image" not in card


def test_damsm_trains_on_a_captioned_folder_and_refuses_missing_captions(tmp_path):
    from PIL import Image

    folder = tmp_path / "data"
    folder.mkdir()
    for i, (colour, caption) in enumerate([("red", "a red thing"), ("blue", "a blue thing\nblue sky")] * 2):
        Image.new("RGB", (16, 16), colour).save(folder / f"{i}.jpg")
        (folder / f"{i}.txt").write_text(caption + "\n")
    recipe = {"variant": "attngan-damsm", "model": ENCODERS, "ema": None, **LOOP, "batch_size": 4, "steps": 1}
    run = zoo.train(
        {**recipe, "data": str(folder)}, out=tmp_path / "run"
    )  # a bare folder: name.jpg + name.txt
    config = json.loads((run / "config.json").read_text())["config"]
    assert config["vocabulary"] == ["a", "blue", "red", "sky", "thing"] and config["max_words"] == 3
    (folder / "3.txt").unlink()
    with pytest.raises(zoo.errors.DataError, match="no caption file"):
        zoo.train({**recipe, "data": str(folder)}, out=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_quality_metrics_of_a_run(runs):
    from zoo.metrics.suite import evaluate, protocol

    scores = evaluate(zoo.load(runs["gan"]), DATA, n=30)
    assert scores["n"] == 30
    for key in (
        "r_precision",
        "r_precision_real",
        "seen_all",
        "unseen_all",
        "seen_colour",
        "unseen_shape_real",
    ):
        assert 0 <= scores[key] <= 1, key
    assert scores["seen_position_real"] >= 0.9  # the grader itself reads real scenes
    text = protocol(DATA, 30, 0)
    assert "among 100" in text and "green triangle" in text and "shapes_attributes.safetensors" in text


def test_validation_slice_of_the_training_split(runs, capsys):
    from zoo.metrics.text_to_image import main, validate_text_to_image

    scores = validate_text_to_image(zoo.load(runs["gan"]), n=30)
    assert (scores["split"], scores["scene_seed"], scores["n"]) == ("train", 2, 30)
    for key in ("r_precision", "r_precision_real", "seen_all", "seen_shape", "seen_position"):
        assert 0 <= scores[key] <= 1, key
    assert not any(key.startswith("unseen") for key in scores)  # the unseen split is never looked at
    with pytest.raises(ValueError, match="not held out"):
        validate_text_to_image(zoo.load(runs["gan"]), n=30, scene_seed=1)
    assert main([str(runs["gan"]), "--n", "30"]) == 0
    assert json.loads(capsys.readouterr().out)["scene_seed"] == 2
    assert main([str(runs["gan"]), "--n", "30", "--truncation", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["truncation"] == 0


def test_gan_stage_resumes(runs, tmp_path):
    out = tmp_path / "resumed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        zoo.train({**runs["recipe"], "checkpoint_every": 1}, out=out)
        zoo.train({**runs["recipe"], "checkpoint_every": 1, "steps": 3}, out=out, resume=True)
    assert json.loads((out / "config.json").read_text())["steps"] == 3


def test_gan_stage_errors(runs, tmp_path):
    recipe = runs["recipe"]
    with pytest.raises(ValueError, match="train `attngan-damsm` first"):
        zoo.train({**recipe, "step": {}}, out=tmp_path / "a")
    with pytest.raises(
        ValueError, match="the data's images are 64x64 but the generator's last stage makes 32x32"
    ):
        zoo.train({**recipe, "data": {**DATA, "size": 64}}, out=tmp_path / "b")
    with pytest.raises(ValueError, match="another vocabulary"):
        zoo.train({**recipe, "model": {**TINY, "vocabulary": WORDS}}, out=tmp_path / "c")
    assert not (tmp_path / "a" / "model.safetensors").exists()
    assert not (tmp_path / "b").exists()  # a data misfit stops before the run directory is made
    with pytest.raises(ValueError, match="has no captions"):  # the vocabulary is built from the captions
        zoo.train({**recipe, "data": {"name": "mnist"}}, out=tmp_path / "d")
    given = {**TINY, "vocabulary": WORDS, "max_words": 18}
    with pytest.raises(ValueError, match="have no 'caption'"):  # the items are checked too
        zoo.train({**recipe, "model": given, "data": {"name": "mnist"}}, out=tmp_path / "e")
    assert not (tmp_path / "d").exists() and not (tmp_path / "e").exists()


def test_cli_run_writes_an_image_per_caption(runs, tmp_path):
    out = tmp_path / "out.png"
    assert (
        main(["-q", "run", str(runs["gan"]), "a blue square", "a red circle at the top", "--out", str(out)])
        == 0
    )
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (2 * 32 + 3 * 2, 32 + 2 * 2)  # torchvision's grid: 2 images, 2 px padding
    assert main(["-q", "run", str(runs["gan"]), "a purple zebra", "--out", str(tmp_path / "no.png")]) == 2
    assert not (tmp_path / "no.png").exists()


# ------------------------------------------------------------------------------------------ convert
class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def _original_release(tmp_path, words):
    """Checkpoints shaped as the original code saves them: its module names (which ours share), a
    DataParallel prefix on the generator, no batch-norm step counters (PyTorch < 0.4), and the
    captions.pickle of [train captions, test captions, ixtoword, wordtoix]."""
    torch.manual_seed(1)
    text = TextEncoder(len(words) + 1, 12, 10, 0.5).state_dict()
    gen = Generator(stages=2, base_size=8, ngf=4, z_dim=6, cond_dim=5, text_dim=10, residuals=2).state_dict()
    gen = {f"module.{k}": v for k, v in gen.items() if not k.endswith("num_batches_tracked")}
    torch.save(text, tmp_path / "text_encoder200.pth")
    torch.save(gen, tmp_path / "netG_epoch_600.pth")
    ixtoword = {0: "<end>", **{i + 1: w for i, w in enumerate(words)}}
    data = [[[1, 2, 3]], [[2, 3]], ixtoword, {w: i for i, w in ixtoword.items()}]
    (tmp_path / "captions.pickle").write_bytes(pickle.dumps(data, protocol=2))
    return text, gen


def test_convert_original_release(tmp_path):
    text, gen = _original_release(tmp_path, WORDS)
    out = tmp_path / "converted"
    args = [
        "-q",
        "convert",
        "attngan",
        str(tmp_path / "text_encoder200.pth"),
        str(tmp_path / "netG_epoch_600.pth"),
    ]
    assert main([*args, "--vocabulary", str(tmp_path / "captions.pickle"), "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["vocabulary"] == WORDS and config["stages"] == 2 and config["base_size"] == 8
    assert (config["ngf"], config["z_dim"], config["cond_dim"], config["text_dim"]) == (4, 6, 5, 10)
    model = zoo.load(out)
    assert torch.equal(model.encoders["text"].encoder.weight, text["encoder.weight"])
    assert torch.equal(
        model.generator.h_net2.att.conv_context.weight, gen["module.h_net2.att.conv_context.weight"]
    )
    assert model.generate(["a red circle"], seed=0).shape == (1, 3, 16, 16)
    with pytest.raises(ValueError, match="no DAMSM image encoder"):
        model.similarity(torch.rand(1, 3, 16, 16), ["a red circle"])


def test_convert_refuses_code_in_the_vocabulary_pickle(tmp_path, capsys):
    _original_release(tmp_path, WORDS)
    (tmp_path / "captions.pickle").write_bytes(
        pickle.dumps([[], [], {0: "<end>", 1: _Evil()}, {}], protocol=2)
    )
    out = tmp_path / "converted"
    args = [str(tmp_path / "text_encoder200.pth"), str(tmp_path / "netG_epoch_600.pth")]
    assert (
        main(
            [
                "-q",
                "convert",
                "attngan",
                *args,
                "--vocabulary",
                str(tmp_path / "captions.pickle"),
                "--out",
                str(out),
            ]
        )
        == 2
    )
    captured = capsys.readouterr()
    assert "only str, int, list and dict are allowed" in captured.err and "pwned" not in captured.out
    assert not out.exists()
    (tmp_path / "captions.pickle").write_bytes(pickle.dumps([[], [], {0: "<end>", 1: 1.5}, {}], protocol=2))
    with pytest.raises(WeightsError, match="holds a float"):
        zoo_convert(tmp_path)
    _original_release(tmp_path, WORDS[:-1])  # a vocabulary one word shorter than the text encoder's
    torch.save(TextEncoder(len(WORDS) + 1, 12, 10).state_dict(), tmp_path / "text_encoder200.pth")
    with pytest.raises(WeightsError, match="embeds 10 words but the vocabulary pickle has 9"):
        zoo_convert(tmp_path)


def zoo_convert(tmp_path):
    from zoo.convert import convert

    files = [tmp_path / "text_encoder200.pth", tmp_path / "netG_epoch_600.pth"]
    return convert("attngan", files, tmp_path / "out", vocabulary=str(tmp_path / "captions.pickle"))


# ------------------------------------------------------------------------------------ timm backbone
def test_damsm_timm_backbone_weights_come_from_the_hub(hub, tmp_path):
    from test_srgan_hub import serve_timm_weights

    served = serve_timm_weights(hub, "test_resnet", seed=5)
    model = DAMSM(vocabulary=WORDS, **{**ENCODERS, "image_backbone": "test_resnet", "image_size": 32})
    image = model.encoders["image"]
    regions, code = model.encode_images(torch.rand(2, 3, 32, 32))
    assert regions.shape == (2, 16, 2, 2) and code.shape == (2, 16)
    image.load_pretrained_backbone()
    assert any("model.safetensors" in path for _, path in hub.requests)
    for key, value in image.backbone.state_dict().items():
        if key in served:
            assert torch.equal(value, served[key]), key
    # the step option does it before the first update of a fresh run
    recipe = {"variant": "attngan-damsm", "data": DATA, "ema": None, **LOOP, "steps": 1}
    model_options = {**ENCODERS, "image_backbone": "test_resnet", "image_size": 32}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run = zoo.train(
            {**recipe, "model": model_options, "step": {"pretrained_backbone": True}}, out=tmp_path / "r"
        )
    assert zoo.load(run).encoders["image"].backbone_name == "test_resnet"


@pytest.mark.parametrize("where", ["no such file", "unreachable"])
def test_damsm_timm_backbone_unreachable_weights_fail(where, hub, monkeypatch, caplog):
    """The Hub without the file, or no Hub at all: a clear error at once (no ~45 s of retries)."""
    if where == "unreachable":
        set_unreachable(monkeypatch)
    model = DAMSM(vocabulary=WORDS, **{**ENCODERS, "image_backbone": "test_resnet", "image_size": 32})
    with pytest.raises(
        zoo.errors.HubError, match="(?s)pretrained 'test_resnet' weights.*pretrained_backbone"
    ):
        model.encoders["image"].load_pretrained_backbone()
    assert not any("Retrying" in r.getMessage() for r in caplog.records)
