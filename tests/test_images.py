"""zoo.images: every Pillow mode read by its real range or refused by name, atomic writes, one grid."""

import io

import numpy
import pytest
import torch
from PIL import Image

from zoo.errors import DataError
from zoo.images import (
    BACKGROUND,
    denormalize,
    image_size,
    make_grid,
    normalize,
    open_image,
    read_image,
    save_grid,
    save_image,
    save_samples,
    to_pil,
    to_tensor,
)


# ------------------------------------------------------------------------------------------------ modes
def test_16_bit_greyscale_is_scaled_by_65535_not_clipped(tmp_path):
    values = numpy.array([[0, 32768], [65535, 1000]], dtype=numpy.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as im:
        assert im.mode.startswith("I;16")  # what Pillow makes of a 16-bit PNG
    x = read_image(tmp_path / "deep.png", "L")
    assert x.shape == (1, 2, 2) and x.dtype == torch.float32
    expected = torch.tensor(values.astype("float32") / 65535)
    assert torch.allclose(x[0], expected, atol=1e-6)
    assert abs(x[0, 0, 1].item() - 0.5) < 1e-4  # 32768 reads as ~0.5, not 1.0 (255 after clipping)
    rgb = read_image(tmp_path / "deep.png", "RGB")
    assert rgb.shape == (3, 2, 2) and torch.equal(rgb[0], rgb[2]) and torch.allclose(rgb[1], expected)


def test_a_folder_dataset_reads_16_bit_images_by_their_range(tmp_path):
    from zoo.data.folder import ImageFolder

    Image.fromarray(numpy.full((4, 4), 32768, dtype=numpy.uint16)).save(tmp_path / "a.png")
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(tmp_path / "b.png")  # transparent: white
    grey = ImageFolder(tmp_path, channels=1)
    assert abs(grey[0]["x"].mean().item() - 0.5) < 1e-4 and grey[1]["x"].min().item() == 1.0
    assert ImageFolder(tmp_path, size=8)[0]["x"].shape == (3, 8, 8)


def test_16_bit_greyscale_keeps_its_depth_through_a_resize(tmp_path):
    ramp = numpy.tile(numpy.arange(0, 65536, 256, dtype=numpy.uint16), (8, 1))  # 256 levels, 8 bits apart
    Image.fromarray(ramp).save(tmp_path / "ramp.png")
    x = read_image(tmp_path / "ramp.png", "L", size=(256, 4))
    assert x.shape == (1, 4, 256) and 0.99 < x.max().item() <= 1.0 and x.min().item() >= 0
    assert len(torch.unique(x)) > 200  # not quantised to a handful of 8-bit values


def test_32_bit_integer_pixels_read_as_16_bit_values_or_are_refused():
    assert torch.allclose(to_tensor(Image.new("I", (2, 2), 65535), "L"), torch.ones(1, 2, 2))
    with pytest.raises(DataError, match="outside 0..65535"):
        to_tensor(Image.new("I", (2, 2), 70000), "L")
    with pytest.raises(DataError, match="float pixels"):
        to_tensor(Image.new("F", (2, 2), 0.5))


def test_alpha_is_composited_on_white_or_kept_as_a_channel(tmp_path):
    rgba = Image.new("RGBA", (2, 1), (200, 0, 0, 255))
    rgba.putpixel((1, 0), (0, 0, 200, 0))  # fully transparent blue: the hidden colour must not show
    rgba.save(tmp_path / "a.png")
    x = read_image(tmp_path / "a.png", "RGB")
    assert BACKGROUND == (255, 255, 255)
    assert torch.allclose(x[:, 0, 0], torch.tensor([200 / 255, 0, 0]))
    assert torch.equal(x[:, 0, 1], torch.ones(3))  # transparent: the white background
    half = to_tensor(Image.new("LA", (1, 1), (0, 128)), "L")  # black at half opacity over white
    assert abs(half.item() - (255 - 128) / 255) < 1 / 255
    kept = read_image(tmp_path / "a.png", "RGBA")
    assert (
        kept.shape == (4, 1, 2)
        and kept[3].tolist() == [[1.0, 0.0]]
        and abs(kept[2, 0, 1].item() - 200 / 255) < 1e-6
    )


def test_palette_images_with_and_without_transparency():
    palette = Image.new("P", (2, 1))
    palette.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    palette.putpixel((1, 0), 1)
    assert to_tensor(palette).flatten(1).tolist() == [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    palette.info["transparency"] = 1  # index 1 (blue) is transparent: white on composite
    assert to_tensor(palette).flatten(1).tolist() == [[1.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
    assert to_tensor(palette, "RGBA")[3].flatten().tolist() == [1.0, 0.0]


def test_cmyk_and_one_bit_images_are_converted():
    cmyk = to_tensor(Image.new("CMYK", (1, 1), (0, 255, 255, 0)))  # no cyan, full magenta + yellow: red
    assert cmyk.flatten().tolist() == [1.0, 0.0, 0.0]
    assert to_tensor(Image.new("1", (1, 1), 1), "L").item() == 1.0


def test_greyscale_and_rgb_read_exactly(tmp_path):
    pixels = numpy.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=numpy.uint8)
    Image.fromarray(pixels).save(tmp_path / "rgb.png")
    x = read_image(tmp_path / "rgb.png")
    assert x.shape == (3, 5, 7) and torch.equal(x, torch.from_numpy(pixels).permute(2, 0, 1).float() / 255)
    assert x.is_contiguous()
    assert read_image(tmp_path / "rgb.png", "L").shape == (1, 5, 7)


# ----------------------------------------------------------------------------------------------- errors
def test_an_animated_image_is_refused_naming_its_frames(tmp_path):
    frames = [Image.new("L", (4, 4), v) for v in (0, 128, 255)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(DataError, match=r"anim\.gif has 3 frames"):
        read_image(tmp_path / "anim.gif")
    frames[0].save(tmp_path / "still.gif")
    assert read_image(tmp_path / "still.gif", "L").shape == (1, 4, 4)


def test_bad_files_are_errors_naming_the_file(tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, format="PNG")
    (tmp_path / "cut.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(DataError, match=r"notes\.png is not a readable image"):
        read_image(tmp_path / "notes.png")
    with pytest.raises(DataError, match=r"empty\.png is an empty file"):
        open_image(tmp_path / "empty.png")
    with pytest.raises(DataError, match=r"cut\.png is not a readable image"):
        read_image(tmp_path / "cut.png")
    with pytest.raises(DataError, match=r"notes\.png"):
        image_size(tmp_path / "notes.png")
    with pytest.raises(FileNotFoundError, match=r"missing\.png does not exist"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(DataError, match="empty"):
        to_tensor(Image.new("RGB", (0, 3)))
    with pytest.raises(ValueError, match="mode must be one of"):
        to_tensor(Image.new("RGB", (1, 1)), "CMYK")


# ------------------------------------------------------------------------------------------------ write
def test_save_image_round_trips_and_picks_the_format_from_the_extension(tmp_path):
    x = torch.rand(3, 6, 5)
    path = save_image(x, tmp_path / "sub" / "x.png")
    assert torch.allclose(read_image(path), x, atol=0.5 / 255 + 1e-6)
    save_image(x, tmp_path / "x.jpg")
    with Image.open(tmp_path / "x.jpg") as im:
        assert im.format == "JPEG"
    with pytest.raises(ValueError, match="unknown image extension '.nope'"):
        save_image(x, tmp_path / "x.nope")
    with pytest.raises(ValueError, match="JPEG cannot hold a RGBA image"):
        save_image(torch.rand(4, 2, 2), tmp_path / "y.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub", "x.jpg"]  # nothing half written
    assert to_pil(torch.rand(2, 3, 3)).mode == "LA" and to_pil(torch.rand(1, 3, 3)).mode == "L"


def test_make_grid_matches_torchvision(tmp_path):
    from torchvision.utils import make_grid as reference

    for images, nrow, padding in [
        (torch.rand(10, 1, 5, 4), None, 2),
        (torch.rand(1, 1, 5, 4), None, 2),  # one image: no frame
        (torch.rand(6, 3, 3, 3), 4, 1),
    ]:
        expected = reference(images, nrow=nrow or 4, padding=padding)
        assert torch.equal(make_grid(images, nrow, padding), expected)
    assert torch.equal(make_grid(images, 2, 4, pad_value=0.5), reference(images, 2, 4, pad_value=0.5))
    save_grid(images, tmp_path / "g.png", nrow=3)
    expected = reference(images, nrow=3, padding=2).mul(255).add(0.5).clamp(0, 255).byte().permute(1, 2, 0)
    with Image.open(tmp_path / "g.png") as im:
        assert numpy.array_equal(numpy.asarray(im), expected.numpy())


def test_save_samples_draws_images_as_a_grid_and_points_as_a_scatter_plot(tmp_path):
    save_samples(torch.rand(5, 3, 4, 4), tmp_path / "grid.png")
    with Image.open(tmp_path / "grid.png") as im:
        assert im.size == (3 * 6 + 2, 2 * 6 + 2)
    save_samples(torch.randn(50, 2), tmp_path / "points.png")
    with Image.open(tmp_path / "points.png") as im:
        assert im.size == (512, 512) and len(im.getcolors(1 << 16)) > 1
    with pytest.raises(ValueError, match="cannot draw samples of shape"):
        save_samples(torch.rand(5, 3), tmp_path / "bad.png")


def test_normalize_and_denormalize_are_inverse():
    x = torch.rand(2, 3, 4, 4)
    assert normalize(x).min() >= -1 and normalize(x).max() <= 1
    assert torch.allclose(denormalize(normalize(x)), x)
    assert denormalize(torch.tensor([-3.0, 3.0])).tolist() == [0.0, 1.0]  # clamped
    assert denormalize(torch.zeros(1, dtype=torch.bfloat16)).dtype == torch.float32


def test_the_module_is_a_low_layer():
    import ast
    from pathlib import Path

    import zoo.images

    tree = ast.parse(Path(zoo.images.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m and m.startswith("zoo")} == {"zoo.errors", "zoo.io"}


def test_task_inputs_go_through_the_same_reader(tmp_path):
    from zoo.images import to_batch

    values = numpy.full((4, 4), 32768, dtype=numpy.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    batch, back = to_batch(tmp_path / "deep.png", 1)
    assert batch.shape == (1, 1, 4, 4) and abs(batch.mean().item() - 0.5) < 1e-4
    assert back(batch).mode == "L"  # a path gives a PIL image back
    frames = [Image.new("RGB", (4, 4), (v, 0, 0)) for v in (0, 255)]
    frames[0].save(tmp_path / "anim.png", save_all=True, append_images=frames[1:])  # an APNG
    with pytest.raises(DataError, match=r"anim\.png has 2 frames"):
        to_batch(tmp_path / "anim.png", 3)
