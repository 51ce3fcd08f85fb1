"""Hook implementations of the DCGAN plugin (light: nothing heavy is imported here)."""

from zoo_plugins import register_catalogue_models

import zoo


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="dcgan",
            model="zoo_plugins.dcgan.networks:DCGAN",
            # DCGAN trains with the standard GAN objective: the vanilla plugin's step, not a copy.
            training_step="zoo_plugins.gan.training:training_step",
            recipe="zoo_plugins.dcgan.training:RECIPE",
            task="generate",
            summary="strided convolutions, batch norm, ReLU/LeakyReLU, no pooling; 32 or 64 px",
            paper="Radford et al. 2016, Unsupervised Representation Learning with DCGANs, arXiv:1511.06434",
        )
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "dcgan")
