"""zoo.images.write_png_rows: a PNG written band by band reads back exactly; bad bands leave no file."""

from __future__ import annotations

import numpy
import pytest
from PIL import Image

from zoo.images import write_png_rows


@pytest.mark.parametrize("mode, channels", [("L", 1), ("LA", 2), ("RGB", 3), ("RGBA", 4)])
def test_bands_read_back_exactly(tmp_path, mode, channels):
    pixels = numpy.random.default_rng(0).integers(0, 256, (37, 23, channels), dtype=numpy.uint8)
    if mode == "L":
        pixels = pixels[..., 0]
    bands = [pixels[:5], pixels[5:6], pixels[6:6], pixels[6:]]  # uneven, and an empty one
    assert write_png_rows(tmp_path / "x.png", (23, 37), mode, bands) == tmp_path / "x.png"
    with Image.open(tmp_path / "x.png") as image:
        assert image.mode == mode and image.size == (23, 37)
        assert numpy.array_equal(numpy.asarray(image), pixels)


def test_bands_are_consumed_one_at_a_time(tmp_path):
    seen = []

    def bands():
        for i in range(4):
            seen.append(i)
            yield numpy.full((2, 3, 3), i * 60, numpy.uint8)

    write_png_rows(tmp_path / "x.png", (3, 8), "RGB", bands())
    assert seen == [0, 1, 2, 3]
    with Image.open(tmp_path / "x.png") as image:
        assert [image.getpixel((0, y))[0] for y in range(0, 8, 2)] == [0, 60, 120, 180]


@pytest.mark.parametrize(
    "bands, message",
    [
        ([numpy.zeros((4, 3, 3), numpy.uint8)], "4 rows were given for a PNG of 5 rows"),
        ([numpy.zeros((6, 3, 3), numpy.uint8)], "more than the 5 rows"),
        ([numpy.zeros((5, 4, 3), numpy.uint8)], "uint8 rows of 3 x 3"),
        ([numpy.zeros((5, 3, 3), numpy.float32)], "uint8 rows"),
    ],
)
def test_wrong_bands_are_errors_and_leave_no_file(tmp_path, bands, message):
    with pytest.raises(ValueError, match=message):
        write_png_rows(tmp_path / "x.png", (3, 5), "RGB", bands)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_producer_leaves_no_file(tmp_path):
    def bands():
        yield numpy.zeros((2, 3, 3), numpy.uint8)
        raise RuntimeError("the network failed")

    with pytest.raises(RuntimeError, match="network failed"):
        write_png_rows(tmp_path / "x.png", (3, 5), "RGB", bands())
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="mode must be one of"):
        write_png_rows(tmp_path / "x.png", (3, 5), "CMYK", [])
