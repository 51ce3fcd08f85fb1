"""Hook implementations of the SRGAN plugin (light: nothing heavy is imported here)."""

from zoo_plugins import register_catalogue_models

import zoo


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="srgan",
            model="zoo_plugins.srgan.model:SRGAN",
            training_step="zoo_plugins.srgan.training:training_step",
            recipe="zoo_plugins.srgan.training:RECIPE",
            task="upscale",
            data="sr_crops",
            summary="single-image super-resolution: SRResNet generator (pixel loss), then adversarial "
            "training with a perceptual content loss (SRGAN)",
            paper="Ledig et al. 2017, Photo-Realistic Single Image Super-Resolution Using a Generative "
            "Adversarial Network, arXiv:1609.04802",
        )
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "srgan")
