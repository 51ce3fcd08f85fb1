"""AttnGAN (Xu et al. 2018): text-to-image generation with word attention and the DAMSM loss."""
