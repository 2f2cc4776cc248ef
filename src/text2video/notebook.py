"""Looking at clips and runs in Jupyter: `show` plays clips inline as captioned GIFs,
`frames_strip` lays their frames out in a static figure, `compare` puts models side by side,
`train_live` trains with a loss plot that redraws, `evaluate_model` / `show_report` run the
evaluator on a saved model and `show_judged` captions each clip with its verdict. The notebooks
in notebooks/ are calls to these.

Clips are uint8 (T, H, W, 3) or a batch (N, T, H, W, 3), as `VideoModel.generate` returns them.
IPython and matplotlib load inside the functions that draw, so `import text2video` stays light.
"""
from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np

from .errors import UserError
from .video_io import encode_gif


def _batch(video) -> np.ndarray:
    """(T, H, W, 3) or (N, T, H, W, 3) uint8 -> (N, T, H, W, 3)."""
    video = np.asarray(video)
    if video.ndim == 4:
        video = video[None]
    if video.ndim != 5 or video.shape[-1] != 3 or video.dtype != np.uint8:
        raise UserError(f"clips are uint8 (T, H, W, 3) or (N, T, H, W, 3); got {video.dtype} {video.shape}")
    return video


def _captions(captions, n: int) -> list[str]:
    """One caption per clip; a single string captions every clip."""
    if captions is None or isinstance(captions, str):
        return [captions or ""] * n
    captions = [str(c) for c in captions]
    if len(captions) != n:
        raise UserError(f"{len(captions)} captions for {n} clips: give one caption per clip")
    return captions


def clips_html(video, captions=None, fps: float = 8.0, scale: int = 2, columns: int = 4) -> str:
    """An HTML table of looping GIFs, one cell per clip, its caption below it. The GIFs keep
    the clips' own pixels; the page draws them `scale` times larger, nearest-neighbour, so a
    notebook's saved outputs stay small."""
    clips = _batch(video)
    captions = _captions(captions, len(clips))
    height, width = clips.shape[2:4]
    size = f'width="{width * scale}" height="{height * scale}" style="image-rendering:pixelated"'
    cells = []
    for clip, caption in zip(clips, captions):
        data = base64.b64encode(encode_gif(clip, fps)).decode("ascii")
        cells.append(f'<td style="text-align:center;vertical-align:top;padding:4px">'
                     f'<img src="data:image/gif;base64,{data}" {size} alt="{html.escape(caption)}"><br>'
                     f'<span style="font-size:small">{html.escape(caption)}</span></td>')
    rows = ["<tr>" + "".join(cells[i:i + columns]) + "</tr>" for i in range(0, len(cells), columns)]
    return "<table>" + "".join(rows) + "</table>"


def show(video, captions=None, fps: float = 8.0, scale: int = 2, columns: int = 4) -> None:
    """Play clips inline in Jupyter: a grid of `columns` GIFs, each with its caption."""
    from IPython.display import HTML, display

    display(HTML(clips_html(video, captions, fps, scale, columns)))


def frames_strip(video, captions=None, frames: int | None = None, inches: float = 0.8):
    """A static matplotlib figure: one row per clip, `frames` evenly spaced frames (default
    all), its caption above the row. Returned closed, so Jupyter draws it once."""
    import matplotlib.pyplot as plt

    clips = _batch(video)
    captions = _captions(captions, len(clips))
    t = clips.shape[1]
    pick = np.linspace(0, t - 1, min(frames or t, t)).round().astype(int)
    fig = plt.figure(figsize=(inches * len(pick), (inches + 0.3) * len(clips)), layout="constrained")
    rows = fig.subfigures(len(clips), 1, squeeze=False)[:, 0]
    for row, clip, caption in zip(rows, clips, captions):
        if caption:
            row.suptitle(caption, x=0.0, ha="left", fontsize=9)
        for ax, i in zip(row.subplots(1, len(pick), squeeze=False)[0], pick):
            ax.imshow(clip[i], interpolation="nearest")
            ax.set_axis_off()
            ax.set_title(f"t={i}", fontsize=7)
    plt.close(fig)
    return fig


