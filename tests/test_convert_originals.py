"""Every checkpoint layout the original code bases save converts to a model with the original's outputs.

Each checkpoint is saved from the original's own module tree (``tests/originals/``) as the original saves it
(a plain state dict, through ``DataParallel``, before torch counted batch-norm batches, wrapped in
``{"epoch", "state_dict"}``), converted with ``zoo convert`` and run beside the original network, both in
eval mode, within ``TOL``. Files the converters do not take are refused with what they look like.
"""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from originals import attngan, dcgan_examples, ganomaly, srgan_pytorch, trained_like
from originals import pix2pix_cyclegan as p2p
from zoo_plugins.ganomaly.model import GANomaly

import zoo
from zoo.cli import main
from zoo.convert import convert

TOL = 1e-5


@pytest.fixture(autouse=True)
def _one_thread(single_thread):
    """Small networks on a shared CPU: one thread (conftest's fixture)."""


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.float() - b.float()).abs().max().item()


def saved(state: dict[str, torch.Tensor], path, form: str = "plain"):
    """``state`` written as the original writes it: ``plain``, ``data_parallel`` (``module.`` keys), ``old``
    (torch 0.4.0: no batch-norm ``num_batches_tracked``, and torch's format before 1.6, not a zip archive)."""
    if form == "data_parallel":
        state = {f"module.{k}": v for k, v in state.items()}
    elif form == "old":
        state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    torch.save(state, path, _use_new_zipfile_serialization=form != "old")
    return path


