"""Super-resolution protocol and metrics, as in the SR literature (Ledig et al. 2017 and after).

The high-resolution (HR) image is cropped to a multiple of the scale; the low-resolution (LR) input is its
bicubic downsampling (Keys kernel a = -0.5 with antialiasing, as PIL and MATLAB's ``imresize``), stored in
8 bits. Outputs are rounded to 8 bits, then PSNR and SSIM are computed on the Y channel of YCbCr (BT.601)
with ``scale`` pixels of border removed. Sharpness is the variance of the Laplacian of Y, as a ratio to the
HR image's (1 = as sharp as the ground truth; bicubic and MSE-trained outputs fall below 1).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def quantize(x: torch.Tensor) -> torch.Tensor:
    """Round images in [0, 1] to 8-bit levels (what an image file holds)."""
    return (x.clamp(0, 1) * 255).round() / 255


def crop_to_multiple(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """``hr`` cropped (bottom and right) so both sides are multiples of ``scale``."""
    h, w = hr.shape[-2:]
    if h < scale or w < scale:
        raise ValueError(f"an image of {w}x{h} pixels is smaller than the scale {scale}")
    return hr[..., : h - h % scale, : w - w % scale]


def downsample(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """The protocol's LR image: bicubic (antialiased) downsampling by ``scale``, in 8-bit levels."""
    h, w = hr.shape[-2:]
    if h % scale or w % scale:
        raise ValueError(f"HR size {w}x{h} is not a multiple of the scale {scale}: crop_to_multiple first")
    lr = F.interpolate(hr, size=(h // scale, w // scale), mode="bicubic", antialias=True, align_corners=False)
    return quantize(lr)


def upsample_bicubic(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic upsampling by ``scale`` (PIL's kernel), clamped to [0, 1]: the baseline of every SR model."""
    h, w = lr.shape[-2:]
    out = F.interpolate(lr, size=(h * scale, w * scale), mode="bicubic", antialias=True, align_corners=False)
    return out.clamp(0, 1)


def rgb_to_y(x: torch.Tensor) -> torch.Tensor:
    """Y of YCbCr (BT.601, studio range [16, 235]) of ``(N, 3, H, W)`` RGB in [0, 1], as ``(N, 1, H, W)``."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return 16.0 + 65.481 * r + 128.553 * g + 24.966 * b


def _y(x: torch.Tensor, border: int) -> torch.Tensor:
    y = rgb_to_y(quantize(x.double()))
    return y[..., border : y.shape[-2] - border, border : y.shape[-1] - border] if border else y


def psnr_y(sr: torch.Tensor, hr: torch.Tensor, border: int) -> torch.Tensor:
    """PSNR in dB on Y (peak 255), one value per image."""
    _check_pair(sr, hr)
    mse = (_y(sr, border) - _y(hr, border)).pow(2).mean(dim=(1, 2, 3))
    return 10 * torch.log10(255.0**2 / mse.clamp_min(1e-10))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim_y(sr: torch.Tensor, hr: torch.Tensor, border: int) -> torch.Tensor:
    """SSIM on Y (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, valid region)."""
    _check_pair(sr, hr)
    x, y = _y(sr, border), _y(hr, border)
    window = _gaussian_window().to(x.device)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_x, mu_y = F.conv2d(x, window), F.conv2d(y, window)
    var_x = F.conv2d(x * x, window) - mu_x**2
    var_y = F.conv2d(y * y, window) - mu_y**2
    cov = F.conv2d(x * y, window) - mu_x * mu_y
    ssim = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim.mean(dim=(1, 2, 3))


def sharpness_ratio(sr: torch.Tensor, hr: torch.Tensor, border: int) -> torch.Tensor:
    """Variance of the Laplacian of Y of ``sr`` over that of ``hr``, one value per image."""
    _check_pair(sr, hr)
    kernel = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=torch.float64)[None, None]

    def energy(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(_y(x, border), kernel.to(x.device)).var(dim=(1, 2, 3))

    return energy(sr) / energy(hr).clamp_min(1e-10)


def _check_pair(sr: torch.Tensor, hr: torch.Tensor) -> None:
    if sr.shape != hr.shape or sr.dim() != 4 or sr.shape[1] != 3:
        raise ValueError(
            f"expected two (N, 3, H, W) RGB batches of one shape, got {tuple(sr.shape)} and {tuple(hr.shape)}"
        )
    if not torch.isfinite(sr).all():
        raise ValueError("the super-resolved image contains NaN or inf")


def sr_scores(
    upscale: Callable[[torch.Tensor], torch.Tensor], images: list[torch.Tensor], scale: int
) -> dict[str, dict[str, float]]:
    """PSNR, SSIM and sharpness of ``upscale`` and of bicubic upsampling on HR ``images`` ((3, H, W) in
    [0, 1]), averaged over the images; ``per_image`` lists the model's PSNR per image."""
    rows: dict[str, list[torch.Tensor]] = {k: [] for k in ("psnr", "ssim", "sharpness")}
    base: dict[str, list[torch.Tensor]] = {k: [] for k in rows}
    for image in images:
        hr = crop_to_multiple(image[None].float(), scale)
        lr = downsample(hr, scale)
        for out, table in ((upscale(lr).float().cpu(), rows), (upsample_bicubic(lr, scale), base)):
            table["psnr"].append(psnr_y(out, hr, scale))
            table["ssim"].append(ssim_y(out, hr, scale))
            table["sharpness"].append(sharpness_ratio(out, hr, scale))

    def mean(table: dict[str, list[torch.Tensor]]) -> dict[str, float]:
        return {k: round(torch.cat(v).mean().item(), 4) for k, v in table.items()}

    model, bicubic = mean(rows), mean(base)
    model["per_image_psnr"] = [round(v.item(), 3) for v in torch.cat(rows["psnr"])]
    bicubic["per_image_psnr"] = [round(v.item(), 3) for v in torch.cat(base["psnr"])]
    return {"model": model, "bicubic": bicubic, "psnr_gain_db": round(model["psnr"] - bicubic["psnr"], 4)}


PROTOCOL = (
    "the {n} held-out photos {photos} (never trained on); HR cropped to a multiple of the scale, "
    "LR = bicubic downsampling (antialiased, PIL's kernel) in 8 bits; outputs of upscale() (default tiles) "
    "rounded to 8 bits; PSNR and SSIM (Gaussian 11x11, sigma 1.5) on Y of YCbCr (BT.601) with a border of "
    "scale pixels removed, averaged over the photos; sharpness: variance of the Laplacian of Y over the HR "
    "photo's (1 = as sharp as the ground truth); bicubic_*: bicubic upsampling of the same LR inputs; "
    "psnr_gain_db: psnr - bicubic_psnr"
)


def evaluate_upscaler(model: torch.nn.Module) -> dict[str, float]:
    """The registry's numbers for ``model.upscale`` on the held-out photos (``zoo.data.photos``): ``psnr``,
    ``ssim``, ``sharpness``, their ``bicubic_*`` baselines, ``psnr_gain_db`` and ``n``."""
    from zoo.data.photos import photo_files, read_rgb

    images = [read_rgb(path).float() / 255 for path in photo_files("test")]
    scores = sr_scores(model.upscale, images, model.scale)
    out = {k: v for k, v in scores["model"].items() if k != "per_image_psnr"}
    out |= {f"bicubic_{k}": v for k, v in scores["bicubic"].items() if k != "per_image_psnr"}
    return {**out, "psnr_gain_db": scores["psnr_gain_db"], "n": len(images)}


def protocol() -> str:
    """The protocol of ``evaluate_upscaler``'s numbers, in words."""
    from zoo.data.photos import TEST_PHOTOS

    names = ", ".join(ref.split(":")[1] for ref in TEST_PHOTOS)
    return PROTOCOL.format(n=len(TEST_PHOTOS), photos=names)