def last_log_row(run: str | Path) -> dict:
    """The latest row of a run's log.jsonl (step, seconds, losses); empty before the first."""
    path = Path(run) / "log.jsonl"
    lines = [line for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return json.loads(lines[-1]) if lines else {}


def train_live(trainer, steps: int | None = None, minutes: float | None = None, every: int = 25,
               epochs: float | None = None) -> Path:
    """`trainer.fit` in chunks of `every` steps, redrawing the run's loss plot (loss.png) and a
    status line after each chunk; returns the last checkpoint. Each chunk ends with the
    checkpoint and sample GIF that `fit` writes, so the run can be resumed or inspected.
    `epochs`: passes over a dataset directory's clips, as `fit`; whichever length ends first."""
    from IPython.display import HTML, Image, display

    if steps is None and minutes is None and epochs is None:
        raise UserError("give a training length: steps=N, minutes=M or epochs=E")
    steps = trainer.real.last_step(steps, epochs, trainer.cfg.batch_size)
    if every <= 0:
        raise UserError(f"every must be a positive number of steps, got {every}")
    budget = math.inf if minutes is None else minutes * 60
    status = display(HTML("training…"), display_id=True)
    plot = display(HTML(""), display_id=True)
    while True:
        target = trainer.step + every if steps is None else min(steps, trainer.step + every)
        path = trainer.fit(steps=target, minutes=minutes, progress=False)
        row = last_log_row(trainer.out)
        losses = ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k.startswith("loss"))
        status.update(HTML(f"step {trainer.step}, {trainer.elapsed / 60:.1f} min of training; {losses}"))
        plot.update(Image(filename=str(trainer.out / "loss.png")))
        if (steps is not None and trainer.step >= steps) or trainer.elapsed >= budget:
            return path


def evaluate_model(directory: str | Path, n: int = 16, seed: int = 0, classifier: bool = False, **kwargs):
    """The evaluator (`python -m text2video evaluate --model DIR`) on a model or run directory,
    with the preset, clip format and split saved with the model; returns an Evaluation.
    classifier=True adds the learned judge (trained once per preset, about 2.5 min on CPU)."""
    from .evaluate import evaluate
    from .evaluate.classifier import ClassifierConfig
    from .evaluate.command import saved_model
    from .presets import get_preset

    generate, preset, video, split = saved_model(str(directory), None)
    judge = ClassifierConfig() if classifier else None
    return evaluate(generate, get_preset(preset), n=n, seed=seed, video=video, split=split, judge=judge,
                    progress=False, **kwargs)


def compare(models: dict, prompt: str, n: int = 4, seed: int = 0, scale: int = 2) -> None:
    """Side by side: one row of n clips of `prompt` per model ({caption: VideoModel}), made
    from the same seed."""
    clips = [model.generate(prompt, n=n, seed=seed) for model in models.values()]
    show(np.concatenate(clips), [name for name in models for _ in range(n)], scale=scale, columns=n)


def verdicts(clips: np.ndarray, prompts: list[str]) -> list[str]:
    """The evaluator's verdict on each clip (N, T, H, W, 3) of its prompt: "correct", or the first
    check it fails ("fails axis")."""
    from .evaluate.analytic import score
    from .grammar import attributes_for

    reasons = score(clips, [attributes_for(p) for p in prompts]).reasons
    return ["correct" if r is None else f"fails {r}" for r in reasons]


def show_judged(model, prompts: list[str], n: int = 1, seed: int = 0, columns: int = 4) -> None:
    """n clips of every prompt, each captioned with its prompt and the evaluator's verdict."""
    clips = model.generate(prompts, n=n, seed=seed)
    asked = [p for p in prompts for _ in range(n)]
    show(clips, [f"{p}: {v}" for p, v in zip(asked, verdicts(clips, asked))], columns=columns)


def show_report(evaluation, clips: int = 8, scale: int = 2) -> None:
    """Print the evaluator's table and play the first clip of up to `clips` prompts, each
    captioned with its prompt and verdict."""
    from .evaluate.report import format_table

    print(format_table(evaluation.report))
    examples = evaluation.examples[:clips]
    if examples:
        show(np.stack([clip for _, _, clip in examples]),
             [f"{prompt}: {'correct' if ok else 'incorrect'}" for prompt, ok, _ in examples], scale=scale)
