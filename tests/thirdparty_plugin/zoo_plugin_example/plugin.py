"""Hook implementations: imported when gan-zoo discovers plugins, so nothing heavy (no torch) here."""

from pathlib import Path

import zoo

CATALOGUE = Path(__file__).parent / "models.yaml"


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="tinygan",
            model="zoo_plugin_example.networks:TinyGAN",
            training_step="zoo_plugin_example.training:training_step",
            task="generate",
            summary="a tiny MLP GAN for 8x8 grey images (an example plugin)",
        )
    )


@zoo.hookimpl
def register_models(register):
    # Metadata only: bundled weight paths in the YAML are resolved relative to the YAML file.
    for entry in zoo.models_from_yaml(CATALOGUE):
        register(entry)
