"""Images in and out: the one place where image files, PIL images and tensors meet.

Tensors are floats in ``[0, 1]``, ``(C, H, W)`` or ``(N, C, H, W)``; networks that work in ``[-1, 1]`` convert
with ``normalize``/``denormalize``. Reading handles every Pillow mode explicitly, never by clipping:

- 16-bit greyscale (``I;16``, ``I;16B``, ``I``) is scaled by its full range, 65535 (``I`` values outside
  0..65535 are refused); 32-bit float images (``F``) are refused;
- transparency (``RGBA``, ``LA``, a palette or colour key with transparency) is kept as a channel when
  ``LA``/``RGBA`` is asked for, and otherwise composited onto ``BACKGROUND`` (white, as a viewer shows it);
- palette, 1-bit, CMYK and YCbCr images are converted by Pillow to ``L`` or ``RGB`` (Pillow itself reads
  16-bit colour PNGs as 8 bits a channel);
- an image of several frames (animated GIF, PNG or WebP, multi-page TIFF) is refused, naming the count; an
  MPO file (a camera JPEG with extra frames) is read as its primary image, its first frame.

Files are written atomically (``zoo.io.atomic_path``) in the format their extension names.
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from PIL import Image, ImageDraw, UnidentifiedImageError

from zoo.errors import DataError
from zoo.io import atomic_path

ImageLike = Any  # PIL.Image.Image | str | os.PathLike | torch.Tensor
T = TypeVar("T")

#: what transparent pixels become when an image is read without its alpha channel
BACKGROUND = (255, 255, 255)
#: the modes images are read in, and their channels
MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_PREMULTIPLIED = {"La": "LA", "RGBa": "RGBA"}


# ----------------------------------------------------------------------------------------------- reading
def open_image(path: str | os.PathLike) -> Image.Image:
    """The image file ``path``, fully read and of one frame; a ``DataError`` naming the file otherwise."""
    return _with_image(path, _loaded)


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(width, height)`` of the image file ``path``, from its header (the pixels are not read)."""
    return _with_image(path, lambda im: im.size)


def _loaded(im: Image.Image) -> Image.Image:
    frames = getattr(im, "n_frames", 1)
    if frames > 1 and im.format != "MPO":
        raise DataError(
            f"{im.filename} has {frames} frames (an animated or multi-page {im.format}): save the frame you "
            "want as a single image (e.g. PNG)"
        )
    im.load()
    return im


