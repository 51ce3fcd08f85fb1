"""Errors the zoo raises; each message says what was wrong and what to do."""


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


class PluginError(ZooError, RuntimeError):
    """A plugin's hook raised where that is fatal (``ZOO_STRICT_PLUGINS=1`` for training events)."""
