"""The AttnGAN networks (Xu et al. 2018), sized by options so a CPU can train a small one.

Module names follow the original code (taoxugit/AttnGAN: ``RNN_ENCODER``, ``G_NET``), so its released text
encoder and generator load with a prefix and no renaming: ``encoder``/``rnn``; ``ca_net``, ``h_net{i}``,
``img_net{i}``, ``att.conv_context``. The first generator stage makes ``base_size`` pixels (4 x 4 upsampled
``log2(base_size / 4)`` times; 64 in the paper); every further stage doubles the size with word attention.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.errors import HubError


class GLU(nn.Module):
    """Gated linear unit over channels: the first half times the sigmoid of the second."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.glu(x, dim=1)


def conv1x1(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 1, bias=False)


def conv3x3(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, bias=False)


def up_block(cin: int, cout: int) -> nn.Sequential:
    """Twice the size: nearest upsampling, 3x3 convolution, batch norm, GLU."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"), conv3x3(cin, cout * 2), nn.BatchNorm2d(cout * 2), GLU()
    )


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            conv3x3(channels, channels * 2),
            nn.BatchNorm2d(channels * 2),
            GLU(),
            conv3x3(channels, channels),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


def upsamples(size: int) -> int:
    """How many doublings turn 4 x 4 into ``size`` x ``size``; a clear error when none does."""
    ups = round(math.log2(size / 4)) if size >= 8 else 0
    if ups < 1 or 4 * 2**ups != size:
        raise ValueError(
            f"image sizes must be 4 times a power of two, at least 8 (8, 16, 32, 64, ...), not {size}"
        )
    return ups


# --------------------------------------------------------------------------------------------- text
class TextEncoder(nn.Module):
    """Bidirectional LSTM over word embeddings: word features ``(N, D, L)`` and a sentence feature ``(N, D)``
    (the last hidden states of both directions), ``D = hidden``."""

    def __init__(
        self, vocab_size: int, embedding_dim: int = 300, hidden: int = 256, dropout: float = 0.5
    ) -> None:
        super().__init__()
        if hidden % 2:
            raise ValueError(f"text_dim must be even (half per LSTM direction), not {hidden}")
        self.encoder = nn.Embedding(vocab_size, embedding_dim)
        self.drop = nn.Dropout(dropout)
        self.rnn = nn.LSTM(embedding_dim, hidden // 2, batch_first=True, bidirectional=True)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.drop(self.encoder(ids))
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, (hidden, _) = self.rnn(packed)
        words, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
        sentence = hidden.transpose(0, 1).reshape(len(ids), -1)
        return words.transpose(1, 2), sentence


# -------------------------------------------------------------------------------------------- image
class ImageEncoder(nn.Module):
    """The DAMSM image encoder: region features ``(N, D, r, r)`` and a global feature ``(N, D)``.

    Images in ``[-1, 1]`` are resized to ``input_size``. Without ``backbone``: a small CNN trained here
    (regions at ``input_size / 8``), normalised per image (GroupNorm): with batch norm, the codes matched
    captions within a training batch but not in eval mode, where R-precision is measured. With a timm
    model name: its last two feature levels (regions, then the pooled global feature) as the paper does
    with Inception-v3; it is built untrained, and the DAMSM step's ``pretrained_backbone`` option fetches
    its pretrained weights through the Hub (fine-tuned with its batch-norm statistics fixed).

    ``bias`` (small CNN only; not in the paper): a bias in the first convolution. Without it the codes are
    blind to contrast (bias-free convolutions, LeakyReLU and per-image GroupNorm: ``c * x`` gives the codes
    of ``x``), so a faint grey image with hints of colour matches a caption as well as the sharp scene.
    """

    def __init__(
        self,
        dim: int = 256,
        width: int = 32,
        input_size: int = 64,
        backbone: str | None = None,
        bias: bool = False,
    ) -> None:
        super().__init__()
        self.input_size, self.backbone_name = input_size, backbone
        self.contrast_aware = bias
        if backbone and bias:
            raise ValueError("image_bias is an option of the small CNN: leave it off with an image_backbone")
        if backbone:
            import timm

            self.backbone = timm.create_model(
                backbone, pretrained=False, features_only=True, out_indices=(-2, -1)
            )
            regions, pooled = self.backbone.feature_info.channels()
            cfg = self.backbone.pretrained_cfg
            mean, std = cfg.get("mean", (0.485, 0.456, 0.406)), cfg.get("std", (0.229, 0.224, 0.225))
            self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        else:
            if input_size % 16:
                raise ValueError(f"image_size must be a multiple of 16 for the small CNN, not {input_size}")

            def down(cin: int, cout: int, bias: bool = False) -> list[nn.Module]:  # GroupNorm: per image
                return [
                    nn.Conv2d(cin, cout, 4, 2, 1, bias=bias),
                    nn.GroupNorm(1, cout),
                    nn.LeakyReLU(0.2, inplace=True),
                ]

            self.regions = nn.Sequential(
                *down(3, width, bias), *down(width, width * 2), *down(width * 2, width * 4)
            )
            self.pooled = nn.Sequential(*down(width * 4, width * 8), nn.AdaptiveAvgPool2d(1), nn.Flatten())
            regions, pooled = width * 4, width * 8
        self.emb_features = conv1x1(regions, dim)
        self.emb_cnn_code = nn.Linear(pooled, dim)
        nn.init.uniform_(self.emb_features.weight, -0.1, 0.1)
        nn.init.uniform_(self.emb_cnn_code.weight, -0.1, 0.1)

    def train(self, mode: bool = True) -> ImageEncoder:
        """A timm backbone keeps its batch-norm statistics (eval mode) while the rest trains."""
        super().train(mode)
        if self.backbone_name:
            self.backbone.eval()
        return self

    def load_pretrained_backbone(self) -> None:
        """Copy the backbone's pretrained weights in; timm fetches them through the Hugging Face Hub
        (``HF_ENDPOINT`` selects a mirror). A clear ``HubError`` when they cannot be had."""
        import timm
        from huggingface_hub import constants

        from zoo.hub_download import check_timm_weights_reachable, hub_errors

        if not self.backbone_name:
            raise ValueError("pretrained_backbone needs a timm backbone: set the model's image_backbone")
        try:
            check_timm_weights_reachable(self.backbone_name)
            pretrained = timm.create_model(
                self.backbone_name, pretrained=True, features_only=True, out_indices=(-2, -1)
            )
        except hub_errors() as exc:  # huggingface_hub's HTTP, offline and cache errors
            raise HubError(
                f"the DAMSM image encoder needs pretrained {self.backbone_name!r} weights, which timm gets "
                f"from the Hugging Face Hub ({constants.ENDPOINT}), and they could not be had: {exc}. Go "
                "online, point HF_ENDPOINT at a mirror, or train without pretrained_backbone"
            ) from exc
        self.backbone.load_state_dict(pretrained.state_dict())

    def resized(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` at the encoder's ``input_size``."""
        if x.shape[-1] != self.input_size or x.shape[-2] != self.input_size:
            x = F.interpolate(
                x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False
            )
        return x

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.resized(x)
        if self.backbone_name:
            regions, last = self.backbone(((x + 1) / 2 - self.mean) / self.std)
            pooled = last.mean((2, 3))
        else:
            regions = self.regions(x)
            pooled = self.pooled(regions)
        return self.emb_features(regions), self.emb_cnn_code(pooled)


