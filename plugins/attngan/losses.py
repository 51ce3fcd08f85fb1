"""The AttnGAN losses: DAMSM word- and sentence-level matching (Xu et al. 2018, Eqs. 7-14) and the
conditional + unconditional GAN losses of each stage, with the conditioning augmentation's KL term.

Matching losses take a batch of N images and their N captions and score every (image, caption) pair;
``exclude`` marks off-diagonal pairs that are not negatives (the original masks images of the same bird
class; here captions that are the same text) and leaves them out of the softmax.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from torch import nn

#: the paper's smoothing factors (gamma 1, 2, 3 of Eqs. 9, 10, 11 and 14; birds and COCO alike)
GAMMA1, GAMMA2, GAMMA3 = 4.0, 5.0, 10.0


def _match_loss(
    scores: torch.Tensor,
    exclude: torch.Tensor | None,
    extra: torch.Tensor | None = None,
    extra_captions: torch.Tensor | None = None,
) -> torch.Tensor:
    """Cross-entropy of the true pair both ways over ``scores`` (images x captions), Eqs. 11-13; ``extra``
    ``(N_extra, N_captions)``: scores of images that match no caption, added to each caption's choices;
    ``extra_captions`` ``(N_images, K)``: scores of captions that match no image, added to each image's."""
    if exclude is not None:
        scores = scores.masked_fill(exclude, float("-inf"))
    labels = torch.arange(len(scores), device=scores.device)
    by_caption = scores.t() if extra is None else torch.cat((scores.t(), extra.t()), 1)
    by_image = scores if extra_captions is None else torch.cat((scores, extra_captions), 1)
    return F.cross_entropy(by_image, labels) + F.cross_entropy(by_caption, labels)


def sentence_scores(image_code: torch.Tensor, sentence: torch.Tensor, gamma3: float = GAMMA3) -> torch.Tensor:
    """``gamma3`` times the cosine similarity of every (image, caption) pair: ``(N_images, N_captions)``."""
    return gamma3 * F.normalize(image_code.float(), dim=1) @ F.normalize(sentence.float(), dim=1).t()


