"""Hook implementations of the CycleGAN plugin (light: nothing heavy is imported here)."""

from zoo_plugins import register_catalogue_models

import zoo


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="cyclegan",
            model="zoo_plugins.cyclegan.model:CycleGAN",
            training_step="zoo_plugins.cyclegan.training:training_step",
            recipe="zoo_plugins.cyclegan.training:RECIPE",
            task="translate",
            data="unpaired",
            summary="unpaired translation: two ResNet generators, two PatchGANs, LSGAN + cycle + identity",
            paper="Zhu et al. 2017, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
            "Networks, arXiv:1703.10593",
        )
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "cyclegan")
