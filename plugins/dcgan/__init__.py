"""DCGAN (Radford, Metz & Chintala 2016): all-convolutional generator and discriminator."""
