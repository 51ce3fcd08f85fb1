"""The CycleGAN step's options beyond the paper: ``cycle_noise`` (0 is the paper's step, > 0 perturbs what is
translated back) and CyCADA's semantic-consistency loss (``lambda_semantic``, ``semantic_classifier``, and our
per-domain ``semantic_judges``)."""

import contextlib

import pytest
import timm
import torch
import torch.nn.functional as F
from zoo_plugins.cyclegan import semantic
from zoo_plugins.cyclegan.model import CycleGAN
from zoo_plugins.cyclegan.training import training_step

from zoo.weights import save_weights

TINY = {"model": "resnet10t", "in_chans": 1, "num_classes": 10, "channels": [4, 8, 8, 8], "stem_width": 4}


class _Context:
    """The part of the trainer's context the step uses; ``optimize`` only records the losses."""

    device = torch.device("cpu")

    def __init__(self) -> None:
        self.losses: dict[str, float] = {}

    def autocast(self):
        return contextlib.nullcontext()

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        self.losses[name] = loss.item()


def _model() -> CycleGAN:
    return CycleGAN(
        1,
        1,
        netG="resnet_1blocks",
        ngf=4,
        ndf=4,
        netD="n_layers",
        n_layers_D=1,
        n_downsampling=0,
        pool_size=0,
    )


def _batch() -> dict[str, torch.Tensor]:
    return {"A": torch.rand(2, 1, 16, 16), "B": torch.rand(2, 1, 16, 16)}


def _cycle_loss(noise: float) -> float:
    torch.manual_seed(0)
    model, batch = _model(), _batch()
    with torch.no_grad():
        return training_step(model, batch, _Context(), cycle_noise=noise)["loss_cycle"].item()


def test_cycle_noise_changes_only_the_cycle_path():
    assert _cycle_loss(0.0) == _cycle_loss(0.0)
    assert _cycle_loss(0.5) != _cycle_loss(0.0)


def test_negative_cycle_noise_is_an_error():
    with pytest.raises(ValueError, match="cycle_noise"):
        _cycle_loss(-0.1)


def _spec(path, seed: int) -> dict:
    """A tiny timm classifier (random weights from ``seed``) saved at ``path`` as the step option expects."""
    torch.manual_seed(seed)
    options = {k: v for k, v in TINY.items() if k != "model"}
    save_weights(timm.create_model(TINY["model"], **options), path)
    return {**TINY, "checkpoint": str(path)}


@pytest.fixture
def classifier_spec(tmp_path) -> dict:
    return _spec(tmp_path / "classifier.safetensors", seed=1)


def test_semantic_loss_joins_the_generator_loss(classifier_spec):
    def generator_loss(**options) -> tuple[float, dict]:
        torch.manual_seed(0)
        model, batch, ctx = _model(), _batch(), _Context()
        out = training_step(model, batch, ctx, **options)
        return ctx.losses["generators"], out

    plain, out = generator_loss()
    assert "loss_semantic" not in out
    with_semantic, out = generator_loss(lambda_semantic=2.0, semantic_classifier=classifier_spec)
    assert out["loss_semantic"].item() > 0
    assert with_semantic == pytest.approx(plain + out["loss_semantic"].item(), rel=1e-5)


def test_semantic_loss_trains_the_translation_not_the_classifier(classifier_spec):
    net = semantic.load_classifier(classifier_spec, torch.device("cpu"))
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    sources, translations = torch.rand(4, 1, 16, 16), torch.rand(4, 1, 16, 16, requires_grad=True)
    loss = semantic.semantic_loss(net, sources, translations)
    loss.backward()
    assert translations.grad.abs().sum() > 0
    # the target is the classifier's own label of each source, the most likely one: any other costs more
    with torch.no_grad():
        other = (net(sources).argmax(1) + 1) % 10
        assert semantic.semantic_loss(net, sources, sources) < F.cross_entropy(net(sources), other)


def test_a_judge_grades_the_translation_against_the_classifier_labels(classifier_spec, tmp_path):
    net = semantic.load_classifier(classifier_spec, torch.device("cpu"))
    judge = semantic.load_classifier(_spec(tmp_path / "judge.safetensors", seed=2), torch.device("cpu"))
    sources, translations = torch.rand(4, 1, 16, 16), torch.rand(4, 1, 16, 16)
    with torch.no_grad():
        expected = F.cross_entropy(judge(translations), net(sources).argmax(1))
        assert semantic.semantic_loss(net, sources, translations, [judge]) == pytest.approx(expected.item())
        assert semantic.semantic_loss(net, sources, translations) != pytest.approx(expected.item())
        both = 0.5 * (expected + semantic.semantic_loss(net, sources, translations))
        assert semantic.semantic_loss(net, sources, translations, [judge, net]) == pytest.approx(both.item())


