"""Weights I/O: atomic safetensors writes, strict loads, and clear refusals of what is not safetensors."""

import os
import stat

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from zoo.errors import WeightsError
from zoo.weights import load_weights, read_weights, save_weights


def test_save_is_atomic_and_an_ordinary_file(tmp_path):
    model = nn.Linear(3, 2)
    path = save_weights(model, tmp_path / "w.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    other = load_weights(nn.Linear(3, 2), path)
    assert torch.equal(other.weight, model.weight)


def test_a_safetensors_header_that_starts_like_a_pickle_still_loads(tmp_path):
    # a header of 0x280 bytes starts with b"\x80\x02", the opcode of a protocol-2 pickle
    path = tmp_path / "w.safetensors"
    for k in range(700):
        save_file({"t": torch.zeros(1)}, str(path), metadata={"pad": "x" * k})
        if path.read_bytes()[:2] == b"\x80\x02":
            assert torch.equal(read_weights(path)["t"], torch.zeros(1))
            return
    pytest.fail("no header length in the tested range starts with the pickle opcode")


def test_a_pickled_checkpoint_is_refused(tmp_path):
    path = tmp_path / "model.pth"
    torch.save(nn.Linear(3, 2).state_dict(), path)
    with pytest.raises(WeightsError, match="pickled PyTorch checkpoint"):
        read_weights(path)
