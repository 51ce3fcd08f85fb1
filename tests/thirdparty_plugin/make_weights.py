"""Write the example plugin's bundled weights and print what ``models.yaml`` must record.

The weights are the seed-0 initialisation of ``TinyGAN`` (an example, not a trained model):
``python tests/thirdparty_plugin/make_weights.py``.
"""

from pathlib import Path

import torch
import yaml
from zoo_plugin_example.networks import TinyGAN

from zoo.weights import save_weights, sha256_of

HERE = Path(__file__).parent / "zoo_plugin_example"

if __name__ == "__main__":
    entry = yaml.safe_load((HERE / "models.yaml").read_text())["models"]["tiny-example"]
    torch.manual_seed(0)
    model = TinyGAN(**entry["config"])
    path = save_weights(model, HERE / entry["weights"]["bundled"])
    params = sum(p.numel() for p in model.generator.parameters())
    print(f"{path}\nsha256: {sha256_of(path)}\ngenerator parameters: {params}")