def _with_image(path: str | os.PathLike, use: Callable[[Image.Image], T]) -> T:
    """``use(Image.open(path))``, its errors as errors naming the file."""
    try:
        with Image.open(os.fspath(path)) as im:  # a str: Pillow opens a Path measurably slower
            return use(im)
    except FileNotFoundError:
        raise FileNotFoundError(f"image file {path} does not exist") from None
    except Image.DecompressionBombError as exc:
        raise DataError(f"{path} is too large to read safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:  # SyntaxError: some broken headers
        if Path(path).is_file() and Path(path).stat().st_size == 0:
            raise DataError(f"{path} is an empty file (0 bytes), not an image") from None
        raise DataError(f"{path} is not a readable image ({exc}): replace or remove the file") from exc


def read_image(
    path: str | os.PathLike, mode: str = "RGB", size: tuple[int, int] | None = None
) -> torch.Tensor:
    """The image file ``path`` as a ``(C, H, W)`` float tensor in [0, 1] in ``mode`` (``L``, ``LA``, ``RGB``,
    ``RGBA``), resized (bicubic) to ``size`` = (width, height) when given."""
    image = converted(open_image(path), mode, str(path))
    if size is not None and image.size != tuple(size):
        image = image.resize(tuple(size), Image.Resampling.BICUBIC)
    return _pixels(image, mode)


def to_tensor(image: Image.Image, mode: str = "RGB") -> torch.Tensor:
    """A PIL image as a ``(C, H, W)`` float tensor in [0, 1] in ``mode`` (see the module doc)."""
    return _pixels(converted(image, mode), mode)


def converted(image: Image.Image, mode: str, source: str = "the image") -> Image.Image:
    """``image`` in ``mode`` (``L``, ``LA``, ``RGB``, ``RGBA``), or 16-bit greyscale as mode ``F`` in [0, 1]
    (its depth kept). ``source`` names the image in errors."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if image.width == 0 or image.height == 0:
        raise DataError(f"{source} is empty ({image.width}x{image.height} pixels)")
    if image.mode == "F":
        raise DataError(f"{source} has 32-bit float pixels (mode F): save it as an 8- or 16-bit image")
    if image.mode in _SIXTEEN_BIT:
        if "transparency" in image.info:
            raise DataError(f"{source} is 16-bit with a transparent colour: save it with an alpha channel")
        values = np.asarray(image)
        if image.mode == "I" and (values.min() < 0 or values.max() > 65535):
            raise DataError(
                f"{source} has 32-bit integer pixels outside 0..65535 ({values.min()}..{values.max()}): "
                "save it as an 8- or 16-bit image"
            )
        return Image.fromarray(values.astype(np.float32) / 65535)
    if "transparency" in image.info and image.mode in ("1", "L", "P", "RGB"):
        image = image.convert("RGBA")
    elif image.mode in ("P", "PA"):
        image = image.convert("RGBA" if image.mode == "PA" else "RGB")
    elif image.mode in _PREMULTIPLIED:
        image = image.convert(_PREMULTIPLIED[image.mode])
    if image.mode in ("LA", "RGBA") and mode in ("L", "RGB"):
        canvas = Image.new("RGBA", image.size, (*BACKGROUND, 255))
        canvas.alpha_composite(image.convert("RGBA"))
        image = canvas
    if image.mode == mode:
        return image
    try:
        return image.convert(mode)
    except ValueError as exc:
        raise DataError(f"{source}: Pillow cannot convert its mode {image.mode} to {mode} ({exc})") from exc


def _pixels(image: Image.Image, mode: str) -> torch.Tensor:
    """A PIL image from ``converted`` as a ``(C, H, W)`` float tensor with ``mode``'s channels."""
    data = torch.from_numpy(np.array(image))
    data = data[None] if data.dim() == 2 else data.permute(2, 0, 1).contiguous()
    if image.mode != "F":
        return data.float().div_(255)
    data = data.clamp_(0, 1)  # a bicubic resize overshoots at edges, as 8-bit resizing clamps
    colour = data.expand(3 if mode in ("RGB", "RGBA") else 1, -1, -1)
    alpha = [torch.ones_like(data)] if mode in ("LA", "RGBA") else []
    return torch.cat([colour, *alpha])


def to_batch(image: ImageLike, channels: int) -> tuple[torch.Tensor, Callable[[torch.Tensor], ImageLike]]:
    """``image`` (a PIL image, an image path or a float tensor) as an ``(N, channels, H, W)`` batch in [0, 1],
    and a function that turns a batch of results back into the kind of ``image`` (paths give PIL images)."""
    if isinstance(image, (str, os.PathLike, Image.Image)):
        mode = {1: "L", 3: "RGB"}.get(channels)
        if mode is None:
            raise ValueError(f"a PIL image can feed a model with 1 or 3 input channels, not {channels}")
        batch = to_tensor(image, mode) if isinstance(image, Image.Image) else read_image(image, mode)
        return batch[None], lambda out: to_pil(out[0])
    if torch.is_tensor(image):
        if image.dim() not in (3, 4) or image.shape[-3] != channels:
            raise ValueError(
                f"expected a (C, H, W) or (N, C, H, W) tensor with C={channels}, got {tuple(image.shape)}"
            )
        if not image.is_floating_point():
            raise ValueError(f"expected a float tensor in [0, 1], got dtype {image.dtype}")
        if image.dim() == 3:
            return image[None], lambda out: out[0]
        return image, lambda out: out
    raise TypeError(f"expected a PIL image, an image path or a tensor, got {type(image).__name__}")


# ------------------------------------------------------------------------------------------ value ranges
def normalize(x: torch.Tensor) -> torch.Tensor:
    """Images in ``[0, 1]`` to the ``[-1, 1]`` of tanh networks."""
    return x * 2 - 1


def denormalize(y: torch.Tensor) -> torch.Tensor:
    """A tanh network's ``[-1, 1]`` output back to float32 images in ``[0, 1]`` (clamped)."""
    return ((y.float() + 1) / 2).clamp(0, 1)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Floats in [0, 1] as 8-bit levels (rounded half up, clamped), on the CPU."""
    return x.detach().float().cpu().mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)


def to_pil(image: torch.Tensor) -> Image.Image:
    """A ``(C, H, W)`` tensor in [0, 1] with 1 to 4 channels as a PIL image (L, LA, RGB or RGBA)."""
    channels = image.shape[0]
    if image.dim() != 3 or channels not in MODES.values():
        raise ValueError(
            f"cannot show a tensor of shape {tuple(image.shape)} as an image: need (C, H, W), C <= 4"
        )
    pixels = to_uint8(image)
    if channels == 1:
        return Image.fromarray(pixels[0].numpy())  # 2-D uint8: mode L
    return Image.fromarray(pixels.permute(1, 2, 0).numpy())  # H x W x C uint8: LA, RGB or RGBA


# ----------------------------------------------------------------------------------------------- writing
def image_format(path: str | os.PathLike) -> str:
    """Pillow's format name for ``path``'s extension; a clear error when Pillow cannot write it."""
    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None or fmt not in Image.SAVE:
        raise ValueError(f"{path}: unknown image extension {suffix!r}; use .png or .jpg")
    return fmt


def save_image(image: Image.Image | torch.Tensor, path: str | os.PathLike) -> Path:
    """Write a PIL image or a ``(C, H, W)`` tensor in [0, 1] to ``path`` atomically, in the format of its
    extension (alpha needs one that holds it, e.g. PNG)."""
    fmt = image_format(path)
    if torch.is_tensor(image):
        image = to_pil(image)
    if fmt == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        raise ValueError(f"JPEG cannot hold a {image.mode} image (it has alpha): write {Path(path).stem}.png")
    with atomic_path(path) as tmp:
        image.save(tmp, format=fmt)
    return Path(path)


_PNG_COLOUR_TYPES = {"L": 0, "LA": 4, "RGB": 2, "RGBA": 6}


def write_png_rows(
    path: str | os.PathLike,
    size: tuple[int, int],
    mode: str,
    bands: Iterable[np.ndarray],
    compress_level: int = 6,
) -> Path:
    """Write an 8-bit PNG of ``size`` = (width, height) in ``mode`` (``L``, ``LA``, ``RGB``, ``RGBA``) from
    consecutive bands of rows, atomically, never holding more than one band: each band is a uint8 array of
    ``(rows, width, channels)`` (``(rows, width)`` for ``L``). For images too large for memory."""
    width, height = size
    if mode not in _PNG_COLOUR_TYPES:
        raise ValueError(f"mode must be one of {', '.join(_PNG_COLOUR_TYPES)}, not {mode!r}")
    channels = MODES[mode]
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise ValueError(f"a PNG is 1 to 2**31 - 1 pixels a side, not {width}x{height}")
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOUR_TYPES[mode], 0, 0, 0)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        _png_chunk(f, b"IHDR", header)
        compressor, written = zlib.compressobj(compress_level), 0
        for band in bands:
            rows = np.asarray(band)
            shapes = [(width, channels)] + ([(width,)] if channels == 1 else [])
            if rows.dtype != np.uint8 or rows.ndim < 2 or rows.shape[1:] not in shapes:
                raise ValueError(
                    f"a band of a {width}x{height} {mode} PNG must be uint8 rows of {width} x {channels}, "
                    f"not {rows.dtype} {rows.shape}"
                )
            if written + len(rows) > height:
                raise ValueError(f"more than the {height} rows of the image were given")
            rows = rows.reshape(len(rows), width * channels)
            filtered = np.empty((len(rows), 1 + width * channels), np.uint8)
            filtered[:, 0] = 1  # the Sub filter: each byte minus the one a pixel to its left (mod 256)
            filtered[:, 1 : 1 + channels] = rows[:, :channels]
            np.subtract(rows[:, channels:], rows[:, :-channels], out=filtered[:, 1 + channels :])
            _png_chunk(f, b"IDAT", compressor.compress(filtered.tobytes()))
            written += len(rows)
        if written != height:
            raise ValueError(f"{written} rows were given for a PNG of {height} rows")
        _png_chunk(f, b"IDAT", compressor.flush())
        _png_chunk(f, b"IEND", b"")
    return Path(path)


def _png_chunk(f, kind: bytes, data: bytes) -> None:
    if kind == b"IDAT" and not data:
        return  # the compressor keeps small inputs until later
    f.write(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)))


def make_grid(
    images: torch.Tensor, nrow: int | None = None, padding: int = 2, pad_value: float = 0.0
) -> torch.Tensor:
    """``(N, C, H, W)`` images as one ``(C', H', W')`` grid, ``nrow`` a row (square-ish by default), framed
    by ``padding`` pixels of ``pad_value``; greyscale becomes RGB and one image is itself (as torchvision's
    ``make_grid``)."""
    if images.dim() != 4 or len(images) == 0:
        raise ValueError(
            f"expected a non-empty (N, C, H, W) batch of images, not shape {tuple(images.shape)}"
        )
    images = images.detach().float().cpu()
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    if len(images) == 1:
        return images[0]  # one image is itself, unframed
    n, c, h, w = images.shape
    columns = min(nrow or math.ceil(math.sqrt(n)), n)
    rows = math.ceil(n / columns)
    step_y, step_x = h + padding, w + padding
    grid = images.new_full((c, rows * step_y + padding, columns * step_x + padding), pad_value)
    for i, image in enumerate(images):
        y, x = divmod(i, columns)
        grid[:, y * step_y + padding : (y + 1) * step_y, x * step_x + padding : (x + 1) * step_x] = image
    return grid


def save_grid(
    images: torch.Tensor,
    path: str | os.PathLike,
    nrow: int | None = None,
    padding: int = 2,
    pad_value: float = 0.0,
) -> Path:
    """Write ``(N, C, H, W)`` images in [0, 1] as one grid (``make_grid``) to ``path`` atomically."""
    image_format(path)  # an unknown extension fails before any work
    return save_image(make_grid(images, nrow, padding, pad_value), path)


def scatter(points: torch.Tensor, size: int = 512, margin: float = 0.05) -> Image.Image:
    """``(N, 2)`` points as dots on a white ``size`` x ``size`` canvas, y up, framed to their extent."""
    points = points.detach().float().cpu()
    lo, hi = points.min(0).values, points.max(0).values
    span = (hi - lo).max().clamp_min(1e-6) * (1 + 2 * margin)
    pixels = ((points - (lo + hi) / 2) / span + 0.5) * (size - 1)
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for x, y in pixels.tolist():
        draw.ellipse((x - 1.5, size - 1 - y - 1.5, x + 1.5, size - 1 - y + 1.5), fill=(30, 90, 200))
    return image


def save_samples(samples: torch.Tensor, path: str | os.PathLike, nrow: int | None = None) -> Path:
    """Write samples to ``path`` atomically: ``(N, C, H, W)`` images as a grid (``nrow`` a row), ``(N, 2)``
    points as a scatter plot."""
    if samples.dim() == 4:
        return save_grid(samples, path, nrow)
    if samples.dim() == 2 and samples.shape[1] == 2 and len(samples):
        return save_image(scatter(samples), path)
    raise ValueError(f"cannot draw samples of shape {tuple(samples.shape)}: expected (N, C, H, W) or (N, 2)")
