"""Training curves of a run: its ``metrics.jsonl`` drawn as one PNG (losses, D(x) / D(G(z)), eval metrics).

Used by ``zoo plot RUN``; matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from zoo.artifacts import METRICS
from zoo.errors import ZooError

#: what a panel shows, chosen by the key's name; the first matching panel takes the key
PANELS = (
    ("losses", lambda k: k.startswith("loss")),
    ("D(x) and D(G(z))", lambda k: k in ("d_real", "d_fake")),
    ("evaluation", lambda k: k.startswith("eval_")),
    ("other", lambda k: True),
)
#: logged every step but not about the model: left out unless --keys names them
NOT_DRAWN = ("step", "img_per_s")
LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))"}


class PlotError(ZooError, ValueError):
    """A run's metrics cannot be drawn as asked (no metrics.jsonl, nothing logged, an unknown key)."""


def read_metrics(run: str | Path) -> list[dict[str, Any]]:
    """The records of ``RUN/metrics.jsonl`` (a half-written last line is skipped), at least one."""
    path = Path(run) / METRICS
    if not path.is_file():
        what = "is not a directory" if not Path(run).is_dir() else f"holds no {METRICS}"
        raise PlotError(f"{run} {what}: give a run directory written by `zoo train --out RUN`")
    records = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a run killed mid-write
        if isinstance(record, dict) and isinstance(record.get("step"), (int, float)):
            records.append(record)
    if not records:
        raise PlotError(f"{path} holds no logged step yet: train longer than `log_every` steps, then plot")
    return records


def numeric_keys(records: list[dict[str, Any]]) -> list[str]:
    """Every key with a number in some record, in order of first appearance (``step`` excluded)."""
    keys: dict[str, None] = {}
    for record in records:
        for key, value in record.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                keys.setdefault(key, None)
    return list(keys)


def choose_keys(records: list[dict[str, Any]], keys: list[str] | None) -> list[str]:
    """``keys`` checked against the logged ones, or by default every logged value but throughput."""
    logged = numeric_keys(records)
    if keys is None:
        return [k for k in logged if k not in NOT_DRAWN]
    unknown = [k for k in keys if k not in logged]
    if unknown:
        raise PlotError(f"{', '.join(unknown)} not in {METRICS}; its keys are: {', '.join(logged)}")
    return list(keys)


def panels(keys: list[str]) -> list[tuple[str, list[str]]]:
    """The keys grouped into the non-empty panels of ``PANELS``, in that order."""
    groups: dict[str, list[str]] = {title: [] for title, _ in PANELS}
    for key in keys:
        title = next(t for t, wanted in PANELS if wanted(key))
        groups[title].append(key)
    return [(title, group) for title, group in groups.items() if group]


def figure_png(records: list[dict[str, Any]], keys: list[str], title: str) -> bytes:
    """The curves of ``keys`` against ``step`` as PNG bytes, one panel per group, the same bytes each time."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    groups = panels(keys)
    fig = Figure(figsize=(6.4, 2.2 * len(groups)), dpi=80, layout="constrained")
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, group) in zip(axes, groups, strict=True):
        for key in group:
            points = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
            steps, values = zip(*points, strict=True)
            ax.plot(steps, values, label=LABELS.get(key, key), marker="." if len(points) < 20 else None)
        ax.set_title(name, fontsize=10, loc="left")
        if len(group) > 5:  # beside the panel, where it covers no curve
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        else:
            ax.legend(fontsize=8, loc="best")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("step")
    fig.suptitle(title, fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def plot_run(
    run: str | Path, out: str | Path | None = None, keys: list[str] | None = None, title: str | None = None
) -> Path:
    """Draw ``RUN/metrics.jsonl`` to ``out`` (default ``RUN/curves.png``), atomically; returns its path."""
    from PIL import Image

    from zoo.images import save_image

    records = read_metrics(run)
    chosen = choose_keys(records, keys)
    if not chosen:
        raise PlotError(f"{Path(run) / METRICS} logs no loss or metric to draw; name keys with --keys")
    out = Path(run) / "curves.png" if out is None else Path(out)
    png = figure_png(records, chosen, title or str(run))
    with Image.open(io.BytesIO(png)) as image:
        return save_image(image.convert("RGB"), out)
