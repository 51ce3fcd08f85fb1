"""The package version, in one place: pyproject.toml reads it, and every module that records it."""

__version__ = "0.1.0"
