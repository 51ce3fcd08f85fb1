"""Built-in datasets and image folders: contents, splits and clear errors on bad input."""

import pytest
import torch
from PIL import Image

from zoo.data import MIXTURES, build_dataset
from zoo.errors import DataError


def test_mnist_split_is_stratified_disjoint_and_in_range():
    train, test = build_dataset("mnist"), build_dataset("mnist", split="test")
    assert (len(train), len(test)) == (4000, 1000)
    assert torch.bincount(test.labels).tolist() == [100] * 10
    assert train[0]["x"].shape == (1, 32, 32) and 0 <= train.images.min() and train.images.max() <= 1
    # no test digit appears in the training split
    flat_train = {bytes(x.numpy()) for x in train.images}
    assert not any(bytes(x.numpy()) in flat_train for x in test.images)
    assert build_dataset({"name": "mnist", "size": 28})[0]["x"].shape == (1, 28, 28)


def test_mnist_holdout_moves_train_digits_into_val():
    def digits(d):
        return {bytes(x.numpy()) for x in d.images}

    full, test = build_dataset("mnist"), build_dataset("mnist", "test")
    train, val = (build_dataset({"name": "mnist", "holdout": 50}, split) for split in ("train", "val"))
    assert (len(train), len(val)) == (3500, 500) and torch.bincount(val.labels).tolist() == [50] * 10
    assert digits(train) | digits(val) == digits(full) and not digits(train) & digits(val)
    assert not digits(val) & digits(test)  # the test split is the same with or without a holdout
    for spec, split, words in [
        ("mnist", "val", "holdout: N"),
        ({"name": "mnist", "holdout": 400}, "train", "0 to 399"),
        ({"name": "mnist", "holdout": -1}, "train", "0 to 399"),
    ]:
        with pytest.raises(DataError, match=words):
            build_dataset(spec, split)


def test_gaussian_mixture_points_lie_near_their_modes():
    data = build_dataset("gaussians25")
    mixture = MIXTURES["gaussians25"]
    dist = (data.points - mixture.means_tensor()[data.labels]).norm(dim=1)
    assert dist.max() < 6 * mixture.std
    assert len(mixture.means) == 25 and len(MIXTURES["gaussians8"].means) == 8


def test_image_folder_reads_images(tmp_path):
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 50, 0, 0)).save(tmp_path / f"{i}.png")
    data = build_dataset(tmp_path)
    assert len(data) == 3 and data[1]["x"].shape == (3, 8, 8)
    assert build_dataset({"name": "folder", "path": tmp_path, "channels": 1, "size": 4})[0]["x"].shape == (
        1,
        4,
        4,
    )


def test_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match="holds no images"):
        build_dataset(tmp_path)


def test_mixed_sizes_are_a_clear_error_unless_resized(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    Image.new("RGB", (16, 8)).save(tmp_path / "b.png")
    with pytest.raises(DataError, match="different sizes"):
        build_dataset(tmp_path)
    assert build_dataset({"name": "folder", "path": tmp_path, "size": 8})[1]["x"].shape == (3, 8, 8)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DataError, match="mnist"):
        build_dataset("imagenet")
