"""Hook implementations of the vanilla GAN plugin (light: nothing heavy is imported here)."""

from zoo_plugins import register_catalogue_models

import zoo


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="gan",
            model="zoo_plugins.gan.networks:VanillaGAN",
            training_step="zoo_plugins.gan.training:training_step",
            task="generate",
            summary="MLP generator and discriminator, minimax or non-saturating loss",
            paper="Goodfellow et al. 2014, Generative Adversarial Nets, arXiv:1406.2661",
        )
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "gan")
