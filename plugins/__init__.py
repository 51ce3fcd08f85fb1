"""The built-in plugins, installed as the package ``zoo_plugins`` and found through entry points.

Their named models are the entries of ``registry.yaml``, the catalogue at the repository's top level
that ships inside this package: each built-in plugin registers its own variants' entries from it, as a
third-party plugin registers those of the YAML file it ships.
"""

from collections.abc import Callable
from pathlib import Path

import zoo

#: The built-in catalogue (``plugins/registry.yaml`` links to the top-level file; the wheel holds a copy).
CATALOGUE = Path(__file__).with_name("registry.yaml")


def register_catalogue_models(register: Callable[[zoo.ModelEntry], None], *variants: str) -> None:
    """Register the catalogue's entries of ``variants``: one plugin's models, validated on their own."""
    for entry in zoo.models_from_yaml(CATALOGUE, variants):
        register(entry)