# ---------------------------------------------------------------------------------------- generator
class CANet(nn.Module):
    """Conditioning augmentation: a Gaussian around the sentence feature, sampled with the given noise.

    ``unit_input`` (not in the paper): each sentence feature is first scaled to unit root-mean-square, so
    the code carries the caption from the first step whatever the text encoder's scale."""

    def __init__(self, text_dim: int, cond_dim: int, unit_input: bool = False) -> None:
        super().__init__()
        self.cond_dim, self.unit_input = cond_dim, unit_input
        self.fc = nn.Linear(text_dim, cond_dim * 4)

    def forward(self, sentence: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.unit_input:
            sentence = sentence * torch.rsqrt(sentence.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        x = F.glu(self.fc(sentence), dim=1)
        mu, logvar = x[:, : self.cond_dim], x[:, self.cond_dim :]
        return mu + eps * torch.exp(0.5 * logvar), mu, logvar


class WordAttention(nn.Module):
    """Each pixel's word context: a softmax over the caption's words (padding masked) of the dot products
    between the pixel's features and the words' features projected to the image channels (Eq. 2)."""

    def __init__(self, channels: int, text_dim: int) -> None:
        super().__init__()
        self.conv_context = conv1x1(text_dim, channels)

    def forward(
        self, h: torch.Tensor, words: torch.Tensor, pad: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``h`` ``(N, C, H, W)``, ``words`` ``(N, D, L)``, ``pad`` ``(N, L)`` True at padding ->
        the context ``(N, C, H, W)`` and the attention ``(N, L, H, W)`` (summing to 1 over words)."""
        n, _, height, width = h.shape
        source = self.conv_context(words.unsqueeze(3)).squeeze(3)
        scores = torch.bmm(h.flatten(2).transpose(1, 2), source)
        attn = scores.masked_fill(pad[:, None, :], float("-inf")).softmax(-1)
        context = torch.bmm(source, attn.transpose(1, 2))
        return context.view(n, -1, height, width), attn.transpose(1, 2).reshape(n, -1, height, width)


class InitStage(nn.Module):
    """Noise and condition to ``channels`` x 4 x 4, then ``ups`` up-blocks halving the channels."""

    def __init__(self, channels: int, in_dim: int, ups: int) -> None:
        super().__init__()
        self.channels = channels
        self.fc = nn.Sequential(
            nn.Linear(in_dim, channels * 32, bias=False), nn.BatchNorm1d(channels * 32), GLU()
        )
        for k in range(ups):
            self.add_module(f"upsample{k + 1}", up_block(channels // 2**k, channels // 2 ** (k + 1)))
        self.ups = ups

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        out = self.fc(torch.cat((c, z), 1)).view(len(z), self.channels, 4, 4)
        for k in range(self.ups):
            out = getattr(self, f"upsample{k + 1}")(out)
        return out


class NextStage(nn.Module):
    """Word attention, residual blocks on features + context, one up-block: twice the size."""

    def __init__(self, channels: int, text_dim: int, residuals: int) -> None:
        super().__init__()
        self.att = WordAttention(channels, text_dim)
        self.residual = nn.Sequential(*[ResBlock(channels * 2) for _ in range(residuals)])
        self.upsample = up_block(channels * 2, channels)

    def forward(
        self, h: torch.Tensor, words: torch.Tensor, pad: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        context, attn = self.att(h, words, pad)
        return self.upsample(self.residual(torch.cat((h, context), 1))), attn


class ImageHead(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.img = nn.Sequential(conv3x3(channels, 3), nn.Tanh())

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.img(h)


class Generator(nn.Module):
    """``stages`` images from noise and text: ``base_size`` pixels, then twice as large per stage."""

    def __init__(
        self,
        stages: int = 3,
        base_size: int = 64,
        ngf: int = 32,
        z_dim: int = 100,
        cond_dim: int = 100,
        text_dim: int = 256,
        residuals: int = 2,
        ca_norm: bool = False,
    ) -> None:
        super().__init__()
        if stages < 1:
            raise ValueError(f"stages must be at least 1, not {stages}")
        ups = upsamples(base_size)
        self.stages, self.z_dim = stages, z_dim
        self.ca_net = CANet(text_dim, cond_dim, ca_norm)
        self.h_net1 = InitStage(ngf * 2**ups, z_dim + cond_dim, ups)
        self.img_net1 = ImageHead(ngf)
        for i in range(2, stages + 1):
            self.add_module(f"h_net{i}", NextStage(ngf, text_dim, residuals))
            self.add_module(f"img_net{i}", ImageHead(ngf))

    def forward(
        self,
        z: torch.Tensor,
        sentence: torch.Tensor,
        words: torch.Tensor,
        pad: torch.Tensor,
        eps: torch.Tensor,
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Every stage's images in ``[-1, 1]``, the attention maps of stages 2+, the CA ``mu``, ``logvar``."""
        c, mu, logvar = self.ca_net(sentence, eps)
        h = self.h_net1(z, c)
        images, maps = [self.img_net1(h)], []
        for i in range(2, self.stages + 1):
            h, attn = getattr(self, f"h_net{i}")(h, words, pad)
            images.append(getattr(self, f"img_net{i}")(h))
            maps.append(attn)
        return images, maps, mu, logvar


# ----------------------------------------------------------------------------------- discriminator
#: how a stage discriminator normalises its layers: the paper's batch norm, or spectral norm on every
#: convolution and no batch norm (Miyato et al. 2018), which keeps D from overpowering a small generator
D_NORMS = ("batch", "spectral")
#: how a stage discriminator's conditional logit reads the sentence: the paper's concatenation (features
#: joined with the sentence feature, a 3x3 convolution, a logit) or a projection (Miyato & Koyama 2018:
#: a logit of the features plus their inner product with a linear map of the sentence), which makes the
#: text a direct term of the logit rather than one input of a convolution
D_CONDS = ("concat", "projection")


class StageDiscriminator(nn.Module):
    """One stage's discriminator: strided convolutions down to 4 x 4, then an unconditional logit and a
    conditional one (features joined with the sentence feature), as the original ``D_NET64``.

    ``norm="spectral"``: every convolution spectrally normalised and no batch norm. With the paper's batch
    norm, D won within a few hundred steps on the shapes data (D loss near 0.1) and the generator drew grey
    noise; spectral norm keeps the two balanced (D loss near 1). ``cond="projection"``: the conditional
    logit is ``psi(h) + <V s, h>`` over the 4 x 4 features ``h``, averaged over the cells (``V s`` has
    weights per cell, so it can check places) instead of the paper's concatenation (``D_CONDS``).
    """

    def __init__(
        self, size: int, ndf: int = 64, text_dim: int = 256, norm: str = "batch", cond: str = "concat"
    ) -> None:
        super().__init__()
        if norm not in D_NORMS:
            raise ValueError(f"discriminator norm must be one of {D_NORMS}, not {norm!r}")
        if cond not in D_CONDS:
            raise ValueError(f"discriminator conditioning must be one of {D_CONDS}, not {cond!r}")
        spectral = norm == "spectral"

        def conv(cin: int, cout: int, *args: int, bias: bool = False) -> nn.Conv2d:
            layer = nn.Conv2d(cin, cout, *args, bias=bias)
            return nn.utils.parametrizations.spectral_norm(layer) if spectral else layer

        def normed(channels: int) -> list[nn.Module]:
            return [] if spectral else [nn.BatchNorm2d(channels)]

        downs = upsamples(size)
        layers: list[nn.Module] = [conv(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        channels = ndf
        for k in range(1, downs):
            out = ndf * 2 ** min(k, 3)
            layers += [conv(channels, out, 4, 2, 1), *normed(out), nn.LeakyReLU(0.2, inplace=True)]
            channels = out
        self.img_code = nn.Sequential(*layers)
        self.uncond = conv(channels, 1, 4, 4, bias=True)
        if cond == "projection":
            project = nn.Linear(text_dim, channels * 16, bias=False)
            self.project = nn.utils.parametrizations.spectral_norm(project) if spectral else project
        else:
            self.joint = nn.Sequential(
                conv(channels + text_dim, channels, 3, 1, 1),
                *normed(channels),
                nn.LeakyReLU(0.2, inplace=True),
            )
        self.cond = conv(channels, 1, 4, 4, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Image features ``(N, C, 4, 4)``, shared by both logits."""
        return self.img_code(x)

    def logits(self, features: torch.Tensor, sentence: torch.Tensor | None = None) -> torch.Tensor:
        """``(N,)`` raw logits: unconditional without ``sentence``, conditional with it."""
        if sentence is None:
            return self.uncond(features).flatten()
        if hasattr(self, "project"):
            inner = (self.project(sentence).view_as(features) * features).sum(1).mean((1, 2))
            return self.cond(features).flatten() + inner
        text = sentence[:, :, None, None].expand(-1, -1, *features.shape[2:])
        return self.cond(self.joint(torch.cat((features, text), 1))).flatten()
