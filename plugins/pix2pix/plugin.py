"""Hook implementations of the pix2pix plugin (light: nothing heavy is imported here)."""

from zoo_plugins import register_catalogue_models

import zoo


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="pix2pix",
            model="zoo_plugins.pix2pix.model:Pix2Pix",
            training_step="zoo_plugins.pix2pix.training:training_step",
            recipe="zoo_plugins.pix2pix.training:RECIPE",
            task="translate",
            data="paired",
            summary="paired translation: U-Net or ResNet generator, conditional PatchGAN, cGAN + L1 loss",
            paper="Isola et al. 2017, Image-to-Image Translation with Conditional Adversarial Networks, "
            "arXiv:1611.07004",
        )
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "pix2pix")