def test_jittered_views_change_the_loss_and_keep_its_gradient(classifier_spec):
    net = semantic.load_classifier(classifier_spec, torch.device("cpu"))
    sources, translations = torch.rand(4, 1, 16, 16), torch.rand(4, 1, 16, 16, requires_grad=True)

    def loss(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return semantic.semantic_loss(net, sources, translations, jittered=True)

    assert loss(0).item() == pytest.approx(loss(0).item())
    assert loss(0).item() != pytest.approx(semantic.semantic_loss(net, sources, translations).item())
    loss(1).backward()
    assert translations.grad.abs().sum() > 0


def test_semantic_judges_replace_the_classifier_per_direction(classifier_spec, tmp_path):
    judge = _spec(tmp_path / "judge.safetensors", seed=2)

    def semantic_term(judges: dict | None) -> float:
        torch.manual_seed(0)
        options = {"lambda_semantic": 1.0, "semantic_classifier": classifier_spec, "semantic_judges": judges}
        return training_step(_model(), _batch(), _Context(), **options)["loss_semantic"].item()

    only_b = semantic_term({"A": classifier_spec, "B": judge})
    assert semantic_term({"A": classifier_spec, "B": classifier_spec}) == pytest.approx(semantic_term(None))
    assert only_b != pytest.approx(semantic_term(None))
    assert semantic_term({"A": judge, "B": judge}) != pytest.approx(only_b)
    assert semantic_term({"A": [classifier_spec], "B": [judge]}) == pytest.approx(only_b)
    with pytest.raises(ValueError, match="semantic_judges"):
        semantic_term({"B": judge})
    with pytest.raises(FileNotFoundError, match=r"semantic_judges\.A"):
        semantic_term({"A": {**judge, "checkpoint": str(tmp_path / "none.safetensors")}, "B": judge})


def test_semantic_options_are_checked(classifier_spec, tmp_path):
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="semantic_classifier"):
        training_step(_model(), _batch(), _Context(), lambda_semantic=1.0)
    for unused in (
        {"semantic_jitter": True},
        {"semantic_judges": {"A": classifier_spec, "B": classifier_spec}},
    ):
        with pytest.raises(ValueError, match=f"{next(iter(unused))} needs step.lambda_semantic"):
            training_step(_model(), _batch(), _Context(), **unused)
    with pytest.raises(ValueError, match="checkpoint"):
        semantic.load_classifier({"model": "resnet10t"}, torch.device("cpu"))
    missing = {**classifier_spec, "checkpoint": str(tmp_path / "nothing.safetensors")}
    with pytest.raises(FileNotFoundError, match="nothing.safetensors"):
        semantic.load_classifier(missing, torch.device("cpu"))


def test_semantic_classifier_trains_and_loads(tmp_path, capsys):
    out = tmp_path / "digits.safetensors"
    argv = ["--data", "mnist", "--epochs", "1", "--channels", "4", "8", "8", "8", "--out", str(out)]
    assert semantic.main(argv) == 0
    printed = capsys.readouterr().out
    accuracy = float(printed.split("test-split accuracy ")[1].split(";")[0])
    assert accuracy > 0.25  # chance is 0.1: one epoch of a tiny ResNet already learns
    spec = {**TINY, "checkpoint": str(out)}
    spec.pop("stem_width")
    net = semantic.load_classifier(spec, torch.device("cpu"))
    assert net(torch.rand(2, 1, 32, 32)).shape == (2, 10)


def test_the_mnist2font_recipe_trains_with_its_bundled_classifiers_from_any_folder(tmp_path, monkeypatch):
    """The recipe's classifiers and judges are files of the installed plugin package (``PACKAGE:PATH``),
    so it trains from a folder that is not a checkout; a package or file that is not there is named."""
    import json

    import yaml

    import zoo
    from zoo.registry import registry

    recipe_path = registry().find("cyclegan-mnist2font").recipe_path
    monkeypatch.chdir(tmp_path)  # no checkout here
    step = yaml.safe_load(recipe_path.read_text())["step"]
    for spec in [step["semantic_classifier"], *step["semantic_judges"].values()]:
        assert spec["checkpoint"].startswith("zoo_plugins.cyclegan:weights/")
        assert semantic.checkpoint_path(spec["checkpoint"], "step").is_file()
    run = zoo.train(recipe_path, out=tmp_path / "run", steps=2, checkpoint_every=2, log_every=1)
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in logged if "loss_semantic" in row] == [1, 2]
    with pytest.raises(FileNotFoundError, match="no installed package 'no_such_plugin'"):
        semantic.checkpoint_path("no_such_plugin:weights/x.safetensors", "step.semantic_classifier")
    with pytest.raises(FileNotFoundError, match="is not a file .inside the installed package zoo_plugins"):
        semantic.checkpoint_path("zoo_plugins.cyclegan:weights/none.safetensors", "step.semantic_classifier")
