"""An example gan-zoo plugin: a tiny MLP GAN (``tinygan``) and one named model (``tiny-example``)."""
