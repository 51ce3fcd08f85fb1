"""The vocabulary: captions to word indices, as the AttnGAN code tokenises them (lower case, ``\\w+`` words).

Index 0 is ``<end>`` (padding, as in the original's ``wordtoix``); word ``k`` of ``words`` has index
``k + 1``.
The word list is part of the model: it is a model config field, so it travels as JSON in ``config.json``
beside the weights. Unknown words are an error that lists the vocabulary (there is no unknown token: a
caption the model cannot read is not silently changed); captions longer than ``max_words`` are truncated
with a warning.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence

import torch

END = "<end>"
_WORD = re.compile(r"\w+")


def tokenize(caption: str) -> list[str]:
    """The words of a caption: lower case runs of letters, digits and underscores."""
    return _WORD.findall(caption.lower())


def build_vocabulary(texts: Iterable[str]) -> list[str]:
    """Every word that occurs in ``texts``, sorted (so the same captions give the same indices)."""
    words = sorted({w for text in texts for w in tokenize(text)})
    if not words:
        raise ValueError("the captions hold no words: a vocabulary cannot be built from them")
    return words


class Vocabulary:
    """Words to indices and back; ``encode`` turns a batch of captions into padded index tensors."""

    def __init__(self, words: Sequence[str], max_words: int) -> None:
        if not words or not all(isinstance(w, str) and w for w in words):
            raise ValueError("a vocabulary is a non-empty list of non-empty words")
        if len(set(words)) != len(words) or END in words:
            raise ValueError(f"vocabulary words must be unique and not {END!r}")
        if max_words < 1:
            raise ValueError(f"max_words must be at least 1, not {max_words}")
        self.words = list(words)
        self.max_words = max_words
        self.index = {w: i + 1 for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        """The number of indices, ``<end>`` included (the embedding's rows)."""
        return len(self.words) + 1

    def word(self, index: int) -> str:
        return END if index == 0 else self.words[index - 1]

    def encode(self, captions: str | Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ids, lengths)``: ``(N, L)`` word indices padded with 0 (``L`` the longest caption, at most
        ``max_words``) and each caption's word count. Raises on anything that is not readable text."""
        captions = check_captions(captions)
        tokens = [tokenize(c) for c in captions]
        empty = [c for c, t in zip(captions, tokens, strict=True) if not t]
        if empty:
            raise ValueError(f"caption {empty[0]!r} has no words: describe the image, e.g. 'a red circle'")
        unknown = sorted({w for t in tokens for w in t if w not in self.index})
        if unknown:
            shown = ", ".join(self.words[:200]) + (" ..." if len(self.words) > 200 else "")
            raise ValueError(
                f"unknown word(s) {', '.join(map(repr, unknown))}: the model knows only these "
                f"{len(self.words)} words (no unknown token is used): {shown}"
            )
        long = [c for c, t in zip(captions, tokens, strict=True) if len(t) > self.max_words]
        if long:
            warnings.warn(
                f"{len(long)} caption(s) longer than the model's {self.max_words} words were truncated to "
                f"their first {self.max_words} words, e.g. {long[0]!r}",
                stacklevel=2,
            )
        tokens = [t[: self.max_words] for t in tokens]
        lengths = torch.tensor([len(t) for t in tokens])
        ids = torch.zeros(len(tokens), int(lengths.max()), dtype=torch.long)
        for row, words in enumerate(tokens):
            ids[row, : len(words)] = torch.tensor([self.index[w] for w in words])
        return ids, lengths

    def decode(self, ids: torch.Tensor, length: int) -> list[str]:
        """The words of one encoded caption (its first ``length`` indices)."""
        return [self.word(int(i)) for i in ids[:length]]


def check_captions(captions: str | Sequence[str]) -> list[str]:
    """A list of caption strings (one string is one caption); a clear error for anything else."""
    if isinstance(captions, str):
        return [captions]
    if not isinstance(captions, Sequence):
        raise TypeError(f"captions must be a string or a list of strings, not {type(captions).__name__}")
    if not captions:
        raise ValueError("no captions given: pass at least one, e.g. ['a red circle at the top']")
    bad = [c for c in captions if not isinstance(c, str)]
    if bad:
        raise TypeError(f"every caption must be a string; got {type(bad[0]).__name__} ({bad[0]!r})")
    return list(captions)
