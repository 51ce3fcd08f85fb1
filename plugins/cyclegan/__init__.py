"""CycleGAN (Zhu et al. 2017): unpaired translation, two generators and discriminators, cycle consistency."""
