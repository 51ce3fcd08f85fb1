"""The AttnGAN vocabulary pickle is read within limits: bytes, nesting depth, and elements visited (every
repeated reference counted), so a tiny malicious pickle fails at once with a clear error."""

from __future__ import annotations

import pickle

import pytest
import torch
from zoo_plugins.attngan import convert as attngan_convert
from zoo_plugins.attngan.convert import read_vocabulary_pickle

from zoo.cli import main
from zoo.errors import WeightsError

IXTOWORD = {0: "<end>", 1: "a", 2: "circle"}


def captions_pickle(path, train_captions) -> str:
    """A captions.pickle ([train, test, ixtoword, wordtoix]) with the given training captions."""
    data = [train_captions, [[1, 2]], IXTOWORD, {w: i for i, w in IXTOWORD.items()}]
    path.write_bytes(pickle.dumps(data, protocol=2))
    return str(path)


def laughs(levels: int = 6) -> list:
    """A list of lists each referencing the previous one 30 times: 30**levels elements in a few hundred
    bytes (pickle stores each repeated reference as a two-byte memo lookup)."""
    laugh: list = [1]
    for _ in range(levels):
        laugh = [laugh] * 30
    return laugh


def test_the_original_layout_still_reads(tmp_path):
    assert read_vocabulary_pickle(captions_pickle(tmp_path / "c.pickle", [[1, 2], [2]])) == ["a", "circle"]


def test_billion_laughs_meet_the_element_limit(tmp_path):
    path = captions_pickle(tmp_path / "laughs.pickle", laughs())
    assert (tmp_path / "laughs.pickle").stat().st_size < 600
    with pytest.raises(WeightsError, match=r"more than \d+ elements, counting repeated references"):
        read_vocabulary_pickle(path)


def test_a_list_that_contains_itself_meets_the_depth_limit(tmp_path):
    loop: list = []
    loop.append(loop)
    path = captions_pickle(tmp_path / "loop.pickle", loop)
    with pytest.raises(WeightsError, match=r"nests lists or dicts more than 8 deep at pickle\[0\]\[0\]"):
        read_vocabulary_pickle(path)


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    path = captions_pickle(tmp_path / "c.pickle", [[1, 2]])
    monkeypatch.setattr(attngan_convert, "MAX_BYTES", 10)
    monkeypatch.setattr(attngan_convert, "_PlainDataUnpickler", None)  # reading it would fail otherwise
    with pytest.raises(WeightsError, match=r"has \d+ bytes, more than a vocabulary pickle may \(10\)"):
        read_vocabulary_pickle(path)


def test_zoo_convert_refuses_the_laughs_with_a_clear_error(tmp_path, capsys):
    path = captions_pickle(tmp_path / "laughs.pickle", laughs())
    checkpoints = [str(tmp_path / "text_encoder200.pth"), str(tmp_path / "netG_epoch_600.pth")]
    for name in checkpoints:  # the vocabulary is read before the keys are looked at
        torch.save({"weight": torch.zeros(1)}, name)
    out = str(tmp_path / "out")
    code = main(["-q", "convert", "attngan", *checkpoints, "--vocabulary", path, "--out", out])
    assert code == 2
    assert "counting repeated references" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
