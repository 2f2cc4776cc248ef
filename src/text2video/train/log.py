"""A run's training log (log.jsonl, one row every log_every steps) and its loss plot."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..files import atomic_write


def trim_log(path: Path, step: int) -> None:
    """Keep the log's rows up to `step`: a resumed run logs the later steps again, and a kill may
    have cut the last row short."""
    if not path.exists():
        return
    rows = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            if json.loads(line)["step"] <= step:
                rows.append(line + "\n")
    with atomic_write(path, "w") as f:
        f.writelines(rows)


def write_row(log, step: int, seconds: float, stats: dict) -> None:
    """One row of log.jsonl: the step, the training time so far and the step's losses."""
    row = {"step": step, "seconds": round(seconds, 2), **{k: round(v, 4) for k, v in stats.items()}}
    log.write(json.dumps(row) + "\n")
    log.flush()


def plot_losses(run: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in open(run / "log.jsonl") if line.strip()]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for key in ("loss_d", "loss_g", "loss_up"):
        pts = [(r["step"], r[key]) for r in rows if key in r]
        if pts:
            ax.plot(*zip(*pts), label=key, lw=1)
    ax.set_xlabel("step")
    ax.legend()
    fig.tight_layout()
    with atomic_write(run / "loss.png") as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
