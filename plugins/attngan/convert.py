"""Reading the original AttnGAN release (taoxugit/AttnGAN): ``text_encoder*.pth`` (``RNN_ENCODER``),
``netG*.pth`` (``G_NET``) and the vocabulary in ``captions.pickle``.

The state dicts come through ``zoo.convert`` (``torch.load(weights_only=True)``). The pickle holds
``[train_captions, test_captions, ixtoword, wordtoix]``: lists and dicts of str and int, read here with an
unpickler that refuses every class and then checked to hold nothing else; the word list ends up as JSON in
the model's ``config.json``. Our networks use the original module names, so the keys only gain a prefix.
"""

from __future__ import annotations

import io
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from zoo.errors import WeightsError

_ALLOWED = (str, int, list, dict)
MAX_BYTES = 128 << 20  # the largest released captions.pickle (COCO) has about 25 MB
MAX_DEPTH = 8  # [train_captions, test_captions, ixtoword, wordtoix] nests lists 3 deep


class _PlainDataUnpickler(pickle.Unpickler):
    """An unpickler for plain data: any class or callable (the way pickles run code) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(
            f"the vocabulary pickle refers to {module}.{name}; only str, int, list and dict are allowed"
        )


def _check_plain(data: Any, max_elements: int) -> None:
    """Raise unless ``data`` holds only str/int/list/dict, at most ``MAX_DEPTH`` deep and ``max_elements``
    elements, every reference to a shared list or dict counted again (as a reader of the data would).

    Walked with a stack, not recursion: a list that contains itself meets the depth limit, and a small
    pickle whose lists repeat references to the previous one ("billion laughs") meets the element limit
    long before its exponentially many elements would be visited.
    """
    stack: list[tuple] = [(data, "pickle", None, 0)]  # value, key in its parent, the parent's entry, depth
    visited = 0
    while stack:
        entry = stack.pop()
        value, _, _, depth = entry
        visited += 1
        if visited > max_elements:
            raise WeightsError(
                f"the vocabulary pickle holds more than {max_elements} elements, counting repeated "
                "references: more than a captions.pickle of its size can hold, so it repeats references to "
                "shared lists (a decompression bomb?); give the original captions.pickle"
            )
        if type(value) not in _ALLOWED:  # exact types: no bool, float, tuple, bytes or subclasses
            raise WeightsError(
                f"the vocabulary pickle holds a {type(value).__name__} at {_where(entry)}: "
                "only str/int/list/dict"
            )
        if isinstance(value, (list, dict)) and depth >= MAX_DEPTH:
            raise WeightsError(
                f"the vocabulary pickle nests lists or dicts more than {MAX_DEPTH} deep at {_where(entry)} "
                "(a captions.pickle nests 3 deep; does a list contain itself?)"
            )
        if isinstance(value, list):
            stack.extend((item, i, entry, depth + 1) for i, item in enumerate(value))
        elif isinstance(value, dict):
            stack.extend((key, None, entry, depth + 1) for key in value)
            stack.extend((item, key, entry, depth + 1) for key, item in value.items())


def _where(entry: tuple) -> str:
    """``pickle[2][5]``: where a walked element sits, from its chain of parents (``None``: a dict key)."""
    keys = []
    while entry is not None:
        _, key, entry, _ = entry
        keys.append(key)
    *inner, root = keys
    return root + "".join(" key" if key is None else f"[{key!r}]" for key in reversed(inner))


def read_vocabulary_pickle(path: str | Path) -> list[str]:
    """The word list (index 1 onwards; index 0 is ``<end>``) of an original ``captions.pickle``.

    Read within limits: at most ``MAX_BYTES``, ``MAX_DEPTH`` levels of nesting, and no more elements than
    the file has bytes (each element of a pickle takes at least a byte unless it repeats a reference).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"vocabulary pickle {path} does not exist")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise WeightsError(
            f"{path} has {size} bytes, more than a vocabulary pickle may ({MAX_BYTES}): give the original "
            "captions.pickle"
        )
    try:
        data = _PlainDataUnpickler(io.BytesIO(path.read_bytes()), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise WeightsError(f"{path} is not a plain-data vocabulary pickle: {exc}") from exc
    _check_plain(data, max_elements=size)
    if not (isinstance(data, list) and len(data) == 4 and isinstance(data[2], dict)):
        raise WeightsError(
            f"{path} is not the original captions.pickle: expected [train_captions, test_captions, ixtoword, "
            "wordtoix]"
        )
    ixtoword = data[2]
    if sorted(ixtoword) != list(range(len(ixtoword))) or ixtoword.get(0) != "<end>":
        raise WeightsError(f"{path}: ixtoword must map 0..n-1 to words with 0 = '<end>'")
    return [ixtoword[i] for i in range(1, len(ixtoword))]


def _strip(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.removeprefix("module."): v for k, v in state.items()}  # saved from DataParallel


def _count(state: dict[str, torch.Tensor], pattern: str) -> int:
    found = {int(m.group(1)) for k in state if (m := re.match(pattern, k))}
    return max(found, default=0)


def _other_file(state: dict[str, torch.Tensor]) -> str | None:
    """What a file of the original release that is neither converted network holds, or None."""
    if any(k.startswith(("Conv2d_1a_3x3.", "Mixed_", "emb_features.")) for k in state):
        return (
            "the DAMSM image encoder (image_encoder*.pth, an Inception-v3 CNN_ENCODER), which is not "
            "converted: generating needs the text encoder alone"
        )
    if any(k.startswith(("img_code_s16.", "UNCOND_DNET.", "COND_DNET.")) for k in state):
        return "a discriminator (netD*.pth), which is not converted: generating needs none"
    return None


def state_from_original(
    cls: type,
    text_encoder: dict[str, torch.Tensor],
    generator: dict[str, torch.Tensor],
    vocabulary: str | Path,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Our ``AttnGAN`` weights and config (inference networks) from the original release."""
    words = read_vocabulary_pickle(vocabulary)
    text, gen = _strip(text_encoder), _strip(generator)
    swapped = "h_net1.fc.0.weight" in text and "encoder.weight" in gen
    for which, state in (("first", text), ("second", gen)):
        looks_like = "the other network (the files are swapped)" if swapped else _other_file(state)
        if looks_like:
            raise WeightsError(
                f"the {which} checkpoint looks like {looks_like}: give the text encoder (text_encoder*.pth) "
                "first and the generator (netG_epoch_*.pth) second"
            )
    if "encoder.weight" not in text or "rnn.weight_hh_l0_reverse" not in text:
        raise WeightsError(
            "the first checkpoint is not the original bidirectional RNN_ENCODER (text_encoder*.pth): "
            f"its keys are {', '.join(list(text)[:4])}"
        )
    if "h_net1.fc.0.weight" not in gen or "ca_net.fc.weight" not in gen:
        raise WeightsError(
            "the second checkpoint is not the original G_NET (netG*.pth): its keys are "
            + ", ".join(list(gen)[:4])
        )
    half = text["rnn.weight_hh_l0"].shape[1]
    if text["rnn.weight_ih_l0"].shape[0] != 4 * half or "rnn.weight_ih_l1" in text:
        raise WeightsError(
            "only the one-layer LSTM text encoder (RNN_TYPE: LSTM) can be converted, not a GRU"
        )
    if text["encoder.weight"].shape[0] != len(words) + 1:
        raise WeightsError(
            f"the text encoder embeds {text['encoder.weight'].shape[0]} words but the vocabulary pickle has "
            f"{len(words) + 1}: give the captions.pickle of the same dataset"
        )
    ups = _count(gen, r"h_net1\.upsample(\d+)\.")
    fc = gen["h_net1.fc.0.weight"]
    cond_dim = gen["ca_net.fc.weight"].shape[0] // 4
    config = {
        "vocabulary": words,
        "max_words": 18,  # cfg.TEXT.WORDS_NUM of every released config
        "embedding_dim": text["encoder.weight"].shape[1],
        "text_dim": 2 * half,
        "stages": _count(gen, r"h_net(\d+)\."),
        "base_size": 4 * 2**ups,
        "ngf": fc.shape[0] // 32 // 2**ups,
        "z_dim": fc.shape[1] - cond_dim,
        "cond_dim": cond_dim,
        "residuals": _count(gen, r"h_net2\.residual\.(\d+)\.") + 1
        if "h_net2.att.conv_context.weight" in gen
        else 2,
        "discriminators": False,
        "image_encoder": False,
    }
    state = {f"encoders.text.{k}": v for k, v in text.items()} | {f"generator.{k}": v for k, v in gen.items()}
    expected = cls(**config).state_dict()
    for key in expected:  # checkpoints of PyTorch < 0.4 have no batch-norm step counters
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros((), dtype=torch.long)
    return state, config
