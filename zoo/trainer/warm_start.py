"""Starting a fresh run from another model's weights (the recipe's ``init``), as fine-tuning does.

``init`` is anything ``zoo.load`` takes: a registry name, ``hf-hub:user/repo``, a run directory. Every
tensor of the source must fit the new model by name and shape; tensors the source lacks (the
discriminators of a generator-only bundle) keep their fresh initialisation, and the log says which.
``init_fresh`` names top-level submodules that keep theirs even where the source has weights (the
discriminators of a run directory, so that fine-tuning from a run matches fine-tuning from its bundle).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from torch import nn

from zoo.errors import ZooError
from zoo.trainer.recipe import RecipeError

log = logging.getLogger(__name__)


def warm_start(model: nn.Module, source: str, fresh: Sequence[str] = ()) -> None:
    """Copy the weights of the model ``source`` names into ``model``, except the submodules ``fresh``
    names; a misfit or an unknown submodule is a ``RecipeError``."""
    from zoo.loading import load

    children = [name for name, _ in model.named_children()]
    unknown_fresh = [name for name in fresh if name not in children]
    if unknown_fresh:
        raise RecipeError(
            f"init_fresh: the model has no submodule {unknown_fresh[0]!r}; "
            f"its submodules: {', '.join(children)}"
        )
    try:
        donor = load(source)
    except ZooError as exc:
        raise RecipeError(f"init: cannot load {source!r} to start from: {exc}") from exc
    theirs = {k: v for k, v in donor.state_dict().items() if k.split(".")[0] not in fresh}
    ours = model.state_dict()
    unknown = sorted(set(theirs) - set(ours))
    misfits = sorted(k for k in theirs.keys() & ours.keys() if theirs[k].shape != ours[k].shape)
    if unknown or misfits:
        shapes = [f"{k} {tuple(theirs[k].shape)} vs {tuple(ours[k].shape)}" for k in misfits[:5]]
        raise RecipeError(
            f"init: the weights of {source!r} do not fit this recipe's model"
            + (f"; tensors this model has no place for: {unknown[:5]}" if unknown else "")
            + (f"; other shapes (theirs vs ours): {shapes}" if shapes else "")
            + ": set the 'model' options to the source's (zoo info NAME shows them)"
        )
    model.load_state_dict(theirs, strict=False)
    untouched = Counter(k.split(".")[0] for k in set(ours) - set(theirs))
    kept = ", ".join(f"{name} ({n} tensors)" for name, n in sorted(untouched.items()))
    log.info("init: %d tensors from %s%s", len(theirs), source, f"; fresh: {kept}" if kept else "")
    differ = sorted(k for k, v in donor.config.items() if k in model.config and model.config[k] != v)
    if differ:
        log.warning("init: %s was built with other %s than this recipe's model", source, differ)
