"""SRGAN: 4x photo super-resolution (Ledig et al. 2017), with the SRResNet generator as its own model."""
