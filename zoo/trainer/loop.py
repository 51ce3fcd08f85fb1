"""The trainer: builds a run from a recipe and owns the loop around a variant's training step."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import default_collate

from zoo.artifacts import CHECKPOINT, EVALUATION, METRICS
from zoo.build import build_model
from zoo.errors import RegistryError, ZooError
from zoo.io import atomic_path
from zoo.model import GANModel, UnconditionalGAN
from zoo.trainer import distributed
from zoo.trainer.checkpoint import (
    commit_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from zoo.trainer.context import StepContext
from zoo.trainer.ema import EMA
from zoo.trainer.export import export_run
from zoo.trainer.logs import MetricsLog, Progress, TensorBoard
from zoo.trainer.optim import build_optimizers
from zoo.trainer.recipe import Recipe, RecipeError, refused_changes
from zoo.trainer.rundir import RunLock
from zoo.trainer.sampler import BatchStream, Position
from zoo.trainer.samples import SAMPLE_SEED, write_grid
from zoo.trainer.schedule import apply_schedule, lr_factor
from zoo.trainer.warm_start import warm_start

log = logging.getLogger(__name__)


class Trainer:
    """One training run: the model, its optimisers and averages, the data stream and the run directory.

    Plugins receive this object in the trainer hooks; ``model``, ``recipe``, ``step``, ``run_dir``,
    ``world`` (rank and size) and ``device`` are the attributes meant for them. It holds the run
    directory's lock (``zoo.trainer.rundir``) from its construction until ``run`` ends.
    """

    def __init__(self, recipe: Recipe, resume: bool = False) -> None:
        self.started = time.perf_counter()  # the time to the first sample grid counts the set-up
        self.recipe = recipe
        self.run_dir = recipe.run_dir
        self.world = distributed.init(recipe.device)
        self.device = distributed.select_device(recipe.device, self.world)  # NCCL's collectives need it
        self.lock = RunLock(self.run_dir, self.world)  # before anything reads the run directory
        try:
            self._set_up(resume)
        except BaseException:
            self.lock.release(discard=True)
            raise

    def _set_up(self, resume: bool) -> None:
        from zoo.data import build_dataset
        from zoo.registry import registry

        recipe = self.recipe
        if recipe.amp in (True, "fp16") and self.device.type != "cuda":
            raise RecipeError(
                "amp: true (fp16 with loss scaling) needs CUDA; on CPU use `amp: bf16` or false"
            )
        self.variant = registry().variant(recipe.variant)
        self.step_fn = self.variant.step_function()
        self.evaluate = _evaluator() if recipe.eval_every else None

        seed_everything(recipe.seed)
        data_spec = _data_spec(recipe.data, self.variant)
        try:
            self.model = build_model(self.variant.name, recipe.model, "the recipe's 'model'", data=data_spec)
        except RegistryError as exc:  # the recipe's mistake, reported as one
            raise RecipeError(str(exc)) from exc
        if recipe.init is not None and not resume:  # a resumed run has its own weights
            warm_start(self.model, recipe.init, recipe.init_fresh)
        memory = torch.channels_last if recipe.channels_last else torch.preserve_format
        self.model.to(self.device, memory_format=memory).train()
        self.world.broadcast_module(self.model)
        if self.world.rank:
            seed_everything(recipe.seed + self.world.rank)  # each replica draws its own noise
        self.optimizers = build_optimizers(self.model, recipe.optimizers)
        names = tuple(self.model.averaged) if recipe.ema is not None else ()
        self.ema = EMA(self.model, names, **(recipe.ema or {}))
        self.ctx = StepContext(
            self.model,
            self.optimizers,
            self.device,
            recipe.amp,
            recipe.grad_accum,
            recipe.grad_clip,
            self.world,
            recipe.steps,
        )

        self.dataset = build_dataset(_data_spec(recipe.data, self.variant, self.model), split="train")
        _check_data_fits(self.model, self.dataset[0])
        self.step = 0
        self._samples: dict[str, Any] | None = None  # the fixed batch of sample grids, built on first use
        self.data = BatchStream(
            self.dataset,
            recipe.batch_size,
            recipe.seed,
            self.world.rank,
            self.world.size,
            recipe.workers,
            pin=self.device.type == "cuda",
            position=self._start(resume),
        )
        if recipe.compile:
            for name in self.optimizers:
                getattr(self.model, name).compile()

    # ----------------------------------------------------------------------------------- the loop
    def run(self) -> Path:
        """Train until ``recipe.steps``; returns the run directory, whose lock it gives back at the end."""
        try:
            self._train()
        finally:  # a new directory left before the first step is removed: no empty run behind
            self.lock.release(discard=self.step == 0)
        self.world.close()
        return self.run_dir

    def _train(self) -> None:
        from zoo.plugins import TrainingEvents

        recipe, main = self.recipe, self.world.is_main
        hook = TrainingEvents()  # a plugin that raises is reported and disabled for this run
        metrics = MetricsLog(self.run_dir / METRICS)
        if main:
            metrics.truncate(self.step)
        board = TensorBoard(self.run_dir / "tensorboard", self.step) if main else None
        progress = Progress(recipe.steps, self.step, main, since=self.started)
        images_per_step = recipe.batch_size * recipe.grad_accum * self.world.size
        window, tick = 0, time.perf_counter()
        try:
            if main:
                hook("on_train_start", trainer=self)
            while self.step < recipe.steps:
                values = self._optimization_step()
                window += 1
                progress.advance()
                logged: dict[str, float] = {}
                last = self.step == recipe.steps
                if self.step % recipe.log_every == 0 or last:
                    values = self.world.mean(values)
                    logged = {k: float(v) for k, v in values.items()}
                    logged["img_per_s"] = window * images_per_step / max(time.perf_counter() - tick, 1e-9)
                    if main:
                        metrics.append({"step": self.step, **logged})
                        board.scalars(self.step, logged)
                        progress.show(logged)
                if main:
                    hook("on_step_end", trainer=self, step=self.step, metrics=logged)
                if self._periodic_work(last, metrics, board, hook, progress) or logged:
                    window, tick = 0, time.perf_counter()  # img/s measures training, not file writing
        finally:
            progress.close()
            if board is not None:
                board.close()
        if main:
            hook("on_train_end", trainer=self)

    def _optimization_step(self) -> dict[str, Any]:
        """One optimisation step (``grad_accum`` micro-batches); the step's values, still tensors."""
        total: dict[str, Any] = {}
        apply_schedule(self.optimizers, lr_factor(self.recipe.lr_schedule, self.step, self.recipe.steps))
        for micro in range(self.recipe.grad_accum):
            self.ctx.micro = micro
            batch = self._to_device(next(self.data))
            out = self.step_fn(self.model, batch, self.ctx, **self.recipe.step)
            total = {k: total.get(k, 0) + v for k, v in out.items()}
        self.ctx.end_step()
        self.step = self.ctx.step
        for name in self.optimizers:
            self.world.broadcast_module(getattr(self.model, name), buffers_only=True)
        self.ema.update(self.model, self.step)
        if self.recipe.grad_accum > 1:
            total = {k: v / self.recipe.grad_accum for k, v in total.items()}
        return total

    def _to_device(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out = {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}
        if self.recipe.channels_last and torch.is_tensor(out.get("x")) and out["x"].dim() == 4:
            out["x"] = out["x"].contiguous(memory_format=torch.channels_last)
        return out

    def _periodic_work(
        self, last: bool, metrics: MetricsLog, board: TensorBoard | None, hook: Any, progress: Progress
    ) -> bool:
        """Samples, evaluation and checkpoints when due; whether any ran."""
        recipe, step, main = self.recipe, self.step, self.world.is_main

        def due(every: int) -> bool:  # 0 disables; a disabled checkpoint is still written at the end
            return every > 0 and (last or step % every == 0)

        ran = False
        if main and due(recipe.sample_every) and (grid := self._draw_samples()) is not None:
            progress.grid_written(grid, step)
            ran = True
        if main and self.evaluate is not None and due(recipe.eval_every):
            result = self._evaluate()
            metrics.append({"step": step, **{f"eval_{k}": v for k, v in result.items()}})
            board.scalars(step, {f"eval/{k}": v for k, v in result.items()})
            ran = True
        if due(recipe.checkpoint_every) or last:
            path = self.save()
            if main:
                hook("on_checkpoint", trainer=self, path=str(path))
            ran = True
        return ran

    def _draw_samples(self) -> Path | None:
        """A sample grid: generated images, or the model's ``sample_images`` panels for a fixed batch
        (input | output | target, one row per example); its file, ``None`` when the model draws none."""
        with self.ema.swapped_in(self.model) as inference:
            if isinstance(inference, UnconditionalGAN):
                return write_grid(
                    inference.generate(self.recipe.samples, seed=SAMPLE_SEED),
                    self.run_dir / "samples",
                    self.step,
                )
            training = inference.training
            inference.eval()
            try:
                with torch.no_grad():
                    panels = inference.sample_images(self._to_device(self._sample_batch()))
            finally:
                inference.train(training)
        if panels is None:
            return None
        return write_grid(panels.flatten(0, 1), self.run_dir / "samples", self.step, nrow=panels.shape[1])

    def _sample_batch(self) -> dict[str, Any]:
        """``recipe.samples`` training items spread evenly over the dataset, the same at every step
        (drawn without touching the run's random streams: a dataset may draw, e.g. an unpaired partner)."""
        if self._samples is None:
            n = min(self.recipe.samples, len(self.dataset))
            chosen = torch.linspace(0, len(self.dataset) - 1, n).long().tolist()
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(SAMPLE_SEED)
                self._samples = default_collate([self.dataset[i] for i in chosen])
        return self._samples

    def _evaluate(self) -> dict[str, float]:
        with self.ema.swapped_in(self.model) as inference:
            result = {
                k: float(v)
                for k, v in self.evaluate(inference, self.recipe.data, self.recipe.eval_samples).items()
            }
        record = {"step": self.step, "data": self.recipe.data, **result}
        with atomic_path(self.run_dir / EVALUATION) as tmp:
            tmp.write_text(json.dumps(record, indent=2) + "\n")
        return result

    # ---------------------------------------------------------------------------- checkpointing
    def save(self) -> Path:
        """Write ``checkpoint.pt`` (resume state), ``model.safetensors`` and ``config.json`` as one
        checkpoint set (rank 0): ``zoo.load`` and ``--resume`` see the previous set or this one whole."""
        rngs = self.world.gather(rng_state())  # every replica's generators: each draws its own noise
        if self.world.is_main:
            state = {
                "step": self.step,
                "position": {"epoch": self.data.position.epoch, "index": self.data.position.index},
                "model": self.model.state_dict(),
                "ema": self.ema.state_dict(),
                "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
                "scaler": self.ctx.scaler.state_dict(),
                "rng": rngs,
                "recipe": self.recipe.to_dict(),
            }

            def write(folder: Path) -> None:
                save_checkpoint(state, folder / CHECKPOINT)
                export_run(self.model, self.ema, self.variant, self.recipe, self.step, folder)

            commit_checkpoint(self.run_dir, self.step, write)
        self.world.barrier()
        return self.run_dir / CHECKPOINT

    def _start(self, resume: bool) -> Position:
        """Where the data stream starts: after the checkpoint's batches when resuming, else at the top."""
        if resume:
            return self._restore(load_checkpoint(self.run_dir / CHECKPOINT))
        if (self.run_dir / CHECKPOINT).exists():
            raise RecipeError(
                f"{self.run_dir} already holds a run ({CHECKPOINT}): continue it with --resume (resume=True) "
                "or choose another --out"
            )
        return Position()

    def _restore(self, state: dict[str, Any]) -> Position:
        """Load a checkpoint's state into this run; returns the data position to continue from."""
        changed = refused_changes(state["recipe"], self.recipe.to_dict())
        if changed:
            raise RecipeError(
                f"cannot resume {self.run_dir}: the recipe differs from the checkpoint's in {changed}; "
                "resume with the recipe the run started with (only steps, logging, devices may change)"
            )
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        self.ctx.scaler.load_state_dict(state["scaler"])
        self.step = self.ctx.step = state["step"]
        if len(state["rng"]) == self.world.size:
            set_rng_state(state["rng"][self.world.rank])
        else:
            log.warning(
                "checkpoint was written by %d processes, resuming with %d: random streams are reseeded",
                len(state["rng"]),
                self.world.size,
            )
            seed_everything(self.recipe.seed + 7919 * self.step + self.world.rank)
        return Position(**state["position"])


def _data_spec(data: str | dict, variant: Any, model: GANModel | None = None) -> str | dict:
    """A bare folder becomes the variant's dataset kind on that folder (pix2pix reads it as pairs), read
    with the channels of its first images; given the ``model``, read with the model's channels (one count
    for both sides of pairs) and resized to its ``training_size``."""
    if not (isinstance(data, str) and Path(data).is_dir()):
        return data
    from zoo.data import FOLDER_KINDS
    from zoo.data.folder import folder_channels

    spec: dict[str, Any] = {"name": variant.data, "path": data}
    config = model.config if model is not None else {}
    if variant.data in FOLDER_KINDS:
        wanted = {config[k] for k in ("channels", "in_channels", "out_channels") if k in config}
        one = len(wanted) == 1 and wanted <= {1, 3}
        spec["channels"] = wanted.pop() if one else folder_channels(Path(data))
    size = model.training_size() if model is not None else None
    if variant.data in ("folder", "anomaly_folder", "captions") and size is not None:
        spec["size"] = size
    return spec


def _check_data_fits(model: GANModel, item: dict[str, torch.Tensor]) -> None:
    """Fail before training when the data's samples differ in shape from what the generator makes, or
    when the model's ``check_training_data(item)`` finds that they do not fit it."""
    try:
        model.check_training_data(item)
    except ZooError:  # already names what is wrong (e.g. a DataError)
        raise
    except ValueError as exc:
        raise RecipeError(f"the training data does not fit the model: {exc}") from exc
    if not isinstance(model, UnconditionalGAN):
        return
    with torch.no_grad():
        training = model.training
        fake = model.eval().generator(model.sample_latent(1, seed=0))
        model.train(training)
    if tuple(fake.shape[1:]) != tuple(item["x"].shape):
        raise RecipeError(
            f"the data's samples have shape {tuple(item['x'].shape)} but the model generates "
            f"{tuple(fake.shape[1:])}: set the 'model' options (resolution, channels, out_shape) "
            "to fit the data"
        )


def _evaluator():
    """``zoo.metrics.evaluate``, imported only when the recipe asks for periodic metrics."""
    try:
        from zoo.metrics import evaluate
    except ImportError as exc:
        raise RecipeError(
            f"eval_every > 0 needs zoo.metrics.evaluate, which cannot be imported: {exc}"
        ) from exc
    return evaluate