def translated(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What the original's test.py gives for images ``x`` in [0, 1] (``[-1, 1]`` inside), ``net`` as it is."""
    with torch.no_grad():
        return ((net(x * 2 - 1) + 1) / 2).clamp(0, 1)


# ------------------------------------------------------------------------------------- pix2pix, CycleGAN
@pytest.mark.parametrize("variant", ["pix2pix", "cyclegan"])
@pytest.mark.parametrize("dropout", [False, True], ids=["no_dropout", "dropout"])
@pytest.mark.parametrize("norm", ["batch", "instance"])
@pytest.mark.parametrize(
    "net_g, size", [("unet_128", 128), ("unet_256", 256), ("resnet_6blocks", 16), ("resnet_9blocks", 16)]
)
def test_every_generator_layout_converts_to_the_original_outputs(
    tmp_path, variant, net_g, size, norm, dropout
):
    """--netG unet_128/unet_256/resnet_6blocks/resnet_9blocks x --norm batch/instance x dropout or
    --no_dropout; pix2pix's latest_net_G.pth (3 -> 1 channels), CycleGAN's latest_net_G_A.pth and _B.pth."""
    g_a = trained_like(p2p.define_G(3, 1, 4, net_g, norm, dropout), seed=1)
    files = [saved(g_a.state_dict(), tmp_path / "latest_net_G_A.pth")]
    if variant == "cyclegan":
        g_b = trained_like(p2p.define_G(1, 3, 4, net_g, norm, dropout), seed=2)
        files.append(saved(g_b.state_dict(), tmp_path / "latest_net_G_B.pth"))
    model = zoo.load(convert(variant, files, tmp_path / "out"), test_mode="eval")  # eval: as test.py --eval
    config = model.config
    assert (config["netG"], config["norm"], config["ngf"]) == (net_g, norm, 4)
    assert (config["in_channels"], config["out_channels"]) == (3, 1)
    # a ResNet file tells its dropout; a U-Net's leaves no parameters: the original's default of each model
    assert config["dropout"] is (dropout if net_g.startswith("resnet") else variant == "pix2pix")
    x = torch.rand(2, 3, size, size)
    assert max_diff(model.translate(x), translated(g_a, x)) <= TOL
    if variant == "cyclegan":
        y = torch.rand(2, 1, size, size)
        assert max_diff(model.translate(y, "BtoA"), translated(g_b, y)) <= TOL


@pytest.mark.parametrize("form", ["data_parallel", "old"])
@pytest.mark.parametrize("net_g, size", [("unet_256", 256), ("resnet_9blocks", 16)])
def test_data_parallel_and_old_files_convert(tmp_path, net_g, size, form):
    """Saved from DataParallel (module. keys) or by torch 0.4.0 (no num_batches_tracked: torch sets 0 when the
    original loads such a file, which eval mode never reads; a file format that cannot be memory-mapped)."""
    net = trained_like(p2p.define_G(1, 1, 4, net_g, "batch", True), seed=3)
    path = saved(net.state_dict(), tmp_path / "latest_net_G.pth", form)
    assert main(["-q", "convert", "pix2pix", str(path), "--out", str(tmp_path / "out")]) == 0
    model = zoo.load(tmp_path / "out", test_mode="eval")
    x = torch.rand(1, 1, size, size)
    assert max_diff(model.translate(x), translated(net, x)) <= TOL
    if form == "old":
        counters = [v for k, v in model.generator.state_dict().items() if k.endswith("num_batches_tracked")]
        assert counters and all(int(c) == 0 for c in counters)


@pytest.mark.parametrize("variant, default", [("pix2pix", True), ("cyclegan", False)])
def test_unet_dropout_is_stated_by_option_where_the_file_cannot_tell(tmp_path, variant, default):
    """test_mode original (the original's test.py: train mode, dropout on where the network has it): the
    converted U-Net matches the original trained with dropout only when converted with dropout."""
    net = trained_like(p2p.define_G(1, 1, 4, "unet_128", "batch", True), seed=4)
    path = saved(net.state_dict(), tmp_path / "latest_net_G.pth")
    x = torch.rand(2, 1, 128, 128)
    original = copy.deepcopy(net).train()  # one image at a time, dropout drawn after manual_seed(7)
    torch.manual_seed(7)
    with torch.no_grad():
        expected = ((torch.cat([original(one * 2 - 1) for one in x.split(1)]) + 1) / 2).clamp(0, 1)
    for flags, dropout in (([], default), (["--dropout"], True), (["--no-dropout"], False)):
        out = tmp_path / f"out{len(flags)}{dropout}"
        assert main(["-q", "convert", variant, str(path), *flags, "--out", str(out)]) == 0
        model = zoo.load(out)
        assert model.config["dropout"] is dropout and model.config["test_mode"] == "original"
        assert (max_diff(model.translate(x, seed=7), expected) <= TOL) is dropout


def test_a_resnet_file_tells_its_dropout_and_a_disagreeing_option_is_an_error(tmp_path, capsys):
    net = trained_like(p2p.define_G(1, 1, 4, "resnet_6blocks", "instance", False), seed=5)
    path = saved(net.state_dict(), tmp_path / "horse2zebra.pth")
    assert main(["-q", "convert", "cyclegan", str(path), "--dropout", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "looks like resnet_6blocks (ngf=4, instance norm, no dropout" in err
    assert "--no-dropout" in err and not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------------ GANomaly
@pytest.mark.parametrize("isize, nc, form", [(32, 1, "plain"), (64, 3, "plain"), (16, 3, "old")])
def test_ganomaly_netg_converts_to_the_original_outputs(tmp_path, isize, nc, form):
    """lib/model.py's netG.pth: {"epoch", "state_dict": NetG.state_dict()}; the anomaly score of its test()
    is the mean squared difference of the two latent codes."""
    net = trained_like(ganomaly.NetG(isize, nz=8, nc=nc, ngf=4), seed=6)
    state = torch.load(saved(net.state_dict(), tmp_path / "state.pth", form))
    torch.save({"epoch": 14, "state_dict": state}, tmp_path / "netG.pth")
    assert (
        main(["-q", "convert", "ganomaly", str(tmp_path / "netG.pth"), "--out", str(tmp_path / "out")]) == 0
    )
    model = zoo.load(tmp_path / "out")
    assert model.config | {"resolution": isize, "channels": nc} == model.config
    assert (model.config["width"], model.config["latent_dim"], model.discriminator) == (4, 8, None)
    x = torch.rand(5, nc, isize, isize)
    with torch.no_grad():
        gen_imag, latent_i, latent_o = net(x * 2 - 1)
        fake, z, z_hat = model.generator(x * 2 - 1)
    assert max_diff(fake, gen_imag) <= TOL and max_diff(z_hat, latent_o.flatten(1)) <= TOL
    error = torch.mean(torch.pow(latent_i - latent_o, 2), dim=1).flatten()
    assert max_diff(model.raw_scores(x), error) <= TOL
    assert not model.calibrated  # the min-max constants and threshold come from validation data


def test_ganomaly_refuses_netd_and_extra_layers(tmp_path, capsys):
    torch.save({"epoch": 1, "state_dict": ganomaly.NetD(32, 1, 4).state_dict()}, tmp_path / "netD.pth")
    assert main(["-q", "convert", "ganomaly", str(tmp_path / "netD.pth"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "netD.pth") in err and "looks like GANomaly's discriminator" in err
    assert "convert netG.pth" in err
    net = ganomaly.NetG(32, nz=8, nc=1, ngf=4, extralayers=1)
    torch.save({"epoch": 1, "state_dict": net.state_dict()}, tmp_path / "netG.pth")
    assert main(["-q", "convert", "ganomaly", str(tmp_path / "netG.pth"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "trained with --extralayers" in err and "no counterpart" in err and not (tmp_path / "o").exists()
    converted = GANomaly(channels=1, latent_dim=8, width=4, discriminator=False)  # as a netG.pth converts
    with pytest.raises(ValueError, match="its adversarial training needs one"):
        converted.check_training_data({"x": torch.zeros(1, 32, 32)})


# ------------------------------------------------------------------------------------------------- AttnGAN
WORDS = ["a", "red", "blue", "circle", "square", "small", "large", "at", "top"]


def attngan_release(tmp_path) -> tuple[attngan.RNN_ENCODER, attngan.G_NET, list]:
    """The original release's files: text_encoder200.pth, netG_epoch_600.pth (saved from DataParallel, no
    batch-norm counters: torch 0.4.0), captions.pickle."""
    text = trained_like(attngan.RNN_ENCODER(len(WORDS) + 1, ninput=12, nhidden=10), seed=7)
    gen = trained_like(attngan.G_NET(ngf=2, nef=10, ncf=5, z_dim=6, branch_num=2, r_num=2), seed=8)
    saved(text.state_dict(), tmp_path / "text_encoder200.pth")
    saved({f"module.{k}": v for k, v in gen.state_dict().items()}, tmp_path / "netG_epoch_600.pth", "old")
    ixtoword = {0: "<end>", **{i + 1: w for i, w in enumerate(WORDS)}}
    data = [[[1, 2, 3]], [[2, 3]], ixtoword, {w: i for i, w in ixtoword.items()}]
    (tmp_path / "captions.pickle").write_bytes(pickle.dumps(data, protocol=2))
    return text, gen, [tmp_path / "text_encoder200.pth", tmp_path / "netG_epoch_600.pth"]


def test_attngan_text_encoder_and_g_net_convert_to_the_original_outputs(tmp_path):
    text, gen, files = attngan_release(tmp_path)
    out = convert("attngan", files, tmp_path / "out", vocabulary=str(tmp_path / "captions.pickle"))
    model = zoo.load(out)
    assert (model.config["stages"], model.config["base_size"], model.config["ngf"]) == (2, 64, 2)
    captions = torch.tensor([[2, 4, 8, 9, 1], [3, 5, 7, 1, 6]])  # of one length: the original's mask rows
    lengths = torch.tensor([5, 5])  # repeat the batch's masks in turn (tests/originals/attngan.py)
    z = torch.randn(2, 6)
    with torch.no_grad():
        words, sentence = text(captions, lengths, text.init_hidden(2))
        ours_words, ours_sentence = model.encoders["text"](captions, lengths)
        assert max_diff(ours_words, words) <= TOL and max_diff(ours_sentence, sentence) <= TOL
        mask = captions == 0
        torch.manual_seed(9)
        images, maps, mu, _ = gen(z, sentence, words, mask)
        torch.manual_seed(9)  # the conditioning augmentation's noise, drawn as the original draws it
        eps = torch.randn(2, 5)
        ours, our_maps, our_mu, _ = model.generator(z, sentence, words, mask, eps)
    assert [tuple(im.shape) for im in ours] == [(2, 3, 64, 64), (2, 3, 128, 128)]
    assert max_diff(our_mu, mu) <= TOL
    assert all(max_diff(a, b) <= TOL for a, b in zip(ours, images, strict=True))
    assert max_diff(our_maps[0], maps[0]) <= TOL


def test_attngan_refuses_the_image_encoder_discriminators_and_swapped_files(tmp_path, capsys):
    _, _, files = attngan_release(tmp_path)
    image = attngan.CNN_ENCODER(nef=10)
    saved(image.state_dict(), tmp_path / "image_encoder200.pth")
    vocabulary = ["--vocabulary", str(tmp_path / "captions.pickle")]
    cases = [
        (
            [tmp_path / "image_encoder200.pth", files[1]],
            "the first checkpoint looks like the DAMSM image encoder",
        ),
        (files[::-1], "the first checkpoint looks like the other network (the files are swapped)"),
    ]
    for given, message in cases:
        args = ["-q", "convert", "attngan", *map(str, given), *vocabulary, "--out", str(tmp_path / "out")]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert message in err and str(given[0]) in err and "text_encoder*.pth" in err
    assert not (tmp_path / "out").exists()


# -------------------------------------------------------------------------------- refusals, options, files
@pytest.mark.parametrize(
    "variant, net, name, says",
    [
        ("pix2pix", lambda: p2p.define_D(2, 4, "basic"), "latest_net_D.pth", "a PatchGAN discriminator"),
        ("cyclegan", lambda: p2p.define_D(1, 4, "n_layers", 4, "instance"), "latest_net_D_A.pth", "PatchGAN"),
        ("pix2pix", lambda: p2p.define_D(2, 4, "pixel"), "latest_net_D.pth", "a pixel discriminator"),
        ("srgan", lambda: srgan_pytorch.Discriminator(channels=4), "d_best.pth.tar", "a discriminator"),
        ("dcgan", lambda: dcgan_examples.Discriminator(4, 3), "netD_epoch_24.pth", "a DCGAN discriminator"),
    ],
)
def test_discriminator_files_are_refused_saying_which_file_to_give(
    tmp_path, capsys, variant, net, name, says
):
    path = saved(net().state_dict(), tmp_path / name)
    assert main(["-q", "convert", variant, str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and says in err and "generator" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("variant", ["pix2pix", "cyclegan", "srgan", "dcgan", "ganomaly"])
def test_an_unknown_layout_is_refused_naming_the_file_and_its_keys(tmp_path, capsys, variant):
    path = saved({"backbone.conv.weight": torch.zeros(4, 3, 3, 3)}, tmp_path / "weights.pth")
    assert main(["-q", "convert", variant, str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"cannot convert {path}" in err and "backbone.conv.weight" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["srgan", "G.pth", "--dropout"],
            "zoo convert srgan does not take --dropout: its files say all it needs",
        ),
        (["dcgan", "G.pth", "--netG", "unet_256"], "zoo convert dcgan does not take --netG"),
        (["pix2pix", "G.pth", "--vocabulary", "c.pickle"], "it takes --netG, --norm, --dropout"),
        (["pix2pix", "G.pth", "G.pth"], "zoo convert pix2pix takes 1 checkpoint file(s), not 2"),
        (
            ["cyclegan", "G.pth", "G.pth", "G.pth"],
            "zoo convert cyclegan takes 1 to 2 checkpoint file(s), not 3",
        ),
    ],
)
def test_options_and_file_counts_a_variant_does_not_take_are_errors(tmp_path, capsys, args, message):
    """Checked before any file is read: the files need not even exist."""
    assert main(["-q", "convert", *args, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
