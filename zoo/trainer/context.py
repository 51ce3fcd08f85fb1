"""The context a variant's training step receives: autocast, and one ``optimize`` per network.

The step decides what to compute; the context owns how parameters are updated: loss scaling for
fp16, gradient accumulation, gradient averaging across processes, clipping and the optimiser step.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from zoo.trainer.distributed import World

_AMP_DTYPES = {True: torch.float16, "fp16": torch.float16, "bf16": torch.bfloat16}


class StepContext:
    """What a training step ``fn(model, batch, ctx, **options)`` uses.

    ``autocast()`` and ``optimize(name, loss)``; ``device`` is where the batch lives; ``step`` is the
    number of optimisation steps already done, ``steps`` the run's total (the recipe's); ``micro`` the
    micro-batch index inside the current gradient-accumulation cycle (``0..grad_accum-1``).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizers: dict[str, torch.optim.Optimizer],
        device: torch.device,
        amp: bool | str = False,
        grad_accum: int = 1,
        grad_clip: float | None = None,
        world: World | None = None,
        steps: int | None = None,
    ) -> None:
        self.device = device
        self.optimizers = optimizers
        self.grad_accum = grad_accum
        self.grad_clip = grad_clip
        self.world = world or World()
        self.step = 0
        self.steps = steps
        self.micro = 0
        self.amp_dtype = _AMP_DTYPES.get(amp) if amp else None
        # Loss scaling is needed for fp16 only (bf16 has fp32's range); it is a no-op when disabled.
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)
        self._params = {
            name: [p for p in getattr(model, name).parameters() if p.requires_grad] for name in optimizers
        }

    @property
    def last_micro(self) -> bool:
        """Whether this micro-batch ends the accumulation cycle (the optimisers step after it)."""
        return self.micro == self.grad_accum - 1

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the forward pass when the recipe asks for it (``amp``)."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        """Backpropagate ``loss`` into network ``name`` only; step its optimiser at the end of a cycle.

        Gradients flow into ``name``'s parameters alone (``backward(inputs=...)``): the generator's
        loss passes through the discriminator without touching the discriminator's gradients.
        """
        if name not in self.optimizers:
            raise KeyError(
                f"ctx.optimize({name!r}): no such optimiser; the model optimises {list(self.optimizers)}"
            )
        params = self._params[name]
        if self.grad_accum > 1:
            loss = loss / self.grad_accum
        self.scaler.scale(loss).backward(inputs=params)
        if not self.last_micro:
            return
        opt = self.optimizers[name]
        self.world.average_gradients(params)
        if self.grad_clip is not None:
            self.scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip)
        self.scaler.step(opt)
        opt.zero_grad(set_to_none=True)

    def end_step(self) -> None:
        """Close an optimisation step: adapt the fp16 loss scale once, after every optimiser stepped."""
        self.scaler.update()
        self.step += 1
