"""GANomaly (Akcay et al. 2018): anomaly detection with an encoder-decoder-encoder GAN."""
