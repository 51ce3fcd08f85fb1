"""Hook implementations of the AttnGAN plugin (light: nothing heavy is imported here)."""

from zoo_plugins import register_catalogue_models

import zoo

_PAPER = (
    "Xu et al. 2018, AttnGAN: Fine-Grained Text to Image Generation with Attentional Generative Adversarial "
    "Networks, arXiv:1711.10485"
)


@zoo.hookimpl
def register_variants(register):
    register(
        zoo.Variant(
            name="attngan-damsm",
            model="zoo_plugins.attngan.model:DAMSM",
            training_step="zoo_plugins.attngan.training:damsm_step",
            task="match",
            data="captions",
            summary="AttnGAN stage 1: DAMSM text (bi-LSTM) and image encoders that match captions and images",
            paper=_PAPER,
        )
    )
    register(
        zoo.Variant(
            name="attngan",
            model="zoo_plugins.attngan.model:AttnGAN",
            training_step="zoo_plugins.attngan.training:attngan_step",
            task="text_to_image",
            data="captions",
            summary="text to image: multi-stage generator with word attention, trained with the DAMSM loss "
            "of a finished attngan-damsm run",
            paper=_PAPER,
        )
    )


@zoo.hookimpl
def register_models(register):
    register_catalogue_models(register, "attngan", "attngan-damsm")
