"""Errors the zoo raises; each message says what was wrong and what to do."""

import re


class ZooError(Exception):
    """Base class of every error raised by gan-zoo."""


class RegistryError(ZooError, ValueError):
    """A catalogue entry or plugin registration is malformed or ambiguous."""


class UnknownModelError(ZooError, KeyError):
    """No model or variant by that name; the message suggests close names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class WeightsError(ZooError, ValueError):
    """A weights file is missing, corrupted, of the wrong hash, or does not fit the network."""


class DataError(ZooError, ValueError):
    """A dataset folder or name cannot be used as given."""


class HubError(ZooError, RuntimeError):
    """The Hub or its cache cannot give or take a file (offline, unreachable, no token, no write access)."""


class DownloadError(ZooError, RuntimeError):
    """A file could not be fetched from its http(s) address (offline, unreachable, refused, cut short)."""


class PluginError(ZooError, RuntimeError):
    """A plugin's hook raised where that is fatal (``ZOO_STRICT_PLUGINS=1`` for training events)."""


def unreadable_torch_file(exc: BaseException) -> str:
    """What a file that ``torch.load(weights_only=True)`` failed on looks like, from its exception.

    Never repeats torch's advice to retry with ``weights_only=False``: that would run whatever code the
    file holds.
    """
    text = str(exc)
    if isinstance(exc, EOFError):
        return "it is empty or cut short"
    found = re.search(r"GLOBAL (\S+)", text)
    if found:
        return (
            f"it holds pickled Python objects such as {found.group(1)} besides tensors and plain data; "
            "they are never unpickled, as they could run code"
        )
    if "PytorchStreamReader" in text or "zip archive" in text:
        return "it is truncated or corrupted (torch cannot read its zip archive)"
    return "it is not a file torch.save wrote"
