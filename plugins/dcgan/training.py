"""DCGAN's own recipe, what ``zoo train dcgan --data DIR`` starts from: the paper's settings (Adam at
2e-4 with beta1 0.5, batches of 128, 64x64 images; the model takes its channels and resolution from the
data). DCGAN trains with the vanilla GAN's non-saturating step, so there is no step of its own here.
"""

_ADAM = {"name": "adam", "lr": 2.0e-4, "betas": [0.5, 0.999]}

RECIPE = {
    "step": {"loss": "non_saturating"},
    "batch_size": 128,
    "optimizers": {"generator": dict(_ADAM), "discriminator": dict(_ADAM)},
    "ema": None,
    "sample_every": 10,  # a first grid within a minute on a CPU
}
