"""Learning-rate schedules, as a factor of each optimiser's initial rate computed from the step alone.

A schedule is stateless (the factor depends only on the step and the recipe), so a resumed run
continues it exactly without saving scheduler state.

- ``{name: constant}`` (or no ``lr_schedule``): the initial rate throughout.
- ``{name: linear_decay, start: N}``: the initial rate until step ``N``, then linearly down towards 0
  at the last step, as CycleGAN and pix2pix train (``n_epochs`` constant, ``n_epochs_decay`` decaying).
  ``start`` may also be a fraction of the run (``0.5``: the second half decays), so a recipe keeps its
  shape when ``--steps`` changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

SCHEDULES = ("constant", "linear_decay")


def check_schedule(spec: dict[str, Any] | None, steps: int) -> str | None:
    """What is wrong with an ``lr_schedule`` spec for a run of ``steps`` steps, or None."""
    if spec is None:
        return None
    name = spec.get("name")
    if name not in SCHEDULES:
        return f"'lr_schedule.name' is {name!r}; choose one of {', '.join(SCHEDULES)}"
    allowed = {"name"} | ({"start"} if name == "linear_decay" else set())
    unknown = sorted(set(spec) - allowed)
    if unknown:
        return f"unknown field(s) {unknown} in 'lr_schedule' ({name}); allowed: {', '.join(sorted(allowed))}"
    if name == "linear_decay":
        start = spec.get("start")
        fraction = isinstance(start, float) and 0 <= start < 1
        step = isinstance(start, int) and not isinstance(start, bool) and 0 <= start < steps
        if not (fraction or step):
            return (
                f"'lr_schedule.start' must be a step in [0, steps={steps}) or a fraction of the run in "
                f"[0, 1), got {start!r}"
            )
    return None


def lr_factor(spec: dict[str, Any] | None, step: int, steps: int) -> float:
    """The multiplier of the initial learning rate for the update made at ``step`` (0-based)."""
    if spec is None or spec["name"] == "constant":
        return 1.0
    start = spec["start"]
    start = round(start * steps) if isinstance(start, float) else start
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start) / (steps - start))


def apply_schedule(optimizers: dict[str, torch.optim.Optimizer], factor: float) -> None:
    """Set every parameter group's rate to ``factor`` times its initial rate."""
    for opt in optimizers.values():
        for group in opt.param_groups:
            group.setdefault("initial_lr", group["lr"])
            group["lr"] = group["initial_lr"] * factor
