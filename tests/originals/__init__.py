"""The module trees of the original code bases whose checkpoints ``zoo convert`` reads.

Each module here builds a network the way its original code does (class and attribute names, module
order, options), written from the papers and the originals' published structure, so a test can save
its ``state_dict()`` exactly as the original saves it and compare its outputs with the converted model.
None of them import gan-zoo: a converter is checked against the original, never against our own networks.
"""

from __future__ import annotations

import torch
from torch import nn


def trained_like(module: nn.Module, seed: int) -> nn.Module:
    """``module`` with seeded random weights and batch-norm statistics, as after training, in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                tensor.fill_(7)  # num_batches_tracked: some batches were counted
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.1)
    return module.eval()