def word_scores(
    regions: torch.Tensor,
    words: torch.Tensor,
    pad: torch.Tensor,
    gamma1: float = GAMMA1,
    gamma2: float = GAMMA2,
    gamma3: float = GAMMA3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """DAMSM word-level scores ``gamma3 * R(Q_i, D_j)`` of every (image i, caption j): ``(N_i, N_j)``, and
    the attention of each caption's words over its own image's regions ``(N, L, r, r)``.

    ``regions`` ``(N_i, D, r, r)``, ``words`` ``(N_j, D, L)`` with ``pad`` ``(N_j, L)`` True at padding.
    Each region's similarities are normalised over the caption's words (Eq. 8), each word attends over
    the regions with ``gamma1`` (Eq. 9), and ``R = log sum_words exp(gamma2 cos(word, its region context))``.
    """
    n_images, dim, height, width = regions.shape
    v = regions.float().flatten(2)  # (Ni, D, S)
    e = words.float()  # (Nj, D, L)
    sim = torch.einsum("jdl,ids->ijls", e, v)  # (Ni, Nj, L, S)
    masked = pad[None, :, :, None]
    sim = sim.masked_fill(masked, float("-inf")).softmax(2).masked_fill(masked, 0.0)
    attn = (gamma1 * sim).softmax(3)
    context = torch.einsum("ijls,ids->ijld", attn, v)  # (Ni, Nj, L, D)
    cos = F.cosine_similarity(context, e.transpose(1, 2)[None], dim=3, eps=1e-8)  # (Ni, Nj, L)
    relevance = torch.logsumexp((gamma2 * cos).masked_fill(pad[None], float("-inf")), dim=2)
    own = attn[torch.arange(len(words)), torch.arange(len(words))] if n_images == len(words) else None
    maps = own.view(len(words), -1, height, width) if own is not None else None
    return gamma3 * relevance, maps


def damsm_loss(
    regions: torch.Tensor,
    image_code: torch.Tensor,
    words: torch.Tensor,
    sentence: torch.Tensor,
    pad: torch.Tensor,
    exclude: torch.Tensor | None = None,
    negatives: tuple[torch.Tensor, torch.Tensor] | None = None,
    wrong_captions: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(word loss, sentence loss)`` of a batch of matching images and captions (each both directions).

    ``negatives``: ``(regions, image_code)`` of further images that match none of the captions (e.g.
    blurred copies of the batch's images); each caption must rank its own image above them too.
    ``wrong_captions``: ``(words, sentence, pad)`` of one altered caption per image that does not describe
    it (e.g. its shape word swapped); each image must rank its own caption above its altered one too."""
    scores, _ = word_scores(regions, words, pad)
    sentence_all = sentence_scores(image_code, sentence)
    neg_words = neg_sentence = wrong_words = wrong_sentence = None
    if negatives is not None:
        neg_words = word_scores(negatives[0], words, pad)[0]
        neg_sentence = sentence_scores(negatives[1], sentence)
    if wrong_captions is not None:
        wrong_words = word_scores(regions, wrong_captions[0], wrong_captions[2])[0].diagonal()[:, None]
        wrong_sentence = sentence_scores(image_code, wrong_captions[1]).diagonal()[:, None]
    return (
        _match_loss(scores, exclude, neg_words, wrong_words),
        _match_loss(sentence_all, exclude, neg_sentence, wrong_sentence),
    )


def same_caption(captions: list[str], device: torch.device | None = None) -> torch.Tensor:
    """``(N, N)`` True where two different items of a batch have the same caption text."""
    n = len(captions)
    same = torch.tensor([[a == b for b in captions] for a in captions], device=device)
    return same & ~torch.eye(n, dtype=torch.bool, device=device)


def kl_loss(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL divergence of the conditioning augmentation's Gaussian from N(0, I), averaged over elements."""
    return -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())


def _bce(logits: torch.Tensor, target: float, weight: torch.Tensor | None = None) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(
        logits.float(), torch.full_like(logits.float(), target), weight=weight
    )


def stage_discriminator_loss(
    d,
    real: torch.Tensor,
    fake: torch.Tensor,
    sentence: torch.Tensor,
    mismatched: torch.Tensor,
    swapped_sentence: torch.Tensor | None = None,
) -> torch.Tensor:
    """One stage's D loss as in the original: real/fake with and without the sentence, and real images
    with the next item's caption as a third, "wrong" fake pair (``mismatched`` (N-1,) weights those pairs:
    0 where the next caption is the same text). ``swapped_sentence`` (not in the paper): each real image
    with its caption altered (a word swapped) as more wrong pairs, averaged with the first ones."""
    real_f, fake_f = d(real), d(fake.detach())
    cond_real = _bce(d.logits(real_f, sentence), 1.0)
    cond_fake = _bce(d.logits(fake_f, sentence), 0.0)
    wrong = _bce(d.logits(real_f[:-1], sentence[1:]), 0.0, mismatched) if len(real) > 1 else cond_fake * 0
    if swapped_sentence is not None:
        wrong = (wrong + _bce(d.logits(real_f, swapped_sentence), 0.0)) / 2
    return (_bce(d.logits(real_f), 1.0) + cond_real) / 2 + (
        _bce(d.logits(fake_f), 0.0) + cond_fake + wrong
    ) / 3


def stage_generator_loss(d, fake: torch.Tensor, sentence: torch.Tensor) -> torch.Tensor:
    """One stage's G loss: the unconditional and conditional logits of its images called real."""
    features = d(fake)
    return _bce(d.logits(features), 1.0) + _bce(d.logits(features, sentence), 1.0)


def feature_matching_loss(layers: nn.Sequential, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """The mean over ``layers``' LeakyReLU outputs of the L1 distance between ``fake``'s and ``real``'s
    activations, the real ones a fixed target: pix2pixHD's feature matching when ``layers`` is a
    discriminator's, a perceptual loss when it is the DAMSM image encoder's."""
    with torch.no_grad():
        targets = list(_activations(layers, real))
    if not targets:
        raise ValueError("feature matching needs layers with LeakyReLU activations; these have none")
    fakes = _activations(layers, fake)
    terms = [F.l1_loss(f.float(), t.float()) for f, t in zip(fakes, targets, strict=True)]
    return sum(terms) / len(terms)


def _activations(layers: nn.Sequential, x: torch.Tensor) -> Iterator[torch.Tensor]:
    for layer in layers:
        x = layer(x)
        if isinstance(layer, nn.LeakyReLU):
            yield x
