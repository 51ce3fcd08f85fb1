"""The captioned datasets of the AttnGAN plugin: procedural shapes and captioned image folders."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from zoo.data import build_dataset
from zoo.data.shapes import COLOURS, HELD_OUT, POSITIONS, SHAPES, SIZES, CaptionedShapes
from zoo.errors import DataError


def _pairs(dataset: CaptionedShapes, n: int) -> set[tuple[str, str]]:
    return {(o.colour, o.shape) for i in range(n) for o in dataset.objects(i)}


def test_shapes_items_are_images_with_captions_and_labels():
    data = build_dataset({"name": "shapes", "size": 32, "length": 20})
    assert isinstance(data, CaptionedShapes) and len(data) == 20
    item = data[3]
    assert item["x"].shape == (3, 32, 32) and 0 <= item["x"].min() and item["x"].max() <= 1
    assert item["caption"] in data.captions(3)
    objects = data.objects(3)
    labels = item["objects"]
    assert labels.shape == (3, 4) and (labels[len(objects) :] == -1).all()
    for row, o in zip(labels.tolist(), objects, strict=False):
        assert row == [
            SHAPES.index(o.shape),
            list(COLOURS).index(o.colour),
            list(SIZES).index(o.size),
            o.position,
        ]


def test_shapes_captions_name_every_object_and_vary():
    data = CaptionedShapes(length=30)
    for i in range(30):
        captions = data.captions(i)
        assert len(captions) == 5
        for caption in captions:
            for o in data.objects(i):
                assert f"{o.shape}" in caption and o.colour in caption
        assert len(set(captions)) >= 2, captions  # several templates, not one caption five times
    assert (
        1 <= min(len(data.objects(i)) for i in range(30))
        and max(len(data.objects(i)) for i in range(30)) == 3
    )


def test_shapes_are_deterministic_from_seed_and_differ_across_seeds():
    a, b, c = (
        CaptionedShapes(size=32, seed=0),
        CaptionedShapes(size=32, seed=0),
        CaptionedShapes(size=32, seed=1),
    )
    assert torch.equal(a[5]["x"], b[5]["x"]) and a.captions(5) == b.captions(5)
    assert any(a.captions(i) != c.captions(i) for i in range(5))
    assert not torch.equal(a[5]["x"], CaptionedShapes(size=32, split="test")[5]["x"])


def test_held_out_pairs_never_in_train_or_test_and_in_every_unseen_scene():
    assert ("green", "triangle") in HELD_OUT
    for split in ("train", "test"):
        assert not _pairs(CaptionedShapes(split), 400) & set(HELD_OUT)
    unseen = CaptionedShapes("unseen")
    for i in range(100):
        assert {(o.colour, o.shape) for o in unseen.objects(i)} & set(HELD_OUT)
    # every other colour-shape pair does occur in training
    seen = _pairs(CaptionedShapes("train"), 2000)
    assert seen == {(c, s) for c in COLOURS for s in SHAPES} - set(HELD_OUT)


def test_shapes_are_drawn_where_captions_say():
    data = CaptionedShapes(size=48, length=50)
    for i in range(50):
        objects = data.objects(i)
        if len(objects) != 1:
            continue
        (o,) = objects
        image = data[i]["x"]
        row, col = divmod(o.position, 3)
        cell = image[:, row * 16 : (row + 1) * 16, col * 16 : (col + 1) * 16]
        colour = torch.tensor(COLOURS[o.colour], dtype=torch.float32).view(3, 1, 1) / 255
        assert ((cell - colour).abs().amax(0) < 0.05).sum() >= 4, (i, POSITIONS[o.position], o)


def test_shapes_bad_options():
    with pytest.raises(DataError, match="split"):
        CaptionedShapes("validation")
    with pytest.raises(DataError, match="size"):
        CaptionedShapes(size=8)
    with pytest.raises(IndexError):
        CaptionedShapes(length=3)[3]


def _image(path, size=16):
    Image.new("RGB", (size, size), (200, 10, 10)).save(path)


def test_captioned_folder(tmp_path):
    for name in ("a", "b"):
        _image(tmp_path / f"{name}.jpg")
    (tmp_path / "a.txt").write_text("a red square\n\n  a red block  \n")
    (tmp_path / "b.txt").write_text("something red\n")
    data = build_dataset({"name": "captions", "path": str(tmp_path)})
    assert len(data) == 2 and data.captions(0) == ["a red square", "a red block"]
    assert sorted(data.texts()) == ["a red block", "a red square", "something red"]
    item = data[1]
    assert item["x"].shape == (3, 16, 16) and item["caption"] == "something red"


def test_captioned_folder_errors(tmp_path):
    for name in ("a", "b", "c"):
        _image(tmp_path / f"{name}.png")
    (tmp_path / "a.txt").write_text("fine\n")
    with pytest.raises(DataError, match=r"2 of the 3 images .* no caption file \(b.txt, c.txt\)"):
        build_dataset({"name": "captions", "path": str(tmp_path)})
    (tmp_path / "b.txt").write_text("ok\n")
    (tmp_path / "c.txt").write_text("\n   \n")
    with pytest.raises(DataError, match="c.txt is empty"):
        build_dataset({"name": "captions", "path": str(tmp_path)})


def test_shapes_count_fixes_the_number_of_shapes():
    single = CaptionedShapes("unseen", count=1, length=40)
    assert all(len(single.objects(i)) == 1 for i in range(40))
    assert all((o.colour, o.shape) in HELD_OUT for i in range(40) for o in single.objects(i))
    assert all(len(CaptionedShapes(count=3, length=10).objects(i)) == 3 for i in range(10))
    with pytest.raises(DataError, match="count"):
        CaptionedShapes(count=4)
